//! Baselines: the findings a team has accepted, keyed by content. An entry holds a
//! finding's content-keyed `id` (never the secret), so it keeps matching after rebases,
//! squashes, renames and moved lines, while a new secret still shows. `rule`, `category`
//! and `path` are there for the reader; only `id` is matched. `note` says why it was
//! accepted and is kept when the baseline is made again.
//!
//! The file is JSON, versioned, with entries sorted by id and one field per line, so that
//! it diffs well in review.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::finding::Finding;

/// The name a baseline is discovered by at a repository's root.
pub const FILE_NAME: &str = ".keysweep-baseline.json";

pub const VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("reading baseline {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("baseline {} is not a keysweep baseline", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "baseline {} has version {found}; this keysweep reads version {VERSION}",
        path.display()
    )]
    Version { path: PathBuf, found: u32 },
    #[error("baseline {}: entry {index} has an id that is not `ks-` + 24 hex digits: {id:?}", path.display())]
    BadId {
        path: PathBuf,
        index: usize,
        id: String,
    },
    #[error("writing baseline {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One accepted secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub rule: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub category: String,
    /// Where it was first seen (informational: it may move).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Why it is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The content ids of the parts the accepted finding had besides its own (an AWS key
    /// id's paired secret and session token). The entry accepts what it saw: a finding
    /// with a part the entry does not list is new.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<String>,
    /// Where the entry accepts its secret (gitignore-style globs; `~/` is the home): a
    /// copy anywhere else is reported. Empty: everywhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// The repository the entry accepts its secret in (as findings name it): the same
    /// secret in another repository, or outside any, is reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
}

/// What one baseline entry accepts: its id's finding, with these parts, in this scope.
#[derive(Debug, Clone, Default)]
pub struct Accepted {
    pub covers: HashSet<String>,
    paths: Option<ignore::gitignore::Gitignore>,
    repository: Option<String>,
}

impl Accepted {
    /// Whether this entry accepts `f` (whose id it lists).
    pub fn accepts(&self, f: &Finding) -> bool {
        if !f.parts.iter().all(|p| self.covers.contains(p)) {
            return false;
        }
        if let Some(repo) = &self.repository {
            let in_history = f.git().is_some_and(|g| &g.repository == repo);
            let in_work_tree = Path::new(&f.path).starts_with(repo);
            if !in_history && !in_work_tree {
                return false;
            }
        }
        match &self.paths {
            None => true,
            Some(m) => m
                .matched_path_or_any_parents(scope_path(&f.path), false)
                .is_ignore(),
        }
    }
}

/// A path or a scope glob as matched: `~/` expanded to the home, and without the leading
/// `/` (the matcher compares relative paths).
fn scope_path(p: &str) -> String {
    let expanded = match (p.strip_prefix("~/"), std::env::home_dir()) {
        (Some(rest), Some(home)) => format!("{}/{rest}", home.display()),
        _ => p.to_string(),
    };
    expanded.trim_start_matches('/').to_string()
}

