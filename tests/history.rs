//! `keysweep history` on real repositories built in the test: where each secret came in,
//! whether it is still at HEAD, every kind of ref, unreachable objects, renames, copies,
//! bare and shallow clones.

mod util;

use std::fs;
use std::path::Path;

use serde_json::Value;
use util::{TestDir, git, key};

fn history(dir: &Path, args: &[&str]) -> (i32, Vec<Value>, String) {
    let mut a = vec!["history", "--format", "jsonl"];
    a.extend_from_slice(args);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keysweep"))
        .args(&a)
        .current_dir(dir)
        .output()
        .unwrap();
    let run = util::Run::from(out);
    (run.code, run.findings(), run.stderr)
}

/// (path, commit, present_at_head) of each finding.
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

fn commit_file(repo: &Path, rel: &str, content: &str, msg: &str) -> String {
    let p = repo.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, content).unwrap();
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-qm", msg]);
    git(repo, &["rev-parse", "HEAD"])
}

#[test]
fn key_added_then_removed() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    let added = commit_file(
        &r,
        "config/deploy_key",
        &key("openssh_ed25519"),
        "add deploy key",
    );
    git(&r, &["rm", "-q", "config/deploy_key"]);
    git(&r, &["commit", "-qm", "remove key"]);
    let (code, found, err) = history(&r, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(found.len(), 1);
    let g = &found[0]["git"];
    assert_eq!(found[0]["path"], "config/deploy_key");
    assert_eq!(g["commit"], added);
    assert_eq!(g["author"], "Alice Example");
    assert_eq!(g["email"], "alice@example.invalid");
    assert_eq!(g["date"], "2026-01-02T03:04:05+01:00");
    assert_eq!(g["present_at_head"], false);
    assert_eq!(
        found[0]["key"]["sha256"],
        "SHA256:DWTE6E1lI996XPbDIuIS4qMBEiJkccWARBK+cW2UAuQ"
    );
}

#[test]
fn every_kind_of_ref_is_scanned() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    // A side branch.
    git(&r, &["checkout", "-qb", "side"]);
    let side = commit_file(&r, "side.pem", &key("pem_rsa"), "side key");
    git(&r, &["checkout", "-q", "main"]);
    // Only in a tag: a commit on a branch that is then deleted.
    git(&r, &["checkout", "-qb", "tmp"]);
    let tagged = commit_file(&r, "tagged.key", &key("openssl_sec1_ec.pem"), "tagged key");
    git(&r, &["tag", "-a", "v1", "-m", "release"]);
    git(&r, &["checkout", "-q", "main"]);
    git(&r, &["branch", "-qD", "tmp"]);
    // Only in the stash.
    fs::write(r.join("README"), key("openssh_ecdsa256")).unwrap();
    git(&r, &["stash", "-q"]);
    // At HEAD.
    let head = commit_file(&r, "id_ed25519", &key("openssh_ed25519"), "head key");

    let (code, found, err) = history(&r, &[]);
    assert_eq!(code, 1, "{err}");
    let stash_commit = git(&r, &["rev-parse", "stash@{0}"]);
    let p = places(&found);
    assert_eq!(p.len(), 4, "{p:?}");
    assert!(p.contains(&("side.pem".into(), side, false)), "{p:?}");
    assert!(p.contains(&("tagged.key".into(), tagged, false)), "{p:?}");
    assert!(p.contains(&("id_ed25519".into(), head, true)), "{p:?}");
    let stashed = p.iter().find(|x| x.0 == "README").expect("stash key");
    // The stash's working-tree commit or its index commit, not a branch commit.
    assert_ne!(stashed.1, "-");
    let stash_parents = git(&r, &["rev-list", "--parents", "-n1", &stash_commit]);
    assert!(
        stash_parents.contains(&stashed.1),
        "{stashed:?} not in {stash_parents}"
    );
}

#[test]
fn unreachable_commit_needs_all_objects() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    git(&r, &["checkout", "-qb", "doomed"]);
    let lost = commit_file(&r, "lost.pem", &key("pem_ecdsa256"), "oops");
    git(&r, &["checkout", "-q", "main"]);
    git(&r, &["branch", "-qD", "doomed"]);
    git(&r, &["reflog", "expire", "--expire=now", "--all"]);
    let (code, found, _) = history(&r, &[]);
    assert_eq!((code, found.len()), (0, 0));
    let (code, found, err) = history(&r, &["--all-objects"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(places(&found), vec![("lost.pem".into(), lost, false)]);
}

#[test]
fn renamed_file_keeps_its_first_path_copies_are_separate() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    let first = commit_file(&r, "old/key.pem", &key("pem_rsa"), "add");
    git(&r, &["mv", "old", "new"]);
    git(&r, &["commit", "-qm", "rename"]);
    let (_, found, _) = history(&r, &[]);
    assert_eq!(
        places(&found),
        vec![("old/key.pem".into(), first.clone(), true)]
    );

    // The same key in two files: two findings, one id.
    let copied = commit_file(&r, "backup/key.pem", &key("pem_rsa"), "copy");
    let (_, found, _) = history(&r, &[]);
    assert_eq!(
        places(&found),
        vec![
            ("backup/key.pem".into(), copied, true),
            ("old/key.pem".into(), first, true)
        ]
    );
    assert_eq!(found[0]["id"], found[1]["id"]);
}

