//! Every fixture key, in every carrier keys really end up in, is found exactly once, by the
//! right rule, on the right line, with the same content-keyed id in every carrier.

use crate::util::{TestDir, key, private_key_fixtures};
use base64::Engine as _;

/// The rule that must find a fixture, from its armour.
fn expected_rule(text: &str) -> &'static str {
    let first = text.lines().next().unwrap();
    match first {
        l if l.starts_with("PuTTY-User-Key-File-") => "private-key-putty",
        l if l.contains("SSH2 ENCRYPTED") => "private-key-ssh2",
        l if l.contains("OPENSSH PRIVATE KEY") => "private-key-openssh",
        l if l.contains("RSA PRIVATE KEY") => "private-key-rsa",
        l if l.contains("DSA PRIVATE KEY") => "private-key-dsa",
        l if l.contains("EC PRIVATE KEY") => "private-key-ec",
        l if l.contains("ENCRYPTED PRIVATE KEY") => "private-key-pkcs8-encrypted",
        l if l.contains("BEGIN PRIVATE KEY") => "private-key-pkcs8",
        l if l.contains("PGP PRIVATE KEY BLOCK") => "private-key-pgp",
        l => panic!("no rule expected for {l}"),
    }
}

/// A carrier: a file name, a function wrapping the key, and the 1-based line where the key
/// starts in the result.
struct Carrier {
    name: &'static str,
    file: &'static str,
    wrap: fn(&str) -> String,
    line: usize,
}

fn lines(k: &str) -> Vec<&str> {
    k.trim_end().lines().collect()
}

const CARRIERS: &[Carrier] = &[
    Carrier {
        name: "own file",
        file: "id_key",
        wrap: |k| k.to_string(),
        line: 1,
    },
    Carrier {
        name: "CRLF",
        file: "key.pem",
        wrap: |k| k.replace('\n', "\r\n"),
        line: 1,
    },
    Carrier {
        name: "JSON string with \\n escapes",
        file: "service-account.json",
        wrap: |k| {
            format!(
                "{{\n  \"type\": \"service_account\",\n  \"private_key\": \"{}\",\n  \"client_email\": \"x@example.invalid\"\n}}\n",
                k.replace('\n', "\\n")
            )
        },
        line: 3,
    },
    Carrier {
        name: "YAML block scalar",
        file: "values.yaml",
        wrap: |k| {
            let body: String = lines(k).iter().map(|l| format!("    {l}\n")).collect();
            format!("deploy:\n  key: |\n{body}  user: deploy\n")
        },
        line: 3,
    },
    Carrier {
        name: "Python concatenated string lines",
        file: "settings.py",
        wrap: |k| {
            let body: String = lines(k)
                .iter()
                .map(|l| format!("    \"{l}\\n\"\n"))
                .collect();
            format!("import os\n\nKEY = (\n{body})\n")
        },
        line: 4,
    },
    Carrier {
        name: "Python triple-quoted string",
        file: "conftest.py",
        wrap: |k| format!("KEY = \"\"\"{}\"\"\"\n", k),
        line: 1,
    },
    Carrier {
        name: "Go concatenated strings",
        file: "key.go",
        wrap: |k| {
            let body: Vec<String> = lines(k).iter().map(|l| format!("\t\"{l}\\n\"")).collect();
            format!(
                "package main\n\nconst key = \"\" +\n{}\n",
                body.join(" +\n")
            )
        },
        line: 4,
    },
    Carrier {
        name: "JS template literal",
        file: "config.js",
        wrap: |k| format!("module.exports = {{\n  key: `{}`,\n}};\n", k),
        line: 2,
    },
    Carrier {
        name: "Terraform heredoc",
        file: "main.tf",
        wrap: |k| {
            format!(
                "resource \"tls_private_key\" \"x\" {{\n  private_key_pem = <<EOT\n{}EOT\n}}\n",
                k
            )
        },
        line: 3,
    },
    Carrier {
        name: ".env value with literal \\n",
        file: ".env",
        wrap: |k| {
            format!(
                "DATABASE_URL=postgres://localhost/app\nSSH_KEY=\"{}\"\n",
                k.trim_end().replace('\n', "\\n")
            )
        },
        line: 2,
    },
    Carrier {
        name: "Markdown code fence",
        file: "README.md",
        wrap: |k| format!("# Deploy\n\nUse this key:\n\n```\n{}```\n", k),
        line: 6,
    },
];

