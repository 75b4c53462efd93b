//! `.keysweep.toml`: a repository's settings, found at its root or named with `--config`.
//! Paths in it (`signatures`, `baseline`) are relative to the file. Unknown keys are an
//! error: a misspelt `exclude` that silently excluded nothing would be worse.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::rules::Severity;

/// The name a config file is discovered by at a repository's root.
pub const FILE_NAME: &str = ".keysweep.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading config {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config {}: {message}", path.display())]
    Parse { path: PathBuf, message: String },
}

/// The file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    signatures: Vec<PathBuf>,
    #[serde(default, alias = "disabled_rules")]
    skip_rules: Vec<String>,
    min_severity: Option<Severity>,
    baseline: Option<PathBuf>,
}

/// A loaded config, its paths made relative to the current directory's view (joined to
/// the config file's directory).
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where it was read from.
    pub path: PathBuf,
    /// Globs (gitignore syntax) whose paths are left out.
    pub exclude: Vec<String>,
    /// Directories of extra signatures.
    pub signatures: Vec<PathBuf>,
    /// Rules not to use.
    pub skip_rules: Vec<String>,
    pub min_severity: Option<Severity>,
    /// The baseline file.
    pub baseline: Option<PathBuf>,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            // Where and what, never the offending line: a credentials file given to
            // `--config` by mistake must not have its secret printed. keysweep adds which
            // keys exist.
            message: format!(
                "{}{} (keys: exclude, signatures, skip_rules, min_severity, baseline)",
                e.span()
                    .map(|s| {
                        let (line, column) = crate::scan::line_col(text.as_bytes(), s.start);
                        format!("line {line}, column {column}: ")
                    })
                    .unwrap_or_default(),
                without_values(e.message())
            ),
        })?;
        let dir = path.parent().unwrap_or(Path::new(""));
        let rel = |p: PathBuf| if p.is_absolute() { p } else { dir.join(p) };
        Ok(Config {
            path: path.to_path_buf(),
            exclude: raw.exclude,
            signatures: raw.signatures.into_iter().map(rel).collect(),
            skip_rules: raw.skip_rules,
            min_severity: raw.min_severity,
            baseline: raw.baseline.map(rel),
        })
    }
}

/// `message` with every quoted value (`"…"`, `'…'`) blanked: serde's messages quote the
/// value that had the wrong type, which may be a secret. A `` `name` `` stays when it looks
/// like a key or variant name (lowercase words), so that a typo is still named.
fn without_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(['"', '\'', '`']) {
        let q = rest[start..].chars().next().unwrap_or('"');
        out.push_str(&rest[..=start]);
        let inner = &rest[start + 1..];
        let Some(end) = inner.find(q) else {
            out.push('…');
            return out;
        };
        let value = &inner[..end];
        let name_like = q == '`'
            && value.len() <= 32
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        out.push_str(if name_like { value } else { "…" });
        out.push(q);
        rest = &inner[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_never_echo_values() {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz";
        for text in [
            format!("[default]\naws_secret_access_key = {secret}\n"),
            format!("exclude = \"{secret}\"\n"),
            format!("min_severity = \"{secret}\"\n"),
        ] {
            let e = Config::parse(Path::new("c.toml"), &text).unwrap_err();
            let msg = format!("{e}");
            assert!(!msg.contains("wJalr"), "{msg}");
            assert!(msg.contains("line "), "{msg}");
        }
    }

    #[test]
    fn paths_are_relative_to_the_file() {
        let c = Config::parse(
            Path::new("repo/.keysweep.toml"),
            "exclude = [\"vendor/\"]\nsignatures = [\"sigs\"]\ndisabled_rules = [\"x\"]\n\
             min_severity = \"high\"\nbaseline = \"ci/baseline.json\"\n",
        )
        .unwrap();
        assert_eq!(c.exclude, ["vendor/"]);
        assert_eq!(c.signatures, [PathBuf::from("repo/sigs")]);
        assert_eq!(c.skip_rules, ["x"]);
        assert_eq!(c.min_severity, Some(Severity::High));
        assert_eq!(c.baseline, Some(PathBuf::from("repo/ci/baseline.json")));
    }

    #[test]
    fn unknown_keys_are_errors() {
        let e = Config::parse(Path::new(".keysweep.toml"), "excludes = []\n").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("excludes"), "{msg}");
        assert!(msg.contains("keys: exclude"), "{msg}");
    }
}
