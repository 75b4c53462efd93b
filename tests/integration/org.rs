//! `keysweep org`: repositories found under folders and named in lists (local paths,
//! `file://` and a real `git daemon`), scanned into a store; re-runs that read nothing when
//! nothing changed and only the new commits when something did; a ledger shared by forks;
//! a rule change that rescans; triage kept across runs; a newer store refused; a dead
//! remote recorded while the run goes on; a run killed mid-repository and resumed.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{Run, TestDir, git, key, keysweep, write_at};

/// `keysweep org scan ARGS… --store STORE --format jsonl`.
fn scan(d: &TestDir, store: &Path, args: &[&str]) -> Run {
    let mut all = vec!["org", "scan", "--format", "jsonl", "--store"];
    all.push(store.to_str().unwrap());
    all.extend(args);
    d.run(&all)
}

/// The counters a run reports: (repositories scanned, unchanged, failed, blobs listed,
/// read, known from the ledger).
fn counts(r: &Run) -> [u64; 6] {
    let line = r
        .stderr
        .lines()
        .find(|l| l.starts_with("keysweep org: ") && l.contains("blobs listed"))
        .unwrap_or_else(|| panic!("no summary in {}", r.stderr));
    let nums: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    // N repositories (S scanned, U unchanged, F failed); L blobs listed, R read, K known
    [nums[1], nums[2], nums[3], nums[4], nums[5], nums[6]]
}

