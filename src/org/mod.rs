//! `keysweep org`: every repository of an organisation, scanned once and then only for
//! what changed, with what was found kept in a store (`crate::store`) between runs.
//!
//! - `discover`: the repositories under a folder, or named in a list file;
//! - `cache`: remote repositories as bare clones, cloned once and fetched after;
//! - `order`: which repository a job takes next;
//! - `repo`: one repository, scanned incrementally;
//! - `view`: what the store holds, as lists and as one page.
//!
//! Where the repositories come from does not matter past [`RepoSpec`]: a forge's listing
//! hands over names and clone URLs, and they are scanned like any list line.

pub mod cache;
pub mod discover;
mod order;
pub mod repo;
pub mod settings;
pub mod view;
pub mod work;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context as _;
use indicatif::ProgressBar;
use sha2::{Digest, Sha256};

use crate::pipeline::RuleSelection;
use crate::scan::{ScanOptions, Scanner};

/// Where a repository is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A working clone or bare repository on this machine, scanned where it is.
    Local(PathBuf),
    /// A git URL: kept as a bare clone in the cache and fetched.
    Remote(String),
}

/// A repository of the organisation: what reports call it and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSpec {
    pub name: String,
    pub location: Location,
    /// How git authenticates to a remote one a forge listed (its token, through git's
    /// environment); `None`: git's own credentials.
    pub auth: Option<crate::source::forge::GitAuth>,
}

impl RepoSpec {
    /// A repository a forge lists: its name and clone URL.
    pub fn remote(name: impl Into<String>, clone_url: impl Into<String>) -> RepoSpec {
        RepoSpec {
            name: name.into(),
            location: Location::Remote(clone_url.into()),
            auth: None,
        }
    }

    /// This repository, cloned and fetched with `auth`.
    pub fn with_auth(mut self, auth: Option<crate::source::forge::GitAuth>) -> RepoSpec {
        self.auth = auth;
        self
    }
}

/// The shard (of `count`) a repository belongs to: a hash of its URL (or path), so a shard
/// always gets the same repositories, whatever else is listed and on whichever machine,
/// and its clone cache stays warm.
pub fn shard_of(key: &str, count: u64) -> u64 {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(key.as_bytes());
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(head) % count.max(1)
}

/// The engine's version, part of the ledger's key: a new keysweep may find what an older
/// one did not, with the same rules.
pub const ENGINE: &str = concat!("keysweep-", env!("CARGO_PKG_VERSION"));

/// The rule set's fingerprint: every rule as loaded (pattern, keywords, validator,
/// examples), the exposure checks run, the options that change what is reported, and the
/// engine. Equal fingerprints find the same things in the same bytes.
pub fn fingerprint(
    scanner: &Scanner,
    options: ScanOptions,
    exposure: crate::exposure::Checks,
) -> String {
    let mut rules: Vec<String> = scanner
        .rules()
        .map(|r| serde_json::to_string(r).unwrap_or_else(|_| format!("{r:?}")))
        .collect();
    rules.sort();
    let mut h = Sha256::new();
    h.update(ENGINE.as_bytes());
    // The ledger's keys: a blob with the kind of path it was scanned at
    // (`repo::ledger_key`). Rows from before (a blob scanned at its first path, whatever
    // its kind) are not trusted: a store from before is scanned again once.
    h.update(b"\0ledger=path-kinds");
    h.update(format!("\0examples={}\0", options.include_examples).as_bytes());
    h.update(
        format!(
            "exposure={},{},{}\0",
            exposure.open, exposure.weak, exposure.risk
        )
        .as_bytes(),
    );
    for r in rules {
        h.update(r.as_bytes());
        h.update(b"\0");
    }
    let d = h.finalize();
    d[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// What `org scan` is asked to do.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    pub store: PathBuf,
    pub repos: Vec<RepoSpec>,
    /// The cache of clones [default: `<store>-cache` beside the store].
    pub cache: Option<PathBuf>,
    pub cache_max: Option<u64>,
    /// Repositories scanned at once.
    pub jobs: usize,
    /// Threads reading one repository's blobs.
    pub threads: usize,
    pub max_blob_size: u64,
    pub rules: RuleSelection,
    pub scan: ScanOptions,
    pub quiet: bool,
    /// Scan only this shard's repositories: (index, count), index from 0 (see [`shard_of`]).
    pub shard: Option<(u64, u64)>,
    /// `org work`: take the repositories from the store's queue, each under a lease of
    /// this many seconds (see `work`), rather than from `repos`.
    pub lease: Option<u64>,
}

impl ScanConfig {
    pub fn cache_dir(&self) -> PathBuf {
        self.cache
            .clone()
            .unwrap_or_else(|| default_cache(&self.store))
    }
}

/// `<folder>/<store name>-cache` beside the store; `keysweep-cache` in the current
/// folder for a database's URL (whose parts are no path, and may hold a password).
pub fn default_cache(store: &Path) -> PathBuf {
    if store.to_str().is_some_and(crate::store::is_url) {
        return PathBuf::from("keysweep-cache");
    }
    let stem = store
        .file_stem()
        .map_or_else(|| "keysweep".into(), |s| s.to_string_lossy().into_owned());
    store
        .parent()
        .unwrap_or(Path::new("."))
        .join(format!("{stem}-cache"))
}

/// What every repository's scan shares.
pub(crate) struct Context<'a> {
    pub scanner: &'a Scanner,
    pub fingerprint: &'a str,
    pub engine: &'a str,
    pub run: i64,
    pub cache: &'a Path,
    pub threads: usize,
    /// Threads of the one pass over packs running at a time: every thread of the run
    /// (`jobs × threads`), each at a lower priority (`yield_to_the_walk`). Sized like a
    /// repository's other work (`threads`), the pass left a core idle whenever the other
    /// job had nothing to do but wait for it (its walk done, its own pass next).
    pub pass_threads: usize,
    pub max_blob_size: u64,
    pub progress: &'a Progress,
    /// The exposure checks run on the files they read (`exposure::alone`), as `history`
    /// runs them.
    pub exposure: crate::exposure::Checks,
    /// Held by the one pass over packs running at a time: a pass maps its packs and keeps
    /// about 150 bytes per object, so two at once would double the peak.
    pub pass: &'a Mutex<()>,
    /// Several jobs: each walks a repository, then passes over the blobs its walk listed
    /// (see `repo::scan_inner`). One job runs its pass beside its walk, as `history` does.
    pub walk_first: bool,
}

