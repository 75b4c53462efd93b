//! `keysweep hook pre-push`: the refs git names on stdin (the pre-push protocol), or
//! under the pre-commit framework every local tip the remote lacks; exactly the commits
//! being pushed are scanned, and a blocked push says how to get the secret out.

use std::io::{self, BufRead, Write};

use anyhow::Context as _;

use super::{blocked, repo_here, scan, settings, under_pre_commit, write_silenced};
use crate::exit::ExitCode;
use crate::pipeline::RuleSelection;
use crate::pipeline::settings::FilterOptions;
use crate::source::git;

pub(super) fn pre_push(
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
