//! Filters: what a team has accepted is dropped between enrichment and the report. A
//! baseline (content-keyed, so it survives rebase and squash), inline `keysweep:allow`
//! comments, a minimum severity, and path excludes for history (the filesystem walk leaves
//! excluded paths out itself). Every dropped finding is counted, so a report says what it
//! silenced. Filters never print and never read the scanned bytes: the inline check runs
//! where the bytes are (`enrich::blob_findings`) and marks the finding.

pub mod baseline;
pub mod config;
pub mod inline;

use std::collections::HashMap;

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use serde::Serialize;

use crate::finding::Finding;
use crate::rules::Severity;

/// How many findings each filter dropped (each finding counts once, under the first filter
/// that dropped it, in the order of the fields).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Silenced {
    /// Findings with a `keysweep:allow` comment on their line or the line before.
    pub allowed_inline: usize,
    /// Findings whose id the baseline lists.
    pub baselined: usize,
    /// Findings below the minimum severity.
    pub below_min_severity: usize,
    /// History findings at paths the config's `exclude` leaves out.
    pub excluded: usize,
}

impl Silenced {
    /// Adds another run's counts.
    pub fn add(&mut self, other: &Silenced) {
        self.allowed_inline += other.allowed_inline;
        self.baselined += other.baselined;
        self.below_min_severity += other.below_min_severity;
        self.excluded += other.excluded;
    }

    pub fn total(&self) -> usize {
        self.allowed_inline + self.baselined + self.below_min_severity + self.excluded
    }
}

#[derive(Debug, thiserror::Error)]
#[error("bad exclude glob {glob:?}")]
pub struct GlobError {
    glob: String,
    #[source]
    source: ignore::Error,
}

/// The filters of one run.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// What the baseline accepts, by id (parts and scope: `baseline::Accepted`).
    pub baseline: HashMap<String, baseline::Accepted>,
    pub min_severity: Option<Severity>,
    /// Checks `--rule` / `--skip-rule` left out whose findings are made anyway (the keys
    /// found by their structure, looked for in every blob): dropped, not counted as
    /// silenced.
    pub unselected: Vec<String>,
    /// Matched against findings' paths (relative to the repository root).
    exclude: Option<Gitignore>,
}

impl Filter {
    /// Leaves out findings at paths matching `globs` (gitignore syntax, relative to the
    /// repository root), as history paths are.
    pub fn exclude_paths(&mut self, globs: &[String]) -> Result<(), GlobError> {
        if globs.is_empty() {
            self.exclude = None;
            return Ok(());
        }
        let mut b = GitignoreBuilder::new("");
        for glob in globs {
            b.add_line(None, glob).map_err(|source| GlobError {
                glob: glob.clone(),
                source,
            })?;
        }
        self.exclude = Some(b.build().map_err(|source| GlobError {
            glob: globs.join(", "),
            source,
        })?);
        Ok(())
    }

    /// Drops what the filters silence, counting each in `silenced`.
    pub fn apply(&self, findings: Vec<Finding>, silenced: &mut Silenced) -> Vec<Finding> {
        findings
            .into_iter()
            .filter(|f| !self.unselected.contains(&f.rule))
            .filter(|f| {
                let counter = if f.allowed_inline {
                    &mut silenced.allowed_inline
                } else if self.baseline.get(&f.id).is_some_and(|a| a.accepts(f)) {
                    &mut silenced.baselined
                } else if self.min_severity.is_some_and(|min| f.severity < min) {
                    &mut silenced.below_min_severity
                } else if self.excludes(&f.path) {
                    &mut silenced.excluded
                } else {
                    return true;
                };
                *counter += 1;
                false
            })
            .collect()
    }

    fn excludes(&self, path: &str) -> bool {
        // The matcher takes relative paths only (it asserts so).
        let relative = !std::path::Path::new(path).has_root();
        relative
            && self
                .exclude
                .as_ref()
                .is_some_and(|g| g.matched_path_or_any_parents(path, false).is_ignore())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excludes_match_history_paths() {
        let mut f = Filter::default();
        f.exclude_paths(&["vendor/".into(), "*.snap".into(), "/top.txt".into()])
            .unwrap();
        assert!(f.excludes("vendor/a/b.pem"));
        assert!(f.excludes("x/vendor/b.pem"));
        assert!(f.excludes("tests/snapshots/a.snap"));
        assert!(f.excludes("top.txt"));
        assert!(!f.excludes("sub/top.txt"));
        assert!(!f.excludes("src/key.pem"));
    }
}
