//! `keysweep baseline create` and `keysweep baseline prune`: record what a scan (or a
//! history scan) finds now, so later runs show only what is new; and drop the entries
//! whose secrets are gone. Entries are content-keyed ids, never secrets (`filter::baseline`).

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::exit::ExitCode;
use crate::filter::baseline::Baseline;
use crate::finding::display_path;
use crate::pipeline::Outcome;
use crate::pipeline::files::{self, ScanConfig};
use crate::pipeline::history::{self, HistoryConfig};
use crate::pipeline::settings::{Choice, Settings};

#[derive(Debug, Clone)]
pub enum Action {
    /// Record the current findings, keeping the notes of entries already there; new
    /// entries get `note`.
    Create {
        note: Option<String>,
        /// New entries accept their secret only where it was seen (`--scoped`).
        scoped: bool,
    },
    /// Drop the entries no longer found.
    Prune,
}

/// What the baseline is made from: a scan of files, or a repository's history.
#[derive(Debug, Clone)]
pub enum Source {
    Scan(Box<ScanConfig>),
    History(Box<HistoryConfig>),
}

#[derive(Debug, Clone)]
pub struct BaselineConfig {
    pub action: Action,
    pub source: Source,
    /// The baseline file (`-o`); default: the config's `baseline`, else
    /// `.keysweep-baseline.json` at the root.
    pub file: Option<PathBuf>,
}

impl Source {
    fn root(&self) -> PathBuf {
        match self {
            Source::Scan(c) => c.root(),
            Source::History(c) => {
                crate::source::git::configure();
                c.root()
            }
        }
    }

    fn resolve(&self, root: &Path) -> anyhow::Result<Settings> {
        // The baseline being made must not hide what it is made from.
        let (mut filter, rules) = match self {
            Source::Scan(c) => (c.filter.clone(), &c.rules),
            Source::History(c) => (c.filter.clone(), &c.rules),
        };
        filter.baseline = Choice::Off;
        let mut s = filter.resolve(root, rules)?;
        if matches!(self, Source::History(_)) {
            s.exclude_repository_paths()?;
        }
        Ok(s)
    }

    /// What a baseline made from this source says it was made from.
    fn kind(&self) -> &'static str {
        match self {
            Source::Scan(_) => "files",
            Source::History(_) => "history",
        }
    }

    fn collect(&self, settings: &Settings) -> anyhow::Result<Outcome> {
        match self {
            Source::Scan(c) => files::collect(c, settings),
            Source::History(c) => history::collect(c, settings),
        }
    }
}

/// Makes or prunes the baseline of each path named, each at its own root.
pub fn run(cfg: &BaselineConfig) -> anyhow::Result<ExitCode> {
    let paths = match &cfg.source {
        Source::Scan(c) => c.fs.paths.clone(),
        Source::History(c) => c.repos.clone(),
    };
    let mut code = ExitCode::Clean;
    for (_, paths) in crate::pipeline::group_by_root(&paths) {
        let mut one = cfg.clone();
        match &mut one.source {
            Source::Scan(c) => c.fs.paths = paths,
            Source::History(c) => c.repos = paths,
        }
        code = code.max(run_one(&one)?);
    }
    Ok(code)
}

fn run_one(cfg: &BaselineConfig) -> anyhow::Result<ExitCode> {
    let root = cfg.source.root();
    let mut settings = cfg.source.resolve(&root)?;
    let file = cfg.file.clone().unwrap_or_else(|| {
        crate::pipeline::settings::baseline_at(settings.config_baseline.as_deref(), &root)
    });
    // Shown as the user would type it: relative to the current directory where it can be.
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| file.strip_prefix(cwd).ok().map(display_path))
        .unwrap_or_else(|| display_path(&file));
    match &cfg.action {
        Action::Create { note, scoped } => {
            let previous = if file.exists() {
                Some(Baseline::load(&file)?)
            } else {
                None
            };
            let outcome = cfg.source.collect(&settings)?;
            if outcome.summary.interrupted {
                anyhow::bail!("interrupted: {shown} is left as it was");
            }
            let mut b = Baseline::from_findings(
                &outcome.findings,
                previous.as_ref(),
                note.as_deref(),
                *scoped,
            );
            b.made_from = Some(cfg.source.kind().to_string());
            b.save(&file)?;
            let before: std::collections::HashSet<&str> = previous
                .iter()
                .flat_map(|p| p.entries.iter().map(|e| e.id.as_str()))
                .collect();
            let new = b
                .entries
                .iter()
                .filter(|e| !before.contains(e.id.as_str()))
                .count();
            let gone = before.len() - (b.entries.len() - new);
            println!(
                "{shown}: {} entr{} ({new} new, {gone} no longer found)",
                b.entries.len(),
                if b.entries.len() == 1 { "y" } else { "ies" }
            );
            if outcome.summary.errors > 0 {
                crate::messages::note(format_args!(
                    "{} input(s) could not be read: what they hold is not in the baseline",
                    outcome.summary.errors
                ));
            }
            Ok(ExitCode::Clean)
        }
        Action::Prune => {
            let mut b = Baseline::load(&file).with_context(|| {
                format!("`keysweep baseline create -o {shown}` makes a baseline")
            })?;
            if let Some(made_from) = b.made_from.as_deref()
                && made_from != cfg.source.kind()
            {
                let how = if made_from == "history" {
                    "with --history"
                } else {
                    "without --history"
                };
                anyhow::bail!(
                    "{shown} was made from the {made_from}: prune it {how}, or entries that only \
                     the {made_from} holds would be dropped"
                );
            }
            // An entry is kept while its secret is anywhere, whatever its severity.
            settings.filter.min_severity = None;
            let outcome = cfg.source.collect(&settings)?;
            if outcome.summary.interrupted {
                anyhow::bail!("interrupted: {shown} is left as it was");
            }
            if outcome.summary.errors > 0 {
                anyhow::bail!(
                    "{} input(s) could not be read; not pruning, since their entries may still be there",
                    outcome.summary.errors
                );
            }
            let dropped = b.prune(&outcome.findings);
            for e in &dropped {
                let note = e
                    .note
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default();
                println!("dropped {}  {}  {}{note}", e.id, e.rule, e.path);
            }
            if !dropped.is_empty() {
                b.save(&file)?;
            }
            println!(
                "{shown}: {} entr{} kept, {} dropped",
                b.entries.len(),
                if b.entries.len() == 1 { "y" } else { "ies" },
                dropped.len()
            );
            Ok(ExitCode::Clean)
        }
    }
}
