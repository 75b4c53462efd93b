//! Archives as a source: `.zip`/`.jar`, `.tar`, `.tar.gz`/`.tgz` and `.gz` opened in
//! memory, their regular files handed on as blobs named `outer.zip!inner/path`, nested
//! archives opened in turn up to a depth limit.
//!
//! An archive is hostile input. Everything expanded from one outer file shares one
//! budget: at most `ratio` times the outer file's size (never less than `floor`, never
//! more than `max_total`), so a bomb stops at the budget rather than at memory's end.
//! This module never matches and never prints: it reports what it found and what it
//! could not open, and the caller decides what to say.

use super::{At, Event, SkipReason};
use std::cell::Cell;
use std::io::{self, Cursor, Read};
use std::rc::Rc;

use flate2::read::MultiGzDecoder;

/// Limits for one outer archive and everything nested in it.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Archives inside archives are opened down to this depth (the outer one is 1).
    pub max_depth: u32,
    /// Largest single entry read (larger ones are skipped with a note).
    pub max_entry: u64,
    /// Most bytes expanded from one outer archive, nesting included.
    pub max_total: u64,
    /// Most bytes expanded per byte of the outer archive (bombs compress 1000:1 and more;
    /// real archives of text rarely pass 20:1)…
    pub ratio: u64,
    /// …but small archives may always expand this much.
    pub floor: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 3,
            max_entry: 256 << 20,
            max_total: 1 << 30,
            ratio: 100,
            floor: 64 << 20,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Zip,
    Tar,
    TarGz,
    Gz,
}

/// The archive kind of a file, by its name and confirmed by its first bytes (a `.zip`
/// that is not one is scanned as a plain file, silently).
pub fn kind_of(name: &str, bytes: &[u8]) -> Option<Kind> {
    let kind = kind_by_name(name)?;
    let magic_ok = match kind {
        // Self-extracting archives and executable jars put a script or a launcher before
        // the zip: its end record, near the end of the file, says it is one.
        Kind::Zip => {
            bytes.starts_with(b"PK\x03\x04")
                || bytes.starts_with(b"PK\x05\x06")
                || end_record(bytes).is_some()
        }
        Kind::TarGz | Kind::Gz => bytes.starts_with(&[0x1f, 0x8b]),
        // Old (v7) tar files have no magic; a tar file is at least one 512-byte header.
        Kind::Tar => bytes.len() >= 512,
    };
    magic_ok.then_some(kind)
}

/// The archive kind a file's name says it is.
fn kind_by_name(name: &str) -> Option<Kind> {
    // Asked of every file a sweep reads: compare case-insensitively in place, no copy.
    let n = name.as_bytes();
    let ends =
        |s: &str| n.len() >= s.len() && n[n.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes());
    // Packages are archives too: Python's wheels and eggs, NuGet's, Android's libraries
    // (zip); Rust's crates (tar.gz); Ruby's gems (tar).
    let zip = [
        ".zip", ".jar", ".war", ".ear", ".apk", ".aar", ".whl", ".egg", ".nupkg",
    ];
    let kind = if zip.iter().any(|s| ends(s)) {
        Kind::Zip
    } else if ends(".tar.gz") || ends(".tgz") || ends(".crate") {
        Kind::TarGz
    } else if ends(".gz") {
        Kind::Gz
    } else if ends(".tar") || ends(".gem") {
        Kind::Tar
    } else {
        return None;
    };
    Some(kind)
}

/// Opens the archive `bytes` named `name` (of `kind`), calling `visit` for each file in
/// it and in the archives nested in it.
pub fn visit(
    name: &str,
    kind: Kind,
    bytes: &[u8],
    limits: &Limits,
    visit: &mut dyn FnMut(Event<'_>),
) {
    let budget = (bytes.len() as u64)
        .saturating_mul(limits.ratio)
        .max(limits.floor)
        .min(limits.max_total);
    let mut walker = Walker {
        limits,
        budget: Rc::new(Budget {
            left: Cell::new(budget),
            refused: Cell::new(false),
        }),
        allowed: budget,
        visit,
    };
    walker.archive(name, kind, bytes, 1);
}

struct Walker<'a, 'v> {
    limits: &'a Limits,
    /// Bytes that may still be decompressed from the outer archive. Every decompressing
    /// reader is `Metered`, so data skipped over is paid for too; copies out of an
    /// uncompressed tar in memory cost nothing.
    budget: Rc<Budget>,
    /// The budget at the start, for the note.
    allowed: u64,
    visit: &'v mut dyn FnMut(Event<'_>),
}

