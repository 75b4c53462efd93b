//! The raw-tree diff engine: tree objects are read as bytes and split into entries
//! (`<mode> <name>\0<id>`) only where two versions of a directory differ, and a commit's
//! tree is compared with its parent's reading only the subtrees that changed.

use std::collections::HashMap;
use std::path::Path;

use git2::{Oid, Repository};

use super::walk::{At, History, Origin, Seen, join, key, path_hash, record_blob, visit_tree};

/// One entry of a raw tree object: `<octal mode> <name>\0<20-byte id>`.
pub(super) struct RawEntry<'a> {
    pub(super) name: &'a [u8],
    pub(super) id: &'a [u8],
    pub(super) kind: EntryKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum EntryKind {
    Blob,
    Tree,
    /// A submodule's commit: it lives in another repository.
    Gitlink,
}

/// The end offset of each entry of a raw tree object; `None` if it is malformed. A plain
/// byte loop: modes and names are a few bytes long, too short for SIMD search to pay.
fn entry_ends(data: &[u8]) -> Option<Vec<u32>> {
    let mut ends = Vec::with_capacity(data.len() / 32 + 1);
    let mut pos = 0;
    while pos < data.len() {
        pos = next_end(data, pos)?;
        ends.push(u32::try_from(pos).ok()?);
    }
    Some(ends)
}

pub(super) fn entry_at<'a>(data: &'a [u8], ends: &[u32], i: usize) -> Option<RawEntry<'a>> {
    parse_entry(entry_bytes(data, ends, i))
}

/// Splits the bytes of one entry (`<mode> <name>\0<id>`) into its parts.
fn parse_entry(e: &[u8]) -> Option<RawEntry<'_>> {
    let sp = e.iter().position(|&b| b == b' ')?;
    let nul = e.len().checked_sub(21)?;
    let kind = match &e[..sp] {
        b"40000" | b"040000" => EntryKind::Tree,
        b"160000" => EntryKind::Gitlink,
        _ => EntryKind::Blob,
    };
    Some(RawEntry {
        name: e.get(sp + 1..nul)?,
        id: &e[nul + 1..],
        kind,
    })
}

/// The bytes of entry `i` (mode, name, id) of a raw tree.
pub(super) fn entry_bytes<'a>(data: &'a [u8], ends: &[u32], i: usize) -> &'a [u8] {
    let start = if i == 0 { 0 } else { ends[i - 1] as usize };
    &data[start..ends[i] as usize]
}

/// Orders two raw tree entries as git sorts them: by name, a directory's name compared
/// as if it ended in `/`. Malformed entries compare equal (and are then not skipped).
pub(super) fn entry_order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let (Some(a), Some(b)) = (parse_entry(a), parse_entry(b)) else {
        return std::cmp::Ordering::Equal;
    };
    let n = a.name.len().min(b.name.len());
    a.name[..n].cmp(&b.name[..n]).then_with(|| {
        let next = |e: &RawEntry<'_>| match e.name.get(n) {
            Some(&c) => c,
            None if e.kind == EntryKind::Tree => b'/',
            None => 0,
        };
        next(&a).cmp(&next(&b))
    })
}

pub(super) fn oid_of(id: &[u8]) -> Oid {
    Oid::from_bytes(id).expect("tree entry ids are 20 bytes")
}

/// A version of a directory already walked: its object (whose buffer is kept, not
/// copied) and its entries' end offsets.
pub(super) struct Version<'o> {
    pub(super) obj: git2::OdbObject<'o>,
    pub(super) ends: Vec<u32>,
}

/// Splits a new version of a directory into entries, comparing it with the version
/// walked before: returns the entry ends of `data` and the range of entry indexes that
/// changed. Bytes the two versions share at the front parse identically, so the old
/// version's boundaries stand for them; parsing starts at the first difference and stops
/// as soon as a boundary lines up with the old version's identical tail. Versions of a
/// directory usually differ in an entry or two, so most of a large tree is never parsed.
pub(super) fn split_changed(old: Option<&Version<'_>>, data: &[u8]) -> Option<Changed> {
    let Some(old) = old else {
        let ends = entry_ends(data)?;
        let n = ends.len();
        return Some(Changed {
            ends,
            new: 0..n,
            old: 0..0,
        });
    };
    let od = old.obj.data();
    let cp = common_prefix(od, data);
    // Whole old entries inside the common prefix are unchanged.
    let front = old.ends.partition_point(|&e| e as usize <= cp);
    let mut ends: Vec<u32> = old.ends[..front].to_vec();
    let mut pos = if front == 0 {
        0
    } else {
        old.ends[front - 1] as usize
    };
    let cs = common_suffix(od, data).min(od.len().min(data.len()) - pos);
    let tail_start_new = data.len() - cs;
    let shift = od.len() as i64 - data.len() as i64;
    let first_changed = ends.len();
    while pos < data.len() {
        if pos >= tail_start_new {
            // Does this boundary start an old entry? Then the rest is the old tail.
            let old_pos = pos as i64 + shift;
            let old_start = |i: usize| if i == 0 { 0 } else { old.ends[i - 1] as i64 };
            let j = old.ends.partition_point(|&e| (e as i64) <= old_pos);
            if old_start(j) == old_pos {
                let changed_end = ends.len();
                ends.extend(
                    old.ends[j..]
                        .iter()
                        .map(|&e| u32::try_from(e as i64 - shift).expect("fits")),
                );
                return Some(Changed {
                    ends,
                    new: first_changed..changed_end,
                    old: front..j,
                });
            }
        }
        let end = next_end(data, pos)?;
        ends.push(u32::try_from(end).ok()?);
        pos = end;
    }
    let n = ends.len();
    Some(Changed {
        ends,
        new: first_changed..n,
        old: front..old.ends.len(),
    })
}

