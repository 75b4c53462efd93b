//! The workstation's severity model: a private key at rest where it belongs (in `~/.ssh`
//! or named by an `IdentityFile` of `~/.ssh/config`, mode 0600/0400, the home owner's) is
//! inventory, not a leak; a copy of it elsewhere says so; loose modes in `~/.ssh` are
//! critical.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::finding::{Category, Finding, display_path};

/// The workstation's severity model. A private key *at rest* — in `~/.ssh` or a path
/// `~/.ssh/config` names as an `IdentityFile`, mode 0600 or 0400, owned by the home's
/// owner — is where it belongs: inventory (low, with what makes it weaker), not a leak. A
/// copy of it anywhere else says so. Loose permissions on key material in `~/.ssh` are
/// critical: OpenSSH itself refuses such a key.
pub(super) fn at_rest(home: &Path, findings: &mut [Finding]) {
    use std::os::unix::fs::MetadataExt;
    let Ok(home_md) = std::fs::metadata(home) else {
        return;
    };
    let ssh = home.join(".ssh");
    let identities = identity_files(home);
    let shown = |p: &Path| match p.strip_prefix(home) {
        Ok(rel) => format!("~/{}", display_path(rel)),
        Err(_) => display_path(p),
    };
    let mut resting: HashMap<String, String> = HashMap::new();
    for f in findings.iter_mut() {
        let path = Path::new(&f.path);
        let in_ssh = path.starts_with(&ssh);
        if f.category == Category::InsecurePermissions && in_ssh && path != ssh {
            f.severity = crate::rules::Severity::Critical;
            continue;
        }
        if f.category != Category::PrivateKey || f.git().is_some() || f.path.contains('!') {
            continue;
        }
        let Some(file) = f.file() else { continue };
        let mode = u32::from_str_radix(&file.mode, 8).unwrap_or(0o777);
        let hosts: Vec<String> = identities
            .iter()
            .filter(|(p, _)| p == path)
            .flat_map(|(_, h)| h.iter().cloned())
            .collect();
        let placed = in_ssh || !hosts.is_empty();
        if !placed || mode & 0o077 != 0 || file.uid != home_md.uid() {
            continue;
        }
        let mut weaknesses = Vec::new();
        // One key for many servers (pitfall 2): nobody can tell who logged in where, and
        // replacing it means every one of them.
        if hosts.len() > 1 {
            weaknesses.push(format!(
                "one key for {} hosts ({})",
                hosts.len(),
                hosts.join(", ")
            ));
        }
        if let Some(k) = &f.key {
            if !k.encrypted {
                weaknesses.push("no passphrase".to_string());
            }
            match (k.algorithm.as_deref(), k.bits) {
                (Some("dsa"), _) => weaknesses.push("DSA (OpenSSH refuses it since 7.0)".into()),
                (Some("rsa"), Some(bits)) if bits < 2048 => {
                    weaknesses.push(format!("RSA {bits} bits (under 2048)"))
                }
                _ => {}
            }
            if let Some(fp) = &k.sha256 {
                resting.entry(fp.clone()).or_insert_with(|| shown(path));
            }
        }
        let age_days = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .map(|d| d.as_secs() / 86_400);
        f.severity = crate::rules::Severity::Low;
        f.at_rest = Some(crate::finding::AtRest {
            weaknesses,
            age_days,
        });
    }
    for f in findings.iter_mut() {
        if f.category == Category::PrivateKey
            && f.at_rest.is_none()
            && let Some(place) = f
                .key
                .as_ref()
                .and_then(|k| resting.get(k.sha256.as_deref()?))
        {
            f.copy_of = Some(place.clone());
        }
    }
}

/// The `IdentityFile` paths of `~/.ssh/config` (absolute, or `~/`-relative), each with
/// the `Host` patterns whose blocks name it.
fn identity_files(home: &Path) -> Vec<(PathBuf, Vec<String>)> {
    let Ok(text) = std::fs::read_to_string(home.join(".ssh/config")) else {
        return Vec::new();
    };
    let mut out: Vec<(PathBuf, Vec<String>)> = Vec::new();
    let mut hosts: Vec<String> = vec!["*".into()];
    for line in text.lines() {
        let line = line.trim();
        let Some((key, value)) = line.split_once(|c: char| c.is_whitespace() || c == '=') else {
            continue;
        };
        let value = value.trim_start_matches(|c: char| c.is_whitespace() || c == '=');
        let value = value.trim();
        if key.eq_ignore_ascii_case("host") {
            hosts = value.split_whitespace().map(str::to_string).collect();
            continue;
        }
        if key.eq_ignore_ascii_case("match") {
            hosts = vec![format!("match {value}")];
            continue;
        }
        if !key.eq_ignore_ascii_case("identityfile") {
            continue;
        }
        let value = value.trim_matches('"');
        let path = match value.strip_prefix("~/") {
            Some(rest) => home.join(rest),
            None if value.starts_with('/') => PathBuf::from(value),
            None => continue,
        };
        match out.iter_mut().find(|(p, _)| *p == path) {
            Some((_, h)) => h.extend(hosts.iter().cloned()),
            None => out.push((path, hosts.clone())),
        }
    }
    out
}
