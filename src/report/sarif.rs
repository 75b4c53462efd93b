//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning (and other SARIF viewers)
//! accept it. One run; the tool's rules with their severity (`security-severity`, which
//! GitHub uses to rank security alerts); one result per finding with its location and a
//! partial fingerprint from the content-keyed id, so an alert follows its secret when it
//! moves. Secrets are as redacted here as anywhere else.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use super::Summary;
use crate::finding::{Category, Finding, PERMISSIONS_RULE, PERMISSIONS_RULE_NAME};
use crate::rules::{Rule, Severity};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The key of the partial fingerprint: versioned, so that a change of id scheme would be a
/// new key rather than different values under the old one.
pub const FINGERPRINT_KEY: &str = "keysweep/v1";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    invocations: [Invocation; 1],
    results: Vec<SarifResult>,
    properties: RunProperties<'a>,
}

#[derive(Serialize)]
struct RunProperties<'a> {
    summary: &'a Summary,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    /// What the run could not vouch for: inputs unread, skipped for size, an interruption.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
}

/// What a run did not scan, as SARIF notifications: a viewer shows them beside the results,
/// so an upload of "no results" never hides that something went unread.
fn notifications(summary: &Summary) -> Vec<Notification> {
    let mut out = Vec::new();
    let mut say = |level, text: String| {
        out.push(Notification {
            level,
            message: Text { text },
        })
    };
    if summary.interrupted {
        say(
            "error",
            "the scan was interrupted: what it had not reached yet was not scanned".into(),
        );
    }
    if summary.errors > 0 {
        say(
            "error",
            format!("{} input(s) could not be read", summary.errors),
        );
    }
    if summary.skipped_too_large > 0 {
        say(
            "warning",
            format!(
                "{} file(s) over --max-file-size were not scanned",
                summary.skipped_too_large
            ),
        );
    }
    let other = summary.skipped - summary.skipped_too_large.min(summary.skipped);
    if other > 0 {
        say(
            "note",
            format!("{other} FIFO(s), socket(s) or device(s) were not opened"),
        );
    }
    out
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<Descriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Text,
    default_configuration: Configuration,
    properties: DescriptorProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct DescriptorProperties {
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    tags: Vec<String>,
    severity: Severity,
    category: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Value>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    properties: Value,
}

/// SARIF's level for a severity: GitHub shows `error` and `warning` as such, `note` as a
/// note.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's security severity (a CVSS-like score, as a string) for a severity: over 9.0 is
/// critical, 7.0 to 8.9 high, 4.0 to 6.9 medium, below that low.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn help(category: &Category) -> &'static str {
    match category {
        Category::PrivateKey => {
            "Treat the key as leaked: replace it, remove its public half from every authorized_keys \
             and trust store, then remove it from the files (and purge it from history). \
             A keysweep:allow comment on its line, or a baseline entry, records a decision to accept it."
        }
        c if c.is_aws() => {
            "Deactivate the AWS key now (aws iam update-access-key --status Inactive), check \
             CloudTrail for its use, delete it, and move to roles or SSO. A keysweep:allow \
             comment on its line, or a baseline entry, records a decision to accept it."
        }
        Category::InsecurePermissions => {
            "Make the key file readable by its owner only (chmod 600, or 700 for a .ssh directory)."
        }
        Category::SshOpenToWorld => {
            "Restrict the rule's source to known addresses, or close port 22 and connect through \
             AWS Systems Manager Session Manager or an EC2 Instance Connect Endpoint."
        }
        Category::AwsKeyRisk => {
            "Give the IAM user least privilege (never AdministratorAccess or \"Action\": \"*\"), and \
             replace its long-term access key with a role and short-lived credentials."
        }
        Category::SshdWeakSetting => {
            "Set PermitRootLogin no (or prohibit-password), PasswordAuthentication no and \
             PermitEmptyPasswords no, and log in with keys or SSH certificates."
        }
        _ => {
            "Rotate the secret, remove it from the files and purge it from history. A \
             keysweep:allow comment on its line, or a baseline entry, records a decision to accept it."
        }
    }
}

fn descriptor(id: &str, name: &str, category: &Category, severity: Severity) -> Descriptor {
    let mut tags = vec!["security".to_string(), "secret".to_string()];
    if !category.as_str().is_empty() {
        tags.push(category.to_string());
    }
    Descriptor {
        id: id.to_string(),
        name: name.to_string(),
        short_description: Text {
            text: name.to_string(),
        },
        full_description: Text {
            text: format!("{name} ({category}, {severity} severity)"),
        },
        help: Text {
            text: help(category).to_string(),
        },
        default_configuration: Configuration {
            level: level(severity),
        },
        properties: DescriptorProperties {
            security_severity: security_severity(severity),
            tags,
            severity,
            category: category.to_string(),
        },
    }
}

