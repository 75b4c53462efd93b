//! `keysweep hook`: the git hooks. `pre-commit` scans what is being committed,
//! `pre-push` exactly the commits being pushed (every ref, no cap). Both fail closed: any
//! error blocks with exit 2, because a broken hook must never let a secret through.
//! `install` / `uninstall` manage the hook scripts, touching only the ones they wrote.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use crate::exit::ExitCode;
use crate::filter::Silenced;
use crate::finding::{Disclosure, Finding};
use crate::pipeline::history::{BlobScan, scan_listed};
use crate::pipeline::settings::{FilterOptions, Settings};
use crate::pipeline::{RuleSelection, Summary};
use crate::scan::ScanOptions;
use crate::source::git;

mod install;
mod push;

use install::{install, uninstall};
use push::pre_push;

#[derive(Debug, Clone)]
pub enum HookConfig {
    PreCommit {
        rules: RuleSelection,
        filter: FilterOptions,
    },
    PrePush {
        rules: RuleSelection,
        filter: FilterOptions,
        remote: String,
        /// The URL git pushes to, when it says.
        url: Option<String>,
    },
    Install(InstallConfig),
    Uninstall,
}

#[derive(Debug, Clone)]
pub struct InstallConfig {
    pub pre_commit: bool,
    pub pre_push: bool,
    pub force: bool,
    /// Keep a hook keysweep did not write as `<hook>.local`, run before keysweep.
    pub chain: bool,
}

pub fn run(cfg: &HookConfig) -> anyhow::Result<ExitCode> {
    match cfg {
        HookConfig::PreCommit { rules, filter } => {
            fail_closed("commit", "git commit --no-verify", || {
                pre_commit(rules, filter)
            })
        }
        HookConfig::PrePush {
            rules,
            filter,
            remote,
            url,
        } => fail_closed("push", "git push --no-verify", || {
            pre_push(rules, filter, remote, url.as_deref())
        }),
        HookConfig::Install(c) => install(c),
        HookConfig::Uninstall => uninstall(),
    }
}

/// Runs a hook; any error becomes exit 2 with a message saying the action is blocked.
fn fail_closed(
    action: &str,
    skip: &str,
    hook: impl FnOnce() -> anyhow::Result<ExitCode>,
) -> anyhow::Result<ExitCode> {
    match hook() {
        // Ctrl-C stops the scan early: what it did not reach is not vouched for.
        Ok(_) if crate::interrupt::requested() => {
            crate::messages::note(format_args!("interrupted: {action} blocked"));
            Ok(ExitCode::Interrupted)
        }
        Ok(code) => Ok(code),
        Err(e) => {
            crate::messages::note(format_args!("the {action} check failed: {e:#}"));
            crate::messages::note(format_args!(
                "{action} blocked. `{skip}` skips the check if you have decided to."
            ));
            Ok(ExitCode::Error)
        }
    }
}

/// The repository the hook runs in. Its loose objects are not yet checked (see
/// [`git::guard_while`]): nothing may read an object from it before they are.
pub(super) fn repo_here() -> anyhow::Result<(git2::Repository, PathBuf)> {
    // Before anything touches libgit2 (see `git::configure`).
    git::configure();
    let repo = git2::Repository::open_from_env().context("not inside a git repository")?;
    let path = repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf();
    Ok((repo, path))
}

/// The config and baseline at the repository's root, with the command line's options.
pub(super) fn settings(
    rules: &RuleSelection,
    filter: &FilterOptions,
    path: &Path,
) -> anyhow::Result<Settings> {
    let mut s = filter.resolve(path, rules)?;
    s.exclude_repository_paths()?;
    Ok(s)
}

