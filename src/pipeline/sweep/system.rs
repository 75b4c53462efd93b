//! `sweep --system`: the machine's own SSH server, beside the home. Its `sshd_config` (with
//! what it `Include`s, `sshd_config.d/*.conf` on most distributions) is read as sshd reads
//! it (`exposure::sshd::check_system`), saying OpenSSH's default where a setting is absent;
//! its host keys (`ssh_host_*_key`) are where they belong and are never reported as stray
//! keys (their contents are not read), but one that others may read or write is.
//!
//! The machine is found under a root, `/` unless `--system-root DIR` names another (a
//! mounted image, a container's file system; the tests lay out a tree there).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::audit::permissions::{self, KeyMaterial};
use crate::exposure::{self, Exposure};
use crate::finding::{Category, FileFacts, Finding, Origin};
use crate::source::fs::user_name;

/// Which of the system checks run (`--rule` / `--skip-rule`).
pub(super) struct Checks {
    pub weak: bool,
    pub permissions: bool,
    pub quiet: bool,
    /// `--fix-permissions`: a loose host key is set to 600 (or 400), as a key in the home
    /// would be.
    pub fix: bool,
}

/// The findings of the machine under `root`; problems (a file that exists but cannot be
/// read) are reported on stderr and counted.
pub(super) fn check(root: &Path, checks: &Checks) -> Vec<Finding> {
    let etc_ssh = root.join("etc/ssh");
    let mut out = Vec::new();
    if checks.weak {
        sshd(root, &etc_ssh, checks.quiet, &mut out);
    }
    if checks.permissions {
        host_keys(root, &etc_ssh, checks, &mut out);
    }
    out
}

fn facts(path: &Path) -> Option<FileFacts> {
    let md = std::fs::metadata(path).ok()?;
    Some(FileFacts {
        mode: format!("{:04o}", md.mode() & 0o7777),
        owner: user_name(md.uid()),
        uid: md.uid(),
    })
}

fn sshd(root: &Path, etc_ssh: &Path, quiet: bool, out: &mut Vec<Finding>) {
    let config = etc_ssh.join("sshd_config");
    let bytes = match std::fs::read(&config) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if quiet {
                return;
            }
            crate::messages::note(format_args!(
                "--system: no {}: no OpenSSH server is configured here",
                config.display()
            ));
            return;
        }
        Err(e) => {
            crate::messages::problem(format_args!("{}: {e}", config.display()));
            return;
        }
    };
    let (found, unreadable) = exposure::sshd::check_system(root, &config, &bytes);
    for (path, e) in unreadable {
        crate::messages::problem(format_args!(
            "{} (included by {}): {e}",
            path.display(),
            config.display()
        ));
    }
    for e in found {
        out.push(finding(e));
    }
}

fn finding(e: Exposure) -> Finding {
    let facts = facts(&e.path);
    let mut f = Finding::exposure(
        e.check,
        Category::SshdWeakSetting,
        &e.path,
        e.line,
        e.what,
        e.severity,
        e.advice,
    );
    f.origin = facts.map(Origin::File);
    f
}

/// The group that Fedora and RHEL give host keys to (mode 0640, read by their sshd's
/// key helper): group read there is the distribution's design, not a loose mode.
const HOST_KEY_GROUP: &str = "ssh_keys";

fn host_keys(root: &Path, etc_ssh: &Path, checks: &Checks, out: &mut Vec<Finding>) {
    let Ok(entries) = std::fs::read_dir(etc_ssh) else {
        return;
    };
    let mut keys: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("ssh_host_") && n.ends_with("_key"))
        })
        .collect();
    keys.sort();
    for path in keys {
        // Not followed: a link's own target is checked where it is.
        let md = match std::fs::symlink_metadata(&path) {
            Ok(md) if md.file_type().is_file() => md,
            Ok(_) => continue,
            Err(e) => {
                crate::messages::problem(format_args!("{}: {e}", path.display()));
                continue;
            }
        };
        let mode = md.mode() & 0o777;
        if mode & 0o037 == 0 && group_name(root, md.gid()).as_deref() == Some(HOST_KEY_GROUP) {
            continue;
        }
        let Some(problem) = permissions::check_file(mode, KeyMaterial::KeyFileName) else {
            continue;
        };
        let what = format!(
            "SSH host {}: sshd refuses a host key others can read, and whoever reads it can impersonate this server",
            problem.what.replacen("key file", "key", 1)
        );
        let fix = problem.fix_command(&path);
        let mut f = Finding::permissions(&path, what, problem.severity, fix.clone());
        f.origin = facts(&path).map(Origin::File);
        if checks.fix {
            match permissions::apply(&path, &problem) {
                Ok(()) => {
                    f.fixed = true;
                    if !checks.quiet {
                        crate::messages::note(format_args!("fixed: {fix} (was {mode:04o})"));
                    }
                }
                Err(e) => crate::messages::problem(format_args!(
                    "{}: could not fix permissions: {e}",
                    path.display()
                )),
            }
        }
        out.push(f);
    }
}

/// A group's name, from `etc/group` under `root`.
fn group_name(root: &Path, gid: u32) -> Option<String> {
    let text = std::fs::read_to_string(root.join("etc/group")).ok()?;
    text.lines().find_map(|l| {
        let mut parts = l.split(':');
        let name = parts.next()?;
        let id = parts.nth(1)?;
        (id.parse::<u32>().ok()? == gid).then(|| name.to_string())
    })
}
