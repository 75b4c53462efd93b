//! The commit walk: every commit of the selection, oldest first, and each `(tree, path)`
//! pair once, listing each distinct blob with the paths it appears at and the oldest
//! commit that brought it there ([`History`]).

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;

use git2::{ObjectType, Oid, Repository, Sort};

use super::GitError;
use super::diff::{
    Changed, EntryKind, Version, entry_at, entry_bytes, entry_order, oid_of, split_changed,
    visit_diff,
};
use super::guard::take_guard_problems;
use super::select::{Selection, start_walk};

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
    pub origins: super::IdMap<Vec<Origin>>,
    /// Commits in walk order (oldest first).
    pub commits: Vec<Oid>,
    pub shallow: bool,
    /// Objects that could not be read during the walk, with the error (reported once each).
    pub problems: Vec<String>,
    /// What the walk cost, for `KEYSWEEP_TIMINGS`: the trees the tree walk read (a range's
    /// comparison of a commit's tree with its parent's is not counted)...
    pub trees_visited: u64,
    /// ...and the entries of those trees it looked at: those not unchanged since the
    /// version of their directory walked before.
    pub entries_seen: u64,
}

/// Lists the blobs of `repo` that `selection` covers, with their origins.
pub fn walk(repo: &Repository, path: &Path, selection: &Selection) -> Result<History, GitError> {
    walk_with_progress(repo, path, selection, &|_| {})
}

/// [`walk`], telling `progress` how many commits were walked, every 256 commits.
pub fn walk_with_progress(
    repo: &Repository,
    path: &Path,
    selection: &Selection,
    progress: &dyn Fn(usize),
) -> Result<History, GitError> {
    let walk_err = |source| GitError::Walk {
        path: path.to_path_buf(),
        source,
    };
    let mut h = History {
        shallow: repo.is_shallow(),
        problems: take_guard_problems(repo),
        ..History::default()
    };
    let mut revwalk = repo.revwalk().map_err(walk_err)?;
    revwalk
        .set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
        .map_err(walk_err)?;
    // Declared before `seen`, which keeps objects read from it.
    let odb = repo.odb().map_err(walk_err)?;
    let mut seen = Seen::default();
    // Trees and blobs to list beside what the commits reach, with their kind.
    let mut loose_tips: Vec<(Oid, ObjectType)> = Vec::new();
    start_walk(
        repo,
        path,
        &odb,
        selection,
        &mut revwalk,
        &mut loose_tips,
        &mut h.problems,
    )?;
    let range = matches!(selection, Selection::Range { .. });
    for oid in revwalk {
        // Ctrl-C: what was walked is scanned no further; the run says it was interrupted.
        if crate::interrupt::requested() {
            break;
        }
        let oid = match oid {
            Ok(o) => o,
            Err(e) => {
                h.problems.push(format!("history: {}", e.message()));
                continue;
            }
        };
        // In a range, what is new is judged against the commit's parents. With one parent,
        // the two trees are compared directly, reading only the subtrees that differ (as
        // `git diff-tree` does); a merge marks every parent's tree as seen first.
        let mut single_parent = None;
        // A range reads the whole commit anyway, and so has its tree already.
        let mut own_tree = None;
        if range {
            let commit = repo.find_commit(oid);
            if let Ok(c) = &commit {
                own_tree = Some(c.tree_id());
            }
            match commit {
                Ok(commit) if commit.parent_count() == 1 => {
                    single_parent = commit
                        .parent_id(0)
                        .ok()
                        .and_then(|p| commit_tree(&odb, p).ok());
                }
                Ok(commit) => {
                    for parent in commit.parents() {
                        mark_tree(&odb, parent.tree_id(), &mut seen, &mut h.problems);
                    }
                }
                Err(e) => h.problems.push(format!("commit {oid}: {}", e.message())),
            }
        }
        let index = h.commits.len();
        h.commits.push(oid);
        if index % 256 == 255 {
            progress(index + 1);
        }
        match own_tree.map_or_else(|| commit_tree(&odb, oid), Ok) {
            Ok(tree) => {
                let at = At {
                    commit: Some(index),
                };
                match single_parent {
                    Some(parent_tree) => visit_diff(
                        &odb,
                        tree,
                        parent_tree,
                        &[],
                        ROOT_HASH,
                        at,
                        &mut seen,
                        &mut h,
                    ),
                    None => visit_root(&odb, tree, at, &mut seen, &mut h),
                }
            }
            Err(e) => h.problems.push(format!("tree of {oid}: {}", e.message())),
        }
    }
    for (oid, kind) in loose_tips {
        if kind == ObjectType::Tree {
            let at = At { commit: None };
            visit_root(&odb, oid, at, &mut seen, &mut h);
        } else if !h.origins.contains_key(&oid) {
            // A blob no commit reaches (or a ref pointing straight at one). It is not
            // read here: reading it for the scan reports it if it cannot be read.
            h.blobs.push(oid);
            h.origins.insert(
                oid,
                vec![Origin {
                    path: Vec::new(),
                    commit: None,
                }],
            );
        }
    }
    h.trees_visited = seen.trees_visited;
    h.entries_seen = seen.entries_seen;
    Ok(h)
}

