//! Finding ids: keyed by content (the category and the secret in canonical form), or, for
//! a finding about a place, by the place. Never by line or commit, so a baseline survives
//! rebases, renames and moved lines. An id cannot be turned back into its secret.

use std::path::Path;

use sha2::{Digest, Sha256};

/// `ks-` and 24 hex digits of SHA-256 over the category and the canonical secret. The
/// secret cannot be recovered from it, so ids may be stored and shared (baselines).
pub fn content_id(category: &str, canonical: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"keysweep-finding-v1\0");
    h.update(category.as_bytes());
    h.update(b"\0");
    h.update(canonical);
    let digest = h.finalize();
    let mut out = String::with_capacity(27);
    out.push_str("ks-");
    for b in &digest[..12] {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// `ks-` and 24 hex digits keyed by a place (`category` and a path): the id of a finding
/// about a place rather than a secret (a file's mode), never equal to a content id. The
/// path's raw bytes (less a leading `./`, as reports show it), so two names that differ
/// only in bytes that are not UTF-8 never share an id.
pub fn location_id(category: &str, path: &Path) -> String {
    let raw = path.as_os_str().as_encoded_bytes();
    content_id(
        &format!("{category}@location"),
        raw.strip_prefix(b"./").unwrap_or(raw),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_content_keyed() {
        let a = content_id("aws-access-key", b"AKIAJ2FAN53GZUWG6CJZ");
        assert_eq!(a, content_id("aws-access-key", b"AKIAJ2FAN53GZUWG6CJZ"));
        assert_ne!(a, content_id("aws-secret-key", b"AKIAJ2FAN53GZUWG6CJZ"));
        assert!(a.starts_with("ks-") && a.len() == 27);
    }
}
