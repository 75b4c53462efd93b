//! What a finding is: the record every report writes, every filter reads and a store will
//! keep. This module depends on nothing else in the crate: sources, the scan core and
//! `enrich` fill findings in; reports and filters read them.
//!
//! A finding's `id` is keyed by content (category + the secret in canonical form), never by
//! path, line or commit: the same secret has the same id in every file, carrier and
//! commit, so a baseline survives rebases, squashes, renames and moved lines.

mod category;
mod facts;
mod id;
mod text;

use std::path::Path;

use serde::Serialize;

pub use category::{Category, Severity};
pub use facts::{
    AtRest, AwsFacts, AwsKind, FileFacts, GcpServiceAccount, GitFacts, KeyFacts, Origin, Paired,
    Place, TokenFacts,
};
pub use id::{content_id, location_id};
pub use text::{display_path, redact, shell_quote, shell_quote_path};

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: String,
    pub name: String,
    pub category: Category,
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
    /// Provider tokens: provider, kind, whether the checksum holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenFacts>,
    /// Where the secret's bytes came from: a file (or an archive entry, with the facts of
    /// the archive file), or a git blob with the commit that brought it in. Written as a
    /// `file` or a `git` object.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// The command that fixes an `insecure-permissions` finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// What to do about an exposure finding (`ssh-open-to-world`, `sshd-weak-setting`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
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

/// What found a secret: the rule, and the name, category and severity its findings start
/// with.
#[derive(Debug, Clone, Copy)]
pub struct Detector<'a> {
    pub rule: &'a str,
    pub name: &'a str,
    pub category: &'a Category,
    pub severity: Severity,
}

/// How a finding's secret is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Disclosure {
    #[default]
    Redacted,
    Clear,
}

impl Disclosure {
    /// `secret` as a report may show it: in clear only when asked for.
    pub fn show(self, category: &Category, secret: &[u8]) -> String {
        match self {
            Disclosure::Clear => String::from_utf8_lossy(secret).into_owned(),
            Disclosure::Redacted => redact(category, secret),
        }
    }
}

impl Finding {
    /// Builds the finding for a secret `detector` found at `line`:`column` of `path`:
    /// `shown` is the secret as reports may show it, `id` its content id.
    pub fn new(
        detector: Detector<'_>,
        path: &Path,
        (line, column): (usize, usize),
        shown: String,
        id: String,
        example: bool,
    ) -> Finding {
        Finding {
            rule: detector.rule.to_string(),
            name: detector.name.to_string(),
            category: detector.category.clone(),
            severity: detector.severity,
            path: display_path(path),
            line,
            column,
            secret: shown,
            id,
            example,
            key: None,
            aws: None,
            token: None,
            origin: None,
            fix: None,
            advice: None,
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
        let detector = Detector {
            rule: PERMISSIONS_RULE,
            name: &what,
            category: &Category::InsecurePermissions,
            severity,
        };
        let id = location_id(PERMISSIONS_RULE, path);
        let mut f = Finding::new(detector, path, (1, 1), String::new(), id, false);
        f.fix = Some(fix);
        f
    }

    /// A finding of an exposure check (`rule`, of `category`) at `line` of `path`: `what`
    /// is wrong, `advice` what to do. About a place and a setting, not a secret: its id is
    /// keyed by the path and what was found, never the line.
    pub fn exposure(
        rule: &str,
        category: Category,
        path: &Path,
        line: usize,
        what: String,
        severity: Severity,
        advice: String,
    ) -> Finding {
        let id = content_id(
            &format!("{rule}@location"),
            format!("{}\0{what}", display_path(path)).as_bytes(),
        );
        let detector = Detector {
            rule,
            name: &what,
            category: &category,
            severity,
        };
        let mut f = Finding::new(detector, path, (line.max(1), 1), String::new(), id, false);
        f.advice = Some(advice);
        f
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

    /// The file facts, for a finding in a file (or an archive entry).
    pub fn file(&self) -> Option<&FileFacts> {
        match &self.origin {
            Some(Origin::File(f)) => Some(f),
            _ => None,
        }
    }

    /// The git facts, for a finding in a repository's history.
    pub fn git(&self) -> Option<&GitFacts> {
        match &self.origin {
            Some(Origin::Git(g)) => Some(g),
            _ => None,
        }
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
