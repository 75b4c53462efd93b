//! Signatures: loading, validating and describing the rules the scan core is built from.
//!
//! Rules are data (`signatures/*.toml`, compiled into the binary, extendable with
//! `--signatures DIR`). This module parses and checks their shape; it never scans bytes
//! itself (that is `scan`) and never prints (that is `cmd::rules`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::finding::{Category, Severity};

/// The signature files compiled into the binary, one per provider, masked by build.rs
/// (each byte XORed with `MASK`) so that their example keys are not in the binary in
/// clear: otherwise a scan of a folder holding keysweep reports keysweep.
const BUILTIN: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/builtin_signatures.rs"));

/// Keep in step with `MASK` in build.rs.
const MASK: u8 = 0xa5;

fn unmask(masked: &[u8]) -> String {
    let bytes: Vec<u8> = masked.iter().map(|b| b ^ MASK).collect();
    String::from_utf8(bytes).expect("signature files are UTF-8 (build.rs read them)")
}

impl Rule {
    /// What a finding of this rule starts as.
    pub fn detector(&self) -> crate::finding::Detector<'_> {
        crate::finding::Detector {
            rule: &self.id,
            name: &self.name,
            category: &self.category,
            severity: self.severity,
        }
    }
}

/// Errors found while loading signatures. Each names the file and, where it can, the rule.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("reading signature file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("parsing signature file {file}")]
    Parse {
        file: String,
        #[source]
        source: Box<toml::de::Error>,
    },
    #[error("signature file {file}, rule {rule}: {message}")]
    Invalid {
        file: String,
        rule: String,
        message: String,
    },
    #[error("rule id {0:?} is defined twice")]
    Duplicate(String),
}

/// A named check that runs after a rule's regex has matched. Validators look at the
/// whole haystack around the match (word boundaries, carriers) and at the captured secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validator {
    /// A PEM-armoured private key (or PGP / SSH2 armour) with a real base64 body,
    /// whatever carrier it sits in (JSON escapes, indentation, quoted lines, CRLF).
    PemPrivateKey,
    /// A base64-encoded PEM private key, as in Kubernetes `Secret` manifests.
    Base64PemPrivateKey,
    /// A PuTTY `.ppk` key file (v2 or v3) with its key lines present.
    PuttyPrivateKey,
    /// An AWS access key id standing on its own (not inside a longer token).
    AwsKeyId,
    /// A 40-character AWS secret access key: random-looking, not hex, not a token fragment.
    AwsSecretKey,
    /// An AWS session token: a long base64 value, not a fragment of a longer token.
    AwsSessionToken,
    /// [`Validator::AwsSecretKey`] for a match that starts inside its label (at `ecret`):
    /// the label must be `secret…access…key`, or `secret…key` after `aws`.
    AwsLabelledSecret,
    /// [`Validator::AwsSessionToken`] for a match that starts inside its label (at
    /// `ession` or `ecurity`): `session…token`, or `security…token` after `aws` or `x-amz-`.
    AwsLabelledSessionToken,
    /// A GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) or npm (`npm_`) token whose last six
    /// characters are the CRC32 of the thirty before them, standing on its own.
    GithubToken,
    /// An `age` secret key whose bech32 checksum holds.
    AgeSecretKey,
    /// A WireGuard `PrivateKey =` of 32 bytes in an `[Interface]` section.
    WireguardPrivateKey,
    /// A PyPI API token: `pypi-` and a macaroon whose binary structure holds (see
    /// `scan::token::pypi_macaroon`), standing on its own.
    PypiToken,
    /// A provider token with no checksum (fine-grained GitHub, GitLab, Docker Hub, Stripe,
    /// Google API keys, Slack, Anthropic, OpenAI, Postman, Azure Storage account keys,
    /// Vault, Terraform, DigitalOcean, Databricks, Atlassian, Shopify, Linear):
    /// standing on its own, its random part not a placeholder (an Azure key also the
    /// canonical base64 of 64 bytes).
    ProviderToken,
}

/// How far around a keyword hit the rule's regex may look. Bounded so that a hit costs
/// a small, fixed amount of work however large the file is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub before: usize,
    pub after: usize,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            before: 64,
            after: 256,
        }
    }
}