/// A new version of a directory split into entries: `ends` (every entry's end offset),
/// and the entries between the first and the last difference from the old version, in
/// the new version and in the old.
pub(super) struct Changed {
    pub(super) ends: Vec<u32>,
    pub(super) new: std::ops::Range<usize>,
    pub(super) old: std::ops::Range<usize>,
}

/// Length of the common prefix of `a` and `b`, a word at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let x = u64::from_le_bytes(a[i..i + 8].try_into().expect("8 bytes"));
        let y = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        if x != y {
            return i + ((x ^ y).trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// Length of the common suffix of `a` and `b`, a word at a time.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut k = 0;
    while k + 8 <= n {
        let x = u64::from_le_bytes(a[a.len() - k - 8..a.len() - k].try_into().expect("8"));
        let y = u64::from_le_bytes(b[b.len() - k - 8..b.len() - k].try_into().expect("8"));
        if x != y {
            return k + ((x ^ y).leading_zeros() / 8) as usize;
        }
        k += 8;
    }
    while k < n && a[a.len() - 1 - k] == b[b.len() - 1 - k] {
        k += 1;
    }
    k
}

/// The end of the entry starting at `start`, if the bytes hold one.
fn next_end(data: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    while *data.get(i)? != 0 {
        i += 1;
    }
    let end = i + 21;
    (end <= data.len()).then_some(end)
}

/// Records what `new` has that `old` (the same directory in the parent commit) does not:
/// entries identical in both are skipped, a changed subtree is compared with its old
/// version, and a new subtree is walked whole. Only the trees on the changed paths are
/// read.
#[allow(clippy::too_many_arguments)]
pub(super) fn visit_diff<'o>(
    repo: &Repository,
    odb: &'o git2::Odb<'_>,
    new: Oid,
    old: Oid,
    prefix: &[u8],
    prefix_hash: u64,
    at: At,
    seen: &mut Seen<'o>,
    h: &mut History,
) {
    if new == old {
        return;
    }
    let (Ok(new_obj), Ok(old_obj)) = (odb.read(new), odb.read(old)) else {
        // Unreadable on one side: fall back to walking the new tree whole.
        return visit_tree(repo, odb, new, prefix, prefix_hash, at, seen, h);
    };
    let (nd, od) = (new_obj.data(), old_obj.data());
    let (Some(ne), Some(oe)) = (entry_ends(nd), entry_ends(od)) else {
        return visit_tree(repo, odb, new, prefix, prefix_hash, at, seen, h);
    };
    let old_entries: HashMap<&[u8], (EntryKind, &[u8])> = (0..oe.len())
        .filter_map(|i| entry_at(od, &oe, i))
        .map(|e| (e.name, (e.kind, e.id)))
        .collect();
    for i in 0..ne.len() {
        let Some(entry) = entry_at(nd, &ne, i) else {
            h.problems.push(format!(
                "tree {new} at {}: malformed entry",
                String::from_utf8_lossy(prefix)
            ));
            continue;
        };
        let before = old_entries.get(entry.name);
        if before.is_some_and(|&(k, id)| k == entry.kind && id == entry.id) {
            continue;
        }
        let hash = path_hash(prefix_hash, entry.name);
        let oid = oid_of(entry.id);
        match entry.kind {
            EntryKind::Blob => record_blob(repo, oid, prefix, entry.name, hash, at, seen, h),
            EntryKind::Tree => {
                let path = join(prefix, entry.name);
                match before {
                    Some(&(EntryKind::Tree, old_id)) => {
                        visit_diff(repo, odb, oid, oid_of(old_id), &path, hash, at, seen, h)
                    }
                    _ => {
                        if seen.trees.insert(key(oid, hash)) {
                            visit_tree(repo, odb, oid, &path, hash, at, seen, h);
                        }
                    }
                }
            }
            EntryKind::Gitlink => {}
        }
    }
}

/// A blob met at a new path was renamed there, not copied, when no path it was known at
/// before still holds it in this commit: a rename keeps its first path (one finding), a
/// copy is a second place the secret lives.
pub(super) fn is_rename(
    repo: &Repository,
    root: Option<Oid>,
    blob: Oid,
    earlier: &[Origin],
    renamed_to: Option<&Vec<Vec<u8>>>,
) -> bool {
    let Some(root) = root.and_then(|r| repo.find_tree(r).ok()) else {
        return false;
    };
    if earlier.is_empty() {
        return false;
    }
    let known = earlier
        .iter()
        .map(|o| &o.path)
        .chain(renamed_to.into_iter().flatten());
    for path in known {
        if let Ok(p) = std::str::from_utf8(path)
            && matches!(root.get_path(Path::new(p)), Ok(e) if e.id() == blob)
        {
            return false;
        }
    }
    true
}
