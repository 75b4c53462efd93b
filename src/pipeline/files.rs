//! Files and folders (and the archives in them) through the pipeline: the filesystem
//! source walks on every thread, each thread's blob scanner makes the findings, and the
//! permission audit looks at the key files and `.ssh` folders it passes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use indicatif::ProgressBar;

use super::blob::BlobScanner;
use super::settings::{self, FilterOptions, Settings};
use super::stream::Stream;
use super::{Outcome, PERMISSIONS_CHECK, RuleSelection, Summary};
use crate::enrich::{self, ssh_wire};
use crate::exposure::{self, Kind, terraform::TfFile};
use crate::filter::Silenced;
use crate::finding::{Category, Disclosure, FileFacts, Finding, Origin, Place, display_path};
use crate::report::{Format, OutputConfig, human};
use crate::scan::{ScanOptions, Scanner};
use crate::source::archive;
use crate::source::fs::{self, FileMeta, FsOptions};
use crate::source::{At, Event, SkipReason};

#[derive(Debug, Clone)]
pub struct ScanConfig {
    pub fs: FsOptions,
    pub rules: RuleSelection,
    pub scan: ScanOptions,
    pub disclosure: Disclosure,
    pub output: OutputConfig,
    /// Apply the permission fixes (`--fix-permissions`).
    pub fix_permissions: bool,
    /// Open archives and scan what they hold (`--archives`; always on in `sweep`).
    pub archives: Option<archive::Limits>,
    /// Config file, baseline, minimum severity.
    pub filter: FilterOptions,
}

/// Counters the workers keep, and a progress display may read while they run. Problems
/// are counted by `messages`, from the moment the counters are made.
pub struct Stats {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    pub skipped: AtomicU64,
    /// Of `skipped`, files over the size limit.
    pub too_large: AtomicU64,
    /// Problems reported before this run began (see `messages::problems_since`).
    problems_mark: u64,
    /// Files read inside archives.
    pub archive_entries: AtomicU64,
    pub findings: AtomicU64,
    /// The folder a worker was in lately (set every few hundred files, without waiting).
    pub folder: Mutex<PathBuf>,
}

/// One worker thread's state. Its findings join the shared list when the thread's walk
/// ends (on drop), so the hot path takes no lock.
struct Worker<'a> {
    blobs: BlobScanner<'a>,
    findings: Vec<Finding>,
    public_keys: Vec<(String, Place)>,
    /// Terraform files read, for the end of the walk (`exposure::terraform`).
    terraform: Vec<(TfFile, FileFacts)>,
    /// Which exposure checks run: `ssh-open-to-world`, `sshd-weak-setting`.
    exposure: (bool, bool),
    /// Owners' names by uid, for the findings' file facts.
    owners: HashMap<u32, String>,
    /// Where findings are printed as they are found (`--format jsonl`).
    stream: Option<&'a Stream<'a>>,
    shared: &'a Mutex<Shared>,
    stats: &'a Stats,
    quiet: bool,
    audit: bool,
    fix: bool,
    /// Private keys are reported: Terraform is read for their key pairs.
    wants_links: bool,
    /// `aws-key-risk` runs: an AWS key id in a file that records whose key it is (a
    /// state, a console CSV) waits for the end of the walk too, where the Terraform beside
    /// it may say what that user may do. Elsewhere it is printed as found.
    hold_aws: bool,
    archives: Option<archive::Limits>,
    since_folder: u32,
    /// Prints to stderr without tearing the progress bar.
    progress: &'a ProgressBar,
}

impl Default for Stats {
    fn default() -> Stats {
        Stats {
            files: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            too_large: AtomicU64::new(0),
            problems_mark: crate::messages::problems_mark(),
            archive_entries: AtomicU64::new(0),
            findings: AtomicU64::new(0),
            folder: Mutex::new(PathBuf::new()),
        }
    }
}

