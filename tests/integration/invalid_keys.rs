//! A block with an intact armour and a key-sized body that does not parse is reported
//! (`key.valid: false`, one severity lower) with what failed, in every report format, and
//! the reason never holds key material.

use std::path::Path;

use crate::util::{self, TestDir, key};
use base64::Engine as _;
use serde_json::Value;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// `name`'s fixture with its DER body changed at `at` to `byte`, re-armoured.
fn damaged(name: &str, at: usize, byte: u8) -> String {
    let text = key(name);
    let lines: Vec<&str> = text.lines().collect();
    let mut der = B64.decode(lines[1..lines.len() - 1].concat()).unwrap();
    der[at] = byte;
    let body = B64.encode(der);
    let wrapped: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "{}\n{}\n{}\n",
        lines[0],
        wrapped.join("\n"),
        lines[lines.len() - 1]
    )
}

/// No run of 12 characters of `body` (its base64 lines) is in `text`.
fn holds_no_material(text: &str, body: &str) {
    let body: String = body.lines().filter(|l| !l.starts_with("-----")).collect();
    for i in 0..body.len().saturating_sub(12) {
        let piece = &body[i..i + 12];
        assert!(!text.contains(piece), "key material {piece:?} in {text:?}");
    }
}

fn scan(dir: &Path, format: &str) -> util::Run {
    util::run_in(
        dir,
        &[
            "scan",
            "--format",
            format,
            "--skip-rule",
            "insecure-permissions",
            "--color",
            "never",
            ".",
        ],
    )
}

#[test]
fn a_key_that_does_not_parse_says_what_failed_in_every_format() {
    let d = TestDir::new();
    // The version INTEGER's tag made a SEQUENCE's, and a PKCS#8 key's algorithm OID tag
    // made an INTEGER's.
    let pkcs1 = damaged("openssl_pkcs1_rsa.pem", 4, 0x30);
    let pkcs8 = damaged("openssl_pkcs8_ec.pem", 7, 0x02);
    d.write("a/pkcs1.pem", &pkcs1);
    d.write("b/pkcs8.pem", &pkcs8);

    let run = scan(d.path(), "jsonl");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = run.secrets();
    assert_eq!(found.len(), 2, "{found:?}");
    let reasons: Vec<String> = found
        .iter()
        .map(|f| {
            assert_eq!(f["key"]["valid"], false, "{f}");
            assert_eq!(f["severity"], "high", "{f}");
            assert_eq!(f["key"]["sha256"], Value::Null, "{f}");
            f["key"]["invalid_reason"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(reasons[0].starts_with("RSA: "), "{reasons:?}");
    assert!(reasons[0].contains("expected INTEGER"), "{reasons:?}");
    assert!(reasons[1].starts_with("PKCS#8: "), "{reasons:?}");
    for r in &reasons {
        assert!(r.len() < 160, "{r}");
    }

    // The same reasons in every other format, and no key material beside them.
    let json = scan(d.path(), "json");
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    let in_json: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["key"]["invalid_reason"].as_str())
        .collect();
    assert_eq!(in_json.len(), 2, "{}", json.stdout);
    let sarif = scan(d.path(), "sarif");
    let doc: Value = serde_json::from_str(&sarif.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    for r in results {
        let why = r["properties"]["key"]["invalid_reason"].as_str().unwrap();
        assert!(reasons.iter().any(|x| x == why), "{why}");
        let text = r["message"]["text"].as_str().unwrap();
        assert!(text.contains(&format!("not a valid key: {why}")), "{text}");
    }
    let human = scan(d.path(), "human");
    let html = scan(d.path(), "html");
    let github = scan(d.path(), "github");
    for r in &reasons {
        assert!(
            human.stdout.contains(&format!("not a valid key: {r}")),
            "{}",
            human.stdout
        );
        assert!(github.stdout.contains(r), "{}", github.stdout);
        // HTML escapes what it shows.
        let escaped = r
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        assert!(html.stdout.contains(&escaped), "{r}");
    }
    assert!(human.stdout.contains("no fingerprint"), "{}", human.stdout);
    for out in [
        &run.stdout,
        &json.stdout,
        &sarif.stdout,
        &human.stdout,
        &github.stdout,
        &html.stdout,
    ] {
        holds_no_material(out, &pkcs1);
        holds_no_material(out, &pkcs8);
    }
}

#[test]
fn a_body_that_does_not_decode_says_so() {
    let d = TestDir::new();
    let text = key("openssl_pkcs1_rsa.pem");
    let lines: Vec<&str> = text.lines().collect();
    // One character off the body: its length is no longer a base64 length.
    let mut body: String = lines[1..lines.len() - 1].concat();
    body.pop();
    body.pop();
    body.pop();
    d.write(
        "k.pem",
        format!("{}\n{body}\n{}\n", lines[0], lines[lines.len() - 1]),
    );
    let run = scan(d.path(), "jsonl");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = run.secrets();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["key"]["valid"], false);
    assert_eq!(
        found[0]["key"]["invalid_reason"],
        "base64 body does not decode"
    );
}

#[test]
fn a_truncated_openssh_key_keeps_its_fingerprint_and_says_why() {
    let d = TestDir::new();
    let text = key("openssh_ed25519");
    let lines: Vec<&str> = text.lines().collect();
    let mut raw = B64.decode(lines[1..lines.len() - 1].concat()).unwrap();
    raw.truncate(raw.len() - 40);
    d.write(
        "id_ed25519",
        format!(
            "{}\n{}\n{}\n",
            lines[0],
            B64.encode(raw),
            lines[lines.len() - 1]
        ),
    );
    let run = scan(d.path(), "jsonl");
    let found = run.secrets();
    assert_eq!(found.len(), 1, "{}", run.stderr);
    let k = &found[0]["key"];
    assert_eq!(k["valid"], false);
    // The public half is in clear and sound: the fingerprint is the key's.
    assert_eq!(
        k["sha256"],
        "SHA256:DWTE6E1lI996XPbDIuIS4qMBEiJkccWARBK+cW2UAuQ"
    );
    assert_eq!(
        k["invalid_reason"],
        "OpenSSH: private section is missing or truncated"
    );
}
