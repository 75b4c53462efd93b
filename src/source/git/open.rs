//! Opening a repository and tuning libgit2 for history scans: the process-wide
//! settings, opening (with the loose-object guard), what the object store's format is,
//! and damage to the store that reading refs would not show.

use std::path::Path;

use git2::Repository;

use super::GitError;
use super::guard::guard;

/// Process-wide libgit2 settings for history scans. Call once, before any repository is
/// opened. Blobs are read once each and scanned, so caching them would only cost memory.
/// Re-hashing every object on read (libgit2's strict verification, collision-detecting
/// SHA-1) took 60% of a history scan's time in profiles; `git cat-file` does not do it
/// either, and a scanner needs the bytes, not proof of their id. Corrupt objects still
/// fail to inflate or parse and are reported.
pub fn configure() {
    configure_for(1);
}

/// [`configure`] for a process that scans `repositories` at once (`org scan --jobs`): the
/// cap on mapped windows is per repository, as the windows are. One cap shared by two
/// jobs made each close the other's windows: in a profile of a first `org scan` of 26
/// repositories, the `munmap`s of libgit2's least recently used windows and the TLB
/// shootdowns they caused were about a third of the kernel time that `history` run on
/// each did not have. A cap per job: 0.96× the scan's time and CPU, peak +75 MB.
///
/// With several jobs each job has twice the windows of one alone. A job walks while the
/// others walk their own repositories, and git/git's walk reads trees from all over its
/// 474 MB pack: under a cap of 128 MB a job (256 MB in all), the other jobs' windows
/// pushed git/git's out as fast as it mapped them: a first `org scan` of 26
/// repositories made 75,000 `munmap`s, with 6.1 s of kernel time (under 512 MB: 371,
/// and 1.6 s; measured 2026-12-03).
/// The cap bounds what is mapped; what is resident is the pages the walks touch.
pub fn configure_for(repositories: usize) {
    git2::opts::strict_hash_verification(false);
    // Every object is read about once (the walk remembers what it has seen, and keeps the
    // trees it compares against itself), so libgit2's object cache only cost time
    // (16% of the walk in a profile of git/git) and memory.
    git2::opts::enable_caching(false);
    // libgit2 maps a pack in windows of up to 1 GiB and keeps up to 8 GiB of them, so a
    // walk that reads trees from all over git/git's 474 MB pack kept it all resident,
    // beside the pack pass's own mapping (peak 1.05 GB). Small windows under a small cap
    // bound that at no measured cost in time (peak 0.83 GB).
    // SAFETY: libgit2's global options are set here from one thread, before any history
    // scan starts threads of its own.
    unsafe {
        let _ = git2::opts::set_mwindow_size(MWINDOW_SIZE);
        let windows = if repositories > 1 { 16 } else { 8 };
        let _ = git2::opts::set_mwindow_mapped_limit(windows * MWINDOW_SIZE * repositories.max(1));
    }
}

/// libgit2's pack window size for history scans (see [`configure`]).
const MWINDOW_SIZE: usize = 16 << 20;

pub(super) fn open_message(path: &Path, e: &git2::Error) -> String {
    let shown = path.display();
    if !path.exists() {
        format!("{shown}: no such file or directory")
    } else if e.code() == git2::ErrorCode::NotFound && e.class() == git2::ErrorClass::Repository {
        format!("not a git repository: {shown}")
    } else {
        format!("{shown}: cannot open the repository: {}", e.message())
    }
}

/// Opens the repository at `path`, guarded against broken loose objects (see [`guard`]).
pub fn open(path: &Path) -> Result<Repository, GitError> {
    let err = |cause| GitError::Open {
        path: path.to_path_buf(),
        cause,
    };
    let repo = Repository::open(path).map_err(err)?;
    guard(&repo).map_err(err)?;
    Ok(repo)
}

/// Whether the repository's object ids are SHA-1 (every repository but those made with
/// `git init --object-format=sha256`).
pub fn sha1_objects(repo: &Repository) -> bool {
    repo.config()
        .and_then(|c| c.get_string("extensions.objectformat"))
        .map_or(true, |f| f.eq_ignore_ascii_case("sha1"))
}

/// Damage to the object store that reading refs may not show: an alternate object store
/// that is not there, a pack without its index or an index without its pack. Their
/// objects cannot be read, and git ignores them just as silently.
pub(super) fn store_problems(repo: &Repository) -> Vec<String> {
    let objects = repo.commondir().join("objects");
    let mut out = Vec::new();
    let mut dirs = vec![objects.clone()];
    if let Ok(text) = std::fs::read_to_string(objects.join("info/alternates")) {
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let dir = objects.join(line);
            if dir.is_dir() {
                dirs.push(dir);
            } else {
                out.push(format!(
                    "alternate object store {line:?} (objects/info/alternates) is not there: \
                     its objects cannot be read"
                ));
            }
        }
    }
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir.join("pack")) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let (other, what) = match p.extension().and_then(|x| x.to_str()) {
                Some("pack") => ("idx", "has no index"),
                Some("idx") => ("pack", "has no pack"),
                _ => continue,
            };
            if !p.with_extension(other).exists() {
                out.push(format!(
                    "{:?} {what}: its objects cannot be read",
                    e.file_name()
                ));
            }
        }
    }
    out.sort();
    out
}
