//! sshd_config (and `sshd_config.d/*.conf`): an explicit `PermitRootLogin yes`,
//! `PasswordAuthentication yes` or `PermitEmptyPasswords yes` in effect for every
//! connection. As sshd reads it: the first value of a keyword wins, `Include` reads the
//! named files in place (an absolute `/etc/ssh/…` path is read beside the file scanned),
//! and a setting inside a `Match` block applies only to the connections it matches, so it
//! is not the global setting (`Match all` ends a block). Lines starting with `#` are
//! comments.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{Exposure, SSHD_WEAK_CHECK};
use crate::finding::Severity;

/// The weak value of a setting, and what to say about it: severity, what, OpenSSH's
/// default, the fix.
pub fn weak(keyword: &str, value: &str) -> Option<(Severity, &'static str, &'static str)> {
    let value = value.trim().trim_matches('"').to_ascii_lowercase();
    if value != "yes" {
        return None;
    }
    match keyword.to_ascii_lowercase().as_str() {
        "permitrootlogin" => Some((
            Severity::High,
            "PermitRootLogin yes: root may log in over SSH, with a password too (OpenSSH's default is prohibit-password)",
            "set PermitRootLogin no (or prohibit-password) and log in as a user who escalates",
        )),
        "passwordauthentication" => Some((
            Severity::Medium,
            "PasswordAuthentication yes: passwords can be guessed over SSH (OpenSSH's default is yes, so say no explicitly)",
            "set PasswordAuthentication no (and KbdInteractiveAuthentication no); use keys or SSH certificates",
        )),
        "permitemptypasswords" => Some((
            Severity::Critical,
            "PermitEmptyPasswords yes: an account with an empty password logs in over SSH (OpenSSH's default is no)",
            "set PermitEmptyPasswords no",
        )),
        _ => None,
    }
}

/// Whether `path` is read on its own: an `sshd_config.d/*.conf` is read through the
/// `sshd_config` beside its folder when there is one.
pub fn read_alone(path: &Path) -> bool {
    let in_d = path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|p| p == "sshd_config.d");
    !(in_d
        && path
            .parent()
            .and_then(Path::parent)
            .is_some_and(|etc| etc.join("sshd_config").is_file()))
}

struct Setting {
    value: String,
    path: PathBuf,
    line: usize,
}

/// Where `Include`s are read from: the folder of the file scanned, and for a machine's own
/// configuration (`sweep --system`) the root its absolute paths are under.
struct Ctx<'a> {
    base: PathBuf,
    root: Option<&'a Path>,
    /// Files an `Include` names that exist but could not be read.
    unreadable: Vec<(PathBuf, std::io::Error)>,
    /// `Include`s are followed (not for a blob of a repository's history, whose
    /// neighbours are not files here).
    follow: bool,
    /// An `Include` was seen and not followed: what is absent may be set there.
    unfollowed: bool,
}

pub fn check(path: &Path, bytes: &[u8]) -> Vec<Exposure> {
    let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let base = if base.file_name().is_some_and(|n| n == "sshd_config.d") {
        base.parent().unwrap_or(Path::new("")).to_path_buf()
    } else {
        base
    };
    let mut ctx = Ctx {
        base,
        root: None,
        unreadable: Vec::new(),
        follow: true,
        unfollowed: false,
    };
    evaluate(path, bytes, &mut ctx)
}

/// A file read alone, its `Include`s not followed (a blob of a repository's history).
pub fn check_alone(path: &Path, bytes: &[u8]) -> Vec<Exposure> {
    let mut ctx = Ctx {
        base: PathBuf::new(),
        root: None,
        unreadable: Vec::new(),
        follow: false,
        unfollowed: false,
    };
    evaluate(path, bytes, &mut ctx)
}

/// A machine's own sshd configuration, `etc/ssh/sshd_config` under `root` (`/`, or a
/// mounted image's root), as sshd reads it: an absolute `Include` is under `root`, a
/// relative one under `etc/ssh`. The findings, and the included files that exist but
/// could not be read.
pub fn check_system(
    root: &Path,
    config: &Path,
    bytes: &[u8],
) -> (Vec<Exposure>, Vec<(PathBuf, std::io::Error)>) {
    let mut ctx = Ctx {
        base: root.join("etc/ssh"),
        root: Some(root),
        unreadable: Vec::new(),
        follow: true,
        unfollowed: false,
    };
    let found = evaluate(config, bytes, &mut ctx);
    (found, ctx.unreadable)
}

