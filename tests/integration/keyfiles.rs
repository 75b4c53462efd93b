//! Private keys found by their structure, not a keyword: binary DER keys (PKCS#8 plain and
//! encrypted, PKCS#1, SEC1), PKCS#12 / PFX bundles (with the empty password said), Java
//! keystores (JKS, JCEKS) and JSON Web Keys with a private part, in a working tree, in a
//! repository's history (loose and packed) and at the hooks. The fixtures and their
//! `ssh-keygen -lf` fingerprints are made by tests/fixtures/keyfiles/generate.sh; every
//! fixture not listed in its FINGERPRINTS is a near miss that must stay silent.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::Value;

use crate::util::{self, TestDir, git, try_git, write_at};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keyfiles")
}

/// One FINGERPRINTS line: a key the file (or its entry `#…`) holds.
#[derive(Debug, Clone)]
struct Expected {
    file: String,
    /// The alias of a keystore entry, or the 1-based index of a key in a JWK set.
    entry: Option<String>,
    sha256: Option<String>,
    algorithm: Option<String>,
    bits: Option<u64>,
    encrypted: bool,
}

fn expected() -> Vec<Expected> {
    let text = fs::read_to_string(dir().join("FINGERPRINTS")).unwrap();
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let dash = |s: &str| (s != "-").then(|| s.to_string());
            let (file, entry) = match f[0].split_once('#') {
                Some((file, entry)) => (file.to_string(), Some(entry.to_string())),
                None => (f[0].to_string(), None),
            };
            Expected {
                file,
                entry,
                sha256: dash(f[1]),
                algorithm: dash(f[2]),
                bits: dash(f[3]).map(|b| b.parse().unwrap()),
                encrypted: f[4] == "yes",
            }
        })
        .collect()
}

/// Every fixture file (not the generator, not the list).
fn fixtures() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "generate.sh" && n != "FINGERPRINTS")
        .collect();
    names.sort();
    names
}

fn near_misses() -> Vec<String> {
    let keys: Vec<String> = expected().into_iter().map(|e| e.file).collect();
    fixtures()
        .into_iter()
        .filter(|n| !keys.contains(n))
        .collect()
}

/// Copies every fixture into `to` under a name that says nothing (`file-07`): keys are
/// found by what they are. The map gives each fixture's new name.
fn copy_renamed(to: &Path) -> BTreeMap<String, String> {
    fs::create_dir_all(to).unwrap();
    fixtures()
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let new = format!("file-{i:02}");
            fs::copy(dir().join(&name), to.join(&new)).unwrap();
            (name, new)
        })
        .collect()
}

/// The findings of a `--format jsonl` run, by the file (its last path component) they are in.
fn by_file(findings: &[Value]) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for f in findings {
        let path = f["path"].as_str().unwrap();
        let name = path.rsplit('/').next().unwrap().to_string();
        out.entry(name).or_default().push(f.clone());
    }
    out
}

/// Checks that the findings of each key fixture (at its new name) are the keys
/// FINGERPRINTS lists for it, with its facts, and that near misses have none.
fn check_all(found: &BTreeMap<String, Vec<Value>>, renamed: &BTreeMap<String, String>) {
    let expected = expected();
    let mut files: Vec<&String> = expected.iter().map(|e| &e.file).collect();
    files.dedup();
    for file in files {
        let want: Vec<&Expected> = expected.iter().filter(|e| &e.file == file).collect();
        let name = renamed.get(file).unwrap_or(file);
        let got = found
            .get(name)
            .unwrap_or_else(|| panic!("{file} ({name}): nothing found"));
        assert_eq!(got.len(), want.len(), "{file}: {got:#?}");
        for (i, w) in want.iter().enumerate() {
            // A keystore's entry by alias; a JWK set's keys in order.
            let g = match &w.entry {
                Some(alias) if alias.parse::<usize>().is_err() => got
                    .iter()
                    .find(|g| g["key"]["comment"] == alias.as_str())
                    .unwrap_or_else(|| panic!("{file}: no entry {alias}")),
                _ => &got[i],
            };
            let key = &g["key"];
            assert_eq!(g["category"], "private-key", "{file}");
            assert_eq!(key["sha256"].as_str(), w.sha256.as_deref(), "{file} {w:?}");
            assert_eq!(
                key["algorithm"].as_str(),
                w.algorithm.as_deref(),
                "{file} {w:?}"
            );
            assert_eq!(key["bits"].as_u64(), w.bits, "{file} {w:?}");
            assert_eq!(key["encrypted"], w.encrypted, "{file} {w:?}");
            assert_eq!(key["valid"], true, "{file}");
        }
    }
    for miss in near_misses() {
        let name = renamed.get(&miss).unwrap_or(&miss);
        assert!(
            found.get(name).is_none(),
            "near miss {miss} was reported: {:#?}",
            found.get(name)
        );
    }
}