fn scan_one(dir: &TestDir) -> Vec<serde_json::Value> {
    let run = dir.run(&["scan", "--format", "jsonl", "-q"]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    run.secrets()
}

#[test]
fn every_fixture_key_in_every_carrier() {
    let mut failures = Vec::new();
    for name in private_key_fixtures() {
        let text = key(&name);
        let rule = expected_rule(&text);
        let mut ids = Vec::new();
        for c in CARRIERS {
            let dir = TestDir::new();
            dir.write(c.file, (c.wrap)(&text));
            let found = scan_one(&dir);
            let what = format!("{name} in {}", c.name);
            if found.len() != 1 {
                failures.push(format!("{what}: {} findings: {found:?}", found.len()));
                continue;
            }
            let f = &found[0];
            if f["rule"] != rule || f["line"] != c.line || f["path"] != c.file {
                failures.push(format!(
                    "{what}: got {} line {} in {}, want {rule} line {}",
                    f["rule"], f["line"], f["path"], c.line
                ));
            }
            ids.push(f["id"].as_str().unwrap().to_string());
        }
        ids.dedup();
        if ids.len() > 1 {
            failures.push(format!("{name}: ids differ between carriers: {ids:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Kubernetes `Secret` data is base64 of the whole PEM file.
#[test]
fn base64_pem_in_kubernetes_secret() {
    for name in private_key_fixtures() {
        let text = key(&name);
        if !text.starts_with("-----BEGIN") {
            continue; // PuTTY and SSH2 files do not start with `-----BEGIN`.
        }
        let dir = TestDir::new();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&text);
        dir.write(
            "secret.yaml",
            format!(
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: deploy\ndata:\n  key: {b64}\n"
            ),
        );
        let found = scan_one(&dir);
        assert_eq!(found.len(), 1, "{name}: {found:?}");
        assert_eq!(found[0]["rule"], "private-key-pem-base64", "{name}");
        assert_eq!(found[0]["line"], 6, "{name}");

        // Same key, same id, whatever the carrier.
        let plain = TestDir::new();
        plain.write("k", &text);
        assert_eq!(scan_one(&plain)[0]["id"], found[0]["id"], "{name}");
    }
}

/// Keys inside binary files (keystores, archives of text) are found: there is no
/// "binary, skipped" shortcut.
#[test]
fn key_inside_binary_file() {
    let dir = TestDir::new();
    let mut bytes: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    bytes.extend_from_slice(key("openssh_ed25519").as_bytes());
    bytes.extend((0..=255u8).rev().cycle().take(10_000));
    dir.write("backup.bin", bytes);
    let found = scan_one(&dir);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["rule"], "private-key-openssh");
}

/// Several keys in one file are each reported, on their own lines.
#[test]
fn several_keys_in_one_file() {
    let dir = TestDir::new();
    let content = format!(
        "{}\n{}\n{}",
        key("openssh_ed25519"),
        key("pem_rsa"),
        key("ppk_v3_rsa.ppk")
    );
    dir.write("bundle.txt", &content);
    let found = scan_one(&dir);
    let got: Vec<(String, u64)> = found
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let l2 = key("openssh_ed25519").lines().count() as u64 + 2;
    let l3 = l2 + key("pem_rsa").lines().count() as u64 + 1;
    assert_eq!(
        got,
        vec![
            ("private-key-openssh".to_string(), 1),
            ("private-key-rsa".to_string(), l2),
            ("private-key-putty".to_string(), l3),
        ]
    );
}
