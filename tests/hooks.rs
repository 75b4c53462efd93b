//! The git hooks, driven by real `git commit` and `git push` to a bare remote in a temp
//! dir: clean pushes pass; keys are blocked at commit and at push, on every pushed ref,
//! even in an older commit of a new branch; deletions pass; bad input fails closed.

mod util;

use std::fs;
use std::path::PathBuf;
use std::process::Stdio;

use util::{TestDir, git, key, try_git, write_at};

/// A work repository with keysweep's hooks installed and a bare `origin`.
fn setup(d: &TestDir) -> PathBuf {
    let r = d.repo_with_remote("work");
    let installed = util::run_in(&r, &["hook", "install"]);
    assert_eq!(installed.code, 0, "{}", installed.stderr);
    r
}

#[test]
fn clean_commit_and_push_pass() {
    let d = TestDir::new();
    let r = setup(&d);
    write_at(&r, "src/main.rs", "fn main() {}\n");
    git(&r, &["add", "."]);
    let (ok, err) = try_git(&r, &["commit", "-qm", "code"]);
    assert!(ok, "{err}");
    let (ok, err) = try_git(&r, &["push", "-q", "origin", "main"]);
    assert!(ok, "{err}");
}

#[test]
fn commit_of_a_key_is_blocked_and_so_is_commit_a() {
    let d = TestDir::new();
    let r = setup(&d);
    write_at(&r, "deploy/id_ed25519", key("openssh_ed25519"));
    git(&r, &["add", "."]);
    let (ok, err) = try_git(&r, &["commit", "-qm", "key"]);
    assert!(!ok);
    assert!(
        err.contains("keysweep: commit blocked: 1 secret in the staged changes"),
        "{err}"
    );
    assert!(
        err.contains("deploy/id_ed25519:1:1  critical  OpenSSH private key"),
        "{err}"
    );
    assert!(err.contains("--no-verify"), "{err}");
    assert!(
        !err.contains("b3BlbnNzaC1rZXktdjE"),
        "the secret leaked into the report"
    );
    git(&r, &["reset", "-q"]);
    fs::remove_file(r.join("deploy/id_ed25519")).unwrap();

    // `git commit -a` stages through a temporary index (GIT_INDEX_FILE).
    write_at(&r, "README", format!("notes\n{}", key("pem_rsa")));
    let (ok, err) = try_git(&r, &["commit", "-aqm", "readme"]);
    assert!(!ok, "git commit -a let a key through");
    assert!(err.contains("README:2:1"), "{err}");
    // And `git commit <path>`.
    let (ok, _) = try_git(&r, &["commit", "-qm", "readme", "README"]);
    assert!(!ok, "git commit <path> let a key through");
}

#[test]
fn push_is_blocked_even_when_the_commit_hook_was_skipped() {
    let d = TestDir::new();
    let r = setup(&d);
    write_at(&r, "config.pem", key("pem_ecdsa256"));
    git(&r, &["add", "."]);
    git(&r, &["commit", "-q", "--no-verify", "-m", "sneak a key in"]);
    let (ok, err) = try_git(&r, &["push", "-q", "origin", "main"]);
    assert!(!ok);
    assert!(
        err.contains("keysweep: push blocked: 1 secret in the commits being pushed"),
        "{err}"
    );
    assert!(err.contains("config.pem:1:1"), "{err}");
    let head = git(&r, &["rev-parse", "--short=12", "HEAD"]);
    assert!(err.contains(&format!("git rebase -i {head}^")), "{err}");
    // Nothing reached the remote.
    let remote_head = git(&d.path().join("remote.git"), &["rev-parse", "main"]);
    assert_ne!(remote_head, git(&r, &["rev-parse", "HEAD"]));
}

/// Regression: the advice named the commit of the first finding by path, not the
/// oldest, so a rebase from it would have kept the older secret.
#[test]
fn rebase_advice_starts_before_the_oldest_commit_with_a_secret() {
    let d = TestDir::new();
    let r = setup(&d);
    write_at(&r, "z-old.pem", key("pem_ecdsa256"));
    git(&r, &["add", "."]);
    git(&r, &["commit", "-q", "--no-verify", "-m", "older key"]);
    let older = git(&r, &["rev-parse", "--short=12", "HEAD"]);
    write_at(&r, "a-new.pem", key("pem_rsa"));
    git(&r, &["add", "."]);
    git(&r, &["commit", "-q", "--no-verify", "-m", "newer key"]);
    let (ok, err) = try_git(&r, &["push", "-q", "origin", "main"]);
    assert!(!ok);
    assert!(err.contains(&format!("git rebase -i {older}^")), "{err}");
}

