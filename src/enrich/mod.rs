//! Enrichment: turns a match into the facts a responder needs. For a private key, what it
//! is (format, algorithm, size, passphrase or not) and its public-key fingerprint, by
//! really parsing it. Enrichment never finds anything itself and never touches the
//! filesystem: it is handed the secret's bytes.

pub mod aws;
pub mod gcp;
pub mod jwk;
pub mod key_file;
pub mod private_key;
pub mod ssh_wire;
pub mod token;

use std::collections::BTreeMap;

use serde::Serialize;

use std::path::Path;

use crate::filter;
use crate::finding::Place;
use crate::finding::{Category, Disclosure, Finding, content_id};
use crate::rules::Validator;
use crate::scan::pem;
use crate::scan::{LineCounter, Match, Scanner};

/// Turns the matches the scan core found in one blob into findings: position, key facts
/// for private keys, and AWS ids paired with the secrets and tokens beside them. `path`
/// is where the blob is (its first path, for a git blob). A finding under a
/// `keysweep:allow` comment is marked `allowed_inline`, for the filter to drop and count.
pub fn blob_findings(
    scanner: &Scanner,
    path: &Path,
    data: &[u8],
    matches: &[Match],
    disclosure: Disclosure,
) -> Vec<Finding> {
    let mut lines = LineCounter::default();
    let mut found = Vec::with_capacity(matches.len());
    let starts: Vec<usize> = matches.iter().map(|m| m.secret.start).collect();
    let allowed = filter::inline::allowed(data, &starts);
    for (m, allowed) in matches.iter().zip(allowed) {
        let rule = scanner.rule(m.rule);
        let pos = lines.locate(data, m.secret.start);
        let secret = &data[m.secret.clone()];
        let shown = disclosure.show(&rule.category, secret);
        let id = content_id(
            rule.category.as_str(),
            &canonical_secret(rule.validator, secret),
        );
        let mut f = Finding::new(rule.detector(), path, pos, shown, id, m.example);
        f.allowed_inline = allowed;
        if let Some(mut key) = private_key::analyse(rule.validator, secret) {
            if rule.category == Category::PrivateKey {
                key.gcp = gcp::service_account(data, m.secret.clone());
            }
            f = f.with_key(key);
        }
        if let Some((facts, revoke, severity)) =
            token::analyse(rule.validator, data, m.secret.clone())
        {
            f.token = Some(facts);
            f.advice = Some(revoke);
            if let Some(s) = severity {
                f.severity = s;
            }
        }
        let text = if rule.category == Category::AwsAccessKey {
            String::from_utf8_lossy(secret).into_owned()
        } else {
            String::new()
        };
        found.push(aws::Located {
            finding: f,
            offset: m.secret.start,
            text,
        });
    }
    aws::link(path, data, &mut found);
    found.into_iter().map(|l| l.finding).collect()
}

/// The findings of the keys found by their structure in one blob ([`key_file::find`]),
/// at `path`.
pub fn structured_findings(
    path: &Path,
    data: &[u8],
    keys: Vec<key_file::Structured>,
    disclosure: Disclosure,
) -> Vec<Finding> {
    let mut lines = LineCounter::default();
    let mut keys = keys;
    keys.sort_by_key(|k| k.offset);
    let starts: Vec<usize> = keys.iter().map(|k| k.offset).collect();
    let allowed = filter::inline::allowed(data, &starts);
    // A JCEKS secret-key entry is a symmetric key, not a private key.
    let secret_key = Category::Other(key_file::SECRET_KEY_CATEGORY.to_string());
    keys.into_iter()
        .zip(allowed)
        .map(|(k, allowed)| {
            let category = if k.rule == key_file::SECRET_KEYSTORE_RULE {
                &secret_key
            } else {
                &Category::PrivateKey
            };
            let detector = crate::finding::Detector {
                rule: k.rule,
                name: k.name,
                category,
                severity: crate::finding::Severity::Critical,
            };
            let id = content_id(category.as_str(), &k.canonical);
            let shown = match disclosure {
                Disclosure::Redacted => k.redacted,
                Disclosure::Clear => k.clear,
            };
            let pos = lines.locate(data, k.offset);
            let empty_password = k.facts.empty_password == Some(true);
            let mut f = Finding::new(detector, path, pos, shown, id, false).with_key(k.facts);
            // A container anyone can open with the empty password is as good as
            // unencrypted.
            if empty_password {
                f.severity = crate::finding::Severity::Critical;
            }
            f.allowed_inline = allowed;
            f
        })
        .collect()
}

