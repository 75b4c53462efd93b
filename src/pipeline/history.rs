//! A repository's history through the pipeline: every blob it holds, each scanned once
//! (most of them in one pass over the packs), each finding placed at the oldest commit
//! that brought it to its path.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use git2::Oid;
use indicatif::ProgressBar;

use super::blob::{BlobScanner, PathClass, path_class};
use super::settings::{self, FilterOptions, Settings};
use super::stream::Stream;
use super::{Outcome, RuleSelection, Summary};
use crate::finding::{Disclosure, Finding, GitFacts, Origin};
use crate::report::{Format, OutputConfig, human};
use crate::scan::{ScanOptions, Scanner};
use crate::source::git::{self, History, IdSet, Selection};
use crate::source::pack::{self, PackPass};
use crate::source::{At, Event, SkipReason};

#[derive(Debug, Clone)]
pub struct HistoryConfig {
    pub repos: Vec<PathBuf>,
    pub selection: Selection,
    pub rules: RuleSelection,
    pub scan: ScanOptions,
    pub disclosure: Disclosure,
    pub output: OutputConfig,
    pub threads: usize,
    pub max_blob_size: u64,
    /// Also scan the history of each submodule checked out in a working repository.
    pub submodules: bool,
    /// Config file, baseline, minimum severity.
    pub filter: FilterOptions,
}

/// Scans every repository `cfg` names, each filtered by its own config and baseline.
pub fn scan(cfg: &HistoryConfig) -> anyhow::Result<Outcome> {
    git::configure();
    // Each repository is filtered by its own config and baseline: B's copy of a key that A
    // accepted is still reported, whatever the order they are named in.
    super::per_root(&cfg.repos, |root, repos| {
        let mut settings = cfg.filter.resolve(root, &cfg.rules)?;
        settings.exclude_repository_paths()?;
        let mut one = cfg.clone();
        one.repos = repos;
        collect(&one, &settings)
    })
}

impl HistoryConfig {
    /// Where the config and baseline are discovered: the work tree of the first repository
    /// (a bare repository's own directory). Call after `git::configure`.
    pub fn root(&self) -> PathBuf {
        settings::root_of(self.repos.first().map_or(Path::new("."), |p| p.as_path()))
    }
}

/// Scans every repository (and submodule, if asked) and filters what was found.
pub fn collect(cfg: &HistoryConfig, settings: &Settings) -> anyhow::Result<Outcome> {
    let start = Instant::now();
    let problems = crate::messages::problems_mark();
    let scanner = settings.rules.scanner(cfg.scan)?;
    let ctx = BlobScan {
        scanner: &scanner,
        threads: cfg.threads,
        max_blob_size: cfg.max_blob_size,
        disclosure: cfg.disclosure,
        quiet: cfg.output.quiet,
        exposure: settings.rules.exposure_checks(),
    };
    let mut summary = Summary {
        history: true,
        ..Summary::default()
    };
    let mut findings = Vec::new();
    let stream = (cfg.output.format == Format::Jsonl).then(|| Stream::new(&settings.filter));
    let mut queue: Vec<PathBuf> = cfg.repos.clone();
    let mut i = 0;
    while i < queue.len() && !crate::interrupt::requested() {
        let repo = queue[i].clone();
        i += 1;
        match scan_repo(&ctx, &cfg.selection, &repo, &mut summary) {
            // Streamed per repository: where each secret came in is known once the
            // repository's walk is done.
            Ok(mut f) => match &stream {
                Some(stream) => {
                    f.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
                    findings.extend(stream.emit(f));
                }
                None => findings.append(&mut f),
            },
            Err(e) => crate::messages::problem_error(format_args!("{e:#}")),
        }
        if cfg.submodules {
            queue.extend(submodule_paths(&repo));
        }
    }
    fn repo(f: &Finding) -> Option<&str> {
        f.git().map(|g| g.repository.as_str())
    }
    findings.sort_by(|a, b| (repo(a), a.sort_key()).cmp(&(repo(b), b.sort_key())));
    let findings = settings.filter.apply(findings, &mut summary.silenced);
    if let Some(stream) = stream {
        summary.silenced.add(&stream.finish()?);
    }
    summary.interrupted = crate::interrupt::requested();
    summary.errors = crate::messages::problems_since(problems);
    summary.finish(&findings, start.elapsed());
    Ok(Outcome {
        findings,
        summary,
        rules: scanner.rules().cloned().collect(),
    })
}