#[test]
fn each_blob_is_scanned_once() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    commit_file(&r, "k.pem", &key("pem_rsa"), "add");
    for i in 0..20 {
        commit_file(&r, "README", &format!("edit {i}\n"), "edit");
    }
    let (_, found, err) = history(&r, &[]);
    assert_eq!(found.len(), 1);
    // 22 distinct blobs: k.pem, the first README and 20 edits.
    assert!(err.contains("in 22 blobs"), "{err}");
}

#[test]
fn bare_and_shallow_clones() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    commit_file(&r, "old.pem", &key("pem_rsa"), "old key");
    git(&r, &["rm", "-q", "old.pem"]);
    git(&r, &["commit", "-qm", "remove"]);
    commit_file(&r, "new.pem", &key("pem_ecdsa256"), "new key");

    git(d.path(), &["clone", "-q", "--bare", "r", "bare.git"]);
    let (code, found, err) = history(&d.path().join("bare.git"), &[]);
    assert_eq!(code, 1, "{err}");
    let paths: Vec<String> = places(&found).into_iter().map(|p| p.0).collect();
    assert_eq!(paths, vec!["new.pem", "old.pem"]);

    let url = format!("file://{}", r.display());
    git(d.path(), &["clone", "-q", "--depth", "1", &url, "shallow"]);
    let (code, found, err) = history(&d.path().join("shallow"), &[]);
    assert_eq!(code, 1, "{err}");
    let paths: Vec<String> = places(&found).into_iter().map(|p| p.0).collect();
    assert_eq!(paths, vec!["new.pem"]);
    assert!(err.contains("shallow clone"), "{err}");
    let run = d.run(&["history", "--format", "json", "-q", "shallow"]);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["summary"]["shallow"], true);
}

#[test]
fn ranges_scan_only_what_they_bring() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    commit_file(&r, "old.pem", &key("pem_rsa"), "old key");
    let base = git(&r, &["rev-parse", "HEAD"]);
    let newer = commit_file(&r, "new.pem", &key("pem_ecdsa256"), "new key");
    let (_, found, _) = history(&r, &["--since", &base]);
    assert_eq!(
        places(&found),
        vec![("new.pem".into(), newer.clone(), true)]
    );
    let (_, found, _) = history(&r, &["--range", &format!("{base}..{newer}")]);
    assert_eq!(places(&found), vec![("new.pem".into(), newer, true)]);
    let (code, _, err) = history(&r, &["--range", "nope..HEAD"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn not_a_repository_is_an_error() {
    let d = TestDir::new();
    let (code, _, err) = history(d.path(), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("not a git repository"), "{err}");
}

#[test]
fn corrupt_object_is_reported_and_skipped() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    commit_file(&r, "good.pem", &key("pem_rsa"), "good");
    let blob = commit_file(&r, "bad.txt", "to be corrupted\n", "bad");
    let bad = git(&r, &["rev-parse", &format!("{blob}:bad.txt")]);
    let obj = r.join(".git/objects").join(&bad[..2]).join(&bad[2..]);
    let mut perm = fs::metadata(&obj).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    fs::set_permissions(&obj, perm).unwrap();
    fs::write(&obj, b"not zlib at all").unwrap();
    let (code, found, err) = history(&r, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(found.len(), 1);
    assert!(err.contains(&bad), "{err}");
}

#[test]
fn submodules_only_when_asked() {
    let d = TestDir::new();
    let sub = d.git_repo("lib");
    commit_file(&sub, "lib.pem", &key("pem_ecdsa256"), "lib key");
    let r = d.git_repo("app");
    git(
        &r,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            &format!("file://{}", sub.display()),
            "vendor/lib",
        ],
    );
    git(&r, &["commit", "-qm", "add submodule"]);
    let (code, found, _) = history(&r, &[]);
    assert_eq!((code, found.len()), (0, 0));
    let (code, found, err) = history(&r, &["--submodules"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["path"], "lib.pem");
    assert!(
        found[0]["git"]["repository"]
            .as_str()
            .unwrap()
            .ends_with("vendor/lib"),
        "{}",
        found[0]["git"]
    );
}
