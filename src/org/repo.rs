//! One repository of an organisation, scanned incrementally: unchanged tips cost no object
//! read; new commits are walked from the new tips to the stored ones (the range a push
//! hook walks); blobs the ledger holds for this rule set are not read again; what is left
//! is read, and the repository's findings, ledger rows and tips are recorded in one
//! transaction.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::time::Instant;

use git2::{ObjectType, Oid, Repository};

use super::{Context, Location, RepoSpec};
use crate::finding::Disclosure;
use crate::pipeline::blob::{BlobScanner, PathClass, path_class};
use crate::pipeline::history::{
    exposure_at, origin_kinds, origins_exposure_named, origins_of, path_kinds, scan_path,
};
use crate::source::git::{self, History, IdSet, Selection};
use crate::source::pack::{self, PackPass};
use crate::source::{At, Event};
use crate::store::{BlobFinding, FindingRow, LedgerKey, Placed, RepoScan, Store};

/// How one repository's scan went.
#[derive(Debug)]
pub enum Status {
    /// Its tips were those of its last scan under this rule set: nothing was read.
    Unchanged,
    Scanned,
    /// Scanned in part (an unreadable ref or blob): recorded, its tips kept as they were
    /// so the next run covers it again.
    Incomplete(String),
    Failed(String),
    /// Ctrl-C: nothing recorded.
    Interrupted,
}

/// One repository's part of a run.
#[derive(Debug)]
pub struct Report {
    pub name: String,
    pub url: String,
    pub status: Status,
    /// Blobs the walk listed, read, and known from the ledger.
    pub listed: u64,
    pub read: u64,
    pub known: u64,
    pub bytes: u64,
    pub skipped: u64,
    pub new: Vec<FindingRow>,
    pub ms: u64,
    /// Findings the repository's own config and baseline left out.
    pub silenced: u64,
}

/// The key a repository is stored under: its URL (without a password), or its absolute
/// path.
pub fn key(spec: &RepoSpec) -> String {
    match &spec.location {
        Location::Local(p) => p.to_string_lossy().into_owned(),
        Location::Remote(url) => super::cache::redact_url(url),
    }
}

/// Every ref's target as the ref store has it, and HEAD's: no object is read.
fn ref_tips(repo: &Repository) -> Result<BTreeMap<String, String>, git2::Error> {
    let mut out = BTreeMap::new();
    for r in repo.references()? {
        let r = r?;
        let name = String::from_utf8_lossy(r.name_bytes()).into_owned();
        let v = match (r.target(), r.symbolic_target().ok().flatten()) {
            (Some(oid), _) => oid.to_string(),
            (None, Some(t)) => format!("ref: {t}"),
            (None, None) => continue,
        };
        out.insert(name, v);
    }
    if let Ok(head) = repo.find_reference("HEAD") {
        let v = match (head.target(), head.symbolic_target().ok().flatten()) {
            (Some(oid), _) => oid.to_string(),
            (_, Some(t)) => format!("ref: {t}"),
            _ => String::new(),
        };
        out.insert("HEAD".into(), v);
    }
    Ok(out)
}

/// What to walk: everything, or, when the last scan was under the same rule set, only the
/// commits reachable from the refs that moved (or are new) and not from where they and
/// the branches were. Tags that did not move are not hidden one by one (libgit2's walk
/// slows with every tip hidden, and git/git has a thousand tags): a commit only they
/// reach is listed again, and its blobs come from the ledger, never read twice.
fn selection(
    repo: &Repository,
    tips: &BTreeMap<String, String>,
    stored: Option<&BTreeMap<String, String>>,
) -> Selection {
    let all = Selection::All { all_objects: false };
    let Some(stored) = stored else { return all };
    // The repository's own settings changed (or came, or went): every finding is placed
    // and filtered again, from a whole walk whose blobs the ledger holds.
    let key = super::settings::TIPS_KEY;
    if stored.get(key) != tips.get(key) {
        return all;
    }
    let commit = |v: &str| -> Option<Oid> {
        let oid = Oid::from_str(v).ok()?;
        Some(
            repo.find_object(oid, None)
                .ok()?
                .peel(ObjectType::Commit)
                .ok()?
                .id(),
        )
    };
    let mut include = Vec::new();
    for (name, v) in tips {
        if stored.get(name) == Some(v) || v.starts_with("ref: ") {
            continue;
        }
        match commit(v) {
            Some(c) => include.push(c.to_string()),
            // A ref to a tree or a blob: the whole walk lists it.
            None => return all,
        }
    }
    let mut exclude: Vec<String> = stored
        .iter()
        .filter(|(name, v)| {
            tips.get(*name) != Some(*v)
                || *name == "HEAD"
                || name.starts_with("refs/heads/")
                || name.starts_with("refs/remotes/")
        })
        .filter_map(|(_, v)| commit(v))
        .map(|c| c.to_string())
        .collect();
    include.sort();
    include.dedup();
    exclude.sort();
    exclude.dedup();
    if exclude.is_empty() {
        return all;
    }
    Selection::Range { include, exclude }
}