/// What one outer archive may still expand to.
struct Budget {
    left: Cell<u64>,
    /// A read was refused: the archive wanted more than its budget. (A budget used up
    /// exactly is not spent until something more is asked of it.)
    refused: Cell<bool>,
}

/// A decompressing reader that spends the archive's budget, failing once it is spent.
struct Metered<R> {
    inner: R,
    budget: Rc<Budget>,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)? as u64;
        let left = self.budget.left.get();
        if n > left {
            self.budget.left.set(0);
            self.budget.refused.set(true);
            return Err(io::Error::other("the archive's expansion budget is spent"));
        }
        self.budget.left.set(left - n);
        Ok(n as usize)
    }
}

/// Why reading stopped early.
enum Stop {
    /// This entry is larger than `max_entry`: skip it, go on.
    TooLarge,
    /// The outer archive's budget ran out while this was read.
    Budget,
    /// This member declares more than what is left of the budget: skipped unread.
    WouldSpend,
    Io(io::Error),
}

impl Walker<'_, '_> {
    fn metered<R: Read>(&self, inner: R) -> Metered<R> {
        Metered {
            inner,
            budget: Rc::clone(&self.budget),
        }
    }

    fn spent(&self) -> bool {
        self.budget.refused.get()
    }

    fn archive(&mut self, name: &str, kind: Kind, bytes: &[u8], depth: u32) {
        match kind {
            Kind::Zip => self.zip(name, bytes, depth),
            Kind::Tar => self.tar(name, bytes, depth),
            Kind::TarGz => {
                let stream = self.metered(MultiGzDecoder::new(bytes));
                self.tar(name, stream, depth)
            }
            Kind::Gz => {
                // One compressed file: its name is the archive's without `.gz`.
                let inner = &name[..name.len() - 3];
                let inner_base = inner.rsplit('!').next().unwrap_or(inner);
                let full = format!("{name}!{}", base_name(inner_base));
                let stream = self.metered(MultiGzDecoder::new(bytes));
                self.read_entry(&full, stream, depth);
            }
        }
    }

    fn zip(&mut self, name: &str, bytes: &[u8], depth: u32) {
        let mut zip = match zip::ZipArchive::new(Cursor::new(bytes)) {
            Ok(z) => z,
            Err(e) => {
                return (self.visit)(Event::Error {
                    at: Some(At::Entry(name)),
                    message: format!("not a readable zip archive: {e}"),
                });
            }
        };
        // Plain members first, archives inside it after: a nested bomb (42.zip) may spend
        // the budget, and must not cost the scan of a key stored beside it.
        let mut nested = Vec::new();
        for pass in 0..2 {
            let order: Vec<usize> = if pass == 0 {
                (0..zip.len()).collect()
            } else {
                std::mem::take(&mut nested)
            };
            for i in order {
                let file = match zip.by_index(i) {
                    Ok(f) => f,
                    Err(zip::result::ZipError::UnsupportedArchive(why)) => {
                        let full = format!("{name}!(entry {})", i + 1);
                        (self.visit)(Event::Skipped {
                            at: At::Entry(&full),
                            reason: SkipReason::Entry(format!("not opened: {why}")),
                        });
                        continue;
                    }
                    Err(e) => {
                        return (self.visit)(Event::Error {
                            at: Some(At::Entry(name)),
                            message: format!("entry {}: {e}", i + 1),
                        });
                    }
                };
                if !file.is_file() {
                    continue;
                }
                let full = format!("{name}!{}", String::from_utf8_lossy(file.name_raw()));
                if pass == 0 && kind_by_name(&full).is_some() {
                    nested.push(i);
                    continue;
                }
                if file.encrypted() {
                    (self.visit)(Event::Skipped {
                        at: At::Entry(&full),
                        reason: SkipReason::Entry("encrypted in the archive; not opened".into()),
                    });
                    continue;
                }
                if file.size() > self.limits.max_entry {
                    self.stopped(&full, Stop::TooLarge);
                    continue;
                }
                // The member says it expands past what is left: skip it, not what follows.
                // (The zip reader stops a member at the size it declares.)
                if file.size() > self.budget.left.get() {
                    self.stopped(&full, Stop::WouldSpend);
                    continue;
                }
                let stream = self.metered(file);
                // A bad entry (a wrong checksum, a broken stream) is reported and the rest
                // of the zip is still read: its directory says where each entry starts. So
                // is a member that spent the budget: what follows may still fit.
                self.read_entry(&full, stream, depth);
            }
        }
        self.hidden_zip_entries(name, bytes, zip.len(), depth);
    }

