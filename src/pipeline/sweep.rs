//! A workstation's home through the pipeline: every file of it, with archives opened and
//! the history of every git repository under it scanned; then the workstation's severity
//! model (keys at rest, copies, AWS ids paired with secrets in other files), findings
//! ordered by danger and by the places keys pile up, and the digest.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::files::{self, ScanConfig, Stats};
use super::history::{self, BlobScan};
use super::{AwsCounts, Outcome, PlaceCount, Summary, SweepDigest};
use crate::filter::Silenced;
use crate::finding::AwsKind as Kind;
use crate::finding::{Category, Finding, display_path};
use crate::source::git::{self, Selection};

/// What `sweep` leaves out unless `--no-default-excludes`: caches, toolchains and package
/// stores, which hold no secrets of the user's and most of a home's files. Gitignore
/// syntax, relative to the home (a leading `/` anchors there; without it, anywhere).
/// README.md and `keysweep sweep --help` list them; a test checks they agree.
pub const DEFAULT_EXCLUDES: &[&str] = &[
    "/.cache/",
    "/.rustup/",
    "/.cargo/registry/",
    "/.cargo/git/",
    "/.npm/",
    "/.pnpm-store/",
    "/.local/share/pnpm/",
    "/.yarn/cache/",
    "/.m2/repository/",
    "/.gradle/caches/",
    "/.gradle/wrapper/",
    "/go/pkg/mod/",
    "/.pyenv/versions/",
    "/.nvm/versions/",
    "/.sdkman/candidates/",
    "/.conda/pkgs/",
    "/.local/lib/",
    "/.local/share/containers/",
    "/.local/share/flatpak/",
    "/.local/share/Steam/",
    "/.vscode/extensions/",
    "/.vscode-server/",
    "/.kube/cache/",
    "/.julia/packages/",
    "/.nuget/packages/",
    "/.android/avd/",
    "/.debug/",
    "/Library/Caches/",
    "node_modules/",
    "__pycache__/",
    ".venv/",
    ".tox/",
];

#[derive(Debug, Clone)]
pub struct SweepConfig {
    pub home: PathBuf,
    /// The file scan of the home: archives on, excludes anchored at the home, and the
    /// repositories found listed (`scan.fs.find_repos`) unless `--no-history`: their
    /// histories are scanned too, with the same size limit and threads.
    pub scan: ScanConfig,
}

