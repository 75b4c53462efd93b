//! Remote repositories kept as bare clones in a cache folder: cloned once, fetched on
//! later runs, with the `git` command line (whatever transports and credential helpers the
//! user's git has). The cache's size is reported and bounded: the clones scanned least
//! recently are removed first.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// The file in each clone naming its URL (as the store keys it); its modification time is
/// when the clone was last scanned.
const MARK: &str = "keysweep-source";

/// `url` with any password (`https://user:token@host`) left out, for the store, reports
/// and messages.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let host_end = rest.find('/').unwrap_or(rest.len());
    match rest[..host_end].rfind('@') {
        Some(at) => {
            let user = &rest[..at];
            let user = user.split(':').next().unwrap_or("");
            let hidden = if rest[..at].contains(':') { ":***" } else { "" };
            format!(
                "{}://{user}{hidden}@{}",
                &url[..scheme_end],
                &rest[at + 1..]
            )
        }
        None => url.to_string(),
    }
}

/// The clone of `url` in `cache`: its name, and a hash of the URL so that two
/// repositories of the same name never share a clone.
pub fn clone_dir(cache: &Path, url: &str) -> PathBuf {
    let hash = Sha256::digest(url.as_bytes());
    let hex: String = hash[..6].iter().map(|b| format!("{b:02x}")).collect();
    let name: String = super::discover::name_of(url)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    cache.join(format!("{name}-{hex}.git"))
}

fn git() -> Command {
    let mut c = Command::new("git");
    // Never wait for a password nobody will type: a remote that wants one fails.
    c.env("GIT_TERMINAL_PROMPT", "0")
        .args([
            "-c",
            "http.lowSpeedLimit=1000",
            "-c",
            "http.lowSpeedTime=60",
        ])
        .stdin(std::process::Stdio::null());
    if std::env::var_os("GIT_SSH_COMMAND").is_none() {
        c.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
    }
    c
}

/// Gives `c` the header `auth` holds for URLs under its scope, as configuration in its
/// environment (after any the user's environment already gives git that way): never on
/// the command line, where any user of the machine can read it, nor in a config file.
fn with_header(c: &mut Command, auth: &crate::source::forge::GitAuth) {
    let n: usize = std::env::var("GIT_CONFIG_COUNT")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    c.env(
        format!("GIT_CONFIG_KEY_{n}"),
        format!("http.{}.extraHeader", auth.scope),
    )
    .env(format!("GIT_CONFIG_VALUE_{n}"), auth.header())
    .env("GIT_CONFIG_COUNT", (n + 1).to_string());
}