/// What a repository's scan leaves to write to the store, in one transaction.
pub(super) enum Write {
    /// Its tips were those of its last scan: when, and how long it took to see it.
    Unchanged { ms: i64 },
    /// What it holds now; `touch`: the remote whose clone in the cache is marked scanned
    /// once this is written.
    Scan {
        scan: Box<RepoScan>,
        touch: Option<String>,
    },
}

/// A repository scanned, what it found not yet written to the store: the writing is
/// [`finish`]ed by the run's one writer, so that no job waits for the store's lock
/// before it takes its next repository.
pub(super) struct Pending {
    report: Report,
    /// `None`: nothing to write (Ctrl-C); `Err`: the scan failed, and the failure is
    /// written.
    write: Option<Result<Write, String>>,
    start: Instant,
}

/// Scans one repository and writes what it found ([`prepare`], then [`finish`]).
pub(super) fn scan(ctx: &Context<'_>, store: &mut dyn Store, spec: &RepoSpec) -> Report {
    let pending = prepare(ctx, store, spec, None, None);
    finish(ctx, store, pending)
}

/// Scans one repository, reading the store (its last tips, the ledger) but writing nothing.
/// `earlier`: says when the scan this job handed over before is written; the ledger is
/// not read before then, so that a fork scanned after its parent finds the parent's
/// blobs there (as it did when each job wrote its own).
pub(super) fn prepare(
    ctx: &Context<'_>,
    store: &mut dyn Store,
    spec: &RepoSpec,
    earlier: Option<&Mutex<Receiver<()>>>,
    mut gate: Option<super::order::Gate<'_>>,
) -> Pending {
    let start = Instant::now();
    let url = key(spec);
    let mut report = Report {
        name: spec.name.clone(),
        url: url.clone(),
        status: Status::Scanned,
        listed: 0,
        read: 0,
        known: 0,
        bytes: 0,
        skipped: 0,
        new: Vec::new(),
        ms: 0,
        silenced: 0,
    };
    let ledger_ready = || {
        if let Some(written) = earlier {
            // Once sent (or its sender dropped), every later call returns at once.
            let _ = written.lock().unwrap_or_else(|e| e.into_inner()).recv();
        }
    };
    let scanned = scan_inner(
        ctx,
        store,
        spec,
        &mut report,
        start,
        &ledger_ready,
        &mut gate,
    );
    let write = match scanned {
        Ok(write) => write.map(Ok),
        Err(e) => Some(Err(format!("{e:#}"))),
    };
    Pending {
        report,
        write,
        start,
    }
}

/// Writes what [`prepare`] left to write, in one transaction; a write that fails is a
/// failure of the repository's scan, and is recorded as such.
pub(super) fn finish(ctx: &Context<'_>, store: &mut dyn Store, pending: Pending) -> Report {
    let Pending {
        mut report,
        write,
        start,
    } = pending;
    let written = match write {
        None => Ok(()),
        Some(Ok(Write::Unchanged { ms })) => store
            .record_unchanged(&report.url, ctx.run, ms)
            .map_err(|e| format!("{e:#}")),
        Some(Ok(Write::Scan { scan, touch })) => match store.record(&scan) {
            Ok(new) => {
                report.new = new;
                timing(&start, &report.name, "recorded");
                if let Some(u) = touch {
                    super::cache::touch(ctx.cache, &u);
                }
                Ok(())
            }
            Err(e) => Err(format!("{e:#}")),
        },
        Some(Err(msg)) => Err(msg),
    };
    report.ms = start.elapsed().as_millis() as u64;
    if let Err(msg) = written {
        // The failure is recorded; if even that cannot be, the run says so.
        let (url, name) = (&report.url, &report.name);
        report.status = match store.record_failure(url, name, ctx.run, report.ms as i64, &msg) {
            Err(e2) => Status::Failed(format!("{msg} (and recording it failed: {e2:#})")),
            Ok(()) => Status::Failed(msg),
        };
    }
    report
}

