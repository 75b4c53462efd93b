//! `keysweep org`: scan an organisation's repositories into the store, list what it holds,
//! triage it, and write the organisation's page.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Context as _;

use crate::exit::ExitCode;
use crate::finding::Finding;
use crate::org::{self, repo::Status, view};
use crate::pipeline::Summary;
use crate::report::{self, Format, OutputConfig, human};
use crate::source::forge::{ForgeOptions, ForgeQuery};
use crate::store::{Query, STATUSES, Store};

#[derive(Debug)]
pub enum OrgConfig {
    Scan {
        scan: org::ScanConfig,
        output: OutputConfig,
        /// `--show-secrets` was given: the store and this report stay redacted.
        show_secrets: bool,
        /// Problems met while listing the sources (unreadable folders).
        problems: Vec<String>,
        /// Forges whose repositories are listed through their API when the run starts.
        forges: Vec<(ForgeQuery, ForgeOptions)>,
    },
    Findings {
        store: PathBuf,
        status: Option<String>,
        repo: Option<String>,
        since: Option<String>,
        output: OutputConfig,
    },
    Triage {
        store: PathBuf,
        id: String,
        repo: Option<String>,
        status: String,
        note: Option<String>,
    },
    Report {
        store: PathBuf,
        output: Option<PathBuf>,
    },
    /// `org enqueue`: the repositories to queue in `scan.store`.
    Enqueue {
        scan: org::ScanConfig,
        problems: Vec<String>,
        forges: Vec<(ForgeQuery, ForgeOptions)>,
    },
    /// `org merge`: shards' SQLite stores into `store`.
    Merge {
        store: PathBuf,
        shards: Vec<PathBuf>,
        quiet: bool,
    },
}

impl OrgConfig {
    /// Where the command's report goes, if to a file.
    pub fn output_file(&self) -> Option<&std::path::Path> {
        match self {
            OrgConfig::Scan { output, .. } | OrgConfig::Findings { output, .. } => {
                output.file.as_deref()
            }
            OrgConfig::Report { output, .. } => output.as_deref(),
            OrgConfig::Triage { .. } | OrgConfig::Enqueue { .. } | OrgConfig::Merge { .. } => None,
        }
    }
}

pub fn run(cfg: &OrgConfig) -> anyhow::Result<ExitCode> {
    match cfg {
        OrgConfig::Scan {
            scan,
            output,
            show_secrets,
            problems,
            forges,
        } => {
            let (scan, problems) = with_forges(scan, problems, forges);
            run_scan(&scan, output, *show_secrets, &problems)
        }
        OrgConfig::Findings {
            store,
            status,
            repo,
            since,
            output,
        } => findings(store, status, repo, since, output),
        OrgConfig::Triage {
            store,
            id,
            repo,
            status,
            note,
        } => triage(store, id, repo.as_deref(), status, note.as_deref()),
        OrgConfig::Report { store, .. } => page(store),
        OrgConfig::Merge {
            store,
            shards,
            quiet,
        } => merge(store, shards, *quiet),
        OrgConfig::Enqueue {
            scan,
            problems,
            forges,
        } => {
            let (scan, problems) = with_forges(scan, problems, forges);
            let scan = &scan;
            for p in &problems {
                crate::messages::problem(format_args!("{p}"));
            }
            let n = org::work::enqueue(scan)?;
            if !scan.quiet {
                crate::say!(
                    "keysweep org: {n} of {} repositories queued (the others are queued or \
                     being scanned already)",
                    scan.repos.len()
                );
            }
            // Fail closed: a source that could not be listed is not "all queued".
            Ok(if problems.is_empty() {
                ExitCode::Clean
            } else {
                ExitCode::Error
            })
        }
    }
}

/// `scan` with the repositories each forge lists added. A forge that cannot be listed is
/// a problem of the run, which goes on with the other sources (and exits 2 unless it
/// finds something new).
fn with_forges(
    scan: &org::ScanConfig,
    problems: &[String],
    forges: &[(ForgeQuery, ForgeOptions)],
) -> (org::ScanConfig, Vec<String>) {
    let mut scan = scan.clone();
    let mut problems = problems.to_vec();
    for (query, options) in forges {
        let mut note = |n: &str| crate::messages::note(format_args!("{query}: {n}"));
        match crate::source::forge::list_repositories(query, options, &mut note) {
            Ok(listed) => {
                if !scan.quiet {
                    crate::messages::note(format_args!("{query}: {} repositories", listed.len()));
                }
                // Cloned and fetched with the token the listing used, where the clone URL
                // is on the forge's own host.
                let mut elsewhere = 0;
                let has_token = options.token_for(query).is_some();
                scan.repos.extend(listed.into_iter().map(|r| {
                    let auth = crate::source::forge::git_auth(query, options, &r.clone_url);
                    if has_token && auth.is_none() {
                        elsewhere += 1;
                    }
                    org::RepoSpec::remote(r.full_name, r.clone_url).with_auth(auth)
                }));
                if elsewhere > 0 && !scan.quiet {
                    crate::messages::note(format_args!(
                        "{query}: {elsewhere} clone URLs are not on the forge's host over \
                         https: they are cloned with git's own credentials, not {}",
                        query.token_var()
                    ));
                }
            }
            Err(e) => problems.push(format!("{query}: {e:#}")),
        }
    }
    (scan, problems)
}