/// One signature, as written in a `signatures/*.toml` file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub category: Category,
    pub severity: Severity,
    /// Literals the prefilter looks for. Every match contains at least one of them.
    pub keywords: Vec<String>,
    /// A byte regex with exactly one capture group: the secret.
    pub pattern: String,
    /// What must follow a keyword for its hit to count for this rule, as one byte class
    /// repeated a fixed number of times (`[A-Z2-7]{16}`): where every match has its
    /// keyword so followed, a hit that is not (a fragment, `AKIA=`) is no hit at all. Such
    /// hits cost no verification and do not bound their neighbours' windows.
    #[serde(default)]
    pub hit_then: Option<String>,
    #[serde(default)]
    pub window: Window,
    #[serde(default)]
    pub min_entropy: Option<f64>,
    #[serde(default)]
    pub validator: Option<Validator>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
    /// Where the rule came from (`builtin:aws.toml` or a path); not part of the file format.
    #[serde(skip_deserializing, default)]
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(rename = "rule")]
    rules: Vec<Rule>,
}

/// Every rule the scanner will use, in a stable order (file order, then rule order).
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

impl RuleSet {
    /// The rules compiled into the binary.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::default();
        for (name, text) in BUILTIN {
            set.add_file(&format!("builtin:{name}"), &unmask(text))?;
        }
        Ok(set)
    }

    /// The built-in rules plus every `*.toml` file in each of `dirs`.
    pub fn load(dirs: &[PathBuf]) -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::builtin()?;
        for dir in dirs {
            set.add_dir(dir)?;
        }
        Ok(set)
    }

    fn add_dir(&mut self, dir: &Path) -> Result<(), RuleError> {
        let read_err = |source| RuleError::Read {
            path: dir.to_path_buf(),
            source,
        };
        let mut files: Vec<PathBuf> = if dir.is_file() {
            vec![dir.to_path_buf()]
        } else {
            std::fs::read_dir(dir)
                .map_err(read_err)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect()
        };
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(|source| RuleError::Read {
                path: path.clone(),
                source,
            })?;
            self.add_file(&path.display().to_string(), &text)?;
        }
        Ok(())
    }

    fn add_file(&mut self, file: &str, text: &str) -> Result<(), RuleError> {
        let parsed: RuleFile = toml::from_str(text).map_err(|e| RuleError::Parse {
            file: file.to_string(),
            source: Box::new(e),
        })?;
        for mut rule in parsed.rules {
            rule.source = file.to_string();
            check_shape(file, &rule)?;
            if self.rules.iter().any(|r| r.id == rule.id) {
                return Err(RuleError::Duplicate(rule.id));
            }
            self.rules.push(rule);
        }
        Ok(())
    }

    /// Keeps only the rules `keep` accepts (used by `--rule` / `--skip-rule`).
    pub fn retain(&mut self, keep: impl Fn(&Rule) -> bool) {
        self.rules.retain(keep);
    }
}

/// Checks what can be checked without compiling the regex: cheap, so it runs at every
/// start-up. Compiling and running the examples is `rules check`.
fn check_shape(file: &str, rule: &Rule) -> Result<(), RuleError> {
    let invalid = |message: String| RuleError::Invalid {
        file: file.to_string(),
        rule: rule.id.clone(),
        message,
    };
    if rule.id.is_empty()
        || !rule
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(invalid(
            "id must be lowercase letters, digits and '-'".into(),
        ));
    }
    if rule.keywords.is_empty() {
        return Err(invalid("at least one keyword is required".into()));
    }
    if let Some(k) = rule.keywords.iter().find(|k| k.len() < 3) {
        return Err(invalid(format!(
            "keyword {k:?} is shorter than 3 bytes; it would make the prefilter useless"
        )));
    }
    if rule.window.before + rule.window.after > 1 << 20 {
        return Err(invalid("window is larger than 1 MiB".into()));
    }
    if let Some(then) = &rule.hit_then {
        HitThen::parse(then).map_err(|e| invalid(format!("hit_then: {e}")))?;
    }
    Ok(())
}

