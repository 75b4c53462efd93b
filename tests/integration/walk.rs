//! What the walker reads and what it leaves alone: hostile entries, ignore files, options.

use std::os::unix::ffi::OsStrExt;
use std::process::Command;

use crate::util::{self, TestDir, key};

/// A FIFO, a symlink loop, an unreadable file and a non-UTF-8 file name in one directory:
/// the scan finishes, reports each, and still finds the key beside them.
#[test]
fn hostile_tree() {
    let d = TestDir::new();
    d.write("ok/id_ed25519", key("openssh_ed25519"));
    let fifo = d.path().join("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink("..", d.path().join("ok/loop")).unwrap();
    d.write("secret.txt", key("pem_rsa"));
    d.chmod("secret.txt", 0o000);
    let bad = std::ffi::OsStr::from_bytes(b"bad\xffname.pem");
    d.write(bad, key("openssl_sec1_ec.pem"));

    let mut cmd = util::keysweep_unprivileged();
    cmd.args(["scan", "--follow", "--format", "jsonl", "."])
        .current_dir(d.path());
    let run = util::Run::from(cmd.output().unwrap());

    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let paths: Vec<String> = run
        .secrets()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, vec!["bad\u{fffd}name.pem", "ok/id_ed25519"]);
    let err = &run.stderr;
    assert!(
        err.contains("keysweep: skipped pipe: not a regular file"),
        "{err}"
    );
    assert!(err.contains("ok/loop: symlink loop"), "{err}");
    assert!(err.contains("secret.txt: Permission denied"), "{err}");
    assert!(err.contains("1 skipped; 2 not read (see above)"), "{err}");
    // Each problem is reported once.
    assert_eq!(err.matches("secret.txt").count(), 1, "{err}");
}

/// An unreadable file and nothing found: the scan cannot vouch for the tree, exit 2.
#[test]
fn errors_without_findings_exit_2() {
    let d = TestDir::new();
    d.write("a.txt", "nothing here\n");
    let run = d.run(&["scan", "missing-dir"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("missing-dir"), "{}", run.stderr);
}

#[test]
fn symlinks_not_followed_by_default() {
    let d = TestDir::new();
    let outside = TestDir::new();
    outside.write("id_rsa", key("pem_rsa"));
    std::os::unix::fs::symlink(outside.path(), d.path().join("link")).unwrap();
    let run = d.run(&["scan", "--format", "jsonl", "-q"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""));
    let run = d.run(&["scan", "--format", "jsonl", "-q", "--follow"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.secrets()[0]["path"], "link/id_rsa");
}

fn found_paths(d: &TestDir, args: &[&str]) -> Vec<String> {
    let mut a = vec!["scan", "--format", "jsonl", "-q"];
    a.extend_from_slice(args);
    let run = d.run(&a);
    assert!(run.code <= 1, "{}", run.stderr);
    let mut p: Vec<String> = run
        .secrets()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    p.sort();
    p
}

#[test]
fn hidden_and_gitignored_files_are_scanned_git_dirs_are_not() {
    let d = TestDir::new();
    let k = key("openssh_ed25519");
    d.write(".gitignore", ".env\nbuild/\n");
    d.write(".env", &k);
    d.write("build/key.pem", &k);
    d.write(".config/key", &k);
    d.write(".git/objects/key", &k);
    d.write("sub/.git", "gitdir: ../.git/worktrees/sub\n");
    assert_eq!(
        found_paths(&d, &[]),
        vec![".config/key", ".env", "build/key.pem"]
    );
    assert_eq!(found_paths(&d, &["--gitignore"]), vec![".config/key"]);
}

#[test]
fn keysweepignore_and_exclude() {
    let d = TestDir::new();
    let k = key("openssh_ed25519");
    d.write(".keysweepignore", "fixtures/\n*.bak\n");
    d.write("fixtures/id", &k);
    d.write("old.bak", &k);
    d.write("app/key.pem", &k);
    d.write("app/vendor/key.pem", &k);
    d.write("keep.pem", &k);
    assert_eq!(
        found_paths(&d, &[]),
        vec!["app/key.pem", "app/vendor/key.pem", "keep.pem"]
    );
    assert_eq!(
        found_paths(&d, &["--exclude", "vendor", "--exclude", "*.pem"]),
        Vec::<String>::new()
    );
    assert_eq!(
        found_paths(&d, &["--exclude", "vendor/"]),
        vec!["app/key.pem", "keep.pem"]
    );
}

#[test]
fn max_file_size_skips_with_a_note() {
    let d = TestDir::new();
    let mut big = key("pem_rsa").into_bytes();
    big.resize(300_000, b'\n');
    d.write("big.pem", &big);
    d.write("small.pem", key("openssh_ed25519"));
    let run = d.run(&["scan", "--format", "jsonl", "--max-file-size", "100K"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.secrets().len(), 1);
    assert!(
        run.stderr
            .contains("skipped big.pem: 293.0 KiB is over --max-file-size 100.0 KiB"),
        "{}",
        run.stderr
    );
}

/// Files above the mmap threshold go through the map, and keys there are found too,
/// including one straddling nothing in particular near the end.
#[test]
fn large_files_are_mapped_and_scanned() {
    let d = TestDir::new();
    let mut big = vec![b'x'; 3 << 20];
    big.push(b'\n');
    big.extend_from_slice(key("openssh_ed25519").as_bytes());
    d.write("large.log", &big);
    let run = d.run(&["scan", "--format", "jsonl", "-q"]);
    assert_eq!(run.code, 1);
    let f = &run.secrets()[0];
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(2), Some(1))
    );
}

#[test]
fn empty_files_and_explicit_file_paths() {
    let d = TestDir::new();
    d.write("empty", "");
    d.write("k", key("pem_ecdsa256"));
    let run = d.run(&["scan", "--format", "jsonl", "-q", "empty", "k"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.secrets()[0]["path"], "k");
}

/// keysweep's own binary holds its signatures' example keys masked, so a scan of a
/// folder where keysweep is installed does not report keysweep.
#[test]
fn the_keysweep_binary_is_clean() {
    let d = TestDir::new();
    let exe = env!("CARGO_BIN_EXE_keysweep");
    let run = d.run(&["scan", "--format", "jsonl", "--include-examples", exe]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}