/// A path as a URI reference: relative paths stay relative (to the repository or the
/// directory scanned), with forward slashes; absolute ones become `file://` URIs unless
/// they are below the current directory.
pub fn uri(path: &str) -> String {
    let p = Path::new(path);
    // Only an absolute path can be below the current directory.
    let rel = p
        .has_root()
        .then(std::env::current_dir)
        .and_then(Result::ok)
        .and_then(|cwd| p.strip_prefix(cwd).ok().map(Path::to_path_buf));
    let (prefix, text) = match rel {
        Some(r) if p.has_root() => (String::new(), r.to_string_lossy().into_owned()),
        _ if p.has_root() => ("file://".to_string(), path.to_string()),
        _ => (String::new(), path.to_string()),
    };
    let mut out = prefix;
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b':'
            | b'@' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The message of a finding: what it is, the redacted secret, and where it came in.
pub fn message(f: &Finding) -> String {
    let mut m = format!("{} ({} severity)", f.name, f.severity);
    if !f.secret.is_empty() {
        m.push_str(&format!(": {}", f.secret));
    }
    if let Some(fp) = f.key.as_ref().and_then(|k| k.sha256.as_deref()) {
        m.push_str(&format!(", key {fp}"));
    }
    if let Some(why) = f.key.as_ref().and_then(|k| k.invalid_reason.as_deref()) {
        m.push_str(&format!(", not a valid key: {why}"));
    }
    if let Some(acct) = f.aws.as_ref().and_then(|a| a.account_id.as_deref()) {
        m.push_str(&format!(", AWS account {acct}"));
    }
    for opens in f.key.iter().flat_map(|k| &k.opens) {
        m.push_str(&format!(", {opens}"));
    }
    if let Some(fix) = &f.fix {
        m.push_str(&format!(", fix: {fix}"));
    }
    if let Some(advice) = &f.advice {
        m.push_str(&format!(", what to do: {advice}"));
    }
    if let Some(g) = f.git() {
        match &g.commit {
            Some(c) => m.push_str(&format!(", introduced in commit {c}")),
            None => m.push_str(&format!(", in blob {} that no commit reaches", g.blob)),
        }
        m.push_str(if g.present_at_head {
            ", still at HEAD"
        } else {
            ", no longer at HEAD (still in history)"
        });
    }
    m.push_str(&format!(" [{}]", f.id));
    m
}

pub fn write(
    out: &mut dyn Write,
    findings: &[Finding],
    summary: &Summary,
    rules: &[Rule],
) -> io::Result<()> {
    let mut descriptors: Vec<Descriptor> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for r in rules {
        index.insert(r.id.clone(), descriptors.len());
        descriptors.push(descriptor(&r.id, &r.name, &r.category, r.severity));
    }
    // Checks that are not signatures (the permission audit) are described by their first
    // finding.
    for f in findings {
        if !index.contains_key(&f.rule) {
            index.insert(f.rule.clone(), descriptors.len());
            let name = if f.rule == PERMISSIONS_RULE {
                PERMISSIONS_RULE_NAME
            } else {
                &f.name
            };
            descriptors.push(descriptor(&f.rule, name, &f.category, f.severity));
        }
    }
    let results = findings
        .iter()
        .map(|f| {
            // A blob that no commit reaches has no path to point at.
            let unplaced = f.git().is_some_and(|g| g.commit.is_none());
            let locations = if unplaced {
                Vec::new()
            } else {
                vec![json!({
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&f.path) },
                        "region": { "startLine": f.line, "startColumn": f.column }
                    }
                })]
            };
            let mut props = json!({
                "severity": f.severity,
                "category": f.category,
                "id": f.id,
            });
            if !f.secret.is_empty() {
                props["secret"] = json!(f.secret);
            }
            if let Some(g) = f.git() {
                props["git"] = json!(g);
            }
            if let Some(k) = &f.key {
                props["key"] = json!(k);
            }
            if let Some(a) = &f.aws {
                props["aws"] = json!(a);
            }
            if let Some(t) = &f.token {
                props["token"] = json!(t);
            }
            SarifResult {
                rule_id: f.rule.clone(),
                rule_index: index[&f.rule],
                level: level(f.severity),
                message: Text { text: message(f) },
                locations,
                partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, f.id.clone())]),
                properties: props,
            }
        })
        .collect();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "keysweep",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules: descriptors,
                },
            },
            invocations: [Invocation {
                execution_successful: summary.errors == 0 && !summary.interrupted,
                tool_execution_notifications: notifications(summary),
            }],
            results,
            properties: RunProperties { summary },
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn uris_are_relative_and_escaped() {
        assert_eq!(uri("src/a b.pem"), "src/a%20b.pem");
        assert_eq!(uri("x/100%#?.key"), "x/100%25%23%3F.key");
        assert_eq!(uri("/nowhere/k.pem"), "file:///nowhere/k.pem");
        assert_eq!(uri("dir/ключ"), "dir/%D0%BA%D0%BB%D1%8E%D1%87");
    }
}
