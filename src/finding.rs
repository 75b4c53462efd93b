//! What a finding is: the record every report writes and every filter reads.
//!
//! A finding's `id` is keyed by content (category + the secret in canonical form), never by
//! path, line or commit: the same secret has the same id in every file, carrier and
//! commit, so a baseline survives rebases, squashes, renames and moved lines.

use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::enrich::aws::AwsFacts;
use crate::enrich::private_key::KeyFacts;
use crate::rules::{Rule, Severity, Validator};
use crate::scan::pem;

/// Where a finding's bytes came from, with the facts each kind of source knows.
#[derive(Debug, Clone, Serialize)]
pub struct FileFacts {
    /// Permission bits as four octal digits, `"0644"`.
    pub mode: String,
    pub owner: String,
    pub uid: u32,
}

/// Where in a repository's history a secret came in.
#[derive(Debug, Clone, Serialize)]
pub struct GitFacts {
    pub repository: String,
    /// The oldest commit that brought this blob to this path; null for a blob no commit
    /// reaches (found with `--all-objects`).
    pub commit: Option<String>,
    pub author: Option<String>,
    pub email: Option<String>,
    pub date: Option<String>,
    pub blob: String,
    /// The secret is still in the tree of HEAD (at this path or any other).
    pub present_at_head: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: String,
    pub name: String,
    pub category: String,
    pub severity: Severity,
    pub path: String,
    pub line: usize,
    pub column: usize,
    /// Redacted unless the user asked for `--show-secrets`.
    pub secret: String,
    pub id: String,
    /// A published documentation example, reported because `--include-examples` asked.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub example: bool,
    /// Private keys: what the key is, from really parsing it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyFacts>,
    /// AWS credentials: kind, account, pairing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws: Option<AwsFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<FileFacts>,
    /// History origins: where the secret came in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git: Option<GitFacts>,
    /// The command that fixes an `insecure-permissions` finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// `--fix-permissions` applied `fix`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fixed: bool,
    /// A `keysweep:allow` comment stands on its line or the line before (the filter
    /// drops it and counts it; never in a report).
    #[serde(skip)]
    pub allowed_inline: bool,
    /// The content ids of the secrets joined into this finding besides its own (an AWS key
    /// id's paired secret and session token). A baseline entry silences the finding only
    /// if it accepted each of them: accepting a key id seen alone must not hide the secret
    /// committed beside it later.
    #[serde(skip)]
    pub parts: Vec<String>,
    /// Printed already, as it was found (`--format jsonl`, `cmd::stream`).
    #[serde(skip)]
    pub streamed: bool,
    /// `sweep`: a private key at rest where it belongs (`~/.ssh` or an `IdentityFile`,
    /// mode 0600/0400, the home's owner's): inventory, not a leak.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_rest: Option<AtRest>,
    /// `sweep`: this key, found astray, is a copy of the one at rest here (`~/…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copy_of: Option<String>,
}

/// What makes a key at rest weaker.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AtRest {
    /// `no passphrase`, `DSA`, `RSA under 2048 bits`.
    pub weaknesses: Vec<String>,
    /// Days since the key file last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_days: Option<u64>,
}

/// How a finding's secret is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Disclosure {
    #[default]
    Redacted,
    Clear,
}

impl Finding {
    /// Builds the finding for the secret `secret` matched by `rule` at `line`:`column` of
    /// `path`.
    pub fn new(
        rule: &Rule,
        path: &Path,
        (line, column): (usize, usize),
        secret: &[u8],
        example: bool,
        disclosure: Disclosure,
    ) -> Finding {
        Finding {
            rule: rule.id.clone(),
            name: rule.name.clone(),
            category: rule.category.clone(),
            severity: rule.severity,
            path: display_path(path),
            line,
            column,
            secret: match disclosure {
                Disclosure::Clear => String::from_utf8_lossy(secret).into_owned(),
                Disclosure::Redacted => redact(&rule.category, secret),
            },
            id: content_id(&rule.category, &canonical_secret(rule.validator, secret)),
            example,
            key: None,
            aws: None,
            file: None,
            git: None,
            fix: None,
            fixed: false,
            allowed_inline: false,
            parts: Vec::new(),
            streamed: false,
            at_rest: None,
            copy_of: None,
        }
    }