/// Brings the clone of `url` up to date (cloning it the first time) and returns its
/// folder, or says why it could not, as a person would act on it.
pub fn sync(
    cache: &Path,
    url: &str,
    auth: Option<&crate::source::forge::GitAuth>,
) -> Result<PathBuf, String> {
    let dir = clone_dir(cache, url);
    // The clone and the fetch are given the forge's token, if any, in their environment
    // alone (the config of the clone made is written by a `git` without it).
    let git_auth = || {
        let mut c = git();
        if let Some(a) = auth {
            with_header(&mut c, a);
        }
        c
    };
    let shown = redact_url(url);
    std::fs::create_dir_all(cache)
        .map_err(|e| format!("cannot create the cache folder {}: {e}", cache.display()))?;
    let out = if dir.join("HEAD").is_file() {
        git_auth()
            .arg("--git-dir")
            .arg(&dir)
            .args(["fetch", "--prune", "--quiet", "--", url])
            .args(["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"])
            .output()
    } else {
        // Cloned beside and renamed: a clone cut short (a kill, a full disk) is never
        // taken for a clone.
        let tmp = dir.with_extension(format!("tmp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let out = git_auth()
            .args(["clone", "--bare", "--quiet", "--", url])
            .arg(&tmp)
            .output();
        match out {
            Ok(o) if o.status.success() => {
                // The clone's config keeps no password: every fetch is given the URL.
                if shown != url {
                    let _ = git()
                        .arg("--git-dir")
                        .arg(&tmp)
                        .args(["config", "remote.origin.url", &shown])
                        .output();
                }
                std::fs::rename(&tmp, &dir)
                    .map_err(|e| format!("{shown}: moving the new clone into the cache: {e}"))?;
                Ok(o)
            }
            other => {
                let _ = std::fs::remove_dir_all(&tmp);
                other
            }
        }
    };
    let verb = if dir.join(MARK).exists() {
        "fetch"
    } else {
        "clone"
    };
    match out {
        Err(e) => Err(format!("{shown}: cannot run git: {e}")),
        Ok(o) if !o.status.success() => {
            Err(classify(&shown, verb, &String::from_utf8_lossy(&o.stderr)))
        }
        Ok(_) => Ok(dir),
    }
}

/// Records that the clone of `url` was scanned now (the eviction order).
pub fn touch(cache: &Path, url: &str) {
    let _ = std::fs::write(clone_dir(cache, url).join(MARK), redact_url(url));
}

/// A failed clone or fetch in a word (unreachable, authentication, not found), with git's
/// own first line of explanation (URLs in it without their passwords).
fn classify(url: &str, verb: &str, stderr: &str) -> String {
    let s = stderr.to_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| s.contains(n));
    let kind = if has(&[
        "authentication failed",
        "could not read username",
        "could not read password",
        "permission denied (publickey",
        "terminal prompts disabled",
        "access denied",
        "returned error: 401",
        "returned error: 403",
    ]) {
        "authentication failed"
    } else if has(&[
        "could not resolve host",
        "connection refused",
        "unable to connect",
        "connection timed out",
        "network is unreachable",
        "no route to host",
        "failed to connect",
        "couldn't connect",
    ]) {
        "unreachable"
    } else if has(&[
        "not found",
        "does not appear to be a git repository",
        "does not exist",
        "no such repository",
    ]) {
        "not found"
    } else if has(&["corrupt", "bad object", "index-pack failed", "fatal: pack"]) {
        "corrupt repository"
    } else {
        "failed"
    };
    let detail = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(redact_words)
        .next()
        .unwrap_or_else(|| "no message".into());
    format!("{url}: {kind}: `git {verb}`: {detail}")
}

fn redact_words(line: &str) -> String {
    line.split(' ')
        .map(|w| {
            let t = w.trim_matches(|c| c == '\'' || c == '"');
            if t.contains("://") {
                w.replace(t, &redact_url(t))
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The cache's clones: folder, bytes, last scanned (seconds since the epoch).
fn clones(cache: &Path) -> Vec<(PathBuf, u64, u64)> {
    let Ok(entries) = std::fs::read_dir(cache) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        if !path.join("HEAD").is_file() {
            continue;
        }
        let when = std::fs::metadata(path.join(MARK))
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        out.push((path.clone(), du(&path), when));
    }
    out
}

fn du(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(_) => total += e.metadata().map_or(0, |m| m.len()),
                Err(_) => {}
            }
        }
    }
    total
}

/// What the cache holds after a run: bytes and clones, and what was evicted to keep it
/// under `max`.
#[derive(Debug, Default)]
pub struct Usage {
    pub bytes: u64,
    pub clones: usize,
    pub evicted: usize,
    pub evicted_bytes: u64,
}

/// Measures the cache and, over `max`, removes the clones scanned least recently until it
/// is under (a removed clone is cloned again when next needed).
pub fn bound(cache: &Path, max: Option<u64>) -> Usage {
    let mut all = clones(cache);
    all.sort_by_key(|&(_, _, when)| when);
    let mut usage = Usage {
        bytes: all.iter().map(|c| c.1).sum(),
        clones: all.len(),
        ..Usage::default()
    };
    if let Some(max) = max {
        for (path, bytes, _) in all {
            if usage.bytes <= max {
                break;
            }
            if std::fs::remove_dir_all(&path).is_ok() {
                usage.bytes -= bytes;
                usage.clones -= 1;
                usage.evicted += 1;
                usage.evicted_bytes += bytes;
            }
        }
    }
    usage
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_left_out() {
        assert_eq!(
            redact_url("https://bob:s3cret@example.com/o/r.git"),
            "https://bob:***@example.com/o/r.git"
        );
        assert_eq!(
            redact_url("https://example.com/o/r"),
            "https://example.com/o/r"
        );
        assert_eq!(redact_url("git@example.com:o/r"), "git@example.com:o/r");
    }
}