impl Worker<'_> {
    /// A note on stderr, printed around the progress bar.
    fn say(&self, what: impl std::fmt::Display) {
        self.progress.suspend(|| crate::messages::note(what));
    }

    /// A problem on stderr (counted), printed around the progress bar.
    fn problem(&self, what: impl std::fmt::Display) {
        self.progress.suspend(|| crate::messages::problem(what));
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Blob {
                at: At::Path(path),
                bytes,
                meta: Some(meta),
            } => self.blob(path, bytes, meta),
            // The walk hands over files, each with its metadata.
            Event::Blob { at, .. } => self.problem(format_args!("{}: not a file", shown(at))),
            Event::Skipped { at, reason } => {
                self.stats.skipped.fetch_add(1, Ordering::Relaxed);
                if matches!(reason, SkipReason::TooLarge { .. }) {
                    self.stats.too_large.fetch_add(1, Ordering::Relaxed);
                }
                if !self.quiet {
                    let why = match reason {
                        SkipReason::TooLarge { len, limit } => format!(
                            "{} is over --max-file-size {}",
                            human::human_bytes(len),
                            human::human_bytes(limit)
                        ),
                        other => other.to_string(),
                    };
                    self.say(format_args!("skipped {}: {why}", shown(at)));
                }
            }
            Event::Dir { path, meta } => {
                if self.audit {
                    self.audit_ssh_dir(path, meta);
                }
            }
            Event::Error { at, message } => match at {
                Some(at) => self.problem(format_args!("{}: {message}", shown(at))),
                None => self.problem(message),
            },
        }
    }

    fn blob(&mut self, path: &Path, bytes: &[u8], meta: FileMeta) {
        self.stats.files.fetch_add(1, Ordering::Relaxed);
        if is_public_key_file(path) {
            for (line, fp) in ssh_wire::public_keys_in(bytes) {
                let place = Place {
                    path: display_path(path),
                    line,
                };
                self.public_keys.push((fp, place));
            }
        }
        if (self.exposure.0 || self.exposure.1 || self.wants_links)
            && let Some(kind) = exposure::kind_of(path, bytes)
        {
            self.exposure(path, bytes, kind, meta);
        }
        self.stats
            .bytes
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        self.since_folder += 1;
        if self.since_folder >= 256 {
            self.since_folder = 0;
            if let (Ok(mut folder), Some(parent)) = (self.stats.folder.try_lock(), path.parent()) {
                parent.clone_into(&mut folder);
            }
        }
        let archive = self.archives.and_then(|limits| {
            let name = path.file_name()?.to_string_lossy();
            archive::kind_of(&name, bytes).map(|kind| (kind, limits))
        });
        let holds_private_key = match archive {
            Some((kind, limits)) => self.archive(path, kind, bytes, &limits, meta),
            None => self.scan_bytes(path, bytes, meta),
        };
        if self.audit && !meta.stream {
            self.audit_file(path, meta, holds_private_key);
        }
    }

    /// The exposure checks of a file `kind_of` chose: Terraform waits for the end of the
    /// walk; the others are findings now. cloud-init's `ssh_authorized_keys` are public
    /// halves that say who trusts a key, like an `authorized_keys` file.
    fn exposure(&mut self, path: &Path, bytes: &[u8], kind: Kind, meta: FileMeta) {
        let (open, weak) = self.exposure;
        let found = match kind {
            Kind::Terraform | Kind::TerraformJson => {
                let facts = self.file_facts(meta);
                self.terraform.push((
                    TfFile::read(path, bytes, kind == Kind::TerraformJson),
                    facts,
                ));
                return;
            }
            Kind::TerraformState | Kind::AwsConsoleCsv => {
                let facts = self.file_facts(meta);
                let csv = kind == Kind::AwsConsoleCsv;
                self.terraform
                    .push((TfFile::issued(path, bytes, csv), facts));
                return;
            }
            Kind::CloudFormation if open => exposure::cloudformation::check(path, bytes),
            Kind::Sshd if weak && exposure::sshd::read_alone(path) => {
                exposure::sshd::check(path, bytes)
            }
            Kind::Ansible if weak => exposure::provisioning::ansible(path, bytes),
            Kind::CloudInit => {
                if !is_public_key_file(path) {
                    for (line, fp) in ssh_wire::public_keys_in(bytes) {
                        let place = Place {
                            path: display_path(path),
                            line,
                        };
                        self.public_keys.push((fp, place));
                    }
                }
                if !weak {
                    return;
                }
                exposure::provisioning::cloud_init(path, bytes)
            }
            _ => return,
        };
        if found.is_empty() {
            return;
        }
        self.stats
            .findings
            .fetch_add(found.len() as u64, Ordering::Relaxed);
        let allow = exposure::allow_lines(bytes);
        let found = found
            .into_iter()
            .map(|e| {
                let here = e.path == path;
                let line = e.line;
                let mut f = exposure_finding(e);
                f.allowed_inline = here && exposure::allowed_at(&allow, line);
                f
            })
            .collect();
        self.record(found, meta);
    }

    fn file_facts(&mut self, meta: FileMeta) -> FileFacts {
        let owner = self
            .owners
            .entry(meta.uid)
            .or_insert_with(|| fs::user_name(meta.uid))
            .clone();
        FileFacts {
            mode: format!("{:04o}", meta.mode),
            owner,
            uid: meta.uid,
        }
    }

    /// Scans `bytes` found at `path`; says whether they hold a private key.
    fn scan_bytes(&mut self, path: &Path, bytes: &[u8], meta: FileMeta) -> bool {
        let found = self.blobs.findings(path, bytes);
        if found.is_empty() {
            return false;
        }
        // A key under a `keysweep:allow` comment has been accepted: it does not make the
        // file key material for the permission audit.
        let holds_private_key = found
            .iter()
            .any(|f| !f.example && !f.allowed_inline && f.category == Category::PrivateKey);
        self.stats
            .findings
            .fetch_add(found.len() as u64, Ordering::Relaxed);
        self.record(found, meta);
        holds_private_key
    }

    /// Keeps `found` (made from a file with `meta`) for the report, printing it now when
    /// findings are streamed. A private key waits for the end of the walk, where the public
    /// halves that say who trusts it (`authorized_in`) are known.
    fn record(&mut self, found: Vec<Finding>, meta: FileMeta) {
        let facts = self.file_facts(meta);
        let mut found = found;
        for f in &mut found {
            f.origin = Some(Origin::File(facts.clone()));
        }
        match self.stream {
            Some(stream) => {
                let (keys, now): (Vec<Finding>, Vec<Finding>) = found.into_iter().partition(|f| {
                    f.category == Category::PrivateKey
                        || (self.hold_aws
                            && f.category == Category::AwsAccessKey
                            && exposure::iam::records_keys(&f.path))
                });
                self.findings.extend(stream.emit(now));
                self.findings.extend(keys);
            }
            None => self.findings.extend(found),
        }
    }

    /// Scans what an archive holds, each file as `archive!inner/path`; says whether any
    /// of it is a private key (the archive file is then key material).
    fn archive(
        &mut self,
        path: &Path,
        kind: archive::Kind,
        bytes: &[u8],
        limits: &archive::Limits,
        meta: FileMeta,
    ) -> bool {
        let mut holds_key = false;
        let name = display_path(path);
        archive::visit(&name, kind, bytes, limits, &mut |event| match event {
            // An entry is scanned under its full name, with the archive file's metadata.
            Event::Blob { at, bytes, .. } => {
                self.stats.archive_entries.fetch_add(1, Ordering::Relaxed);
                self.stats
                    .bytes
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                let name = shown(at);
                holds_key |= self.scan_bytes(Path::new(&name), bytes, meta);
            }
            other => self.event(other),
        });
        holds_key
    }

    /// The permission audit of one scanned file: key material that others can read or
    /// write is a finding, fixed on the spot with `--fix-permissions`.
    #[cfg(unix)]
    fn audit_file(&mut self, path: &Path, meta: FileMeta, holds_key: bool) {
        use crate::audit::permissions;
        let Some(kind) = permissions::key_material(path, holds_key) else {
            return;
        };
        let Some(problem) = permissions::check_file(meta.mode, kind) else {
            return;
        };
        self.permission_finding(path, problem, meta);
    }

    #[cfg(unix)]
    fn audit_ssh_dir(&mut self, path: &Path, meta: FileMeta) {
        use crate::audit::permissions;
        if let Some(problem) = permissions::check_ssh_dir(meta.mode) {
            self.permission_finding(path, problem, meta);
        }
    }

    #[cfg(unix)]
    fn permission_finding(
        &mut self,
        path: &Path,
        problem: crate::audit::permissions::Problem,
        meta: FileMeta,
    ) {
        let shown = display_path(path);
        let fix = problem.fix_command(path);
        let mut f = Finding::permissions(path, problem.what.clone(), problem.severity, fix.clone());
        if self.fix {
            match crate::audit::permissions::apply(path, &problem) {
                Ok(()) => {
                    f.fixed = true;
                    self.say(format_args!(
                        "fixed: {fix} (was {:04o})",
                        meta.mode & 0o7777
                    ));
                }
                Err(e) => {
                    self.problem(format_args!("{shown}: could not fix permissions: {e}"));
                }
            }
        }
        self.record(vec![f], meta);
    }

    #[cfg(not(unix))]
    fn audit_file(&mut self, _: &Path, _: FileMeta, _: bool) {}

    #[cfg(not(unix))]
    fn audit_ssh_dir(&mut self, _: &Path, _: FileMeta) {}
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        shared.findings.append(&mut self.findings);
        shared.public_keys.append(&mut self.public_keys);
        shared.terraform.append(&mut self.terraform);
    }
}