/// Work trees of the submodules checked out in a working repository (nested ones are
/// found when each is scanned in turn). A submodule not checked out has no history here
/// to scan, and is said so.
fn submodule_paths(repo: &Path) -> Vec<PathBuf> {
    let Ok(r) = git2::Repository::open(repo) else {
        return Vec::new();
    };
    let Some(workdir) = r.workdir() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for sm in r.submodules().unwrap_or_default() {
        let path = workdir.join(sm.path());
        if git2::Repository::open(&path).is_ok() {
            out.push(path);
        } else {
            crate::messages::note(format_args!(
                "{}: submodule {} is not checked out; its history is not scanned",
                repo.display(),
                sm.path().display()
            ));
        }
    }
    out
}

/// What scanning one blob at one kind of path found, before it is placed at the blob's
/// paths of that kind.
struct BlobFindings {
    blob: Oid,
    class: PathClass,
    findings: Vec<Finding>,
}

/// Walks one repository's history (`selection` of it) and scans what it lists.
pub(crate) fn scan_repo(
    ctx: &BlobScan<'_>,
    selection: &Selection,
    path: &Path,
    summary: &mut Summary,
) -> anyhow::Result<Vec<Finding>> {
    let repo = git::open(path)?;
    let timings = std::env::var_os("KEYSWEEP_TIMINGS").is_some();
    // The whole history: the packs are decoded and scanned in one pass beside the walk of
    // the commits, so only blobs the pass flagged or did not see are read again. A range
    // (a push, `--since`) lists too few blobs for a whole pass to pay.
    let packs = match selection {
        Selection::All { .. } if git::sha1_objects(&repo) => {
            pack::packs(&repo.commondir().join("objects"))
        }
        _ => Vec::new(),
    };
    let shown = WalkProgress::new(ctx.quiet, &packs);
    // Set when the walk fails.
    let stop = AtomicBool::new(false);
    let walk = || {
        let t = Instant::now();
        let h = git::walk_with_progress(&repo, path, selection, &|n| shown.walked(n));
        if h.is_err() || crate::interrupt::requested() {
            // Its error (or Ctrl-C) ends the scan: a pass running beside it need not go on.
            stop.store(true, Ordering::Relaxed);
        }
        if timings && let Ok(h) = &h {
            crate::messages::note(format_args!(
                "timing: {} trees visited, {} entries",
                h.trees_visited, h.entries_seen
            ));
            crate::messages::note(format_args!(
                "timing: walk {:.2} s: {} commits, {} blobs, {} origins",
                t.elapsed().as_secs_f64(),
                h.commits.len(),
                h.blobs.len(),
                h.origins.values().map(Vec::len).sum::<usize>()
            ));
        }
        h
    };
    let pass = |wanted: Option<&IdSet>| {
        let t = Instant::now();
        // A panic in the pass (a bug, or a pack gitoxide cannot cope with) loses nothing:
        // every blob is then read the usual way.
        let pass = std::panic::catch_unwind(AssertUnwindSafe(|| {
            pack_pass(ctx, &packs, wanted, &shown, &stop)
        }))
        .ok()?;
        if timings {
            crate::messages::note(format_args!(
                "timing: pack pass {:.2} s: {} blobs seen, {} flagged",
                t.elapsed().as_secs_f64(),
                pass.seen.len(),
                pass.flagged.len(),
            ));
            crate::messages::note(format_args!(
                "timing: pack mapping dropped {} times",
                pass.trims
            ));
        }
        Some(pass)
    };
    let (h, pass) = if packs.is_empty() {
        (walk(), None)
    } else if ctx.threads <= 1 {
        // One thread asked for: one thing at a time, the walk first, so that the pass
        // decodes only the blobs it listed (and their delta bases), as `org scan` with
        // several jobs does.
        let h = walk();
        let pass = match &h {
            Ok(h) if !crate::interrupt::requested() => {
                pass(Some(&h.blobs.iter().copied().collect()))
            }
            _ => None,
        };
        (h, pass)
    } else {
        std::thread::scope(|s| {
            let pass = s.spawn(|| pass(None));
            let h = walk();
            (h, pass.join().ok().flatten())
        })
    };
    shown.bar.finish_and_clear();
    let h = h?;
    if !ctx.quiet {
        for p in pass.iter().flat_map(|p| &p.incomplete) {
            crate::messages::note(format_args!(
                "{}: pack {p}; its objects are read one at a time",
                path.display()
            ));
        }
    }
    Ok(scan_listed(ctx, &repo, path, &h, pass.as_ref(), summary))
}

