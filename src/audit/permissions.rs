//! Key-file permissions: OpenSSH refuses a private key that others can read, yet such keys
//! sit in Downloads folders and shared servers everywhere. A file is key material when the
//! scan found a private key in it, or when its name says so (`*.key`, `*.ppk`, `id_*`
//! without `.pub`, `*.p12`, `*.pfx`, `.aws/credentials`); any group or other permission bit
//! on it is a finding. A `.ssh` directory that is not `0700` is one too. Certificates,
//! public keys and ordinary files are never flagged, whatever their mode.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::finding::shell_quote_path;
use crate::rules::Severity;

/// Why a file counts as key material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMaterial {
    /// The scan found a private key in it.
    HoldsPrivateKey,
    /// Its name marks it: `*.key`, `*.ppk`, `id_*`, `*.p12`, `*.pfx`.
    KeyFileName,
    /// `~/.aws/credentials`.
    AwsCredentials,
}

impl KeyMaterial {
    pub fn describe(self) -> &'static str {
        match self {
            KeyMaterial::HoldsPrivateKey => "private key file",
            KeyMaterial::KeyFileName => "key file",
            KeyMaterial::AwsCredentials => "AWS credentials file",
        }
    }
}

/// Is this file key material? `holds_private_key`: the scan found a private key in it.
/// A `.pem` counts only when it holds a private key (most `.pem` files are certificates).
pub fn key_material(path: &Path, holds_private_key: bool) -> Option<KeyMaterial> {
    if holds_private_key {
        return Some(KeyMaterial::HoldsPrivateKey);
    }
    let name = path.file_name().map(OsStr::to_string_lossy)?;
    let parent = path
        .parent()
        .and_then(Path::file_name)
        .map(OsStr::to_string_lossy);
    if name == "credentials" && parent.as_deref() == Some(".aws") {
        return Some(KeyMaterial::AwsCredentials);
    }
    // Runs for every scanned file: compare bytes case-insensitively, no lowercased copy.
    let n = name.as_bytes();
    let ends_with =
        |ext: &[u8]| n.len() >= ext.len() && n[n.len() - ext.len()..].eq_ignore_ascii_case(ext);
    let by_ext = [&b".key"[..], b".ppk", b".p12", b".pfx"]
        .into_iter()
        .any(ends_with);
    // `id_rsa`, `id_ed25519_sk`…: no extension (that also rules out `.pub`).
    let ssh_identity = n.len() > 3 && n[..3].eq_ignore_ascii_case(b"id_") && !n.contains(&b'.');
    (by_ext || ssh_identity).then_some(KeyMaterial::KeyFileName)
}

/// A permission problem and its fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    /// The mode the fix sets.
    pub fixed_mode: u32,
    pub what: String,
}

impl Problem {
    /// The command that fixes it, with the path quoted for a POSIX shell.
    pub fn fix_command(&self, path: &Path) -> String {
        format!("chmod {:o} {}", self.fixed_mode, shell_quote_path(path))
    }
}

/// Checks a key file's mode: any group or other bit is a problem. World bits make it
/// critical (anyone on the machine can read or replace the key), group-only bits high.
/// The fix is `600`, or `400` for a key its owner had made read-only.
pub fn check_file(mode: u32, kind: KeyMaterial) -> Option<Problem> {
    let mode = mode & 0o777;
    if mode & 0o077 == 0 {
        return None;
    }
    let severity = if mode & 0o007 != 0 {
        Severity::Critical
    } else {
        Severity::High
    };
    let who = if mode & 0o007 != 0 {
        "every user on this machine"
    } else {
        "its group"
    };
    let access = match (mode & 0o044 != 0, mode & 0o022 != 0) {
        (true, true) => "read and overwrite",
        (false, true) => "overwrite",
        _ => "read",
    };
    Some(Problem {
        severity,
        fixed_mode: if mode & 0o200 == 0 { 0o400 } else { 0o600 },
        what: format!(
            "{} with mode {mode:04o}: {who} can {access} it",
            kind.describe()
        ),
    })
}

/// Checks a `.ssh` directory: anything but `0700` is a finding; group or world write
/// (anyone can plant an `authorized_keys`) is critical, read or search is medium.
pub fn check_ssh_dir(mode: u32) -> Option<Problem> {
    let mode = mode & 0o777;
    if mode & 0o077 == 0 {
        return None;
    }
    let (severity, what) = if mode & 0o022 != 0 {
        (
            Severity::Critical,
            format!(".ssh directory with mode {mode:04o}: others can add keys to it"),
        )
    } else {
        (
            Severity::Medium,
            format!(".ssh directory with mode {mode:04o}: others can list it"),
        )
    };
    Some(Problem {
        severity,
        fixed_mode: 0o700,
        what,
    })
}

/// Applies a fix: sets the mode. The caller has already decided the file is key material.
pub fn apply(path: &Path, problem: &Problem) -> std::io::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(problem.fixed_mode))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        let k = KeyMaterial::HoldsPrivateKey;
        let sev = |m| check_file(m, k).map(|p| p.severity);
        assert_eq!(sev(0o777), Some(Severity::Critical));
        assert_eq!(sev(0o644), Some(Severity::Critical));
        assert_eq!(sev(0o604), Some(Severity::Critical));
        assert_eq!(sev(0o640), Some(Severity::High));
        assert_eq!(sev(0o660), Some(Severity::High));
        assert_eq!(sev(0o600), None);
        assert_eq!(sev(0o400), None);
        assert_eq!(check_file(0o444, k).unwrap().fixed_mode, 0o400);
        assert_eq!(check_file(0o644, k).unwrap().fixed_mode, 0o600);
    }

    #[test]
    fn names() {
        let km = |p: &str| key_material(Path::new(p), false);
        assert_eq!(km("x/server.key"), Some(KeyMaterial::KeyFileName));
        assert_eq!(km("x/id_ed25519"), Some(KeyMaterial::KeyFileName));
        assert_eq!(km("x/id_ed25519.pub"), None);
        assert_eq!(km("x/cert.pem"), None);
        assert_eq!(
            km("home/.aws/credentials"),
            Some(KeyMaterial::AwsCredentials)
        );
        assert_eq!(km("x/credentials"), None);
        assert_eq!(km("x/store.p12"), Some(KeyMaterial::KeyFileName));
    }

    #[test]
    fn quoting() {
        let p = check_file(0o644, KeyMaterial::KeyFileName).unwrap();
        assert_eq!(
            p.fix_command(Path::new("it's.key")),
            "chmod 600 'it'\\''s.key'"
        );
        // A newline or an escape in the name: quoted so the command names exactly it.
        assert_eq!(
            p.fix_command(Path::new("./a\nb\x1b[1m.key")),
            "chmod 600 $'a\\x0ab\\x1b[1m.key'"
        );
        // Not UTF-8: byte for byte, not through U+FFFD (which would name another file).
        use std::os::unix::ffi::OsStrExt;
        let raw = Path::new(std::ffi::OsStr::from_bytes(b"k\xff'.key"));
        assert_eq!(p.fix_command(raw), "chmod 600 $'k\\xff\\'.key'");
    }
}
