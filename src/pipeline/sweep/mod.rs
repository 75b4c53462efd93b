//! A workstation's home through the pipeline: every file of it, with archives opened and
//! the history of every git repository under it scanned; then the workstation's severity
//! model (keys at rest, copies, AWS ids paired with secrets in other files), findings
//! ordered by danger and by the places keys pile up, and the digest.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

mod at_rest;
mod digest;
mod pairing;
mod system;

use super::files::{self, ScanConfig, Stats};
use super::history::{self, BlobScan};
use super::{AwsCounts, Outcome, PlaceCount, Summary, SweepDigest};
use crate::filter::Silenced;
use crate::finding::{Finding, display_path};
use crate::source::git::{self, Selection};
use at_rest::at_rest;
use digest::{digest_of, place};
use pairing::pair_across_files;

/// What `sweep` leaves out unless `--no-default-excludes`: caches, toolchains and package
/// stores, which hold no secrets of the user's and most of a home's files. Gitignore
/// syntax, relative to the home (a leading `/` anchors there; without it, anywhere).
/// README.md and `keysweep sweep --help` list them; a test checks they agree.
pub const DEFAULT_EXCLUDES: &[&str] = &[
    "/.cache/",
    "/.rustup/",
    "/.cargo/registry/",
    "/.cargo/git/",
    "/.npm/",
    "/.pnpm-store/",
    "/.local/share/pnpm/",
    "/.yarn/cache/",
    "/.m2/repository/",
    "/.gradle/caches/",
    "/.gradle/wrapper/",
    "/go/pkg/mod/",
    "/.pyenv/versions/",
    "/.nvm/versions/",
    "/.sdkman/candidates/",
    "/.conda/pkgs/",
    "/.local/lib/",
    "/.local/share/containers/",
    "/.local/share/flatpak/",
    "/.local/share/Steam/",
    "/.vscode/extensions/",
    "/.vscode-server/",
    "/.kube/cache/",
    "/.julia/packages/",
    "/.nuget/packages/",
    "/.android/avd/",
    "/.debug/",
    "/Library/Caches/",
    "node_modules/",
    "__pycache__/",
    ".venv/",
    ".tox/",
];

#[derive(Debug, Clone)]
pub struct SweepConfig {
    pub home: PathBuf,
    /// The file scan of the home: archives on, excludes anchored at the home, and the
    /// repositories found listed (`scan.fs.find_repos`) unless `--no-history`: their
    /// histories are scanned too, with the same size limit and threads.
    pub scan: ScanConfig,
    /// `--system`: also the machine's own SSH server, its files under this root (`/`, or
    /// `--system-root DIR`).
    pub system: Option<PathBuf>,
}

