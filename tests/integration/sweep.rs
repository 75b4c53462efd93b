//! `keysweep sweep`: a home built in a temp dir with a secret in each place keys pile up;
//! every one is reported, most dangerous first and then in place order, with archives opened, nested histories scanned,
//! caches left out, and a digest at the end.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;

use crate::util::{self, TestDir, git, key};

const AWS_ID: &str = "AKIARZPUZDIKIOJZ7DN7";
const AWS_SECRET: &str = "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";
const HISTORY_ID: &str = "AKIATCH6YDSYYYUWKYTK";

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in files {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn tar_gz_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut t = tar::Builder::new(gz);
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        t.append_data(&mut h, name, *data).unwrap();
    }
    t.into_inner().unwrap().finish().unwrap()
}

fn gz_of(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The home of the issue: each planted secret, and a large cache with a key in it.
fn home() -> TestDir {
    let h = TestDir::new();
    h.write("Downloads/prod.pem", key("openssl_pkcs8_rsa.pem"));
    h.chmod("Downloads/prod.pem", 0o777);
    h.write(
        "Downloads/backup.zip",
        zip_of(&[("keys/deploy_key", key("openssh_rsa2048").as_bytes())]),
    );
    h.write(".ssh/id_ed25519", key("openssh_ed25519"));
    h.chmod(".ssh/id_ed25519", 0o644);
    h.chmod(".ssh", 0o700);
    h.write(
        ".aws/credentials",
        format!("[default]\naws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SECRET}\n"),
    );
    h.chmod(".aws/credentials", 0o600);
    h.write(
        ".bash_history",
        "ls\nexport AWS_ACCESS_KEY_ID=AKIATCH6YDSYYYUWKYTK\ngit status\n",
    );
    h.chmod(".bash_history", 0o600);
    // A side project cloned into the home, whose history once held a key.
    let upstream = TestDir::new();
    let repo = upstream.git_repo("side-project");
    fs::write(repo.join("old.key"), key("pem_ecdsa256")).unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "add key"]);
    git(&repo, &["rm", "-q", "old.key"]);
    git(&repo, &["commit", "-qm", "remove key"]);
    fs::create_dir_all(h.path().join("src")).unwrap();
    git(
        &h.path().join("src"),
        &["clone", "-q", repo.to_str().unwrap(), "side-project"],
    );
    // A cache: many files and a key that must not be reported.
    for i in 0..600 {
        h.write(
            format!(".cache/pip/wheels/{i}.txt"),
            format!("cached {i}\n"),
        );
    }
    h.write(".cache/pip/leaked.pem", key("openssl_sec1_ec.pem"));
    h.write(
        "proj/node_modules/pkg/test.pem",
        key("openssl_pkcs8_ec.pem"),
    );
    h
}

fn sweep(h: &TestDir, extra: &[&str]) -> util::Run {
    let home = h.path().to_str().unwrap().to_string();
    let mut args = vec!["sweep", "--home", &home, "--format", "jsonl"];
    args.extend_from_slice(extra);
    h.run(&args)
}

/// A finding's path (or, given a string value, that path) relative to the home.
fn rel(h: &TestDir, f: &serde_json::Value) -> String {
    let p = f.as_str().or_else(|| f["path"].as_str()).unwrap();
    let home = format!("{}/", h.path().display());
    p.strip_prefix(&home).unwrap_or(p).to_string()
}

