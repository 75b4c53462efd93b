//! The one place file bytes are read: a plain read into the caller's reusable buffer.
//!
//! Scans never memory-map files. A map is only as stable as the file under it: when another
//! process truncates a mapped file (logrotate's `copytruncate` does, during a sweep of
//! `/var/log`), touching a page past the new end raises `SIGBUS` and kills the run, with no
//! report and every other file's findings lost. A read cannot fault: a file that shrinks
//! while it is read just yields fewer bytes, which the caller compares with the size it
//! was told and reports. The cost, measured with `cargo bench --bench read`
//! (`benches/results/2026-12-01-read-no-mmap.md`), is the copy into the buffer.

use std::fs::File;
use std::io::{self, Read};
use std::ops::Deref;

use memmap2::{Advice, Mmap, MmapOptions};

/// Above this capacity, a buffer left by a large file is given back before a smaller file
/// is read, so that one large file does not pin its size in memory for the rest of a run.
const KEEP_CAPACITY: usize = 16 << 20;

/// File contents, borrowed from the caller's buffer or (benchmarks only) mapped.
pub enum Contents<'a> {
    Buffered(&'a [u8]),
    Mapped(Mmap),
}

impl Deref for Contents<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Contents::Buffered(b) => b,
            Contents::Mapped(m) => m,
        }
    }
}

/// Reads at most `limit` bytes of `file`, whose size at open time was `len`. Fewer than
/// `len` bytes come back when the file shrank in between; more (up to `limit`) when it
/// grew.
pub fn read_file<'a>(
    file: &File,
    len: u64,
    limit: u64,
    buf: &'a mut Vec<u8>,
) -> io::Result<Contents<'a>> {
    read_file_with_threshold(file, len, limit, buf, u64::MAX)
}

/// [`read_file`], but memory-mapping files of at least `threshold` bytes: for the
/// benchmark that compares the two (`benches/read.rs`). Not for scans: a mapped file
/// truncated while it is read kills the process with `SIGBUS`.
#[doc(hidden)]
pub fn read_file_with_threshold<'a>(
    file: &File,
    len: u64,
    limit: u64,
    buf: &'a mut Vec<u8>,
    threshold: u64,
) -> io::Result<Contents<'a>> {
    if len >= threshold
        && len > 0
        && len <= limit
        && let Ok(len) = usize::try_from(len)
    {
        // SAFETY: benchmark only (see above): nothing truncates the benchmark's files.
        if let Ok(map) = unsafe { MmapOptions::new().len(len).map(file) } {
            let _ = map.advise(Advice::Sequential);
            return Ok(Contents::Mapped(map));
        }
    }
    let want = usize::try_from(len.min(limit)).unwrap_or(usize::MAX);
    if buf.capacity() > KEEP_CAPACITY && want < buf.capacity() / 2 {
        *buf = Vec::new();
    }
    buf.clear();
    // One more byte than the size, so that reading to the end needs no second allocation.
    // The file may have grown since `fstat`; never read more than the limit.
    buf.reserve(want.saturating_add(1));
    file.take(limit).read_to_end(buf)?;
    Ok(Contents::Buffered(buf))
}

#[cfg(test)]
mod tests {
    use std::io::{Seek, Write};

    use super::*;

    /// A file truncated after its size was taken yields what is left, and no fault.
    #[test]
    fn a_file_that_shrank_gives_what_is_left() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&[b'x'; 1000]).unwrap();
        f.set_len(10).unwrap();
        f.rewind().unwrap();
        let mut buf = Vec::new();
        assert_eq!(read_file(&f, 1000, u64::MAX, &mut buf).unwrap().len(), 10);
    }
}
