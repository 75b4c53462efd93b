//! What a scan covers: [`Selection`] (every ref, with or without every object in the
//! store, or a range of commits), where the walk starts for it (the tips: every ref and
//! every checkout's HEAD, read even where libgit2 would skip them), and what a push sends.

use std::collections::HashSet;
use std::path::Path;

use git2::{ObjectType, Oid, Repository};

use super::GitError;
use super::open::store_problems;

/// Which commits to take blobs from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every ref (and, with `all_objects`, every object in the store).
    All { all_objects: bool },
    /// Commits reachable from `include` (revisions, or [`ALL_REFS`]) and not from
    /// `exclude` (`A..B`, `--since A`, a push). Only blobs the commits add or change (against their parents) are listed.
    Range {
        include: Vec<String>,
        exclude: Vec<String>,
    },
}

/// In [`Selection::Range`]'s `include`: every ref (and HEAD), as the whole-history scan
/// takes them. Not a revision git could parse.
pub const ALL_REFS: &str = "--all";

/// Starts `revwalk` at the commits `selection` covers: every tip ([`push_tips`]) for the
/// whole history, with `--all-objects` every commit in the store too (and every blob, to
/// `loose_tips`); for a range, its revisions, hiding what it excludes. What cannot be
/// read is added to `problems`; a revision that cannot be parsed is an error.
pub(super) fn start_walk(
    repo: &Repository,
    path: &Path,
    odb: &git2::Odb<'_>,
    selection: &Selection,
    revwalk: &mut git2::Revwalk<'_>,
    loose_tips: &mut Vec<(Oid, ObjectType)>,
    problems: &mut Vec<String>,
) -> Result<(), GitError> {
    let walk_err = |source| GitError::Walk {
        path: path.to_path_buf(),
        source,
    };
    match selection {
        Selection::All { all_objects } => {
            problems.extend(store_problems(repo));
            push_tips(repo, revwalk, loose_tips, problems).map_err(walk_err)?;
            if *all_objects {
                // Dangling commits (dropped stashes, rewritten history) are walked like
                // any other; blobs no commit reaches are listed without an origin.
                let mut all = Vec::new();
                odb.foreach(|oid| {
                    all.push(*oid);
                    true
                })
                .map_err(walk_err)?;
                for oid in all {
                    match odb.read_header(oid) {
                        Ok((_, ObjectType::Commit)) => {
                            if let Err(e) = revwalk.push(oid) {
                                problems.push(format!("commit {oid}: {}", e.message()));
                            }
                        }
                        Ok((_, ObjectType::Blob)) => loose_tips.push((oid, ObjectType::Blob)),
                        Ok(_) => {}
                        Err(e) => problems.push(format!("object {oid}: {}", e.message())),
                    }
                }
            }
        }
        Selection::Range { include, exclude } => {
            let rev_err = |spec: &str, source| GitError::Revision {
                path: path.to_path_buf(),
                spec: spec.to_string(),
                source,
            };
            for spec in include {
                if spec == ALL_REFS {
                    push_tips(repo, revwalk, loose_tips, problems).map_err(walk_err)?;
                    continue;
                }
                let obj = repo.revparse_single(spec).map_err(|e| rev_err(spec, e))?;
                revwalk.push(obj.id()).map_err(|e| rev_err(spec, e))?;
            }
            for spec in exclude {
                let obj = repo.revparse_single(spec).map_err(|e| rev_err(spec, e))?;
                // What is new is judged against each in-range commit's parents (below),
                // so excluded tips need no tree walk of their own: hooks stay fast on
                // repositories with many remote refs.
                revwalk.hide(obj.id()).map_err(|e| rev_err(spec, e))?;
            }
        }
    }
    Ok(())
}

/// Starts the walk from every tip ([`tips`]): commits are pushed (in the order found,
/// HEAD's last, which keeps the walk's order what it always was), trees and blobs a ref
/// names directly go to `loose_tips`; what cannot be pushed is a problem.
fn push_tips(
    repo: &Repository,
    revwalk: &mut git2::Revwalk<'_>,
    loose_tips: &mut Vec<(Oid, ObjectType)>,
    problems: &mut Vec<String>,
) -> Result<(), git2::Error> {
    for (oid, kind) in tips(repo, problems)? {
        match kind {
            ObjectType::Commit => {
                if let Err(e) = revwalk.push(oid) {
                    problems.push(format!("commit {oid}: {}", e.message()));
                }
            }
            kind => loose_tips.push((oid, kind)),
        }
    }
    // HEAD is a tip already (its errors were reported there).
    if let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) {
        let _ = revwalk.push(head.id());
    }
    Ok(())
}

