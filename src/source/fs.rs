//! The filesystem source: a parallel walk (the `ignore` crate) that opens only regular
//! files and hands each file's bytes, with its metadata, to a per-thread visitor.
//!
//! What real disks hold is expected here, not exceptional: FIFOs, sockets and devices are
//! never opened (checked on the open descriptor too, so a file swapped for a FIFO after the
//! walk saw it cannot hang us); symlinks are not followed unless asked, and loops are
//! detected when they are; files over the size limit are skipped with a note; every
//! unreadable entry becomes one error event, and the walk goes on.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::overrides::OverrideBuilder;
use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};

use super::read::read_file;
pub use super::{At, Event, SkipReason};

/// The ignore file keysweep honours everywhere (gitignore syntax).
pub const IGNORE_FILE: &str = ".keysweepignore";

#[derive(Debug, Clone)]
pub struct FsOptions {
    pub paths: Vec<PathBuf>,
    /// Honour `.gitignore` (off by default: ignored `.env` files are where secrets hide).
    pub gitignore: bool,
    /// Globs (gitignore syntax) to leave out.
    pub excludes: Vec<String>,
    pub follow_links: bool,
    pub max_file_size: u64,
    pub threads: usize,
    /// Directories with these names are reported with their metadata (for audits such as
    /// the `.ssh` permission check); other directories cost nothing beyond the walk.
    pub report_dirs_named: Vec<String>,
    /// What anchored `excludes` (`/.cache/`) are relative to; the current directory if
    /// unset.
    pub exclude_root: Option<PathBuf>,
    /// Globs anchored at a directory of their own (a config file's excludes are relative
    /// to the config file), beside `excludes` which are anchored at `exclude_root`.
    pub rooted_excludes: Option<(PathBuf, Vec<String>)>,
    /// Stay on the file system of each path named (`-x`, `--one-file-system`).
    pub one_file_system: bool,
    /// Do not honour `.keysweepignore` files (`--no-ignore`): in CI, a pull request could
    /// add one to hide what it adds.
    pub no_ignore_files: bool,
    /// List the git repositories met on the way (work trees with a `.git`, and bare
    /// repositories named `*.git`); they are not descended into either way.
    pub find_repos: bool,
}

/// Files (and blobs) larger than this are skipped unless `--max-file-size` says otherwise
/// (the command line's default, `1G`, is this; a unit test in `cli` checks they agree).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 1 << 30;

/// Worker threads when none are asked for: one per core.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl FsOptions {
    /// A walk of `paths` with every default: ignore files honoured, `.gitignore` not,
    /// symbolic links not followed, files over [`DEFAULT_MAX_FILE_SIZE`] skipped, one
    /// thread per core, `.ssh` folders reported to the permission audit (Unix).
    pub fn new(paths: Vec<PathBuf>) -> FsOptions {
        FsOptions {
            paths,
            gitignore: false,
            excludes: Vec::new(),
            follow_links: false,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            threads: default_threads(),
            report_dirs_named: if cfg!(unix) {
                vec![".ssh".to_string()]
            } else {
                Vec::new()
            },
            exclude_root: None,
            rooted_excludes: None,
            one_file_system: false,
            no_ignore_files: false,
            find_repos: false,
        }
    }
}

/// What a walk found besides the files it handed on.
#[derive(Debug, Default)]
pub struct Walked {
    /// Git repositories (work tree roots and bare repositories), when `find_repos` asked.
    pub repos: Vec<PathBuf>,
}

/// Metadata of a scanned file, from the `fstat` of the open descriptor.
#[derive(Debug, Clone, Copy)]
pub struct FileMeta {
    pub len: u64,
    pub mode: u32,
    pub uid: u32,
    /// Read as a stream (stdin, a named FIFO): its mode says nothing about where the bytes
    /// are kept, so the permission audit leaves it alone.
    pub stream: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("bad --exclude glob {glob:?}")]
    Glob {
        glob: String,
        #[source]
        source: ignore::Error,
    },
}

