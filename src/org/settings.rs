//! A repository's own settings within an org scan: its `.keysweep.toml` and its baseline,
//! as `keysweep history` reads them for it (from the work tree of a working clone; from
//! HEAD's tree of a bare one, as the clones in the cache are), applied to that
//! repository's findings only. The store and the ledger keep what the blobs hold; what a
//! repository's settings leave out is not placed there, nor reported.

use std::path::{Component, Path, PathBuf};

use anyhow::Context as _;
use git2::Repository;
use sha2::{Digest, Sha256};

use crate::filter::baseline::{self, Baseline};
use crate::filter::config::{self, Config};
use crate::filter::{Filter, Silenced};
use crate::store::Placed;

/// The name under which the settings' digest is kept among a repository's tips: no ref
/// has it (refs are `HEAD` or start with `refs/`), and no commit is its value, so a change
/// of settings makes the repository's scan a whole one, whose blobs the ledger holds.
pub const TIPS_KEY: &str = "(keysweep settings)";

/// What a repository's settings add up to.
#[derive(Debug, Default)]
pub struct RepoSettings {
    filter: Filter,
    /// Rules and checks the config skips (`skip_rules`).
    skip: Vec<String>,
    /// A digest of the config and baseline read; `None` when the repository has neither.
    pub digest: Option<String>,
    /// What was read, for notes: the config's and baseline's paths.
    pub read: Vec<String>,
}

/// Where a repository's settings are read from.
enum Tree<'r> {
    /// A working clone: its work tree.
    Work(PathBuf),
    /// A bare repository: HEAD's tree (none on an unborn branch).
    Head(Option<git2::Tree<'r>>),
}

impl Tree<'_> {
    /// The bytes of the file at `rel` (relative to the repository's root), if it is there.
    fn read(&self, repo: &Repository, rel: &Path) -> anyhow::Result<Option<Vec<u8>>> {
        match self {
            Tree::Work(root) => {
                let p = root.join(rel);
                if !p.is_file() {
                    return Ok(None);
                }
                std::fs::read(&p)
                    .map(Some)
                    .with_context(|| format!("reading {}", p.display()))
            }
            Tree::Head(None) => Ok(None),
            Tree::Head(Some(tree)) => {
                let Ok(entry) = tree.get_path(rel) else {
                    return Ok(None);
                };
                if entry.kind() != Some(git2::ObjectType::Blob) {
                    return Ok(None);
                }
                let blob = repo
                    .find_blob(entry.id())
                    .with_context(|| format!("reading HEAD:{}", rel.display()))?;
                Ok(Some(blob.content().to_vec()))
            }
        }
    }

    fn shown(&self, rel: &Path) -> String {
        match self {
            Tree::Work(root) => root.join(rel).display().to_string(),
            Tree::Head(_) => format!("HEAD:{}", rel.display()),
        }
    }
}

/// A path a repository's config names, made relative to the repository's root: refused
/// when it leaves the repository (absolute, or climbing out with `..`), since an org scan
/// reads nothing of the scanning machine on a repository's word.
fn inside(p: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(x) => out.push(x),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// Reads `repo`'s config and baseline. A config that does not parse, or a baseline it
/// names that is missing or bad, is an error of the repository's scan, as it is of
/// `history`'s.
pub fn load(repo: &Repository) -> anyhow::Result<RepoSettings> {
    let tree = match repo.workdir() {
        Some(w) => Tree::Work(w.to_path_buf()),
        None => Tree::Head(repo.head().and_then(|h| h.peel_to_tree()).ok()),
    };
    let mut out = RepoSettings::default();
    let mut digest = Sha256::new();
    let mut any = false;
    let config_rel = Path::new(config::FILE_NAME);
    let config = match tree.read(repo, config_rel)? {
        Some(bytes) => {
            any = true;
            digest.update(b"config\0");
            digest.update(&bytes);
            let shown = tree.shown(config_rel);
            out.read.push(shown.clone());
            let text = String::from_utf8(bytes)
                .map_err(|_| anyhow::anyhow!("config {shown}: not UTF-8 text"))?;
            // Parsed as if at the repository's root, so the paths it names are relative
            // to it.
            Config::parse(config_rel, &text).with_context(|| format!("config {shown}"))?
        }
        None => Config::default(),
    };
    if !config.signatures.is_empty() {
        crate::messages::note(format_args!(
            "{}: its `signatures` are not loaded in an org scan (the run's rules are the \
             organisation's); its other settings apply",
            tree.shown(config_rel)
        ));
    }
    let (baseline_rel, named) = match &config.baseline {
        Some(p) => (
            inside(p).ok_or_else(|| {
                anyhow::anyhow!(
                    "config {}: baseline {} is outside the repository",
                    tree.shown(config_rel),
                    p.display()
                )
            })?,
            true,
        ),
        None => (PathBuf::from(baseline::FILE_NAME), false),
    };
    let baseline = match tree.read(repo, &baseline_rel)? {
        Some(bytes) => {
            any = true;
            digest.update(b"\0baseline\0");
            digest.update(&bytes);
            let shown = tree.shown(&baseline_rel);
            out.read.push(shown.clone());
            Some(Baseline::parse(Path::new(&shown), &bytes)?)
        }
        None if named => anyhow::bail!(
            "baseline {} (named in {}) does not exist",
            tree.shown(&baseline_rel),
            tree.shown(config_rel)
        ),
        None => None,
    };
    if let Some(b) = &baseline {
        out.filter.baseline = b
            .accepted()
            .with_context(|| format!("baseline {}: a bad scope glob", tree.shown(&baseline_rel)))?;
    }
    out.filter.min_severity = config.min_severity;
    out.filter
        .exclude_paths(&config.exclude)
        .with_context(|| format!("config {}", tree.shown(config_rel)))?;
    out.skip = config.skip_rules;
    out.digest = any.then(|| {
        digest.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    });
    Ok(out)
}

impl RepoSettings {
    /// Leaves out of `placed` what the repository's settings silence (its baseline, its
    /// skipped rules, its excluded paths, its minimum severity); returns how many.
    pub fn apply(&self, url: &str, placed: &mut Vec<Placed>) -> usize {
        if self.digest.is_none() {
            return 0;
        }
        let before = placed.len();
        let mut silenced = Silenced::default();
        placed.retain(|p| {
            !self.skip.contains(&p.found.rule)
                && !self
                    .filter
                    .apply(
                        vec![super::view::placed_finding(url, p, false)],
                        &mut silenced,
                    )
                    .is_empty()
        });
        before - placed.len()
    }
}
