//! Private-key intelligence: for every fixture key, the fingerprint equals what
//! `ssh-keygen -lf` prints for its public half (tests/fixtures/keys/FINGERPRINTS, written
//! by generate.sh), and format facts are right; broken bodies are reported as invalid;
//! reuse and `authorized_keys` trust are linked.

use crate::util::{TestDir, key, normalize_text};
use serde_json::{Value, json};

/// Formats whose public half cannot be had without the passphrase.
fn fingerprint_needs_passphrase(name: &str) -> bool {
    matches!(
        name,
        "pem_rsa_enc"
            | "pem_ecdsa256_enc"
            | "openssl_pkcs1_rsa_enc.pem"
            | "pkcs8_rsa_enc"
            | "pkcs8_ecdsa256_enc"
            | "openssl_pkcs8_rsa_enc.pem"
            | "sshcom_rsa"
    )
}

fn scan_key(text: &str) -> Value {
    let d = TestDir::new();
    d.write("k", text);
    let run = d.run(&["scan", "--format", "jsonl", "-q"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let mut found = run.secrets();
    assert_eq!(found.len(), 1, "{found:?}");
    found.remove(0)
}

#[test]
fn fingerprints_and_facts_match_ssh_keygen() {
    let mut failures = Vec::new();
    for line in key("FINGERPRINTS").lines() {
        let [name, fp, alg, bits, enc] = line.split_whitespace().collect::<Vec<_>>()[..] else {
            panic!("bad FINGERPRINTS line {line}");
        };
        let f = scan_key(&key(name));
        let k = &f["key"];
        let encrypted = enc == "yes";
        let hidden = fingerprint_needs_passphrase(name);
        let want_alg = match alg {
            "RSA" => "rsa",
            "ECDSA" => "ecdsa",
            "ED25519" => "ed25519",
            "DSA" => "dsa",
            other => panic!("{other}"),
        };
        let mut want = json!({
            "sha256": if hidden { Value::Null } else { fp.into() },
            "encrypted": encrypted,
            "valid": true,
            "severity": if encrypted { "high" } else { "critical" },
        });
        if !hidden {
            want["algorithm"] = want_alg.into();
            want["bits"] = bits.parse::<u64>().unwrap().into();
        }
        let mut got = json!({
            "sha256": k["sha256"],
            "encrypted": k["encrypted"],
            "valid": k["valid"],
            "severity": f["severity"],
        });
        if !hidden {
            got["algorithm"] = k["algorithm"].clone();
            got["bits"] = k["bits"].clone();
        }
        if got != want {
            failures.push(format!(
                "{name} ({}):\n  got  {got}\n  want {want}",
                k["format"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn formats_curves_and_comments() {
    let facts = |name: &str| {
        let f = scan_key(&key(name));
        (
            f["key"]["format"].as_str().unwrap().to_string(),
            f["key"]["curve"].as_str().map(str::to_string),
            f["key"]["comment"].as_str().map(str::to_string),
        )
    };
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        facts("openssh_ed25519"),
        ("openssh".into(), None, s("keysweep-fixture"))
    );
    assert_eq!(
        facts("openssh_ecdsa384"),
        ("openssh".into(), s("nistp384"), s("keysweep-fixture"))
    );
    // Encrypted OpenSSH keys hide their comment, not their public key.
    assert_eq!(facts("openssh_rsa_enc"), ("openssh".into(), None, None));
    assert_eq!(facts("pem_rsa"), ("pkcs1".into(), None, None));
    assert_eq!(
        facts("openssl_sec1_ec.pem"),
        ("sec1".into(), s("nistp256"), None)
    );
    assert_eq!(
        facts("openssl_pkcs8_ed25519.pem"),
        ("pkcs8".into(), None, None)
    );
    assert_eq!(
        facts("pkcs8_rsa_enc"),
        ("pkcs8-encrypted".into(), None, None)
    );
    assert_eq!(facts("openssl_dsa.pem"), ("dsa-openssl".into(), None, None));
    assert_eq!(
        facts("ppk_v2_rsa_enc.ppk"),
        ("putty-v2".into(), None, s("keysweep-fixture"))
    );
    assert_eq!(
        facts("ppk_v3_ed25519.ppk"),
        ("putty-v3".into(), None, s("keysweep-fixture"))
    );
    assert_eq!(
        facts("pgp_secret.asc"),
        (
            "pgp".into(),
            None,
            s("keysweep-fixture <fixture@keysweep.invalid>")
        )
    );
    assert_eq!(
        facts("sshcom_rsa"),
        ("ssh2".into(), None, s("keysweep-fixture"))
    );
}

/// A truncated or corrupted body is still a finding, marked invalid and one level lower.
#[test]
fn broken_bodies_are_reported_invalid() {
    let text = key("openssh_rsa2048");
    let truncated: String = text.lines().take(12).map(|l| format!("{l}\n")).collect();
    let f = scan_key(&truncated);
    assert_eq!(
        (f["key"]["valid"].clone(), f["severity"].clone()),
        (json!(false), json!("high"))
    );

    // Same length, same alphabet, not DER.
    let pem = key("pem_rsa");
    let corrupted: String = pem
        .lines()
        .map(|l| {
            if l.starts_with("-----") {
                format!("{l}\n")
            } else {
                format!("{}\n", l.chars().rev().collect::<String>())
            }
        })
        .collect();
    let f = scan_key(&corrupted);
    assert_eq!(f["key"]["valid"], false);
    assert_eq!(f["key"]["sha256"], Value::Null);
    assert_eq!(f["severity"], "high");
}

/// One key in three places (two files and a JSON carrier) is grouped, and the public half
/// in an `authorized_keys` file and a `.pub` file says who trusts it.
#[test]
fn reuse_and_trust() {
    let d = TestDir::new();
    let k = key("openssh_ed25519");
    d.write("laptop/.ssh/id_ed25519", &k);
    d.write("Downloads/deploy-key", &k);
    d.write(
        "ci/config.json",
        format!("{{\"key\": \"{}\"}}\n", k.replace('\n', "\\n")),
    );
    d.write("laptop/.ssh/id_ed25519.pub", key("openssh_ed25519.pub"));
    d.write(
        "server/.ssh/authorized_keys",
        format!(
            "{}command=\"/usr/bin/backup\",no-pty {}",
            key("openssh_rsa2048.pub"),
            key("openssh_ed25519.pub")
        ),
    );
    d.write("other/id_rsa", key("pem_rsa"));

    let run = d.run(&["scan", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let fp = "SHA256:DWTE6E1lI996XPbDIuIS4qMBEiJkccWARBK+cW2UAuQ";
    assert_eq!(
        doc["summary"]["reused_keys"],
        json!([{
            "sha256": fp,
            "count": 3,
            "places": [
                {"path": "Downloads/deploy-key", "line": 1},
                {"path": "ci/config.json", "line": 1},
                {"path": "laptop/.ssh/id_ed25519", "line": 1},
            ]
        }])
    );
    let trusted = json!([
        {"path": "laptop/.ssh/id_ed25519.pub", "line": 1},
        {"path": "server/.ssh/authorized_keys", "line": 2},
    ]);
    for f in doc["findings"].as_array().unwrap() {
        if f["key"]["sha256"] == fp {
            assert_eq!(f["key"]["authorized_in"], trusted, "{}", f["path"]);
        } else {
            assert!(f["key"].get("authorized_in").is_none(), "{}", f["path"]);
        }
    }

    let human = d.run(&["scan", "--color", "never"]);
    insta::assert_snapshot!(normalize_text(&human.stdout));
}