    /// Central-directory records past the count the end record gives: readers that trust
    /// the count (as the zip crate does) never see them, and `unzip` extracts them. Each is
    /// read from its local header.
    fn hidden_zip_entries(&mut self, name: &str, bytes: &[u8], listed: usize, depth: u32) {
        for e in central_records(bytes).into_iter().skip(listed) {
            let full = format!("{name}!{}", String::from_utf8_lossy(&e.name));
            if e.flags & 1 != 0 {
                (self.visit)(Event::Skipped {
                    at: At::Entry(&full),
                    reason: SkipReason::Entry("encrypted in the archive; not opened".into()),
                });
                continue;
            }
            let Some(data) = local_data(bytes, e.local, e.compressed) else {
                (self.visit)(Event::Error {
                    at: Some(At::Entry(&full)),
                    message: "listed past the archive's entry count, and its data is not \
                              where the listing says"
                        .into(),
                });
                continue;
            };
            if e.size > self.limits.max_entry {
                self.stopped(&full, Stop::TooLarge);
                continue;
            }
            if e.method != 0 && e.size > self.budget.left.get() {
                self.stopped(&full, Stop::WouldSpend);
                continue;
            }
            match e.method {
                0 => {
                    self.read_entry(&full, data, depth);
                }
                8 => {
                    let stream = self.metered(flate2::read::DeflateDecoder::new(data));
                    self.read_entry(&full, stream.take(e.size), depth);
                }
                m => (self.visit)(Event::Error {
                    at: Some(At::Entry(&full)),
                    message: format!(
                        "listed past the archive's entry count, compressed with method {m}, \
                         which keysweep cannot read; not scanned"
                    ),
                }),
            }
        }
    }