fn scan_inner(
    ctx: &Context<'_>,
    store: &mut dyn Store,
    spec: &RepoSpec,
    report: &mut Report,
    start: Instant,
    ledger_ready: &(dyn Fn() + Sync),
    gate: &mut Option<super::order::Gate<'_>>,
) -> anyhow::Result<Option<Write>> {
    let url = &report.url.clone();
    let path: PathBuf = match &spec.location {
        Location::Local(p) => p.clone(),
        Location::Remote(u) => {
            super::cache::sync(ctx.cache, u, spec.auth.as_ref()).map_err(anyhow::Error::msg)?
        }
    };
    let repo = git::open(&path)?;
    let mut tips =
        ref_tips(&repo).map_err(|e| anyhow::anyhow!("reading the refs: {}", e.message()))?;
    let prev = store.repository(url)?;
    timing(&start, &spec.name, "refs");
    let same_rules = prev
        .as_ref()
        .is_some_and(|p| p.fingerprint.as_deref() == Some(ctx.fingerprint));
    let stored_all = prev
        .as_ref()
        .and_then(|p| p.tips.as_ref())
        .filter(|_| same_rules);
    // The blobs the last scan could not read (a partial clone's missing blobs), kept
    // beside its tips: that scan was incomplete, and stays so while they are missing.
    let unread: Vec<Oid> = stored_all
        .and_then(|s| s.get(UNREAD_KEY))
        .map(|v| v.split(' ').filter_map(|o| Oid::from_str(o).ok()).collect())
        .unwrap_or_default();
    // One of them can be read now (fetched, or the promisor's pack came): the whole
    // history is walked again, from the ledger but for what was missing.
    let odb = repo
        .odb()
        .map_err(|e| anyhow::anyhow!("opening the object database: {}", e.message()))?;
    let readable_now = unread.iter().any(|o| odb.exists(*o));
    drop(odb);
    let stored_refs: Option<BTreeMap<String, String>> =
        stored_all.filter(|_| !readable_now).map(|s| {
            let mut s = s.clone();
            s.remove(UNREAD_KEY);
            s
        });
    let stored = stored_refs.as_ref();
    // A bare repository's settings are in HEAD's tree: refs where they were mean the
    // settings are too, and nothing need be read to know it.
    let key = super::settings::TIPS_KEY;
    let refs_unchanged = stored.is_some_and(|s| {
        s.len() - usize::from(s.contains_key(key)) == tips.len()
            && tips.iter().all(|(k, v)| s.get(k) == Some(v))
    });
    // The repository's own config and baseline; a change to them is a change of tips.
    let settings = if repo.is_bare() && refs_unchanged {
        None
    } else {
        let settings = super::settings::load(&repo)?;
        if let Some(d) = &settings.digest {
            tips.insert(key.to_string(), d.clone());
        }
        Some(settings)
    };
    if settings.is_none() || stored == Some(&tips) {
        if let Location::Remote(u) = &spec.location {
            super::cache::touch(ctx.cache, u);
        }
        if unread.is_empty() {
            report.status = Status::Unchanged;
            return Ok(Some(Write::Unchanged {
                ms: start.elapsed().as_millis() as i64,
            }));
        }
        // Nothing moved and what could not be read still cannot: the same incomplete
        // result as last time (fail closed: never "unchanged"), and nothing else read.
        let error = prev
            .as_ref()
            .and_then(|p| p.error.clone())
            .unwrap_or_else(|| format!("{} blobs could not be read", unread.len()));
        let scan = RepoScan {
            url: url.to_string(),
            name: spec.name.clone(),
            run: ctx.run,
            tips: stored_all.cloned(),
            fingerprint: ctx.fingerprint.to_string(),
            engine: ctx.engine.to_string(),
            duration_ms: start.elapsed().as_millis() as i64,
            result: "incomplete".into(),
            error: Some(error.clone()),
            ledger: Vec::new(),
            placed: Vec::new(),
            at_head: None,
        };
        report.status = Status::Incomplete(error);
        return Ok(Some(Write::Scan {
            scan: Box::new(scan),
            touch: None,
        }));
    }
    // A range from the stored tips would leave out the blobs the last scan missed.
    let selection = selection(&repo, &tips, stored.filter(|_| unread.is_empty()));
    // A whole history never scanned under these rules (a first scan, new rules): the
    // packs are decoded and scanned in one pass, and only what the pass flagged or did
    // not see is read blob by blob. Small histories and ranges are read blob by blob: a
    // pass decodes every object.
    let packs = match selection {
        Selection::All { .. } if git::sha1_objects(&repo) => {
            let packs = pack::packs(&repo.commondir().join("objects"));
            if pack::object_count(&packs) >= PASS_FROM {
                packs
            } else {
                Vec::new()
            }
        }
        _ => Vec::new(),
    };
    let (h, pass) = if packs.is_empty() {
        (git::walk(&repo, &path, &selection), Ok(None))
    } else if ctx.walk_first {
        // Several jobs: the walk first, then a pass that decodes only the blobs the walk
        // listed and their delta bases (a pack may hold many no ref reaches: a third of
        // git/git's blob bytes, 61% of redis's in the fleet benchmarked), while the other
        // jobs keep the cores busy. Beside the walk, the pass could not know which.
        let h = git::walk(&repo, &path, &selection);
        timing(&start, &spec.name, "walked");
        gate.take();
        let pass = match &h {
            // Ctrl-C: nothing of this repository is recorded, so nothing more is read.
            Ok(_) if crate::interrupt::requested() => None,
            Ok(h) => {
                ledger_ready();
                if mostly_known(ctx, store, &repo)? {
                    None
                } else {
                    let wanted: IdSet = h.blobs.iter().copied().collect();
                    let stop = AtomicBool::new(false);
                    pack_pass(ctx, &packs, Some(&wanted), &stop, &start, &spec.name)
                }
            }
            Err(_) => None,
        };
        (h, Ok(pass))
    } else {
        // One job: the pass runs beside the walk, as in `history`.
        let stop = AtomicBool::new(false);
        // The walk starts at once. Whether to pass is decided beside it, from the ledger
        // once this job's last scan is written (a fork right after its parent then finds
        // the parent's blobs there): while the writer writes, the walk goes on rather
        // than the cores wait (a whole job idle for libgit2's 0.2 s write).
        std::thread::scope(|s| {
            let store = &mut *store;
            let pass = s.spawn(|| -> anyhow::Result<Option<PackPass>> {
                ledger_ready();
                if mostly_known(ctx, store, &git::open(&path)?)? {
                    return Ok(None);
                }
                Ok(pack_pass(ctx, &packs, None, &stop, &start, &spec.name))
            });
            let h = git::walk(&repo, &path, &selection);
            if h.is_err() {
                stop.store(true, Ordering::Relaxed);
            }
            // A panic beside the walk loses nothing: every blob is read the usual way.
            (h, pass.join().unwrap_or(Ok(None)))
        })
    };
    let h = h?;
    let pass = pass?;
    timing(&start, &spec.name, "walk");
    report.listed = h.blobs.len() as u64;

    // The ledger first: a blob scanned under this rule set anywhere in the organisation,
    // at the same kind of path, is not read again; what it held is placed here as it is.
    // (What a blob yields may depend on its path: a configuration file's bare base64 keys,
    // `rootkey.csv`. The ledger is keyed by the kind of path too, so a blob recorded
    // clean at `notes.txt` is scanned again where it is `app.properties`.)
    ledger_ready();
    let mut held: HashMap<(Oid, PathClass), Vec<BlobFinding>> = HashMap::new();
    let mut to_read: Vec<Oid> = Vec::new();
    // The kinds of path each blob to read is scanned at: those the ledger lacks.
    // Kept only for a blob the ledger has at some of its kinds (rare): any other blob to
    // read is scanned at every kind it is at (a map for every blob of a first scan of
    // git/git would cost tens of MB).
    let mut want: HashMap<Oid, Vec<PathClass>> = HashMap::new();
    let doors = ctx.exposure.any();
    // What the pass scanned and found clean is done (no finding: nothing to place), and
    // costs no look-up in the ledger: it is recorded clean at every kind of path it is
    // at (the pass looks for bare base64 keys in every blob, the one finding a path
    // turns on). The doors of files chosen by name are looked for by the name, which the
    // pass does not know (as in `history`): those blobs are read again.
    let mut ledger: Vec<(LedgerKey, Vec<BlobFinding>)> = Vec::with_capacity(h.blobs.len());
    let (mut clean, mut clean_bytes) = (0u64, 0u64);
    for &b in &h.blobs {
        let origins = origins_of(&h, b);
        let exposure = doors && origins_exposure_named(origins);
        if let Some(pass) = &pass
            && let Some(&len) = pass.seen.get(&b)
            && !(len > ctx.max_blob_size || exposure || pass.flagged.contains(&b))
        {
            clean += 1;
            clean_bytes += len;
            let key = |class| LedgerKey { blob: b, class };
            ledger.extend(
                origin_kinds(origins)
                    .into_iter()
                    .map(|(c, _)| (key(c), Vec::new())),
            );
            continue;
        }
        // A file the exposure checks read by its name (Terraform, sshd_config) is read in
        // each repository: its doors are keyed by the path it is at.
        if exposure {
            to_read.push(b);
            continue;
        }
        let kinds = path_kinds(&h, b);
        let mut missing = Vec::new();
        let all = kinds.len();
        for (class, _) in kinds {
            match store.scanned(&ledger_key(b, class), ctx.fingerprint, ctx.engine)? {
                Some(found) => {
                    if !found.is_empty() {
                        held.insert((b, class), found);
                    }
                }
                None => missing.push(class),
            }
        }
        if missing.is_empty() {
            report.known += 1;
        } else {
            to_read.push(b);
            if missing.len() < all {
                want.insert(b, missing);
            }
        }
    }
    let read = read(ctx, &repo, &path, &h, &to_read, &want);
    timing(&start, &spec.name, "ledger and read");
    if crate::interrupt::requested() {
        report.status = Status::Interrupted;
        return Ok(None);
    }
    report.read = to_read.len() as u64 + clean;
    report.bytes = read.bytes + clean_bytes;
    report.skipped = read.skipped;
    for &b in &to_read {
        if read.failed.contains(&b) || read.too_large.contains(&b) {
            continue;
        }
        for class in wanted(&h, &want, b) {
            let found = read.found.get(&(b, class)).cloned().unwrap_or_default();
            if !found.is_empty() {
                held.insert((b, class), found.clone());
            }
            ledger.push((LedgerKey { blob: b, class }, found));
        }
    }

    // In key order: the ledger's index is written in one sweep rather than at random
    // places (blob ids are random), which keeps the store's page cache of use.
    ledger.sort_unstable_by_key(|a| a.0);
    let mut placed = place(&repo, &h, &held);
    if let Some(settings) = &settings {
        report.silenced = settings.apply(url, &mut placed) as u64;
    }
    timing(&start, &spec.name, "placed");
    // Which secrets are in HEAD's tree now, and at which path, for every finding of the
    // repository: a finding is at HEAD where its own path still holds it.
    let mut at_head: HashSet<(String, String)> = HashSet::new();
    let mut unread: HashMap<String, Vec<String>> = HashMap::new();
    for (path, b) in git::paths_at_head(&repo) {
        let class = path_class(path.as_bytes());
        match held.get(&(b, class)) {
            Some(f) => at_head.extend(f.iter().map(|f| (placed_id(f, &path), path.clone()))),
            None => unread.entry(ledger_key(b, class)).or_default().push(path),
        }
    }
    let ask: Vec<String> = unread.keys().cloned().collect();
    let mut with_findings: Vec<String> = Vec::new();
    for (blob, content) in store.contents(&ask, ctx.fingerprint, ctx.engine)? {
        for path in unread.get(&blob).into_iter().flatten() {
            at_head.insert((content.clone(), path.clone()));
        }
        with_findings.push(blob);
    }
    // A door the ledger holds was keyed at the path it was first read at (perhaps in
    // another repository): keyed again at each path HEAD has its blob at. Such blobs are
    // few (those with findings), so each is asked for in full.
    if ctx.exposure.any() {
        with_findings.sort();
        with_findings.dedup();
        for blob in &with_findings {
            let Some(found) = store.scanned(blob, ctx.fingerprint, ctx.engine)? else {
                continue;
            };
            for path in unread.get(blob).into_iter().flatten() {
                at_head.extend(found.iter().map(|f| (placed_id(f, path), path.clone())));
            }
        }
    }
    timing(&start, &spec.name, "at head");
    let mut problems: Vec<String> = h.problems.clone();
    problems.extend(read.errors);
    let complete = problems.is_empty();
    // Incomplete only for blobs that could not be read (each error names its blob): the
    // tips are recorded with those blobs beside them, so that a run with nothing changed
    // asks only whether they can be read now. Any other trouble (a ref, a tree, a
    // commit) keeps the old tips, and the next run scans the repository again.
    let only_blobs = h.problems.is_empty() && !read.unattributed && !read.failed.is_empty();
    let tips = if complete {
        Some(tips)
    } else if only_blobs {
        let mut missing: Vec<String> = read.failed.iter().map(Oid::to_string).collect();
        missing.sort();
        tips.insert(UNREAD_KEY.to_string(), missing.join(" "));
        Some(tips)
    } else {
        None
    };
    let scan = RepoScan {
        url: url.to_string(),
        name: spec.name.clone(),
        run: ctx.run,
        tips,
        fingerprint: ctx.fingerprint.to_string(),
        engine: ctx.engine.to_string(),
        duration_ms: start.elapsed().as_millis() as i64,
        result: if complete { "ok" } else { "incomplete" }.into(),
        error: (!complete).then(|| problems.join("; ")),
        ledger,
        placed,
        at_head: Some(at_head),
    };
    if !complete {
        report.status = Status::Incomplete(problems.join("; "));
    }
    Ok(Some(Write::Scan {
        scan: Box::new(scan),
        touch: match &spec.location {
            Location::Remote(u) => Some(u.clone()),
            Location::Local(_) => None,
        },
    }))
}

