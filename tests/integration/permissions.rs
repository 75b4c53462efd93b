//! The key-file permission audit: exactly the key files that others can read or write
//! are flagged, with the right mode and severity; `--fix-permissions` fixes those and
//! touches nothing else.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;

use crate::util::{TestDir, key};

const MODES: [u32; 7] = [0o777, 0o666, 0o644, 0o640, 0o604, 0o600, 0o400];

/// For each mode: key files (by content and by name) and files that are not keys.
fn tree() -> TestDir {
    let d = TestDir::new();
    for m in MODES {
        let files = [
            (format!("{m:o}/deploy.pem"), key("pem_rsa")),
            (format!("{m:o}/id_work"), key("openssh_ed25519")),
            (
                format!("{m:o}/server.key"),
                "opaque key bytes\n".to_string(),
            ),
            (
                format!("{m:o}/client.p12"),
                "\u{1}\u{2}pkcs12\n".to_string(),
            ),
            (
                format!("{m:o}/.aws/credentials"),
                "[default]\nregion = eu-west-1\n".to_string(),
            ),
            (format!("{m:o}/cert.pem"), key("cert.pem")),
            (format!("{m:o}/id_work.pub"), key("openssh_ed25519.pub")),
            (format!("{m:o}/notes.txt"), "nothing\n".to_string()),
        ];
        for (path, content) in files {
            d.write(&path, content);
            d.chmod(&path, m);
        }
    }
    d
}

fn permission_findings(d: &TestDir, args: &[&str]) -> BTreeMap<String, (String, String)> {
    let mut a = vec!["scan", "--format", "jsonl", "-q"];
    a.extend_from_slice(args);
    let run = d.run(&a);
    assert!(run.code <= 1, "{}", run.stderr);
    run.findings()
        .into_iter()
        .filter(|f| f["category"] == "insecure-permissions")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                (
                    f["file"]["mode"].as_str().unwrap().to_string(),
                    f["severity"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

fn expected() -> BTreeMap<String, (String, String)> {
    let mut want = BTreeMap::new();
    for m in MODES {
        let severity = if m & 0o007 != 0 {
            "critical"
        } else if m & 0o070 != 0 {
            "high"
        } else {
            continue;
        };
        for f in [
            "deploy.pem",
            "id_work",
            "server.key",
            "client.p12",
            ".aws/credentials",
        ] {
            want.insert(
                format!("{m:o}/{f}"),
                (format!("{m:04o}"), severity.to_string()),
            );
        }
    }
    want
}

#[test]
fn exactly_the_exposed_key_files_are_flagged() {
    let d = tree();
    assert_eq!(permission_findings(&d, &[]), expected());
}

#[test]
fn the_fix_is_printed() {
    let d = TestDir::new();
    d.write("k/it's.key", "x");
    d.chmod("k/it's.key", 0o644);
    d.write("k/ro.key", "x");
    d.chmod("k/ro.key", 0o444);
    let run = d.run(&["scan", "--format", "jsonl", "-q"]);
    let fixes: Vec<String> = run
        .findings()
        .iter()
        .map(|f| f["fix"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        fixes,
        vec!["chmod 600 'k/it'\\''s.key'", "chmod 400 'k/ro.key'"]
    );
}

#[test]
fn fix_permissions_fixes_key_files_only() {
    let d = tree();
    d.write("home/.ssh/id_ed25519", key("openssh_ed25519"));
    d.chmod("home/.ssh/id_ed25519", 0o644);
    d.chmod("home/.ssh", 0o755);
    let mode_of = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let before: BTreeMap<String, u32> = walk(d.path())
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(d.path()).unwrap().display().to_string(),
                mode_of(&p),
            )
        })
        .collect();

    let run = d.run(&["scan", "--fix-permissions", "--format", "jsonl"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("keysweep: fixed: chmod 700 'home/.ssh' (was 0755)"),
        "{}",
        run.stderr
    );
    assert!(run.findings().iter().any(|f| f["fixed"] == true));

    let mut want_changed = expected().keys().cloned().collect::<Vec<_>>();
    want_changed.push("home/.ssh".into());
    want_changed.push("home/.ssh/id_ed25519".into());
    want_changed.sort();
    let mut changed = Vec::new();
    for p in walk(d.path()) {
        let rel = p.strip_prefix(d.path()).unwrap().display().to_string();
        let now = mode_of(&p);
        if now != before[&rel] {
            let want = if p.is_dir() { 0o700 } else { 0o600 };
            assert_eq!(now, want, "{rel}");
            changed.push(rel);
        }
    }
    changed.sort();
    assert_eq!(changed, want_changed);

    assert!(permission_findings(&d, &[]).is_empty());
}

#[test]
fn ssh_directory_modes() {
    let d = TestDir::new();
    for (dir, mode) in [("a", 0o700), ("b", 0o755), ("c", 0o775)] {
        d.write(format!("{dir}/.ssh/config"), "Host *\n");
        d.chmod(format!("{dir}/.ssh"), mode);
    }
    let got = permission_findings(&d, &[]);
    let want: BTreeMap<String, (String, String)> = [
        (
            "b/.ssh".to_string(),
            ("0755".to_string(), "medium".to_string()),
        ),
        (
            "c/.ssh".to_string(),
            ("0775".to_string(), "critical".to_string()),
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(got, want);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}
