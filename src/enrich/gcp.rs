//! Google Cloud service-account key files: the PKCS#8 key is found by the PEM rules; the
//! JSON around it names the account (`client_email`), its project and the key's id, which
//! is what a responder needs to disable exactly that key. Read from the bytes around the
//! key, so a key file pasted into another document (a CI variable, a Kubernetes secret in
//! clear) is named too.

use std::ops::Range;
use std::sync::OnceLock;

use regex::bytes::Regex;

use crate::finding::GcpServiceAccount;

/// How far from the key the file's other fields may be (a key file is about 2.3 KB).
const REACH: usize = 8 << 10;

fn field(name: &str, value: &str) -> Regex {
    Regex::new(&format!(r#""{name}"\s*:\s*"({value})""#)).expect("a valid pattern")
}

struct Fields {
    kind: Regex,
    email: Regex,
    project: Regex,
    key_id: Regex,
}

fn fields() -> &'static Fields {
    static FIELDS: OnceLock<Fields> = OnceLock::new();
    FIELDS.get_or_init(|| Fields {
        kind: field("type", "service_account"),
        // Only the characters these fields can hold: they are printed inside commands.
        email: field(
            "client_email",
            r"[A-Za-z0-9._%+-]{1,128}@[A-Za-z0-9.-]{1,255}",
        ),
        project: field("project_id", r"[a-z][a-z0-9:.-]{3,62}"),
        key_id: field("private_key_id", r"[0-9a-f]{40}"),
    })
}

/// The service account whose key file holds the key at `key` in `data`, when a
/// `"type": "service_account"` and a `client_email` stand within reach of it (the ones
/// nearest the key, should a document hold several).
pub fn service_account(data: &[u8], key: Range<usize>) -> Option<GcpServiceAccount> {
    let from = key.start.saturating_sub(REACH);
    let to = key.end.saturating_add(REACH).min(data.len());
    let near = &data[from..to];
    let f = fields();
    let at = key.start - from;
    let nearest = |re: &Regex| -> Option<String> {
        re.captures_iter(near)
            .filter_map(|c| c.get(1))
            .min_by_key(|m| m.start().abs_diff(at))
            .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
    };
    f.kind.find(near)?;
    Some(GcpServiceAccount {
        client_email: nearest(&f.email)?,
        project_id: nearest(&f.project),
        private_key_id: nearest(&f.key_id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_beside_the_key_are_read_and_others_are_not() {
        let doc = br#"{"type": "service_account", "project_id": "acme-prod",
  "private_key_id": "0123456789abcdef0123456789abcdef01234567",
  "private_key": "KEY", "client_email": "ci@acme-prod.iam.gserviceaccount.com"}"#;
        let at = doc.windows(3).position(|w| w == b"KEY").unwrap();
        let sa = service_account(doc, at..at + 3).unwrap();
        assert_eq!(sa.client_email, "ci@acme-prod.iam.gserviceaccount.com");
        assert_eq!(sa.project_id.as_deref(), Some("acme-prod"));
        assert_eq!(
            sa.private_key_id.as_deref(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
        let not_gcp = br#"{"private_key": "KEY", "client_email": "a@b.c"}"#;
        assert!(service_account(not_gcp, 17..20).is_none());
        let injected = br#"{"type": "service_account", "private_key": "KEY", "client_email": "a@b.c; rm -rf ~"}"#;
        assert!(service_account(injected, 45..48).is_none());
    }
}