#[test]
fn every_planted_secret_is_reported_most_dangerous_first_then_in_place_order() {
    let h = home();
    let run = sweep(&h, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found: Vec<(String, String)> = run
        .findings_as_printed()
        .iter()
        .map(|f| (rel(&h, f), f["rule"].as_str().unwrap().to_string()))
        .collect();
    let expected = [
        ("Downloads/backup.zip", "insecure-permissions"),
        (
            "Downloads/backup.zip!keys/deploy_key",
            "private-key-openssh",
        ),
        ("Downloads/prod.pem", "insecure-permissions"),
        ("Downloads/prod.pem", "private-key-pkcs8"),
        (".ssh/id_ed25519", "insecure-permissions"),
        (".ssh/id_ed25519", "private-key-openssh"),
        (".aws/credentials", "aws-access-key-id"),
        ("old.key", "private-key-ec"),
        // A key id without its secret is high, not critical: after every critical one.
        (".bash_history", "aws-access-key-id"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(p, r)| (p.to_string(), r.to_string()))
        .collect();
    assert_eq!(found, expected, "{}", run.stdout);

    let f = run.findings_as_printed();
    // The exported key in the shell history and the credentials file's key, by kind.
    assert_eq!(f[6]["aws"]["access_key_id"], AWS_ID);
    assert_eq!(f[6]["aws"]["paired_secret"], true);
    assert_eq!(f[8]["aws"]["access_key_id"], HISTORY_ID);
    // The key in the side project's history: where it came in, and that it is gone.
    let g = &f[7]["git"];
    assert_eq!(g["present_at_head"], false);
    assert!(
        g["repository"]
            .as_str()
            .unwrap()
            .ends_with("src/side-project"),
        "{g}"
    );
    // The zip's entry carries the archive file's mode.
    assert_eq!(f[1]["file"]["mode"], "0644");
    assert_eq!(f[2]["file"]["mode"], "0777");

    // The cache and node_modules were not entered: their files are not counted.
    let err = &run.stderr;
    assert!(!run.stdout.contains(".cache"), "{}", run.stdout);
    assert!(!run.stdout.contains("node_modules"), "{}", run.stdout);
    assert!(
        err.contains("in 7 files and 2 blobs"),
        "6 files, 1 zip entry, 2 blobs; no cache file counted: {err}"
    );

    // The digest a person reads at the end.
    assert!(err.contains("keysweep sweep of"), "{err}");
    assert!(
        err.contains("private keys  4, 3 readable by others, 4 without a passphrase"),
        "{err}"
    );
    assert!(err.contains("AWS keys      2: 2 long-term (AKIA)"), "{err}");
    assert!(
        err.contains(
            "where         Downloads 4 · ~/.ssh 2 · ~/.aws 1 · shell history 1 · git history 1"
        ),
        "{err}"
    );
    assert!(
        err.contains("histories     1 git repository scanned"),
        "{err}"
    );
    let fix = format!("chmod 600 '{}/Downloads/prod.pem'", h.path().display());
    assert!(err.contains(&fix), "{err}");
}

#[test]
fn json_summary_carries_the_digest() {
    let h = home();
    let home = h.path().to_str().unwrap().to_string();
    let run = h.run(&["sweep", "--home", &home, "--format", "json", "-q"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let d = &v["summary"]["sweep"];
    assert_eq!(d["private_keys"], 4);
    assert_eq!(d["readable_by_others"], 3);
    assert_eq!(d["aws_keys"]["long_term"], 2);
    assert_eq!(d["repositories"], 1);
    assert_eq!(d["places"][0]["place"], "Downloads");
    assert_eq!(d["fix_commands"].as_array().unwrap().len(), 3);
    assert_eq!(v["summary"]["archive_entries"], 1);
    // Quiet means quiet: no digest on stderr.
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn excludes_extend_and_clear_and_history_can_be_skipped() {
    let h = home();
    let paths = |run: &util::Run| -> Vec<String> {
        run.secrets_as_printed()
            .iter()
            .map(|f| rel(&h, f))
            .collect::<Vec<_>>()
    };
    let all = sweep(&h, &["--no-default-excludes"]);
    let p = paths(&all);
    assert!(p.contains(&".cache/pip/leaked.pem".to_string()), "{p:?}");
    assert!(
        p.contains(&"proj/node_modules/pkg/test.pem".to_string()),
        "{p:?}"
    );

    let fewer = sweep(&h, &["--exclude", "/Downloads/", "--no-history"]);
    let p = paths(&fewer);
    assert!(!p.iter().any(|x| x.starts_with("Downloads")), "{p:?}");
    assert!(!p.contains(&"old.key".to_string()), "{p:?}");
    assert!(p.contains(&".ssh/id_ed25519".to_string()), "{p:?}");
    assert!(!p.iter().any(|x| x.contains(".cache")), "{p:?}");

    let no_archives = sweep(&h, &["--no-archives", "--no-history"]);
    let p = paths(&no_archives);
    assert!(!p.iter().any(|x| x.contains('!')), "{p:?}");
}

#[test]
fn fix_permissions_works_in_sweep() {
    let h = home();
    h.chmod(".ssh", 0o755);
    let run = sweep(&h, &["--fix-permissions", "--no-history"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let mode = |rel: &str| {
        fs::metadata(h.path().join(rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!(mode("Downloads/prod.pem"), 0o600);
    assert_eq!(mode("Downloads/backup.zip"), 0o600);
    assert_eq!(mode(".ssh/id_ed25519"), 0o600);
    assert_eq!(mode(".ssh"), 0o700);
    // Files that are not key material keep their mode.
    assert_eq!(mode(".cache/pip/wheels/1.txt") & 0o044, 0o044);
    assert!(!run.stderr.contains("fix now"), "{}", run.stderr);
}

#[test]
fn nested_archives_and_the_depth_limit() {
    let h = TestDir::new();
    let pem = key("openssl_sec1_ec.pem");
    let inner = tar_gz_of(&[("etc/ssl/server.key", pem.as_bytes())]);
    let middle = zip_of(&[("bundle/certs.tgz", &inner)]);
    h.write(
        "Downloads/release.jar",
        zip_of(&[("lib/inner.zip", &middle)]),
    );
    // Four archives deep: the fourth is not opened.
    let deep = gz_of(&gz_of(&gz_of(&gz_of(pem.as_bytes()))));
    h.write("Documents/deep.key.gz.gz.gz.gz", deep);
    h.write("Documents/plain.tar", {
        let mut t = tar::Builder::new(Vec::new());
        let mut hd = tar::Header::new_gnu();
        let data = key("pem_rsa");
        hd.set_size(data.len() as u64);
        hd.set_mode(0o600);
        hd.set_cksum();
        t.append_data(&mut hd, "id_rsa", data.as_bytes()).unwrap();
        t.into_inner().unwrap()
    });
    // A file named like an archive that is not one is scanned as it is.
    h.write("Documents/fake.zip", key("openssh_ed25519"));
    // An archive whose name is not UTF-8 is opened all the same.
    let latin1 = std::ffi::OsStr::from_bytes(b"Desktop/caf\xe9.zip");
    h.write(
        latin1,
        zip_of(&[("aws.txt", format!("id = {AWS_ID}\n").as_bytes())]),
    );
    let run = sweep(&h, &["--no-history", "--skip-rule", "insecure-permissions"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let paths: Vec<String> = run
        .secrets_as_printed()
        .iter()
        .map(|f| rel(&h, f))
        .collect();
    assert_eq!(
        paths,
        [
            "Downloads/release.jar!lib/inner.zip!bundle/certs.tgz!etc/ssl/server.key",
            "Documents/fake.zip",
            "Documents/plain.tar!id_rsa",
            // A key id alone (high) after the keys (critical).
            "Desktop/caf\u{fffd}.zip!aws.txt",
        ],
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("deep.key.gz.gz.gz.gz!deep.key.gz.gz.gz!deep.key.gz.gz!deep.key.gz: archive nested more than 3 deep"),
        "{}",
        run.stderr
    );
}

#[test]
fn archive_bombs_stop_at_the_budget() {
    let h = TestDir::new();
    // One tar entry of 600 MiB of zeros, gzipped to ~600 KiB: past the entry limit, and
    // skipping over it spends the 100× budget; it is never held whole.
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut t = tar::Builder::new(gz);
    let mut hd = tar::Header::new_gnu();
    hd.set_size(600 << 20);
    hd.set_mode(0o644);
    hd.set_cksum();
    t.append_data(&mut hd, "zeros", std::io::repeat(0).take(600 << 20))
        .unwrap();
    h.write(
        "Downloads/bomb.tar.gz",
        t.into_inner().unwrap().finish().unwrap(),
    );
    h.write("Downloads/after.pem", key("pem_rsa"));
    let run = sweep(&h, &["--no-history"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("a possible archive bomb"),
        "{}",
        run.stderr
    );
    let paths: Vec<String> = run
        .secrets_as_printed()
        .iter()
        .map(|f| rel(&h, f))
        .collect();
    assert_eq!(paths, ["Downloads/after.pem"]);
}

/// An unreadable folder is reported and skipped; the sweep goes on.
#[test]
fn unreadable_folders_are_skipped() {
    let h = TestDir::new();
    h.write("Downloads/key.pem", key("pem_rsa"));
    h.write("locked/inside.txt", "x\n");
    h.chmod("locked", 0o000);
    let mut cmd = util::keysweep_unprivileged();
    let home = h.path().to_str().unwrap();
    cmd.args(["sweep", "--home", home, "--format", "jsonl"]);
    let run = util::Run::from(cmd.output().unwrap());
    h.chmod("locked", 0o755);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("locked: Permission denied"),
        "{}",
        run.stderr
    );
    assert_eq!(run.secrets_as_printed().len(), 1);

    // Nothing found but something unreadable: exit 2.
    fs::remove_file(h.path().join("Downloads/key.pem")).unwrap();
    h.chmod("locked", 0o000);
    let mut cmd = util::keysweep_unprivileged();
    cmd.args(["sweep", "--home", home, "-q"]);
    let run = util::Run::from(cmd.output().unwrap());
    h.chmod("locked", 0o755);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn a_clean_home_exits_0_and_a_missing_one_2() {
    let h = TestDir::new();
    h.write("Documents/notes.txt", "nothing\n");
    let home = h.path().to_str().unwrap().to_string();
    let run = h.run(&["sweep", "--home", &home]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The digest is part of the report on stdout, so `sweep > report.txt` keeps it.
    assert!(run.stdout.contains("private keys  0"), "{}", run.stdout);
    assert!(!run.stderr.contains("private keys"), "{}", run.stderr);
    let run = h.run(&["sweep", "--home", "/nonexistent/home"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("/nonexistent/home"), "{}", run.stderr);
}

/// A bare backup of a repository and a linked worktree: the bare one's history is
/// scanned, and a worktree does not scan its main repository's history twice.
#[test]
fn bare_repositories_and_worktrees() {
    let h = TestDir::new();
    let repo = h.git_repo("code/app");
    fs::write(repo.join("id_rsa"), key("pem_rsa")).unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "oops"]);
    git(&repo, &["rm", "-q", "id_rsa"]);
    git(&repo, &["commit", "-qm", "remove"]);
    git(
        h.path(),
        &["clone", "-q", "--bare", "code/app", "backups/app.git"],
    );
    git(&repo, &["worktree", "add", "-q", "../app-wt"]);
    let run = sweep(&h, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let repos: Vec<String> = run
        .secrets_as_printed()
        .iter()
        .map(|f| rel(&h, &f["git"]["repository"]))
        .collect();
    assert_eq!(repos, ["backups/app.git", "code/app"], "{}", run.stdout);
    assert!(
        run.stderr
            .contains("histories     2 git repositories scanned"),
        "{}",
        run.stderr
    );
}

/// `--baseline` works in sweep as everywhere: what was accepted stays silent, a new key
/// shows, and the summary says what was silenced.
#[test]
fn sweep_honours_a_baseline() {
    let h = TestDir::new();
    h.write("Downloads/known.pem", key("pem_rsa"));
    h.chmod("Downloads/known.pem", 0o600);
    let base = TestDir::new();
    let file = base.path().join("accepted.json");
    let file = file.to_str().unwrap();
    let home = h.path().to_str().unwrap();
    let made = h.run(&["baseline", "create", "-o", file, home]);
    assert_eq!(made.code, 0, "{}", made.stderr);

    let run = sweep(&h, &["--baseline", file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("1 in the baseline"), "{}", run.stderr);

    h.write("Desktop/new.pem", key("openssl_sec1_ec.pem"));
    h.chmod("Desktop/new.pem", 0o600);
    let run = sweep(&h, &["--baseline", file]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let paths: Vec<String> = run
        .findings_as_printed()
        .iter()
        .map(|f| rel(&h, f))
        .collect();
    assert_eq!(paths, ["Desktop/new.pem"]);
}

/// Regression (issue 14, item 9): a repository's linked worktree outside the home (or
/// the main checkout of a worktree in it) holds files of its own, not in the history:
/// sweep scanned only the checkout it met, so a key in the other one was never seen.
#[test]
fn every_checkout_of_a_repository_found_is_swept() {
    let h = TestDir::new();
    let elsewhere = TestDir::new();
    // A main checkout in the home, with a linked worktree outside it.
    let app = h.git_repo("code/app");
    let wt = elsewhere.path().join("app-feature");
    git(
        &app,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "feature",
            wt.to_str().unwrap(),
        ],
    );
    fs::create_dir_all(wt.join("deploy")).unwrap();
    fs::write(wt.join("deploy/id_ecdsa"), key("pem_ecdsa256")).unwrap();
    // A main checkout outside the home, with a linked worktree in it.
    let lib = elsewhere.git_repo("lib");
    fs::write(lib.join("server.pem"), key("pem_rsa")).unwrap();
    let lib_wt = h.path().join("code/lib-wt");
    git(
        &lib,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "wt",
            lib_wt.to_str().unwrap(),
        ],
    );
    let run = sweep(&h, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let paths: Vec<String> = run
        .secrets()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    let canon = |p: std::path::PathBuf| fs::canonicalize(p).unwrap().display().to_string();
    for want in [
        canon(wt.join("deploy/id_ecdsa")),
        canon(lib.join("server.pem")),
    ] {
        assert!(paths.contains(&want), "{want} not in {paths:#?}");
    }
    // Each history once: nothing is committed with a key, so no history finding.
    assert!(
        run.secrets().iter().all(|f| f["git"].is_null()),
        "{}",
        run.stdout
    );
}

/// Regression (issue 14, item 12): a truncated loose object in a repository under the
/// home made sweep spin forever (libgit2 issue 7342); it is reported, exit 2.
#[test]
fn a_truncated_loose_object_under_the_home_is_reported_not_a_hang() {
    let mut failures = Vec::new();
    for kind in ["blob", "tree", "commit"] {
        let h = TestDir::new();
        let (_, _, id) = util::truncated_loose_object(&h, "code/app", kind);
        let home = h.path().to_str().unwrap().to_string();
        let mut cmd = h.cmd(&["sweep", "--home", &home, "--format", "jsonl"]);
        match util::output_within(&mut cmd, b"", 30) {
            None => failures.push(format!("{kind}: sweep still running after 30 s")),
            Some(out) => {
                let err = String::from_utf8_lossy(&out.stderr);
                if out.status.code() != Some(2) || !err.contains(&id) {
                    failures.push(format!("{kind}: {:?}: {err}", out.status.code()));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Issue 17: AWS keys are counted once per key id, however many files hold them, and
/// temporary credentials with their session token are counted too.
#[test]
fn the_digest_counts_each_aws_key_once() {
    let h = TestDir::new();
    let (id, secret) = (AWS_ID, AWS_SECRET);
    h.write(
        ".aws/credentials",
        format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"),
    );
    h.write(".bash_history", format!("export AWS_ACCESS_KEY_ID={id}\n"));
    h.write("code/app/.env", format!("AWS_ACCESS_KEY_ID={id}\n"));
    h.write(
        "Downloads/session.txt",
        "aws_access_key_id = ASIAZ5ZH5JJA7K5D4YQO\n\
         aws_secret_access_key = 9drTJvcXLB89EXAMPLELB8923FB892xMFI6zgZZS\n\
         aws_session_token = IQoJb3JpZ2luX2VjEHQaCXVzLWVhc3QtMSJIMEYCIQDz8MIDkbGC5ulOpp6Gq3KXbcBXbhfiwSNUNptW0T6v/AIhAKnrmFr5UAMbOn9CyrKiB2FdNu8ZjbWhLMoqfSPtLuqEKuwDCJ3//////////wEQABoMMDAwMDAwMDAwMDAwIgzAoFB1\n",
    );
    let home = h.path().to_str().unwrap();
    let run = h.run(&["sweep", "--home", home, "--no-history", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let aws = &doc["summary"]["sweep"]["aws_keys"];
    assert_eq!(aws["long_term"], 1, "{aws}");
    assert_eq!(aws["temporary"], 1, "{aws}");
    // One key, its places together.
    let reused = &doc["summary"]["reused_aws_keys"];
    assert_eq!(reused[0]["access_key_id"], id, "{reused}");
    assert_eq!(reused[0]["count"], 3, "{reused}");
    let run = h.run(&["sweep", "--home", home, "--no-history", "--color", "never"]);
    assert!(
        run.stdout.contains(&format!(
            "AWS keys found in more than one place\n  {id}: this key is in 3 places"
        )),
        "{}",
        run.stdout
    );
}

/// Issue 17: a developer's own key at rest in ~/.ssh is inventory, not a leak; a .pem in
/// Downloads, a copy of that key in the Trash and a 0644 key in ~/.ssh are the leaks.
#[test]
fn keys_at_rest_are_inventory_and_keys_astray_are_leaks() {
    let h = TestDir::new();
    h.write(".ssh/id_ed25519", key("openssh_ed25519"));
    h.write(".ssh/id_ed25519.pub", key("openssh_ed25519.pub"));
    h.write(".ssh/config", "Host *\n  IdentityFile ~/.ssh/id_ed25519\n");
    h.write(
        ".ssh/known_hosts",
        "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n",
    );
    h.chmod(".ssh", 0o700);
    h.chmod(".ssh/id_ed25519", 0o600);
    let home = h.path().to_str().unwrap();
    let run = h.run(&["sweep", "--home", home, "--format", "jsonl"]);
    assert_eq!(
        run.code, 0,
        "a normal ~/.ssh fails the sweep: {}",
        run.stdout
    );
    let f = run.findings();
    assert_eq!(f.len(), 1, "{}", run.stdout);
    assert_eq!(f[0]["severity"], "low");
    assert_eq!(f[0]["at_rest"]["weaknesses"][0], "no passphrase");
    // --strict counts inventory too.
    let run = h.run(&["sweep", "--home", home, "--strict", "-q"]);
    assert_eq!(run.code, 1, "{}", run.stderr);

    h.write("Downloads/prod.pem", key("pkcs8_rsa"));
    h.write(
        ".local/share/Trash/files/id_ed25519",
        key("openssh_ed25519"),
    );
    h.chmod(".local/share/Trash/files/id_ed25519", 0o600);
    h.write(".ssh/id_rsa", key("pem_rsa"));
    h.chmod(".ssh/id_rsa", 0o644);
    let run = h.run(&["sweep", "--home", home, "--format", "jsonl"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let leaks: std::collections::BTreeSet<String> = run
        .findings()
        .iter()
        .filter(|f| f.get("at_rest").is_none())
        .map(|f| rel(&h, f))
        .collect();
    let expected: std::collections::BTreeSet<String> = [
        "Downloads/prod.pem",
        ".local/share/Trash/files/id_ed25519",
        ".ssh/id_rsa",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(leaks, expected, "{}", run.stdout);
    for f in run.findings() {
        let at = rel(&h, &f);
        if at == ".local/share/Trash/files/id_ed25519" {
            assert_eq!(f["copy_of"], "~/.ssh/id_ed25519", "{f}");
        }
        if at == ".ssh/id_rsa" {
            // Loose permissions on a key in ~/.ssh: critical, as OpenSSH refuses it.
            assert_eq!(f["severity"], "critical", "{f}");
        }
        if at == ".ssh/id_ed25519" {
            assert_eq!(f["severity"], "low", "{f}");
        }
    }
}

/// Issue 17: one key used for several hosts in ~/.ssh/config (article 000's pitfall 2)
/// says so; a key an `IdentityFile` names outside ~/.ssh is at rest too.
#[test]
fn one_key_for_many_hosts_and_identity_files_elsewhere() {
    let h = TestDir::new();
    h.write(".ssh/id_ed25519", key("openssh_ed25519"));
    h.write("keys/deploy", key("pem_rsa"));
    h.write(
        ".ssh/config",
        "Host web1\n  IdentityFile ~/.ssh/id_ed25519\nHost db1 db2\n  IdentityFile ~/.ssh/id_ed25519\n\
         Host ci\n  IdentityFile \"~/keys/deploy\"\n",
    );
    h.chmod(".ssh", 0o700);
    h.chmod(".ssh/id_ed25519", 0o600);
    h.chmod("keys/deploy", 0o400);
    let home = h.path().to_str().unwrap();
    let run = h.run(&["sweep", "--home", home, "--format", "jsonl"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let f = run.findings();
    assert_eq!(f.len(), 2, "{}", run.stdout);
    for f in &f {
        assert_eq!(f["severity"], "low", "{f}");
        if rel(&h, f) == ".ssh/id_ed25519" {
            assert_eq!(
                f["at_rest"]["weaknesses"][0], "one key for 3 hosts (web1, db1, db2)",
                "{f}"
            );
        }
    }
}

/// Issue 17: a key id and its secret in different files of one home are one key; a
/// long-term key in ~/.aws/credentials says how long it has been there.
#[test]
fn an_aws_secret_pairs_with_its_id_across_the_homes_files() {
    let h = TestDir::new();
    h.write(
        ".bash_history",
        format!("ls\nexport AWS_ACCESS_KEY_ID={AWS_ID}\n"),
    );
    h.write(
        ".zsh_history",
        format!(": 1700000000:0;export AWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"),
    );
    h.write(
        ".aws/credentials",
        format!("[ops]\naws_access_key_id = {HISTORY_ID}\naws_secret_access_key = {AWS_SECRET}\n"),
    );
    h.chmod(".aws/credentials", 0o600);
    let run = sweep(&h, &["--no-history"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.secrets();
    assert!(
        f.iter().all(|f| f["category"] != "aws-secret-key"),
        "a secret left unpaired: {}",
        run.stdout
    );
    let history = f
        .iter()
        .find(|f| rel(&h, f) == ".bash_history")
        .expect("the key id in .bash_history");
    assert_eq!(history["aws"]["paired_secret"], true, "{history}");
    assert_eq!(history["aws"]["secret"]["path"], "~/.zsh_history");
    assert_eq!(history["severity"], "critical");
    let creds = f
        .iter()
        .find(|f| rel(&h, f) == ".aws/credentials")
        .expect("the key in ~/.aws/credentials");
    assert_eq!(creds["aws"]["age_days"], 0, "{creds}");
}