    fn tar<R: Read>(&mut self, name: &str, reader: R, depth: u32) {
        let mut tar = tar::Archive::new(reader);
        let entries = match tar.entries() {
            Ok(e) => e,
            Err(e) => return self.tar_error(name, &e),
        };
        for entry in entries {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => return self.tar_error(name, &e),
            };
            let t = entry.header().entry_type();
            let full = format!("{name}!{}", String::from_utf8_lossy(&entry.path_bytes()));
            // GNU sparse members are files: the reader fills their holes with zeros.
            if !(t.is_file() || t.is_contiguous() || t.is_gnu_sparse()) {
                if !known_not_a_file(t) && entry.size() > 0 {
                    (self.visit)(Event::Skipped {
                        at: At::Entry(&full),
                        reason: SkipReason::Entry(format!(
                            "tar entry of type {:?}, which keysweep does not read; not scanned",
                            char::from(t.as_byte())
                        )),
                    });
                }
                continue;
            }
            if entry.size() > self.limits.max_entry {
                self.stopped(&full, Stop::TooLarge);
                continue;
            }
            // A tar is a stream: after a broken entry, nothing further can be trusted. A
            // member that spent the budget does not end it: in an uncompressed tar, the
            // members after it cost nothing to read (a compressed one fails at its next
            // header, and says so).
            if !self.read_entry(&full, &mut entry, depth) {
                return;
            }
        }
    }

    fn tar_error(&mut self, name: &str, e: &io::Error) {
        if self.spent() {
            return self.stopped(name, Stop::Budget);
        }
        (self.visit)(Event::Error {
            at: Some(At::Entry(name)),
            message: format!("not a readable tar archive: {e}"),
        })
    }

    /// A file inside an archive: opened in turn if it is an archive, else handed on.
    fn entry(&mut self, full: &str, data: &[u8], depth: u32) {
        match kind_of(full, data) {
            Some(kind) if depth < self.limits.max_depth => {
                self.archive(full, kind, data, depth + 1)
            }
            Some(_) => (self.visit)(Event::Skipped {
                at: At::Entry(full),
                reason: SkipReason::Entry(format!(
                    "archive nested more than {} deep; not opened",
                    self.limits.max_depth
                )),
            }),
            None => (self.visit)(Event::Blob {
                at: At::Entry(full),
                meta: None,
                bytes: data,
            }),
        }
    }

    /// Reads entry `full` from `r` (a metered stream, or a copy from memory) up to the
    /// entry limit and hands it on. What was read before an error (a truncated `.gz`, the
    /// budget spent) is still scanned, then the error is reported. Says whether the
    /// entry was read to its end (or skipped whole for its size).
    fn read_entry<R: Read>(&mut self, full: &str, r: R, depth: u32) -> bool {
        let cap = self.limits.max_entry;
        let mut data = Vec::new();
        let stop = match r.take(cap + 1).read_to_end(&mut data) {
            Ok(_) if data.len() as u64 > cap => {
                self.stopped(full, Stop::TooLarge);
                return true;
            }
            Ok(_) => None,
            Err(_) if self.spent() => Some(Stop::Budget),
            Err(e) => Some(Stop::Io(e)),
        };
        if stop.is_none() || !data.is_empty() {
            self.entry(full, &data, depth);
        }
        match stop {
            Some(stop) => {
                self.stopped(full, stop);
                false
            }
            None => true,
        }
    }

    fn stopped(&mut self, full: &str, stop: Stop) {
        match stop {
            Stop::TooLarge => (self.visit)(Event::Skipped {
                at: At::Entry(full),
                reason: SkipReason::Entry(format!(
                    "expands to more than {} MiB; not scanned",
                    self.limits.max_entry >> 20
                )),
            }),
            // Not read, so a problem (exit 2 when nothing else is found), not a skip.
            Stop::Budget => (self.visit)(Event::Error {
                at: Some(At::Entry(full)),
                message: format!(
                    "the archive expands past {} MiB ({}× its size, at least {} MiB): \
                         a possible archive bomb; not scanned past that point",
                    self.allowed >> 20,
                    self.limits.ratio,
                    self.limits.floor >> 20
                ),
            }),
            Stop::WouldSpend => (self.visit)(Event::Error {
                at: Some(At::Entry(full)),
                message: format!(
                    "expands past what is left of the archive's {} MiB budget ({}× its \
                         size, at least {} MiB): a possible archive bomb; not scanned",
                    self.allowed >> 20,
                    self.limits.ratio,
                    self.limits.floor >> 20
                ),
            }),
            Stop::Io(e) => (self.visit)(Event::Error {
                at: Some(At::Entry(full)),
                message: format!("could not be expanded to its end: {e}"),
            }),
        }
    }
}

/// Tar entry types that hold no file data of their own (links, devices, directories,
/// and the headers the tar reader consumes itself).
fn known_not_a_file(t: tar::EntryType) -> bool {
    use tar::EntryType as E;
    matches!(
        t,
        E::Link
            | E::Symlink
            | E::Char
            | E::Block
            | E::Directory
            | E::Fifo
            | E::GNULongName
            | E::GNULongLink
            | E::XGlobalHeader
            | E::XHeader
    )
}

fn le16(b: &[u8], at: usize) -> Option<u64> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?).into())
}

fn le32(b: &[u8], at: usize) -> Option<u64> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?).into())
}

/// The offset of a zip's end-of-central-directory record: in the last 64 KiB (its
/// comment's longest) and 22 bytes of the file.
fn end_record(bytes: &[u8]) -> Option<usize> {
    let from = bytes.len().saturating_sub(22 + 0xffff);
    let mut tail = &bytes[from..];
    while let Some(at) = memchr::memmem::rfind(tail, b"PK\x05\x06") {
        // The record's comment length must reach exactly the end of the file.
        if le16(tail, at + 20).is_some_and(|c| at + 22 + c as usize == tail.len()) {
            return Some(from + at);
        }
        tail = &tail[..at];
    }
    None
}