/// The secret in the form that is the same wherever it is found: a key's base64 body
/// without its carrier (of its DER, for a body in BER), a PuTTY file's key lines, otherwise the secret's bytes.
pub fn canonical_secret(validator: Option<Validator>, secret: &[u8]) -> Vec<u8> {
    match validator {
        Some(v @ (Validator::PemPrivateKey | Validator::Base64PemPrivateKey)) => {
            pem::armored_key(v, secret).map(|a| private_key::canonical_body(&a))
        }
        Some(Validator::PuttyPrivateKey) => Some(
            pem::logical_lines(secret)
                .map(pem::trim_carrier)
                .filter(|l| !l.contains(&b':'))
                .flatten()
                .copied()
                .collect(),
        ),
        // The key, not its `PrivateKey = ` label and spacing.
        Some(Validator::WireguardPrivateKey) => secret
            .len()
            .checked_sub(44)
            .map(|start| secret[start..].to_vec()),
        _ => None,
    }
    .unwrap_or_else(|| secret.to_vec())
}

/// Fills `key.authorized_in` of every private-key finding whose fingerprint is among the
/// public keys found in `authorized_keys` and `.pub` files.
pub fn link_keys(findings: &mut [Finding], public_keys: Vec<(String, Place)>) {
    if public_keys.is_empty() {
        return;
    }
    let mut by_fp: BTreeMap<String, Vec<Place>> = BTreeMap::new();
    for (fp, place) in public_keys {
        by_fp.entry(fp).or_default().push(place);
    }
    for places in by_fp.values_mut() {
        places.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    }
    for f in findings {
        if let Some(key) = &mut f.key
            && let Some(places) = key.sha256.as_ref().and_then(|fp| by_fp.get(fp))
        {
            key.authorized_in = places.clone();
        }
    }
}

/// One private key found in more than one place.
#[derive(Debug, Clone, Serialize)]
pub struct ReusedKey {
    pub sha256: String,
    pub count: usize,
    pub places: Vec<Place>,
}

/// Private keys (by fingerprint) found in two or more places, most places first.
pub fn reused_keys(findings: &[Finding]) -> Vec<ReusedKey> {
    in_several_places(findings, |f| f.key.as_ref()?.sha256.as_deref())
        .into_iter()
        .map(|(sha256, places)| ReusedKey {
            sha256,
            count: places.len(),
            places,
        })
        .collect()
}

/// One AWS access key id found in more than one place.
#[derive(Debug, Clone, Serialize)]
pub struct ReusedAwsKey {
    pub access_key_id: String,
    pub count: usize,
    pub places: Vec<Place>,
}

/// AWS key ids found in two or more places (one key, however many files hold it), most
/// places first.
pub fn reused_aws_keys(findings: &[Finding]) -> Vec<ReusedAwsKey> {
    in_several_places(findings, |f| f.aws.as_ref()?.access_key_id.as_deref())
        .into_iter()
        .map(|(access_key_id, places)| ReusedAwsKey {
            access_key_id,
            count: places.len(),
            places,
        })
        .collect()
}

/// The places of the findings that share a key (a fingerprint, a key id), for each key
/// found in more than one place, most places first.
fn in_several_places<'f>(
    findings: &'f [Finding],
    key: impl Fn(&'f Finding) -> Option<&'f str>,
) -> Vec<(String, Vec<Place>)> {
    let mut by_key: BTreeMap<&str, Vec<Place>> = BTreeMap::new();
    for f in findings {
        if let Some(k) = key(f) {
            by_key.entry(k).or_default().push(Place {
                path: f.path.clone(),
                line: f.line,
            });
        }
    }
    let mut out: Vec<(String, Vec<Place>)> = by_key
        .into_iter()
        .filter(|(_, p)| p.len() > 1)
        .map(|(k, places)| (k.to_string(), places))
        .collect();
    out.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    out
}