/// Sweeps the home: its files, the histories of the repositories in it, then the severity
/// model of keys at rest and the digest.
pub fn sweep(cfg: &SweepConfig) -> anyhow::Result<Outcome> {
    let start = Instant::now();
    let md = std::fs::metadata(&cfg.home)
        .map_err(|e| anyhow::anyhow!("cannot sweep {}: {e}", cfg.home.display()))?;
    if !md.is_dir() {
        anyhow::bail!("cannot sweep {}: not a directory", cfg.home.display());
    }
    // A `.keysweep.toml` and `.keysweep-baseline.json` in the home (or named) apply.
    let settings = cfg.scan.filter.resolve(&cfg.scan.root(), &cfg.scan.rules)?;
    let scanner = settings.rules.scanner(cfg.scan.scan)?;
    let stats = Stats::default();
    // Not streamed: a sweep's report is ordered by the places keys pile up, and says
    // which copies in a repository's history the work tree already shows.
    let walked = files::walk_showing_progress(
        &cfg.scan,
        &settings,
        &scanner,
        &stats,
        None,
        Some(&cfg.home),
    );
    let (mut findings, walked) = walked?;
    // The work trees of the repositories found that the walk of the home did not cover:
    // linked worktrees (or a worktree's main checkout) elsewhere share the history found
    // here, but their files are their own.
    let elsewhere = checkouts_outside(&walked.repos, &cfg.home);
    if !elsewhere.is_empty() {
        let mut more = cfg.scan.clone();
        more.fs.paths = elsewhere;
        more.fs.find_repos = false;
        let (mut found, _) =
            files::walk_showing_progress(&more, &settings, &scanner, &stats, None, None)?;
        findings.append(&mut found);
    }

    let mut history_summary = Summary::default();
    // Empty unless the walk was asked to find repositories.
    if !walked.repos.is_empty() {
        git::configure();
    }
    let repos = distinct_repos(walked.repos);
    if !repos.is_empty() {
        let ctx = BlobScan {
            scanner: &scanner,
            threads: cfg.scan.fs.threads,
            max_blob_size: cfg.scan.fs.max_file_size,
            disclosure: cfg.scan.disclosure,
            quiet: cfg.scan.output.quiet,
        };
        let whole = Selection::All { all_objects: false };
        let mut from_history = Vec::new();
        for repo in &repos {
            if crate::interrupt::requested() {
                break;
            }
            match history::scan_repo(&ctx, &whole, repo, &mut history_summary) {
                Ok(found) => {
                    from_history.extend(found.into_iter().map(|f| {
                        let at = display_path(&repo.join(&f.path));
                        (at, f)
                    }));
                }
                Err(e) => crate::messages::problem_error(format_args!("{e:#}")),
            }
        }
        // A secret still in a work tree is reported there, with its file's mode; history
        // adds only what the work tree no longer shows.
        let on_disk: HashSet<(&str, &str)> = findings
            .iter()
            .map(|f| (f.id.as_str(), f.path.as_str()))
            .collect();
        let new: Vec<Finding> = from_history
            .into_iter()
            .filter(|(at, f)| !on_disk.contains(&(f.id.as_str(), at.as_str())))
            .map(|(_, f)| f)
            .collect();
        findings.extend(new);
    }

    at_rest(&cfg.home, &mut findings);
    pair_across_files(&cfg.home, &mut findings);
    let mut silenced = Silenced::default();
    let mut findings = settings.filter.apply(findings, &mut silenced);
    let home = display_path(&cfg.home);
    // Most dangerous first: each file (or repository path) by its most severe finding,
    // its findings kept together; ties in the order of the places keys pile up.
    let mut worst: HashMap<(Option<String>, String), crate::rules::Severity> = HashMap::new();
    for f in &findings {
        let key = (f.git().map(|g| g.repository.clone()), f.path.clone());
        let w = worst.entry(key).or_insert(f.severity);
        *w = (*w).max(f.severity);
    }
    let danger = |f: &Finding| {
        let key = (f.git().map(|g| g.repository.clone()), f.path.clone());
        std::cmp::Reverse(worst.get(&key).copied().unwrap_or(f.severity))
    };
    findings.sort_by(|a, b| {
        let ka = (danger(a), place(&home, a).0, a.git().map(|g| &g.repository));
        let kb = (danger(b), place(&home, b).0, b.git().map(|g| &g.repository));
        (ka, a.sort_key()).cmp(&(kb, b.sort_key()))
    });
    let mut summary = files::summarise(&findings, &stats, start);
    summary.blobs = history_summary.blobs;
    summary.bytes += history_summary.bytes;
    summary.skipped += history_summary.skipped;
    summary.skipped_too_large += history_summary.skipped_too_large;
    summary.shallow = history_summary.shallow;
    summary.silenced = silenced;
    summary.sweep = Some(digest_of(&home, &findings, repos.len()));

    Ok(Outcome {
        findings,
        summary,
        rules: scanner.rules().cloned().collect(),
    })
}