/// The progress line while the history is walked and the packs are read: objects decoded
/// of those the packs hold (a spinner when there are no packs), bytes of blobs, blobs
/// with findings, commits walked.
struct WalkProgress {
    bar: ProgressBar,
    bytes: AtomicU64,
    flagged: AtomicU64,
    commits: AtomicU64,
}

impl WalkProgress {
    fn new(quiet: bool, packs: &[PathBuf]) -> WalkProgress {
        let bar = if packs.is_empty() {
            super::progress::bar(quiet, None, "{spinner} {elapsed_precise} {msg}")
        } else {
            super::progress::bar(
                quiet,
                Some(pack::object_count(packs)),
                "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} objects · {msg}",
            )
        };
        WalkProgress {
            bar,
            bytes: AtomicU64::new(0),
            flagged: AtomicU64::new(0),
            commits: AtomicU64::new(0),
        }
    }

    fn walked(&self, commits: usize) {
        self.commits.store(commits as u64, Ordering::Relaxed);
        self.show();
    }

    fn decoded(&self, objects: u64, bytes: u64) {
        self.bar.inc(objects);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.show();
    }

    fn show(&self) {
        if self.bar.is_hidden() {
            return;
        }
        let commits = self.commits.load(Ordering::Relaxed);
        let bytes = self.bytes.load(Ordering::Relaxed);
        self.bar.set_message(if bytes == 0 {
            format!("{commits} commits walked")
        } else {
            format!(
                "{} of blobs · {} with findings · {commits} commits walked",
                human::human_bytes(bytes),
                self.flagged.load(Ordering::Relaxed)
            )
        });
    }
}

/// Decodes and scans every blob in `packs` (see [`pack`]), or those `wanted`.
fn pack_pass(
    ctx: &BlobScan<'_>,
    packs: &[PathBuf],
    wanted: Option<&IdSet>,
    shown: &WalkProgress,
    stop: &AtomicBool,
) -> PackPass {
    let mut blobs = BlobScanner::new(ctx.scanner, ctx.disclosure);
    let flagged = &shown.flagged;
    let exposure = ctx.exposure.any();
    let mut yielded = false;
    let test = move |data: &[u8]| {
        if !yielded {
            yielded = true;
            yield_to_the_walk();
        }
        // A file the exposure checks choose by its contents is read again too.
        let keep =
            blobs.flags(data) || (exposure && crate::exposure::by_content(data, |m| blobs.met(m)));
        if !keep {
            return false;
        }
        flagged.fetch_add(1, Ordering::Relaxed);
        true
    };
    // The walk runs beside the pass, on a thread of its own, and on large histories it is
    // the longer of the two: given every core at the same priority, the pass slowed the
    // walk more than it sped itself (git/git: 20.2 s against 15.7 s with one thread
    // fewer). So the pass takes every core at a lower priority (see `yield_to_the_walk`):
    // the walk keeps a core whenever it wants one, and the pass has the rest, all of
    // them once the walk is done (openssh-portable, two cores: 1.04 s -> 0.80 s;
    // git/git 11.9 s -> 11.4 s).
    let threads = ctx.threads.max(1);
    pack::scan(
        packs,
        threads,
        ctx.max_blob_size,
        wanted,
        test,
        &|objects, bytes| shown.decoded(objects, bytes),
        stop,
    )
}