/// Walks a root tree unless this exact tree was walked before.
fn visit_root<'o>(odb: &'o git2::Odb<'_>, tree: Oid, at: At, seen: &mut Seen<'o>, h: &mut History) {
    if seen.trees.insert(key(tree, ROOT_HASH)) {
        visit_tree(odb, tree, &[], ROOT_HASH, at, seen, h);
    }
}

/// Marks everything in `tree` as already seen, without listing it.
fn mark_tree<'o>(
    odb: &'o git2::Odb<'_>,
    tree: Oid,
    seen: &mut Seen<'o>,
    problems: &mut Vec<String>,
) {
    let mut h = History::default();
    let at = At { commit: None };
    // Listed into a throwaway history: only `seen` keeps what was marked.
    visit_root(odb, tree, at, seen, &mut h);
    problems.append(&mut h.problems);
}

/// Records blob `oid` at `prefix/name` unless it was already recorded there: the first
/// time a blob is met it is listed for scanning, and each path it is met at is an origin
/// of its own, renames included: a secret is reported once per path it lived at (a
/// renamed file's old path may be long gone while its new one is still at HEAD).
pub(super) fn record_blob(
    oid: Oid,
    prefix: &[u8],
    name: &[u8],
    hash: u64,
    at: At,
    seen: &mut Seen<'_>,
    h: &mut History,
) {
    if !seen.blob_paths.insert(key(oid, hash)) {
        return;
    }
    let path = join(prefix, name);
    h.origins
        .entry(oid)
        .or_insert_with(|| {
            h.blobs.push(oid);
            Vec::new()
        })
        .push(Origin {
            path,
            commit: at.commit,
        });
}