/// The progress line: repositories done of all, the ones being scanned, blobs read,
/// findings.
pub(crate) struct Progress {
    bar: ProgressBar,
    blobs: AtomicU64,
    found: AtomicU64,
    current: Mutex<Vec<String>>,
}

impl Progress {
    fn new(quiet: bool, total: usize) -> Progress {
        Progress {
            bar: crate::pipeline::progress::bar(
                quiet,
                Some(total as u64),
                "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} repositories · {msg}",
            ),
            blobs: AtomicU64::new(0),
            found: AtomicU64::new(0),
            current: Mutex::new(Vec::new()),
        }
    }

    pub fn blob(&self) {
        let n = self.blobs.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_multiple_of(256) {
            self.show();
        }
    }

    /// `n` objects decoded by a pass over the packs.
    pub fn blobs(&self, n: u64) {
        self.blobs.fetch_add(n, Ordering::Relaxed);
        self.show();
    }

    pub fn found(&self, n: usize) {
        self.found.fetch_add(n as u64, Ordering::Relaxed);
        self.show();
    }

    fn start(&self, name: &str) {
        self.current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(name.to_string());
        self.show();
    }

    fn done(&self, name: &str) {
        let mut c = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = c.iter().position(|n| n == name) {
            c.remove(i);
        }
        drop(c);
        self.bar.inc(1);
        self.show();
    }

    fn show(&self) {
        if self.bar.is_hidden() {
            return;
        }
        let current = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .join(", ");
        self.bar.set_message(format!(
            "{} · {} blobs · {} findings",
            crate::report::printable(&current),
            self.blobs.load(Ordering::Relaxed),
            self.found.load(Ordering::Relaxed)
        ));
    }
}

/// What a run did.
#[derive(Debug)]
pub struct Run {
    pub id: i64,
    pub reports: Vec<repo::Report>,
    pub cache: Option<cache::Usage>,
    pub cache_dir: PathBuf,
    pub rules: Vec<crate::rules::Rule>,
}

