//! A first pass over a repository's pack files, at the speed of the object store: every
//! blob decoded once, in pack order, each delta base once (gitoxide's delta-tree
//! traversal), on several threads; trees, commits and tags are not decoded at all (see
//! [`traverse_blobs`]). Each blob is put to a test (the scanner's prefilter and rules,
//! which do not depend on the path); the pass returns which blobs it saw, their sizes,
//! and which ones the test flagged.
//!
//! It is a prefilter, not a source of its own: the caller reads the flagged blobs again
//! through libgit2 to place and report findings, and reads the usual way every blob the
//! pass did not see (loose objects, packs that could not be opened or traversed to the
//! end). An alternate object store's packs are passed over as the repository's own.
//! Nothing is lost when the pass fails; it is only slower.
//!
//! A pack is trusted only as far as libgit2 trusts it: its trailer must carry the checksum
//! its index records, and both must count the same objects. Otherwise libgit2 ignores the
//! pack and reads the objects elsewhere, and so must the pass, or a stale or foreign pack
//! could stand in for the real object.
//!
//! Reading each blob through libgit2 costs about three times the CPU of `git cat-file`'s
//! sequential pack read (measured on openssh-portable: 3.5 s against 2.3 s); this pass
//! decodes all of openssh-portable's 2.1 GB of blobs in 0.6 s on two threads.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use git2::Oid;

use crate::source::git::{IdMap, IdSet};

/// What the pass over the packs saw.
#[derive(Debug, Default)]
pub struct PackPass {
    /// Every blob decoded, with its size.
    pub seen: IdMap<u64>,
    /// Blobs the test flagged.
    pub flagged: IdSet,
    /// Packs that were not traversed to the end, with the reason. Their blobs not in
    /// `seen` are read the usual way, which reports what is really unreadable.
    pub incomplete: Vec<String>,
    /// How many times the packs' mappings were dropped from memory (see
    /// [`RESIDENT_FILE_MAX`]).
    pub trims: u64,
}

/// Largest single object the pass decodes into memory. A traversal stops at the first
/// object it cannot decode, whatever the reason, so a pack holding a larger one is left,
/// from there, to the usual reading, which skips blobs over the size limit by their
/// header without decoding them.
const MIN_ALLOC_LIMIT: u64 = 1 << 30;

/// Most objects in one pack the pass takes on. The traversal keeps about 150 bytes per
/// object of the pack while it runs (estimated from its structures when it decoded every
/// object; it now keeps them for the blobs alone, so this is a bound, not an estimate; a
/// pass alone over git/git's 850,000 objects peaked at 647 MB, 474 MB of it the mapped
/// pack); a larger pack (the Linux kernel's has about 10 million objects) is left to the
/// usual reading rather than let memory grow past a gigabyte.
const MAX_PACK_OBJECTS: u32 = 6_000_000;

/// Most of a pack's mapping left resident while a pass runs. The traversal touches every
/// page of the pack, and pages it has touched stay in the process's resident set until
/// unmapped: on git/git that was the whole 474 MB pack, beside everything else. Past
/// this, the pass drops its mapping's pages from the process (`madvise(MADV_DONTNEED)`;
/// they stay in the page cache, so the next read of one is a minor fault, not a disk
/// read). A pack smaller than this is never trimmed.
///
/// The pack's share is the process's file-backed memory above what it was just after the
/// last trim (or when the pass began): the other file mappings (libgit2's windows for the
/// walk beside the pass, up to 128 MB a repository; another repository's, in an `org
/// scan`) are not the pass's to drop. Counted against the whole, the pass of git/git
/// dropped its pages 2,700 times, every few hundred KB, and spent more than a second of
/// kernel time faulting them back (measured 2026-12-03).
const RESIDENT_FILE_MAX: u64 = 64 << 20;

/// Blob bytes a thread decodes between two looks at the process's resident memory,
/// besides one look every 256 objects.
const CHECK_EVERY_BYTES: u64 = 8 << 20;

/// The process's file-backed resident memory, in bytes (`/proc/self/statm`'s third
/// field), or `None` where that cannot be read.
fn resident_file_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(2)?.parse().ok()?;
    Some(pages * page_size())
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(n).unwrap_or(4096).max(4096)
}

/// A pack's mapping, whose resident pages the pass drops from the process now and then.
#[derive(Clone, Copy)]
struct Mapping<'a> {
    start: usize,
    len: usize,
    trims: &'a AtomicU64,
    /// The process's file-backed memory just after the last trim (or when the pass over
    /// this pack began), lowered whenever it is found lower: what is not the pack's.
    others: &'a AtomicU64,
}