/// A parsed [`Rule::hit_then`]: a set of bytes and how many of them must follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HitThen {
    pub bytes: [bool; 256],
    pub count: usize,
}

impl HitThen {
    pub fn parse(text: &str) -> Result<HitThen, String> {
        use regex_syntax::hir::{Class, HirKind};
        let hir = regex_syntax::ParserBuilder::new()
            .utf8(false)
            .unicode(false)
            .build()
            .parse(text)
            .map_err(|e| e.to_string())?;
        let shape = || format!("{text:?} is not one byte class repeated a fixed number of times");
        let HirKind::Repetition(rep) = hir.kind() else {
            return Err(shape());
        };
        let count = match (rep.min, rep.max) {
            (min, Some(max)) if min == max && (1..=64).contains(&min) => min as usize,
            _ => return Err(shape()),
        };
        let mut bytes = [false; 256];
        match rep.sub.kind() {
            HirKind::Class(Class::Bytes(c)) => {
                for r in c.iter() {
                    for b in r.start()..=r.end() {
                        bytes[b as usize] = true;
                    }
                }
            }
            HirKind::Class(Class::Unicode(c)) => {
                for r in c.iter() {
                    for ch in r.start()..=r.end().min('\u{7f}') {
                        bytes[ch as usize] = true;
                    }
                }
            }
            HirKind::Literal(l) if l.0.len() == 1 => bytes[l.0[0] as usize] = true,
            _ => return Err(shape()),
        }
        Ok(HitThen { bytes, count })
    }

    /// Whether `hay` has the shape at `at`.
    #[inline]
    pub fn fits(&self, hay: &[u8], at: usize) -> bool {
        hay.get(at..at + self.count)
            .is_some_and(|run| run.iter().all(|&b| self.bytes[b as usize]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_then_is_one_class_a_fixed_number_of_times() {
        let t = HitThen::parse("[A-Z2-7]{16}").unwrap();
        assert_eq!(t.count, 16);
        assert!(t.fits(b"AKIAJ2FAN53GZUWG6CJZ", 4));
        assert!(!t.fits(b"AKIAJ2FAN53GZUWG6CJ", 4));
        assert!(!t.fits(b"AKIAJ2FAN53GZUWG6cJZ", 4));
        for bad in [
            "[A-Z]+",
            "[A-Z]{2,16}",
            "ab{3}",
            "(",
            "[A-Z]{0}",
            "[A-Z]{65}",
        ] {
            assert!(HitThen::parse(bad).is_err(), "{bad}");
        }
    }

    /// The built-in set is searched with Slim Teddy in its tuned order (`scan::Scanner`'s
    /// `slim`), whatever its size; its eight buckets are crowded at 57 strings (the pass
    /// costs 1.02x to 1.44x the 44-string one's,
    /// benches/results/2026-12-02-prefilter-second.md) and every string added costs clean
    /// text more than the last, so a new rule must share a keyword, join an anchor, or be
    /// priced first (`keyword_order`'s ignored test `cheapest_additions`). Keywords of 4
    /// bytes or more keep its fingerprint at 4 bytes. The strings are the keywords, less
    /// those found through a shared anchor (the `-----BEGIN` armours, `ession_token` and
    /// `essionToken`) or through a keyword inside them (`AGE-SECRET-KEY-1`), plus the scan's
    /// markers.
    #[test]
    fn the_builtin_keywords_fit_the_fast_prefilter() {
        let set = RuleSet::builtin().unwrap();
        let scanner = crate::scan::Scanner::new(&set, Default::default()).unwrap();
        assert!(
            scanner.prefilter_strings() <= 57,
            "{} strings",
            scanner.prefilter_strings()
        );
        if cfg!(target_arch = "x86_64") && std::arch::is_x86_feature_detected!("ssse3") {
            assert!(scanner.slim_prefilter());
        }
        let mut keywords: Vec<&str> = set
            .rules
            .iter()
            .flat_map(|r| r.keywords.iter().map(String::as_str))
            .collect();
        keywords.sort_unstable();
        keywords.dedup();
        assert!(keywords.iter().all(|k| k.len() >= 4), "{keywords:?}");
    }
}
