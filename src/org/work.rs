//! The work queue in the store: `org enqueue` records the repositories to scan; each
//! `org work` process claims one at a time, scans it as `org scan` would, records it, and
//! claims the next until none is left. A claim is a lease that a heartbeat extends while
//! the scan runs: a worker that dies (SIGKILL, a lost node) stops beating, and once its
//! lease expires another worker claims the repository again. Recording a repository is
//! one transaction and recording the same scan twice adds nothing (findings are keyed by
//! repository, content and path), so a reclaimed repository ends in the store exactly as
//! if it had been scanned once. A worker with nothing left to claim waits while another
//! holds a repository, and leaves once every repository is done or failed.

use std::sync::Mutex;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use anyhow::Context as _;

use super::{Context, ENGINE, Location, Progress, RepoSpec, Run, ScanConfig, discover, repo};

/// What is queued for `spec`: its key, name and what to scan (a URL without its
/// password: a worker fetches with git's own credentials, so no secret is stored).
pub fn item(spec: &RepoSpec) -> (String, String, String) {
    let source = match &spec.location {
        Location::Local(p) => p.to_string_lossy().into_owned(),
        Location::Remote(url) => super::cache::redact_url(url).replacen(":***@", "@", 1),
    };
    (repo::key(spec), spec.name.clone(), source)
}

/// Queues `repos` in `cfg.store`; returns how many were queued.
pub fn enqueue(cfg: &ScanConfig) -> anyhow::Result<usize> {
    let mut store = crate::store::open(&cfg.store, true)?;
    let items: Vec<_> = cfg.repos.iter().map(item).collect();
    store.enqueue(&items)
}

/// This worker's name in the queue: host and process.
fn worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    format!("{host}:{}", std::process::id())
}

/// Claims and scans repositories from the queue until none is left, each under a lease
/// of `lease` seconds renewed every third of it.
pub fn work(cfg: &ScanConfig, lease: u64) -> anyhow::Result<Run> {
    crate::source::git::configure();
    let scanner = cfg.rules.scanner(cfg.scan)?;
    let fp = super::fingerprint(&scanner, cfg.scan, cfg.rules.exposure_checks());
    let mut store = crate::store::open(&cfg.store, true)?;
    let mut beat_store = crate::store::open(&cfg.store, true)?;
    let run = store.begin_run(&fp)?;
    let worker = worker_name();
    let lease = lease.max(1) as i64;
    let cache_dir = cfg.cache_dir();
    let progress = Progress::new(cfg.quiet, 0);
    let ctx = Context {
        scanner: &scanner,
        fingerprint: &fp,
        engine: ENGINE,
        run,
        cache: &cache_dir,
        threads: cfg.threads,
        // One repository at a time: its pass has the worker's threads.
        pass_threads: cfg.threads,
        max_blob_size: cfg.max_blob_size,
        progress: &progress,
        exposure: cfg.rules.exposure_checks(),
        pass: &Mutex::new(()),
        walk_first: false,
    };
    let mut reports = Vec::new();
    let mut any_remote = false;
    while !crate::interrupt::requested() {
        let Some(claim) = store
            .claim(&worker, lease)
            .context("claiming from the queue")?
        else {
            // Nothing to claim: done, unless another worker holds a repository, which is
            // this one's to take over should that worker's lease run out.
            if store.held()? > 0 {
                std::thread::sleep(Duration::from_millis((lease as u64 * 100).min(250)));
                continue;
            }
            break;
        };
        let mut spec = match discover::spec(&claim.source) {
            Ok(spec) => spec,
            Err(e) => {
                crate::messages::problem(format_args!("{}: {e:#}", claim.name));
                store.finish_claim(&claim.key, &worker, "failed")?;
                continue;
            }
        };
        spec.name = claim.name.clone();
        any_remote |= matches!(spec.location, Location::Remote(_));
        progress.bar.inc_length(1);
        progress.start(&spec.name);
        // The heartbeat waits on a channel: the scan's end wakes it at once.
        let (done, ended) = std::sync::mpsc::channel::<()>();
        let report = std::thread::scope(|s| {
            let (beat_store, claim, worker) = (&mut beat_store, &claim, &worker);
            let beat = s.spawn(move || -> anyhow::Result<()> {
                let every = Duration::from_millis((lease as u64 * 1000 / 3).max(200));
                while let Err(RecvTimeoutError::Timeout) = ended.recv_timeout(every) {
                    if !beat_store.heartbeat(&claim.key, worker, lease)? {
                        crate::messages::note(format_args!(
                            "{}: the lease ran out and another worker took it",
                            claim.name
                        ));
                    }
                }
                Ok(())
            });
            let report = repo::scan(&ctx, &mut *store, &spec);
            drop(done);
            let beat = beat
                .join()
                .map_err(|_| anyhow::anyhow!("the heartbeat thread panicked"));
            (report, beat)
        });
        let (report, beat) = report;
        beat??;
        progress.done(&spec.name);
        match report.status {
            // Ctrl-C: the claim stays, and its lease runs out for another worker.
            repo::Status::Interrupted => {}
            repo::Status::Failed(_) => store.finish_claim(&claim.key, &worker, "failed")?,
            _ => store.finish_claim(&claim.key, &worker, "done")?,
        }
        reports.push(report);
    }
    progress.bar.finish_and_clear();
    let failed = reports
        .iter()
        .filter(|r| matches!(r.status, repo::Status::Failed(_)))
        .count();
    if !crate::interrupt::requested() {
        store
            .finish_run(run, reports.len() as i64, failed as i64)
            .context("recording the run")?;
    }
    let cache =
        (any_remote || cache_dir.is_dir()).then(|| super::cache::bound(&cache_dir, cfg.cache_max));
    Ok(Run {
        id: run,
        reports,
        cache,
        cache_dir,
        rules: scanner.rules().cloned().collect(),
    })
}