    /// An `insecure-permissions` finding for `path`: `what` says who can do what to it,
    /// `fix` how to stop them. It is about a place, not a secret, so its id is keyed by the
    /// place (the path as reported): two files holding the same key are two findings, and
    /// accepting one never silences the other.
    pub fn permissions(path: &Path, what: String, severity: Severity, fix: String) -> Finding {
        Finding {
            rule: PERMISSIONS_RULE.into(),
            name: what,
            category: PERMISSIONS_RULE.into(),
            severity,
            path: display_path(path),
            line: 1,
            column: 1,
            secret: String::new(),
            id: location_id(PERMISSIONS_RULE, path),
            example: false,
            key: None,
            aws: None,
            file: None,
            git: None,
            fix: Some(fix),
            fixed: false,
            allowed_inline: false,
            parts: Vec::new(),
            streamed: false,
            at_rest: None,
            copy_of: None,
        }
    }

    /// Attaches what parsing the private key told us, and sets the severity from it: an
    /// unencrypted key is critical, a passphrase-protected one high, and a block whose body
    /// does not parse one level lower again.
    pub fn with_key(mut self, key: KeyFacts) -> Finding {
        let mut severity = if key.encrypted {
            Severity::High
        } else {
            Severity::Critical
        };
        if !key.valid {
            severity = match severity {
                Severity::Critical => Severity::High,
                _ => Severity::Medium,
            };
        }
        self.severity = severity;
        self.key = Some(key);
        self
    }

    /// The order of every report: by place (path, line, column), then rule; the content
    /// id breaks the tie between different secrets at the same place (versions of a file
    /// in history), so the order never depends on which thread found what first.
    pub fn sort_key(&self) -> (&str, usize, usize, &str, &str) {
        (&self.path, self.line, self.column, &self.rule, &self.id)
    }
}

/// The rule (and category) of the permission audit's findings: a check, not a signature.
pub const PERMISSIONS_RULE: &str = "insecure-permissions";
/// What the permission check is called where a rule needs a name (SARIF's rule list); each
/// finding's own `name` says what is wrong with its file.
pub const PERMISSIONS_RULE_NAME: &str = "Key file others can read or write";

/// Paths as text. Non-UTF-8 bytes become U+FFFD: reports are text, and the lossy form is
/// still recognisable (the raw bytes travel in no report).
pub fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// The secret in the form that is the same wherever it is found: a key's base64 body
/// without its carrier, a PuTTY file's key lines, otherwise the secret's bytes.
pub fn canonical_secret(validator: Option<Validator>, secret: &[u8]) -> Vec<u8> {
    match validator {
        Some(v @ (Validator::PemPrivateKey | Validator::Base64PemPrivateKey)) => {
            pem::armored_key(v, secret).map(|a| a.body)
        }
        Some(Validator::PuttyPrivateKey) => Some(
            pem::logical_lines(secret)
                .map(pem::trim_carrier)
                .filter(|l| !l.contains(&b':'))
                .flatten()
                .copied()
                .collect(),
        ),
        _ => None,
    }
    .unwrap_or_else(|| secret.to_vec())
}

/// `ks-` and 24 hex digits of SHA-256 over the category and the canonical secret. The
/// secret cannot be recovered from it, so ids may be stored and shared (baselines).
pub fn content_id(category: &str, canonical: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"keysweep-finding-v1\0");
    h.update(category.as_bytes());
    h.update(b"\0");
    h.update(canonical);
    let digest = h.finalize();
    let mut out = String::with_capacity(27);
    out.push_str("ks-");
    for b in &digest[..12] {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// `ks-` and 24 hex digits keyed by a place (`category` and a path): the id of a finding
/// about a place rather than a secret (a file's mode), never equal to a content id. The
/// path's raw bytes (less a leading `./`, as reports show it), so two names that differ
/// only in bytes that are not UTF-8 never share an id.
pub fn location_id(category: &str, path: &Path) -> String {
    let raw = path.as_os_str().as_encoded_bytes();
    content_id(
        &format!("{category}@location"),
        raw.strip_prefix(b"./").unwrap_or(raw),
    )
}

/// `s` quoted for a POSIX shell, for the commands findings tell the user to run (the
/// `chmod` of a permission fix, the `git filter-repo` of a history purge). Plain single
/// quotes where that is exact and printable; otherwise `$'…'` (bash, zsh, ksh, and POSIX
/// since 2024) with every control character escaped, so the command names exactly this
/// path and a terminal shows it safely.
pub fn shell_quote(s: &str) -> String {
    shell_quote_bytes(s.as_bytes())
}

/// [`shell_quote`] of a path's raw bytes: a name that is not UTF-8 is quoted byte for
/// byte, never through a lossy conversion that would name another file.
pub fn shell_quote_path(path: &Path) -> String {
    let shown = path.as_os_str().as_encoded_bytes();
    shell_quote_bytes(shown.strip_prefix(b"./").unwrap_or(shown))
}

fn shell_quote_bytes(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) if !s.chars().any(char::is_control) => {
            format!("'{}'", s.replace('\'', "'\\''"))
        }
        _ => {
            let mut out = String::from("$'");
            for chunk in b.utf8_chunks() {
                for c in chunk.valid().chars() {
                    match c {
                        '\'' => out.push_str("\\'"),
                        '\\' => out.push_str("\\\\"),
                        // Byte by byte: `$'\x85'` is one byte, not U+0085.
                        c if c.is_control() => {
                            for byte in c.to_string().bytes() {
                                out.push_str(&format!("\\x{byte:02x}"));
                            }
                        }
                        c => out.push(c),
                    }
                }
                for byte in chunk.invalid() {
                    out.push_str(&format!("\\x{byte:02x}"));
                }
            }
            out.push('\'');
            out
        }
    }
}