/// Walks every path in `opts`, calling a visitor made by `make_visitor` (one per thread)
/// for each event.
pub fn walk<M, V>(opts: &FsOptions, make_visitor: M) -> Result<Walked, WalkError>
where
    M: Fn() -> V + Sync,
    V: FnMut(Event<'_>) + Send,
{
    // What the user named that is not a file or folder to walk (stdin, a FIFO, a process
    // substitution) is read here, as a stream; everything else is walked.
    let mut walked_paths = Vec::with_capacity(opts.paths.len());
    let mut streams = None;
    for p in &opts.paths {
        if crate::interrupt::requested() {
            break;
        }
        // A mistyped path says so plainly (and is an error: the user asked for it).
        if p.as_os_str() != "-"
            && std::fs::symlink_metadata(p).is_err_and(|e| e.kind() == io::ErrorKind::NotFound)
        {
            let visit = streams.get_or_insert_with(&make_visitor);
            visit(Event::Error {
                at: Some(At::Path(p)),
                message: "no such file or directory".into(),
            });
            continue;
        }
        match named_stream(p) {
            Some(stream) => {
                let visit = streams.get_or_insert_with(&make_visitor);
                read_named_stream(p, stream, opts.max_file_size, visit);
            }
            None => walked_paths.push(p),
        }
    }
    drop(streams);
    let Some((first, rest)) = walked_paths.split_first() else {
        return Ok(Walked::default());
    };
    let repos: Arc<Mutex<Vec<PathBuf>>> = Arc::default();
    let found = opts.find_repos.then(|| Arc::clone(&repos));
    let rooted = rooted_excludes(opts)?;
    let pseudo = pseudo_devices(&walked_paths);
    let mut builder = WalkBuilder::new(first);
    for p in rest.iter().copied() {
        builder.add(p);
    }
    builder
        .hidden(false)
        .ignore(false)
        .parents(true)
        .git_ignore(opts.gitignore)
        .git_exclude(opts.gitignore)
        .git_global(opts.gitignore)
        .require_git(false)
        .follow_links(opts.follow_links)
        .same_file_system(opts.one_file_system)
        .threads(opts.threads);
    if !opts.no_ignore_files {
        builder.add_custom_ignore_filename(IGNORE_FILE);
    }
    builder
        // History is `keysweep history`; a `.git` directory (or a worktree's `.git` file)
        // is never part of a working tree scan.
        .filter_entry(move |e| {
            if let Some(devices) = &pseudo
                && e.file_type().is_some_and(|t| t.is_dir())
                && e.metadata().is_ok_and(|m| devices.contains(&m.dev()))
            {
                return false;
            }
            if let Some((ov, cwd)) = &rooted {
                // Matched as absolute paths: the walk's paths are relative to where the
                // user stands, the globs to their own root.
                let abs: PathBuf = cwd.join(e.path()).components().collect();
                let is_dir = e.file_type().is_some_and(|t| t.is_dir());
                if ov.matched(&abs, is_dir).is_ignore() {
                    return false;
                }
            }
            let name = e.file_name();
            let Some(found) = &found else {
                return name != ".git";
            };
            let repo = if name == ".git" {
                e.path().parent().map(Path::to_path_buf)
            } else if name.as_encoded_bytes().ends_with(b".git")
                && e.file_type().is_some_and(|t| t.is_dir())
                && is_bare_repo(e.path())
            {
                Some(e.path().to_path_buf())
            } else {
                return true;
            };
            if let Some(r) = repo {
                found.lock().unwrap_or_else(|e| e.into_inner()).push(r);
            }
            false
        });
    if !opts.excludes.is_empty() {
        let root = match &opts.exclude_root {
            Some(r) => r.clone(),
            None => std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")),
        };
        builder.overrides(exclusions(root, &opts.excludes)?);
    }
    let mut vb = VisitorBuilder {
        make_visitor: &make_visitor,
        max_file_size: opts.max_file_size,
        report_dirs_named: &opts.report_dirs_named,
        own_output: own_output(),
    };
    builder.build_parallel().visit(&mut vb);
    drop(builder);
    let mut repos = std::mem::take(&mut *repos.lock().unwrap_or_else(|e| e.into_inner()));
    repos.sort();
    Ok(Walked { repos })
}

/// Kernel file systems that hold no files of anyone's (`/proc`, `/sys`, `/dev`, cgroups…):
/// a walk that meets one does not go in. Named on the command line (or below a path that
/// is), it is walked as asked.
const PSEUDO_FILE_SYSTEMS: &[&str] = &[
    "proc",
    "sysfs",
    "devtmpfs",
    "devpts",
    "cgroup",
    "cgroup2",
    "securityfs",
    "debugfs",
    "tracefs",
    "pstore",
    "bpf",
    "configfs",
    "fusectl",
    "mqueue",
    "hugetlbfs",
    "binfmt_misc",
    "efivarfs",
    "selinuxfs",
    "autofs",
    "nsfs",
    "rpc_pipefs",
];

/// The devices of the pseudo file systems mounted here (from `/proc/self/mountinfo`),
/// less those of the paths named (a user who names `/proc` means it); `None` when there
/// are none, or no mount table to read. Devices, not paths, so that neither a followed
/// symlink nor a bind mount leads a walk into them.
fn pseudo_devices(named: &[&PathBuf]) -> Option<Vec<u64>> {
    let table = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let named: Vec<u64> = named
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok().map(|m| m.dev()))
        .collect();
    let devices: Vec<u64> = table
        .lines()
        .filter_map(|line| {
            // `id parent major:minor root mount-point options … - fstype source options`
            let fields: Vec<&str> = line.split(' ').collect();
            let fstype = fields
                .iter()
                .position(|f| *f == "-")
                .and_then(|i| fields.get(i + 1))?;
            if !PSEUDO_FILE_SYSTEMS.contains(fstype) {
                return None;
            }
            let mount_point = unescape_mount_path(fields.get(4)?);
            std::fs::metadata(mount_point).ok().map(|m| m.dev())
        })
        .filter(|dev| !named.contains(dev))
        .collect();
    (!devices.is_empty()).then_some(devices)
}

