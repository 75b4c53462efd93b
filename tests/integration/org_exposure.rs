//! `keysweep org` runs the exposure checks `history` runs (`ssh-open-to-world`,
//! `sshd-weak-setting`, `aws-key-risk`): an org scan of a repository reports what
//! `history` reports for it, doors and secrets, at the same commits, paths and ids, even
//! when another repository of the run holds the same files at other paths (the ledger,
//! keyed by blob, is shared); `--skip-rule` leaves a check out and rescans.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::util::{self, TestDir, git, key};

use crate::exposure_history::OPEN_TF;

const CLOUD_INIT: &str = "#cloud-config\nssh_pwauth: true\ndisable_root: false\n";

fn commit(r: &Path, files: &[(&str, &str)], msg: &str) {
    for (p, text) in files {
        util::write_at(r, p, text);
    }
    git(r, &["add", "-A"]);
    git(r, &["commit", "-qm", msg]);
}

/// `(repository folder, rule, category, path, line, commit, present_at_head, id)` of
/// each finding.
type Place = (String, String, String, String, u64, String, bool, String);

fn places(found: &[Value]) -> BTreeSet<Place> {
    found
        .iter()
        .map(|f| {
            let repo = f["git"]["repository"].as_str().unwrap();
            (
                Path::new(repo)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                f["rule"].as_str().unwrap().to_string(),
                f["category"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["git"]["commit"].as_str().unwrap_or("").to_string(),
                f["git"]["present_at_head"].as_bool().unwrap(),
                f["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn history(d: &TestDir, repo: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["history", repo.to_str().unwrap(), "--format", "jsonl", "-q"];
    args.extend_from_slice(extra);
    let run = d.run(&args);
    assert!(run.code <= 1, "{}", run.stderr);
    run.findings()
}

fn org_scan(d: &TestDir, store: &Path, extra: &[&str]) -> util::Run {
    let mut args = vec![
        "org",
        "scan",
        "fleet",
        "--store",
        store.to_str().unwrap(),
        "--format",
        "jsonl",
    ];
    args.extend_from_slice(extra);
    let run = d.run(&args);
    assert!(run.code <= 1, "{}", run.stderr);
    run
}

/// Two repositories: `infra` opens doors (a security group opened, then closed; a weak
/// sshd_config still at HEAD; cloud-init under a name no check knows) beside a key;
/// `copy` holds the same files at other paths, and closes nothing.
fn fleet(d: &TestDir) {
    let infra = d.git_repo("fleet/infra");
    commit(
        &infra,
        &[
            ("net/network.tf", OPEN_TF),
            ("etc/ssh/sshd_config", "PermitRootLogin yes\n"),
            ("boot/user-data", CLOUD_INIT),
            ("keys/deploy", &key("openssh_ed25519")),
        ],
        "bastion",
    );
    commit(
        &infra,
        &[(
            "net/network.tf",
            &OPEN_TF.replace("0.0.0.0/0", "203.0.113.10/32"),
        )],
        "office only",
    );
    let copy = d.git_repo("fleet/copy");
    commit(
        &copy,
        &[
            ("vendored/main.tf", OPEN_TF),
            ("sshd/sshd_config", "PermitRootLogin yes\n"),
            ("init.txt", CLOUD_INIT),
            ("deploy_key", &key("openssh_ed25519")),
        ],
        "vendored",
    );
}

#[test]
fn org_scan_reports_the_doors_and_secrets_history_reports() {
    let d = TestDir::new();
    fleet(&d);
    let mut want = BTreeSet::new();
    for r in ["infra", "copy"] {
        want.extend(places(&history(&d, &d.path().join("fleet").join(r), &[])));
    }
    // Every check has something to say, in both repositories.
    for cat in ["ssh-open-to-world", "sshd-weak-setting", "private-key"] {
        for r in ["infra", "copy"] {
            assert!(
                want.iter().any(|p| p.0 == r && p.2 == cat),
                "history found no {cat} in {r}: {want:#?}"
            );
        }
    }
    assert!(
        want.iter()
            .any(|p| p.0 == "infra" && p.2 == "ssh-open-to-world" && !p.6),
        "the closed group is not at HEAD: {want:#?}"
    );

    let store = d.path().join("org.db");
    let run = org_scan(&d, &store, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(places(&run.findings()), want, "{}", run.stdout);
    // Run again with nothing changed: nothing new.
    let again = org_scan(&d, &store, &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.findings().is_empty(), "{}", again.stdout);

    // A check left out changes the rule set: every blob is read again, and what is new
    // under it is what history finds with the same selection (nothing: the rest was there).
    let skip = ["--skip-rule", "ssh-open-to-world"];
    let mut want_skip = BTreeSet::new();
    for r in ["infra", "copy"] {
        want_skip.extend(places(&history(&d, &d.path().join("fleet").join(r), &skip)));
    }
    assert!(want_skip.iter().all(|p| p.2 != "ssh-open-to-world"));
    let fresh = d.path().join("fresh.db");
    let run = org_scan(&d, &fresh, &skip);
    assert_eq!(places(&run.findings()), want_skip, "{}", run.stdout);
}

#[test]
fn a_door_closed_by_a_new_commit_is_no_longer_at_head_as_history_says() {
    let d = TestDir::new();
    fleet(&d);
    let store = d.path().join("org.db");
    // `infra` first, alone: the ledger holds the shared files' doors as read at its
    // paths, and `copy` takes them from there at its own.
    let first = d.run(&[
        "org",
        "scan",
        "fleet/infra",
        "--store",
        store.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    org_scan(&d, &store, &[]);
    let copy = d.path().join("fleet/copy");
    commit(
        &copy,
        &[("sshd/sshd_config", "PermitRootLogin no\n")],
        "harden",
    );
    org_scan(&d, &store, &[]);
    // What the store holds for `copy` now, place by place.
    let listed = d.run(&[
        "org",
        "findings",
        "--store",
        store.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let all: Value = serde_json::from_str(&listed.stdout).unwrap();
    // (id, category, path, present_at_head) of each of `copy`'s findings.
    let mut held: BTreeSet<(String, String, String, bool)> = BTreeSet::new();
    for entry in all.as_array().unwrap() {
        for place in entry["places"].as_array().unwrap() {
            if place["url"].as_str().unwrap().ends_with("fleet/copy") {
                held.insert((
                    entry["id"].as_str().unwrap().to_string(),
                    entry["category"].as_str().unwrap().to_string(),
                    place["path"].as_str().unwrap().to_string(),
                    place["present_at_head"].as_bool().unwrap(),
                ));
            }
        }
    }
    let h: BTreeSet<(String, String, String, bool)> = history(&d, &copy, &[])
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["category"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["git"]["present_at_head"].as_bool().unwrap(),
            )
        })
        .collect();
    // The setting the new commit turned off is no longer at HEAD.
    assert!(
        h.iter()
            .any(|f| f.1 == "sshd-weak-setting" && f.2 == "sshd/sshd_config" && !f.3),
        "{h:#?}"
    );
    assert_eq!(held, h, "{}", listed.stdout);
}
