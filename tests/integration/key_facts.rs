//! The facts keysweep gives a key are a real key's or say `valid: false`: EC keys with
//! explicit curve parameters and compressed points get ssh-keygen's fingerprint, a BER
//! copy groups with its DER original, unencrypted ssh.com keys are fingerprinted, and a
//! curve name that does not match the point, DSA and RSA numbers that do not agree and
//! degenerate scalars are reported `valid: false` (one severity lower), with why.
//! Fixtures and their expected facts (from ssh-keygen): tests/fixtures/keyfacts/.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::util::{self, TestDir};
use serde_json::Value;

fn dir() -> PathBuf {
    util::fixtures().parent().unwrap().join("keyfacts")
}

/// Each fixture's finding, by file name, from one scan of a copy of the fixtures.
fn scan_fixtures(d: &TestDir) -> HashMap<String, Value> {
    for e in std::fs::read_dir(dir()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), d.path().join(e.file_name())).unwrap();
    }
    let run = d.run(&["scan", "--format", "jsonl", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let mut by_file = HashMap::new();
    for f in run.secrets() {
        let name = f["path"]
            .as_str()
            .unwrap()
            .trim_start_matches("./")
            .to_string();
        assert!(
            by_file.insert(name.clone(), f).is_none(),
            "two findings in {name}"
        );
    }
    by_file
}

fn expected() -> Vec<Vec<String>> {
    std::fs::read_to_string(dir().join("EXPECTED"))
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

#[test]
fn every_fixture_has_the_facts_ssh_keygen_gives() {
    let d = TestDir::new();
    let found = scan_fixtures(&d);
    let expected = expected();
    assert!(expected.len() >= 17);
    for e in &expected {
        let [file, sha256, algorithm, curve, bits, valid] = &e[..] else {
            panic!("bad EXPECTED line {e:?}");
        };
        let f = found
            .get(file)
            .unwrap_or_else(|| panic!("{file}: not reported"));
        let k = &f["key"];
        let or_dash = |v: &Value| match v {
            Value::Null => "-".to_string(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let got = [
            or_dash(&k["sha256"]),
            or_dash(&k["algorithm"]),
            or_dash(&k["curve"]),
            or_dash(&k["bits"]),
            if k["valid"] == true { "yes" } else { "no" }.to_string(),
        ];
        assert_eq!(
            got,
            [sha256, algorithm, curve, bits, valid].map(String::as_str),
            "{file}"
        );
        if valid == "yes" {
            assert_eq!(f["severity"], "critical", "{file}");
            assert!(k.get("invalid_reason").is_none(), "{file}: {k}");
        } else {
            // Reported one severity lower, never with a fingerprint, and saying why.
            assert_eq!(f["severity"], "high", "{file}");
            let why = k["invalid_reason"].as_str().unwrap_or_default();
            assert!(!why.is_empty(), "{file}: {k}");
        }
    }
    assert_eq!(found.len(), expected.len(), "{:?}", found.keys());
}

#[test]
fn invalid_keys_say_what_failed() {
    let d = TestDir::new();
    let found = scan_fixtures(&d);
    let why = |file: &str| {
        found[file]["key"]["invalid_reason"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(why("rsa_bad_pq.pem"), "RSA: n != p*q");
    assert_eq!(why("dsa_bad_y.pem"), "DSA: y != g^x mod p");
    assert_eq!(
        why("ec_wrong_curve.pem"),
        "EC: public point is not on the named curve"
    );
    assert_eq!(why("ec256_degenerate.pem"), "EC: degenerate private scalar");
    assert_eq!(
        why("ed25519_degenerate.pem"),
        "Ed25519: degenerate private seed"
    );
}

#[test]
fn a_ber_copy_groups_with_its_der_original() {
    let d = TestDir::new();
    let found = scan_fixtures(&d);
    let (der, ber) = (&found["rsa.pem"], &found["rsa_ber.pem"]);
    assert_eq!(der["id"], ber["id"]);
    assert_eq!(der["key"]["sha256"], ber["key"]["sha256"]);
    // The same key in ssh.com's format has the same fingerprint (a different body).
    assert_eq!(
        der["key"]["sha256"],
        found["sshcom_rsa_plain"]["key"]["sha256"]
    );
    assert_eq!(found["sshcom_rsa_plain"]["key"]["format"], "ssh2");
    assert_eq!(found["sshcom_rsa_plain"]["key"]["encrypted"], false);
    assert_eq!(
        found["sshcom_rsa_plain"]["key"]["comment"],
        "keysweep-fixture"
    );
}

#[test]
fn a_degenerate_body_is_reported_but_a_placeholder_is_not() {
    let d = TestDir::new();
    d.write(
        "degenerate.pem",
        std::fs::read(dir().join("ed25519_degenerate.pem")).unwrap(),
    );
    // A placeholder of the same length: the body does not decode to a key structure.
    let body = "A".repeat(64);
    d.write(
        "placeholder.pem",
        format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"),
    );
    let run = d.run(&["scan", "--format", "jsonl", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = run.secrets();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]["path"]
            .as_str()
            .unwrap()
            .ends_with("degenerate.pem"),
        "{found:?}"
    );
    assert_eq!(found[0]["key"]["valid"], false);
}
