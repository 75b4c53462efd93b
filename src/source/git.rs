//! The git history source: every blob reachable from every ref (branches, tags,
//! remote-tracking refs, stash, notes), optionally every object in the object store, or
//! only what a range of commits introduced. Each distinct blob is listed once, however
//! many commits contain it, with every path it appears at and the oldest commit that
//! brought it there.
//!
//! The walk visits commits oldest first (topological, parents before children) and each
//! `(tree, path)` pair once: a subtree unchanged since an earlier commit is never read
//! again, so the cost is the number of distinct trees, not commits × files. Reading the
//! blobs themselves is the caller's (`read_blobs`), in parallel, one repository handle per
//! thread, since libgit2 handles are not shared between threads.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use git2::{ObjectType, Oid, Repository, Sort, TreeWalkMode};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{path}: not a git repository (or not readable)")]
    Open {
        path: PathBuf,
        #[source]
        source: git2::Error,
    },
    #[error("{path}: bad revision or range {spec:?}")]
    Revision {
        path: PathBuf,
        spec: String,
        #[source]
        source: git2::Error,
    },
    #[error("{path}: walking history")]
    Walk {
        path: PathBuf,
        #[source]
        source: git2::Error,
    },
}

/// Which commits to take blobs from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every ref (and, with `all_objects`, every object in the store).
    All { all_objects: bool },
    /// Commits reachable from `include` and not from `exclude` (`A..B`, `--since A`, a
    /// push). Only blobs the commits add or change (against their parents) are listed.
    Range {
        include: Vec<String>,
        exclude: Vec<String>,
    },
}

/// One place a blob appears: a path in the tree of the oldest commit that has it there.
#[derive(Debug, Clone)]
pub struct Origin {
    pub path: Vec<u8>,
    /// Index into [`History::commits`]; `None` for a blob no commit reaches.
    pub commit: Option<usize>,
}

#[derive(Debug, Default)]
pub struct History {
    /// Distinct blobs to scan, in the order the walk met them.
    pub blobs: Vec<Oid>,
    pub origins: HashMap<Oid, Vec<Origin>>,
    /// Commits in walk order (oldest first).
    pub commits: Vec<Oid>,
    /// Blobs in the tree of HEAD (for `present_at_head`).
    pub at_head: HashSet<Oid>,
    pub shallow: bool,
    /// Objects that could not be read during the walk, with the error (reported once each).
    pub problems: Vec<String>,
}

/// Process-wide libgit2 settings for history scans. Call once, before any repository is
/// opened. Blobs are read once each and scanned, so caching them would only cost memory.
/// Re-hashing every object on read (libgit2's strict verification, collision-detecting
/// SHA-1) took 60% of a history scan's time in profiles; `git cat-file` does not do it
/// either, and a scanner needs the bytes, not proof of their id. Corrupt objects still
/// fail to inflate or parse and are reported.
pub fn configure() {
    git2::opts::strict_hash_verification(false);
    // SAFETY: libgit2's global options must not change while other threads use libgit2;
    // this runs before any repository is opened or any thread started.
    let _ = unsafe { git2::opts::set_cache_object_limit(ObjectType::Blob, 0) };
}

pub fn open(path: &Path) -> Result<Repository, GitError> {
    Repository::open(path).map_err(|source| GitError::Open {
        path: path.to_path_buf(),
        source,
    })
}