/// Two refs pushed at once; only the second carries a key, in an older commit of a new
/// branch, removed again at the branch's tip.
#[test]
fn second_ref_with_key_in_an_older_commit_of_a_new_branch() {
    let d = TestDir::new();
    let r = setup(&d);
    write_at(&r, "a.txt", "fine\n");
    git(&r, &["add", "."]);
    git(&r, &["commit", "-qm", "fine"]);
    git(&r, &["checkout", "-qb", "feature"]);
    write_at(&r, "secrets/id_rsa", key("pem_rsa"));
    git(&r, &["add", "."]);
    git(&r, &["commit", "-q", "--no-verify", "-m", "add key"]);
    git(&r, &["rm", "-q", "secrets/id_rsa"]);
    git(&r, &["commit", "-qm", "remove key"]);
    let (ok, err) = try_git(&r, &["push", "-q", "origin", "main", "feature"]);
    assert!(!ok, "a key in an older commit of a new branch got through");
    assert!(err.contains("secrets/id_rsa:1:1"), "{err}");
}

#[test]
fn deleting_a_branch_passes() {
    let d = TestDir::new();
    let r = setup(&d);
    git(&r, &["checkout", "-qb", "old"]);
    git(&r, &["push", "-q", "origin", "old"]);
    git(&r, &["checkout", "-q", "main"]);
    let (ok, err) = try_git(&r, &["push", "-q", "origin", "--delete", "old"]);
    assert!(ok, "{err}");
}

#[test]
fn corrupt_input_blocks() {
    let d = TestDir::new();
    let r = setup(&d);
    let mut child = util::keysweep(&r, &["hook", "pre-push", "origin", "../remote.git"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"refs/heads/main not-a-sha refs/heads/main 0000\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("push blocked"), "{err}");

    // Outside any repository: blocked too.
    let out = util::keysweep(d.path(), &["hook", "pre-commit"])
        .env("GIT_CEILING_DIRECTORIES", d.path().parent().unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn install_is_idempotent_honours_hooks_path_and_respects_other_hooks() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    let ks = |args: &[&str]| {
        let run = util::run_in(&r, args);
        (run.code, run.stdout, run.stderr)
    };
    git(&r, &["config", "core.hooksPath", ".githooks"]);
    assert_eq!(ks(&["hook", "install"]).0, 0);
    let pre_push = fs::read_to_string(r.join(".githooks/pre-push")).unwrap();
    assert!(pre_push.contains("hook pre-push \"$@\""));
    let (code, out, _) = ks(&["hook", "install"]);
    assert_eq!(code, 0);
    assert!(out.contains("pre-commit: already installed"), "{out}");

    // Someone else's hook is left alone unless --force.
    git(&r, &["config", "--unset", "core.hooksPath"]);
    let theirs = r.join(".git/hooks/pre-commit");
    fs::write(&theirs, "#!/bin/sh\necho theirs\n").unwrap();
    let (code, _, err) = ks(&["hook", "install", "--pre-commit"]);
    assert_eq!(code, 2);
    assert!(err.contains("not written by keysweep"), "{err}");
    assert_eq!(
        fs::read_to_string(&theirs).unwrap(),
        "#!/bin/sh\necho theirs\n"
    );
    let (_, out, _) = ks(&["hook", "uninstall"]);
    assert!(
        out.contains("pre-commit: not keysweep's, left alone"),
        "{out}"
    );
    assert!(theirs.exists());
    assert_eq!(ks(&["hook", "install", "--pre-commit", "--force"]).0, 0);
    assert!(
        fs::read_to_string(&theirs)
            .unwrap()
            .contains("keysweep-hook")
    );
    ks(&["hook", "uninstall"]);
    assert!(!theirs.exists());
}