/// What every ref points at (peeled through tags), with its kind, and every checkout's
/// HEAD (the main one's and each linked worktree's, with their per-worktree refs). A ref
/// that cannot be read or peeled is a problem, never skipped in silence: an unreadable
/// tip is history that is not scanned.
fn tips(
    repo: &Repository,
    problems: &mut Vec<String>,
) -> Result<Vec<(Oid, ObjectType)>, git2::Error> {
    let mut out = Vec::new();
    let mut listed = HashSet::new();
    for r in repo.references()? {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("ref: {}", e.message()));
                continue;
            }
        };
        let name = String::from_utf8_lossy(r.name_bytes()).into_owned();
        // A symbolic ref (`refs/remotes/origin/HEAD`) names another ref, listed itself.
        if r.kind() != Some(git2::ReferenceType::Symbolic) {
            peel_tip(&r, &name, &mut out, problems);
        }
        listed.insert(name);
    }
    // libgit2 leaves out a ref file it cannot parse without a word (and, seen from a
    // linked worktree, the main one's per-worktree refs): every file under `refs/` not
    // listed is read here, and is a problem if it is not a ref.
    let common = repo.commondir();
    for name in loose_ref_files(&common.join("refs"), "refs") {
        if !listed.contains(&name) {
            file_tip(
                repo,
                &listed,
                &name,
                &common.join(&name),
                &mut out,
                problems,
            );
        }
    }
    // Every checkout's HEAD and per-worktree refs (`refs/bisect`, `refs/worktree`): a
    // detached HEAD in a linked worktree may be all that reaches its commits.
    file_tip(
        repo,
        &listed,
        "HEAD",
        &common.join("HEAD"),
        &mut out,
        problems,
    );
    if let Ok(linked) = std::fs::read_dir(common.join("worktrees")) {
        for wt in linked.flatten() {
            let dir = wt.path();
            let label = format!("worktrees/{}", wt.file_name().to_string_lossy());
            if dir.join("HEAD").is_file() {
                file_tip(
                    repo,
                    &listed,
                    &format!("{label}/HEAD"),
                    &dir.join("HEAD"),
                    &mut out,
                    problems,
                );
            }
            for name in loose_ref_files(&dir.join("refs"), "refs") {
                file_tip(
                    repo,
                    &listed,
                    &format!("{label}/{name}"),
                    &dir.join(&name),
                    &mut out,
                    problems,
                );
            }
        }
    }
    // Once each, in the order found: the walk visits commits in the order their tips are
    // pushed, and ref order keeps the versions of a directory next to each other (sorted
    // by id, openssh-portable's walk compared 44% more tree entries, its scan 20% slower).
    let mut seen = HashSet::new();
    out.retain(|&(oid, _)| seen.insert(oid));
    Ok(out)
}

/// The names (`<name>/...`) of the loose ref files under `dir`, as far as they can be
/// listed.
fn loose_ref_files(dir: &Path, name: &str) -> Vec<String> {
    fn walk(dir: &Path, name: &str, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let file = e.file_name().to_string_lossy().into_owned();
            let name = format!("{name}/{file}");
            match e.file_type() {
                Ok(t) if t.is_dir() => walk(&e.path(), &name, out),
                // Lock files of a ref being written are not refs.
                Ok(_) if file.ends_with(".lock") => {}
                Ok(_) => out.push(name),
                Err(_) => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, name, &mut out);
    out.sort();
    out
}

/// Adds what the ref file at `path` (a sha, or `ref: <name>`) points at to `out`, or says
/// why it cannot be read. A symbolic ref to a branch not born yet points at nothing.
fn file_tip(
    repo: &Repository,
    listed: &HashSet<String>,
    name: &str,
    path: &Path,
    out: &mut Vec<(Oid, ObjectType)>,
    problems: &mut Vec<String>,
) {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) => return problems.push(format!("ref {name:?}: {e}")),
    };
    let text = String::from_utf8_lossy(&text);
    let text = text.trim();
    if let Some(target) = text.strip_prefix("ref:") {
        let target = target.trim();
        // A branch listed already (and said, if it could not be read).
        if listed.contains(target) {
            return;
        }
        match repo.find_reference(target) {
            Ok(r) => peel_tip(&r, name, out, problems),
            Err(e) if e.code() == git2::ErrorCode::NotFound => {}
            Err(e) => problems.push(format!("ref {name:?}: {}", e.message())),
        }
        return;
    }
    let oid = match Oid::from_str(text) {
        Ok(oid) if text.len() == 40 => oid,
        _ => return problems.push(format!("ref {name:?}: not a readable ref")),
    };
    match repo
        .find_object(oid, None)
        .and_then(|o| o.peel(ObjectType::Any))
    {
        Ok(obj) => match obj.kind() {
            Some(kind @ (ObjectType::Commit | ObjectType::Tree | ObjectType::Blob)) => {
                out.push((obj.id(), kind))
            }
            _ => problems.push(format!("ref {name:?}: points at {}", obj.id())),
        },
        Err(e) => problems.push(format!("ref {name:?}: {}", e.message())),
    }
}

/// Adds what `r` points at to `out`, or says why it cannot be read.
fn peel_tip(
    r: &git2::Reference<'_>,
    name: &str,
    out: &mut Vec<(Oid, ObjectType)>,
    problems: &mut Vec<String>,
) {
    match r.peel(ObjectType::Any) {
        Ok(obj) => match obj.kind() {
            Some(kind @ (ObjectType::Commit | ObjectType::Tree | ObjectType::Blob)) => {
                out.push((obj.id(), kind))
            }
            kind => problems.push(format!(
                "ref {name}: points at {} {}",
                kind.map_or("an object of unknown kind", |k| k.str()),
                obj.id()
            )),
        },
        Err(e) => problems.push(format!("ref {name}: {}", e.message())),
    }
}

