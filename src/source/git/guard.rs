//! The loose-object guard: every loose object is inflated once, with a bounded output,
//! before libgit2 may read one, and a repository with a broken one gets an object store
//! that leaves it out (see [`guard`]).

use std::path::{Path, PathBuf};

use git2::{ObjectType, Repository};

/// A loose object store checked by [`guard`]: what was wrong with it (reported by the
/// first walk that takes it), and, when something was, the readable loose objects to
/// serve in place of the store's own.
struct Guarded {
    commondir: PathBuf,
    problems: Vec<String>,
    stand_in: Option<StandIn>,
}

struct StandIn {
    /// The object directories (the repository's, then its alternates') whose packs are
    /// read as usual.
    dirs: Vec<PathBuf>,
    /// Every loose object that inflates whole, by kind.
    loose: Vec<(ObjectType, Vec<u8>)>,
}

static GUARDED: std::sync::Mutex<Vec<Guarded>> = std::sync::Mutex::new(Vec::new());

/// Guards `repo` against libgit2 1.9's endless loop on a truncated loose object
/// (libgit2 issue 7342: `git_odb_read` spins at 100% CPU when the zlib stream ends
/// before the size its header gives; fixed upstream, not yet in a libgit2-sys release).
/// Every loose object of the repository and its alternates is inflated here first, with
/// a bounded output; if any does not inflate whole, the repository is given an object
/// store of its packs and, in memory, the loose objects that do, so that libgit2 never
/// reads the broken ones: they are missing, and reported. The check is made once per
/// repository and process; each handle opened after it gets the same stand-in.
pub fn guard(repo: &Repository) -> Result<(), git2::Error> {
    guard_while(repo, || ())
}

/// [`guard`], with `work` done on this thread while the loose objects are checked on
/// another: a hook hides the check behind what it must do anyway before it reads an
/// object (its settings, git's index, its stdin). `work` must not read objects from
/// `repo`: the stand-in store is in place only when this returns.
pub fn guard_while<T>(repo: &Repository, work: impl FnOnce() -> T) -> Result<T, git2::Error> {
    let commondir = repo.commondir().to_path_buf();
    let known = |all: &[Guarded]| all.iter().position(|g| g.commondir == commondir);
    let done = known(&GUARDED.lock().unwrap_or_else(|e| e.into_inner())).is_some();
    let out = if done {
        work()
    } else {
        let objects = commondir.join("objects");
        let (out, (problems, stand_in)) = std::thread::scope(|s| {
            let check = s.spawn(|| check_loose(&objects));
            let out = work();
            let checked = check
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (out, checked)
        });
        let mut all = GUARDED.lock().unwrap_or_else(|e| e.into_inner());
        if known(&all).is_none() {
            all.push(Guarded {
                commondir: commondir.clone(),
                problems,
                stand_in,
            });
        }
        out
    };
    let all = GUARDED.lock().unwrap_or_else(|e| e.into_inner());
    let i = known(&all).expect("recorded above");
    if let Some(stand_in) = &all[i].stand_in {
        let odb = git2::Odb::new()?;
        // Read before the packs, as libgit2 orders its own loose and pack backends.
        odb.add_new_mempack_backend(1)?;
        for dir in &stand_in.dirs {
            add_pack_backend(&odb, dir)?;
        }
        for (kind, data) in &stand_in.loose {
            odb.write(*kind, data)?;
        }
        repo.set_odb(&odb)?;
    }
    Ok(out)
}

/// The problems [`guard`] found in `repo`'s loose objects, once: the first caller takes
/// them.
pub(super) fn take_guard_problems(repo: &Repository) -> Vec<String> {
    let mut all = GUARDED.lock().unwrap_or_else(|e| e.into_inner());
    all.iter_mut()
        .find(|g| g.commondir == repo.commondir())
        .map(|g| std::mem::take(&mut g.problems))
        .unwrap_or_default()
}

/// Adds libgit2's pack backend for the object directory `dir` (its `pack/` folder) to
/// `odb`.
fn add_pack_backend(odb: &git2::Odb<'_>, dir: &Path) -> Result<(), git2::Error> {
    use git2::Binding as _;
    use std::os::unix::ffi::OsStrExt as _;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|_| git2::Error::from_str("object directory path holds a NUL"))?;
    let mut backend = std::ptr::null_mut();
    // SAFETY: `c` outlives the call; on success the new backend is handed to the odb,
    // which owns and frees it (on failure to add, it is freed here).
    unsafe {
        if libgit2_sys::git_odb_backend_pack(&mut backend, c.as_ptr()) < 0 {
            return Err(git2::Error::last_error(-1));
        }
        if libgit2_sys::git_odb_add_backend(odb.raw(), backend, 2) < 0 {
            let e = git2::Error::last_error(-1);
            if let Some(free) = (*backend).free {
                free(backend);
            }
            return Err(e);
        }
    }
    Ok(())
}

