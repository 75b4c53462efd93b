//! The one place file bytes are read: a memory map for large files, a plain read into the
//! caller's reusable buffer for everything else.

use std::fs::File;
use std::io::{self, Read};
use std::ops::Deref;

use memmap2::{Advice, Mmap, MmapOptions};

/// Files at least this large are memory-mapped; smaller ones are read into a buffer.
///
/// Chosen by measurement (`cargo bench --bench read`, results in
/// `benches/results/2026-11-22-read-threshold.md`): reading wins 3.4× at 4 KiB, the two are
/// even at 256 KiB, and mapping wins from there on (2× at 16 MiB). The threshold also
/// bounds each thread's reusable buffer, and so peak memory, however large the files are.
pub const MMAP_THRESHOLD: u64 = 256 << 10;

/// File contents, borrowed from the caller's buffer or mapped.
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

/// Reads at most `limit` bytes of `file`, whose size at open time was `len`.
///
/// # Safety of the map
///
/// A memory map is only as stable as the file under it. If another process truncates the
/// file while it is mapped, touching a page past the new end raises `SIGBUS` and ends the
/// process; if it rewrites the file in place, we may read a mixture of old and new bytes.
/// The second is harmless for a scanner (we report what we saw). The first is the risk
/// every mmap-based searcher (ripgrep included) accepts; we narrow it by mapping only large
/// files, which are rarely rewritten during a scan, by mapping exactly `len` bytes as of
/// the `fstat` just before, and by never holding a map beyond the scan of that one file.
/// Where mapping fails (special filesystems, address-space limits) we fall back to reads.
pub fn read_file<'a>(
    file: &File,
    len: u64,
    limit: u64,
    buf: &'a mut Vec<u8>,
) -> io::Result<Contents<'a>> {
    read_file_with_threshold(file, len, limit, buf, MMAP_THRESHOLD)
}

/// [`read_file`] with another mmap threshold: for the benchmark that chose
/// [`MMAP_THRESHOLD`] (`benches/read.rs`).
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
        // SAFETY: see the function documentation: the map is read-only, private to
        // this call, and a concurrent truncation is the documented, accepted risk.
        if let Ok(map) = unsafe { MmapOptions::new().len(len).map(file) } {
            let _ = map.advise(Advice::Sequential);
            return Ok(Contents::Mapped(map));
        }
    }
    buf.clear();
    // The file may have grown since `fstat`; never read more than the limit.
    buf.reserve(len.min(limit).min(threshold.max(1 << 16)) as usize);
    file.take(limit).read_to_end(buf)?;
    Ok(Contents::Buffered(buf))
}