#[derive(Default)]
struct Shared {
    findings: Vec<Finding>,
    /// Fingerprints of the public keys in `authorized_keys` and `.pub` files.
    public_keys: Vec<(String, Place)>,
    terraform: Vec<(TfFile, FileFacts)>,
}

/// An exposure as a finding.
fn exposure_finding(e: exposure::Exposure) -> Finding {
    exposure::finding(e)
}

/// The end of the walk for the Terraform read: the open rules as findings (when the check
/// is selected), and each private key whose public half is an `aws_key_pair` told what it
/// opens; a key that opens SSH to the world is critical. An AWS key that Terraform made
/// for an administrator is told so (`aws-key-risk`, when `risk`).
fn terraform(findings: &mut Vec<Finding>, files: Vec<(TfFile, FileFacts)>, open: bool, risk: bool) {
    if files.is_empty() {
        return;
    }
    let (files, facts): (Vec<TfFile>, Vec<FileFacts>) = files.into_iter().unzip();
    let analysis = exposure::terraform::analyse(&files);
    if open || risk {
        let index: HashMap<&Path, usize> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.path.as_path(), i))
            .collect();
        for e in analysis.exposures {
            let wanted = if e.check == exposure::AWS_KEY_RISK_CHECK {
                risk
            } else {
                open
            };
            if !wanted {
                continue;
            }
            let at = index.get(e.path.as_path()).copied();
            let allowed = at.is_some_and(|i| exposure::allowed_at(&files[i].allow_lines, e.line));
            let mut f = exposure_finding(e);
            f.origin = at.map(|i| Origin::File(facts[i].clone()));
            f.allowed_inline = allowed;
            findings.push(f);
        }
    }
    if risk {
        exposure::iam::apply(findings, &analysis.aws_links);
    }
    for f in findings.iter_mut() {
        let Some(key) = &mut f.key else { continue };
        let Some(fp) = key.sha256.clone() else {
            continue;
        };
        for link in analysis.links.iter().filter(|l| l.fingerprint == fp) {
            if !key.authorized_in.contains(&link.place) {
                key.authorized_in.push(link.place.clone());
            }
            for o in &link.opens {
                if !key.opens.contains(o) {
                    key.opens.push(o.clone());
                }
            }
        }
        if !key.opens.is_empty() {
            f.severity = crate::finding::Severity::Critical;
        }
    }
}

