//! Where an organisation's repositories are: the working clones and bare repositories
//! under a folder, and the lines of a list file (paths or git URLs).

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::{Location, RepoSpec};

/// Whether `s` names a remote repository rather than a local path: `https://`,
/// `http://`, `ssh://`, `git://`, `file://`, or scp-like `user@host:path`.
pub fn is_url(s: &str) -> bool {
    if ["https://", "http://", "ssh://", "git://", "file://"]
        .iter()
        .any(|p| s.starts_with(p))
    {
        return true;
    }
    // `git@host:org/repo.git`: a colon before any slash, and a user@ before it.
    match (s.find(':'), s.find('/')) {
        (Some(c), slash) if slash.is_none_or(|sl| c < sl) => s[..c].contains('@'),
        _ => false,
    }
}

/// A repository's name for reports: the last part of its URL or path, less `.git`.
pub fn name_of(s: &str) -> String {
    let t = s.trim_end_matches('/');
    let t = t.strip_suffix("/.git").unwrap_or(t);
    let last = t.rsplit(['/', ':']).next().unwrap_or(t);
    let last = last.strip_suffix(".git").unwrap_or(last);
    if last.is_empty() {
        s.to_string()
    } else {
        last.to_string()
    }
}

/// The repository a command-line SOURCE or a list line names: a URL as it is, a local path
/// made absolute.
pub fn spec(s: &str) -> anyhow::Result<RepoSpec> {
    if is_url(s) {
        return Ok(RepoSpec {
            name: name_of(s),
            location: Location::Remote(s.to_string()),
            auth: None,
        });
    }
    let path = std::path::absolute(s).with_context(|| format!("{s}: not a usable path"))?;
    Ok(local(path))
}

fn local(path: PathBuf) -> RepoSpec {
    let path = std::fs::canonicalize(&path).unwrap_or(path);
    RepoSpec {
        name: name_of(&path.to_string_lossy()),
        location: Location::Local(path),
        auth: None,
    }
}

/// The repositories a list file names, one a line (blank lines and `#` comments left out).
pub fn list(file: &Path) -> anyhow::Result<Vec<RepoSpec>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading the list {}", file.display()))?;
    let base = file.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if is_url(line) {
            out.push(spec(line)?);
        } else {
            // A relative path is relative to the list's folder.
            out.push(local(base.join(line)));
        }
    }
    Ok(out)
}

/// What kind of repository `dir` is, if any.
fn repo_kind(dir: &Path) -> Option<bool> {
    let dot = dir.join(".git");
    if dot.is_dir() || dot.is_file() {
        return Some(false);
    }
    let bare =
        dir.join("HEAD").is_file() && dir.join("objects").is_dir() && dir.join("refs").is_dir();
    bare.then_some(true)
}

/// Every working clone and bare repository under `root` (or `root` itself), in path
/// order. A found repository's work tree is searched for more only if `nested`; a bare
/// repository never is. Symbolic links are not followed. Folders that cannot be read are
/// returned in `problems`.
pub fn folder(root: &Path, nested: bool, problems: &mut Vec<String>) -> Vec<RepoSpec> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut descend = true;
        match repo_kind(&dir) {
            Some(bare) => {
                out.push(local(dir.clone()));
                descend = nested && !bare;
            }
            None if dir == root && !dir.is_dir() => {
                problems.push(format!("{}: not a folder or repository", dir.display()));
                continue;
            }
            None => {}
        }
        if !descend {
            continue;
        }
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                problems.push(format!("{}: {e}", dir.display()));
                continue;
            }
        };
        let mut subdirs: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()) && e.file_name() != ".git")
            .map(|e| e.path())
            .collect();
        subdirs.sort();
        stack.extend(subdirs.into_iter().rev());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_names() {
        for u in [
            "https://example.com/org/a.git",
            "ssh://git@example.com/org/a",
            "git@example.com:org/a.git",
            "file:///srv/a.git",
        ] {
            assert!(is_url(u), "{u}");
            assert_eq!(name_of(u), "a");
        }
        for p in ["repos/a", "/srv/a.git", "./x:y/z", "a"] {
            assert!(!is_url(p), "{p}");
        }
        assert_eq!(name_of("/srv/work/a/.git"), "a");
    }
}