/// What a report may show of a secret: enough to recognise it, never enough to use it.
pub fn redact(category: &str, secret: &[u8]) -> String {
    let text = String::from_utf8_lossy(secret);
    match category {
        "private-key" => {
            let first = text
                .split(['\n', '\r'])
                .next()
                .unwrap_or_default()
                .split("\\n")
                .next()
                .unwrap_or_default();
            format!("{} …[redacted {} bytes]", key_hint(first), secret.len())
        }
        "aws-access-key" if text.len() >= 8 => {
            format!("{}…{}", &text[..4], &text[text.len() - 4..])
        }
        _ => {
            let head: String = text.chars().take(4).collect();
            format!("{head}…[redacted]")
        }
    }
}

/// What a private key's first line may show: its armour and nothing after it (a key pasted
/// on one line goes on into the body); a PuTTY file's header; for a base64-wrapped PEM, only
/// the characters that decode to the armour's dashes (`LS0tLS1`, `-----`), never the body.
fn key_hint(first: &str) -> String {
    if let Some(begin) = first.find("BEGIN ") {
        // The armour ends at the dashes after the label (`-----` or SSH2's `----`).
        let label_end = first[begin..]
            .find(" ----")
            .or_else(|| first[begin..].find("-----"))
            .map(|e| begin + e);
        if let Some(end) = label_end {
            let dashes = first[end..]
                .trim_start()
                .bytes()
                .take_while(|&b| b == b'-')
                .count();
            let end = end + (first[end..].len() - first[end..].trim_start().len()) + dashes;
            return first[..end].to_string();
        }
    }
    if first.starts_with("PuTTY-User-Key-File-") {
        return first.chars().take(60).collect();
    }
    let prefix: String = first.chars().take(7).collect();
    format!("{prefix}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_content_keyed() {
        let a = content_id("aws-access-key", b"AKIAJ2FAN53GZUWG6CJZ");
        assert_eq!(a, content_id("aws-access-key", b"AKIAJ2FAN53GZUWG6CJZ"));
        assert_ne!(a, content_id("aws-secret-key", b"AKIAJ2FAN53GZUWG6CJZ"));
        assert!(a.starts_with("ks-") && a.len() == 27);
    }

    #[test]
    fn redaction_keeps_only_a_hint() {
        assert_eq!(
            redact("aws-access-key", b"AKIAJ2FAN53GZUWG6CJZ"),
            "AKIA…6CJZ"
        );
        assert_eq!(
            redact(
                "aws-secret-key",
                b"3RxxWBtSS9Z4xxIahZ291TtLuIoPeDIEn8WHhXMf"
            ),
            "3Rxx…[redacted]"
        );
        let r = redact("private-key", b"-----BEGIN RSA PRIVATE KEY-----\\nMIIE\\n");
        assert_eq!(r, "-----BEGIN RSA PRIVATE KEY----- …[redacted 39 bytes]");
        // Pasted on one line: the hint stops at the armour.
        let r = redact(
            "private-key",
            b"-----BEGIN EC PRIVATE KEY----- MHcCAQEEIBkg4L",
        );
        assert_eq!(r, "-----BEGIN EC PRIVATE KEY----- …[redacted 45 bytes]");
        let r = redact(
            "private-key",
            b"---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nP2/56w",
        );
        assert_eq!(
            r,
            "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ---- …[redacted 49 bytes]"
        );
        // Base64 of a whole PEM: only what decodes to the armour's dashes.
        let r = redact(
            "private-key",
            b"LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSUJrZzRM\n",
        );
        assert_eq!(r, "LS0tLS1… …[redacted 61 bytes]");
    }
}