/// Fewest objects in a repository's packs for a first scan to decode them in one pass
/// rather than read its blobs one at a time (the pass decodes every object, and keeps
/// about 150 bytes for each while it runs). Measured on 2026-12-03: a pass costs about
/// 0.4 ms a repository more than reading (1,000 packed repositories of 18 objects: 1.46x
/// the time with a pass at any size), and from about a thousand objects it pays (the
/// 26-repository fleet, ten of which have 1,050 to 20,000: 0.96x the time with a pass
/// at any size, against a threshold of 20,000).
const PASS_FROM: u64 = 1_000;

/// Whether most of a sample of HEAD's blobs are in the ledger already (a fork, a mirror,
/// a vendored copy of a repository scanned before): then its blobs are taken from the
/// ledger, and decoding all its packs would be work for nothing.
fn mostly_known(
    ctx: &Context<'_>,
    store: &mut dyn Store,
    repo: &Repository,
) -> anyhow::Result<bool> {
    const SAMPLE: usize = 256;
    let mut head: Vec<(String, Oid)> = git::paths_at_head(repo);
    head.sort_by_key(|h| h.1);
    head.dedup_by_key(|h| h.1);
    let step = (head.len() / SAMPLE).max(1);
    let (mut asked, mut known) = (0, 0);
    for (path, b) in head.iter().step_by(step).take(SAMPLE) {
        asked += 1;
        if store
            .scanned(
                &ledger_key(*b, path_class(path.as_bytes())),
                ctx.fingerprint,
                ctx.engine,
            )?
            .is_some()
        {
            known += 1;
        }
    }
    Ok(asked > 0 && known * 2 >= asked)
}