/// The checkouts of `repos` (their linked worktrees, and the main checkout of a linked
/// worktree) that are not under `home`, and so were not walked with it.
fn checkouts_outside(repos: &[PathBuf], home: &Path) -> Vec<PathBuf> {
    let home = std::fs::canonicalize(home).unwrap_or_else(|_| home.to_path_buf());
    let mut out = Vec::new();
    for path in repos {
        let Ok(repo) = git2::Repository::open(path) else {
            continue;
        };
        let mut checkouts = Vec::new();
        if repo.is_worktree() {
            // The main checkout's `.git` is the common directory.
            if let Some(main) = repo.commondir().parent()
                && repo.commondir().file_name().is_some_and(|n| n == ".git")
            {
                checkouts.push(main.to_path_buf());
            }
        }
        for name in repo
            .worktrees()
            .iter()
            .flat_map(|w| w.iter().flatten().flatten())
        {
            if let Ok(wt) = repo.find_worktree(name) {
                checkouts.push(wt.path().to_path_buf());
            }
        }
        for c in checkouts {
            let Ok(c) = std::fs::canonicalize(&c) else {
                continue;
            };
            if !c.starts_with(&home) && c.is_dir() && !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out.sort();
    out
}

/// One entry per repository: a worktree and its main checkout share one history.
fn distinct_repos(found: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for path in found {
        let key = match git2::Repository::open(&path) {
            Ok(r) => std::fs::canonicalize(r.commondir()).unwrap_or_else(|_| path.clone()),
            // Reported when its history is scanned.
            Err(_) => path.clone(),
        };
        if seen.insert(key) {
            out.push(path);
        }
    }
    out
}

/// Where a finding is, as the report orders it: the places keys pile up first.
fn place<'a>(home: &str, f: &'a Finding) -> (u8, &'a str) {
    if f.git().is_some() {
        return (12, "git history");
    }
    let rel = f
        .path
        .strip_prefix(home)
        .map(|r| r.trim_start_matches('/'))
        .unwrap_or(&f.path);
    let top = rel.split('/').next().unwrap_or("");
    let on_disk = rel.split('!').next().unwrap_or(rel);
    let name = on_disk.rsplit('/').next().unwrap_or(on_disk);
    match top {
        "Downloads" => (0, "Downloads"),
        "Desktop" => (1, "Desktop"),
        "Documents" => (2, "Documents"),
        ".ssh" => (3, "~/.ssh"),
        ".aws" => (4, "~/.aws"),
        ".config" => (5, "~/.config"),
        ".kube" => (6, "~/.kube"),
        ".docker" => (7, "~/.docker"),
        _ if rel.starts_with(".local/share/Trash/") || top == ".Trash" => (10, "trash"),
        _ if name.ends_with("_history") || name == ".history" => (8, "shell history"),
        _ if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") => {
            (9, ".env files")
        }
        _ => (11, "elsewhere"),
    }
}

/// The workstation's severity model. A private key *at rest* — in `~/.ssh` or a path
/// `~/.ssh/config` names as an `IdentityFile`, mode 0600 or 0400, owned by the home's
/// owner — is where it belongs: inventory (low, with what makes it weaker), not a leak. A
/// copy of it anywhere else says so. Loose permissions on key material in `~/.ssh` are
/// critical: OpenSSH itself refuses such a key.
fn at_rest(home: &Path, findings: &mut [Finding]) {
    use std::os::unix::fs::MetadataExt;
    let Ok(home_md) = std::fs::metadata(home) else {
        return;
    };
    let ssh = home.join(".ssh");
    let identities = identity_files(home);
    let shown = |p: &Path| match p.strip_prefix(home) {
        Ok(rel) => format!("~/{}", display_path(rel)),
        Err(_) => display_path(p),
    };
    let mut resting: HashMap<String, String> = HashMap::new();
    for f in findings.iter_mut() {
        let path = Path::new(&f.path);
        let in_ssh = path.starts_with(&ssh);
        if f.category == Category::InsecurePermissions && in_ssh && path != ssh {
            f.severity = crate::rules::Severity::Critical;
            continue;
        }
        if f.category != Category::PrivateKey || f.git().is_some() || f.path.contains('!') {
            continue;
        }
        let Some(file) = f.file() else { continue };
        let mode = u32::from_str_radix(&file.mode, 8).unwrap_or(0o777);
        let hosts: Vec<String> = identities
            .iter()
            .filter(|(p, _)| p == path)
            .flat_map(|(_, h)| h.iter().cloned())
            .collect();
        let placed = in_ssh || !hosts.is_empty();
        if !placed || mode & 0o077 != 0 || file.uid != home_md.uid() {
            continue;
        }
        let mut weaknesses = Vec::new();
        // One key for many servers (pitfall 2): nobody can tell who logged in where, and
        // replacing it means every one of them.
        if hosts.len() > 1 {
            weaknesses.push(format!(
                "one key for {} hosts ({})",
                hosts.len(),
                hosts.join(", ")
            ));
        }
        if let Some(k) = &f.key {
            if !k.encrypted {
                weaknesses.push("no passphrase".to_string());
            }
            match (k.algorithm.as_deref(), k.bits) {
                (Some("dsa"), _) => weaknesses.push("DSA (OpenSSH refuses it since 7.0)".into()),
                (Some("rsa"), Some(bits)) if bits < 2048 => {
                    weaknesses.push(format!("RSA {bits} bits (under 2048)"))
                }
                _ => {}
            }
            if let Some(fp) = &k.sha256 {
                resting.entry(fp.clone()).or_insert_with(|| shown(path));
            }
        }
        let age_days = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .map(|d| d.as_secs() / 86_400);
        f.severity = crate::rules::Severity::Low;
        f.at_rest = Some(crate::finding::AtRest {
            weaknesses,
            age_days,
        });
    }
    for f in findings.iter_mut() {
        if f.category == Category::PrivateKey
            && f.at_rest.is_none()
            && let Some(place) = f
                .key
                .as_ref()
                .and_then(|k| resting.get(k.sha256.as_deref()?))
        {
            f.copy_of = Some(place.clone());
        }
    }
}

