//! AWS credential facts, offline: what kind of key an access key id is, which account it
//! belongs to (decoded from the id itself), and whether its secret (and session token)
//! sit beside it. An id with its secret nearby becomes one finding, not two unrelated
//! hits. Nothing here is ever sent anywhere.

use std::path::Path;
use std::sync::OnceLock;

use regex::bytes::Regex;

use crate::finding::{AwsFacts, AwsKind as Kind, Category, Finding, Paired, Severity};

/// How far (in lines) a secret or session token may sit from its key id to be paired.
pub const PAIR_LINES: usize = 5;
/// Session tokens are long and STS output spreads the four fields over more lines.
pub const TOKEN_LINES: usize = 10;

pub fn kind(key_id: &str) -> Option<Kind> {
    Some(match key_id.get(..4)? {
        "AKIA" => Kind::LongTerm,
        "ASIA" => Kind::Temporary,
        "ABIA" => Kind::ServiceBearer,
        "ACCA" => Kind::ContextSpecific,
        _ => return None,
    })
}

/// The account an access key id belongs to, decoded offline (Aidan Steele's and Tal
/// Be'ery's published decoding): the 16 characters after the prefix are base32; of the
/// first 48 bits decoded, bits 46..7 are the account number. Ids issued before AWS
/// adopted this layout have the top bit clear (their fifth character is before `Q`) and
/// carry no account.
pub fn account_id(key_id: &str) -> Option<String> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let body = key_id.as_bytes().get(4..20)?;
    let mut bits: u128 = 0;
    for &c in body {
        let v = ALPHABET.iter().position(|&a| a == c)? as u128;
        bits = (bits << 5) | v;
    }
    // 80 bits decoded; the first 48 of them hold the account.
    let head = (bits >> 32) as u64;
    if head & (1 << 47) == 0 {
        return None;
    }
    let account = (head & 0x7fff_ffff_ff80) >> 7;
    Some(format!("{account:012}"))
}

/// One AWS finding of a file, with the byte offset of its secret.
pub struct Located {
    pub finding: Finding,
    pub offset: usize,
    /// The secret's bytes (the key id, for an id finding).
    pub text: String,
}

/// Pairs and annotates the AWS findings of one file, in place: each key id takes the
/// nearest unpaired secret within [`PAIR_LINES`] and session token within
/// [`TOKEN_LINES`], which are then dropped as findings of their own; every AWS finding
/// gets its `aws` facts and the severity that follows from them.
pub fn link(path: &Path, bytes: &[u8], found: &mut Vec<Located>) {
    let is = |l: &Located, c: &Category| l.finding.category == *c;
    if !found.iter().any(|l| l.finding.category.is_aws()) {
        return;
    }
    let profiles = profile_headers(path, bytes);
    let mut drop = vec![false; found.len()];
    let is_id: Vec<bool> = found
        .iter()
        .map(|l| is(l, &Category::AwsAccessKey))
        .collect();
    let mut secrets = ByLine::new(found, &Category::AwsSecretKey);
    let mut tokens = ByLine::new(found, &Category::AwsSessionToken);
    for i in (0..found.len()).filter(|&i| is_id[i]) {
        let id = found[i].text.clone();
        let line = found[i].finding.line;
        let mut facts = AwsFacts {
            access_key_id: Some(id.clone()),
            account_id: account_id(&id),
            kind: kind(&id),
            paired_secret: false,
            secret: None,
            session_token: false,
            token: None,
            expiration: None,
            profile: profile_at(&profiles, found[i].offset),
            root: false,
            age_days: None,
        };
        // The pair is one finding: a `keysweep:allow` silences it only if it stands by
        // every part (an allowed test key id must not hide a real secret paired with it).
        let mut allowed = found[i].finding.allowed_inline;
        if let Some(s) = secrets.take_nearest(line, PAIR_LINES) {
            drop[s] = true;
            allowed &= found[s].finding.allowed_inline;
            facts.paired_secret = true;
            facts.secret = Some(paired(&found[s].finding));
            let part = found[s].finding.id.clone();
            found[i].finding.parts.push(part);
        }
        if let Some(t) = tokens.take_nearest(line, TOKEN_LINES) {
            drop[t] = true;
            allowed &= found[t].finding.allowed_inline;
            facts.session_token = true;
            facts.token = Some(paired(&found[t].finding));
            let part = found[t].finding.id.clone();
            found[i].finding.parts.push(part);
            facts.expiration = expiration_near(bytes, found[t].offset);
        }
        let f = &mut found[i].finding;
        f.allowed_inline = allowed;
        f.severity = severity(&facts);
        if facts.session_token {
            f.category = Category::AwsSessionToken;
            f.name = "AWS temporary credentials (key id, secret, session token)".into();
        } else if facts.paired_secret {
            f.name = "AWS access key (key id and its secret)".into();
        }
        f.aws = Some(facts);
    }
    for i in 0..found.len() {
        if drop[i] || is_id[i] {
            continue;
        }
        let l = &mut found[i];
        if !l.finding.category.is_aws() {
            continue;
        }
        let token = l.finding.category == Category::AwsSessionToken;
        l.finding.aws = Some(AwsFacts {
            access_key_id: None,
            account_id: None,
            kind: token.then_some(Kind::Temporary),
            paired_secret: false,
            secret: None,
            session_token: token,
            token: None,
            expiration: if token {
                expiration_near(bytes, l.offset)
            } else {
                None
            },
            profile: profile_at(&profiles, l.offset),
            root: false,
            age_days: None,
        });
    }
    let mut i = 0;
    found.retain(|_| {
        let keep = !drop[i];
        i += 1;
        keep
    });
}