/// A mount point as `mountinfo` writes it, with `\040`-style octal escapes for spaces,
/// tabs, newlines and backslashes.
fn unescape_mount_path(s: &str) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|d| (b'0'..=b'7').contains(d))
        {
            let n = b[i + 1..i + 4]
                .iter()
                .fold(0u32, |n, d| n * 8 + u32::from(d - b'0'));
            out.push(n as u8);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    std::ffi::OsString::from_vec(out)
}

/// The matcher of `rooted_excludes`, with the current directory to make paths absolute.
fn rooted_excludes(
    opts: &FsOptions,
) -> Result<Option<(ignore::overrides::Override, PathBuf)>, WalkError> {
    let Some((root, globs)) = &opts.rooted_excludes else {
        return Ok(None);
    };
    if globs.is_empty() {
        return Ok(None);
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let root: PathBuf = cwd.join(root).components().collect();
    Ok(Some((exclusions(root, globs)?, cwd)))
}

/// A matcher that ignores what `globs` (gitignore syntax, anchored at `root`) match.
fn exclusions(root: PathBuf, globs: &[String]) -> Result<ignore::overrides::Override, WalkError> {
    let mut ob = OverrideBuilder::new(root);
    for glob in globs {
        ob.add(&format!("!{glob}"))
            .map_err(|source| WalkError::Glob {
                glob: glob.clone(),
                source,
            })?;
    }
    ob.build().map_err(|source| WalkError::Glob {
        glob: globs.join(", "),
        source,
    })
}

/// A directory that looks like a bare repository: `HEAD`, `objects/` and `refs/`.
fn is_bare_repo(dir: &Path) -> bool {
    dir.join("HEAD").is_file() && dir.join("objects").is_dir() && dir.join("refs").is_dir()
}

struct VisitorBuilder<'m, M> {
    make_visitor: &'m M,
    max_file_size: u64,
    report_dirs_named: &'m [String],
    own_output: Option<(u64, u64)>,
}

/// The device and inode of the file our stdout writes to, when it is a regular file
/// (`> report.json`, `--output report.json`): the walk leaves it out, as ripgrep does, so
/// a run never reads its own report as it grows (nor the last run's, under the same name).
fn own_output() -> Option<(u64, u64)> {
    let md = std::fs::metadata("/dev/stdout").ok()?;
    md.is_file().then(|| (md.dev(), md.ino()))
}

impl<'s, 'm: 's, M, V> ParallelVisitorBuilder<'s> for VisitorBuilder<'m, M>
where
    M: Fn() -> V + Sync,
    V: FnMut(Event<'_>) + Send + 's,
{
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(Visitor {
            visit: (self.make_visitor)(),
            buf: Vec::new(),
            max_file_size: self.max_file_size,
            report_dirs_named: self.report_dirs_named,
            own_output: self.own_output,
        })
    }
}

