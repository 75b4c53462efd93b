//! The raw-tree diff engine: tree objects are read as bytes and split into entries
//! (`<mode> <name>\0<id>`) only where two versions of a directory differ, and a commit's
//! tree is compared with its parent's reading only the subtrees that changed.

use std::collections::HashMap;

use git2::Oid;

use super::walk::{At, History, Seen, join, key, path_hash, record_blob, visit_tree};

/// One entry of a raw tree object: `<octal mode> <name>\0<20-byte id>`.
pub(super) struct RawEntry<'a> {
    pub(super) name: &'a [u8],
    pub(super) id: &'a [u8],
    pub(super) kind: EntryKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
        return visit_tree(odb, new, prefix, prefix_hash, at, seen, h);
    };
    let (nd, od) = (new_obj.data(), old_obj.data());
    let (Some(ne), Some(oe)) = (entry_ends(nd), entry_ends(od)) else {
        return visit_tree(odb, new, prefix, prefix_hash, at, seen, h);
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
            EntryKind::Blob => record_blob(oid, prefix, entry.name, hash, at, seen, h),
            EntryKind::Tree => {
                let path = join(prefix, entry.name);
                match before {
                    Some(&(EntryKind::Tree, old_id)) => {
                        visit_diff(odb, oid, oid_of(old_id), &path, hash, at, seen, h)
                    }
                    _ => {
                        if seen.trees.insert(key(oid, hash)) {
                            visit_tree(odb, oid, &path, hash, at, seen, h);
                        }
                    }
                }
            }
            EntryKind::Gitlink => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;
    use std::collections::BTreeMap;

    use git2::{ObjectType, Odb, Repository};

    use super::super::walk::{ROOT_HASH, Seen};
    use super::*;

    /// A raw tree object of `entries` (mode, name, the byte its id repeats), in the order
    /// given.
    fn raw(entries: &[(&str, &str, u8)]) -> Vec<u8> {
        let mut out = Vec::new();
        for &(mode, name, id) in entries {
            out.extend_from_slice(format!("{mode} {name}\0").as_bytes());
            out.extend_from_slice(&[id; 20]);
        }
        out
    }

    /// One raw entry, as `entry_order` takes it.
    fn one(mode: &str, name: &str) -> Vec<u8> {
        raw(&[(mode, name, 1)])
    }

    fn names<'a>(data: &'a [u8], ends: &[u32]) -> Vec<&'a str> {
        (0..ends.len())
            .map(|i| std::str::from_utf8(entry_at(data, ends, i).unwrap().name).unwrap())
            .collect()
    }

    fn temp_repo() -> (tempfile::TempDir, Repository) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        (dir, repo)
    }

    /// `data` stored as a tree object and read back, as the walk keeps a directory it
    /// walked.
    fn version<'o>(odb: &'o Odb<'_>, data: &[u8]) -> Version<'o> {
        let id = odb.write(ObjectType::Tree, data).unwrap();
        Version {
            obj: odb.read(id).unwrap(),
            ends: entry_ends(data).unwrap(),
        }
    }

    /// A tree of `files` (`path`, mode, content), subtrees made as the paths say.
    fn tree(repo: &Repository, files: &[(&str, i32, &str)]) -> Oid {
        let mut b = repo.treebuilder(None).unwrap();
        let mut dirs: BTreeMap<&str, Vec<(&str, i32, &str)>> = BTreeMap::new();
        for &(path, mode, content) in files {
            match path.split_once('/') {
                Some((dir, rest)) => dirs.entry(dir).or_default().push((rest, mode, content)),
                None => {
                    let blob = repo.blob(content.as_bytes()).unwrap();
                    b.insert(path, blob, mode).unwrap();
                }
            }
        }
        for (dir, files) in dirs {
            b.insert(dir, tree(repo, &files), 0o040000).unwrap();
        }
        b.write().unwrap()
    }

    #[test]
    fn parses_a_raw_tree() {
        let data = raw(&[
            ("100644", "a.txt", 0xa1),
            ("100755", "run.sh", 0xb2),
            ("120000", "link", 0xc3),
            ("40000", "src", 0xd4),
            ("040000", "old", 0xe5),
            ("160000", "vendor", 0xf6),
        ]);
        let ends = entry_ends(&data).unwrap();
        // `100644 a.txt\0` is 13 bytes, and every id 20.
        assert_eq!(ends, [33, 67, 99, 129, 160, 194]);
        assert_eq!(*ends.last().unwrap() as usize, data.len());
        let got: Vec<(&str, Vec<u8>, EntryKind)> = (0..ends.len())
            .map(|i| {
                let e = entry_at(&data, &ends, i).unwrap();
                (std::str::from_utf8(e.name).unwrap(), e.id.to_vec(), e.kind)
            })
            .collect();
        use EntryKind::*;
        assert_eq!(
            got,
            [
                ("a.txt", vec![0xa1; 20], Blob),
                ("run.sh", vec![0xb2; 20], Blob),
                ("link", vec![0xc3; 20], Blob),
                ("src", vec![0xd4; 20], Tree),
                ("old", vec![0xe5; 20], Tree),
                ("vendor", vec![0xf6; 20], Gitlink),
            ]
        );
        assert_eq!(
            entry_bytes(&data, &ends, 3),
            &raw(&[("40000", "src", 0xd4)])[..]
        );
        assert_eq!(oid_of(&[0xd4; 20]).to_string(), "d4".repeat(20));
    }

    #[test]
    fn malformed_raw_trees_do_not_parse() {
        let whole = raw(&[("100644", "a", 1), ("100644", "b", 2)]);
        // An id cut short, a name with no end, no entries at all.
        assert_eq!(entry_ends(&whole[..whole.len() - 1]), None);
        assert_eq!(entry_ends(b"100644 a"), None);
        assert_eq!(entry_ends(b""), Some(vec![]));
        // No space between mode and name; too short to hold an id.
        assert!(parse_entry(&[&b"100644a\0"[..], &[1; 20]].concat()).is_none());
        assert!(parse_entry(b"100644 a\0").is_none());
    }

    #[test]
    fn parses_trees_libgit2_writes() {
        let (_dir, repo) = temp_repo();
        let blob = repo.blob(b"x").unwrap();
        let sub = tree(&repo, &[("f", 0o100644, "y")]);
        let commit = Oid::from_str(&"c0".repeat(20)).unwrap();
        let mut b = repo.treebuilder(None).unwrap();
        b.insert("a", sub, 0o040000).unwrap();
        b.insert("a.txt", blob, 0o100644).unwrap();
        b.insert("a0", blob, 0o100755).unwrap();
        b.insert("a-b", blob, 0o120000).unwrap();
        b.insert("mod", commit, 0o160000).unwrap();
        let id = b.write().unwrap();
        let odb = repo.odb().unwrap();
        let obj = odb.read(id).unwrap();
        let data = obj.data();
        let ends = entry_ends(data).unwrap();
        // git's order: the tree `a` sorts as `a/`, after `a-b` and `a.txt`, before `a0`.
        assert_eq!(names(data, &ends), ["a-b", "a.txt", "a", "a0", "mod"]);
        let kinds: Vec<EntryKind> = (0..ends.len())
            .map(|i| entry_at(data, &ends, i).unwrap().kind)
            .collect();
        use EntryKind::*;
        assert_eq!(kinds, [Blob, Blob, Tree, Blob, Gitlink]);
        let ids: Vec<Oid> = (0..ends.len())
            .map(|i| oid_of(entry_at(data, &ends, i).unwrap().id))
            .collect();
        assert_eq!(ids, [blob, blob, sub, blob, commit]);
        // git writes a tree's mode without its leading zero.
        assert!(entry_bytes(data, &ends, 2).starts_with(b"40000 a\0"));
        for i in 1..ends.len() {
            let (a, b) = (entry_bytes(data, &ends, i - 1), entry_bytes(data, &ends, i));
            assert_eq!(entry_order(a, b), Ordering::Less, "entry {i}");
            assert_eq!(entry_order(b, a), Ordering::Greater, "entry {i}");
        }
    }

    #[test]
    fn orders_entries_as_git_does() {
        let (tree_a, blob_a) = (one("40000", "a"), one("100644", "a"));
        // A tree's name is compared as if it ended in `/` (0x2f): after `-` and `.`,
        // before `0`; a blob's name as it is, so before all of them.
        assert_eq!(
            entry_order(&tree_a, &one("100644", "a.txt")),
            Ordering::Greater
        );
        assert_eq!(
            entry_order(&tree_a, &one("100644", "a-b")),
            Ordering::Greater
        );
        assert_eq!(entry_order(&tree_a, &one("100644", "a0")), Ordering::Less);
        assert_eq!(
            entry_order(&blob_a, &one("100644", "a.txt")),
            Ordering::Less
        );
        assert_eq!(entry_order(&blob_a, &one("40000", "a.txt")), Ordering::Less);
        assert_eq!(entry_order(&blob_a, &tree_a), Ordering::Less);
        assert_eq!(
            entry_order(&tree_a, &one("40000", "a-b")),
            Ordering::Greater
        );
        assert_eq!(entry_order(&one("100644", "b"), &tree_a), Ordering::Greater);
        // The same name (a changed entry) compares equal, whatever its id or mode.
        assert_eq!(
            entry_order(&one("100644", "x"), &raw(&[("100755", "x", 9)])),
            Ordering::Equal
        );
        // So does an entry that does not parse.
        assert_eq!(entry_order(b"junk", &blob_a), Ordering::Equal);
    }

    /// `split_changed` of `new` against `old`, checked to list every entry of `new`;
    /// returns the changed ranges (new, old).
    fn changed(
        odb: &Odb<'_>,
        old: &[(&str, &str, u8)],
        new: &[(&str, &str, u8)],
    ) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let old = version(odb, &raw(old));
        let data = raw(new);
        let c = split_changed(Some(&old), &data).unwrap();
        assert_eq!(c.ends, entry_ends(&data).unwrap(), "entry ends of {new:?}");
        (c.new, c.old)
    }

    const F: &str = "100644";

    #[test]
    fn splits_what_changed_between_versions() {
        let (_dir, repo) = temp_repo();
        let odb = repo.odb().unwrap();
        let base = [
            (F, "a", 1),
            (F, "b", 2),
            (F, "c", 3),
            (F, "d", 4),
            (F, "e", 5),
        ];
        let with = |i: usize, e: (&'static str, &'static str, u8)| {
            let mut v = base.to_vec();
            v.insert(i, e);
            v
        };
        let without = |i: usize| {
            let mut v = base.to_vec();
            v.remove(i);
            v
        };
        let changed_at = |i: usize, id: u8| {
            let mut v = base.to_vec();
            v[i].2 = id;
            v
        };
        // Nothing changed: empty ranges, after the last entry.
        assert_eq!(changed(&odb, &base, &base), (5..5, 5..5));
        // An entry added, removed, changed in the middle.
        assert_eq!(changed(&odb, &base, &with(2, (F, "bb", 9))), (2..3, 2..2));
        assert_eq!(changed(&odb, &base, &without(2)), (2..2, 2..3));
        assert_eq!(changed(&odb, &base, &changed_at(2, 9)), (2..3, 2..3));
        // At the start and at the end.
        assert_eq!(changed(&odb, &base, &changed_at(0, 9)), (0..1, 0..1));
        assert_eq!(changed(&odb, &base, &changed_at(4, 9)), (4..5, 4..5));
        assert_eq!(changed(&odb, &base, &with(0, (F, "0", 9))), (0..1, 0..0));
        assert_eq!(changed(&odb, &base, &with(5, (F, "f", 9))), (5..6, 5..5));
        assert_eq!(changed(&odb, &base, &without(0)), (0..0, 0..1));
        assert_eq!(changed(&odb, &base, &without(4)), (4..4, 4..5));
        // A mode change is a change.
        let mut exec = base.to_vec();
        exec[3].0 = "100755";
        assert_eq!(changed(&odb, &base, &exec), (3..4, 3..4));
        // Two changes far apart: everything between them is in the range.
        let mut two = changed_at(1, 9);
        two[3].2 = 9;
        assert_eq!(changed(&odb, &base, &two), (1..4, 1..4));
        // Everything changed.
        let other = [(F, "v", 1), (F, "w", 2)];
        assert_eq!(changed(&odb, &base, &other), (0..2, 0..5));
        // No version before: every entry is new.
        let data = raw(&base);
        let c = split_changed(None, &data).unwrap();
        assert_eq!(
            (c.ends, c.new, c.old),
            (entry_ends(&data).unwrap(), 0..5, 0..0)
        );
        // A malformed new version.
        let old = version(&odb, &raw(&base));
        assert!(split_changed(Some(&old), &data[..data.len() - 3]).is_none());
    }

    #[test]
    fn splits_names_sharing_prefixes() {
        let (_dir, repo) = temp_repo();
        let odb = repo.odb().unwrap();
        // Empty files share one blob id: the versions' common prefix and suffix then run
        // across entry boundaries, into names and ids.
        let base = [(F, "file1", 7), (F, "file2", 7), (F, "file3", 7)];
        let mut added = base.to_vec();
        added.insert(1, (F, "file10", 7));
        assert_eq!(changed(&odb, &base, &added), (1..2, 1..1));
        assert_eq!(changed(&odb, &added, &base), (1..1, 1..2));
        let mut renamed = base.to_vec();
        renamed[1].1 = "file22";
        assert_eq!(changed(&odb, &base, &renamed), (1..2, 1..2));
        let mut shortened = base.to_vec();
        shortened[2].1 = "file";
        assert_eq!(changed(&odb, &base, &shortened), (2..3, 2..3));
        // A tree and a blob of one name, and names that extend it.
        let mixed = [("40000", "a", 1), (F, "a.txt", 1), (F, "ab", 1)];
        let mut retyped = mixed.to_vec();
        retyped[0].0 = F;
        assert_eq!(changed(&odb, &mixed, &retyped), (0..1, 0..1));
        let mut inner = mixed.to_vec();
        inner[1].2 = 2;
        assert_eq!(changed(&odb, &mixed, &inner), (1..2, 1..2));
    }

    /// Every single-entry edit of a listing whose entries share prefixes and ids: the
    /// changed ranges are exactly the entries between the first and last difference.
    #[test]
    fn splits_every_single_edit_minimally() {
        let (_dir, repo) = temp_repo();
        let odb = repo.odb().unwrap();
        let base = [
            (F, "a", 1),
            (F, "a.b", 1),
            ("40000", "a.b.c", 1),
            (F, "aa", 2),
            (F, "aaa", 2),
            (F, "b", 1),
        ];
        let extra = [(F, "a.a", 1), (F, "aa0", 2), (F, "ab", 3), (F, "c", 1)];
        let mut edits: Vec<Vec<(&str, &str, u8)>> = Vec::new();
        for i in 0..base.len() {
            let mut v = base.to_vec();
            v.remove(i);
            edits.push(v);
            for id in [1, 2, 3] {
                let mut v = base.to_vec();
                if v[i].2 != id {
                    v[i].2 = id;
                    edits.push(v);
                }
            }
        }
        for e in extra {
            let mut v = base.to_vec();
            let at = v.partition_point(|x| entry_order(&one(x.0, x.1), &one(e.0, e.1)).is_lt());
            v.insert(at, e);
            edits.push(v);
        }
        for new in &edits {
            let front = base.iter().zip(new).take_while(|(a, b)| a == b).count();
            let back = base
                .iter()
                .rev()
                .zip(new.iter().rev())
                .take_while(|(a, b)| a == b)
                .count()
                .min(base.len().min(new.len()) - front);
            let want = (front..new.len() - back, front..base.len() - back);
            assert_eq!(changed(&odb, &base, new), want, "{new:?}");
        }
        assert_eq!(edits.len(), 6 + 12 + 4);
    }

    #[test]
    fn a_diff_of_two_trees_lists_exactly_the_changed_blobs() {
        let (_dir, repo) = temp_repo();
        let x = 0o100644;
        let old = tree(
            &repo,
            &[
                ("README", x, "readme"),
                ("run.sh", x, "#!/bin/sh"),
                ("docs/a.md", x, "docs"),
                ("src/lib.rs", x, "lib"),
                ("src/main.rs", x, "main 1"),
                ("src/gone.rs", x, "gone"),
                ("vendor/big/x.c", x, "vendored"),
            ],
        );
        let new = tree(
            &repo,
            &[
                ("README", x, "readme"),
                // Only made executable: the same blob.
                ("run.sh", 0o100755, "#!/bin/sh"),
                // A directory that became a file.
                ("docs", x, "now a file"),
                ("src/lib.rs", x, "lib"),
                ("src/main.rs", x, "main 2"),
                ("src/new.rs", x, "new"),
                ("tests/t.rs", x, "test"),
                ("vendor/big/x.c", x, "vendored"),
            ],
        );
        let odb = repo.odb().unwrap();
        let mut seen = Seen::default();
        let mut h = History::default();
        let at = At { commit: Some(0) };
        visit_diff(&odb, new, old, &[], ROOT_HASH, at, &mut seen, &mut h);
        let blob = |s: &str| repo.blob(s.as_bytes()).unwrap();
        let want = ["now a file", "main 2", "new", "test"].map(blob);
        assert_eq!(h.blobs, want);
        let listed: Vec<(String, Option<usize>)> = h
            .blobs
            .iter()
            .flat_map(|b| &h.origins[b])
            .map(|o| (String::from_utf8(o.path.clone()).unwrap(), o.commit))
            .collect();
        let at_0 = |p: &str| (p.to_string(), Some(0));
        assert_eq!(
            listed,
            [
                at_0("docs"),
                at_0("src/main.rs"),
                at_0("src/new.rs"),
                at_0("tests/t.rs")
            ]
        );
        assert_eq!(h.origins.len(), 4);
        assert!(h.problems.is_empty(), "{:?}", h.problems);
        // Only the new directory was walked whole; `src` was compared, `vendor` skipped.
        assert_eq!(seen.trees_visited, 1);
        // The same tree on both sides: nothing.
        let mut h = History::default();
        visit_diff(&odb, new, new, &[], ROOT_HASH, at, &mut seen, &mut h);
        assert!(h.blobs.is_empty() && h.origins.is_empty());
    }
}
