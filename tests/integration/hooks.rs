//! The git hooks, driven by real `git commit` and `git push` to a bare remote in a temp
//! dir: clean pushes pass; keys are blocked at commit and at push, on every pushed ref,
//! even in an older commit of a new branch; deletions pass; bad input fails closed; and
//! through the real pre-commit framework.

use std::fs;
use std::path::PathBuf;
use std::process::Stdio;

use crate::util::{self, TestDir, git, key, try_git, write_at};

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

/// Whether the real `pre-commit` (PyPI) is on PATH. Without it the pre-commit tests cannot
/// run: under CI that is a failure (`.ci/run` installs it), elsewhere they are skipped
/// with a note.
fn have_pre_commit() -> bool {
    let ok = std::process::Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "pre-commit is not on PATH (`pip install pre-commit`; .ci/run does it)"
        );
        eprintln!("pre-commit is not on PATH: skipped");
    }
    ok
}

/// `git ARGS…` in `dir` with pre-commit's cache kept inside the test's directory.
fn git_pc(d: &TestDir, dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = util::git_command(dir, args)
        .env("PRE_COMMIT_HOME", d.path().join("pre-commit-cache"))
        .env_remove("PRE_COMMIT")
        .output()
        .unwrap();
    // pre-commit prints its hooks' output on stdout.
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// A bare `remote.git` (empty) and a repository `work` whose `origin` it is, with
/// keysweep's pre-push hook installed through the real pre-commit framework (a `local`
/// hook running the built binary, so nothing is built inside pre-commit). Nothing is
/// committed yet.
fn pre_commit_setup(d: &TestDir) -> PathBuf {
    git(
        d.path(),
        &["init", "-q", "--bare", "-b", "main", "remote.git"],
    );
    let r = d.path().join("work");
    fs::create_dir_all(&r).unwrap();
    git(&r, &["init", "-q", "-b", "main"]);
    git(&r, &["remote", "add", "origin", "../remote.git"]);
    write_at(
        &r,
        ".pre-commit-config.yaml",
        format!(
            "repos:\n\
             - repo: local\n\
             \x20 hooks:\n\
             \x20 - id: keysweep-pre-push\n\
             \x20   name: keysweep\n\
             \x20   entry: {} hook pre-push\n\
             \x20   language: system\n\
             \x20   pass_filenames: false\n\
             \x20   always_run: true\n\
             \x20   stages: [pre-push]\n",
            env!("CARGO_BIN_EXE_keysweep")
        ),
    );
    let out = util::git_command(&r, &[])
        .get_envs()
        .fold(std::process::Command::new("pre-commit"), |mut c, (k, v)| {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
            c
        })
        .args(["install", "--hook-type", "pre-push"])
        .current_dir(&r)
        .env("PRE_COMMIT_HOME", d.path().join("pre-commit-cache"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pre-commit install: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    r
}

/// Regression (issue 14, item 1): pre-commit runs a pre-push hook for a push that
/// includes the root commit (the first push to an empty remote) with no range and no
/// stdin, and keysweep saw nothing to scan.
#[test]
fn pre_commit_framework_first_push_with_a_key_in_the_root_commit_is_blocked() {
    if !have_pre_commit() {
        return;
    }
    let d = TestDir::new();
    let r = pre_commit_setup(&d);
    write_at(&r, "deploy/id_ed25519", key("openssh_ed25519"));
    git(&r, &["add", "."]);
    git(&r, &["commit", "-qm", "first"]);
    let (ok, err) = git_pc(&d, &r, &["push", "-q", "origin", "main"]);
    assert!(!ok, "the first push of a key got through pre-commit: {err}");
    assert!(err.contains("push blocked"), "{err}");
    assert!(err.contains("deploy/id_ed25519:1:1"), "{err}");
    assert!(
        !err.contains("b3BlbnNzaC1rZXktdjE"),
        "the secret leaked into the report"
    );
    let remote = d.path().join("remote.git");
    let (has_main, _) = try_git(&remote, &["rev-parse", "-q", "--verify", "main"]);
    assert!(!has_main, "the key reached the remote");
}

/// Regression (issue 14, item 1): in a push of several refs, pre-commit names only the
/// first in the hook's environment; the key on the second got through.
#[test]
fn pre_commit_framework_multi_ref_push_with_the_key_on_the_second_ref_is_blocked() {
    if !have_pre_commit() {
        return;
    }
    let d = TestDir::new();
    let r = pre_commit_setup(&d);
    write_at(&r, "README", "hello\n");
    git(&r, &["add", "."]);
    git(&r, &["commit", "-qm", "init"]);
    // A clean first push passes through the framework.
    let (ok, err) = git_pc(&d, &r, &["push", "-q", "origin", "main"]);
    assert!(ok, "a clean push was blocked: {err}");
    git(&r, &["checkout", "-qb", "clean"]);
    write_at(&r, "a.txt", "fine\n");
    git(&r, &["add", "."]);
    git(&r, &["commit", "-qm", "fine"]);
    git(&r, &["checkout", "-q", "main"]);
    git(&r, &["checkout", "-qb", "dirty"]);
    write_at(&r, "secrets/id_rsa", key("pem_rsa"));
    git(&r, &["add", "."]);
    git(&r, &["commit", "-qm", "add key"]);
    git(&r, &["checkout", "-q", "main"]);
    let (ok, err) = git_pc(&d, &r, &["push", "-q", "origin", "clean", "dirty"]);
    assert!(
        !ok,
        "the key on the second ref got through pre-commit: {err}"
    );
    assert!(err.contains("secrets/id_rsa:1:1"), "{err}");
    // Without the key, the same push passes.
    git(&r, &["branch", "-qD", "dirty"]);
    let (ok, err) = git_pc(&d, &r, &["push", "-q", "origin", "clean"]);
    assert!(ok, "a clean push was blocked: {err}");
}

/// Regression (issue 14, item 2): the pre-push hook took every commit a local
/// remote-tracking ref reaches as already on the remote. A branch holding a key was
/// deleted on the remote and garbage-collected there; an unpruned clone then pushed a
/// branch built on it, and the remote got the key again.
#[test]
fn stale_remote_tracking_refs_do_not_hide_commits_the_remote_dropped() {
    let d = TestDir::new();
    let r = setup(&d);
    let remote = d.path().join("remote.git");
    git(&r, &["checkout", "-qb", "leak"]);
    write_at(&r, "secrets/id_ecdsa", key("pem_ecdsa256"));
    git(&r, &["add", "."]);
    git(&r, &["commit", "-q", "--no-verify", "-m", "add key"]);
    let leaked = git(&r, &["rev-parse", "HEAD"]);
    git(&r, &["push", "-q", "--no-verify", "origin", "leak"]);
    // Cleaned up on the remote, but not pruned here: origin/leak stays.
    git(&remote, &["branch", "-qD", "leak"]);
    git(&remote, &["gc", "-q", "--prune=now"]);
    let (still_there, _) = try_git(&remote, &["cat-file", "-e", &leaked]);
    assert!(!still_there, "the remote still has the commit");
    assert_eq!(git(&r, &["rev-parse", "origin/leak"]), leaked);
    git(&r, &["checkout", "-qb", "built-on-it"]);
    write_at(&r, "notes.txt", "more work\n");
    git(&r, &["add", "."]);
    git(&r, &["commit", "-qm", "more work"]);
    let (ok, err) = try_git(&r, &["push", "-q", "origin", "built-on-it"]);
    assert!(
        !ok,
        "a push brought a dropped key back to the remote: {err}"
    );
    assert!(err.contains("secrets/id_ecdsa:1:1"), "{err}");
    let (back, _) = try_git(&remote, &["cat-file", "-e", &leaked]);
    assert!(!back, "the key reached the remote");
    // Updating a branch the remote has judges by the sha git names, without asking the
    // remote: a clean commit on main passes.
    git(&r, &["checkout", "-q", "main"]);
    write_at(&r, "main.txt", "fine\n");
    git(&r, &["add", "."]);
    git(&r, &["commit", "-qm", "fine"]);
    let (ok, err) = try_git(&r, &["push", "-q", "origin", "main"]);
    assert!(ok, "{err}");
}

/// When what the remote has cannot be listed, a new branch cannot be judged: blocked.
#[test]
fn a_new_branch_to_a_remote_that_cannot_be_listed_is_blocked() {
    let d = TestDir::new();
    let r = setup(&d);
    let tip = git(&r, &["rev-parse", "HEAD"]);
    let mut child = util::keysweep(&r, &["hook", "pre-push", "origin", "../no-such-remote.git"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    writeln!(
        child.stdin.take().unwrap(),
        "refs/heads/new {tip} refs/heads/new {}",
        "0".repeat(40)
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("ls-remote"), "{err}");
}

/// Regression (issue 14, item 12): a truncated loose object (libgit2 1.9 spins forever
/// on one) must block a push or a commit, not hang it.
#[test]
fn a_truncated_loose_object_blocks_the_hooks_rather_than_hanging_them() {
    let mut failures = Vec::new();
    for kind in ["blob", "tree", "commit"] {
        let d = TestDir::new();
        let (r, first, id) = util::truncated_loose_object(&d, "r", kind);
        let head = fs::read_to_string(r.join(".git/refs/heads/main")).unwrap();
        let push = format!("refs/heads/main {} refs/heads/main {first}\n", head.trim());
        match util::output_within(
            &mut util::keysweep(&r, &["hook", "pre-push", "origin", "."]),
            push.as_bytes(),
            30,
        ) {
            None => failures.push(format!("{kind}: pre-push still running after 30 s")),
            Some(out) => {
                let err = String::from_utf8_lossy(&out.stderr);
                if out.status.code() != Some(2) || !err.contains("push blocked") {
                    failures.push(format!("{kind}: pre-push {:?}: {err}", out.status.code()));
                } else if !err.contains(&id) {
                    failures.push(format!("{kind}: pre-push does not name {id}: {err}"));
                }
            }
        }
        // The commit hook compares the index with HEAD's tree.
        write_at(&r, "new.txt", "new\n");
        git(&r, &["add", "new.txt"]);
        match util::output_within(&mut util::keysweep(&r, &["hook", "pre-commit"]), b"", 30) {
            None => failures.push(format!("{kind}: pre-commit still running after 30 s")),
            Some(out) => {
                let err = String::from_utf8_lossy(&out.stderr);
                if out.status.code() != Some(2) || !err.contains("commit blocked") {
                    failures.push(format!("{kind}: pre-commit {:?}: {err}", out.status.code()));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Under pre-commit every local branch and tag is checked, but only for what the remote
/// does not have: a key already on the remote (pushed past the hook) does not block the
/// push of a clean branch.
#[test]
fn pre_commit_framework_checks_only_what_the_remote_lacks() {
    if !have_pre_commit() {
        return;
    }
    let d = TestDir::new();
    let r = pre_commit_setup(&d);
    write_at(&r, "old/id_rsa", key("pem_rsa"));
    git(&r, &["add", "."]);
    git(&r, &["commit", "-qm", "old key"]);
    git(&r, &["tag", "v1"]);
    git(&r, &["push", "-q", "--no-verify", "origin", "main", "v1"]);
    git(&r, &["checkout", "-qb", "clean"]);
    write_at(&r, "a.txt", "fine\n");
    git(&r, &["add", "."]);
    git(&r, &["commit", "-qm", "fine"]);
    let (ok, err) = git_pc(&d, &r, &["push", "-q", "origin", "clean"]);
    assert!(
        ok,
        "a clean push was blocked by a key the remote has: {err}"
    );
}