/// AWS key ids found without their secret, and secrets found without their id, in
/// different files of the home: paired where that is unambiguous, within the shell
/// histories (an id exported in `.bash_history`, its secret in `.zsh_history`) or within
/// one folder. A long-term key in `~/.aws/credentials` gets its file's age.
fn pair_across_files(home: &Path, findings: &mut Vec<Finding>) {
    let shown = |p: &str| match Path::new(p).strip_prefix(home) {
        Ok(rel) => format!("~/{}", display_path(rel)),
        Err(_) => p.to_string(),
    };
    let group = |f: &Finding| -> Option<String> {
        if f.git().is_some() || f.path.contains('!') {
            return None;
        }
        let p = Path::new(&f.path);
        let name = p.file_name()?.to_string_lossy();
        if name.ends_with("_history") || name == ".history" {
            return Some("shell history".into());
        }
        Some(p.parent()?.display().to_string())
    };
    let credentials = home.join(".aws/credentials");
    let mut ids: HashMap<String, Vec<usize>> = HashMap::new();
    let mut secrets: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter_mut().enumerate() {
        if let Some(a) = f.aws.as_mut()
            && a.kind == Some(Kind::LongTerm)
            && Path::new(&f.path) == credentials
        {
            a.age_days = std::fs::metadata(&credentials)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .map(|d| d.as_secs() / 86_400);
        }
        let Some(g) = group(f) else { continue };
        let lone_id = f.category == Category::AwsAccessKey
            && f.aws
                .as_ref()
                .is_some_and(|a| !a.paired_secret && a.access_key_id.is_some());
        if lone_id {
            ids.entry(g).or_default().push(i);
        } else if f.category == Category::AwsSecretKey {
            secrets.entry(g).or_default().push(i);
        }
    }
    let mut paired = vec![false; findings.len()];
    for (g, s) in &secrets {
        let (&[secret], Some(&[id])) = (&s[..], ids.get(g).map(Vec::as_slice)) else {
            continue;
        };
        if findings[secret].path == findings[id].path {
            continue;
        }
        let s = findings[secret].clone();
        let f = &mut findings[id];
        let Some(a) = f.aws.as_mut() else { continue };
        a.paired_secret = true;
        a.secret = Some(crate::finding::Paired {
            line: s.line,
            column: s.column,
            secret: s.secret.clone(),
            path: Some(shown(&s.path)),
        });
        f.severity = crate::enrich::aws::severity(a);
        f.name = "AWS access key (key id and its secret)".into();
        f.parts.push(s.id.clone());
        paired[secret] = true;
    }
    let mut i = 0;
    findings.retain(|_| {
        i += 1;
        !paired[i - 1]
    });
}