#[test]
fn key_files_are_found_by_structure_with_ssh_keygens_fingerprints() {
    let d = TestDir::new();
    let renamed = copy_renamed(&d.path().join("tree"));
    let run = d.run(&["scan", "--format", "jsonl", "tree"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    check_all(&by_file(&run.secrets()), &renamed);
}

#[test]
fn near_misses_stay_silent() {
    let d = TestDir::new();
    for miss in near_misses() {
        fs::copy(dir().join(&miss), d.path().join(&miss)).unwrap();
    }
    // A JWK with "kty" and no "d" inside a larger document; JSON that merely names kty.
    d.write(
        "openid.json",
        r#"{"issuer": "https://id.example", "jwks": {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}}"#,
    );
    d.write(
        "schema.json",
        r#"{"properties": {"kty": {"type": "string"}, "d": {"type": "string"}}}"#,
    );
    // A text file that starts with '0' (0x30) and a file of 0x30 0x82 with a matching length.
    d.write("numbers.txt", "0\n1\n2\n3\n4\n5\n");
    let mut der_like = vec![0x30, 0x82, 0x01, 0x00];
    der_like.extend((0..256u32).map(|i| (i * 37 % 251) as u8));
    d.write("blob.bin", der_like);
    // The magic numbers and nothing after.
    d.write(
        "magic.jks",
        [0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0, 0, 0, 9],
    );
    d.write("magic.jceks", [0xce, 0xce, 0xce, 0xce]);
    // What the contents hold, not the files' modes: a fresh checkout leaves the fixtures
    // readable by all, and the audit of modes goes by a key file's name.
    let run = d.run(&[
        "scan",
        "--format",
        "jsonl",
        "--skip-rule",
        "insecure-permissions",
        ".",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.secrets().is_empty());
}

#[test]
fn pkcs12_says_whether_the_empty_password_opens_it() {
    let d = TestDir::new();
    const LEGACY_EMPTY: [&str; 4] = [
        "legacy_empty_password.p12",
        "legacy_rc2_128.p12",
        "legacy_rc2_40.pfx",
        "legacy_2des.p12",
    ];
    for name in [
        "clear.p12",
        "empty_password.pfx",
        "empty_password_sha1.p12",
        "with_password.p12",
        "legacy_with_password.p12",
    ]
    .into_iter()
    .chain(LEGACY_EMPTY)
    {
        fs::copy(dir().join(name), d.path().join(name)).unwrap();
    }
    let run = d.run(&["scan", "--format", "jsonl", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = by_file(&run.secrets());
    let one = |name: &str| -> Value {
        let f = &found[name];
        assert_eq!(f.len(), 1, "{name}");
        f[0].clone()
    };
    for name in ["clear.p12", "empty_password.pfx", "empty_password_sha1.p12"]
        .into_iter()
        .chain(LEGACY_EMPTY)
    {
        let f = one(name);
        assert_eq!(f["key"]["empty_password"], true, "{name}");
        assert_eq!(f["severity"], "critical", "{name}");
        assert_eq!(f["rule"], "private-key-pkcs12");
        assert_eq!(f["key"]["format"], "pkcs12");
        assert_eq!(f["key"]["comment"], "keysweep-fixture");
        assert_eq!(f["key"]["private_keys"], 1);
    }
    // A key bag under a legacy PKCS#12 PBE (3DES, RC2) that the empty password opens is
    // read like a PBES2 one: the key's own facts (FINGERPRINTS, checked for every
    // fixture by `check_all`), though no certificate is in clear (`-legacy` encrypts
    // them).
    for name in LEGACY_EMPTY {
        let f = one(name);
        assert_eq!(f["key"]["algorithm"], "rsa", "{name}");
        assert!(f["key"]["sha256"].is_string(), "{name}");
        assert_eq!(f["key"]["encrypted"], true, "{name}");
    }
    for name in ["with_password.p12", "legacy_with_password.p12"] {
        let f = one(name);
        assert_eq!(f["key"]["empty_password"], false, "{name}");
        assert_eq!(f["severity"], "high", "{name}");
    }
    // Under a password, with its certificate encrypted too: found, encrypted, no facts.
    let f = one("legacy_with_password.p12");
    assert_eq!(f["key"]["encrypted"], true);
    assert!(f["key"]["sha256"].is_null(), "{f:#}");
    assert!(f["key"]["algorithm"].is_null(), "{f:#}");
    // The key in clear, and the one the empty password opens, are the key in the DER
    // file: one content id.
    let der = d.write("key.der", fs::read(dir().join("rsa_pkcs8.bin")).unwrap());
    let run = d.run(&[
        "scan",
        "--format",
        "jsonl",
        "clear.p12",
        "empty_password.pfx",
        "legacy_empty_password.p12",
        "legacy_rc2_40.pfx",
        der.to_str().unwrap(),
    ]);
    let ids: Vec<String> = run
        .secrets()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 5);
    assert!(
        ids.iter().all(|id| id == &ids[0]),
        "one key, one id: {ids:?}"
    );
}

#[test]
fn history_finds_them_in_loose_and_packed_objects() {
    let d = TestDir::new();
    let r = d.git_repo("repo");
    let renamed = copy_renamed(&r.join("keys"));
    git(&r, &["add", "."]);
    git(&r, &["commit", "-qm", "fixtures"]);
    // The keystore leaves HEAD but stays in history.
    let jks = &renamed["server.jks"];
    git(&r, &["rm", "-q", &format!("keys/{jks}")]);
    git(&r, &["commit", "-qm", "remove the keystore"]);
    for pass in ["loose", "packed"] {
        if pass == "packed" {
            git(&r, &["gc", "-q"]);
        }
        let run = util::run_in(&r, &["history", "--format", "jsonl", "."]);
        assert_eq!(run.code, 1, "{pass}: {}", run.stderr);
        let found = by_file(&run.secrets());
        check_all(&found, &renamed);
        for f in &found[jks.as_str()] {
            assert_eq!(f["git"]["present_at_head"], false, "{pass}");
            assert_eq!(f["rule"], "private-key-java-keystore");
        }
        for f in &found[renamed["rsa.jwk"].as_str()] {
            assert_eq!(f["git"]["present_at_head"], true, "{pass}");
        }
    }
}

#[test]
fn hooks_block_a_keystore_and_a_jwk() {
    let d = TestDir::new();
    let r = d.repo_with_remote("work");
    let installed = util::run_in(&r, &["hook", "install"]);
    assert_eq!(installed.code, 0, "{}", installed.stderr);
    fs::create_dir_all(r.join("config")).unwrap();
    fs::copy(dir().join("app.jceks"), r.join("config/app.keystore")).unwrap();
    git(&r, &["add", "."]);
    let (ok, err) = try_git(&r, &["commit", "-qm", "keystore"]);
    assert!(!ok, "a keystore was committed");
    assert!(err.contains("config/app.keystore:1:1"), "{err}");
    assert!(err.contains("Java keystore"), "{err}");
    git(&r, &["reset", "-q"]);
    fs::remove_file(r.join("config/app.keystore")).unwrap();

    // Past the commit hook, the push hook stops it.
    fs::copy(dir().join("ed25519.jwk"), r.join("config/signing.json")).unwrap();
    git(&r, &["add", "."]);
    git(&r, &["commit", "-q", "--no-verify", "-m", "signing key"]);
    let (ok, err) = try_git(&r, &["push", "-q", "origin", "main"]);
    assert!(!ok, "a JWK was pushed");
    assert!(err.contains("config/signing.json"), "{err}");
    assert!(err.contains("JSON Web Key"), "{err}");
    let d_value = jwk_d("ed25519.jwk");
    assert!(
        !err.contains(&d_value),
        "the key leaked into the hook's report"
    );
    git(&r, &["reset", "-q", "--hard", "origin/main"]);

    // A bare base64 key as a properties value: the one check a file's name turns on.
    fs::create_dir_all(r.join("config")).unwrap();
    fs::copy(
        dir().join("values/application.properties"),
        r.join("config/application.properties"),
    )
    .unwrap();
    git(&r, &["add", "."]);
    let (ok, err) = try_git(&r, &["commit", "-qm", "config"]);
    assert!(!ok, "a bare base64 key was committed");
    assert!(err.contains("config/application.properties:2:"), "{err}");
}

fn jwk_d(name: &str) -> String {
    let v: Value = serde_json::from_slice(&fs::read(dir().join(name)).unwrap()).unwrap();
    v["d"].as_str().unwrap().to_string()
}

/// What of each key fixture a report must never hold: base64 and hex of its bytes (from
/// the start, and from inside), and a JWK's `d`.
fn material() -> Vec<(String, String)> {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let mut out = Vec::new();
    let mut files: Vec<String> = expected().into_iter().map(|e| e.file).collect();
    files.dedup();
    for name in files {
        let bytes = fs::read(dir().join(&name)).unwrap();
        if name.ends_with(".jwk") || name.ends_with(".json") {
            out.push((name.clone(), jwk_d(&name)[..16].to_string()));
            continue;
        }
        let mid = bytes.len() / 2;
        out.push((
            name.clone(),
            b64(&bytes[..bytes.len().min(30)])[4..].to_string(),
        ));
        out.push((name.clone(), b64(&bytes[mid..mid + 24])));
        let hex: String = bytes[mid..mid + 12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        out.push((name.clone(), hex));
    }
    out
}

#[test]
fn every_format_shows_no_key_material() {
    let d = TestDir::new();
    for name in fixtures() {
        fs::copy(dir().join(&name), d.path().join(&name)).unwrap();
    }
    for format in ["json", "jsonl", "sarif", "human", "html", "github"] {
        let run = d.run(&["scan", "--format", format, "."]);
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        for (name, bytes) in material() {
            assert!(
                !run.stdout.contains(&bytes) && !run.stderr.contains(&bytes),
                "{format}: key material of {name} in the report"
            );
        }
        // Each kind is in the report, by its rule.
        for rule in [
            "private-key-der",
            "private-key-pkcs12",
            "private-key-java-keystore",
            "private-key-jwk",
        ] {
            assert!(
                run.stdout.contains(rule) || matches!(format, "human" | "html" | "github"),
                "{format}: no {rule}"
            );
        }
    }
    // The human report says what each is, and the empty password.
    let run = d.run(&["scan", "--format", "human", "clear.p12", "server.jks"]);
    assert!(
        run.stdout.contains("opens with the EMPTY password"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("one of 2 private keys in this file"),
        "{}",
        run.stdout
    );
    // SARIF describes the checks by name.
    let run = d.run(&["scan", "--format", "sarif", "server.jks"]);
    let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
    let rules = &sarif["runs"][0]["tool"]["driver"]["rules"];
    assert!(
        rules
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "private-key-java-keystore"),
        "{rules:#}"
    );
}

#[test]
fn rule_selection_turns_each_kind_on_and_off() {
    let d = TestDir::new();
    for name in ["rsa_pkcs8.bin", "clear.p12", "server.jks", "rsa.jwk"] {
        fs::copy(dir().join(name), d.path().join(name)).unwrap();
    }
    let rules = |run: &util::Run| -> Vec<String> {
        let mut r: Vec<String> = run
            .secrets()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect();
        r.sort();
        r.dedup();
        r
    };
    let run = d.run(&[
        "scan",
        "--format",
        "jsonl",
        "--skip-rule",
        "private-key-jwk",
        ".",
    ]);
    assert_eq!(
        rules(&run),
        [
            "private-key-der",
            "private-key-java-keystore",
            "private-key-pkcs12"
        ]
    );
    let run = d.run(&[
        "scan",
        "--format",
        "jsonl",
        "--rule",
        "private-key-der",
        ".",
    ]);
    assert_eq!(rules(&run), ["private-key-der"]);
    let run = d.run(&[
        "scan",
        "--format",
        "jsonl",
        "--rule",
        "private-key-rsa",
        "rsa_pkcs8.bin",
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let listed = d.run(&["rules", "list"]);
    for id in [
        "private-key-der",
        "private-key-pkcs12",
        "private-key-java-keystore",
        "private-key-jwk",
        "private-key-base64",
        "secret-key-jceks",
    ] {
        assert!(listed.stdout.contains(id), "{id} not listed");
    }
    // An inline allow on the line of a JWK's "d" accepts it.
    let text = fs::read_to_string(dir().join("p256.json")).unwrap();
    let allowed = text.replace("\"d\":", "\"keysweep:allow\": 1, \"d\":");
    write_at(d.path(), "allowed/p256.json", allowed);
    let run = d.run(&["scan", "--format", "jsonl", "allowed"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

/// The values fixtures' FINGERPRINTS: (file, sha256, algorithm, bits).
fn values_expected() -> Vec<(String, String, String, u64)> {
    fs::read_to_string(dir().join("values/FINGERPRINTS"))
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].to_string(),
                f[1].to_string(),
                f[2].to_string(),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

/// Copies the values fixtures into `to`.
fn copy_values(to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(dir().join("values")).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        if name != "FINGERPRINTS" {
            fs::copy(e.path(), to.join(name)).unwrap();
        }
    }
}

fn check_values(found: &BTreeMap<String, Vec<Value>>) {
    let want = values_expected();
    for (file, sha256, algorithm, bits) in &want {
        let got = found
            .get(file)
            .unwrap_or_else(|| panic!("{file}: nothing found"));
        assert_eq!(got.len(), 1, "{file}: {got:#?}");
        let f = &got[0];
        assert_eq!(f["rule"], "private-key-base64", "{file}");
        assert_eq!(f["key"]["sha256"], sha256.as_str(), "{file}");
        assert_eq!(f["key"]["algorithm"], algorithm.as_str(), "{file}");
        assert_eq!(f["key"]["bits"], *bits, "{file}");
        assert_eq!(f["severity"], "critical", "{file}");
    }
    // A certificate and a public key as values, and a body in a file of another kind.
    for miss in ["truststore.properties", "public.yml", "notes.txt"] {
        assert!(found.get(miss).is_none(), "{miss}: {:#?}", found.get(miss));
    }
    assert_eq!(found.len(), want.len(), "{found:#?}");
}

#[test]
fn bare_base64_values_are_found_in_config_files() {
    let d = TestDir::new();
    copy_values(&d.path().join("conf"));
    let run = d.run(&["scan", "--format", "jsonl", "conf"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = by_file(&run.secrets());
    check_values(&found);
    // The value's own line: the first line of the body.
    let props = &found["application.properties"][0];
    assert_eq!(props["line"], 2);
    let yaml = &found["config.yaml"][0];
    assert_eq!(yaml["line"], 3);
    // No key material, and the same id as the same key in a DER file.
    let body = fs::read_to_string(dir().join("values/.env")).unwrap();
    let value = body.lines().nth(1).unwrap().split_once('=').unwrap().1;
    assert!(
        !run.stdout.contains(&value[8..40]),
        "key material in the report"
    );
    fs::copy(dir().join("rsa_pkcs1.dat"), d.path().join("key.dat")).unwrap();
    let run = d.run(&["scan", "--format", "jsonl", "key.dat", "conf/.env"]);
    let ids: Vec<String> = run
        .secrets()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2, "{}", run.stdout);
    assert_eq!(ids[0], ids[1], "one key, one id");
    // A PEM key in a YAML block is the PEM rule's, reported once.
    let der = fs::read(dir().join("p256_sec1.der")).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut yaml = String::from("tls:\n  key: |\n    -----BEGIN EC PRIVATE KEY-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        yaml.push_str(&format!("    {}\n", std::str::from_utf8(chunk).unwrap()));
    }
    yaml.push_str("    -----END EC PRIVATE KEY-----\n");
    d.write("pem/values.yaml", yaml);
    let run = d.run(&["scan", "--format", "jsonl", "pem"]);
    let found = run.secrets();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_ne!(found[0]["rule"], "private-key-base64");
}

#[test]
fn bare_base64_values_in_history_loose_and_packed() {
    let d = TestDir::new();
    let r = d.git_repo("repo");
    copy_values(&r.join("conf"));
    git(&r, &["add", "."]);
    git(&r, &["commit", "-qm", "config"]);
    for pass in ["loose", "packed"] {
        if pass == "packed" {
            git(&r, &["gc", "-q"]);
        }
        let run = util::run_in(&r, &["history", "--format", "jsonl", "."]);
        assert_eq!(run.code, 1, "{pass}: {}", run.stderr);
        check_values(&by_file(&run.secrets()));
    }
}

/// A JCEKS keystore's secret (symmetric) keys are findings of their own (`secret-key-jceks`,
/// category `secret-key`): what the file says in clear (the alias, the sealing scheme, its
/// iterations), never the key; the key pair stored after them is found with its
/// certificate's fingerprint (secret_keys/FINGERPRINTS): the walk reads past the
/// serialized sealed objects. Cut inside a sealed object, the file still gives what lies
/// before the cut and never fails.
#[test]
fn jceks_secret_keys_are_found_and_read_past() {
    let src = dir().join("secret_keys");
    let want: Vec<(String, Option<String>)> = fs::read_to_string(src.join("FINGERPRINTS"))
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let alias = f[0].split_once('#').unwrap().1.to_string();
            (alias, (f[1] != "-").then(|| f[1].to_string()))
        })
        .collect();
    let d = TestDir::new();
    let bytes = fs::read(src.join("secrets.jceks")).unwrap();
    d.write("app.keystore", &bytes);
    let run = d.run(&[
        "scan",
        "--format",
        "jsonl",
        "--skip-rule",
        "insecure-permissions",
        "app.keystore",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = run.secrets();
    assert_eq!(found.len(), want.len(), "{found:#?}");
    for (alias, sha256) in &want {
        let f = found
            .iter()
            .find(|f| f["key"]["comment"] == alias.as_str())
            .unwrap_or_else(|| panic!("{alias}: {found:#?}"));
        assert_eq!(f["key"]["encrypted"], true, "{f:#}");
        assert_eq!(f["severity"], "high", "{f:#}");
        match sha256 {
            Some(fp) => {
                assert_eq!(f["rule"], "private-key-java-keystore", "{f:#}");
                assert_eq!(f["category"], "private-key", "{f:#}");
                assert_eq!(f["key"]["sha256"], fp.as_str(), "{f:#}");
            }
            None => {
                assert_eq!(f["rule"], "secret-key-jceks", "{f:#}");
                assert_eq!(f["category"], "secret-key", "{f:#}");
                assert_eq!(f["key"]["format"], "jceks-secret-key", "{f:#}");
                assert!(f["key"]["sha256"].is_null(), "{f:#}");
                let shown = f["secret"].as_str().unwrap();
                assert!(
                    shown.contains("sealed with PBEWithMD5AndTripleDES")
                        && shown.contains(" iterations, "),
                    "{shown}"
                );
            }
        }
    }
    // Three different keys: three ids.
    let mut ids: Vec<&str> = found.iter().map(|f| f["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), want.len());
    // `--skip-rule secret-key-jceks` leaves the key pair alone.
    let run = d.run(&[
        "scan",
        "--format",
        "jsonl",
        "--skip-rule",
        "insecure-permissions",
        "--skip-rule",
        "secret-key-jceks",
        "app.keystore",
    ]);
    let found = run.secrets();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["rule"], "private-key-java-keystore");
    // Cut inside the first sealed object: nothing is found, and nothing fails.
    for cut in [40, 200, 400] {
        d.write("cut.jceks", &bytes[..cut]);
        let run = d.run(&["scan", "--format", "jsonl", "-q", "cut.jceks"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.secrets().is_empty(), "{cut}");
    }
}