/// The commits a push sends: everything reachable from the pushed shas that the remote
/// is not known to have. `pushed` holds a `(local sha, remote sha)` pair for each ref
/// pushed (deletions push nothing, and are left out), the remote sha all zeros for a ref
/// the remote does not have yet. What the remote has is judged by the remote shas git
/// hands the hook (the remote's current value of each pushed ref, when we have that
/// object), never by local remote-tracking refs, which may name commits the remote has
/// since dropped. When that does not settle it (a new branch, or a remote sha we do
/// not have), `remote_has` is asked for the refs the remote advertises (`git ls-remote`):
/// a pushed sha it advertises sends nothing, and its branches bound what is new.
pub fn push_selection(
    repo: &Repository,
    pushed: &[(String, String)],
    remote_has: &mut dyn FnMut() -> anyhow::Result<Vec<(Oid, String)>>,
) -> anyhow::Result<Selection> {
    let mut include = Vec::new();
    let mut exclude = Vec::new();
    let mut in_doubt = false;
    for (local_sha, remote_sha) in pushed {
        include.push(local_sha.clone());
        match Oid::from_str(remote_sha) {
            Ok(o) if !o.is_zero() && is_commit(repo, o) => exclude.push(o),
            _ => in_doubt = true,
        }
    }
    if in_doubt {
        let advertised = remote_has()?;
        let has: HashSet<Oid> = advertised.iter().map(|(o, _)| *o).collect();
        include.retain(|sha| !Oid::from_str(sha).is_ok_and(|o| has.contains(&o)));
        // Only its branches (and HEAD) are hidden from the walk: hiding every tag and
        // pull-request head too made libgit2's revwalk parse most of the history (12 s
        // for git/git's 5,300 refs). A commit only those reach is scanned again, which
        // costs time, never a missed key.
        exclude.extend(
            advertised
                .iter()
                .filter(|(o, name)| {
                    (name == "HEAD" || name.starts_with("refs/heads/")) && is_commit(repo, *o)
                })
                .map(|(o, _)| *o),
        );
    }
    include.sort();
    include.dedup();
    exclude.sort();
    exclude.dedup();
    Ok(Selection::Range {
        include,
        exclude: exclude.iter().map(Oid::to_string).collect(),
    })
}

/// Whether `oid` is a commit in the object store (read from its header only).
fn is_commit(repo: &Repository, oid: Oid) -> bool {
    repo.odb()
        .and_then(|odb| odb.read_header(oid))
        .is_ok_and(|(_, kind)| kind == ObjectType::Commit)
}

/// The branches (and, with `tags`, the tags) `remote` (a remote's name or URL)
/// advertises, with their shas, from `git ls-remote`, run in the repository. Leaving out
/// the rest (pull-request heads, notes) keeps the listing small: 8 lines rather than
/// 5,300 for git/git. An error if git cannot list them: the push cannot be judged then.
pub fn ls_remote(
    repo: &Repository,
    remote: &str,
    tags: bool,
) -> anyhow::Result<Vec<(Oid, String)>> {
    use anyhow::Context as _;
    let dir = repo.workdir().unwrap_or_else(|| repo.path());
    let mut args = vec!["ls-remote", "--heads"];
    if tags {
        args.push("--tags");
    }
    args.extend(["--", remote]);
    let out = std::process::Command::new("git")
        .args(&args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .context("running `git ls-remote`")?;
    if !out.status.success() {
        anyhow::bail!(
            "`git ls-remote {remote:?}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8(out.stdout).context("`git ls-remote` printed non-UTF-8")?;
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (sha, name) = l.split_once('\t').unwrap_or((l, ""));
            let oid =
                Oid::from_str(sha).with_context(|| format!("`git ls-remote` printed {l:?}"))?;
            Ok((oid, name.to_string()))
        })
        .collect()
}

/// The tips a push from this repository could send: every local branch and tag, and
/// HEAD. For when the refs being pushed are not known (the pre-commit framework).
pub fn local_tips(repo: &Repository) -> anyhow::Result<Vec<Oid>> {
    let mut out = Vec::new();
    for glob in ["refs/heads/*", "refs/tags/*"] {
        for r in repo.references_glob(glob)? {
            let r = r?;
            let name = String::from_utf8_lossy(r.name_bytes()).into_owned();
            let obj = r
                .peel(ObjectType::Any)
                .map_err(|e| anyhow::anyhow!("ref {name}: {}", e.message()))?;
            // A tag of a tree or blob carries no commits.
            if obj.kind() == Some(ObjectType::Commit) {
                out.push(obj.id());
            }
        }
    }
    match repo.head() {
        Ok(h) => out.push(h.peel_to_commit()?.id()),
        Err(e)
            if e.code() == git2::ErrorCode::UnbornBranch
                || e.code() == git2::ErrorCode::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    out.sort();
    out.dedup();
    Ok(out)
}