/// Lowers the calling thread's scheduling priority (a pass thread's) by ten steps of
/// niceness, so that the walk, at the process's own priority, is never kept waiting for
/// a core by the pass. On Linux niceness is a thread's own; elsewhere, or if refused, the
/// thread simply keeps its priority.
pub(crate) fn yield_to_the_walk() {
    #[cfg(target_os = "linux")]
    // SAFETY: getpriority/setpriority on this thread's own id; errors are ignored.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        *libc::__errno_location() = 0;
        let now = libc::getpriority(libc::PRIO_PROCESS, tid);
        if *libc::__errno_location() == 0 {
            libc::setpriority(libc::PRIO_PROCESS, tid, (now + 10).min(19));
        }
    }
}

/// How to scan the blobs a walk listed.
pub struct BlobScan<'a> {
    pub scanner: &'a Scanner,
    pub threads: usize,
    pub max_blob_size: u64,
    pub disclosure: Disclosure,
    pub quiet: bool,
    /// The exposure checks run on each version of the files they read
    /// (`exposure::alone`).
    pub exposure: crate::exposure::Checks,
}

/// Scans every blob `h` lists (each once, on every thread) and places each finding at
/// the blob's paths, one per (secret, rule, path), at the oldest commit that brought it
/// there, each saying whether that path still holds the secret at HEAD.
/// Blobs a pass over the packs already scanned and found clean are not read again.
/// Problems are reported on stderr and counted in `summary`.
pub fn scan_listed(
    cfg: &BlobScan<'_>,
    repo: &git2::Repository,
    path: &Path,
    h: &History,
    pass: Option<&PackPass>,
    summary: &mut Summary,
) -> Vec<Finding> {
    let scanner = cfg.scanner;
    let shown_repo = path.display().to_string();
    if h.shallow {
        summary.shallow = true;
        if !cfg.quiet {
            crate::messages::note(format_args!(
                "{shown_repo}: shallow clone: history is scanned as far as it goes; \
                 secrets in older commits are not seen"
            ));
        }
    }
    for p in &h.problems {
        crate::messages::problem(format_args!("{shown_repo}: {p}"));
    }

    // What the pass scanned and found clean is done; the rest is read here.
    let mut clean_bytes = 0u64;
    let to_read: Cow<[Oid]> = match pass {
        Some(pass) => Cow::Owned(
            h.blobs
                .iter()
                .copied()
                .filter(|b| match pass.seen.get(b) {
                    Some(&len)
                        if len <= cfg.max_blob_size
                            && !pass.flagged.contains(b)
                            && !(cfg.exposure.any() && exposure_named(h, *b)) =>
                    {
                        clean_bytes += len;
                        false
                    }
                    _ => true,
                })
                .collect(),
        ),
        None => Cow::Borrowed(&h.blobs),
    };
    let progress = super::progress::bar(
        cfg.quiet,
        Some(h.blobs.len() as u64),
        "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} blobs · {msg}",
    );
    progress.set_position((h.blobs.len() - to_read.len()) as u64);
    let bytes = AtomicU64::new(clean_bytes);
    let found_count = AtomicU64::new(0);
    let results: Mutex<Vec<BlobFindings>> = Mutex::new(Vec::new());
    let skipped = AtomicU64::new(0);
    let reading = Instant::now();
    git::read_blobs(repo, path, &to_read, cfg.threads, cfg.max_blob_size, || {
        let (bytes, found_count, results) = (&bytes, &found_count, &results);
        let (skipped, progress, shown_repo) = (&skipped, &progress, &shown_repo);
        let mut blobs = BlobScanner::new(scanner, cfg.disclosure);
        let mut pending = 0u32;
        move |event: Event<'_>| {
            match event {
                // Interrupted: the rest is read to the end of the batch, but not scanned.
                Event::Blob { .. } if crate::interrupt::requested() => {}
                Event::Blob {
                    at: At::Blob(blob),
                    bytes: data,
                    ..
                } => {
                    bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
                    // The findings are made at the blob's first path of each kind it is
                    // at (a check may look at the name: a configuration file's bare
                    // keys, `rootkey.csv`); where else it is comes later. Almost every
                    // blob is at one kind of path, and scanned once.
                    for (class, first) in path_kinds(h, blob) {
                        let mut f = blobs.findings_at(data, || scan_path(first));
                        if cfg.exposure.any() {
                            f.extend(exposure_at(first, data, cfg.exposure));
                        }
                        if !f.is_empty() {
                            found_count.fetch_add(f.len() as u64, Ordering::Relaxed);
                            // Blobs with findings are rare: a lock each costs nothing.
                            results
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .push(BlobFindings {
                                    blob,
                                    class,
                                    findings: f,
                                });
                        }
                    }
                }
                Event::Skipped {
                    at: At::Blob(blob),
                    reason: SkipReason::TooLarge { len, .. },
                } => {
                    skipped.fetch_add(1, Ordering::Relaxed);
                    if !cfg.quiet {
                        progress.suspend(|| {
                            crate::messages::note(format_args!(
                                "{shown_repo}: skipped blob {blob} ({}): {} is over --max-file-size",
                                String::from_utf8_lossy(path_kinds(h, blob)[0].1),
                                human::human_bytes(len)
                            ))
                        });
                    }
                }
                Event::Skipped { at, reason } => {
                    skipped.fetch_add(1, Ordering::Relaxed);
                    if !cfg.quiet {
                        progress.suspend(|| {
                            crate::messages::note(format_args!(
                                "{shown_repo}: skipped {at}: {reason}"
                            ))
                        });
                    }
                }
                Event::Error { at, message } => {
                    progress.suspend(|| match at {
                        Some(at) => {
                            crate::messages::problem(format_args!("{shown_repo}: {at}: {message}"))
                        }
                        None => crate::messages::problem(format_args!("{shown_repo}: {message}")),
                    });
                }
                // The git source hands over blobs only.
                Event::Blob { at, .. } => progress.suspend(|| {
                    crate::messages::problem(format_args!("{shown_repo}: {at}: not a blob"))
                }),
                Event::Dir { .. } => {}
            }
            pending += 1;
            if pending == 64 {
                progress.inc(u64::from(pending));
                pending = 0;
                progress.set_message(format!(
                    "{} · {} findings",
                    human::human_bytes(bytes.load(Ordering::Relaxed)),
                    found_count.load(Ordering::Relaxed)
                ));
            }
        }
    });
    progress.finish_and_clear();
    if std::env::var_os("KEYSWEEP_TIMINGS").is_some() {
        crate::messages::note(format_args!(
            "timing: read {:.2} s: {} blobs",
            reading.elapsed().as_secs_f64(),
            to_read.len(),
        ));
    }
    summary.blobs += h.blobs.len() as u64;
    summary.bytes += bytes.load(Ordering::Relaxed);
    summary.skipped += skipped.load(Ordering::Relaxed);
    // Blobs are skipped only for their size.
    summary.skipped_too_large += skipped.load(Ordering::Relaxed);

    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    // A finding is still at HEAD when the blob at its own path there holds the same
    // secret (the file may have changed around it); a copy elsewhere does not count.
    let mut head = git::HeadPaths::new(repo);
    let ids_in: HashMap<(Oid, PathClass), HashSet<&str>> = results
        .iter()
        .map(|r| {
            (
                (r.blob, r.class),
                r.findings.iter().map(|f| f.id.as_str()).collect(),
            )
        })
        .collect();
    let by_blob: HashMap<(Oid, PathClass), &[Finding]> = results
        .iter()
        .map(|r| ((r.blob, r.class), r.findings.as_slice()))
        .collect();
    // A secret is at HEAD when the blob at its own path there holds it (as read at that
    // path's kind); a door (an exposure finding, about a place) when HEAD's file at its
    // path still opens it.
    let mut at_head = |path: &[u8], class: PathClass, f: &Finding, door: bool| {
        let Some(b) = head.blob_at(path) else {
            return false;
        };
        if door {
            by_blob
                .get(&(b, class))
                .is_some_and(|found| found.iter().any(|g| g.rule == f.rule && g.name == f.name))
        } else {
            ids_in
                .get(&(b, class))
                .is_some_and(|ids| ids.contains(f.id.as_str()))
        }
    };
    let mut commit_facts = HashMap::new();
    // One finding per (secret, rule, path): the blob whose origin commit is oldest.
    let mut placed: HashMap<(String, String, Vec<u8>), (usize, Finding)> = HashMap::new();
    for r in &results {
        for origin in h
            .origins
            .get(&r.blob)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            // Placed at the blob's paths of the kind it was scanned at.
            let class = path_class(&origin.path);
            if class != r.class {
                continue;
            }
            let order = origin.commit.unwrap_or(usize::MAX);
            for f in &r.findings {
                let door_id = crate::exposure::id_at(f, &String::from_utf8_lossy(&origin.path));
                let id = door_id.clone().unwrap_or_else(|| f.id.clone());
                let key = (id.clone(), f.rule.clone(), origin.path.clone());
                if placed.get(&key).is_some_and(|(o, _)| *o <= order) {
                    continue;
                }
                let mut f = f.clone();
                f.id = id;
                f.path = if origin.path.is_empty() {
                    format!("(unreachable blob {})", r.blob)
                } else {
                    String::from_utf8_lossy(&origin.path).into_owned()
                };
                let commit = origin.commit.map(|i| h.commits[i]);
                let facts = commit.and_then(|c| {
                    commit_facts
                        .entry(c)
                        .or_insert_with(|| git::commit_facts(repo, c))
                        .as_ref()
                        .map(|cf| (cf.author.clone(), cf.email.clone(), cf.date.clone()))
                });
                f.origin = Some(Origin::Git(GitFacts {
                    repository: shown_repo.clone(),
                    commit: commit.map(|c| c.to_string()),
                    author: facts.as_ref().map(|x| x.0.clone()),
                    email: facts.as_ref().map(|x| x.1.clone()),
                    date: facts.map(|x| x.2),
                    blob: r.blob.to_string(),
                    present_at_head: at_head(&origin.path, class, &f, door_id.is_some()),
                }));
                placed.insert(key, (order, f));
            }
        }
    }
    placed.into_values().map(|(_, f)| f).collect()
}

