//! What a blob yields can depend on the path it is at: a bare base64 key body is looked for
//! only in configuration files, an AWS key in `rootkey.csv` is a root user's. The ledger
//! records the kind of path a blob was scanned at: a blob scanned clean (or as an ordinary
//! key) at one kind of path, met later at another (in another repository, another run, or
//! another commit of the same one), is scanned again there.

use std::path::Path;

use serde_json::Value;

use crate::util::{Run, TestDir, git, write_at};

const ID: &str = "AKIARZPUZDIKIOJZ7DN7";
const SECRET: &str = "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";

fn scan(d: &TestDir, store: &Path, args: &[&str]) -> Run {
    let mut all = vec!["org", "scan", "--format", "jsonl", "--jobs", "1", "--store"];
    all.push(store.to_str().unwrap());
    all.extend(args);
    d.run(&all)
}

fn commit(repo: &Path, files: &[(&str, &str)], msg: &str) {
    for (p, text) in files {
        write_at(repo, p, text);
    }
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-qm", msg]);
}

/// (repository folder name, path, rule) of each finding the store holds, sorted.
fn stored(store: &Path) -> Vec<(String, String, String)> {
    let conn = rusqlite::Connection::open(store).unwrap();
    let mut st = conn
        .prepare(
            "SELECT r.url, f.path, f.rule FROM findings f
             JOIN repositories r ON r.id = f.repository ORDER BY r.url, f.path",
        )
        .unwrap();
    st.query_map([], |r| {
        let url: String = r.get(0)?;
        let name = url.rsplit('/').next().unwrap().to_string();
        Ok((name, r.get(1)?, r.get(2)?))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn row(repo: &str, path: &str, rule: &str) -> (String, String, String) {
    (repo.into(), path.into(), rule.into())
}

/// Repository `a` holds the file under a name no configuration check looks at; `b` holds
/// the same bytes as a properties file: `b`'s key is found, whether `a` was scanned in an
/// earlier run or earlier in the same one.
#[test]
fn a_blob_scanned_clean_elsewhere_is_scanned_again_at_a_config_path() {
    let d = TestDir::new();
    let props = crate::util::bare_key_properties();
    let a = d.git_repo("fleet/a");
    commit(&a, &[("notes/settings.txt", &props)], "notes");
    let b = d.git_repo("later/b");
    commit(&b, &[("config/application.properties", &props)], "config");

    // Two runs: `a` alone, then `b`.
    let store = d.path().join("s.db");
    let r = scan(&d, &store, &["fleet"]);
    assert_eq!(r.code, 0, "nothing at a text file's path: {}", r.stderr);
    let r = scan(&d, &store, &["later"]);
    assert_eq!(r.code, 1, "b's key: {}\n{}", r.stdout, r.stderr);
    let found = r.findings();
    assert_eq!(found.len(), 1, "{}", r.stdout);
    assert_eq!(found[0]["path"], "config/application.properties");
    assert_eq!(found[0]["rule"], "private-key-base64");
    assert_eq!(
        stored(&store),
        [row(
            "b",
            "config/application.properties",
            "private-key-base64"
        )]
    );
    // Recorded under both kinds of path now: nothing is read again for either.
    commit(&a, &[("more.txt", "x\n")], "more");
    commit(&b, &[("more.txt", "y\n")], "more");
    let r = scan(&d, &store, &["fleet", "later"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("2 blobs listed, 2 read"), "{}", r.stderr);

    // One run over both, `a` first.
    std::fs::rename(d.path().join("later/b"), d.path().join("fleet/b")).unwrap();
    let store = d.path().join("t.db");
    let r = scan(&d, &store, &["fleet"]);
    assert_eq!(r.code, 1, "b's key: {}\n{}", r.stdout, r.stderr);
    assert_eq!(
        stored(&store),
        [row(
            "b",
            "config/application.properties",
            "private-key-base64"
        )]
    );
}

/// Within one repository: the file written as a text file, then renamed to a properties
/// file. The key is found at the properties file's path, in the rename's commit, and not
/// at the text file's (as `scan` would find it in either tree).
#[test]
fn a_blob_renamed_to_a_config_path_is_scanned_there() {
    let d = TestDir::new();
    let a = d.git_repo("fleet/a");
    commit(
        &a,
        &[("notes.txt", &crate::util::bare_key_properties())],
        "notes",
    );
    git(&a, &["mv", "notes.txt", "app.properties"]);
    git(&a, &["commit", "-qm", "rename"]);
    let rename = git(&a, &["rev-parse", "HEAD"]);
    let store = d.path().join("s.db");
    let r = scan(&d, &store, &["fleet"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let found = r.findings();
    assert_eq!(found.len(), 1, "{}", r.stdout);
    assert_eq!(found[0]["path"], "app.properties");
    assert_eq!(found[0]["git"]["commit"].as_str(), Some(rename.trim()));
    assert_eq!(found[0]["git"]["present_at_head"], true);
}

/// An AWS key and its secret in a CSV file are a key; in the console's `rootkey.csv`, a
/// root user's key. A second repository holding the same file as `rootkey.csv` is told so,
/// though the ledger had the blob from the first.
#[test]
fn a_root_key_file_is_a_root_key_whatever_the_ledger_saw_first() {
    let d = TestDir::new();
    let csv = format!("Access key ID,Secret access key\n{ID},{SECRET}\n");
    let a = d.git_repo("fleet/a");
    commit(&a, &[("backup/keys.csv", &csv)], "keys");
    let b = d.git_repo("later/b");
    commit(&b, &[("rootkey.csv", &csv)], "root");
    let store = d.path().join("s.db");
    let r = scan(&d, &store, &["fleet"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let first: Vec<Value> = r.findings();
    assert!(
        first.iter().all(|f| !f["name"]
            .as_str()
            .unwrap()
            .contains("root should have no access keys")),
        "{}",
        r.stdout
    );
    let r = scan(&d, &store, &["later"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let root = r
        .findings()
        .into_iter()
        .find(|f| f["path"] == "rootkey.csv" && f["category"] == "aws-access-key")
        .unwrap_or_else(|| panic!("rootkey.csv: {}", r.stdout));
    assert_eq!(root["severity"], "critical", "{root}");
    assert!(
        root["name"]
            .as_str()
            .unwrap()
            .contains("root should have no access keys"),
        "{root}"
    );
}