/// A baseline file. Unknown fields are ignored, so that a baseline written by a newer
/// keysweep (fields are added, never renamed) still loads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    /// What the baseline was made from, `files` or `history`, so that prune looks at the
    /// same thing (a scan of the files cannot see entries only the history holds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_from: Option<String>,
    pub entries: Vec<Entry>,
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let bytes = std::fs::read(path).map_err(|source| BaselineError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Baseline::parse(path, &bytes)
    }

    /// A baseline from its bytes (read from a file, or a blob of a repository's tree),
    /// checked as [`Baseline::load`] checks it; `path` names it in errors.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Baseline, BaselineError> {
        let b: Baseline = serde_json::from_slice(bytes).map_err(|source| BaselineError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        if b.version != VERSION {
            return Err(BaselineError::Version {
                path: path.to_path_buf(),
                found: b.version,
            });
        }
        for (index, e) in b.entries.iter().enumerate() {
            if !is_id(&e.id) {
                return Err(BaselineError::BadId {
                    path: path.to_path_buf(),
                    index,
                    id: e.id.clone(),
                });
            }
        }
        Ok(b)
    }

    /// The baseline of `findings`: one entry per id (the first finding in report order
    /// names its rule and path), keeping the notes `previous` had for the same ids and
    /// giving new entries `note`.
    pub fn from_findings(
        findings: &[Finding],
        previous: Option<&Baseline>,
        note: Option<&str>,
        scoped: bool,
    ) -> Baseline {
        // Scopes given before (by hand, or by --scoped) are kept, like notes.
        let scopes: BTreeMap<&str, (&[String], Option<&String>)> = previous
            .map(|p| {
                p.entries
                    .iter()
                    .map(|e| (e.id.as_str(), (&e.paths[..], e.repository.as_ref())))
                    .collect()
            })
            .unwrap_or_default();
        let notes: BTreeMap<&str, &str> = previous
            .map(|p| {
                p.entries
                    .iter()
                    .filter_map(|e| Some((e.id.as_str(), e.note.as_deref()?)))
                    .collect()
            })
            .unwrap_or_default();
        let mut by_id: BTreeMap<&str, Entry> = BTreeMap::new();
        for f in findings {
            by_id.entry(&f.id).or_insert_with(|| Entry {
                id: f.id.clone(),
                rule: f.rule.clone(),
                category: f.category.to_string(),
                path: f.path.clone(),
                note: notes
                    .get(f.id.as_str())
                    .copied()
                    .or(note)
                    .map(str::to_string),
                covers: Vec::new(),
                paths: match scopes.get(f.id.as_str()) {
                    Some((paths, _)) => paths.to_vec(),
                    None if scoped && f.git().is_none() => vec![f.path.clone()],
                    None => Vec::new(),
                },
                repository: match scopes.get(f.id.as_str()) {
                    Some((_, repo)) => repo.cloned(),
                    None if scoped => f.git().map(|g| g.repository.clone()),
                    None => None,
                },
            });
            // Every part any finding with this id had (the same key id may be paired in
            // one file and alone in another).
            let entry = by_id.get_mut(f.id.as_str()).expect("inserted above");
            for part in &f.parts {
                if !entry.covers.contains(part) {
                    entry.covers.push(part.clone());
                }
            }
        }
        for entry in by_id.values_mut() {
            entry.covers.sort();
        }
        Baseline {
            version: VERSION,
            made_from: None,
            entries: by_id.into_values().collect(),
        }
    }

    /// Splits the entries into those whose id is among `findings` (kept) and the rest
    /// (returned).
    pub fn prune(&mut self, findings: &[Finding]) -> Vec<Entry> {
        let found: HashSet<&str> = findings.iter().map(|f| f.id.as_str()).collect();
        let (kept, dropped) = std::mem::take(&mut self.entries)
            .into_iter()
            .partition(|e| found.contains(e.id.as_str()));
        self.entries = kept;
        dropped
    }

    /// What each entry accepts, by id. A scope glob that does not parse is an error.
    pub fn accepted(&self) -> Result<HashMap<String, Accepted>, ignore::Error> {
        let mut out = HashMap::new();
        for e in &self.entries {
            let paths = if e.paths.is_empty() {
                None
            } else {
                let mut b = ignore::gitignore::GitignoreBuilder::new("");
                for glob in &e.paths {
                    b.add_line(None, &scope_path(glob))?;
                }
                Some(b.build()?)
            };
            out.insert(
                e.id.clone(),
                Accepted {
                    covers: e.covers.iter().cloned().collect(),
                    paths,
                    repository: e.repository.clone(),
                },
            );
        }
        Ok(out)
    }

    /// Writes the baseline (sorted, pretty, newline-terminated) through a temporary file
    /// renamed into place, so that an interrupted write never leaves half a baseline.
    pub fn save(&self, path: &Path) -> Result<(), BaselineError> {
        let err = |source| BaselineError::Write {
            path: path.to_path_buf(),
            source,
        };
        let mut sorted = self.clone();
        sorted.entries.sort_by(|a, b| a.id.cmp(&b.id));
        let mut text = serde_json::to_vec_pretty(&sorted)
            .map_err(std::io::Error::from)
            .map_err(err)?;
        text.push(b'\n');
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let tmp = path.with_file_name(format!(
            ".{}.tmp-{}",
            name.as_deref().unwrap_or("baseline"),
            std::process::id()
        ));
        let written = std::fs::File::create(&tmp)
            .and_then(|mut f| f.write_all(&text).and_then(|()| f.sync_all()))
            .and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(err(e));
        }
        Ok(())
    }
}

/// `ks-` and 24 lowercase hex digits: the shape of [`crate::finding::content_id`].
fn is_id(s: &str) -> bool {
    s.strip_prefix("ks-")
        .is_some_and(|h| h.len() == 24 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}