/// The places `blob` was met at (none for a blob the walk did not list).
pub(crate) fn origins_of(h: &History, blob: Oid) -> &[git::Origin] {
    h.origins.get(&blob).map(Vec::as_slice).unwrap_or_default()
}

/// Whether one of the paths `blob` is at names a file the exposure checks read by name.
pub(crate) fn exposure_named(h: &History, blob: Oid) -> bool {
    origins_exposure_named(origins_of(h, blob))
}

/// [`exposure_named`], of a blob's origins.
pub(crate) fn origins_exposure_named(origins: &[git::Origin]) -> bool {
    origins.iter().any(|o| crate::exposure::named(&o.path))
}

/// The kinds of path ([`path_class`]) `blob` is at, each with the first of its paths of
/// that kind (walk order, oldest first): what a blob yields is the same at every path of
/// one kind, so it is scanned once per kind. A blob with no path (a lost blob) is at one
/// kind, the empty path's.
pub(crate) fn path_kinds(h: &History, blob: Oid) -> Vec<(PathClass, &[u8])> {
    origin_kinds(origins_of(h, blob))
}

/// [`path_kinds`], of a blob's origins.
pub(crate) fn origin_kinds(origins: &[git::Origin]) -> Vec<(PathClass, &[u8])> {
    let mut out: Vec<(PathClass, &[u8])> = Vec::with_capacity(1);
    for o in origins {
        let class = path_class(&o.path);
        if !out.iter().any(|(c, _)| *c == class) {
            out.push((class, &o.path));
        }
    }
    if out.is_empty() {
        out.push((path_class(b""), b""));
    }
    out
}

/// The path a blob is scanned at: its git path (lossily, if it is not UTF-8).
pub(crate) fn scan_path(path: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(path).into_owned())
}

/// The exposure findings of a blob at `path` (none if the checks do not read a file of
/// that name and those bytes, or the path is not UTF-8).
pub(crate) fn exposure_at(
    path: &[u8],
    data: &[u8],
    checks: crate::exposure::Checks,
) -> Vec<Finding> {
    match std::str::from_utf8(path) {
        Ok(p) => crate::exposure::alone(Path::new(p), data, checks),
        Err(_) => Vec::new(),
    }
}