/// Lists the blobs of `repo` that `selection` covers, with their origins.
pub fn walk(repo: &Repository, path: &Path, selection: &Selection) -> Result<History, GitError> {
    let walk_err = |source| GitError::Walk {
        path: path.to_path_buf(),
        source,
    };
    let mut h = History {
        shallow: repo.is_shallow(),
        ..History::default()
    };
    let mut revwalk = repo.revwalk().map_err(walk_err)?;
    revwalk
        .set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
        .map_err(walk_err)?;
    let mut seen = Seen::default();
    let mut loose_tips: Vec<Oid> = Vec::new();
    match selection {
        Selection::All { all_objects } => {
            for r in repo.references().map_err(walk_err)?.flatten() {
                let Ok(obj) = r.peel(ObjectType::Any) else {
                    continue;
                };
                match obj.kind() {
                    Some(ObjectType::Commit) => {
                        let _ = revwalk.push(obj.id());
                    }
                    // A tag or ref pointing at a tree or blob directly.
                    Some(ObjectType::Tree | ObjectType::Blob) => loose_tips.push(obj.id()),
                    _ => {}
                }
            }
            if let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) {
                let _ = revwalk.push(head.id());
            }
            if *all_objects {
                // Dangling commits (dropped stashes, rewritten history) are walked like
                // any other; blobs no commit reaches are listed without an origin.
                let odb = repo.odb().map_err(walk_err)?;
                let mut all = Vec::new();
                odb.foreach(|oid| {
                    all.push(*oid);
                    true
                })
                .map_err(walk_err)?;
                for oid in all {
                    match odb.read_header(oid) {
                        Ok((_, ObjectType::Commit)) => {
                            let _ = revwalk.push(oid);
                        }
                        Ok((_, ObjectType::Blob)) => loose_tips.push(oid),
                        Ok(_) => {}
                        Err(e) => h.problems.push(format!("object {oid}: {}", e.message())),
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
    let range = matches!(selection, Selection::Range { .. });
    for oid in revwalk {
        let oid = match oid {
            Ok(o) => o,
            Err(e) => {
                h.problems.push(format!("history: {}", e.message()));
                continue;
            }
        };
        let commit = match repo.find_commit(oid) {
            Ok(c) => c,
            Err(e) => {
                h.problems.push(format!("commit {oid}: {}", e.message()));
                continue;
            }
        };
        if range {
            // In a range, a parent outside it holds what the remote already has.
            for parent in commit.parents() {
                if let Ok(tree) = parent.tree() {
                    mark_tree(repo, &tree, &mut seen, &mut h.problems);
                }
            }
        }
        let index = h.commits.len();
        h.commits.push(oid);
        match commit.tree() {
            Ok(tree) => {
                let prefix = Vec::new();
                let at = At {
                    commit: Some(index),
                    root: Some(&tree),
                };
                visit_tree(repo, &tree, &prefix, at, &mut seen, &mut h);
            }
            Err(e) => h.problems.push(format!("tree of {oid}: {}", e.message())),
        }
    }
    for oid in loose_tips {
        match repo.find_object(oid, None) {
            Ok(obj) if obj.kind() == Some(ObjectType::Tree) => {
                if let Some(tree) = obj.as_tree() {
                    let at = At {
                        commit: None,
                        root: None,
                    };
                    visit_tree(repo, tree, &[], at, &mut seen, &mut h);
                }
            }
            Ok(_) => {
                if seen.blobs_listed.insert(oid) {
                    h.blobs.push(oid);
                    h.origins.entry(oid).or_default().push(Origin {
                        path: Vec::new(),
                        commit: None,
                    });
                }
            }
            Err(e) => h.problems.push(format!("object {oid}: {}", e.message())),
        }
    }
    if let Ok(tree) = repo.head().and_then(|r| r.peel_to_tree()) {
        let _ = tree.walk(TreeWalkMode::PreOrder, |_, entry| {
            if entry.kind() == Some(ObjectType::Blob) {
                h.at_head.insert(entry.id());
            }
            0
        });
    }
    Ok(h)
}

#[derive(Default)]
struct Seen {
    /// `(tree, path)` pairs already walked.
    trees: HashSet<(Oid, u64)>,
    /// `(blob, path)` pairs already recorded.
    blob_paths: HashSet<(Oid, u64)>,
    blobs_listed: HashSet<Oid>,
    /// Paths a blob was renamed to (not origins of their own, but places it lives).
    renamed_to: HashMap<Oid, Vec<Vec<u8>>>,
}

fn path_hash(path: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    path.hash(&mut h);
    h.finish()
}

fn join(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(prefix.len() + 1 + name.len());
    p.extend_from_slice(prefix);
    if !prefix.is_empty() {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// The commit a tree walk is in: its index and root tree.
#[derive(Clone, Copy)]
struct At<'t, 'r> {
    commit: Option<usize>,
    root: Option<&'t git2::Tree<'r>>,
}

/// A blob met at a new path was renamed there, not copied, when no path it was known at
/// before still holds it in this commit: a rename keeps its first path (one finding), a
/// copy is a second place the secret lives.
fn is_rename(
    root: Option<&git2::Tree<'_>>,
    blob: Oid,
    earlier: &[Origin],
    renamed_to: Option<&Vec<Vec<u8>>>,
) -> bool {
    let Some(root) = root else { return false };
    if earlier.is_empty() {
        return false;
    }
    let known = earlier
        .iter()
        .map(|o| &o.path)
        .chain(renamed_to.into_iter().flatten());
    let mut still_there = false;
    for path in known {
        if let Ok(p) = std::str::from_utf8(path)
            && matches!(root.get_path(Path::new(p)), Ok(e) if e.id() == blob)
        {
            still_there = true;
            break;
        }
    }
    !still_there
}

fn visit_tree(
    repo: &Repository,
    tree: &git2::Tree<'_>,
    prefix: &[u8],
    at: At<'_, '_>,
    seen: &mut Seen,
    h: &mut History,
) {
    if !seen.trees.insert((tree.id(), path_hash(prefix))) {
        return;
    }
    for entry in tree.iter() {
        let path = join(prefix, entry.name_bytes());
        match entry.kind() {
            Some(ObjectType::Blob) => {
                let oid = entry.id();
                if seen.blob_paths.insert((oid, path_hash(&path))) {
                    if seen.blobs_listed.insert(oid) {
                        h.blobs.push(oid);
                    }
                    let origins = h.origins.entry(oid).or_default();
                    if is_rename(at.root, oid, origins, seen.renamed_to.get(&oid)) {
                        seen.renamed_to.entry(oid).or_default().push(path);
                    } else {
                        origins.push(Origin {
                            path,
                            commit: at.commit,
                        });
                    }
                }
            }
            Some(ObjectType::Tree) => match repo.find_tree(entry.id()) {
                Ok(sub) => {
                    visit_tree(repo, &sub, &path, at, seen, h);
                }
                Err(e) => h.problems.push(format!(
                    "tree {} at {}: {}",
                    entry.id(),
                    String::from_utf8_lossy(&path),
                    e.message()
                )),
            },
            // Gitlinks (submodule commits) live in another repository.
            _ => {}
        }
    }
}

/// Marks everything in `tree` as already seen, without listing it.
fn mark_tree(
    repo: &Repository,
    tree: &git2::Tree<'_>,
    seen: &mut Seen,
    problems: &mut Vec<String>,
) {
    let mut h = History::default();
    let at = At {
        commit: None,
        root: None,
    };
    visit_tree(repo, tree, &[], at, seen, &mut h);
    problems.append(&mut h.problems);
    for oid in h.blobs {
        seen.blobs_listed.remove(&oid);
    }
}

/// Reads every blob in `blobs` on `threads` threads (each with its own repository
/// handle), in batches taken in walk order, calling `visit` with the blob's bytes. Blobs
/// larger than `max_size` are passed to `skipped`; unreadable ones to `error`.
pub fn read_blobs<V, M>(path: &Path, blobs: &[Oid], threads: usize, max_size: u64, make: M)
where
    M: Fn() -> V + Sync,
    V: FnMut(BlobEvent<'_>),
{
    const BATCH: usize = 64;
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                let mut visit = make();
                let repo = match Repository::open(path) {
                    Ok(r) => r,
                    Err(e) => {
                        visit(BlobEvent::Error {
                            blob: None,
                            message: format!("opening repository: {}", e.message()),
                        });
                        return;
                    }
                };
                let Ok(odb) = repo.odb() else { return };
                loop {
                    let start = next.fetch_add(BATCH, Ordering::Relaxed);
                    if start >= blobs.len() {
                        break;
                    }
                    for &oid in &blobs[start..(start + BATCH).min(blobs.len())] {
                        match odb.read_header(oid) {
                            Ok((len, _)) if len as u64 > max_size => {
                                visit(BlobEvent::Skipped {
                                    blob: oid,
                                    len: len as u64,
                                });
                                continue;
                            }
                            _ => {}
                        }
                        match odb.read(oid) {
                            Ok(obj) => visit(BlobEvent::Blob {
                                blob: oid,
                                bytes: obj.data(),
                            }),
                            Err(e) => visit(BlobEvent::Error {
                                blob: Some(oid),
                                message: e.message().to_string(),
                            }),
                        }
                    }
                }
            });
        }
    });
}

pub enum BlobEvent<'a> {
    Blob { blob: Oid, bytes: &'a [u8] },
    Skipped { blob: Oid, len: u64 },
    Error { blob: Option<Oid>, message: String },
}

/// Author, email and date of a commit, for a finding's `git` facts.
pub struct CommitFacts {
    pub author: String,
    pub email: String,
    /// RFC 3339, in the commit's own time zone.
    pub date: String,
}

pub fn commit_facts(repo: &Repository, oid: Oid) -> Option<CommitFacts> {
    let c = repo.find_commit(oid).ok()?;
    let a = c.author();
    Some(CommitFacts {
        author: String::from_utf8_lossy(a.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(a.email_bytes()).into_owned(),
        date: rfc3339(a.when().seconds(), a.when().offset_minutes()),
    })
}

/// `seconds` since the epoch at UTC offset `offset_min`, as `YYYY-MM-DDTHH:MM:SS+HH:MM`.
pub fn rfc3339(seconds: i64, offset_min: i32) -> String {
    let local = seconds + i64::from(offset_min) * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let sign = if offset_min < 0 { '-' } else { '+' };
    let off = offset_min.unsigned_abs();
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        off / 60,
        off % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(rfc3339(1_795_000_000, 60), "2026-11-18T12:06:40+01:00");
        assert_eq!(rfc3339(951_782_400, -300), "2000-02-28T19:00:00-05:00");
    }
}

/// What a commit is about to record: the blobs of paths added or changed in the index
/// (the one git names in `GIT_INDEX_FILE` when set, so `git commit -a` and
/// `git commit <paths>` are covered) against HEAD.
pub fn staged(
    repo: &Repository,
    path: &Path,
    index_file: Option<&Path>,
) -> Result<History, GitError> {
    let err = |source| GitError::Walk {
        path: path.to_path_buf(),
        source,
    };
    let mut index = match index_file {
        Some(f) => git2::Index::open(f).map_err(err)?,
        None => repo.index().map_err(err)?,
    };
    // A fresh `Index::open` has no repository behind it; diffing needs the odb's view.
    if index_file.is_some() {
        let _ = index.read(true);
    }
    let head = match repo.head() {
        Ok(h) => Some(h.peel_to_tree().map_err(err)?),
        // An unborn branch (first commit): everything staged is new.
        Err(e)
            if e.code() == git2::ErrorCode::UnbornBranch
                || e.code() == git2::ErrorCode::NotFound =>
        {
            None
        }
        Err(e) => return Err(err(e)),
    };
    let diff = repo
        .diff_tree_to_index(head.as_ref(), Some(&index), None)
        .map_err(err)?;
    let mut h = History::default();
    for delta in diff.deltas() {
        use git2::Delta::*;
        if !matches!(
            delta.status(),
            Added | Modified | Renamed | Copied | Typechange
        ) {
            continue;
        }
        let file = delta.new_file();
        if file.mode() == git2::FileMode::Commit {
            continue; // a submodule's commit, not a blob
        }
        let oid = file.id();
        let p = file.path_bytes().unwrap_or_default().to_vec();
        if !h.origins.contains_key(&oid) {
            h.blobs.push(oid);
        }
        h.origins.entry(oid).or_default().push(Origin {
            path: p,
            commit: None,
        });
    }
    Ok(h)
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

/// The commits a push sends: everything reachable from the pushed shas that the remote
/// does not already have, judged by every ref we know it has (`refs/remotes/<remote>/*`)
/// and the shas it reported. Deletions push nothing.
pub fn push_selection(repo: &Repository, remote: &str, refs: &[PushedRef]) -> Selection {
    let mut include = Vec::new();
    let mut exclude = Vec::new();
    for r in refs.iter().filter(|r| !r.is_delete()) {
        include.push(r.local_sha.clone());
        let known = !r.remote_sha.bytes().all(|b| b == b'0')
            && Oid::from_str(&r.remote_sha)
                .ok()
                .is_some_and(|o| repo.find_commit(o).is_ok());
        if known {
            exclude.push(r.remote_sha.clone());
        }
    }
    if let Ok(iter) = repo.references_glob(&format!("refs/remotes/{remote}/*")) {
        for r in iter.flatten() {
            if let Some(oid) = r.target() {
                exclude.push(oid.to_string());
            }
        }
    }
    exclude.sort();
    exclude.dedup();
    Selection::Range { include, exclude }
}