/// The ids of the new findings a jsonl run printed, sorted.
fn new_ids(r: &Run) -> Vec<String> {
    let mut ids: Vec<String> = r
        .findings()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// `org findings --format json` for `store`, with ARGS.
fn findings(d: &TestDir, store: &Path, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["org", "findings", "--format", "json", "--store"];
    all.push(store.to_str().unwrap());
    all.extend(args);
    let r = d.run(&all);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

/// Commits `files` in `repo`.
fn commit(repo: &Path, files: &[(&str, &str)], msg: &str) {
    for (p, text) in files {
        write_at(repo, p, text);
    }
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-qm", msg]);
}

fn places(entry: &Value) -> Vec<String> {
    entry["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}:{}",
                p["repository"].as_str().unwrap(),
                p["path"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_folder_gives_its_clones_and_bare_repositories_and_nested_ones_when_asked() {
    let d = TestDir::new();
    let a = d.git_repo("fleet/a");
    commit(&a, &[("deploy/id_ed25519", &key("openssh_ed25519"))], "key");
    git(
        d.path(),
        &["clone", "-q", "--bare", "fleet/a", "fleet/b.git"],
    );
    let c = d.git_repo("fleet/team/c");
    commit(&c, &[("id_ecdsa", &key("openssh_ecdsa256"))], "key");
    // A repository inside a's work tree: only with --nested.
    let n = d.git_repo("fleet/a/vendor/n");
    commit(&n, &[("id_rsa", &key("openssh_rsa2048"))], "key");

    let store = d.path().join("s1.db");
    let r = scan(&d, &store, &["fleet"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let [scanned, ..] = counts(&r);
    assert_eq!(scanned, 3, "{}", r.stderr);
    let got = findings(&d, &store, &[]);
    assert_eq!(got.len(), 2, "{got:#?}");
    let shared = got
        .iter()
        .find(|e| e["repositories"] == 2)
        .expect("the key in a and b");
    assert_eq!(
        places(shared),
        ["a:deploy/id_ed25519", "b:deploy/id_ed25519"]
    );
    let human = d.run(&["org", "findings", "--store", store.to_str().unwrap()]);
    assert!(
        human.stdout.contains("in 2 repositories"),
        "{}",
        human.stdout
    );

    let store = d.path().join("s2.db");
    let r = scan(&d, &store, &["fleet", "--nested"]);
    assert_eq!(counts(&r)[0], 4, "{}", r.stderr);
    let got = findings(&d, &store, &["--repo", "n"]);
    assert_eq!(got.len(), 1);
    assert_eq!(places(&got[0]), ["n:id_rsa"]);
}

#[test]
fn an_unchanged_rerun_reads_nothing_and_new_commits_give_only_the_new_key() {
    let d = TestDir::new();
    let a = d.git_repo("fleet/a");
    commit(&a, &[("id_ed25519", &key("openssh_ed25519"))], "key");
    let store = d.path().join("s.db");
    let first = scan(&d, &store, &["fleet"]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert_eq!(new_ids(&first).len(), 1);

    let again = scan(&d, &store, &["fleet"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.is_empty(), "{}", again.stdout);
    assert_eq!(counts(&again), [0, 1, 0, 0, 0, 0], "{}", again.stderr);

    commit(&a, &[("notes.txt", "nothing here\n")], "notes");
    commit(
        &a,
        &[("ops/id_ecdsa", &key("openssh_ecdsa256"))],
        "another key",
    );
    let third = scan(&d, &store, &["fleet"]);
    assert_eq!(third.code, 1, "{}", third.stderr);
    let found = third.findings();
    assert_eq!(found.len(), 1, "{}", third.stdout);
    assert_eq!(found[0]["path"], "ops/id_ecdsa");
    // Only the two new blobs were listed and read.
    assert_eq!(counts(&third)[3..], [2, 2, 0], "{}", third.stderr);
    let all = findings(&d, &store, &[]);
    assert_eq!(all.len(), 2);
}

/// A secret is at HEAD where its own path still holds it, as `history` says: a key
/// copied to two paths, one of them deleted, is at HEAD at the other only; a key moved
/// back in is at HEAD again.
#[test]
fn present_at_head_is_per_path() {
    let d = TestDir::new();
    let a = d.git_repo("fleet/a");
    let k = key("openssh_ed25519");
    commit(&a, &[("deploy/id", &k), ("backup/id", &k)], "two copies");
    let store = d.path().join("s.db");
    let first = scan(&d, &store, &["fleet"]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    let at_head = |store: &Path| -> Vec<(String, i64)> {
        let conn = rusqlite::Connection::open(store).unwrap();
        let mut st = conn
            .prepare("SELECT path, present_at_head FROM findings ORDER BY path")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(
        at_head(&store),
        [("backup/id".to_string(), 1), ("deploy/id".to_string(), 1)]
    );
    git(&a, &["rm", "-q", "backup/id"]);
    git(&a, &["commit", "-qm", "drop the backup"]);
    let second = scan(&d, &store, &["fleet"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(
        at_head(&store),
        [("backup/id".to_string(), 0), ("deploy/id".to_string(), 1)]
    );
    commit(&a, &[("backup/id", &k)], "the backup again");
    scan(&d, &store, &["fleet"]);
    assert_eq!(
        at_head(&store),
        [("backup/id".to_string(), 1), ("deploy/id".to_string(), 1)]
    );
}

/// `--shard I/N` splits the repositories between N runs: every repository in exactly one
/// shard, the same one on every run; `auto` reads the index the engine sets
/// (JOB_COMPLETION_INDEX, or GitLab's CI_NODE_INDEX counted from 1 and CI_NODE_TOTAL).
#[test]
fn shards_split_the_repositories_exactly_and_stably() {
    let d = TestDir::new();
    for i in 0..12 {
        let r = d.git_repo(&format!("fleet/r{i:02}"));
        commit(&r, &[("id", &key("openssh_ed25519"))], "key");
    }
    let repos_of = |store: &Path| -> Vec<String> {
        let conn = rusqlite::Connection::open(store).unwrap();
        let mut st = conn.prepare("SELECT name FROM repositories").unwrap();
        let mut v: Vec<String> = st
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        v.sort();
        v
    };
    let run = |store: &str, shard: &str, env: &[(&str, &str)]| {
        let mut c = crate::util::keysweep(
            d.path(),
            &[
                "org", "scan", "fleet", "-q", "--format", "jsonl", "--store", store, "--shard",
                shard,
            ],
        );
        for (k, v) in env {
            c.env(k, v);
        }
        let r = Run::from(c.output().unwrap());
        assert!(r.code <= 1, "{}", r.stderr);
    };
    let mut all = Vec::new();
    for i in 0..3 {
        run(&format!("s{i}.db"), &format!("{i}/3"), &[]);
        let got = repos_of(&d.path().join(format!("s{i}.db")));
        // A shard is a hash of the repository's path, which holds the test's own temporary
        // folder: one shard of three may be empty (about 2% of runs), but one holding all
        // twelve (about 1 in 180,000) means the hash does not split.
        assert!(got.len() < 12, "shard {i} holds every repository");
        // Again, in a fresh store: the same repositories.
        run(&format!("t{i}.db"), &format!("{i}/3"), &[]);
        assert_eq!(repos_of(&d.path().join(format!("t{i}.db"))), got);
        all.extend(got);
    }
    all.sort();
    let want: Vec<String> = (0..12).map(|i| format!("r{i:02}")).collect();
    assert_eq!(all, want, "each repository in exactly one shard");
    // What the engines set: Kubernetes' 0-based index, GitLab's 1-based one and total.
    run("k.db", "auto/3", &[("JOB_COMPLETION_INDEX", "1")]);
    assert_eq!(
        repos_of(&d.path().join("k.db")),
        repos_of(&d.path().join("s1.db"))
    );
    run(
        "g.db",
        "auto",
        &[("CI_NODE_INDEX", "3"), ("CI_NODE_TOTAL", "3")],
    );
    assert_eq!(
        repos_of(&d.path().join("g.db")),
        repos_of(&d.path().join("s2.db"))
    );
    for bad in ["3/3", "x/3", "1", "auto"] {
        let r = d.run(&["org", "scan", "fleet", "--store", "bad.db", "--shard", bad]);
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
        assert!(r.stderr.contains("--shard"), "{bad}: {}", r.stderr);
    }
}

#[test]
fn forks_share_the_ledger_and_a_rule_change_rescans() {
    let d = TestDir::new();
    let a = d.git_repo("fleet/a");
    commit(
        &a,
        &[
            ("id_ed25519", &key("openssh_ed25519")),
            ("src/main.c", "int main(void) { return 0; }\n"),
        ],
        "code",
    );
    git(d.path(), &["clone", "-q", "fleet/a", "fleet/b"]);
    let b = d.path().join("fleet/b");
    commit(&b, &[("fork.txt", "the fork's own file\n")], "fork");
    let store = d.path().join("s.db");
    let r = scan(&d, &store, &["fleet", "--jobs", "1"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // a: README, key, main.c read; b: the same three from the ledger, its own file read.
    assert_eq!(counts(&r)[3..], [7, 4, 3], "{}", r.stderr);
    // The key is placed in both, though read once.
    let got = findings(&d, &store, &[]);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["repositories"], 2);

    // Another rule set: every blob is read again, once for the organisation.
    let r = scan(
        &d,
        &store,
        &["fleet", "--jobs", "1", "--skip-rule", "aws-access-key-id"],
    );
    assert_eq!(r.code, 0, "nothing new: {}", r.stderr);
    assert_eq!(counts(&r)[3..], [7, 4, 3], "{}", r.stderr);
    let r = scan(
        &d,
        &store,
        &["fleet", "--jobs", "1", "--skip-rule", "aws-access-key-id"],
    );
    assert_eq!(counts(&r)[1], 2, "unchanged: {}", r.stderr);
    // Back to the first rule set: its ledger is still there.
    let r = scan(&d, &store, &["fleet", "--jobs", "1"]);
    assert_eq!(counts(&r)[3..], [7, 0, 7], "{}", r.stderr);
}

/// A first scan's pass over the packs looks for bare base64 keys in every blob, though it
/// knows no paths: the versions of configuration files it found clean are not read again,
/// and a key's body in one is read and found there (and only there: the same blob as a
/// text file holds no finding), as `history` finds it.
#[test]
fn the_pass_clears_configuration_files_and_flags_their_bare_keys() {
    let d = TestDir::new();
    let r = big_repo(&d, "fleet/r", 1500, &key("openssh_ed25519"));
    let props = crate::util::bare_key_properties();
    let mut files: Vec<(String, String)> = (0..300)
        .map(|i| {
            (
                format!("conf/{i}.yml"),
                format!("name: service{i}\nport: {i}\n"),
            )
        })
        .collect();
    files.push(("config/application.properties".into(), props.clone()));
    files.push(("notes.txt".into(), props));
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (&**p, &**t)).collect();
    commit(&r, &files, "configuration");
    // One pack: the pass sees every blob.
    git(&r, &["gc", "-q"]);
    let store = d.path().join("s.db");
    let run = scan(&d, &store, &["fleet"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let got = run.rule_paths();
    assert!(
        got.contains(&(
            "private-key-base64".into(),
            "config/application.properties".into()
        )),
        "{got:?}"
    );
    assert!(got.iter().all(|(_, p)| p != "notes.txt"), "{got:?}");
    let history = crate::util::run_in(&r, &["history", "--format", "jsonl", "."]);
    assert_eq!(history.code, 1, "{}", history.stderr);
    assert_eq!(got, history.rule_paths());
}

#[test]
fn triage_is_kept_and_a_revoked_secret_that_comes_back_is_new() {
    let d = TestDir::new();
    let a = d.git_repo("fleet/a");
    commit(&a, &[("id_ed25519", &key("openssh_ed25519"))], "key");
    let store = d.path().join("s.db");
    let s = store.to_str().unwrap();
    let first = scan(&d, &store, &["fleet"]);
    let id = new_ids(&first).pop().unwrap();

    let t = d.run(&[
        "org",
        "triage",
        &id,
        "--store",
        s,
        "--status",
        "false-positive",
        "--note",
        "test key",
    ]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    let unknown = d.run(&[
        "org",
        "triage",
        "ks-000000000000000000000000",
        "--store",
        s,
        "--status",
        "accepted",
    ]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    commit(&a, &[("notes.txt", "more\n")], "more");
    assert_eq!(scan(&d, &store, &["fleet"]).code, 0);
    let fp = findings(&d, &store, &["--status", "false-positive"]);
    assert_eq!(fp.len(), 1);
    let place = &fp[0]["places"][0];
    assert_eq!(place["note"], "test key");
    assert!(place["triaged_by"].as_str().is_some_and(|w| !w.is_empty()));
    assert!(findings(&d, &store, &["--status", "open"]).is_empty());

    // Revoked, removed, then committed again: reported as new, and open.
    d.run(&["org", "triage", &id, "--store", s, "--status", "revoked"]);
    git(&a, &["rm", "-q", "id_ed25519"]);
    git(&a, &["commit", "-qm", "remove"]);
    let gone = scan(&d, &store, &["fleet"]);
    assert_eq!(gone.code, 0, "{}", gone.stderr);
    assert_eq!(
        findings(&d, &store, &[])[0]["places"][0]["present_at_head"],
        false
    );
    commit(&a, &[("id_ed25519", &key("openssh_ed25519"))], "back");
    let back = scan(&d, &store, &["fleet"]);
    assert_eq!(back.code, 1, "{}", back.stderr);
    assert_eq!(new_ids(&back), vec![id]);
    let open = findings(&d, &store, &["--status", "open"]);
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["places"][0]["present_at_head"], true);
}

#[test]
fn a_store_from_a_newer_keysweep_is_refused() {
    let d = TestDir::new();
    d.git_repo("fleet/a");
    let store = d.path().join("s.db");
    assert_eq!(scan(&d, &store, &["fleet"]).code, 0);
    let conn = rusqlite::Connection::open(&store).unwrap();
    conn.execute("UPDATE schema_version SET version = 99", [])
        .unwrap();
    drop(conn);
    let r = scan(&d, &store, &["fleet"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("newer keysweep"), "{}", r.stderr);
    let f = d.run(&["org", "findings", "--store", store.to_str().unwrap()]);
    assert_eq!(f.code, 2);
    assert!(f.stderr.contains("version 99"), "{}", f.stderr);
}

/// A port nothing listens on (now).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `git daemon` serving every repository under `base`, killed when dropped.
struct Daemon {
    child: Child,
    port: u16,
}

impl Daemon {
    fn start(base: &Path) -> Daemon {
        let port = free_port();
        // `git-daemon` itself, not `git daemon`: `git` would run it as a child of its own,
        // which killing `git` leaves running after the test.
        let exec_path = Command::new("git").arg("--exec-path").output().unwrap();
        let exec_path = String::from_utf8(exec_path.stdout).unwrap();
        let child = Command::new(Path::new(exec_path.trim()).join("git-daemon"))
            .arg("--export-all")
            .arg("--reuseaddr")
            .arg(format!("--base-path={}", base.display()))
            .arg(format!("--port={port}"))
            .arg("--listen=127.0.0.1")
            .arg(base)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "git daemon did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Daemon { child, port }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_list_of_urls_is_cloned_then_fetched_and_a_dead_remote_is_recorded() {
    let d = TestDir::new();
    let a = d.git_repo("work/a");
    commit(&a, &[("id_ed25519", &key("openssh_ed25519"))], "key");
    let served = d.path().join("served");
    std::fs::create_dir_all(&served).unwrap();
    git(
        d.path(),
        &["clone", "-q", "--bare", "work/a", "served/a.git"],
    );
    let b = d.git_repo("work/b");
    commit(&b, &[("id_ecdsa", &key("openssh_ecdsa256"))], "key");
    git(
        d.path(),
        &["clone", "-q", "--bare", "work/b", "served/b.git"],
    );
    let daemon = Daemon::start(&served);
    let dead = free_port();
    let list = d.write(
        "repos.txt",
        format!(
            "# the organisation\ngit://127.0.0.1:{}/a.git\nfile://{}\n\ngit://127.0.0.1:{dead}/gone.git\n",
            daemon.port,
            served.join("b.git").display()
        ),
    );
    let store = d.path().join("state/s.db");
    let cache = d.path().join("state/s-cache");
    let list = list.to_str().unwrap();
    let r = scan(&d, &store, &["--list", list]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(new_ids(&r).len(), 2, "{}", r.stdout);
    assert_eq!(counts(&r)[..3], [2, 0, 1], "{}", r.stderr);
    assert!(
        r.stderr.contains("gone: ") && r.stderr.contains("unreachable"),
        "{}",
        r.stderr
    );
    // Two clones, kept under the store's folder.
    let clones: Vec<PathBuf> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(clones.len(), 2, "{clones:?}");
    for c in &clones {
        std::fs::write(c.join("still-here"), "").unwrap();
    }

    // A new commit on the served repository: fetched into the same clone, and only the
    // new key is new. The dead remote alone: exit 2.
    commit(&a, &[("ops/id_rsa", &key("openssh_rsa2048"))], "another");
    git(
        &a,
        &[
            "push",
            "-q",
            &served.join("a.git").to_string_lossy(),
            "main",
        ],
    );
    let r = scan(&d, &store, &["--list", list]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let found = r.findings();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["path"], "ops/id_rsa");
    assert_eq!(counts(&r)[..5], [1, 1, 1, 1, 1], "{}", r.stderr);
    for c in &clones {
        assert!(
            c.join("still-here").exists(),
            "{} was cloned again",
            c.display()
        );
    }
    let r = scan(&d, &store, &["--list", list]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty());

    // Bounded: one byte allowed, every clone goes (the next run clones again).
    let r = scan(&d, &store, &["--list", list, "--cache-max", "1"]);
    assert!(r.stderr.contains("evicted"), "{}", r.stderr);
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 0);
    drop(daemon);
}

/// The findings a store holds, without times and run numbers, in a stable order.
fn store_findings(store: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(store).unwrap();
    let mut st = conn
        .prepare(
            "SELECT r.url, f.content_id, f.path, f.rule, f.blob, f.commit_id, f.present_at_head,
             f.status FROM findings f JOIN repositories r ON r.id = f.repository",
        )
        .unwrap();
    let mut rows: Vec<String> = st
        .query_map([], |r| {
            Ok(format!(
                "{} {} {} {} {} {:?} {} {}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, String>(7)?
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows.sort();
    let ledger: i64 = conn
        .query_row("SELECT count(*) FROM ledger", [], |r| r.get(0))
        .unwrap();
    rows.push(format!("ledger {ledger}"));
    rows
}

/// How many repositories the store has recorded as scanned.
fn recorded(store: &Path) -> i64 {
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(store, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    conn.query_row(
        "SELECT count(*) FROM repositories WHERE result = 'ok'",
        [],
        |r| r.get(0),
    )
    .unwrap_or(0)
}

/// A repository of `n` generated files in one commit (git fast-import: fast), with a key
/// at the end.
pub(crate) fn big_repo(d: &TestDir, rel: &str, n: usize, secret: &str) -> PathBuf {
    big_repo_salted(d, rel, n, secret, "")
}

/// [`big_repo`], each file's text starting with `salt` (so that two repositories share
/// no blob).
fn big_repo_salted(d: &TestDir, rel: &str, n: usize, secret: &str, salt: &str) -> PathBuf {
    let r = d.git_repo(rel);
    let mut stream = String::from(
        "commit refs/heads/main\ncommitter A <a@example.invalid> 1767000000 +0000\ndata 4\nbig\nfrom refs/heads/main^0\n",
    );
    for i in 0..n {
        let body = format!(
            "{salt}file {i}\n{}\n",
            "some ordinary text, nothing secret\n".repeat(40)
        );
        stream.push_str(&format!(
            "M 644 inline data/{i:05}.txt\ndata {}\n{body}\n",
            body.len()
        ));
    }
    stream.push_str(&format!(
        "M 644 inline keys/id\ndata {}\n{secret}\n",
        secret.len()
    ));
    let mut c = crate::util::git_command(&r, &["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    c.stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    assert!(c.wait().unwrap().success());
    git(&r, &["reset", "-q", "--hard", "main"]);
    r
}

/// Unpacks `repo`'s packs into loose objects: a first scan then reads its blobs one at a
/// time, slowly enough for a test to kill the run mid-repository (a pass over a pack of
/// 3,000 objects is over in milliseconds).
pub(crate) fn unpacked(repo: PathBuf) -> PathBuf {
    let packs = repo.join(".git/objects/pack");
    for entry in std::fs::read_dir(&packs).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pack") {
            let pack = std::fs::read(&path).unwrap();
            std::fs::remove_file(&path).unwrap();
            std::fs::remove_file(path.with_extension("idx")).unwrap();
            let mut u = crate::util::git_command(&repo, &["unpack-objects", "-q"])
                .stdin(Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write as _;
            u.stdin.take().unwrap().write_all(&pack).unwrap();
            assert!(u.wait().unwrap().success());
        }
    }
    repo
}

/// Two small repositories around a big one whose blobs are loose (read one at a time,
/// slowly enough to stop a run in the middle of it), three keys in all; the store a
/// clean run of `jobs` jobs gives.
fn slow_fleet(d: &TestDir, jobs: &str) -> Vec<String> {
    let first = d.git_repo("fleet/a-small");
    commit(&first, &[("id_ed25519", &key("openssh_ed25519"))], "key");
    unpacked(big_repo(d, "fleet/b-big", 3000, &key("openssh_ecdsa256")));
    let last = d.git_repo("fleet/c-small");
    commit(&last, &[("id_rsa", &key("openssh_rsa2048"))], "key");
    let clean = d.path().join("clean.db");
    let r = scan(d, &clean, &["fleet", "--jobs", jobs, "--threads", "1"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let want = store_findings(&clean);
    assert_eq!(want.len(), 4, "{want:#?}");
    want
}

/// `org scan fleet` of `jobs` jobs into `store`, started and left running once it has
/// recorded its first repository.
fn started_until_one_recorded(d: &TestDir, store: &Path, jobs: &str) -> std::process::Child {
    let args = [
        "org",
        "scan",
        "fleet",
        "--jobs",
        jobs,
        "--threads",
        "1",
        "--quiet",
        "--store",
    ];
    let mut child = keysweep(d.path(), &args)
        .arg(store)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while recorded(store) < 1 {
        assert!(Instant::now() < deadline, "the run recorded nothing");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it was stopped"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

/// The run stopped on `store` had not finished the big repository; the next run of `jobs`
/// jobs scans what it left, to exactly the findings `want` (the clean run's); and the one
/// after it finds nothing more.
fn resumes_to(d: &TestDir, store: &Path, jobs: &str, want: &[String]) {
    assert!(
        recorded(store) < 3,
        "the big repository was done before the run was stopped"
    );
    let r = scan(d, store, &["fleet", "--jobs", jobs, "--threads", "1"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(store_findings(store), want);
    let r = scan(d, store, &["fleet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(store_findings(store), want);
}

#[test]
fn a_run_killed_mid_repository_resumes_to_exactly_the_clean_store() {
    let d = TestDir::new();
    let want = slow_fleet(&d, "1");

    // Killed once the first repository is recorded, while the big one is being read.
    let store = d.path().join("killed.db");
    let mut child = started_until_one_recorded(&d, &store, "1");
    std::thread::sleep(Duration::from_millis(30));
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(
        status.code().is_none(),
        "the run finished before the kill: {status:?}"
    );
    resumes_to(&d, &store, "1", &want);
}

/// Ctrl-C mid-run, with two jobs handing their scans to the run's one writer: the run
/// exits 130 without having recorded the repository it was reading, and the next run
/// scans what was left, to exactly the store a clean run gives.
#[test]
fn an_interrupted_run_exits_130_and_the_next_one_finishes_it() {
    let d = TestDir::new();
    let want = slow_fleet(&d, "2");

    let store = d.path().join("interrupted.db");
    let mut child = started_until_one_recorded(&d, &store, "2");
    crate::util::ctrl_c(&child);
    let out = crate::util::wait_or_kill(&mut child, Duration::from_secs(60));
    assert_eq!(out.code, 130, "{}", out.stderr);
    resumes_to(&d, &store, "2", &want);
}

/// `org scan` of the repositories under `fleet` into `store` with `KEYSWEEP_TIMINGS` set:
/// the run, and the number of threads each pass over packs started with.
fn scan_timed(d: &TestDir, store: &Path, args: &[&str]) -> (Run, Vec<usize>) {
    let mut all = vec!["org", "scan", "fleet", "--format", "jsonl", "--store"];
    all.push(store.to_str().unwrap());
    all.extend(args);
    let out = keysweep(d.path(), &all)
        .env("KEYSWEEP_TIMINGS", "1")
        .output()
        .unwrap();
    let run = Run::from(out);
    // "keysweep: timing: NAME: pass started, 2 threads at 0.004 s"
    let threads = run
        .stderr
        .lines()
        .filter_map(|l| {
            let rest = l.split_once(": pass started, ")?.1;
            rest.split_once(" threads at ")?.0.parse().ok()
        })
        .collect();
    (run, threads)
}

/// Only one pass over packs runs at a time (memory), so it takes every thread of the run,
/// not one job's share: with two jobs of one thread, each repository's pass decodes on
/// two (on one, a core stood idle whenever the other job was waiting for the pass), and
/// the store holds exactly what one job on one thread gives.
#[test]
fn the_one_pass_at_a_time_has_every_thread_of_the_run() {
    let d = TestDir::new();
    // No blob in common: each is a first scan with a pass of its own.
    big_repo_salted(&d, "fleet/a", 20_000, &key("openssh_ecdsa256"), "a ");
    big_repo_salted(&d, "fleet/b", 20_000, &key("openssh_rsa2048"), "b ");

    let one = d.path().join("one.db");
    let (r, threads) = scan_timed(&d, &one, &["--jobs", "1", "--threads", "1"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(threads, [1, 1], "{}", r.stderr);

    let two = d.path().join("two.db");
    let (r, threads) = scan_timed(&d, &two, &["--jobs", "2", "--threads", "1"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(threads, [2, 2], "{}", r.stderr);
    assert_eq!(store_findings(&two), store_findings(&one));
    assert_eq!(store_findings(&two).len(), 3, "{:#?}", store_findings(&two));
}

/// The blobs each pass over packs in a run said it saw, by repository
/// ("keysweep: timing: NAME: pass done, 2001 blobs seen at 0.09 s").
fn blobs_passed(run: &Run) -> std::collections::BTreeMap<String, usize> {
    run.stderr
        .lines()
        .filter_map(|l| {
            let (name, rest) = l.strip_prefix("keysweep: timing: ")?.split_once(": ")?;
            let n = rest.strip_prefix("pass done, ")?.split_once(' ')?.0;
            Some((name.to_string(), n.parse().ok()?))
        })
        .collect()
}

/// With several jobs each job walks first, and its pass decodes only the blobs the refs
/// reach (and their delta bases): a key in a blob no ref reaches, kept in the pack, is
/// not even scanned. What is found and stored is what one job, passing over every blob
/// beside its walk, gives, and what `history` finds.
#[test]
fn with_several_jobs_the_pass_scans_only_what_the_refs_reach() {
    let d = TestDir::new();
    let a = big_repo_salted(&d, "fleet/a", 2_000, &key("openssh_ecdsa256"), "a ");
    big_repo_salted(&d, "fleet/b", 2_000, &key("openssh_rsa2048"), "b ");
    // A blob with a key that nothing reaches, packed with the rest.
    write_at(&a, "lost.txt", format!("lost: {}", key("openssh_ed25519")));
    git(&a, &["hash-object", "-w", "lost.txt"]);
    std::fs::remove_file(a.join("lost.txt")).unwrap();
    git(&a, &["repack", "-q", "-a", "-d", "--keep-unreachable"]);

    let one = d.path().join("one.db");
    let (r1, _) = scan_timed(&d, &one, &["--jobs", "1"]);
    assert_eq!(r1.code, 1, "{}", r1.stderr);
    let two = d.path().join("two.db");
    let (r2, _) = scan_timed(&d, &two, &["--jobs", "2"]);
    assert_eq!(r2.code, 1, "{}", r2.stderr);

    let (one_seen, two_seen) = (blobs_passed(&r1), blobs_passed(&r2));
    assert_eq!(
        one_seen["a"],
        two_seen["a"] + 1,
        "{}\n{}",
        r1.stderr,
        r2.stderr
    );
    assert_eq!(one_seen["b"], two_seen["b"], "{}\n{}", r1.stderr, r2.stderr);
    assert!(two_seen["a"] > 2_000, "{}", r2.stderr);
    assert_eq!(store_findings(&two), store_findings(&one));
    // A key in each, and the ledger.
    assert_eq!(store_findings(&two).len(), 3, "{:#?}", store_findings(&two));
    // `history` does not report the lost key either (it would with `--all-objects`).
    let history = crate::util::run_in(&a, &["history", "--format", "jsonl", "."]);
    assert_eq!(history.code, 1, "{}", history.stderr);
    assert_eq!(history.rule_paths().len(), 1, "{}", history.stdout);
}

/// More jobs asked for than there are repositories: the one repository has every core
/// (its share was counted for four jobs, so a lone git/git decoded on one thread of two
/// and its first `org scan` took 1.3× its `history`).
#[test]
fn a_lone_repository_has_every_core_whatever_the_jobs() {
    let d = TestDir::new();
    big_repo_salted(&d, "fleet/a", 20_000, &key("openssh_ecdsa256"), "a ");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (r, threads) = scan_timed(&d, &d.path().join("s.db"), &["--jobs", "4"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(threads, [cores], "{}", r.stderr);
}

/// The number in `data-count` (or `data-rows`) of the element with `id`.
fn data_of(dom: &str, id: &str, attr: &str) -> usize {
    let at = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let tag = &dom[at..at + dom[at..].find('>').unwrap()];
    let start = tag.find(&format!("{attr}=\"")).unwrap() + attr.len() + 2;
    tag[start..start + tag[start..].find('"').unwrap()]
        .parse()
        .unwrap()
}

#[test]
fn the_org_page_loads_clean_and_counts_what_the_store_holds() {
    let Some(browser) = crate::html::chromium() else {
        return;
    };
    let d = TestDir::new();
    let a = d.git_repo("fleet/a");
    commit(&a, &[("id_ed25519", &key("openssh_ed25519"))], "key");
    git(d.path(), &["clone", "-q", "fleet/a", "fleet/b"]);
    let c = d.git_repo("fleet/c");
    commit(
        &c,
        &[
            ("id_ecdsa", &key("openssh_ecdsa256")),
            ("x/id_rsa", &key("openssh_rsa2048")),
        ],
        "keys",
    );
    let store = d.path().join("s.db");
    let s = store.to_str().unwrap();
    assert_eq!(scan(&d, &store, &["fleet"]).code, 1);
    let entries = findings(&d, &store, &[]);
    let id = entries[0]["id"].as_str().unwrap().to_string();
    d.run(&["org", "triage", &id, "--store", s, "--status", "accepted"]);
    commit(&a, &[("more/id_ed25519", &key("openssh_ed25519"))], "copy");
    assert_eq!(scan(&d, &store, &["fleet"]).code, 1);

    let page = d.path().join("org.html");
    let r = d.run(&[
        "org",
        "report",
        "--store",
        s,
        "--output",
        page.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium failed: {out:?}");
    let dom = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "the page logged: {console:#?}");

    // The store's own counts.
    let conn = rusqlite::Connection::open(&store).unwrap();
    let count =
        |sql: &str| -> usize { conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as usize };
    let total = count("SELECT count(*) FROM findings");
    let open = count("SELECT count(*) FROM findings WHERE status = 'open'");
    let last = count("SELECT max(id) FROM runs WHERE finished IS NOT NULL");
    let new = count(&format!(
        "SELECT count(*) FROM findings WHERE new_in_run = {last}"
    ));
    let shared = count(
        "SELECT count(*) FROM (SELECT content_id FROM findings GROUP BY content_id
         HAVING count(DISTINCT repository) > 1)",
    );
    assert_eq!(
        (total, open, new, shared),
        (5, 3, 1, 1),
        "the fixture changed"
    );
    assert_eq!(data_of(&dom, "repositories", "data-count"), 3);
    assert_eq!(data_of(&dom, "findings", "data-count"), total);
    assert_eq!(data_of(&dom, "open", "data-count"), open);
    assert_eq!(data_of(&dom, "new", "data-count"), new);
    assert_eq!(data_of(&dom, "shared", "data-count"), shared);
    assert_eq!(data_of(&dom, "new-table", "data-rows"), new);
    assert_eq!(data_of(&dom, "open-table", "data-rows"), open);
    assert_eq!(data_of(&dom, "shared-table", "data-rows"), shared);
    // Rows really in the tables, as the browser parsed them.
    let open_table = &dom[dom.find("id=\"open-table\"").unwrap()..];
    let open_table = &open_table[..open_table.find("</table>").unwrap()];
    assert_eq!(open_table.matches("<tr>").count(), open + 1);
    assert!(!dom.contains("PRIVATE KEY-----\n"), "a key in clear");
}

#[test]
fn a_repository_that_cannot_be_read_is_recorded_and_scanned_again_next_time() {
    let d = TestDir::new();
    let good = d.git_repo("fleet/good");
    commit(&good, &[("id_ed25519", &key("openssh_ed25519"))], "key");
    // A blob cut short, as a crash leaves it; and a folder that is not a repository.
    crate::util::truncated_loose_object(&d, "fleet/broken", "blob");
    std::fs::create_dir_all(d.path().join("elsewhere/not-a-repo")).unwrap();
    let list = d.write(
        "repos.txt",
        format!(
            "{}\n{}\n{}\n",
            d.path().join("fleet/good").display(),
            d.path().join("fleet/broken").display(),
            d.path().join("elsewhere/not-a-repo").display()
        ),
    );
    let store = d.path().join("s.db");
    let list = list.to_str().unwrap();
    let r = scan(&d, &store, &["--list", list]);
    // The key in the good one is new: exit 1, and the two others are listed.
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("2 repositories not fully scanned"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("broken: incomplete"), "{}", r.stderr);
    assert!(r.stderr.contains("not-a-repo: "), "{}", r.stderr);
    // Nothing new, but two repositories not scanned: exit 2, never 0. The broken one is
    // walked again (its tips were not stored), the good one is not.
    let r = scan(&d, &store, &["--list", list]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(counts(&r)[..3], [1, 1, 2], "{}", r.stderr);
    // Quiet still says which.
    let r = scan(&d, &store, &["--list", list, "--quiet"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("broken"), "{}", r.stderr);
}

#[test]
fn no_secret_and_no_password_reaches_the_store_or_the_output() {
    let d = TestDir::new();
    let a = d.git_repo("fleet/a");
    let pem = key("openssh_ed25519");
    commit(&a, &[("id_ed25519", &pem)], "key");
    let dead = free_port();
    let list = d.write(
        "repos.txt",
        format!("https://bob:tok3n-not-real@127.0.0.1:{dead}/org/x.git\n"),
    );
    let store = d.path().join("s.db");
    let r = scan(
        &d,
        &store,
        &["fleet", "--list", list.to_str().unwrap(), "--show-secrets"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let body: String = pem.lines().nth(1).unwrap().to_string();
    for text in [&r.stdout, &r.stderr] {
        assert!(!text.contains(&body), "the key in clear: {text}");
        assert!(!text.contains("tok3n"), "the password: {text}");
    }
    assert!(r.stderr.contains("bob:***@127.0.0.1"), "{}", r.stderr);
    // The file and its write-ahead log, as they are on disk.
    let mut all = std::fs::read(&store).unwrap();
    all.extend(std::fs::read(store.with_extension("db-wal")).unwrap_or_default());
    let all = String::from_utf8_lossy(&all);
    assert!(!all.contains(&body), "the key in the store");
    assert!(!all.contains("tok3n"), "the password in the store");
    assert!(
        all.contains("bob:***@127.0.0.1"),
        "the redacted URL is the key"
    );
}

#[test]
fn blobs_too_large_are_counted_and_strict_makes_them_an_error() {
    let d = TestDir::new();
    let a = d.git_repo("fleet/a");
    commit(&a, &[("big.txt", &"x".repeat(4096))], "big");
    let store = d.path().join("s.db");
    let r = scan(&d, &store, &["fleet", "--max-file-size", "1K"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("1 blobs over --max-file-size not scanned"),
        "{}",
        r.stderr
    );
    let store = d.path().join("strict.db");
    let r = scan(&d, &store, &["fleet", "--max-file-size", "1K", "--strict"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

/// A blob missing from the object store (a partial clone's, or a lost loose object): the
/// scan is incomplete and the exit code says so; with nothing changed, the next run asks
/// only whether that blob can be read now (it reads nothing else, and is still
/// incomplete, exit 2); once the blob is back, it is scanned and its key is new.
#[test]
fn a_missing_blob_is_looked_for_again_and_scanned_once_it_is_back() {
    let d = TestDir::new();
    let a = d.git_repo("fleet/a");
    let pem = key("openssh_ed25519");
    commit(
        &a,
        &[("deploy/id_ed25519", &pem), ("notes.txt", "nothing\n")],
        "key",
    );
    let blob = git(&a, &["rev-parse", "HEAD:deploy/id_ed25519"]);
    let blob = blob.trim();
    let loose = a.join(".git/objects").join(&blob[..2]).join(&blob[2..]);
    std::fs::remove_file(&loose).unwrap();
    let store = d.path().join("s.db");
    let r = scan(&d, &store, &["fleet"]);
    assert_eq!(r.code, 2, "incomplete, nothing found: {}", r.stderr);
    assert!(r.stderr.contains("a: incomplete"), "{}", r.stderr);
    // Nothing changed, the blob still missing: still incomplete, nothing listed or read.
    for _ in 0..2 {
        let r = scan(&d, &store, &["fleet"]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("a: incomplete"), "{}", r.stderr);
        assert_eq!(counts(&r), [1, 0, 1, 0, 0, 0], "{}", r.stderr);
    }
    // A new commit while it is missing: walked again, still incomplete; the new blob
    // read.
    // (An empty commit: `git add` may write the work tree's copy of the blob back.)
    git(&a, &["commit", "-q", "--allow-empty", "-m", "more"]);
    assert!(!loose.exists());
    let r = scan(&d, &store, &["fleet"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("a: incomplete"), "{}", r.stderr);
    assert_eq!(counts(&r)[..3], [1, 0, 1], "{}", r.stderr);
    // The blob is back: scanned, its key new, and the repository complete.
    let back = git(&a, &["hash-object", "-w", "deploy/id_ed25519"]);
    assert_eq!(back.trim(), blob);
    let r = scan(&d, &store, &["fleet"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let found = r.findings();
    assert_eq!(found.len(), 1, "{}", r.stdout);
    assert_eq!(found[0]["path"], "deploy/id_ed25519");
    let r = scan(&d, &store, &["fleet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(counts(&r), [0, 1, 0, 0, 0, 0], "{}", r.stderr);
}
