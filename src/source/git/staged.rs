//! The staged-index source for a commit hook: the blobs the index adds or changes against
//! HEAD.

use std::path::Path;

use git2::Repository;

use super::guard::take_guard_problems;
use super::{GitError, History, Origin};

/// What a commit is about to record: the blobs of paths added or changed in the index
/// (the one git names in `GIT_INDEX_FILE` when set, so `git commit -a` and
/// `git commit <paths>` are covered) against HEAD.
pub fn staged(
    repo: &Repository,
    path: &Path,
    index_file: Option<&Path>,
) -> Result<History, GitError> {
    let err = |source| GitError::Walk {
        path: path.to_path_buf(),
        source,
    };
    let mut index = match index_file {
        Some(f) => git2::Index::open(f).map_err(err)?,
        None => repo.index().map_err(err)?,
    };
    // A fresh `Index::open` has no repository behind it; diffing needs the odb's view.
    if index_file.is_some() {
        let _ = index.read(true);
    }
    let head = match repo.head() {
        Ok(h) => Some(h.peel_to_tree().map_err(err)?),
        // An unborn branch (first commit): everything staged is new.
        Err(e)
            if e.code() == git2::ErrorCode::UnbornBranch
                || e.code() == git2::ErrorCode::NotFound =>
        {
            None
        }
        Err(e) => return Err(err(e)),
    };
    let diff = repo
        .diff_tree_to_index(head.as_ref(), Some(&index), None)
        .map_err(err)?;
    let mut h = History {
        problems: take_guard_problems(repo),
        ..History::default()
    };
    for delta in diff.deltas() {
        use git2::Delta::*;
        if !matches!(
            delta.status(),
            Added | Modified | Renamed | Copied | Typechange
        ) {
            continue;
        }
        let file = delta.new_file();
        if file.mode() == git2::FileMode::Commit {
            continue; // a submodule's commit, not a blob
        }
        let oid = file.id();
        let p = file.path_bytes().unwrap_or_default().to_vec();
        if !h.origins.contains_key(&oid) {
            h.blobs.push(oid);
        }
        h.origins.entry(oid).or_default().push(Origin {
            path: p,
            commit: None,
        });
    }
    Ok(h)
}
