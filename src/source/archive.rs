//! Archives as a source: `.zip`/`.jar`, `.tar`, `.tar.gz`/`.tgz` and `.gz` opened in
//! memory, their regular files handed on as blobs named `outer.zip!inner/path`, nested
//! archives opened in turn up to a depth limit.
//!
//! An archive is hostile input. Everything expanded from one outer file shares one
//! budget: at most `ratio` times the outer file's size (never less than `floor`, never
//! more than `max_total`), so a bomb stops at the budget rather than at memory's end.
//! This module never matches and never prints: it reports what it found and what it
//! could not open, and the caller decides what to say.

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

/// What an archive held, in order.
pub enum Event<'a> {
    /// A regular file inside, with its full name (`outer.zip!dir/file`).
    File { name: &'a str, bytes: &'a [u8] },
    /// An entry not opened: encrypted, too large, nested too deep, or the budget is spent.
    Skipped { name: &'a str, why: String },
    /// The archive (or the rest of it) could not be read.
    Error { name: &'a str, message: String },
}

/// The archive kind of a file, by its name and confirmed by its first bytes (a `.zip`
/// that is not one is scanned as a plain file, silently).
pub fn kind_of(name: &str, bytes: &[u8]) -> Option<Kind> {
    // Asked of every file a sweep reads: compare case-insensitively in place, no copy.
    let n = name.as_bytes();
    let ends =
        |s: &str| n.len() >= s.len() && n[n.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes());
    let kind = if ends(".zip") || ends(".jar") || ends(".war") || ends(".ear") || ends(".apk") {
        Kind::Zip
    } else if ends(".tar.gz") || ends(".tgz") {
        Kind::TarGz
    } else if ends(".gz") {
        Kind::Gz
    } else if ends(".tar") {
        Kind::Tar
    } else {
        return None;
    };
    let magic_ok = match kind {
        Kind::Zip => bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06"),
        Kind::TarGz | Kind::Gz => bytes.starts_with(&[0x1f, 0x8b]),
        // Old (v7) tar files have no magic; a tar file is at least one 512-byte header.
        Kind::Tar => bytes.len() >= 512,
    };
    magic_ok.then_some(kind)
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
    /// The outer archive's budget is spent: stop everything.
    Budget,
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
                    name,
                    message: format!("not a readable zip archive: {e}"),
                });
            }
        };
        for i in 0..zip.len() {
            let file = match zip.by_index(i) {
                Ok(f) => f,
                Err(zip::result::ZipError::UnsupportedArchive(why)) => {
                    let full = format!("{name}!(entry {})", i + 1);
                    (self.visit)(Event::Skipped {
                        name: &full,
                        why: format!("not opened: {why}"),
                    });
                    continue;
                }
                Err(e) => {
                    return (self.visit)(Event::Error {
                        name,
                        message: format!("entry {}: {e}", i + 1),
                    });
                }
            };
            if !file.is_file() {
                continue;
            }
            let full = format!("{name}!{}", String::from_utf8_lossy(file.name_raw()));
            if file.encrypted() {
                (self.visit)(Event::Skipped {
                    name: &full,
                    why: "encrypted in the archive; not opened".into(),
                });
                continue;
            }
            if file.size() > self.limits.max_entry {
                self.stopped(&full, Stop::TooLarge);
                continue;
            }
            let stream = self.metered(file);
            self.read_entry(&full, stream, depth);
            // A bad entry (a wrong checksum, a broken stream) is reported and the rest of
            // the zip is still read: its directory says where each entry starts.
            if self.spent() {
                return;
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
            if !(t.is_file() || t == tar::EntryType::Continuous) {
                continue;
            }
            let full = format!("{name}!{}", String::from_utf8_lossy(&entry.path_bytes()));
            if entry.size() > self.limits.max_entry {
                self.stopped(&full, Stop::TooLarge);
                continue;
            }
            // A tar is a stream: after a broken entry, nothing further can be trusted.
            if !self.read_entry(&full, &mut entry, depth) || self.spent() {
                return;
            }
        }
    }

    fn tar_error(&mut self, name: &str, e: &io::Error) {
        if self.spent() {
            return self.stopped(name, Stop::Budget);
        }
        (self.visit)(Event::Error {
            name,
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
                name: full,
                why: format!(
                    "archive nested more than {} deep; not opened",
                    self.limits.max_depth
                ),
            }),
            None => (self.visit)(Event::File {
                name: full,
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
                name: full,
                why: format!(
                    "expands to more than {} MiB; not scanned",
                    self.limits.max_entry >> 20
                ),
            }),
            Stop::Budget => (self.visit)(Event::Skipped {
                name: full,
                why: format!(
                    "the archive expands past {} MiB ({}× its size, at least {} MiB): \
                         a possible archive bomb; the rest of it is not scanned",
                    self.allowed >> 20,
                    self.limits.ratio,
                    self.limits.floor >> 20
                ),
            }),
            Stop::Io(e) => (self.visit)(Event::Error {
                name: full,
                message: format!("could not be expanded to its end: {e}"),
            }),
        }
    }
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
                Event::File { name, bytes } => format!("file {name} {}", bytes.len()),
                Event::Skipped { name, why } => format!("skipped {name}: {why}"),
                Event::Error { name, message } => format!("error {name}: {message}"),
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
        assert!(
            out[1].starts_with("skipped exact.zip!creds.txt") && out[1].contains("archive bomb"),
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
