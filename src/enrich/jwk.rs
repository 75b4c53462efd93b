//! JSON Web Keys (RFC 7517, 7518, 8037) holding a private part (`"d"`), alone or in a
//! JWK set (`{"keys": […]}`) or anywhere inside a JSON document (an identity provider's
//! realm export, a config). A JSON file has no keyword for the scan core to find a key by,
//! so the gate is cheap and needs no path: the first non-space byte is `{` and the text
//! holds `"kty"` (one memmem pass, only over files that start like a JSON object). What
//! passes is parsed, and each object with a string `kty` and `d` is a key: its public
//! half is computed from `d` (and must agree with `n`/`e`, `x`/`y` or `x` where given),
//! so the fingerprint is the one `ssh-keygen -lf` prints for the same key. A JWK with no
//! `d` is a public key and stays silent.

use base64::Engine as _;
use serde_json::Value;

use super::key_file::{JWK_NAME, JWK_RULE, Structured};
use super::private_key;

/// The keys in `bytes` when it is a JSON document holding JWKs with a private part.
pub fn find(bytes: &[u8]) -> Vec<Structured> {
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        _ => return Vec::new(),
    }
    if memchr::memmem::find(text, b"\"kty\"").is_none() {
        return Vec::new();
    }
    let Ok(doc) = serde_json::from_slice::<Value>(text) else {
        return Vec::new();
    };
    let mut keys = Vec::new();
    private_jwks(&doc, &mut keys, 0);
    let count = keys.len();
    let at = d_values(bytes);
    keys.into_iter()
        .map(|k| structured(&at, k, count))
        .collect()
}

/// Where each `"d": "…"` value is written (escapes aside, a base64url value is written as
/// it is), found in one pass, so that a document of many keys costs linear time.
fn d_values(bytes: &[u8]) -> std::collections::HashMap<&[u8], usize> {
    let mut at = std::collections::HashMap::new();
    for i in memchr::memmem::find_iter(bytes, b"\"d\"") {
        let mut j = i + 3;
        let skip = |j: &mut usize| {
            while bytes.get(*j).is_some_and(u8::is_ascii_whitespace) {
                *j += 1;
            }
        };
        skip(&mut j);
        if bytes.get(j) != Some(&b':') {
            continue;
        }
        j += 1;
        skip(&mut j);
        if bytes.get(j) != Some(&b'"') {
            continue;
        }
        let start = j + 1;
        if let Some(len) = memchr::memchr(b'"', &bytes[start..]) {
            at.entry(&bytes[start..start + len]).or_insert(start);
        }
    }
    at
}

/// Every object under `v` with a string `kty` and a string `d`, in document order.
fn private_jwks<'v>(v: &'v Value, out: &mut Vec<&'v serde_json::Map<String, Value>>, depth: u32) {
    if depth > 32 {
        return;
    }
    match v {
        Value::Object(o) => {
            if o.get("kty").is_some_and(Value::is_string)
                && o.get("d").is_some_and(Value::is_string)
            {
                out.push(o);
                return;
            }
            for child in o.values() {
                private_jwks(child, out, depth + 1);
            }
        }
        Value::Array(a) => {
            for child in a {
                private_jwks(child, out, depth + 1);
            }
        }
        _ => {}
    }
}

fn base64url(s: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const URL: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    URL.decode(s).ok().filter(|b| !b.is_empty())
}

fn structured(
    at: &std::collections::HashMap<&[u8], usize>,
    k: &serde_json::Map<String, Value>,
    count: usize,
) -> Structured {
    let field = |name: &str| k.get(name).and_then(Value::as_str);
    let kty = field("kty").unwrap_or_default();
    let d = field("d").unwrap_or_default();
    let mut facts = private_key::jwk(kty, field("crv"), |name| field(name).and_then(base64url));
    let kid: Option<String> =
        field("kid").map(|s| s.chars().filter(|c| !c.is_control()).take(64).collect());
    facts.comment = kid.clone();
    if count > 1 {
        facts.private_keys = Some(count);
    }
    let kty_shown: String = kty
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    let redacted = format!(
        "{{\"kty\": \"{kty_shown}\"{}, \"d\": …[redacted {} characters]}}",
        kid.as_deref()
            .map(|k| format!(", \"kid\": \"{k}\""))
            .unwrap_or_default(),
        d.len()
    );
    let offset = at.get(d.as_bytes()).copied().unwrap_or(0);
    Structured {
        rule: JWK_RULE,
        name: JWK_NAME,
        facts,
        canonical: d.as_bytes().to_vec(),
        redacted,
        clear: d.to_string(),
        offset,
    }
}