/// A place as notes and findings name it: a path as reports show it, an archive entry by
/// its full name.
fn shown(at: At<'_>) -> String {
    match at {
        At::Path(p) => display_path(p),
        other => other.to_string(),
    }
}

/// Files whose public keys say who trusts a key.
fn is_public_key_file(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy());
    name.is_some_and(|n| n.starts_with("authorized_keys") || n.ends_with(".pub"))
}

/// Scans what `cfg` names: each root (a repository or folder named) with its own config
/// and baseline, so a key one repository accepted is still reported in another.
pub fn scan(cfg: &ScanConfig) -> anyhow::Result<Outcome> {
    super::per_root(&cfg.fs.paths, |root, paths| {
        let settings = cfg.filter.resolve(root, &cfg.rules)?;
        let mut one = cfg.clone();
        one.fs.paths = paths;
        collect(&one, &settings)
    })
}

impl ScanConfig {
    /// Where the config and baseline are discovered: the root of the first path.
    pub fn root(&self) -> PathBuf {
        settings::root_of(
            self.fs
                .paths
                .first()
                .map_or(Path::new("."), |p| p.as_path()),
        )
    }
}

/// Scans, and filters what was found by `settings`.
pub fn collect(cfg: &ScanConfig, settings: &Settings) -> anyhow::Result<Outcome> {
    let start = Instant::now();
    let scanner = settings.rules.scanner(cfg.scan)?;
    let stats = Stats::default();
    let stream = (cfg.output.format == Format::Jsonl).then(|| Stream::new(&settings.filter));
    let (findings, _) =
        walk_showing_progress(cfg, settings, &scanner, &stats, stream.as_ref(), None)?;
    let mut silenced = Silenced::default();
    let findings = settings.filter.apply(findings, &mut silenced);
    if let Some(stream) = stream {
        silenced.add(&stream.finish()?);
    }
    let mut summary = summarise(&findings, &stats, start);
    summary.silenced = silenced;
    Ok(Outcome {
        findings,
        summary,
        rules: scanner.rules().cloned().collect(),
    })
}