impl Mapping<'_> {
    fn of<'a>(pack: &Data, trims: &'a AtomicU64, others: &'a AtomicU64) -> Option<Mapping<'a>> {
        let all = pack.entry_slice(0..pack.data_len() as u64)?;
        others.store(resident_file_bytes().unwrap_or(0), Ordering::Relaxed);
        Some(Mapping {
            start: all.as_ptr() as usize,
            len: all.len(),
            trims,
            others,
        })
    }

    /// Drops the mapping's resident pages when the process holds more than
    /// [`RESIDENT_FILE_MAX`] of file-backed memory above what is not the pack's.
    fn trim_if_over(&self) {
        let Some(now) = resident_file_bytes() else {
            return;
        };
        // Other mappings shrank (a repository closed): what remains of them is at most
        // what the process holds now.
        let others = self.others.fetch_min(now, Ordering::Relaxed).min(now);
        if now - others > RESIDENT_FILE_MAX {
            // SAFETY: the range is the whole of a live read-only file mapping (the pack
            // outlives the traversal that calls this), starting at its page-aligned
            // address. Dropping a file mapping's pages does not change what reading them
            // gives: they are read from the file again on the next access.
            unsafe {
                libc::madvise(
                    self.start as *mut libc::c_void,
                    self.len,
                    libc::MADV_DONTNEED,
                );
            }
            self.trims.fetch_add(1, Ordering::Relaxed);
            if let Some(after) = resident_file_bytes() {
                self.others.store(after, Ordering::Relaxed);
            }
        }
    }
}

/// The object directories libgit2 reads for the store in `objects`: it, then each
/// alternate named in its `info/alternates` that is there (relative to `objects`, as git
/// reads them).
pub fn object_dirs(objects: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![objects.to_path_buf()];
    if let Ok(text) = std::fs::read_to_string(objects.join("info/alternates")) {
        dirs.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(|l| objects.join(l))
                .filter(|d| d.is_dir()),
        );
    }
    dirs
}

/// The pack files (`.pack` with an `.idx`) of the object store in `objects` and of its
/// alternates (a `git clone --shared` has no pack of its own: without its alternates'
/// packs every blob would be read through libgit2, three times the CPU).
pub fn packs(objects: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in object_dirs(objects) {
        let Ok(entries) = std::fs::read_dir(dir.join("pack")) else {
            continue;
        };
        let mut these: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|x| x == "idx") && p.with_extension("pack").is_file()
            })
            .collect();
        these.sort();
        out.extend(these);
    }
    out
}

/// Number of objects the packs' indexes list (the pass's progress total).
pub fn object_count(packs: &[PathBuf]) -> u64 {
    packs
        .iter()
        .filter_map(|p| gix_pack::index::File::at(p, gix_hash::Kind::Sha1).ok())
        .map(|i| u64::from(i.num_objects()))
        .sum()
}

type Index = gix_pack::index::File;
type Data = gix_pack::data::File;
type IndexEntry = gix_pack::index::Entry;

/// Opens a pack and its index, if libgit2 would trust them: the pack's trailer carries
/// the checksum the index records, and both count the same objects.
fn open(idx_path: &Path) -> Result<(Index, Data), String> {
    let pack_path = idx_path.with_extension("pack");
    let (idx, pack) = Index::at(idx_path, gix_hash::Kind::Sha1)
        .and_then(|idx| Data::at(&pack_path, gix_hash::Kind::Sha1).map(|pack| (idx, pack)))
        .map_err(|e| format!("{}: {e}", pack_path.display()))?;
    if idx.pack_checksum() != pack.checksum() || idx.num_objects() != pack.num_objects() {
        return Err(format!(
            "{}: does not match its index (left to libgit2, which ignores it too)",
            pack_path.display()
        ));
    }
    Ok((idx, pack))
}