#[allow(clippy::too_many_arguments)]
pub(super) fn visit_tree<'o>(
    odb: &'o git2::Odb<'_>,
    tree: Oid,
    prefix: &[u8],
    prefix_hash: u64,
    at: At,
    seen: &mut Seen<'o>,
    h: &mut History,
) {
    let malformed = |h: &mut History, why: &str| {
        h.problems.push(format!(
            "tree {tree} at {}: {why}",
            String::from_utf8_lossy(prefix)
        ));
    };
    let obj = match odb.read(tree) {
        Ok(obj) => obj,
        Err(e) => return malformed(h, e.message()),
    };
    let data = obj.data();
    let old = seen.last_at.remove(&prefix_hash);
    let Some(Changed {
        ends,
        new: changed,
        old: old_changed,
    }) = split_changed(old.as_ref(), data)
    else {
        return malformed(h, "malformed");
    };
    seen.trees_visited += 1;
    // Between the first and the last difference, most entries are still unchanged (a
    // commit touching two files far apart in a directory): the two sorted middles are
    // merged, and an entry identical to one of the old version was recorded with it.
    let old_data = old.as_ref().map_or(&[][..], |v| v.obj.data());
    let old_ends = old.as_ref().map_or(&[][..], |v| v.ends.as_slice());
    let mut j = old_changed.start;
    for i in changed {
        let bytes = entry_bytes(data, &ends, i);
        let mut unchanged = false;
        while j < old_changed.end {
            let ob = entry_bytes(old_data, old_ends, j);
            if ob == bytes {
                unchanged = true;
                j += 1;
                break;
            }
            if entry_order(ob, bytes) != std::cmp::Ordering::Less {
                break;
            }
            j += 1;
        }
        if unchanged {
            continue;
        }
        seen.entries_seen += 1;
        let Some(entry) = entry_at(data, &ends, i) else {
            return malformed(h, "malformed entry");
        };
        let hash = path_hash(prefix_hash, entry.name);
        let oid = oid_of(entry.id);
        match entry.kind {
            EntryKind::Blob => record_blob(oid, prefix, entry.name, hash, at, seen, h),
            // Checked before reading: an unchanged subtree costs one set lookup.
            EntryKind::Tree if seen.trees.insert(key(oid, hash)) => {
                let path = join(prefix, entry.name);
                visit_tree(odb, oid, &path, hash, at, seen, h);
            }
            EntryKind::Tree | EntryKind::Gitlink => {}
        }
    }
    seen.last_at.insert(prefix_hash, Version { obj, ends });
}

/// A commit's root tree, read from the commit's first line (`tree <hex>`) rather than by
/// parsing the whole commit: the walk reads every commit and needs nothing else of it.
fn commit_tree(odb: &git2::Odb<'_>, oid: Oid) -> Result<Oid, git2::Error> {
    let obj = odb.read(oid)?;
    obj.data()
        .strip_prefix(b"tree ")
        .and_then(|rest| rest.get(..40))
        .and_then(|hex| std::str::from_utf8(hex).ok())
        .and_then(|hex| Oid::from_str(hex).ok())
        .ok_or_else(|| git2::Error::from_str("malformed commit: no tree line"))
}

/// A key for "this object at this path": 64 bits of the object id (ids are uniformly
/// random) beside a 64-bit hash of the path. A false "seen" needs a 128-bit collision.
pub(super) type Key = u128;

pub(super) fn key(oid: Oid, path_hash: u64) -> Key {
    let b = oid.as_bytes();
    let id = u64::from_le_bytes(b[..8].try_into().expect("oids are 20 bytes"));
    (u128::from(id) << 64) | u128::from(path_hash)
}

/// The keys are random already: folding them is all the hashing a set needs, and it is
/// several times cheaper than SipHash on the walk's hottest path.
#[derive(Default)]
pub(super) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = (v as u64) ^ ((v >> 64) as u64).rotate_left(29);
    }
}

pub(super) type KeySet = HashSet<Key, BuildHasherDefault<KeyHasher>>;

#[derive(Default)]
pub(super) struct Seen<'o> {
    /// The last version walked of each directory (by path hash): a new version is
    /// compared with it, so unchanged entries cost a slice comparison, not a lookup in the
    /// sets below.
    last_at: HashMap<u64, Version<'o>, BuildHasherDefault<KeyHasher>>,
    /// `(tree, path)` pairs already walked.
    pub(super) trees: KeySet,
    pub(super) trees_visited: u64,
    entries_seen: u64,
    /// `(blob, path)` pairs already recorded.
    blob_paths: KeySet,
}

/// The hash of `prefix/name` from the hash of `prefix`, without building the path
/// (FNV-1a, continued over the separator and the name).
pub(super) fn path_hash(prefix_hash: u64, name: &[u8]) -> u64 {
    let mut h = prefix_hash;
    for &b in std::iter::once(&b'/').chain(name) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

pub(super) const ROOT_HASH: u64 = 0xcbf2_9ce4_8422_2325;

pub(super) fn join(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(prefix.len() + 1 + name.len());
    p.extend_from_slice(prefix);
    if !prefix.is_empty() {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// The commit a tree walk is in: its index in [`History::commits`].
#[derive(Clone, Copy)]
pub(super) struct At {
    pub(super) commit: Option<usize>,
}