/// Scans every repository of `cfg`, `cfg.jobs` at a time, each recorded as it finishes.
pub fn scan(cfg: &ScanConfig) -> anyhow::Result<Run> {
    if let Some(lease) = cfg.lease {
        return work::work(cfg, lease);
    }
    crate::source::git::configure_for(cfg.jobs);
    let scanner = cfg.rules.scanner(cfg.scan)?;
    let fp = fingerprint(&scanner, cfg.scan, cfg.rules.exposure_checks());
    let mut store = crate::store::open(&cfg.store, true)?;
    let run = store.begin_run(&fp)?;
    // One scan per repository, whatever the sources repeated.
    let mut repos: Vec<&RepoSpec> = Vec::new();
    let mut keys = std::collections::HashSet::new();
    for r in &cfg.repos {
        let key = repo::key(r);
        if let Some((index, count)) = cfg.shard
            && shard_of(&key, count) != index
        {
            continue;
        }
        if keys.insert(key) {
            repos.push(r);
        }
    }
    let cache_dir = cfg.cache_dir();
    let progress = Progress::new(cfg.quiet, repos.len());
    let jobs = cfg.jobs.clamp(1, repos.len().max(1));
    let ctx = Context {
        scanner: &scanner,
        fingerprint: &fp,
        engine: ENGINE,
        run,
        cache: &cache_dir,
        threads: cfg.threads,
        pass_threads: cfg.threads.max(1) * jobs,
        max_blob_size: cfg.max_blob_size,
        progress: &progress,
        exposure: cfg.rules.exposure_checks(),
        pass: &Mutex::new(()),
        walk_first: jobs > 1,
    };
    let queue = order::Queue::new(&repos, &cache_dir, ctx.walk_first);
    let results: Mutex<Vec<Option<repo::Report>>> =
        Mutex::new((0..repos.len()).map(|_| None).collect());
    // The jobs scan and the writer writes: a job hands what it found over and takes its
    // next repository at once, rather than wait for the store's one write lock (the other
    // job's transaction, SQLite's busy handler sleeping in steps of up to 100 ms). At
    // most `jobs` scans wait in the channel, one more is being written and one more per
    // job waits to be handed over: memory stays bounded (a scan waiting holds its rows,
    // not its walk). Each scan goes with a sender the writer signals once it is written:
    // the job's next repository waits for it before reading the ledger.
    type Handed = (usize, repo::Pending, std::sync::mpsc::Sender<()>);
    let (hand_over, written) = std::sync::mpsc::sync_channel::<Handed>(jobs);
    std::thread::scope(|s| -> anyhow::Result<()> {
        let writer = s.spawn(|| -> anyhow::Result<()> {
            let mut store = crate::store::open(&cfg.store, true)?;
            for (i, pending, done) in written {
                let report = repo::finish(&ctx, &mut *store, pending);
                progress.done(&report.name);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(report);
                let _ = done.send(());
            }
            Ok(())
        });
        let workers: Vec<_> = (0..jobs)
            .map(|_| {
                let hand_over = hand_over.clone();
                s.spawn(|| -> anyhow::Result<()> {
                    let hand_over = hand_over;
                    let mut store = crate::store::open(&cfg.store, true)?;
                    let mut earlier = None;
                    loop {
                        if crate::interrupt::requested() {
                            return Ok(());
                        }
                        let Some((i, gate)) = queue.next() else {
                            return Ok(());
                        };
                        let spec = repos[i];
                        progress.start(&spec.name);
                        let pending =
                            repo::prepare(&ctx, &mut *store, spec, earlier.as_ref(), gate);
                        let (done, written) = std::sync::mpsc::channel();
                        hand_over
                            .send((i, pending, done))
                            .map_err(|_| anyhow::anyhow!("the store's writer stopped"))?;
                        earlier = Some(std::sync::Mutex::new(written));
                    }
                })
            })
            .collect();
        // The writer stops once every job has ended and handed over what it had.
        drop(hand_over);
        let mut outcome = Ok(());
        for w in workers {
            let ended = w
                .join()
                .map_err(|_| anyhow::anyhow!("a scanning thread panicked"))
                .and_then(|r| r);
            outcome = outcome.and(ended);
        }
        let wrote = writer
            .join()
            .map_err(|_| anyhow::anyhow!("the store's writer panicked"))
            .and_then(|r| r);
        // The writer's own failure first: a job that stopped for it says only that.
        wrote.and(outcome)
    })?;
    progress.bar.finish_and_clear();
    let reports: Vec<repo::Report> = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect();
    let failed = reports
        .iter()
        .filter(|r| matches!(r.status, repo::Status::Failed(_)))
        .count();
    if !crate::interrupt::requested() {
        store
            .finish_run(run, reports.len() as i64, failed as i64)
            .context("recording the run")?;
    }
    let any_remote = repos
        .iter()
        .any(|r| matches!(r.location, Location::Remote(_)));
    let cache = (any_remote || cache_dir.is_dir()).then(|| cache::bound(&cache_dir, cfg.cache_max));
    Ok(Run {
        id: run,
        reports,
        cache,
        cache_dir,
        rules: scanner.rules().cloned().collect(),
    })
}