/// Decodes and scans every blob of `packs` (see [`pack`]), or those `wanted`; `None` if
/// the pass failed.
fn pack_pass(
    ctx: &Context<'_>,
    packs: &[PathBuf],
    wanted: Option<&IdSet>,
    stop: &AtomicBool,
    start: &Instant,
    name: &str,
) -> Option<PackPass> {
    let mut blobs = BlobScanner::new(ctx.scanner, Disclosure::Redacted);
    let doors = ctx.exposure.any();
    // Each pass thread runs at a lower priority than the walk beside it, as in `history`
    // (`yield_to_the_walk`): given the same priority, the pass slows the walk, the longer
    // of the two, more than it gains. With several jobs, the walks are the other jobs'.
    let mut yielded = false;
    // A file the exposure checks choose by its contents is read again too, as in `history`.
    let test = move |data: &[u8]| {
        if !yielded {
            yielded = true;
            crate::pipeline::history::yield_to_the_walk();
        }
        blobs.flags(data) || (doors && crate::exposure::by_content(data, |m| blobs.met(m)))
    };
    // A panic in the pass (a pack gitoxide cannot cope with) loses nothing: every blob
    // is then read the usual way.
    let _one_at_a_time = ctx.pass.lock().unwrap_or_else(|e| e.into_inner());
    timing(
        start,
        name,
        &format!("pass started, {} threads", ctx.pass_threads),
    );
    if stop.load(Ordering::Relaxed) {
        return None;
    }
    let pass = std::panic::catch_unwind(AssertUnwindSafe(|| {
        pack::scan(
            packs,
            ctx.pass_threads,
            ctx.max_blob_size,
            wanted,
            test,
            &|objects, _| {
                ctx.progress.blobs(objects);
                // Ctrl-C: the pass stops too (nothing of this repository is recorded).
                if crate::interrupt::requested() {
                    stop.store(true, Ordering::Relaxed);
                }
            },
            stop,
        )
    }))
    .ok();
    let seen = pass.as_ref().map_or(0, |p| p.seen.len());
    timing(start, name, &format!("pass done, {seen} blobs seen"));
    pass
}

