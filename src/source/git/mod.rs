//! The git history source: every blob reachable from every ref (branches, tags,
//! remote-tracking refs, stash, notes), optionally every object in the object store, or
//! only what a range of commits introduced. Each distinct blob is listed once, however
//! many commits contain it, with every path it appears at and the oldest commit that
//! brought it there.
//!
//! The walk visits commits oldest first (topological, parents before children) and each
//! `(tree, path)` pair once: a subtree unchanged since an earlier commit is never read
//! again, so the cost is the number of distinct trees, not commits × files. Reading the
//! blobs themselves is the caller's (`read_blobs`), in parallel, one repository handle per
//! thread, since libgit2 handles are not shared between threads.
//!
//! One file per job: `open.rs` opens a repository and tunes libgit2, `guard.rs` keeps
//! libgit2 away from broken loose objects, `select.rs` says where a walk starts (refs,
//! ranges, `--all-objects`, a push), `walk.rs` walks the commits and lists their blobs,
//! `diff.rs` compares raw tree objects for it, `blobs.rs` reads the blobs listed,
//! `facts.rs` tells about a commit, and `staged.rs` lists what a commit is about to record.

mod blobs;
mod diff;
mod facts;
mod guard;
mod ids;
mod open;
mod select;
mod staged;
mod walk;

use std::path::PathBuf;

pub use blobs::read_blobs;
pub use facts::{CommitFacts, HeadPaths, commit_facts, paths_at_head, rfc3339};
pub use guard::{guard, guard_while};
pub use ids::{IdMap, IdSet};
pub use open::{configure, configure_for, open, sha1_objects};
pub use select::{ALL_REFS, Selection, local_tips, ls_remote, push_selection};
pub use staged::staged;
pub use walk::{History, Origin, walk, walk_with_progress};

use open::open_message;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// Said as a person would act on it: no such path, not a repository, or libgit2's
    /// own words without its class and code numbers.
    #[error("{}", open_message(path, cause))]
    Open { path: PathBuf, cause: git2::Error },
    #[error("{path}: bad revision or range {spec:?}")]
    Revision {
        path: PathBuf,
        spec: String,
        #[source]
        source: git2::Error,
    },
    #[error("{path}: walking history")]
    Walk {
        path: PathBuf,
        #[source]
        source: git2::Error,
    },
}