fn paired(f: &Finding) -> Paired {
    Paired {
        line: f.line,
        column: f.column,
        secret: f.secret.clone(),
        path: None,
    }
}

/// Long-term keys with their secret are critical, alone high; temporary and other
/// short-lived credentials are medium.
pub fn severity(f: &AwsFacts) -> Severity {
    match f.kind {
        Some(Kind::LongTerm) if f.paired_secret => Severity::Critical,
        Some(Kind::LongTerm) => Severity::High,
        _ => Severity::Medium,
    }
}

/// The findings of one category, by line, for pairing: each key id takes the nearest one
/// not yet taken. Looking up a line costs a binary search, so a file with tens of
/// thousands of ids and secrets pairs them in n log n, not n² (a 10 MB file of random
/// ids took 22 s before).
struct ByLine {
    /// (line, indexes into `found` in order, how many of them are taken), by line.
    lines: Vec<(usize, Vec<usize>, usize)>,
}

impl ByLine {
    fn new(found: &[Located], category: &Category) -> ByLine {
        let mut lines: Vec<(usize, Vec<usize>, usize)> = Vec::new();
        let mut members: Vec<(usize, usize)> = (0..found.len())
            .filter(|&j| found[j].finding.category == *category)
            .map(|j| (found[j].finding.line, j))
            .collect();
        members.sort_unstable();
        for (line, j) in members {
            match lines.last_mut() {
                Some((l, js, _)) if *l == line => js.push(j),
                _ => lines.push((line, vec![j], 0)),
            }
        }
        ByLine { lines }
    }

    /// Takes the nearest untaken finding within `max_lines` of `line`: nearest first; on
    /// a tie, the one after the id (the usual order of fields); on one line, the first.
    fn take_nearest(&mut self, line: usize, max_lines: usize) -> Option<usize> {
        let (first, last) = (
            line.saturating_sub(max_lines),
            line.saturating_add(max_lines),
        );
        let mut best: Option<(usize, bool, usize)> = None;
        let from = self.lines.partition_point(|(l, _, _)| *l < first);
        for (k, (l, js, taken)) in self.lines.iter().enumerate().skip(from) {
            if *l > last {
                break;
            }
            if *taken == js.len() {
                continue;
            }
            let key = (l.abs_diff(line), *l < line, k);
            if best.is_none_or(|b| (key.0, key.1) < (b.0, b.1)) {
                best = Some(key);
            }
        }
        let (_, _, k) = best?;
        let (_, js, taken) = &mut self.lines[k];
        *taken += 1;
        Some(js[*taken - 1])
    }
}

/// Whether a file at `path` is an AWS credentials or config file, whose `[profile]`
/// headers name the keys in it: in a `.aws` folder, or named `credentials`.
pub fn profile_file(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy());
    let in_aws_dir = path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|d| d == ".aws");
    in_aws_dir || matches!(name.as_deref(), Some("credentials"))
}

/// `[name]` and `[profile name]` headers of an AWS credentials or config file, by offset.
fn profile_headers(path: &Path, bytes: &[u8]) -> Vec<(usize, String)> {
    if !profile_file(path) {
        return Vec::new();
    }
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"(?m)^[ \t]*\[(?:profile[ \t]+)?([A-Za-z0-9_.@+-]+)\][ \t]*\r?$").unwrap()
    });
    re.captures_iter(bytes)
        .map(|c| {
            (
                c.get(0).unwrap().start(),
                String::from_utf8_lossy(&c[1]).into_owned(),
            )
        })
        .collect()
}

fn profile_at(headers: &[(usize, String)], offset: usize) -> Option<String> {
    let after = headers.partition_point(|(at, _)| *at < offset);
    after.checked_sub(1).map(|k| headers[k].1.clone())
}

/// An expiry written beside a session token: STS JSON's `"Expiration"`, or an
/// `expiration` / `aws_expiration` / `x_security_token_expires` setting.
fn expiration_near(bytes: &[u8], offset: usize) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r#"(?i)(?:"expiration"|\b(?:aws_)?expiration|x_security_token_expires)["']?[ \t]*[:=][ \t]*["']?([0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+(?:Z|[+-][0-9:]+)?)"#,
        )
        .unwrap()
    });
    let start = offset.saturating_sub(2048);
    let end = (offset + 8192).min(bytes.len());
    re.captures(&bytes[start..end])
        .map(|c| String::from_utf8_lossy(&c[1]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published examples of the decoding (Aidan Steele, 2020; Tal Be'ery, 2023).
    #[test]
    fn account_from_published_example() {
        assert_eq!(
            account_id("ASIAY34FZKBOKMUTVV7A").as_deref(),
            Some("609629065308")
        );
    }

    #[test]
    fn old_format_ids_carry_no_account() {
        assert_eq!(account_id("AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(account_id("AKIAJ2FAN53GZUWG6CJZ"), None);
        assert_eq!(account_id("AKIA"), None);
        assert_eq!(account_id("AKIA0000000000000000"), None);
    }

    #[test]
    fn kinds() {
        assert_eq!(kind("AKIAQ3EGQ7FEXAMPLE12"), Some(Kind::LongTerm));
        assert_eq!(kind("ASIAY34FZKBOKMUTVV7A"), Some(Kind::Temporary));
        assert_eq!(kind("ABIAY34FZKBOKMUTVV7A"), Some(Kind::ServiceBearer));
        assert_eq!(kind("ACCAY34FZKBOKMUTVV7A"), Some(Kind::ContextSpecific));
        assert_eq!(kind("AIDAY34FZKBOKMUTVV7A"), None);
    }
}
