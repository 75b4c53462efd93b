//! Each repository's own `.keysweep.toml` and baseline within an org scan: read as
//! `history` reads them (the work tree of a working clone, HEAD's tree of a bare one),
//! applied to that repository only. A key one repository accepts in its baseline is still
//! reported in another that holds it; a change to a repository's settings is a change that
//! rescans it.

use std::collections::BTreeSet;
use std::path::Path;

use crate::util::{Run, TestDir, git, key, write_at};

fn commit(repo: &Path, files: &[(&str, &str)], msg: &str) {
    for (p, text) in files {
        write_at(repo, p, text);
    }
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-qm", msg]);
}

fn org_scan(d: &TestDir, store: &Path) -> Run {
    let r = d.run(&[
        "org",
        "scan",
        "fleet",
        "--store",
        store.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    assert!(r.code <= 1, "{}", r.stderr);
    r
}

/// (repository folder, path, id) of each finding printed.
fn reported(r: &Run) -> BTreeSet<(String, String, String)> {
    r.findings()
        .iter()
        .map(|f| {
            let repo = f["git"]["repository"].as_str().unwrap();
            (
                Path::new(repo)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                f["path"].as_str().unwrap().to_string(),
                f["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// What `history` reports for `repo`, as [`reported`] gives it.
fn history(d: &TestDir, repo: &Path) -> BTreeSet<(String, String, String)> {
    let r = d.run(&["history", repo.to_str().unwrap(), "--format", "jsonl", "-q"]);
    assert!(r.code <= 1, "{}", r.stderr);
    reported(&r)
}

/// `accepts` (a working clone) holds a key and accepts it in its baseline; `bare.git` (a
/// bare clone) holds it too and accepts it in a baseline its committed config names;
/// `holds` holds the same key and accepts nothing.
fn fleet(d: &TestDir) -> (std::path::PathBuf, std::path::PathBuf) {
    let k = key("openssh_ed25519");
    let accepts = d.git_repo("fleet/accepts");
    commit(&accepts, &[("deploy/id_ed25519", &k)], "test key");
    let made = d.run(&[
        "baseline",
        "create",
        "--history",
        "--note",
        "fixture",
        "fleet/accepts",
    ]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    assert!(accepts.join(".keysweep-baseline.json").is_file());

    let holds = d.git_repo("fleet/holds");
    commit(&holds, &[("ops/deploy_key", &k)], "deploy key");

    // A repository with the key, its config naming a baseline elsewhere in the tree,
    // both committed; cloned bare.
    let src = d.git_repo("src");
    commit(&src, &[("fixtures/key", &k)], "fixture key");
    std::fs::create_dir_all(src.join("ci")).unwrap();
    let made = d.run(&[
        "baseline",
        "create",
        "--history",
        "-o",
        "src/ci/accepted.json",
        "src",
    ]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    commit(
        &src,
        &[(".keysweep.toml", "baseline = \"ci/accepted.json\"\n")],
        "accept the fixture",
    );
    git(
        d.path(),
        &["clone", "-q", "--bare", "src", "fleet/bare.git"],
    );
    (accepts, holds)
}

#[test]
fn a_key_one_repository_accepts_is_reported_only_where_it_is_not_accepted() {
    let d = TestDir::new();
    let (accepts, holds) = fleet(&d);
    // History says so, repository by repository.
    assert!(history(&d, &accepts).is_empty());
    // (The bare clone's settings are in its tree: history reads them from its source's
    // work tree.)
    assert!(history(&d, &d.path().join("src")).is_empty());
    let in_holds = history(&d, &holds);
    assert_eq!(in_holds.len(), 1, "{in_holds:?}");

    // The org scan of all three reports the same: the key in `holds` only.
    let store = d.path().join("org.db");
    let run = org_scan(&d, &store);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(reported(&run), in_holds, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("2 findings left out by the scanned repositories' own config or baseline"),
        "{}",
        run.stderr
    );
    // The store holds it at that one place.
    let listed = d.run(&[
        "org",
        "findings",
        "--store",
        store.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let all: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    let entries = all.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{}", listed.stdout);
    assert_eq!(entries[0]["places"].as_array().unwrap().len(), 1);

    // Unchanged: nothing new, nothing read.
    let again = org_scan(&d, &store);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("0 scanned, 3 unchanged"),
        "{}",
        again.stderr
    );

    // `accepts` drops its baseline (not committed): its settings changed, so it is
    // scanned again, and its key is now reported there too; the others are unchanged.
    std::fs::remove_file(accepts.join(".keysweep-baseline.json")).unwrap();
    let after = org_scan(&d, &store);
    assert_eq!(after.code, 1, "{}", after.stderr);
    assert!(
        after.stderr.contains("1 scanned, 2 unchanged"),
        "{}",
        after.stderr
    );
    assert_eq!(reported(&after), history(&d, &accepts), "{}", after.stderr);
    assert_eq!(reported(&after).len(), 1);
}

#[test]
fn a_repository_whose_config_cannot_be_read_is_recorded_as_failed_and_the_run_goes_on() {
    let d = TestDir::new();
    let (accepts, _holds) = fleet(&d);
    write_at(
        &accepts,
        ".keysweep.toml",
        "baseline = \"../../outside.json\"\n",
    );
    let store = d.path().join("org.db");
    let run = d.run(&[
        "org",
        "scan",
        "fleet",
        "--store",
        store.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    // `holds` is still scanned and its key reported; `accepts` is a failure naming why.
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("is outside the repository"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("1 failed"), "{}", run.stderr);
    assert_eq!(reported(&run).len(), 1, "{}", run.stdout);
}