struct Visitor<'m, V> {
    visit: V,
    /// Reused for every file this thread reads below the mmap threshold.
    buf: Vec<u8>,
    max_file_size: u64,
    report_dirs_named: &'m [String],
    own_output: Option<(u64, u64)>,
}

impl<V: FnMut(Event<'_>) + Send> ParallelVisitor for Visitor<'_, V> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        if crate::interrupt::requested() {
            return WalkState::Quit;
        }
        match entry {
            Ok(entry) => self.entry(&entry),
            Err(err) => {
                let path = error_path(&err);
                (self.visit)(Event::Error {
                    at: path.as_deref().map(At::Path),
                    message: error_message(&err),
                });
            }
        }
        WalkState::Continue
    }
}

impl<V: FnMut(Event<'_>) + Send> Visitor<'_, V> {
    fn entry(&mut self, entry: &DirEntry) {
        let path = entry.path();
        let Some(ft) = entry.file_type() else { return };
        if ft.is_dir()
            && self
                .report_dirs_named
                .iter()
                .any(|n| entry.file_name() == n.as_str())
        {
            match entry.metadata() {
                Ok(md) => (self.visit)(Event::Dir {
                    path,
                    meta: FileMeta {
                        len: 0,
                        mode: md.mode() & 0o7777,
                        uid: md.uid(),
                        stream: false,
                    },
                }),
                Err(e) => (self.visit)(Event::Error {
                    at: Some(At::Path(path)),
                    message: error_message(&e),
                }),
            }
            return;
        }
        if ft.is_dir() || ft.is_symlink() {
            // Directories are walked; symlinks reach us only when not followed.
            return;
        }
        if !ft.is_file() {
            (self.visit)(Event::Skipped {
                at: At::Path(path),
                reason: SkipReason::Special,
            });
            return;
        }
        let file = match open_regular(path) {
            Ok(f) => f,
            Err(e) => return self.error(path, &e),
        };
        let md = match file.metadata() {
            Ok(md) => md,
            Err(e) => return self.error(path, &e),
        };
        if !md.is_file() {
            (self.visit)(Event::Skipped {
                at: At::Path(path),
                reason: SkipReason::Special,
            });
            return;
        }
        if self.own_output == Some((md.dev(), md.ino())) {
            return;
        }
        let meta = FileMeta {
            len: md.len(),
            mode: md.mode() & 0o7777,
            uid: md.uid(),
            stream: false,
        };
        if meta.len > self.max_file_size && entry.depth() == 0 {
            // Named on the command line: the user asked for this file, so not scanning it
            // is an error, not a skip.
            (self.visit)(Event::Error {
                at: Some(At::Path(path)),
                message: too_large(meta.len, self.max_file_size),
            });
            return;
        }
        if meta.len > self.max_file_size {
            (self.visit)(Event::Skipped {
                at: At::Path(path),
                reason: SkipReason::TooLarge {
                    len: meta.len,
                    limit: self.max_file_size,
                },
            });
            return;
        }
        match read_file(&file, meta.len, self.max_file_size, &mut self.buf) {
            Ok(bytes) => {
                let read = bytes.len() as u64;
                (self.visit)(Event::Blob {
                    at: At::Path(path),
                    bytes: &bytes,
                    meta: Some(meta),
                });
                if bytes.vanished() {
                    (self.visit)(Event::Error {
                        at: Some(At::Path(path)),
                        message: "the file shrank (or its disk failed) while it was \
                                  scanned; the part that vanished was not scanned"
                            .into(),
                    });
                    return;
                }
                // Truncated while we read it (logrotate's copytruncate): what was read is
                // scanned above, and the part that vanished is a reported problem, not a
                // silent "nothing found".
                if read < meta.len {
                    (self.visit)(Event::Error {
                        at: Some(At::Path(path)),
                        message: format!(
                            "the file shrank while it was read ({read} of {} bytes read); \
                             the rest was not scanned",
                            meta.len
                        ),
                    });
                }
            }
            Err(e) => self.error(path, &e),
        }
    }

    fn error(&mut self, path: &Path, err: &io::Error) {
        (self.visit)(Event::Error {
            at: Some(At::Path(path)),
            message: err.to_string(),
        });
    }
}

/// The name standard input is reported under (`keysweep scan -`).
pub const STDIN_NAME: &str = "<stdin>";

/// What a named input that is read as a stream is.
enum Stream {
    Stdin,
    /// A FIFO, a character device (`/dev/stdin` on a terminal), a process substitution.
    Special,
}

/// Whether the named `path` is read as a stream rather than walked: `-` (stdin), or
/// something that is neither a regular file nor a directory once symlinks are followed.
/// A walk never opens such things when it merely meets them; a user who names one means it.
fn named_stream(path: &Path) -> Option<Stream> {
    if path.as_os_str() == "-" {
        return Some(Stream::Stdin);
    }
    let ft = std::fs::metadata(path).ok()?.file_type();
    (!ft.is_file() && !ft.is_dir()).then_some(Stream::Special)
}

/// Reads a named stream to its end (at most `limit` bytes) and hands it on as one blob;
/// what cannot be read, or is longer than the limit, is an error.
fn read_named_stream<V: FnMut(Event<'_>)>(path: &Path, stream: Stream, limit: u64, visit: &mut V) {
    let shown = match stream {
        Stream::Stdin => Path::new(STDIN_NAME),
        Stream::Special => path,
    };
    let read = match stream {
        Stream::Stdin => read_stream(io::stdin().lock(), limit),
        Stream::Special => File::open(path).and_then(|f| read_stream(f, limit)),
    };
    // The stream's own mode and owner (a pipe's, for stdin), for the permission audit.
    let md = std::fs::metadata(match stream {
        Stream::Stdin => Path::new("/dev/stdin"),
        Stream::Special => path,
    });
    let meta = FileMeta {
        len: 0,
        mode: md.as_ref().map_or(0o600, |m| m.mode() & 0o7777),
        uid: md.as_ref().map_or(0, MetadataExt::uid),
        stream: true,
    };
    match read {
        Ok(bytes) if bytes.len() as u64 > limit => visit(Event::Error {
            at: Some(At::Path(shown)),
            message: too_large(bytes.len() as u64, limit),
        }),
        Ok(bytes) => visit(Event::Blob {
            at: At::Path(shown),
            bytes: &bytes,
            meta: Some(FileMeta {
                len: bytes.len() as u64,
                ..meta
            }),
        }),
        // Stopped by Ctrl-C: the summary says the run was interrupted.
        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
        Err(e) => visit(Event::Error {
            at: Some(At::Path(shown)),
            message: e.to_string(),
        }),
    }
}

/// Up to `limit` + 1 bytes of `r` (one more than allowed tells that it was too long). A
/// read that Ctrl-C interrupts ends the stream: the run is stopping. So does a Ctrl-C
/// that came between two reads (it interrupted no read, and the next might wait forever).
fn read_stream(r: impl io::Read, limit: u64) -> io::Result<Vec<u8>> {
    let mut r = r.take(limit.saturating_add(1));
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        if crate::interrupt::requested() {
            return Err(io::ErrorKind::Interrupted.into());
        }
        match r.read(&mut buf) {
            Ok(0) => return Ok(bytes),
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                if crate::interrupt::requested() {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

fn too_large(len: u64, limit: u64) -> String {
    format!(
        "{len} bytes is over --max-file-size ({limit} bytes): not scanned (raise the limit to scan it)"
    )
}

/// Opens `path` for reading without blocking: a FIFO that replaced a regular file after
/// the walk looked at it must not hang the scan (`O_NONBLOCK`), and a terminal device must
/// not become our controlling terminal (`O_NOCTTY`).
fn open_regular(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

fn error_message(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => {
            error_message(err)
        }
        ignore::Error::Loop { ancestor, .. } => {
            format!("symlink loop (points back to {})", ancestor.display())
        }
        other => other.to_string(),
    }
}

/// The name of user `uid`, or the number when it has none.
pub fn user_name(uid: u32) -> String {
    let mut buf = vec![0u8; 4096];
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: getpwuid_r writes only into `pwd` and `buf` (whose length we pass) and sets
    // `result` to `&pwd` or null; `pw_name` points into `buf`, which outlives its use here.
    let rc = unsafe {
        libc::getpwuid_r(
            uid,
            &mut pwd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 || result.is_null() || pwd.pw_name.is_null() {
        return uid.to_string();
    }
    // SAFETY: on success `pw_name` is a NUL-terminated string inside `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
    name.to_string_lossy().into_owned()
}
