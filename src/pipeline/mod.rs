//! The pipeline: sources → scan core → findings. Sources (`crate::source`) turn files,
//! archives and git objects into bytes with a place; one [`blob::BlobScanner`] per thread
//! runs the scan core over them and makes findings (`crate::enrich`); the filters
//! (`crate::filter`) drop what a baseline, an inline allow or the settings silence; the
//! result is an [`Outcome`]: findings in report order, the run's [`Summary`] and the rules
//! used. Commands (`crate::cmd`) only choose what to run and write the outcome.
//!
//! - `files`: a walk of files and folders (and the archives in them), with the permission
//!   audit;
//! - `history`: every blob of a repository's history, once, placed at the commit that
//!   brought it;
//! - `sweep`: a workstation's home: files, then the histories found, then the severity
//!   model of keys at rest;
//! - `settings`: the config file, baseline and rule selection a run resolves at its root;
//! - `stream`: findings printed as they are found (`--format jsonl`).

pub mod blob;
pub mod files;
pub mod history;
pub mod progress;
pub mod rule_check;
pub mod settings;
pub mod stream;
pub mod summary;
pub mod sweep;

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::finding::Finding;
use crate::rules::{Rule, RuleSet};
use crate::scan::{ScanOptions, Scanner};

pub use summary::{AwsCounts, PlaceCount, Summary, SweepDigest};

/// The permission audit's id in `--rule` / `--skip-rule` (it is a check, not a signature).
pub const PERMISSIONS_CHECK: &str = crate::finding::PERMISSIONS_RULE;

/// A check that is not a signature: its id (for `--rule` / `--skip-rule`), what it finds,
/// its category and the severity of its worst findings (`rules list` shows them).
pub struct Check {
    pub id: &'static str,
    pub name: &'static str,
    pub category: crate::finding::Category,
    pub severity: crate::finding::Severity,
}

/// The checks that are not signatures: the permission audit, the exposure checks and the
/// private keys found by their structure (`enrich::key_file`).
pub fn checks() -> [Check; 10] {
    use crate::enrich::key_file as k;
    use crate::exposure as x;
    use crate::finding::{Category, PERMISSIONS_RULE_NAME, Severity};
    [
        Check {
            id: PERMISSIONS_CHECK,
            name: PERMISSIONS_RULE_NAME,
            category: Category::InsecurePermissions,
            severity: Severity::Critical,
        },
        Check {
            id: x::SSH_OPEN_CHECK,
            name: x::SSH_OPEN_NAME,
            category: Category::SshOpenToWorld,
            severity: Severity::High,
        },
        Check {
            id: x::SSHD_WEAK_CHECK,
            name: x::SSHD_WEAK_NAME,
            category: Category::SshdWeakSetting,
            severity: Severity::Critical,
        },
        Check {
            id: x::AWS_KEY_RISK_CHECK,
            name: x::AWS_KEY_RISK_NAME,
            category: Category::AwsKeyRisk,
            severity: Severity::High,
        },
        Check {
            id: k::DER_RULE,
            name: k::DER_NAME,
            category: Category::PrivateKey,
            severity: Severity::Critical,
        },
        Check {
            id: k::PKCS12_RULE,
            name: k::PKCS12_NAME,
            category: Category::PrivateKey,
            severity: Severity::Critical,
        },
        Check {
            id: k::KEYSTORE_RULE,
            name: k::KEYSTORE_NAME,
            category: Category::PrivateKey,
            severity: Severity::High,
        },
        Check {
            id: k::JWK_RULE,
            name: k::JWK_NAME,
            category: Category::PrivateKey,
            severity: Severity::Critical,
        },
        Check {
            id: k::BASE64_RULE,
            name: k::BASE64_NAME,
            category: Category::PrivateKey,
            severity: Severity::Critical,
        },
        Check {
            id: k::SECRET_KEYSTORE_RULE,
            name: k::SECRET_KEYSTORE_NAME,
            category: Category::Other(k::SECRET_KEY_CATEGORY.to_string()),
            severity: Severity::High,
        },
    ]
}

/// The rule ids of the keys found by their structure that `selection` leaves out: their
/// findings are made with the others' and dropped by the filter.
pub fn unselected_structures(selection: &RuleSelection) -> Vec<String> {
    use crate::enrich::key_file as k;
    [
        k::DER_RULE,
        k::PKCS12_RULE,
        k::KEYSTORE_RULE,
        k::JWK_RULE,
        k::BASE64_RULE,
        k::SECRET_KEYSTORE_RULE,
    ]
    .into_iter()
    .filter(|id| !selection.allows(id))
    .map(str::to_string)
    .collect()
}

