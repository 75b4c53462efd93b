//! Reading the blobs a walk listed: in batches, newest first, on several threads, each
//! with its own repository handle (libgit2 handles are not shared between threads).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use git2::{Oid, Repository};

use super::open::open;
use crate::source::{At, Event, SkipReason};

/// Reads every blob in `blobs` on `threads` threads (each with its own repository
/// handle), in batches taken in walk order, calling `visit` with the blob's bytes. Blobs
/// larger than `max_size` are passed to `skipped`; unreadable ones to `error`.
pub fn read_blobs<V, M>(
    repo: &Repository,
    path: &Path,
    blobs: &[Oid],
    threads: usize,
    max_size: u64,
    make: M,
) where
    M: Fn() -> V + Sync,
    V: FnMut(Event<'_>),
{
    const BATCH: usize = 64;
    // Below this, threads cost more than they save: each opens the repository again,
    // which maps the pack indexes again (24 MiB for git/git), and a hook reads a few
    // dozen blobs.
    const PARALLEL_FROM: usize = 512;
    let next = AtomicUsize::new(0);
    if threads <= 1 || blobs.len() < PARALLEL_FROM {
        let mut visit = make();
        match repo.odb() {
            Ok(odb) => read_batches(&odb, blobs, &next, BATCH, max_size, &mut visit),
            Err(e) => visit(Event::Error {
                at: None,
                message: format!("opening the object store: {}", e.message()),
            }),
        }
        return;
    }
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut visit = make();
                let repo = match open(path) {
                    Ok(r) => r,
                    Err(e) => {
                        visit(Event::Error {
                            at: None,
                            message: format!("opening repository: {:#}", anyhow::Error::from(e)),
                        });
                        return;
                    }
                };
                let odb = match repo.odb() {
                    Ok(odb) => odb,
                    Err(e) => {
                        visit(Event::Error {
                            at: None,
                            message: format!("opening the object store: {}", e.message()),
                        });
                        return;
                    }
                };
                read_batches(&odb, blobs, &next, BATCH, max_size, &mut visit);
            });
        }
    });
}

/// Takes batches of `blobs` from the shared cursor `next` until none are left.
fn read_batches<V: FnMut(Event<'_>)>(
    odb: &git2::Odb<'_>,
    blobs: &[Oid],
    next: &AtomicUsize,
    batch: usize,
    max_size: u64,
    visit: &mut V,
) {
    loop {
        let start = next.fetch_add(batch, Ordering::Relaxed);
        if start >= blobs.len() || crate::interrupt::requested() {
            break;
        }
        // Newest first: packs store recent versions whole and older ones as deltas
        // against them, so this keeps the delta bases just decoded in libgit2's cache
        // (measured: 17.2 s → 14.5 s reading git/git's blobs; sorting by pack offset
        // instead was slower).
        let end = blobs.len() - start;
        for &oid in blobs[end.saturating_sub(batch)..end].iter().rev() {
            match odb.read_header(oid) {
                Ok((len, _)) if len as u64 > max_size => {
                    visit(Event::Skipped {
                        at: At::Blob(oid),
                        reason: SkipReason::TooLarge {
                            len: len as u64,
                            limit: max_size,
                        },
                    });
                    continue;
                }
                _ => {}
            }
            match odb.read(oid) {
                Ok(obj) => visit(Event::Blob {
                    at: At::Blob(oid),
                    bytes: obj.data(),
                    meta: None,
                }),
                Err(e) => visit(Event::Error {
                    at: Some(At::Blob(oid)),
                    message: e.message().to_string(),
                }),
            }
        }
    }
}