/// With `KEYSWEEP_TIMINGS` set, a note of the time since `start` at each step.
fn timing(start: &Instant, name: &str, step: &str) {
    if std::env::var_os("KEYSWEEP_TIMINGS").is_some() {
        crate::messages::note(format_args!(
            "timing: {name}: {step} at {:.3} s",
            start.elapsed().as_secs_f64()
        ));
    }
}

/// The kinds of path `blob` is read for: those `want` lists, or every kind it is at.
fn wanted(h: &History, want: &HashMap<Oid, Vec<PathClass>>, blob: Oid) -> Vec<PathClass> {
    match want.get(&blob) {
        Some(w) => w.clone(),
        None => path_kinds(h, blob).into_iter().map(|k| k.0).collect(),
    }
}

/// The key a blob scanned at a kind of path is recorded under in the ledger: its id, and
/// the kind (`pipeline::blob::path_class`) unless that is the plain one.
pub fn ledger_key(blob: Oid, class: PathClass) -> String {
    LedgerKey { blob, class }.text()
}

/// The entry of a repository's stored tips that lists the blobs its last scan could not
/// read (space-separated ids), beside its refs (see `settings::TIPS_KEY`).
pub const UNREAD_KEY: &str = "(keysweep unread)";

/// What reading the blobs gave.
#[derive(Default)]
struct Read {
    /// An error that named no blob.
    unattributed: bool,
    /// By blob and kind of path scanned at (those with findings only).
    found: HashMap<(Oid, PathClass), Vec<BlobFinding>>,
    failed: HashSet<Oid>,
    too_large: HashSet<Oid>,
    errors: Vec<String>,
    bytes: u64,
    skipped: u64,
}