fn write_report(
    output: &OutputConfig,
    findings: &[Finding],
    summary: &Summary,
    rules: &[crate::rules::Rule],
) -> anyhow::Result<()> {
    let color = output.color.enabled_for_stdout();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let written = report::write(&mut out, output.format, findings, summary, rules, color)
        .and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn run_scan(
    cfg: &org::ScanConfig,
    output: &OutputConfig,
    show_secrets: bool,
    problems: &[String],
) -> anyhow::Result<ExitCode> {
    for p in problems {
        crate::messages::problem(format_args!("{p}"));
    }
    if show_secrets && !output.quiet {
        crate::messages::note(
            "org keeps and reports secrets redacted only: --show-secrets does not apply",
        );
    }
    let start = std::time::Instant::now();
    let run = org::scan(cfg)?;
    let mut new: Vec<Finding> = Vec::new();
    let mut open_new = 0;
    let mut summary = Summary {
        history: true,
        ..Summary::default()
    };
    let (mut unchanged, mut scanned, mut failed, mut listed, mut known) = (0, 0, 0, 0u64, 0u64);
    let mut trouble = Vec::new();
    let silenced: u64 = run.reports.iter().map(|r| r.silenced).sum();
    for r in &run.reports {
        summary.blobs += r.read;
        summary.bytes += r.bytes;
        summary.skipped += r.skipped;
        listed += r.listed;
        known += r.known;
        match &r.status {
            Status::Unchanged => unchanged += 1,
            Status::Scanned => scanned += 1,
            Status::Incomplete(e) => {
                scanned += 1;
                failed += 1;
                trouble.push((r, format!("incomplete: {e}")));
            }
            Status::Failed(e) => {
                failed += 1;
                trouble.push((r, e.clone()));
            }
            Status::Interrupted => {}
        }
        for row in &r.new {
            if row.status == "open" {
                open_new += 1;
            }
            new.push(view::to_finding(row));
        }
    }
    fn repo(f: &Finding) -> Option<&str> {
        f.git().map(|g| g.repository.as_str())
    }
    new.sort_by(|a, b| (repo(a), a.sort_key()).cmp(&(repo(b), b.sort_key())));
    summary.interrupted = crate::interrupt::requested();
    summary.errors = (failed + problems.len()) as u64;
    summary.finish(&new, start.elapsed());
    write_report(output, &new, &summary, &run.rules)?;
    if !output.quiet {
        if output.format == Format::Human && !new.is_empty() {
            crate::say!();
        }
        crate::say!(
            "keysweep org: {} repositories ({scanned} scanned, {unchanged} unchanged, {failed} failed); \
             {listed} blobs listed, {} read, {known} known from the ledger ({}); \
             {} new findings ({open_new} open) in {:.2} s{}",
            run.reports.len(),
            summary.blobs,
            human::human_bytes(summary.bytes),
            new.len(),
            start.elapsed().as_secs_f64(),
            if summary.skipped > 0 {
                format!(
                    "; {} blobs over --max-file-size not scanned",
                    summary.skipped
                )
            } else {
                String::new()
            }
        );
        if silenced > 0 {
            crate::say!(
                "keysweep org: {silenced} findings left out by the scanned repositories' own \
                 config or baseline"
            );
        }
        if let Some(c) = &run.cache {
            crate::say!(
                "keysweep org: cache {}: {} in {} clones{}{}",
                run.cache_dir.display(),
                human::human_bytes(c.bytes),
                c.clones,
                cfg.cache_max
                    .map(|m| format!(" (limit {})", human::human_bytes(m)))
                    .unwrap_or_default(),
                if c.evicted > 0 {
                    format!(
                        "; {} least recently scanned evicted ({})",
                        c.evicted,
                        human::human_bytes(c.evicted_bytes)
                    )
                } else {
                    String::new()
                }
            );
        }
    }
    // Failures are said even in a quiet run: they decide the exit code.
    if !trouble.is_empty() {
        crate::say!(
            "keysweep org: {} repositories not fully scanned:",
            trouble.len()
        );
        for (r, e) in &trouble {
            crate::say!("  {}: {}", report::printable(&r.name), report::printable(e));
        }
    }
    if summary.interrupted {
        return Ok(ExitCode::Interrupted);
    }
    Ok(if open_new > 0 {
        ExitCode::Findings
    } else if failed > 0 || !problems.is_empty() || (output.strict && summary.skipped > 0) {
        ExitCode::Error
    } else {
        ExitCode::Clean
    })
}

fn open_existing(store: &std::path::Path) -> anyhow::Result<Box<dyn Store + Send>> {
    crate::store::open(store, false)
}

fn findings(
    store: &std::path::Path,
    status: &Option<String>,
    repo: &Option<String>,
    since: &Option<String>,
    output: &OutputConfig,
) -> anyhow::Result<ExitCode> {
    let mut db = open_existing(store)?;
    let mut rows = db.findings(&Query {
        status: status.clone(),
        since: since.clone(),
        new_in_run: None,
    })?;
    if let Some(g) = repo {
        rows.retain(|r| view::glob(g, &r.repository_name) || view::glob(g, &r.repository));
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let entries = view::group(&rows);
    let written = match output.format {
        Format::Human => view::write_human(&mut out, &entries),
        Format::Json => serde_json::to_writer_pretty(&mut out, &entries)
            .map_err(io::Error::other)
            .and_then(|()| writeln!(out)),
        Format::Jsonl => entries.iter().try_for_each(|e| {
            serde_json::to_writer(&mut out, e).map_err(io::Error::other)?;
            writeln!(out)
        }),
        format => {
            let mut fs: Vec<Finding> = rows.iter().map(view::to_finding).collect();
            fs.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
            let mut summary = Summary {
                history: true,
                ..Summary::default()
            };
            summary.finish(&fs, std::time::Duration::ZERO);
            let rules = crate::rules::RuleSet::load(&[])
                .map(|s| s.rules)
                .unwrap_or_default();
            report::write(&mut out, format, &fs, &summary, &rules, false)
        }
    }
    .and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    if !output.quiet {
        let repos: std::collections::HashSet<&str> =
            rows.iter().map(|r| r.repository.as_str()).collect();
        crate::say!(
            "keysweep org: {} secrets, {} findings in {} repositories",
            entries.len(),
            rows.len(),
            repos.len()
        );
    }
    Ok(if rows.iter().any(|r| r.status == "open") {
        ExitCode::Findings
    } else {
        ExitCode::Clean
    })
}

/// Who triages: `$USER`, else git's `user.name`.
fn who() -> String {
    if let Some(u) = std::env::var("USER").ok().filter(|u| !u.is_empty()) {
        return u;
    }
    std::process::Command::new("git")
        .args(["config", "user.name"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

fn triage(
    store: &std::path::Path,
    id: &str,
    repo: Option<&str>,
    status: &str,
    note: Option<&str>,
) -> anyhow::Result<ExitCode> {
    debug_assert!(STATUSES.contains(&status));
    let mut db = open_existing(store)?;
    let n = db.triage(id, repo, status, note, &who())?;
    if n == 0 {
        anyhow::bail!(
            "no finding with id {id}{} in the store",
            repo.map(|r| format!(" in repository {r}"))
                .unwrap_or_default()
        );
    }
    crate::say!(
        "keysweep org: {id}: {status} at {n} place{}",
        if n == 1 { "" } else { "s" }
    );
    Ok(ExitCode::Clean)
}

fn page(store: &std::path::Path) -> anyhow::Result<ExitCode> {
    let mut db = open_existing(store)?;
    let rows = db.findings(&Query::default())?;
    let repos = db.repositories()?;
    let last = db.last_run()?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    view::write_page(&mut out, &rows, &repos, last)
        .and_then(|()| out.flush())
        .context("writing the page")?;
    Ok(ExitCode::Clean)
}

/// `org merge`: every shard or none (an error, exit 2, leaves the store as it was).
fn merge(store: &std::path::Path, shards: &[PathBuf], quiet: bool) -> anyhow::Result<ExitCode> {
    let m = crate::store::merge(store, shards)
        .with_context(|| format!("nothing merged into {}", crate::store::shown(store)))?;
    if !quiet {
        crate::say!(
            "keysweep org merge: {} stores into {}: {} repositories added, {} updated; {} \
             findings added, {} merged with ones held ({} changed); {} ledger entries added",
            m.shards,
            crate::store::shown(store),
            m.repositories_added,
            m.repositories_updated,
            m.findings_added,
            m.findings_merged,
            m.findings_changed,
            m.ledger_added
        );
    }
    Ok(ExitCode::Clean)
}