/// Decodes every object of `packs` on `threads` threads and calls `test` (cloned for each
/// thread) on each blob no larger than `max_blob_size`. `progress` is told how many
/// objects and blob bytes were decoded, now and then, from any thread. Setting `stop`
/// ends the pass early (what it saw so far is still returned).
///
/// With `wanted`, only those blobs are tested and returned, and only they and their
/// delta bases are decoded (a walk done before the pass lists what the refs reach).
pub fn scan<T>(
    packs: &[PathBuf],
    threads: usize,
    max_blob_size: u64,
    wanted: Option<&IdSet>,
    test: T,
    progress: &(dyn Fn(u64, u64) + Sync),
    stop: &AtomicBool,
) -> PackPass
where
    T: FnMut(&[u8]) -> bool + Send + Clone,
{
    const REPORT_EVERY: u64 = 256;
    let seen = Mutex::new(IdMap::default());
    let flagged = Mutex::new(IdSet::default());
    let mut incomplete = Vec::new();
    let trims = AtomicU64::new(0);
    let others = AtomicU64::new(0);
    let alloc_limit = usize::try_from(max_blob_size.max(MIN_ALLOC_LIMIT)).unwrap_or(usize::MAX);
    for idx_path in packs {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let pack_path = idx_path.with_extension("pack");
        let (idx, pack) = match open(idx_path) {
            Ok(x) => x,
            Err(e) => {
                incomplete.push(e);
                continue;
            }
        };
        if idx.num_objects() > MAX_PACK_OBJECTS {
            incomplete.push(format!(
                "{}: {} objects, more than one pass takes on",
                pack_path.display(),
                idx.num_objects()
            ));
            continue;
        }
        let mapping = Mapping::of(&pack, &trims, &others);
        let reported = AtomicU64::new(0);
        let reported_ref = &reported;
        let (seen, flagged) = (&seen, &flagged);
        let mut test = test.clone();
        let mut objects = 0u64;
        let mut bytes = 0u64;
        // Blob bytes decoded since the mapping was last looked at.
        let mut unchecked = 0u64;
        let processor = move |kind: gix_object::Kind, data: &[u8], entry: &IndexEntry| {
            objects += 1;
            if kind == gix_object::Kind::Blob {
                let Ok(oid) = Oid::from_bytes(entry.oid.as_bytes()) else {
                    return;
                };
                // A base decoded for the blobs wanted, not wanted itself.
                if wanted.is_some_and(|w| !w.contains(&oid)) {
                    return;
                }
                let len = data.len() as u64;
                bytes += len;
                unchecked += len;
                if len <= max_blob_size && test(data) {
                    lock(flagged).insert(oid);
                }
                lock(seen).insert(oid, len);
            }
            // Looked at every few objects, or sooner when they are large.
            if objects == REPORT_EVERY || unchecked >= CHECK_EVERY_BYTES {
                if let Some(m) = &mapping {
                    m.trim_if_over();
                }
                unchecked = 0;
            }
            if objects == REPORT_EVERY {
                progress(objects, bytes);
                reported_ref.fetch_add(objects, Ordering::Relaxed);
                (objects, bytes) = (0, 0);
            }
        };
        let outcome = blob_entries(&idx, &pack, mapping.as_ref(), wanted).and_then(|entries| {
            traverse_blobs(&idx, &pack, entries, threads, alloc_limit, stop, processor)
        });
        match outcome {
            // The entries each thread decoded since it last reported, and those left out.
            Ok(()) => progress(
                u64::from(idx.num_objects()).saturating_sub(reported.into_inner()),
                0,
            ),
            Err(_) if stop.load(Ordering::Relaxed) => {}
            Err(e) => incomplete.push(format!("{}: {e}", pack_path.display())),
        }
    }
    PackPass {
        seen: seen.into_inner().unwrap_or_else(|e| e.into_inner()),
        flagged: flagged.into_inner().unwrap_or_else(|e| e.into_inner()),
        incomplete,
        trims: trims.into_inner(),
    }
}

