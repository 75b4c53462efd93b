//! The one place file bytes are read: small files into the caller's reusable buffer,
//! large ones memory-mapped, with a guard that keeps a map from killing the run.
//!
//! A map is only as stable as the file under it: when another process truncates a mapped
//! file (logrotate's `copytruncate` does, during a sweep of `/var/log`), or the disk fails
//! under it, touching a page past the new end raises `SIGBUS`, which would kill the run
//! with no report and every other file's findings lost. Every live map is therefore
//! registered here, and a `SIGBUS` handler that finds the faulting address inside one
//! puts a page of zeros in place of the vanished one, marks the map, and lets the scan go
//! on; the caller asks [`Contents::vanished`] afterwards and reports the file as not read
//! to its end. A fault anywhere else goes to the handler that was there before (Rust's
//! stack-overflow report), or kills the process as it always would.
//!
//! Why map at all: for files of a few hundred KiB and more, the copy a read makes (and,
//! in a short run, the zeroing and faulting-in of a fresh buffer) costs more than the scan
//! (`benches/results/2026-11-22-read-threshold.md`, `2026-12-01-read-no-mmap.md`).

use std::fs::File;
use std::io::{self, Read};
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use memmap2::{Advice, Mmap, MmapOptions};

/// Files of at least this size are memory-mapped; smaller ones are read (below it the
/// map's system calls and page-table work cost more than the copy).
pub const MAP_THRESHOLD: u64 = 256 << 10;

/// Above this capacity, a buffer left by a large file is given back before a smaller file
/// is read, so that one large file does not pin its size in memory for the rest of a run.
const KEEP_CAPACITY: usize = 16 << 20;

/// File contents, borrowed from the caller's buffer or mapped.
pub enum Contents<'a> {
    Buffered(&'a [u8]),
    Mapped(GuardedMap),
}

impl Contents<'_> {
    /// Whether part of a mapped file vanished while it was scanned (the file was
    /// truncated, or its pages could not be read): that part read as zeros.
    pub fn vanished(&self) -> bool {
        match self {
            Contents::Buffered(_) => false,
            Contents::Mapped(m) => SLOTS[m.slot].vanished.load(Ordering::SeqCst),
        }
    }
}

impl Deref for Contents<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Contents::Buffered(b) => b,
            Contents::Mapped(m) => &m.map,
        }
    }
}

/// A read-only map registered with the `SIGBUS` guard for as long as it lives.
pub struct GuardedMap {
    map: Mmap,
    slot: usize,
}

impl Drop for GuardedMap {
    fn drop(&mut self) {
        // Unregistered before the map itself is unmapped (fields drop after this).
        let s = &SLOTS[self.slot];
        s.len.store(0, Ordering::SeqCst);
        s.start.store(0, Ordering::SeqCst);
        s.vanished.store(false, Ordering::SeqCst);
        s.taken.store(false, Ordering::SeqCst);
    }
}

/// One registered map: its address range and whether a page of it vanished.
struct Slot {
    taken: AtomicBool,
    start: AtomicUsize,
    len: AtomicUsize,
    vanished: AtomicBool,
}

/// At most this many maps are live at once (one per scanning thread; a thread that finds
/// no free slot reads instead).
const SLOT_COUNT: usize = 256;

#[allow(clippy::declare_interior_mutable_const)]
const FREE: Slot = Slot {
    taken: AtomicBool::new(false),
    start: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    vanished: AtomicBool::new(false),
};
static SLOTS: [Slot; SLOT_COUNT] = [FREE; SLOT_COUNT];

/// The `SIGBUS` disposition before ours, called for faults that are not ours.
static PREVIOUS: std::sync::OnceLock<libc::sigaction> = std::sync::OnceLock::new();

/// Installs the `SIGBUS` guard once; false if it could not be installed.
fn install_guard() -> bool {
    static INSTALLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *INSTALLED.get_or_init(|| {
        // SAFETY: `sigaction` with a zeroed struct, an empty mask and a handler that only reads atomics, maps a page and chains (see `on_sigbus`).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as *const () as libc::sighandler_t;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGBUS, &action, &mut old) != 0 {
                return false;
            }
            let _ = PREVIOUS.set(old);
        }
        true
    })
}

extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel hands a valid `siginfo_t` to an `SA_SIGINFO` handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    for s in &SLOTS {
        let start = s.start.load(Ordering::SeqCst);
        let len = s.len.load(Ordering::SeqCst);
        if len == 0 || addr < start || addr >= start + len {
            continue;
        }
        // SAFETY: `sysconf` and `mmap` are plain system calls. The page replaced lies inside
        // a live map owned by the faulting thread (the only one reading it), which is
        // unmapped whole when it is dropped.
        unsafe {
            let page = libc::sysconf(libc::_SC_PAGESIZE).max(4096) as usize;
            let at = addr & !(page - 1);
            let zero = libc::mmap(
                at as *mut libc::c_void,
                page,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            );
            if zero != libc::MAP_FAILED {
                s.vanished.store(true, Ordering::SeqCst);
                return;
            }
        }
        break;
    }
    // Not ours: whatever was there before decides (Rust's stack-overflow report, or the
    // default, which ends the process when the fault repeats on return).
    // SAFETY: `PREVIOUS` was written before this handler was installed and is never
    // changed; calling a previous `SA_SIGINFO` handler with our arguments is how chaining
    // works; `sigaction` is async-signal-safe.
    unsafe {
        match PREVIOUS.get() {
            Some(old)
                if old.sa_flags & libc::SA_SIGINFO != 0
                    && old.sa_sigaction != libc::SIG_DFL
                    && old.sa_sigaction != libc::SIG_IGN =>
            {
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    std::mem::transmute(old.sa_sigaction);
                f(sig, info, ctx);
            }
            Some(old) if old.sa_sigaction != libc::SIG_DFL && old.sa_sigaction != libc::SIG_IGN => {
                let f: extern "C" fn(libc::c_int) = std::mem::transmute(old.sa_sigaction);
                f(sig);
            }
            _ => {
                let mut dfl: libc::sigaction = std::mem::zeroed();
                dfl.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(libc::SIGBUS, &dfl, std::ptr::null_mut());
            }
        }
    }
}

/// Maps `len` bytes of `file` and registers the map; `None` if there is no free slot or
/// the map fails (the caller reads instead).
fn map_guarded(file: &File, len: usize) -> Option<GuardedMap> {
    if !install_guard() {
        return None;
    }
    let slot = SLOTS.iter().position(|s| {
        s.taken
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    })?;
    // SAFETY: the map is registered with the SIGBUS guard before any byte of it is read,
    // so a truncation under it reads as zeros and is reported, instead of killing the run.
    let map = match unsafe { MmapOptions::new().len(len).map(file) } {
        Ok(m) => m,
        Err(_) => {
            SLOTS[slot].taken.store(false, Ordering::SeqCst);
            return None;
        }
    };
    let s = &SLOTS[slot];
    s.vanished.store(false, Ordering::SeqCst);
    s.start.store(map.as_ptr() as usize, Ordering::SeqCst);
    s.len.store(len, Ordering::SeqCst);
    let _ = map.advise(Advice::Sequential);
    Some(GuardedMap { map, slot })
}

/// Reads at most `limit` bytes of `file`, whose size at open time was `len`: mapped when
/// it is [`MAP_THRESHOLD`] or more, read otherwise. Fewer than `len` bytes come back when
/// a read file shrank in between (more, up to `limit`, when it grew); a mapped file that
/// shrinks while it is scanned says so through [`Contents::vanished`].
pub fn read_file<'a>(
    file: &File,
    len: u64,
    limit: u64,
    buf: &'a mut Vec<u8>,
) -> io::Result<Contents<'a>> {
    read_file_with_threshold(file, len, limit, buf, MAP_THRESHOLD)
}

/// [`read_file`], with the size from which files are mapped given: for the benchmark that
/// compares the two (`benches/read.rs`), and for tests.
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
        && let Some(map) = map_guarded(file, len)
    {
        return Ok(Contents::Mapped(map));
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

    /// A mapped file truncated under the map reads as zeros past its new end, says so,
    /// and does not kill the process; the next map of the same slot starts clean.
    #[test]
    fn a_mapped_file_truncated_under_the_map_reads_zeros_and_says_so() {
        let mut f = tempfile::tempfile().unwrap();
        let data: Vec<u8> = (0..(1 << 20)).map(|i| b'a' + (i % 26) as u8).collect();
        f.write_all(&data).unwrap();
        let mut buf = Vec::new();
        let c = read_file_with_threshold(&f, data.len() as u64, u64::MAX, &mut buf, 0).unwrap();
        assert!(matches!(c, Contents::Mapped(_)));
        assert_eq!(c[..4096], data[..4096]);
        assert!(!c.vanished());
        f.set_len(4096).unwrap();
        let tail: usize = c[8192..].iter().map(|&b| b as usize).sum();
        assert_eq!(tail, 0, "the vanished pages read as zeros");
        assert_eq!(c[..4096], data[..4096], "the part still there is intact");
        assert!(c.vanished());
        drop(c);
        f.set_len(data.len() as u64).unwrap();
        f.rewind().unwrap();
        f.write_all(&data).unwrap();
        let c = read_file_with_threshold(&f, data.len() as u64, u64::MAX, &mut buf, 0).unwrap();
        assert_eq!(c[..], data[..]);
        assert!(!c.vanished());
    }
}