/// [`walk_and_scan`] with a progress line on a terminal (files, bytes, findings and the
/// current folder, shown relative to `home` when given), hidden when stderr is not a
/// terminal or the run is quiet.
pub fn walk_showing_progress(
    cfg: &ScanConfig,
    settings: &Settings,
    scanner: &Scanner,
    stats: &Stats,
    stream: Option<&Stream<'_>>,
    home: Option<&Path>,
) -> anyhow::Result<(Vec<Finding>, fs::Walked)> {
    let progress = super::progress::bar(
        cfg.output.quiet,
        None,
        "{spinner} {elapsed_precise} {wide_msg}",
    );
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        if !progress.is_hidden() {
            s.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    progress.set_message(progress_message(stats, home));
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            });
        }
        let r = walk_and_scan(cfg, settings, scanner, stats, &progress, stream);
        done.store(true, Ordering::Relaxed);
        progress.finish_and_clear();
        r
    })
}

fn progress_message(stats: &Stats, home: Option<&Path>) -> String {
    let folder = stats
        .folder
        .try_lock()
        .map(|f| match home.and_then(|h| f.strip_prefix(h).ok()) {
            Some(rel) => format!("~/{}", display_path(rel)),
            None => display_path(&f),
        })
        .unwrap_or_default();
    format!(
        "{} files · {} · {} findings · {}",
        stats.files.load(Ordering::Relaxed) + stats.archive_entries.load(Ordering::Relaxed),
        human::human_bytes(stats.bytes.load(Ordering::Relaxed)),
        stats.findings.load(Ordering::Relaxed),
        crate::report::printable(&folder),
    )
}

/// Walks and scans everything `cfg` names on every thread: findings in report order, with
/// their file facts and linked public keys, and what else the walk found.
pub fn walk_and_scan(
    cfg: &ScanConfig,
    settings: &Settings,
    scanner: &Scanner,
    stats: &Stats,
    progress: &ProgressBar,
    stream: Option<&Stream<'_>>,
) -> anyhow::Result<(Vec<Finding>, fs::Walked)> {
    let shared = Mutex::new(Shared::default());
    let mut fs_options = cfg.fs.clone();
    if !settings.excludes.is_empty() {
        // The config's excludes are relative to the config file.
        let root = settings
            .config_path
            .as_deref()
            .and_then(Path::parent)
            .map_or_else(|| cfg.root(), Path::to_path_buf);
        fs_options.rooted_excludes = Some((root, settings.excludes.clone()));
    }
    let audit = cfg!(unix) && settings.rules.allows(PERMISSIONS_CHECK);
    let open = settings.rules.allows(exposure::SSH_OPEN_CHECK);
    let weak = settings.rules.allows(exposure::SSHD_WEAK_CHECK);
    let risk = settings.rules.allows(exposure::AWS_KEY_RISK_CHECK);
    let wants_links = risk || scanner.rules().any(|r| r.category == Category::PrivateKey);
    let walked = fs::walk(&fs_options, || {
        let mut worker = Worker {
            blobs: BlobScanner::new(scanner, cfg.disclosure),
            findings: Vec::new(),
            public_keys: Vec::new(),
            terraform: Vec::new(),
            exposure: (open, weak),
            wants_links,
            hold_aws: risk,
            owners: HashMap::new(),
            stream,
            shared: &shared,
            stats,
            quiet: cfg.output.quiet,
            audit,
            fix: cfg.fix_permissions,
            archives: cfg.archives,
            since_folder: 0,
            progress,
        };
        move |event| worker.event(event)
    })?;
    let Shared {
        mut findings,
        public_keys,
        terraform: tf,
    } = shared.into_inner().unwrap_or_else(|e| e.into_inner());
    enrich::link_keys(&mut findings, public_keys);
    terraform(&mut findings, tf, open, risk);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok((findings, walked))
}

/// The run's totals (what the filters silenced is the caller's to add).
pub fn summarise(findings: &[Finding], stats: &Stats, start: Instant) -> Summary {
    let mut summary = Summary {
        files: stats.files.load(Ordering::Relaxed),
        archive_entries: stats.archive_entries.load(Ordering::Relaxed),
        bytes: stats.bytes.load(Ordering::Relaxed),
        skipped: stats.skipped.load(Ordering::Relaxed),
        skipped_too_large: stats.too_large.load(Ordering::Relaxed),
        errors: crate::messages::problems_since(stats.problems_mark),
        interrupted: crate::interrupt::requested(),
        ..Summary::default()
    };
    summary.finish(findings, start.elapsed());
    summary
}