/// One central-directory record.
struct CentralRecord {
    flags: u64,
    method: u64,
    compressed: u64,
    size: u64,
    /// Where its local header is in `bytes` (prefix included).
    local: u64,
    name: Vec<u8>,
}

/// Every record of a zip's central directory, read until the signature stops, whatever
/// count the end record gives. Empty for zip64 archives (whose count the reader takes from
/// elsewhere) and for anything that does not parse.
fn central_records(bytes: &[u8]) -> Vec<CentralRecord> {
    let mut out = Vec::new();
    let Some(end) = end_record(bytes) else {
        return out;
    };
    let (Some(count), Some(cd_size), Some(cd_offset)) = (
        le16(bytes, end + 10),
        le32(bytes, end + 12),
        le32(bytes, end + 16),
    ) else {
        return out;
    };
    if count == 0xffff || cd_size == 0xffff_ffff || cd_offset == 0xffff_ffff {
        return out;
    }
    // Bytes before the zip (a script, a launcher) shift every offset it records.
    let is_record = |at: u64| {
        bytes
            .get(at as usize..)
            .is_some_and(|b| b.starts_with(b"PK\x01\x02"))
    };
    let shift = if is_record(cd_offset) {
        0
    } else {
        match (end as u64).checked_sub(cd_size) {
            Some(start) if start >= cd_offset && is_record(start) => start - cd_offset,
            _ => return out,
        }
    };
    let mut at = (cd_offset + shift) as usize;
    while at < end && bytes[at..].starts_with(b"PK\x01\x02") {
        let field = |off: usize, width: usize| {
            if width == 2 {
                le16(bytes, at + off)
            } else {
                le32(bytes, at + off)
            }
        };
        let (Some(flags), Some(method), Some(compressed), Some(size)) =
            (field(8, 2), field(10, 2), field(20, 4), field(24, 4))
        else {
            break;
        };
        let (Some(nlen), Some(xlen), Some(clen), Some(local)) =
            (field(28, 2), field(30, 2), field(32, 2), field(42, 4))
        else {
            break;
        };
        let name_at = at + 46;
        let Some(name) = bytes.get(name_at..name_at + nlen as usize) else {
            break;
        };
        out.push(CentralRecord {
            flags,
            method,
            compressed,
            size,
            local: local + shift,
            name: name.to_vec(),
        });
        at = name_at + (nlen + xlen + clen) as usize;
    }
    out
}