/// The `IdentityFile` paths of `~/.ssh/config` (absolute, or `~/`-relative), each with
/// the `Host` patterns whose blocks name it.
fn identity_files(home: &Path) -> Vec<(PathBuf, Vec<String>)> {
    let Ok(text) = std::fs::read_to_string(home.join(".ssh/config")) else {
        return Vec::new();
    };
    let mut out: Vec<(PathBuf, Vec<String>)> = Vec::new();
    let mut hosts: Vec<String> = vec!["*".into()];
    for line in text.lines() {
        let line = line.trim();
        let Some((key, value)) = line.split_once(|c: char| c.is_whitespace() || c == '=') else {
            continue;
        };
        let value = value.trim_start_matches(|c: char| c.is_whitespace() || c == '=');
        let value = value.trim();
        if key.eq_ignore_ascii_case("host") {
            hosts = value.split_whitespace().map(str::to_string).collect();
            continue;
        }
        if key.eq_ignore_ascii_case("match") {
            hosts = vec![format!("match {value}")];
            continue;
        }
        if !key.eq_ignore_ascii_case("identityfile") {
            continue;
        }
        let value = value.trim_matches('"');
        let path = match value.strip_prefix("~/") {
            Some(rest) => home.join(rest),
            None if value.starts_with('/') => PathBuf::from(value),
            None => continue,
        };
        match out.iter_mut().find(|(p, _)| *p == path) {
            Some((_, h)) => h.extend(hosts.iter().cloned()),
            None => out.push((path, hosts.clone())),
        }
    }
    out
}

fn digest_of(home: &str, findings: &[Finding], repositories: usize) -> SweepDigest {
    let mut d = SweepDigest {
        home: home.to_string(),
        repositories,
        aws_keys: AwsCounts::default(),
        ..SweepDigest::default()
    };
    let mut distinct = HashSet::new();
    // AWS keys are counted once per key id (a key in three files is one key), by kind;
    // secrets found without their id once each.
    let mut aws: [HashSet<&str>; 4] = Default::default();
    let mut places: Vec<(u8, PlaceCount)> = Vec::new();
    for f in findings {
        match f.category {
            Category::PrivateKey if !f.example => {
                d.private_keys += 1;
                distinct.insert(f.id.as_str());
                let others_read = f
                    .file()
                    .and_then(|file| u32::from_str_radix(&file.mode, 8).ok())
                    .is_some_and(|m| m & 0o044 != 0);
                d.readable_by_others += usize::from(others_read);
                d.unencrypted += usize::from(f.key.as_ref().is_some_and(|k| !k.encrypted));
            }
            // A secret (and a session token) found beside its id is part of the id's
            // finding, whose category says `aws-session-token` when it has a token.
            Category::AwsAccessKey | Category::AwsSessionToken
                if let Some(id) = f.aws.as_ref().and_then(|a| a.access_key_id.as_deref()) =>
            {
                let kind = match f.aws.as_ref().and_then(|a| a.kind) {
                    Some(Kind::LongTerm) => 0,
                    Some(Kind::Temporary) => 1,
                    _ => 2,
                };
                aws[kind].insert(id);
            }
            Category::AwsSecretKey => {
                aws[3].insert(f.id.as_str());
            }
            _ => {}
        }
        if let Some(fix) = &f.fix
            && !f.fixed
        {
            d.fix_commands.push(fix.clone());
        }
        let (rank, label) = place(home, f);
        match places.iter_mut().find(|(_, p)| p.place == label) {
            Some((_, p)) => p.findings += 1,
            None => places.push((
                rank,
                PlaceCount {
                    place: label.to_string(),
                    findings: 1,
                },
            )),
        }
    }
    // The places in the order keys pile up in, whatever order the findings are in.
    places.sort_by_key(|(rank, _)| *rank);
    d.places = places.into_iter().map(|(_, p)| p).collect();
    d.distinct_private_keys = distinct.len();
    d.aws_keys = AwsCounts {
        long_term: aws[0].len(),
        temporary: aws[1].len(),
        other: aws[2].len(),
        secret_only: aws[3].len(),
    };
    d
}