/// Which rules a run uses: the built-in signatures, the user's, less those skipped.
#[derive(Debug, Clone)]
pub struct RuleSelection {
    pub signature_dirs: Vec<PathBuf>,
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

impl RuleSelection {
    /// Whether rule (or check) `id` is selected.
    pub fn allows(&self, id: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|r| r == id))
            && !self.skip.iter().any(|r| r == id)
    }

    /// Which exposure checks are selected.
    pub fn exposure_checks(&self) -> crate::exposure::Checks {
        use crate::exposure as x;
        x::Checks {
            open: self.allows(x::SSH_OPEN_CHECK),
            weak: self.allows(x::SSHD_WEAK_CHECK),
            risk: self.allows(x::AWS_KEY_RISK_CHECK),
        }
    }

    pub fn load(&self) -> anyhow::Result<RuleSet> {
        let mut set = RuleSet::load(&self.signature_dirs).context("loading signatures")?;
        for id in self.only.iter().chain(&self.skip) {
            if !checks().iter().any(|c| c.id == id) && !set.rules.iter().any(|r| &r.id == id) {
                anyhow::bail!("no rule has the id {id:?} (see `keysweep rules list`)");
            }
        }
        set.retain(|r| self.allows(&r.id));
        Ok(set)
    }

    /// Builds the scanner. User signatures are compiled up front, so that a bad pattern is
    /// an error now rather than a rule that silently never matches.
    pub fn scanner(&self, options: ScanOptions) -> anyhow::Result<Scanner> {
        let set = self.load()?;
        let scanner = Scanner::new(&set, options).context("building the scanner")?;
        if !self.signature_dirs.is_empty() {
            scanner.compile_all().context("compiling signatures")?;
        }
        Ok(scanner)
    }
}

/// What a scanning command found, filtered, with the rules it used (SARIF lists them).
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub rules: Vec<Rule>,
}

impl Outcome {
    /// Joins the outcomes of runs over several roots (each filtered by its own config and
    /// baseline) into one report: totals added, counts by severity and reused keys worked
    /// out again over all the findings, in report order.
    pub fn join(parts: Vec<Outcome>, elapsed: std::time::Duration) -> Outcome {
        let mut summary = Summary::default();
        let mut findings = Vec::new();
        let mut rules: Vec<Rule> = Vec::new();
        for part in parts {
            let s = part.summary;
            summary.files += s.files;
            summary.blobs += s.blobs;
            summary.history |= s.history;
            summary.archive_entries += s.archive_entries;
            summary.bytes += s.bytes;
            summary.skipped += s.skipped;
            summary.skipped_too_large += s.skipped_too_large;
            summary.errors += s.errors;
            summary.shallow |= s.shallow;
            summary.interrupted |= s.interrupted;
            summary.silenced.add(&s.silenced);
            findings.extend(part.findings);
            for rule in part.rules {
                if !rules.iter().any(|r| r.id == rule.id) {
                    rules.push(rule);
                }
            }
        }
        fn repo(f: &Finding) -> Option<&str> {
            f.git().map(|g| g.repository.as_str())
        }
        findings.sort_by(|a, b| (repo(a), a.sort_key()).cmp(&(repo(b), b.sort_key())));
        summary.finish(&findings, elapsed);
        Outcome {
            findings,
            summary,
            rules,
        }
    }
}

/// Runs `run` on the paths of each root (see [`group_by_root`]) with that root, in
/// order, and joins what the runs found into one outcome; a lone root's outcome is
/// returned as it is. Ctrl-C stops before the next root.
pub fn per_root(
    paths: &[PathBuf],
    mut run: impl FnMut(&Path, Vec<PathBuf>) -> anyhow::Result<Outcome>,
) -> anyhow::Result<Outcome> {
    let start = std::time::Instant::now();
    let mut groups = group_by_root(paths);
    if groups.len() == 1 {
        let (root, paths) = groups.remove(0);
        return run(&root, paths);
    }
    let mut parts = Vec::new();
    for (root, paths) in groups {
        if crate::interrupt::requested() {
            break;
        }
        parts.push(run(&root, paths)?);
    }
    Ok(Outcome::join(parts, start.elapsed()))
}

/// `paths` grouped by the root their settings are discovered at (`settings::root_of`), in
/// the order the roots first appear: each repository or folder named is filtered by its
/// own config and baseline, whatever else is named beside it.
pub fn group_by_root(paths: &[PathBuf]) -> Vec<(PathBuf, Vec<PathBuf>)> {
    let mut groups: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
    for p in paths {
        let root = settings::root_of(p);
        match groups.iter_mut().find(|(r, _)| *r == root) {
            Some((_, members)) => members.push(p.clone()),
            None => groups.push((root, vec![p.clone()])),
        }
    }
    groups
}
