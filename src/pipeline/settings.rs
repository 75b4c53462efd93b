//! A run's settings, added up: the command line, the repository's `.keysweep.toml` (at its
//! root, or named with `--config`) and its baseline (`.keysweep-baseline.json` at the root,
//! the config's `baseline`, or `--baseline`). The command line extends the config's lists
//! and overrides its single values.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::RuleSelection;
use crate::filter::Filter;
use crate::filter::baseline::{self, Baseline};
use crate::filter::config::{self, Config};
use crate::rules::Severity;

/// A file the user may name, leave to discovery, or turn off.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Choice {
    /// Discovered at the repository root (and, for a baseline, named by the config).
    #[default]
    Auto,
    File(PathBuf),
    Off,
}

/// The filter options of the command line (`--config`, `--baseline`, `--min-severity`).
#[derive(Debug, Clone, Default)]
pub struct FilterOptions {
    pub config: Choice,
    pub baseline: Choice,
    pub min_severity: Option<Severity>,
}

/// What the options, the config and the baseline add up to.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The rules to use: the command line's, plus the config's signatures and skipped rules.
    pub rules: RuleSelection,
    /// The config's excludes (the command line's stay where they were given).
    pub excludes: Vec<String>,
    pub filter: Filter,
    /// The config's `baseline`, relative to the current directory.
    pub config_baseline: Option<PathBuf>,
    /// The config file read, if any.
    pub config_path: Option<PathBuf>,
}

/// The root a path's settings are discovered at: the work tree of the git repository that
/// holds it, else the directory itself (a file's own directory).
pub fn root_of(path: &Path) -> PathBuf {
    let dir = if path.is_dir() {
        path
    } else {
        match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    };
    git2::Repository::discover(dir)
        .ok()
        .and_then(|r| r.workdir().map(Path::to_path_buf))
        .unwrap_or_else(|| dir.to_path_buf())
}

/// The baseline of a run rooted at `root` when none is named on the command line: the
/// config's `baseline`, else `.keysweep-baseline.json` at the root.
pub fn baseline_at(config_baseline: Option<&Path>, root: &Path) -> PathBuf {
    config_baseline.map_or_else(|| root.join(baseline::FILE_NAME), Path::to_path_buf)
}

impl FilterOptions {
    /// Reads the config and the baseline for a run rooted at `root`. A file that was named
    /// (on the command line, or the config's baseline) must exist; a discovered one may not.
    pub fn resolve(&self, root: &Path, rules: &RuleSelection) -> anyhow::Result<Settings> {
        let config = match &self.config {
            Choice::Off => None,
            Choice::File(p) => Some(Config::load(p)?),
            Choice::Auto => {
                let p = root.join(config::FILE_NAME);
                if p.is_file() {
                    Some(Config::load(&p)?)
                } else {
                    None
                }
            }
        };
        let config = config.unwrap_or_default();
        let mut rules = rules.clone();
        rules
            .signature_dirs
            .extend(config.signatures.iter().cloned());
        rules.skip.extend(config.skip_rules.iter().cloned());

        let (baseline_path, must_exist) = match &self.baseline {
            Choice::Off => (None, false),
            Choice::File(p) => (Some(p.clone()), true),
            // One the config names must exist.
            Choice::Auto => (
                Some(baseline_at(config.baseline.as_deref(), root)),
                config.baseline.is_some(),
            ),
        };
        let baseline = match &baseline_path {
            Some(p) if must_exist || p.exists() => {
                let named_in = if self.baseline == Choice::Auto {
                    format!(" (named in {})", config.path.display())
                } else {
                    String::new()
                };
                if !p.exists() {
                    anyhow::bail!(
                        "baseline {}{named_in} does not exist; `keysweep baseline create -o {}` makes it",
                        p.display(),
                        p.display()
                    );
                }
                Some(Baseline::load(p)?)
            }
            _ => None,
        };

        let mut filter = Filter::default();
        filter.baseline = match (&baseline, &baseline_path) {
            (Some(b), Some(p)) => b
                .accepted()
                .with_context(|| format!("baseline {}: a bad scope glob", p.display()))?,
            _ => HashMap::new(),
        };
        filter.min_severity = self.min_severity.or(config.min_severity);
        filter.unselected = super::unselected_structures(&rules);
        Ok(Settings {
            rules,
            excludes: config.exclude,
            filter,
            config_baseline: config.baseline,
            config_path: (!config.path.as_os_str().is_empty()).then_some(config.path),
        })
    }
}

impl Settings {
    /// Makes the filter leave out findings at paths the config excludes, for sources whose
    /// paths are relative to the repository root (history, hooks); the filesystem walk
    /// leaves them out itself.
    pub fn exclude_repository_paths(&mut self) -> anyhow::Result<()> {
        let config = self
            .config_path
            .as_deref()
            .unwrap_or(Path::new(config::FILE_NAME));
        self.filter
            .exclude_paths(&self.excludes)
            .with_context(|| format!("config {}", config.display()))
    }
}
