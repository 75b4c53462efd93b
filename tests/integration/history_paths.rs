//! `keysweep history` reports each secret once per path it lived at: a renamed file's key
//! at its old and its new path, a copy at each path, a key deleted and added again
//! elsewhere at both; and `present_at_head` says whether that path (not some other path)
//! still holds the key at HEAD.

use std::path::Path;

use crate::util::{self, TestDir, git, key};
use serde_json::Value;

/// `keysweep history --format jsonl ARGS…` in `repo`: exit code, findings, stderr.
fn history(repo: &Path, args: &[&str]) -> (i32, Vec<Value>, String) {
    let mut a = vec!["history", "--format", "jsonl"];
    a.extend_from_slice(args);
    let run = util::run_in(repo, &a);
    (run.code, run.findings(), run.stderr)
}

/// (path, commit, present_at_head) of each finding, sorted.
fn places(found: &[Value]) -> Vec<(String, String, bool)> {
    let mut v: Vec<_> = found
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["git"]["commit"].as_str().unwrap_or("-").to_string(),
                f["git"]["present_at_head"].as_bool().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The distinct ids of `found`.
fn ids(found: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = found
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Commits everything in the work tree; the new commit's id.
fn commit(repo: &Path, msg: &str) -> String {
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-qm", msg]);
    git(repo, &["rev-parse", "HEAD"])
}

fn commit_file(repo: &Path, rel: &str, content: &str, msg: &str) -> String {
    util::write_at(repo, rel, content);
    commit(repo, msg)
}

/// The same history read from loose objects and, after `git gc`, from a pack (the pack
/// pass and the walk then both run): the two reports must agree.
fn history_loose_and_packed(repo: &Path) -> (i32, Vec<Value>, String) {
    let loose = history(repo, &[]);
    git(repo, &["gc", "-q"]);
    let packed = history(repo, &[]);
    assert_eq!(
        places(&loose.1),
        places(&packed.1),
        "loose: {}\npacked: {}",
        loose.2,
        packed.2
    );
    packed
}

#[test]
fn a_renamed_key_is_reported_at_both_paths_and_only_the_new_one_is_at_head() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    let added = commit_file(&r, "old/key.pem", &key("pem_rsa"), "add");
    git(&r, &["mv", "old", "new"]);
    let renamed = commit(&r, "rename");
    let (code, found, err) = history_loose_and_packed(&r);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        places(&found),
        vec![
            ("new/key.pem".into(), renamed, true),
            ("old/key.pem".into(), added, false),
        ]
    );
    // One secret: grouped by its content id, with the same fingerprint at both paths.
    assert_eq!(ids(&found).len(), 1, "{found:?}");
    for f in &found {
        assert_eq!(
            f["key"]["sha256"],
            "SHA256:klzAM8zo4HQrRSLDH0q5df4HrYk2PP4J53qe4II0i14"
        );
    }
}

#[test]
fn a_key_renamed_away_and_back_is_placed_at_its_first_commit_at_each_path() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    let first = commit_file(&r, "a/id_ed25519", &key("openssh_ed25519"), "add");
    git(&r, &["mv", "a", "b"]);
    let moved = commit(&r, "move to b");
    git(&r, &["mv", "b", "a"]);
    commit(&r, "move back to a");
    let (code, found, err) = history(&r, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        places(&found),
        vec![
            ("a/id_ed25519".into(), first, true),
            ("b/id_ed25519".into(), moved, false),
        ]
    );
}

#[test]
fn a_key_copied_to_two_paths_then_deleted_at_one() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    util::write_at(&r, "deploy/key.pem", key("openssl_sec1_ec.pem"));
    util::write_at(&r, "backup/key.pem", key("openssl_sec1_ec.pem"));
    let both = commit(&r, "key in two places");
    git(&r, &["rm", "-q", "deploy/key.pem"]);
    commit(&r, "remove one copy");
    let (code, found, err) = history_loose_and_packed(&r);
    assert_eq!(code, 1, "{err}");
    // The copy still at HEAD does not make the deleted path present.
    assert_eq!(
        places(&found),
        vec![
            ("backup/key.pem".into(), both.clone(), true),
            ("deploy/key.pem".into(), both, false),
        ]
    );
    assert_eq!(ids(&found).len(), 1);
}

#[test]
fn a_key_deleted_then_added_again_at_another_path() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    let first = commit_file(&r, "config/deploy_key", &key("openssh_rsa2048"), "add key");
    git(&r, &["rm", "-q", "config/deploy_key"]);
    commit(&r, "remove key");
    commit_file(&r, "README", "nothing here\n", "unrelated");
    let again = commit_file(&r, "ops/deploy_key", &key("openssh_rsa2048"), "key again");
    let (code, found, err) = history_loose_and_packed(&r);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        places(&found),
        vec![
            ("config/deploy_key".into(), first, false),
            ("ops/deploy_key".into(), again, true),
        ]
    );
    assert_eq!(ids(&found).len(), 1);
}

#[test]
fn present_at_head_follows_the_secret_at_its_path_not_the_blob() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    let k = key("pem_ecdsa256");
    // `settings.env` keeps the key while the lines around it change: a new blob at HEAD,
    // still holding the secret.
    let kept = commit_file(&r, "settings.env", &format!("A=1\n{k}"), "add");
    commit_file(
        &r,
        "settings.env",
        &format!("A=2\n{k}B=3\n"),
        "edit around it",
    );
    // `notes.txt` keeps its name but loses the key.
    let dropped = commit_file(&r, "notes.txt", &format!("todo\n{k}"), "paste key");
    commit_file(&r, "notes.txt", "todo\n", "remove key from notes");
    let (code, found, err) = history(&r, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        places(&found),
        vec![
            ("notes.txt".into(), dropped, false),
            ("settings.env".into(), kept, true),
        ]
    );
}

#[test]
fn a_range_reports_a_rename_it_brings_at_the_new_path() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    let base = commit_file(&r, "k/id_ecdsa", &key("openssh_ecdsa256"), "add");
    git(&r, &["mv", "k", "keys"]);
    let renamed = commit(&r, "rename");
    let (code, found, err) = history(&r, &["--since", &base]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        places(&found),
        vec![("keys/id_ecdsa".into(), renamed, true)]
    );
}

#[test]
fn a_baseline_made_before_a_rename_still_accepts_the_key_at_its_new_path() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    commit_file(&r, "old.pem", &key("pem_rsa"), "add");
    let run = util::run_in(&r, &["baseline", "create", "--history", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    git(&r, &["mv", "old.pem", "new.pem"]);
    commit(&r, "rename");
    let (code, found, err) = history(&r, &[]);
    assert_eq!((code, found.len()), (0, 0), "{err}");
    assert!(err.contains("2 in the baseline"), "{err}");
}

/// A bare base64 key body is looked for only in configuration files: a blob first met as
/// a text file and renamed to a properties file is scanned at the properties file's path
/// too (each distinct blob is read once, but scanned at each kind of path it is at), and
/// its key reported there, from loose objects and from a pack alike.
#[test]
fn a_bare_key_first_met_at_a_text_path_is_found_at_its_config_path() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    let props = crate::util::bare_key_properties();
    commit_file(&r, "notes.txt", &props, "notes");
    std::fs::create_dir_all(r.join("config")).unwrap();
    git(&r, &["mv", "notes.txt", "config/application.properties"]);
    let renamed = commit(&r, "rename");
    let (code, found, err) = history_loose_and_packed(&r);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        places(&found),
        vec![("config/application.properties".into(), renamed, true)]
    );
    assert_eq!(found[0]["rule"], "private-key-base64");
}