pub(super) fn scan(
    settings: &Settings,
    repo: &git2::Repository,
    path: &Path,
    h: &git::History,
) -> anyhow::Result<(Vec<Finding>, Silenced)> {
    let scanner = settings.rules.scanner(ScanOptions::default())?;
    let ctx = BlobScan {
        scanner: &scanner,
        threads: crate::source::fs::default_threads(),
        max_blob_size: u64::MAX,
        disclosure: Disclosure::Redacted,
        quiet: true,
        exposure: settings.rules.exposure_checks(),
    };
    let mut summary = Summary::default();
    let problems = crate::messages::problems_mark();
    let findings = scan_listed(&ctx, repo, path, h, None, &mut summary);
    // `scan_listed` reports the walk's problems and every object it could not read.
    let errors = crate::messages::problems_since(problems);
    if errors > 0 {
        bail!(
            "{} object(s) could not be read{}",
            errors,
            h.problems
                .first()
                .map(|p| format!(": {p}"))
                .unwrap_or_default()
        );
    }
    let mut silenced = Silenced::default();
    let mut findings = settings.filter.apply(findings, &mut silenced);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok((findings, silenced))
}

fn pre_commit(rules: &RuleSelection, filter: &FilterOptions) -> anyhow::Result<ExitCode> {
    let (repo, path) = repo_here()?;
    let settings = git::guard_while(&repo, || {
        // Loading git's index reads no object; libgit2 keeps it for `staged`.
        let _ = repo.index();
        settings(rules, filter, &path)
    })
    .context("checking the loose objects")??;
    let index_file = std::env::var_os("GIT_INDEX_FILE").map(PathBuf::from);
    let h = git::staged(&repo, &path, index_file.as_deref())?;
    let (findings, silenced) = scan(&settings, &repo, &path, &h)?;
    if findings.is_empty() {
        return Ok(ExitCode::Clean);
    }
    let mut err = io::stderr().lock();
    blocked(&mut err, "commit", "the staged changes", &findings, false)?;
    write_silenced(&mut err, &silenced)?;
    writeln!(
        err,
        "\nTo get it out of this commit: remove the secret from the file (or `git rm --cached <file>`\n\
         and add the file to .gitignore), `git add` the result, and commit again. Then rotate the\n\
         secret if it has been anywhere else.\n\
         If you have decided this is not a secret, `git commit --no-verify` skips the check."
    )?;
    Ok(ExitCode::Findings)
}

/// Whether this hook was run by the pre-commit framework (which sets `PRE_COMMIT=1` for
/// every hook it runs, and the `PRE_COMMIT_REMOTE_*` variables for pre-push).
pub(super) fn under_pre_commit() -> bool {
    ["PRE_COMMIT", "PRE_COMMIT_REMOTE_NAME", "PRE_COMMIT_TO_REF"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// The head of a hook's report: what is blocked, how many secrets, and each one (file,
/// line, what, the redacted secret and, for pushes, the commit that brought it).
pub(super) fn blocked(
    out: &mut dyn Write,
    action: &str,
    place: &str,
    findings: &[Finding],
    with_commit: bool,
) -> io::Result<()> {
    let n = match findings.len() {
        1 => "1 secret".to_string(),
        n => format!("{n} secrets"),
    };
    writeln!(out, "keysweep: {action} blocked: {n} in {place}")?;
    for f in findings {
        let mut line = format!(
            "  {}:{}:{}  {}  {}  {}",
            crate::report::printable(&f.path),
            f.line,
            f.column,
            f.severity,
            f.name,
            f.secret
        );
        if with_commit && let Some(c) = f.git().and_then(|g| g.commit.as_deref()) {
            line.push_str(&format!("  (commit {})", &c[..c.len().min(12)]));
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// What the filters let through, when they silenced anything: so that a blocked user
/// knows the baseline and allow comments were honoured.
pub(super) fn write_silenced(out: &mut dyn Write, s: &Silenced) -> io::Result<()> {
    match crate::report::human::silenced(s) {
        Some(text) => writeln!(out, "  (also silenced: {text})"),
        None => Ok(()),
    }
}