/// The stored data of the member whose local header is at `local`.
fn local_data(bytes: &[u8], local: u64, compressed: u64) -> Option<&[u8]> {
    let local = usize::try_from(local).ok()?;
    if !bytes.get(local..)?.starts_with(b"PK\x03\x04") {
        return None;
    }
    let start = local + 30 + le16(bytes, local + 26)? as usize + le16(bytes, local + 28)? as usize;
    bytes.get(start..start.checked_add(usize::try_from(compressed).ok()?)?)
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn collect(name: &str, bytes: &[u8], limits: &Limits) -> Vec<String> {
        let mut out = Vec::new();
        let kind = kind_of(name, bytes).expect("an archive");
        visit(name, kind, bytes, limits, &mut |e| {
            out.push(match e {
                Event::Blob { at, bytes, .. } => format!("file {at} {}", bytes.len()),
                Event::Skipped { at, reason } => format!("skipped {at}: {reason}"),
                Event::Error { at, message } => match at {
                    Some(at) => format!("error {at}: {message}"),
                    None => format!("error: {message}"),
                },
                Event::Dir { .. } => unreachable!("archives hold no reported folders"),
            })
        });
        out
    }

    #[test]
    fn kinds_need_their_magic() {
        assert_eq!(kind_of("a.zip", b"PK\x03\x04rest"), Some(Kind::Zip));
        assert_eq!(kind_of("a.ZIP", b"not a zip"), None);
        assert_eq!(kind_of("a.tgz", &[0x1f, 0x8b, 8]), Some(Kind::TarGz));
        assert_eq!(kind_of("a.log.gz", &[0x1f, 0x8b, 8]), Some(Kind::Gz));
        assert_eq!(kind_of("a.txt", b"PK\x03\x04"), None);
    }

    #[test]
    fn gz_bomb_stops_at_the_budget() {
        let bomb = gz(&vec![0u8; 50 << 20]);
        let limits = Limits {
            floor: 1 << 20,
            ..Limits::default()
        };
        let out = collect("bomb.gz", &bomb, &limits);
        // What fit in the budget is scanned, then the rest is refused.
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(out[0].starts_with("file bomb.gz!bomb "), "{out:?}");
        assert!(out[1].contains("archive bomb"), "{out:?}");
    }

    fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn every_member_of_a_multi_member_gz_is_read() {
        let mut data = gz(b"first\n");
        data.extend(gz(b"second\n"));
        let out = collect("log.gz", &data, &Limits::default());
        assert_eq!(out, ["file log.gz!log 13"]);
    }

    #[test]
    fn a_budget_used_up_exactly_still_reads_what_follows_or_says_why_not() {
        let big = vec![0u8; 1 << 20];
        let data = zip(&[("zeros", &big), ("creds.txt", b"secret")]);
        let limits = Limits {
            floor: 1 << 20,
            ratio: 1,
            ..Limits::default()
        };
        let out = collect("exact.zip", &data, &limits);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[0], "file exact.zip!zeros 1048576");
        // Not read, so reported as a problem, not a skip.
        assert!(
            out[1].starts_with("error exact.zip!creds.txt") && out[1].contains("archive bomb"),
            "{out:?}"
        );
    }

    #[test]
    fn a_truncated_gz_is_scanned_as_far_as_it_goes() {
        let mut text = b"AKIA-like line\n".repeat(1000);
        text.extend((0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        let full = gz(&text);
        let cut = &full[..full.len() / 2];
        let out = collect("half.log.gz", cut, &Limits::default());
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(out[0].starts_with("file half.log.gz!half.log "), "{out:?}");
        assert!(out[1].starts_with("error half.log.gz!half.log"), "{out:?}");
    }

    #[test]
    fn a_bad_zip_entry_does_not_hide_the_next() {
        let mut data = zip(&[("a.txt", b"aaaaaaaaaaaaaaaa"), ("b.txt", b"the secret")]);
        // Corrupt a.txt's stored bytes: its checksum fails, b.txt is still read.
        let at = memchr::memmem::find(&data, b"a.txt").unwrap() + 5;
        data[at] ^= 0xff;
        let out = collect("bad.zip", &data, &Limits::default());
        assert!(out.iter().any(|e| e == "file bad.zip!b.txt 10"), "{out:?}");
    }

    /// A script before the zip and a count that leaves out the last record: the records
    /// are all found, with their local headers where the prefix put them.
    #[test]
    fn central_records_past_the_count_and_after_a_prefix() {
        let mut data = b"#!/bin/sh\nexit 0\n".to_vec();
        let prefix = data.len() as u64;
        data.extend(zip(&[("a.txt", b"first"), ("b.txt", b"second")]));
        let end = end_record(&data).unwrap();
        data[end + 8] = 1;
        data[end + 10] = 1;
        assert_eq!(kind_of("x.jar", &data), Some(Kind::Zip));
        let records = central_records(&data);
        let names: Vec<&[u8]> = records.iter().map(|r| &r.name[..]).collect();
        assert_eq!(names, [&b"a.txt"[..], b"b.txt"]);
        assert_eq!(records[0].local, prefix);
        let out = collect("x.jar", &data, &Limits::default());
        assert_eq!(out, ["file x.jar!a.txt 5", "file x.jar!b.txt 6"]);
    }

    #[test]
    fn gz_names_its_content_after_itself() {
        let out = collect("dir/notes.txt.gz", &gz(b"hello"), &Limits::default());
        assert_eq!(out, ["file dir/notes.txt.gz!notes.txt 5"]);
    }

    #[test]
    fn nesting_stops_at_the_depth_limit() {
        let mut data = gz(b"deep");
        let mut name = "x".to_string();
        for _ in 0..4 {
            name.push_str(".gz");
        }
        for _ in 0..3 {
            data = gz(&data);
        }
        let out = collect(&name, &data, &Limits::default());
        assert_eq!(out.len(), 1);
        assert!(
            out[0].starts_with("skipped") && out[0].contains("nested"),
            "{out:?}"
        );
    }
}