/// Inflates every loose object under `objects` (and its alternates); returns a problem
/// for each that does not inflate whole and, if there was any, the stand-in store.
fn check_loose(objects: &Path) -> (Vec<String>, Option<StandIn>) {
    let dirs = crate::source::pack::object_dirs(objects);
    let mut good = Vec::new();
    let mut problems = Vec::new();
    for dir in &dirs {
        for (id, file) in loose_files(dir) {
            match std::fs::read(&file)
                .map_err(|e| e.to_string())
                .and_then(|data| inflate_loose(&data, false).map(|_| ()))
            {
                Ok(()) => good.push(file),
                Err(why) => problems.push(format!("loose object {id}: {why}; not read")),
            }
        }
    }
    if problems.is_empty() {
        return (problems, None);
    }
    let loose = good
        .iter()
        .filter_map(|f| inflate_loose(&std::fs::read(f).ok()?, true).ok())
        .collect();
    problems.sort();
    (problems, Some(StandIn { dirs, loose }))
}

/// The loose object files of the object directory `dir`, with their ids.
fn loose_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    let mut out = Vec::new();
    let Ok(subs) = std::fs::read_dir(dir) else {
        return out;
    };
    for sub in subs.flatten() {
        let prefix = sub.file_name().to_string_lossy().into_owned();
        if !hex(&prefix, 2) {
            continue;
        }
        let Ok(files) = std::fs::read_dir(sub.path()) else {
            continue;
        };
        for f in files.flatten() {
            let rest = f.file_name().to_string_lossy().into_owned();
            if hex(&rest, 38) {
                out.push((format!("{prefix}{rest}"), f.path()));
            }
        }
    }
    out
}

/// Inflates a loose object (`<kind> <size>\0<body>`, zlib-compressed) and checks that the
/// stream ends exactly after the size its header gives. Returns its kind and, if `keep`,
/// its body. The output is made a chunk at a time, so a stream that stops making
/// progress (truncated input) ends the loop rather than spinning.
fn inflate_loose(data: &[u8], keep: bool) -> Result<(ObjectType, Vec<u8>), String> {
    use flate2::{Decompress, FlushDecompress, Status};
    let mut z = Decompress::new(true);
    let mut buf = vec![0u8; 64 << 10];
    let mut header = Vec::new();
    let mut kind_size: Option<(ObjectType, u64)> = None;
    let mut body = Vec::new();
    let mut body_len = 0u64;
    loop {
        let (in_before, out_before) = (z.total_in(), z.total_out());
        let input = &data[(in_before as usize).min(data.len())..];
        let status = z
            .decompress(input, &mut buf, FlushDecompress::None)
            .map_err(|e| format!("does not inflate ({e})"))?;
        let mut chunk = &buf[..(z.total_out() - out_before) as usize];
        if kind_size.is_none() {
            match chunk.iter().position(|&b| b == 0) {
                Some(nul) => {
                    header.extend_from_slice(&chunk[..nul]);
                    chunk = &chunk[nul + 1..];
                    kind_size = Some(parse_loose_header(&header)?);
                }
                None => {
                    header.extend_from_slice(chunk);
                    chunk = &[];
                }
            }
            if header.len() > 64 {
                return Err("malformed header".into());
            }
        }
        body_len += chunk.len() as u64;
        if let Some((_, size)) = kind_size
            && body_len > size
        {
            return Err("longer than its header says".into());
        }
        if keep {
            body.extend_from_slice(chunk);
        }
        match status {
            Status::StreamEnd => break,
            _ if z.total_in() == in_before && z.total_out() == out_before => {
                return Err("truncated (its data ends before the size its header gives)".into());
            }
            _ => {}
        }
    }
    match kind_size {
        Some((kind, size)) if size == body_len => Ok((kind, body)),
        Some(_) => Err("truncated (its data ends before the size its header gives)".into()),
        None => Err("malformed header".into()),
    }
}

/// `<kind> <size>` of a loose object's header.
fn parse_loose_header(h: &[u8]) -> Result<(ObjectType, u64), String> {
    let text = std::str::from_utf8(h).map_err(|_| "malformed header".to_string())?;
    let (kind, size) = text.split_once(' ').ok_or("malformed header")?;
    let kind = match kind {
        "blob" => ObjectType::Blob,
        "tree" => ObjectType::Tree,
        "commit" => ObjectType::Commit,
        "tag" => ObjectType::Tag,
        _ => return Err("malformed header".into()),
    };
    let size = size.parse().map_err(|_| "malformed header".to_string())?;
    Ok((kind, size))
}
