//! Sources turn the world into blobs (bytes plus where they came from). They never match
//! and never print: every problem they meet becomes an [`Event`] for the caller to report.
//! Every source speaks the same events, about the same kinds of place ([`At`]).

pub mod archive;
pub mod forge;
pub mod fs;
pub mod git;
pub mod pack;
pub mod read;

use std::path::Path;

pub use fs::FileMeta;

/// What an event is about: a file (or folder) on disk, an entry inside an archive (its
/// full name, `outer.zip!dir/file`), or a git blob.
#[derive(Debug, Clone, Copy)]
pub enum At<'a> {
    Path(&'a Path),
    Entry(&'a str),
    Blob(git2::Oid),
}

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            At::Path(p) => write!(f, "{}", p.display()),
            At::Entry(name) => f.write_str(name),
            At::Blob(id) => write!(f, "blob {id}"),
        }
    }
}

/// What a source hands its caller, one at a time.
pub enum Event<'a> {
    /// Bytes to scan, with the file's metadata when they are a file on disk.
    Blob {
        at: At<'a>,
        bytes: &'a [u8],
        meta: Option<FileMeta>,
    },
    /// A folder the walk was asked to report (`.ssh`, for the permission audit).
    Dir { path: &'a Path, meta: FileMeta },
    /// Something not read, on purpose.
    Skipped { at: At<'a>, reason: SkipReason },
    /// Something that could not be read: a problem for the caller to report and count.
    Error { at: Option<At<'a>>, message: String },
}

/// Why something was not read.
#[derive(Debug, Clone)]
pub enum SkipReason {
    /// A FIFO, socket or device node met in a walk: never opened.
    Special,
    /// Larger than the size limit.
    TooLarge { len: u64, limit: u64 },
    /// An archive entry not opened: encrypted, nested too deep, not a regular file.
    Entry(String),
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::Special => f.write_str("not a regular file (FIFO, socket or device)"),
            SkipReason::TooLarge { len, limit } => {
                write!(f, "{len} bytes is over the size limit of {limit} bytes")
            }
            SkipReason::Entry(why) => f.write_str(why),
        }
    }
}
