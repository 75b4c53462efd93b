//! `keysweep hook`: the git hooks. `pre-commit` scans what is being committed,
//! `pre-push` exactly the commits being pushed (every ref, no cap). Both fail closed: any
//! error blocks with exit 2, because a broken hook must never let a secret through.
//! `install` / `uninstall` manage the hook scripts, touching only the ones they wrote.

use std::io::{self, BufRead, Write};
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

/// The line that marks a hook script as ours.
const MARKER: &str = "# keysweep-hook:";

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

/// The name an existing hook is kept under when keysweep is chained after it.
fn chained_name(hook: &str) -> String {
    format!("{hook}.local")
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
fn repo_here() -> anyhow::Result<(git2::Repository, PathBuf)> {
    // Before anything touches libgit2 (see `git::configure`).
    git::configure();
    let repo = git2::Repository::open_from_env().context("not inside a git repository")?;
    let path = repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf();
    Ok((repo, path))
}

/// The config and baseline at the repository's root, with the command line's options.
fn settings(
    rules: &RuleSelection,
    filter: &FilterOptions,
    path: &Path,
) -> anyhow::Result<Settings> {
    let mut s = filter.resolve(path, rules)?;
    s.exclude_repository_paths()?;
    Ok(s)
}

fn scan(
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

fn pre_push(
    rules: &RuleSelection,
    filter: &FilterOptions,
    remote: &str,
    url: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let (repo, path) = repo_here()?;
    let (settings, mut refs) = git::guard_while(&repo, || -> anyhow::Result<_> {
        Ok((settings(rules, filter, &path)?, pushed_refs()?))
    })
    .context("checking the loose objects")??;
    // Where `git ls-remote` asks what the remote has: the URL git pushes to, if known.
    let remote_name = remote;
    let mut remote = url.unwrap_or(remote).to_string();
    // What is pushed where, as the user would recognise it.
    let pushed: Vec<String> = refs
        .iter()
        .filter(|r| !r.is_delete())
        .map(|r| short_ref(&r.remote_ref).to_string())
        .collect();
    let mut place = format!(
        "the commits being pushed to {}{} ({})",
        crate::report::printable(remote_name),
        match url {
            Some(u) if u != remote_name => format!(" at {}", crate::report::printable(u)),
            _ => String::new(),
        },
        crate::report::printable(&pushed.join(", "))
    );
    // The pre-commit framework runs pre-push hooks without stdin, and names at most one
    // pushed ref in its environment (none for a push of a root commit, only the first of
    // several refs), so what is pushed cannot be known: every local branch and tag (and
    // HEAD) is checked, for all the remote does not have.
    let conservative = refs.is_empty() && under_pre_commit();
    if conservative {
        let env = |name: &str| std::env::var(name).ok().filter(|s| !s.is_empty());
        if let Some(r) = env("PRE_COMMIT_REMOTE_URL").or_else(|| env("PRE_COMMIT_REMOTE_NAME")) {
            remote = r;
        }
        let zero = "0".repeat(40);
        let mut tips = git::local_tips(&repo)?;
        if let Some(to) = env("PRE_COMMIT_TO_REF") {
            tips.push(repo.revparse_single(&to).context("PRE_COMMIT_TO_REF")?.id());
        }
        for tip in tips {
            refs.push(PushedRef {
                local_ref: String::new(),
                local_sha: tip.to_string(),
                remote_ref: String::new(),
                remote_sha: zero.clone(),
            });
        }
        place = format!(
            "the local commits {} does not have (the pre-commit framework does not say \
             which refs are pushed, so every local branch and tag is checked)",
            crate::report::printable(&remote)
        );
    }
    // Deletions push nothing.
    let pushes: Vec<(String, String)> = refs
        .iter()
        .filter(|r| !r.is_delete())
        .map(|r| (r.local_sha.clone(), r.remote_sha.clone()))
        .collect();
    // Under pre-commit every local tag is a tip: the remote's tags say which it has.
    let selection = git::push_selection(&repo, &pushes, &mut || {
        git::ls_remote(&repo, &remote, conservative)
    })?;
    let h = git::walk(&repo, &path, &selection)?;
    if std::env::var_os("KEYSWEEP_TIMINGS").is_some() {
        crate::messages::note(format_args!(
            "timing: {} trees visited, {} entries",
            h.trees_visited, h.entries_seen
        ));
    }
    let (findings, silenced) = scan(&settings, &repo, &path, &h)?;
    if findings.is_empty() {
        return Ok(ExitCode::Clean);
    }
    let mut err = io::stderr().lock();
    blocked(&mut err, "push", &place, &findings, true)?;
    write_silenced(&mut err, &silenced)?;
    // The rebase must start before the oldest commit that brought a secret: the walk
    // lists commits oldest first.
    let oldest = findings
        .iter()
        .filter_map(|f| f.git()?.commit.as_deref())
        .filter_map(|c| h.commits.iter().position(|o| o.to_string() == c))
        .min()
        .map(|i| h.commits[i].to_string())
        .unwrap_or_default();
    let short = &oldest[..oldest.len().min(12)];
    let upstream = pushed.first().map_or_else(
        || "<remote>/<branch>".to_string(),
        |b| format!("{}/{b}", crate::report::printable(remote_name)),
    );
    writeln!(
        err,
        "\nWays out:\n\
         \x20 - rewrite the unpushed history: `git rebase -i {short}^` and edit or drop the commit(s)\n\
         \x20   above (or `git reset --soft {upstream}` and commit again without the secret), then\n\
         \x20   push again; rotate the secret if it has been anywhere else;\n\
         \x20 - a test key or not a secret: put `keysweep:allow` on its line (amend the commit that\n\
         \x20   brought it), or accept it in the baseline (`keysweep baseline create --history`,\n\
         \x20   then commit .keysweep-baseline.json);\n\
         \x20 - if you have decided, `git push --no-verify` skips the check."
    )?;
    Ok(ExitCode::Findings)
}

/// One line of what git gives a pre-push hook on stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedRef {
    pub local_ref: String,
    pub local_sha: String,
    pub remote_ref: String,
    pub remote_sha: String,
}

impl PushedRef {
    /// Parses `<local ref> SP <local sha> SP <remote ref> SP <remote sha>`.
    pub fn parse(line: &str) -> Option<PushedRef> {
        let mut it = line.split_whitespace();
        let r = PushedRef {
            local_ref: it.next()?.to_string(),
            local_sha: it.next()?.to_string(),
            remote_ref: it.next()?.to_string(),
            remote_sha: it.next()?.to_string(),
        };
        let sha = |s: &str| s.len() >= 40 && s.bytes().all(|b| b.is_ascii_hexdigit());
        (it.next().is_none() && sha(&r.local_sha) && sha(&r.remote_sha)).then_some(r)
    }

    pub fn is_delete(&self) -> bool {
        self.local_sha.bytes().all(|b| b == b'0')
    }
}

/// The refs git hands a pre-push hook on stdin, one `<local ref> <sha> <remote ref> <sha>`
/// per line.
fn pushed_refs() -> anyhow::Result<Vec<PushedRef>> {
    let mut refs = Vec::new();
    for (i, line) in io::stdin().lock().lines().enumerate() {
        let line = line.context("reading the pushed refs from stdin")?;
        if line.trim().is_empty() {
            continue;
        }
        let r = PushedRef::parse(&line).with_context(|| {
            format!(
                "line {} of stdin is not `<local ref> <sha> <remote ref> <sha>`: {line:?}",
                i + 1
            )
        })?;
        refs.push(r);
    }
    Ok(refs)
}

/// `refs/heads/topic` → `topic`, `refs/tags/v1` → `v1`; other refs as they are.
fn short_ref(name: &str) -> &str {
    name.strip_prefix("refs/heads/")
        .or_else(|| name.strip_prefix("refs/tags/"))
        .unwrap_or(name)
}

/// Whether this hook was run by the pre-commit framework (which sets `PRE_COMMIT=1` for
/// every hook it runs, and the `PRE_COMMIT_REMOTE_*` variables for pre-push).
fn under_pre_commit() -> bool {
    ["PRE_COMMIT", "PRE_COMMIT_REMOTE_NAME", "PRE_COMMIT_TO_REF"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// The head of a hook's report: what is blocked, how many secrets, and each one (file,
/// line, what, the redacted secret and, for pushes, the commit that brought it).
fn blocked(
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
fn write_silenced(out: &mut dyn Write, s: &Silenced) -> io::Result<()> {
    match crate::report::human::silenced(s) {
        Some(text) => writeln!(out, "  (also silenced: {text})"),
        None => Ok(()),
    }
}

/// Where git looks for this repository's hooks: `core.hooksPath` (relative to the work
/// tree) if set, else `<git dir>/hooks`.
fn hooks_dir(repo: &git2::Repository) -> anyhow::Result<PathBuf> {
    let cfg = repo.config().context("reading the repository's config")?;
    if let Ok(p) = cfg.get_path("core.hooksPath") {
        let base = repo.workdir().unwrap_or_else(|| repo.path());
        return Ok(if p.is_absolute() { p } else { base.join(p) });
    }
    Ok(repo.path().join("hooks"))
}

fn script(hook: &str, chained: bool) -> String {
    let exe = std::env::current_exe()
        .ok()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let args = if hook == "pre-push" { " \"$@\"" } else { "" };
    let local = chained_name(hook);
    // The hook that was there runs first, with the same arguments and, for pre-push, the
    // same refs on stdin; its failure stops the action before keysweep runs.
    let (run_local, feed) = match (chained, hook == "pre-push") {
        (false, _) => (String::new(), ""),
        (true, false) => (
            format!("\"$(dirname \"$0\")/{local}\" \"$@\" || exit $?\n"),
            "",
        ),
        (true, true) => (
            format!(
                "refs=$(cat)\n\
                 printf '%s\\n' \"$refs\" | \"$(dirname \"$0\")/{local}\" \"$@\" || exit $?\n"
            ),
            "printf '%s\\n' \"$refs\" | ",
        ),
    };
    let chained_note = if chained {
        format!("# Chained: runs the hook that was here ({local}) first; uninstall puts it back.\n")
    } else {
        String::new()
    };
    format!(
        "#!/bin/sh\n\
         {MARKER} written by `keysweep hook install`; `keysweep hook uninstall` removes it.\n\
         {chained_note}\
         # Fails closed: if keysweep cannot run, the {hook} is blocked.\n\
         KEYSWEEP='{}'\n\
         [ -x \"$KEYSWEEP\" ] || KEYSWEEP=$(command -v keysweep) || {{\n\
         \x20   echo \"keysweep: not found; {hook} blocked (--no-verify skips the check)\" >&2\n\
         \x20   exit 2\n\
         }}\n\
         {run_local}\
         {feed}exec \"$KEYSWEEP\" hook {hook}{args}\n",
        exe.replace('\'', "'\\''")
    )
}

/// What to add to a hook keysweep did not write, to run keysweep from it.
fn snippet(hook: &str) -> String {
    if hook == "pre-push" {
        "  refs=$(cat)   # the pushed refs, read once; feed them to the rest of the hook too\n\
         \x20 printf '%s\\n' \"$refs\" | keysweep hook pre-push \"$@\" || exit $?"
            .into()
    } else {
        "  keysweep hook pre-commit || exit $?".into()
    }
}

fn install(c: &InstallConfig) -> anyhow::Result<ExitCode> {
    let (repo, _) = repo_here()?;
    let dir = hooks_dir(&repo)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let both = !c.pre_commit && !c.pre_push;
    let mut refused = false;
    for (hook, wanted) in [
        ("pre-commit", c.pre_commit || both),
        ("pre-push", c.pre_push || both),
    ] {
        if !wanted {
            continue;
        }
        let path = dir.join(hook);
        let local = dir.join(chained_name(hook));
        let mut ours = script(hook, local.exists());
        match std::fs::read_to_string(&path) {
            Ok(existing) if existing == ours => {
                println!("{hook}: already installed ({})", path.display());
                continue;
            }
            Ok(existing) if !existing.contains(MARKER) && c.chain => {
                if local.exists() {
                    anyhow::bail!(
                        "{} exists already; not chaining {} after it",
                        local.display(),
                        path.display()
                    );
                }
                std::fs::rename(&path, &local).with_context(|| {
                    format!("keeping {} as {}", path.display(), local.display())
                })?;
                ours = script(hook, true);
                println!(
                    "{hook}: kept the existing hook as {}; it runs first",
                    local.display()
                );
            }
            Ok(existing) if !existing.contains(MARKER) && !c.force => {
                crate::messages::note(format_args!(
                    "{} exists and was not written by keysweep; not overwriting it. \
                     `keysweep hook install --chain` keeps it and runs it first (--force \
                     replaces it); or add this to it yourself:",
                    path.display()
                ));
                eprintln!("{}", snippet(hook));
                refused = true;
                continue;
            }
            _ => {}
        }
        std::fs::write(&path, ours).with_context(|| format!("writing {}", path.display()))?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        println!("{hook}: installed ({})", path.display());
    }
    Ok(if refused {
        ExitCode::Error
    } else {
        ExitCode::Clean
    })
}

fn uninstall() -> anyhow::Result<ExitCode> {
    let (repo, _) = repo_here()?;
    let dir = hooks_dir(&repo)?;
    for hook in ["pre-commit", "pre-push"] {
        let path = dir.join(hook);
        match std::fs::read_to_string(&path) {
            Ok(s) if s.contains(MARKER) => {
                std::fs::remove_file(&path)?;
                println!("{hook}: removed ({})", path.display());
                // A hook keysweep was chained after goes back where it was.
                let local = dir.join(chained_name(hook));
                if local.exists() {
                    std::fs::rename(&local, &path)?;
                    println!(
                        "{hook}: put back the hook that was there ({})",
                        path.display()
                    );
                }
            }
            Ok(_) => println!("{hook}: not keysweep's, left alone ({})", path.display()),
            Err(_) => {}
        }
    }
    Ok(ExitCode::Clean)
}