/// Decodes the blobs of `pack` (`idx` its index) that `entries` lists (see
/// [`blob_entries`]), each delta base once, on `threads` threads, and calls `processor`
/// with each one's kind, bytes and index entry.
///
/// Only entries whose chain of delta bases ends in a blob are decoded. A delta's object
/// is of its base's kind (the format gives a delta no kind of its own), so the trees,
/// commits and tags left out (on git/git 69% of the objects and 42% of the pack's bytes)
/// cannot hide a blob, and the walk reads the trees it needs through libgit2 anyway. An
/// entry whose kind cannot be told (its base not in the pack) is kept, and the traversal
/// then fails on it as it did before; the blobs the pass did not see are read the usual
/// way.
///
/// Ids are not re-hashed and the pack's checksum is not verified (neither does `git
/// cat-file`; `open` has matched the pack to its index). An entry that does not decode
/// ends the traversal of its pack; the rest is left to the usual reading, which reports
/// the entry.
fn traverse_blobs<P>(
    idx: &Index,
    pack: &Data,
    entries: Vec<IndexEntry>,
    threads: usize,
    alloc_limit: usize,
    stop: &AtomicBool,
    mut processor: P,
) -> Result<(), String>
where
    P: FnMut(gix_object::Kind, &[u8], &IndexEntry) + Send + Clone,
{
    let tree = gix_pack::cache::delta::Tree::from_offsets_in_pack(
        pack.path(),
        entries.into_iter(),
        &|e: &IndexEntry| e.pack_offset,
        &|id| Ok(idx.lookup(id).map(|i| idx.pack_offset_at_index(i))),
        &mut gix_utils::progress::Discard,
        stop,
        gix_hash::Kind::Sha1,
    )
    .map_err(|e| e.to_string())?;
    tree.traverse(
        |range, pack: &Data| pack.entry_slice(range),
        pack,
        pack.pack_end() as u64,
        move |entry: &mut IndexEntry, _, cx: gix_pack::cache::delta::traverse::Context<'_>| {
            if let Some(kind) = cx.entry.header.as_kind() {
                processor(kind, cx.decompressed, entry);
            }
            Ok(())
        },
        gix_pack::cache::delta::traverse::Options {
            object_progress: Box::new(gix_utils::progress::Discard),
            size_progress: &mut gix_utils::progress::Discard,
            thread_limit: Some(threads.max(1)),
            should_interrupt: stop,
            object_hash: gix_hash::Kind::Sha1,
            alloc_limit_bytes: Some(alloc_limit),
        },
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

/// The entries of `idx` in pack order, less those whose chain of delta bases ends in a
/// tree, a commit or a tag, and, with `wanted`, less the blobs neither wanted nor a base
/// (at any depth) of one wanted. Reading each entry's header touches every page of the
/// mapping, so its resident pages are bounded here as the traversal bounds them.
fn blob_entries(
    idx: &Index,
    pack: &Data,
    mapping: Option<&Mapping<'_>>,
    wanted: Option<&IdSet>,
) -> Result<Vec<IndexEntry>, String> {
    use gix_pack::data::entry::Header;
    const UNKNOWN: u8 = 0;
    const BLOB: u8 = 1;
    const OTHER: u8 = 2;
    // On the chain being followed; on a chain that led to no known kind.
    const FOLLOWED: u8 = 3;
    const NONE: u8 = 4;
    let mut entries: Vec<IndexEntry> = idx.iter().collect();
    entries.sort_unstable_by_key(|e| e.pack_offset);
    let position = |offset: u64| {
        entries
            .binary_search_by_key(&offset, |e| e.pack_offset)
            .ok()
    };
    let mut kind = vec![UNKNOWN; entries.len()];
    // Each delta's base, by position (`NO_BASE`: none, or not in the pack).
    const NO_BASE: u32 = u32::MAX;
    let mut bases = vec![NO_BASE; entries.len()];
    let mut last_look = 0u64;
    let mut first_is_base = false;
    for (i, e) in entries.iter().enumerate() {
        if let Some(m) = mapping
            && e.pack_offset - last_look >= CHECK_EVERY_BYTES
        {
            m.trim_if_over();
            last_look = e.pack_offset;
        }
        let header = pack
            .entry(e.pack_offset)
            .map_err(|err| format!("entry at {}: {err}", e.pack_offset))?
            .header;
        if i == 0 {
            first_is_base = header.as_kind().is_some();
        }
        let base = match header {
            Header::Blob => {
                kind[i] = BLOB;
                continue;
            }
            Header::Tree | Header::Commit | Header::Tag => {
                kind[i] = OTHER;
                continue;
            }
            Header::OfsDelta { base_distance } => {
                Header::verified_base_pack_offset(e.pack_offset, base_distance).and_then(position)
            }
            Header::RefDelta { base_id } => idx
                .lookup(base_id)
                .map(|at| idx.pack_offset_at_index(at))
                .and_then(position),
        };
        if let Some(b) = base {
            bases[i] = b as u32;
            kind[i] = kind[b];
        }
    }
    // Deltas whose base's kind was not known when they were read (a ref-delta's base may
    // come later in the pack): each chain followed to a base of known kind, once (every
    // entry on it is settled on the way, so a crafted pack of long chains costs linear
    // time). A chain that loops or ends outside the pack is of no known kind.
    for i in 0..entries.len() {
        if kind[i] != UNKNOWN {
            continue;
        }
        let mut chain = Vec::new();
        let mut at = i;
        let found = loop {
            match kind[at] {
                UNKNOWN => {
                    kind[at] = FOLLOWED;
                    chain.push(at);
                    match bases[at] {
                        NO_BASE => break UNKNOWN,
                        b => at = b as usize,
                    }
                }
                FOLLOWED => break UNKNOWN,
                known => break known,
            }
        };
        for at in chain {
            kind[at] = if found == UNKNOWN { NONE } else { found };
        }
    }
    if let Some(m) = mapping {
        m.trim_if_over();
    }
    // gitoxide reads the first entry's header where the pack's first entry is, whatever
    // the first entry given (and every later one from there until it next seeks): the
    // pack's first entry is kept, whatever its kind. A base decoded for nothing; a delta
    // of no blob (its base would be missing) keeps every entry instead.
    match kind.first() {
        Some(&OTHER) if !first_is_base => return Ok(entries),
        Some(_) => kind[0] = BLOB,
        None => {}
    }
    // The blobs wanted, and every base on their chains (each chain followed until it
    // meets an entry already kept: linear time); the pack's first entry with its chain,
    // as above.
    let keep = wanted.map(|wanted| {
        let mut keep = vec![false; entries.len()];
        let wants = |i: usize, e: &IndexEntry| {
            i == 0
                || kind[i] != OTHER
                    && Oid::from_bytes(e.oid.as_bytes()).is_ok_and(|o| wanted.contains(&o))
        };
        for (i, e) in entries.iter().enumerate() {
            if !wants(i, e) {
                continue;
            }
            let mut at = i;
            while !keep[at] {
                keep[at] = true;
                match bases[at] {
                    NO_BASE => break,
                    b => at = b as usize,
                }
            }
        }
        keep
    });
    Ok(entries
        .into_iter()
        .zip(kind)
        .enumerate()
        .filter(|&(i, (_, k))| k != OTHER && keep.as_ref().is_none_or(|keep| keep[i]))
        .map(|(_, (e, _))| e)
        .collect())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn sha1(parts: &[&[u8]]) -> [u8; 20] {
        let mut h = sha1dc::Hasher::new();
        for p in parts {
            h.update(p);
        }
        let d = h.finalize().unwrap();
        d.as_ref().try_into().unwrap()
    }

    fn object_id(kind: &str, data: &[u8]) -> [u8; 20] {
        sha1(&[format!("{kind} {}\0", data.len()).as_bytes(), data])
    }

    /// A pack entry's header: its type and (decompressed) size.
    fn header(kind: u8, mut size: usize) -> Vec<u8> {
        let mut out = vec![(kind << 4) | (size & 15) as u8];
        size >>= 4;
        while size > 0 {
            *out.last_mut().unwrap() |= 0x80;
            out.push((size & 0x7f) as u8);
            size >>= 7;
        }
        out
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(data).unwrap();
        z.finish().unwrap()
    }

    /// A whole object's pack entry (`kind` 1 to 4): its header, then `data` deflated.
    fn whole(kind: u8, data: &[u8]) -> Vec<u8> {
        [header(kind, data.len()), deflate(data)].concat()
    }

    /// A REF_DELTA entry: the object `base` (of `base_kind`, under 256 bytes) with `extra`
    /// appended, as a delta that copies all of the base and inserts `extra`.
    fn ref_delta(base_kind: &str, base: &[u8], extra: &[u8]) -> Vec<u8> {
        let mut delta = vec![base.len() as u8, (base.len() + extra.len()) as u8];
        delta.extend([0x90, base.len() as u8, extra.len() as u8]);
        delta.extend(extra);
        [
            header(7, delta.len()),
            object_id(base_kind, base).to_vec(),
            deflate(&delta),
        ]
        .concat()
    }

    /// A pack of a blob, then ref-deltas whose bases come after them (one of a tree, and
    /// a chain of two of a blob), then those bases, indexed by `git index-pack`: its
    /// folder, its index, its entries' offsets and its four blobs (`a`, then the chain's
    /// base and the two it builds).
    fn late_bases_pack() -> (tempfile::TempDir, PathBuf, Vec<u64>, [Vec<u8>; 4]) {
        let a = b"the first blob\n".to_vec();
        let c = b"a blob two deltas build on\n".to_vec();
        let c1 = [&c[..], b"more\n"].concat();
        let c2 = [&c1[..], b"again\n"].concat();
        let tree = [&b"100644 a\0"[..], &object_id("blob", &a)].concat();
        let tree_extra = [&b"100644 b\0"[..], &object_id("blob", &a)].concat();
        // The pack's entries: a blob first, then ref-deltas whose bases come after them
        // (one of a tree, and a chain of two of a blob), then those bases.
        let entries = vec![
            whole(3, &a),
            ref_delta("tree", &tree, &tree_extra),
            ref_delta("blob", &c1, b"again\n"),
            ref_delta("blob", &c, b"more\n"),
            whole(3, &c),
            whole(2, &tree),
        ];
        let mut pack = b"PACK".to_vec();
        pack.extend(2u32.to_be_bytes());
        pack.extend((entries.len() as u32).to_be_bytes());
        let mut offsets = Vec::new();
        for entry in &entries {
            offsets.push(pack.len() as u64);
            pack.extend(entry);
        }
        let trailer = sha1(&[&pack]);
        pack.extend(trailer);
        let dir = tempfile::tempdir().unwrap();
        let pack_path = dir.path().join("pack-test.pack");
        std::fs::write(&pack_path, &pack).unwrap();
        let status = std::process::Command::new("git")
            .arg("index-pack")
            .arg(&pack_path)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        (
            dir,
            pack_path.with_extension("idx"),
            offsets,
            [a, c, c1, c2],
        )
    }

    /// The pack offsets of the entries [`blob_entries`] keeps.
    fn kept_offsets(idx: &Index, data: &Data, wanted: Option<&IdSet>) -> Vec<u64> {
        let kept = blob_entries(idx, data, None, wanted).unwrap();
        kept.iter().map(|e| e.pack_offset).collect()
    }

    fn blob_id(data: &[u8]) -> Oid {
        Oid::from_bytes(&object_id("blob", data)).unwrap()
    }

    #[test]
    fn deltas_whose_bases_come_later_are_told_apart_by_their_chains() {
        let (_dir, idx_path, offsets, blobs) = late_bases_pack();
        let (idx, data) = open(&idx_path).unwrap();
        let kept = kept_offsets(&idx, &data, None);
        // The tree's delta and the tree are left out; the blob chain is kept whole.
        assert_eq!(kept, vec![offsets[0], offsets[2], offsets[3], offsets[4]]);

        let pass = scan(
            &[idx_path],
            2,
            u64::MAX,
            None,
            |_: &[u8]| false,
            &|_, _| {},
            &AtomicBool::new(false),
        );
        assert!(pass.incomplete.is_empty(), "{:?}", pass.incomplete);
        let mut seen: Vec<Oid> = pass.seen.keys().copied().collect();
        seen.sort();
        let mut blobs: Vec<Oid> = blobs.iter().map(|b| blob_id(b)).collect();
        blobs.sort();
        assert_eq!(seen, blobs);
    }

    #[test]
    fn only_the_blobs_wanted_and_their_bases_are_decoded() {
        let (_dir, idx_path, offsets, [_, _, c1, c2]) = late_bases_pack();
        let (idx, data) = open(&idx_path).unwrap();
        // The middle of the chain: the delta that builds it and the base it builds on.
        // The pack's first entry is kept too (see `blob_entries`); the delta building on
        // the one wanted is not.
        let wanted: IdSet = [blob_id(&c1)].into_iter().collect();
        let kept = kept_offsets(&idx, &data, Some(&wanted));
        assert_eq!(kept, vec![offsets[0], offsets[3], offsets[4]]);

        // Only the blob wanted is tested and said to be seen; its base was decoded for it.
        let tested = Mutex::new(Vec::new());
        let pass = scan(
            &[idx_path],
            2,
            u64::MAX,
            Some(&wanted),
            |b: &[u8]| {
                tested.lock().unwrap().push(b.to_vec());
                true
            },
            &|_, _| {},
            &AtomicBool::new(false),
        );
        assert!(pass.incomplete.is_empty(), "{:?}", pass.incomplete);
        assert_eq!(
            pass.seen.keys().copied().collect::<Vec<_>>(),
            [blob_id(&c1)]
        );
        assert_eq!(
            pass.flagged.iter().copied().collect::<Vec<_>>(),
            [blob_id(&c1)]
        );
        assert_eq!(tested.into_inner().unwrap(), std::slice::from_ref(&c1));

        // The end of the chain: the whole chain.
        let wanted: IdSet = [blob_id(&c2)].into_iter().collect();
        let kept = kept_offsets(&idx, &data, Some(&wanted));
        assert_eq!(kept, vec![offsets[0], offsets[2], offsets[3], offsets[4]]);
    }
}