/// Sweeps the home: its files, the histories of the repositories in it, then the severity
/// model of keys at rest and the digest.
pub fn sweep(cfg: &SweepConfig) -> anyhow::Result<Outcome> {
    let start = Instant::now();
    let md = std::fs::metadata(&cfg.home)
        .map_err(|e| anyhow::anyhow!("cannot sweep {}: {e}", cfg.home.display()))?;
    if !md.is_dir() {
        anyhow::bail!("cannot sweep {}: not a directory", cfg.home.display());
    }
    // A `.keysweep.toml` and `.keysweep-baseline.json` in the home (or named) apply.
    let settings = cfg.scan.filter.resolve(&cfg.scan.root(), &cfg.scan.rules)?;
    let scanner = settings.rules.scanner(cfg.scan.scan)?;
    let stats = Stats::default();
    // Not streamed: a sweep's report is ordered by the places keys pile up, and says
    // which copies in a repository's history the work tree already shows.
    let walked = files::walk_showing_progress(
        &cfg.scan,
        &settings,
        &scanner,
        &stats,
        None,
        Some(&cfg.home),
    );
    let (mut findings, walked) = walked?;
    // The work trees of the repositories found that the walk of the home did not cover:
    // linked worktrees (or a worktree's main checkout) elsewhere share the history found
    // here, but their files are their own.
    let elsewhere = checkouts_outside(&walked.repos, &cfg.home);
    if !elsewhere.is_empty() {
        let mut more = cfg.scan.clone();
        more.fs.paths = elsewhere;
        more.fs.find_repos = false;
        let (mut found, _) =
            files::walk_showing_progress(&more, &settings, &scanner, &stats, None, None)?;
        findings.append(&mut found);
    }

    let mut history_summary = Summary::default();
    // Empty unless the walk was asked to find repositories.
    if !walked.repos.is_empty() {
        git::configure();
    }
    let repos = distinct_repos(walked.repos);
    if !repos.is_empty() {
        let ctx = BlobScan {
            scanner: &scanner,
            threads: cfg.scan.fs.threads,
            max_blob_size: cfg.scan.fs.max_file_size,
            disclosure: cfg.scan.disclosure,
            quiet: cfg.scan.output.quiet,
            exposure: settings.rules.exposure_checks(),
        };
        let whole = Selection::All { all_objects: false };
        let mut from_history = Vec::new();
        for repo in &repos {
            if crate::interrupt::requested() {
                break;
            }
            match history::scan_repo(&ctx, &whole, repo, &mut history_summary) {
                Ok(found) => {
                    from_history.extend(found.into_iter().map(|f| {
                        let at = display_path(&repo.join(&f.path));
                        (at, f)
                    }));
                }
                Err(e) => crate::messages::problem_error(format_args!("{e:#}")),
            }
        }
        // A secret still in a work tree is reported there, with its file's mode; history
        // adds only what the work tree no longer shows.
        let on_disk: HashSet<(&str, &str)> = findings
            .iter()
            .map(|f| (f.id.as_str(), f.path.as_str()))
            .collect();
        // An exposure's id is keyed by its path, which history gives relative to the
        // repository: the same door is matched by what it is and where.
        let doors_on_disk: HashSet<(&str, &str, &str)> = findings
            .iter()
            .filter(|f| f.advice.is_some())
            .map(|f| (f.rule.as_str(), f.name.as_str(), f.path.as_str()))
            .collect();
        let new: Vec<Finding> = from_history
            .into_iter()
            .filter(|(at, f)| {
                !on_disk.contains(&(f.id.as_str(), at.as_str()))
                    && !doors_on_disk.contains(&(f.rule.as_str(), f.name.as_str(), at.as_str()))
            })
            .map(|(_, f)| f)
            .collect();
        findings.extend(new);
    }

    at_rest(&cfg.home, &mut findings);
    pair_across_files(&cfg.home, &mut findings);
    if let Some(root) = &cfg.system {
        let checks = system::Checks {
            weak: settings.rules.allows(crate::exposure::SSHD_WEAK_CHECK),
            permissions: settings.rules.allows(super::PERMISSIONS_CHECK),
            quiet: cfg.scan.output.quiet,
            fix: cfg.scan.fix_permissions,
        };
        findings.extend(system::check(root, &checks));
    }
    let mut silenced = Silenced::default();
    let mut findings = settings.filter.apply(findings, &mut silenced);
    let home = display_path(&cfg.home);
    // Most dangerous first: each file (or repository path) by its most severe finding,
    // its findings kept together; ties in the order of the places keys pile up.
    let mut worst: HashMap<(Option<String>, String), crate::rules::Severity> = HashMap::new();
    for f in &findings {
        let key = (f.git().map(|g| g.repository.clone()), f.path.clone());
        let w = worst.entry(key).or_insert(f.severity);
        *w = (*w).max(f.severity);
    }
    let danger = |f: &Finding| {
        let key = (f.git().map(|g| g.repository.clone()), f.path.clone());
        std::cmp::Reverse(worst.get(&key).copied().unwrap_or(f.severity))
    };
    findings.sort_by(|a, b| {
        let ka = (danger(a), place(&home, a).0, a.git().map(|g| &g.repository));
        let kb = (danger(b), place(&home, b).0, b.git().map(|g| &g.repository));
        (ka, a.sort_key()).cmp(&(kb, b.sort_key()))
    });
    let mut summary = files::summarise(&findings, &stats, start);
    summary.blobs = history_summary.blobs;
    summary.bytes += history_summary.bytes;
    summary.skipped += history_summary.skipped;
    summary.skipped_too_large += history_summary.skipped_too_large;
    summary.shallow = history_summary.shallow;
    summary.silenced = silenced;
    summary.sweep = Some(digest_of(&home, &findings, repos.len()));

    Ok(Outcome {
        findings,
        summary,
        rules: scanner.rules().cloned().collect(),
    })
}

/// The checkouts of `repos` (their linked worktrees, and the main checkout of a linked
/// worktree) that are not under `home`, and so were not walked with it.
fn checkouts_outside(repos: &[PathBuf], home: &Path) -> Vec<PathBuf> {
    let home = std::fs::canonicalize(home).unwrap_or_else(|_| home.to_path_buf());
    let mut out = Vec::new();
    for path in repos {
        let Ok(repo) = git2::Repository::open(path) else {
            continue;
        };
        let mut checkouts = Vec::new();
        if repo.is_worktree() {
            // The main checkout's `.git` is the common directory.
            if let Some(main) = repo.commondir().parent()
                && repo.commondir().file_name().is_some_and(|n| n == ".git")
            {
                checkouts.push(main.to_path_buf());
            }
        }
        for name in repo
            .worktrees()
            .iter()
            .flat_map(|w| w.iter().flatten().flatten())
        {
            if let Ok(wt) = repo.find_worktree(name) {
                checkouts.push(wt.path().to_path_buf());
            }
        }
        for c in checkouts {
            let Ok(c) = std::fs::canonicalize(&c) else {
                continue;
            };
            if !c.starts_with(&home) && c.is_dir() && !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out.sort();
    out
}

/// One entry per repository: a worktree and its main checkout share one history.
fn distinct_repos(found: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for path in found {
        let key = match git2::Repository::open(&path) {
            Ok(r) => std::fs::canonicalize(r.commondir()).unwrap_or_else(|_| path.clone()),
            // Reported when its history is scanned.
            Err(_) => path.clone(),
        };
        if seen.insert(key) {
            out.push(path);
        }
    }
    out
}