fn read(
    ctx: &Context<'_>,
    repo: &Repository,
    path: &Path,
    h: &History,
    blobs: &[Oid],
    want: &HashMap<Oid, Vec<PathClass>>,
) -> Read {
    let out = Mutex::new(Read::default());
    let bytes = AtomicU64::new(0);
    git::read_blobs(repo, path, blobs, ctx.threads, ctx.max_blob_size, || {
        let (out, bytes) = (&out, &bytes);
        let mut scanner = BlobScanner::new(ctx.scanner, Disclosure::Redacted);
        move |event: Event<'_>| match event {
            Event::Blob { .. } if crate::interrupt::requested() => {}
            Event::Blob {
                at: At::Blob(blob),
                bytes: data,
                ..
            } => {
                bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
                ctx.progress.blob();
                let only = want.get(&blob);
                // At the first path of each kind the ledger lacks, as `history` scans it.
                for (class, first) in path_kinds(h, blob) {
                    if only.is_some_and(|w| !w.contains(&class)) {
                        continue;
                    }
                    let mut f = scanner.findings_at(data, || scan_path(first));
                    // The doors the file opens (keyed again at each path when placed).
                    if ctx.exposure.any() {
                        f.extend(exposure_at(first, data, ctx.exposure));
                    }
                    // A `keysweep:allow` on the line is honoured, as everywhere.
                    let f: Vec<BlobFinding> = f
                        .into_iter()
                        .filter(|f| !f.allowed_inline)
                        .map(|f| BlobFinding {
                            content_id: f.id,
                            rule: f.rule,
                            name: f.name,
                            category: f.category.as_str().to_string(),
                            severity: f.severity.as_str().to_string(),
                            line: f.line as i64,
                            column: f.column as i64,
                            redacted: f.secret,
                        })
                        .collect();
                    if !f.is_empty() {
                        ctx.progress.found(f.len());
                        lock(out).found.insert((blob, class), f);
                    }
                }
            }
            Event::Skipped {
                at: At::Blob(blob), ..
            } => {
                let mut o = lock(out);
                o.too_large.insert(blob);
                o.skipped += 1;
            }
            Event::Skipped { .. } => lock(out).skipped += 1,
            Event::Error { at, message } => {
                let mut o = lock(out);
                match &at {
                    Some(At::Blob(b)) => {
                        o.failed.insert(*b);
                    }
                    _ => o.unattributed = true,
                }
                o.errors.push(match at {
                    Some(at) => format!("{at}: {message}"),
                    None => message,
                });
            }
            Event::Blob { .. } | Event::Dir { .. } => {}
        }
    });
    let mut out = out.into_inner().unwrap_or_else(|e| e.into_inner());
    out.bytes = bytes.into_inner();
    out
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The id a finding has at `path`: a secret's is its content's; a door's (an exposure
/// finding, about a place) is keyed by the path, as `history` keys it.
fn placed_id(f: &BlobFinding, path: &str) -> String {
    let category = crate::finding::Category::from(f.category.as_str());
    if crate::exposure::is_door(&category) {
        crate::exposure::door_id(
            &f.rule,
            category,
            path,
            &f.name,
            super::view::severity(&f.severity),
        )
    } else {
        f.content_id.clone()
    }
}