fn evaluate(path: &Path, bytes: &[u8], ctx: &mut Ctx<'_>) -> Vec<Exposure> {
    let mut settings: HashMap<String, Setting> = HashMap::new();
    read(path, bytes, ctx, &mut settings, 0);
    let mut found: Vec<Exposure> = settings
        .iter()
        .filter_map(|(k, s)| {
            let (severity, what, fix) = weak(k, &s.value)?;
            Some(Exposure {
                check: SSHD_WEAK_CHECK,
                path: s.path.clone(),
                line: s.line,
                what: what.into(),
                severity,
                advice: fix.into(),
            })
        })
        .collect();
    let main = path.file_name().is_some_and(|n| n == "sshd_config");
    if main && !ctx.unfollowed && !settings.contains_key("passwordauthentication") {
        found.push(Exposure {
            check: SSHD_WEAK_CHECK,
            path: path.to_path_buf(),
            line: 1,
            what: "PasswordAuthentication is not set: OpenSSH's default is yes, so passwords are accepted".into(),
            severity: Severity::Low,
            advice: "set PasswordAuthentication no".into(),
        });
    }
    found.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    found
}

fn read(
    path: &Path,
    bytes: &[u8],
    ctx: &mut Ctx<'_>,
    settings: &mut HashMap<String, Setting>,
    depth: usize,
) {
    let text = String::from_utf8_lossy(bytes);
    let mut in_match = false;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.find(|c: char| c.is_whitespace() || c == '=') {
            Some(at) => (
                &line[..at],
                line[at..].trim_start_matches(|c: char| c.is_whitespace() || c == '='),
            ),
            None => (line, ""),
        };
        let key = key.to_ascii_lowercase();
        if key == "match" {
            in_match = !value.trim().eq_ignore_ascii_case("all");
            continue;
        }
        if in_match {
            continue;
        }
        if key == "include" {
            if !ctx.follow {
                ctx.unfollowed = true;
                continue;
            }
            if depth < 8 {
                for arg in value.split_whitespace() {
                    for inc in expand(&ctx.base, ctx.root, arg.trim_matches('"')) {
                        match std::fs::read(&inc) {
                            Ok(b) => read(&inc, &b, ctx, settings, depth + 1),
                            // sshd skips an Include that matches nothing.
                            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                            Err(e) => ctx.unreadable.push((inc, e)),
                        }
                    }
                }
            }
            continue;
        }
        settings.entry(key).or_insert_with(|| Setting {
            value: value.split_whitespace().next().unwrap_or("").to_string(),
            path: path.to_path_buf(),
            line: i + 1,
        });
    }
}

/// The files an `Include` names, read beside the scanned file: `/etc/ssh/x` is `base/x`,
/// a relative path is relative to `base`; with a system `root`, any absolute path is
/// under it. A `*` in the last part matches, sorted.
fn expand(base: &Path, root: Option<&Path>, arg: &str) -> Vec<PathBuf> {
    let p = match (root, arg.strip_prefix('/')) {
        (Some(root), Some(abs)) => root.join(abs),
        _ => {
            let rel = arg.strip_prefix("/etc/ssh/").unwrap_or(arg);
            if rel.starts_with('/') {
                return Vec::new();
            }
            base.join(rel)
        }
    };
    let (Some(dir), Some(pat)) = (p.parent(), p.file_name().and_then(|n| n.to_str())) else {
        return Vec::new();
    };
    if !pat.contains('*') {
        return vec![p.clone()];
    }
    let (pre, post) = pat.split_once('*').unwrap_or((pat, ""));
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|e| {
            e.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(pre) && n.ends_with(post) && n.len() >= pre.len() + post.len()
            })
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_wins_and_match_blocks_are_not_global() {
        let text = b"# PermitRootLogin yes\nPasswordAuthentication no\nPasswordAuthentication yes\nPermitEmptyPasswords=yes\nMatch Address 10.0.0.0/8\n  PermitRootLogin yes\nMatch all\nPermitRootLogin without-password\n";
        let found = check(Path::new("nowhere/sshd_config"), text);
        let what: Vec<(usize, Severity)> = found.iter().map(|e| (e.line, e.severity)).collect();
        assert_eq!(what, [(4, Severity::Critical)]);
    }
}