/// Each secret the blobs hold at each of their paths (as scanned at that path's kind),
/// once per (secret, path), at the oldest commit that brought it there.
fn place(
    repo: &Repository,
    h: &History,
    held: &HashMap<(Oid, PathClass), Vec<BlobFinding>>,
) -> Vec<Placed> {
    let mut placed: HashMap<(String, Vec<u8>), (usize, Placed)> = HashMap::new();
    let mut facts = HashMap::new();
    // In walk order, so that the result does not depend on a hash map's.
    let with: HashSet<Oid> = held.keys().map(|k| k.0).collect();
    for blob in &h.blobs {
        if !with.contains(blob) {
            continue;
        }
        for origin in h.origins.get(blob).map(Vec::as_slice).unwrap_or_default() {
            let Some(found) = held.get(&(*blob, path_class(&origin.path))) else {
                continue;
            };
            let order = origin.commit.unwrap_or(usize::MAX);
            for f in found {
                let path_text = String::from_utf8_lossy(&origin.path);
                let id = placed_id(f, &path_text);
                let key = (id.clone(), origin.path.clone());
                if placed.get(&key).is_some_and(|(o, _)| *o <= order) {
                    continue;
                }
                let commit = origin.commit.map(|i| h.commits[i]);
                let cf = commit.and_then(|c| {
                    facts
                        .entry(c)
                        .or_insert_with(|| git::commit_facts(repo, c))
                        .as_ref()
                        .map(|cf| (cf.author.clone(), cf.email.clone(), cf.date.clone()))
                });
                let path = if origin.path.is_empty() {
                    format!("(unreachable blob {blob})")
                } else {
                    String::from_utf8_lossy(&origin.path).into_owned()
                };
                placed.insert(
                    key,
                    (
                        order,
                        Placed {
                            found: BlobFinding {
                                content_id: id,
                                ..f.clone()
                            },
                            path,
                            blob: blob.to_string(),
                            commit: commit.map(|c| c.to_string()),
                            author: cf.as_ref().map(|x| x.0.clone()),
                            email: cf.as_ref().map(|x| x.1.clone()),
                            date: cf.map(|x| x.2),
                        },
                    ),
                );
            }
        }
    }
    let mut out: Vec<Placed> = placed.into_values().map(|(_, p)| p).collect();
    out.sort_by(|a, b| (&a.path, &a.found.content_id).cmp(&(&b.path, &b.found.content_id)));
    out
}
