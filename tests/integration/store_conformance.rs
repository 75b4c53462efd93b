//! The org store's two backends behave alike: the same `org scan`, `org findings` and
//! `org triage` scenario, run from the binary against an SQLite file and against a real
//! PostgreSQL server this test starts (initdb + pg_ctl on a Unix socket in a temp dir, as
//! an unprivileged user when the tests run as root), gives the same answers at each step.
//!
//! The work queue too: workers in parallel, one SIGKILLed mid-scan, end with exactly the
//! store one clean run gives; a scan that outlasts its lease stays its worker's (the
//! heartbeat).
//!
//! Without PostgreSQL's server programs the PostgreSQL half is skipped with a message,
//! unless `CI` is set: then it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{Run, TestDir, git, is_root, key, write_at};

/// A throwaway PostgreSQL server on a Unix socket, stopped when dropped (also when the
/// test panics).
pub struct Server {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// The user the server runs as when the tests run as root (initdb refuses root).
    user: Option<String>,
}

impl Server {
    /// Starts a server, or `None` (with a message) when PostgreSQL is not installed and
    /// `CI` is not set.
    pub fn start() -> Option<Server> {
        Server::start_with(|_| Vec::new())
    }

    /// [`Server::start`], with server options that `setup` returns after it has prepared
    /// the server's folder (before the server starts; its files are handed to the server's
    /// user).
    pub fn start_with(setup: impl FnOnce(&Path) -> Vec<String>) -> Option<Server> {
        let Some(bin) = server_bin() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "PostgreSQL's server programs (initdb, pg_ctl) are not installed, and CI is \
                 set: .ci/run installs the distribution's postgresql package"
            );
            eprintln!("skipped: PostgreSQL's server programs (initdb, pg_ctl) are not installed");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("keysweep-pg")
            .tempdir()
            .unwrap();
        let user = is_root().then(|| {
            let u = if Command::new("id")
                .args(["-u", "postgres"])
                .output()
                .is_ok_and(|o| o.status.success())
            {
                "postgres"
            } else {
                "nobody"
            };
            let out = Command::new("id").args(["-u", u]).output().unwrap();
            let uid: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
            let out = Command::new("id").args(["-g", u]).output().unwrap();
            let gid: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
            u.to_string()
        });
        let extra = setup(dir.path());
        if let Some(u) = &user {
            let out = Command::new("chown")
                .args(["-R", &format!("{u}:{}", group_of(u))])
                .arg(dir.path())
                .output()
                .unwrap();
            assert!(out.status.success());
        }
        let server = Server { dir, bin, user };
        let data = server.dir.path().join("data");
        let out = server
            .command("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "keysweep", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // No TCP at all: the socket in the temp dir; no fsync, it is thrown away.
        let mut opts = format!("-k {} -c listen_addresses= -F", server.dir.path().display());
        for o in extra {
            opts.push(' ');
            opts.push_str(&o);
        }
        let out = server
            .command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .args(["-o", &opts, "-l"])
            .arg(server.dir.path().join("log"))
            .args(["-w", "start"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(server.dir.path().join("log")).unwrap_or_default()
        );
        Some(server)
    }

    fn command(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        match &self.user {
            Some(u) => {
                let mut c = Command::new("setpriv");
                c.arg(format!("--reuid={u}"))
                    .arg(format!("--regid={}", group_of(u)))
                    .arg("--clear-groups")
                    .arg(exe);
                c
            }
            None => Command::new(exe),
        }
    }

    /// The URL of database `db` (with a password, which the server does not ask for but
    /// which keysweep must never show).
    pub fn url(&self, db: &str) -> String {
        let host = self.dir.path().to_str().unwrap().replace('/', "%2F");
        format!("postgres://keysweep:pw-s3cret@{host}/{db}")
    }

    /// Runs `sql` in database `db` with the Rust client.
    pub fn sql(&self, db: &str, sql: &str) {
        let mut c = postgres::Client::connect(&self.url(db), postgres::NoTls).unwrap();
        c.batch_execute(sql).unwrap();
    }

    /// A new empty database.
    pub fn database(&self, db: &str) -> String {
        self.sql("postgres", &format!("CREATE DATABASE {db}"));
        self.url(db)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

fn group_of(user: &str) -> String {
    let out = Command::new("id").args(["-g", user]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The newest installed PostgreSQL's server programs: the Debian layout
/// (`/usr/lib/postgresql/<version>/bin`), else `initdb` on PATH.
fn server_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((v, bin))
        })
        .collect();
    found.sort();
    if let Some((_, bin)) = found.pop() {
        return Some(bin);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
}

/// `keysweep org ARGS… --store STORE` in `d`.
fn org(d: &TestDir, store: &str, args: &[&str]) -> Run {
    let mut all = vec!["org"];
    all.extend(args);
    all.extend(["--store", store]);
    d.run(&all)
}

/// The counters of a scan's summary: repositories, scanned, unchanged, failed.
fn counts(r: &Run) -> [u64; 4] {
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
    [nums[0], nums[1], nums[2], nums[3]]
}

/// What `org findings --format json ARGS…` lists, without its times: (id, severity,
/// status, every place as `repository:path`).
fn listed(d: &TestDir, store: &str, args: &[&str]) -> Vec<String> {
    let mut all = vec!["findings", "--format", "json"];
    all.extend(args);
    let r = org(d, store, &all);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    let v: Vec<Value> =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    // Exit 1 while a listed secret is open somewhere.
    let open = v.iter().any(|e| {
        e["places"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["status"] == "open")
    });
    assert_eq!(r.code, i32::from(open), "{}", r.stderr);
    let mut out: Vec<String> = v
        .iter()
        .map(|e| {
            let mut places: Vec<String> = e["places"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    format!(
                        "{}:{}:{}",
                        p["repository"].as_str().unwrap(),
                        p["path"].as_str().unwrap(),
                        p["status"].as_str().unwrap_or("?")
                    )
                })
                .collect();
            places.sort();
            format!(
                "{} {} {}",
                e["id"].as_str().unwrap(),
                e["severity"].as_str().unwrap(),
                places.join(" ")
            )
        })
        .collect();
    out.sort();
    out
}

fn commit(repo: &Path, files: &[(&str, &str)], msg: &str) {
    for (p, text) in files {
        write_at(repo, p, text);
    }
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-qm", msg]);
}

/// The scenario, against `store`; returns what it saw at each step, for comparing the
/// backends. `missing` names a store that does not exist.
fn scenario(store: &str, missing: &str) -> Vec<String> {
    let d = TestDir::new();
    let mut seen = Vec::new();
    let a = d.git_repo("fleet/a");
    commit(&a, &[("deploy/id_ed25519", &key("openssh_ed25519"))], "key");
    git(
        d.path(),
        &["clone", "-q", "--bare", "fleet/a", "fleet/b.git"],
    );
    let c = d.git_repo("fleet/c");
    commit(&c, &[("id_ecdsa", &key("openssh_ecdsa256"))], "key");

    // Listing a store that is not there is an error, not "nothing found".
    let r = org(&d, missing, &["findings"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("store"), "{}", r.stderr);

    // First run: every repository scanned, the findings printed as new.
    let r = org(&d, store, &["scan", "--format", "jsonl", "fleet"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(counts(&r), [3, 3, 0, 0], "{}", r.stderr);
    let mut new: Vec<String> = r
        .findings()
        .iter()
        .map(|f| format!("{} {}", f["id"].as_str().unwrap(), f["path"]))
        .collect();
    new.sort();
    assert_eq!(new.len(), 3, "{new:?}");
    seen.push(format!("first run: {new:?}"));
    let all = listed(&d, store, &[]);
    assert_eq!(all.len(), 2, "{all:#?}");
    seen.push(format!("listed: {all:?}"));

    // Nothing changed: nothing read, nothing new, exit 0.
    let r = org(&d, store, &["scan", "--format", "jsonl", "fleet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(counts(&r), [3, 0, 3, 0], "{}", r.stderr);
    assert!(r.stdout.trim().is_empty(), "{}", r.stdout);

    // A new key in c: only c is scanned, only that key is new.
    commit(&c, &[("ci/id_rsa", &key("openssh_rsa2048"))], "another");
    let r = org(&d, store, &["scan", "--format", "jsonl", "fleet"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(counts(&r), [3, 1, 2, 0], "{}", r.stderr);
    let new: Vec<String> = r
        .findings()
        .iter()
        .map(|f| format!("{} {}", f["id"].as_str().unwrap(), f["path"]))
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(new[0].contains("ci/id_rsa"), "{new:?}");
    seen.push(format!("after a commit: {new:?}"));
    let all = listed(&d, store, &[]);
    assert_eq!(all.len(), 3, "{all:#?}");

    // Triage: the shared key accepted in b only, then false positive everywhere.
    let shared = all
        .iter()
        .find(|l| l.contains("a:deploy/id_ed25519") && l.contains("b:deploy/id_ed25519"))
        .expect("the key in a and b")
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    let r = org(
        &d,
        store,
        &[
            "triage", &shared, "--repo", "b", "--status", "accepted", "--note", "test key",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let accepted = listed(&d, store, &["--status", "accepted"]);
    assert_eq!(accepted.len(), 1, "{accepted:#?}");
    assert!(!accepted[0].contains("a:deploy"), "{accepted:#?}");
    seen.push(format!("accepted in b: {accepted:?}"));
    let r = org(
        &d,
        store,
        &["triage", &shared, "--status", "false-positive"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let open = listed(&d, store, &["--status", "open"]);
    assert_eq!(open.len(), 2, "{open:#?}");
    assert!(open.iter().all(|l| !l.starts_with(&shared)), "{open:#?}");
    seen.push(format!("open: {open:?}"));
    // An id the store does not hold.
    let r = org(
        &d,
        store,
        &[
            "triage",
            "ks-000000000000000000000000",
            "--status",
            "revoked",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);

    // A fork of a: its key is known from the ledger and comes back false positive.
    git(
        d.path(),
        &["clone", "-q", "--bare", "fleet/a", "fleet/d.git"],
    );
    let r = org(&d, store, &["scan", "--format", "jsonl", "fleet"]);
    assert_eq!(counts(&r), [4, 1, 3, 0], "{}", r.stderr);
    assert!(r.stderr.contains("(0 open)"), "{}", r.stderr);
    let fp = listed(&d, store, &["--status", "false-positive"]);
    seen.push(format!("false positives: {fp:?}"));
    assert!(fp[0].contains("d:deploy/id_ed25519"), "{fp:#?}");

    // The page is written from either store.
    let r = org(&d, store, &["report"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("<html"),
        "{}",
        &r.stdout[..200.min(r.stdout.len())]
    );

    // No key material and no password anywhere in what was printed.
    let body = key("openssh_ecdsa256");
    let body = body.lines().nth(1).unwrap();
    for r in [
        org(&d, store, &["findings"]),
        org(&d, missing, &["findings"]),
    ] {
        for text in [&r.stdout, &r.stderr] {
            assert!(!text.contains("pw-s3cret"), "{text}");
            assert!(!text.contains(body), "{text}");
        }
    }
    seen
}

#[test]
fn sqlite_passes_the_scenario() {
    let d = TestDir::new();
    let store = d.path().join("org.db");
    scenario(
        store.to_str().unwrap(),
        d.path().join("none.db").to_str().unwrap(),
    );
}

#[test]
fn postgres_passes_the_scenario_and_answers_as_sqlite_does() {
    let Some(pg) = Server::start() else { return };
    let store = pg.database("conformance");
    pg.database("empty");
    let on_pg = scenario(&store, &pg.url("empty"));
    let d = TestDir::new();
    let on_sqlite = scenario(
        d.path().join("org.db").to_str().unwrap(),
        d.path().join("none.db").to_str().unwrap(),
    );
    // The ids are content-keyed: the same at every step, whichever store.
    assert_eq!(on_pg, on_sqlite);
}

#[test]
fn postgres_store_with_a_newer_schema_is_refused_and_its_password_never_shown() {
    let Some(pg) = Server::start() else { return };
    let d = TestDir::new();
    let store = pg.database("newer");
    let r = org(&d, &store, &["findings"]);
    assert_eq!(r.code, 2, "an empty database holds no store: {}", r.stderr);
    assert!(r.stderr.contains("no keysweep store"), "{}", r.stderr);
    let repo = d.git_repo("a");
    commit(&repo, &[("id_ecdsa", &key("openssh_ecdsa256"))], "key");
    let r = org(&d, &store, &["scan", "a", "--cache", "cache"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    pg.sql("newer", "UPDATE schema_version SET version = version + 1");
    for args in [&["findings"][..], &["scan", "a", "--cache", "cache"][..]] {
        let r = org(&d, &store, args);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("newer keysweep"), "{}", r.stderr);
        assert!(r.stderr.contains("keysweep:***@"), "{}", r.stderr);
        assert!(!r.stderr.contains("pw-s3cret"), "{}", r.stderr);
    }
    // Nor from the environment, nor in a connection's error.
    let mut c = crate::util::keysweep(d.path(), &["org", "findings"]);
    c.env("KEYSWEEP_STORE", pg.url("absent"));
    let r = Run::from(c.output().unwrap());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("absent"), "{}", r.stderr);
    assert!(!r.stderr.contains("pw-s3cret"), "{}", r.stderr);
    let mut c = crate::util::keysweep(d.path(), &["org", "findings", "--help"]);
    c.env("KEYSWEEP_STORE", pg.url("absent"));
    let r = Run::from(c.output().unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("pw-s3cret"), "{}", r.stdout);
}

/// The queue as the store has it: (repository's folder name, state, attempts).
fn queue(pg: &Server, db: &str) -> Vec<(String, String, i64)> {
    let mut c = postgres::Client::connect(&pg.url(db), postgres::NoTls).unwrap();
    c.query("SELECT url, state, attempts FROM queue ORDER BY url", &[])
        .unwrap()
        .iter()
        .map(|r| {
            let url: String = r.get(0);
            let name = url.rsplit('/').next().unwrap().to_string();
            (name, r.get(1), r.get(2))
        })
        .collect()
}

/// `org work` in the background.
fn worker(d: &TestDir, store: &str) -> std::process::Child {
    crate::util::keysweep(
        d.path(),
        &[
            "org",
            "work",
            "--lease",
            "2",
            "--threads",
            "1",
            "--quiet",
            "--format",
            "jsonl",
            "--store",
            store,
        ],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap()
}

#[test]
fn postgres_queue_two_workers_one_killed_mid_scan_give_the_clean_store() {
    use std::time::{Duration, Instant};
    let Some(pg) = Server::start() else { return };
    let d = TestDir::new();
    crate::org::unpacked(crate::org::big_repo(
        &d,
        "fleet/a-big",
        3000,
        &key("openssh_ecdsa256"),
    ));
    for (name, k) in [
        ("b", "openssh_ed25519"),
        ("c", "openssh_rsa2048"),
        ("d", "openssh_ed25519"),
        ("e", "openssh_ecdsa384"),
    ] {
        let r = d.git_repo(&format!("fleet/{name}"));
        commit(&r, &[(&format!("{name}/id"), &key(k))], "key");
    }
    // What one clean run gives.
    let clean = d.path().join("clean.db");
    let clean = clean.to_str().unwrap();
    let r = org(&d, clean, &["scan", "fleet", "--quiet"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let want = listed(&d, clean, &[]);
    assert_eq!(want.len(), 4, "{want:#?}");

    let store = pg.database("queue");
    let r = org(&d, &store, &["enqueue", "fleet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("5 of 5 repositories queued"),
        "{}",
        r.stderr
    );
    // Queued again while queued: nothing more.
    let r = org(&d, &store, &["enqueue", "fleet"]);
    assert!(r.stderr.contains("0 of 5"), "{}", r.stderr);

    // The first worker claims the big repository (first by URL); the second starts
    // beside it; the first is killed while it scans.
    let mut first = worker(&d, &store);
    let deadline = Instant::now() + Duration::from_secs(30);
    while queue(&pg, "queue")[0].1 != "claimed" {
        assert!(Instant::now() < deadline, "nothing claimed");
        assert!(
            first.try_wait().unwrap().is_none(),
            "the worker ended early"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut second = worker(&d, &store);
    std::thread::sleep(Duration::from_millis(100));
    first.kill().unwrap(); // SIGKILL
    let status = first.wait().unwrap();
    assert!(
        status.code().is_none(),
        "the worker finished first: {status:?}"
    );
    let q = queue(&pg, "queue");
    assert_eq!(
        q[0].1, "claimed",
        "the big one was done before the kill: {q:?}"
    );

    // The second worker scans the rest, then takes the big one over once its lease runs
    // out, and leaves when every repository is done.
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(s) = second.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "the second worker never finished"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut second.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    let q = queue(&pg, "queue");
    assert!(q.iter().all(|(_, s, _)| s == "done"), "{q:?}");
    let attempts: Vec<i64> = q.iter().map(|(_, _, a)| *a).collect();
    assert_eq!(attempts, [2, 1, 1, 1, 1], "{q:?}");
    // Exactly the store one clean run gives.
    assert_eq!(listed(&d, &store, &[]), want);

    // Queued again once done; a worker finds every repository unchanged.
    let r = org(&d, &store, &["enqueue", "fleet"]);
    assert!(r.stderr.contains("5 of 5"), "{}", r.stderr);
    let r = org(&d, &store, &["work", "--lease", "2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("(0 scanned, 5 unchanged, 0 failed)"),
        "{}",
        r.stderr
    );
    assert_eq!(listed(&d, &store, &[]), want);
}

#[test]
fn sqlite_queue_two_workers_give_the_clean_store() {
    let d = TestDir::new();
    for (name, k) in [
        ("a", "openssh_ed25519"),
        ("b", "openssh_rsa2048"),
        ("c", "openssh_ed25519"),
    ] {
        let r = d.git_repo(&format!("fleet/{name}"));
        commit(&r, &[(&format!("{name}/id"), &key(k))], "key");
    }
    let clean = d.path().join("clean.db");
    let clean = clean.to_str().unwrap();
    let r = org(&d, clean, &["scan", "fleet", "--quiet"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let want = listed(&d, clean, &[]);
    let store = d.path().join("q.db");
    let store = store.to_str().unwrap();
    let r = org(&d, store, &["enqueue", "fleet"]);
    assert!(r.stderr.contains("3 of 3"), "{}", r.stderr);
    let mut a = worker(&d, store);
    let mut b = worker(&d, store);
    let (sa, sb) = (a.wait().unwrap(), b.wait().unwrap());
    assert!(
        sa.code().unwrap() <= 1 && sb.code().unwrap() <= 1,
        "{sa:?} {sb:?}"
    );
    // Both exit 1 or one exits 0 (it got no repository with a finding): findings are 1.
    assert!(
        sa.code() == Some(1) || sb.code() == Some(1),
        "{sa:?} {sb:?}"
    );
    assert_eq!(listed(&d, store, &[]), want);
    // `org work` with repositories named, or --jobs, is a usage error.
    let r = org(&d, store, &["work", "fleet"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("org enqueue"), "{}", r.stderr);
    let r = org(&d, store, &["work", "--jobs", "2"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("one repository at a time"),
        "{}",
        r.stderr
    );
}

#[test]
fn postgres_queue_a_scan_longer_than_its_lease_stays_its_workers() {
    use std::time::{Duration, Instant};
    let Some(pg) = Server::start() else { return };
    let d = TestDir::new();
    // Loose objects: no pass, so each blob is looked up in the ledger (a round trip to
    // the server) and read.
    crate::org::unpacked(crate::org::big_repo(
        &d,
        "fleet/a-big",
        40000,
        &key("openssh_ecdsa256"),
    ));
    let r = d.git_repo("fleet/b");
    commit(&r, &[("id", &key("openssh_ed25519"))], "key");
    let store = pg.database("beat");
    let r = org(&d, &store, &["enqueue", "fleet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A lease of 2 s, renewed every third of it while the big one is scanned; a second
    // worker beside it must not take it over. (Leases are counted in the server's whole
    // seconds, so one of 1 s can lapse a second after a heartbeat: a heartbeat late by a
    // few hundred ms on a loaded machine would lose it.)
    let run = |lease: &str| {
        crate::util::keysweep(
            d.path(),
            &[
                "org",
                "work",
                "--lease",
                lease,
                "--threads",
                "1",
                "--quiet",
                "--store",
                &store,
            ],
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
    };
    let mut first = run("2");
    let deadline = Instant::now() + Duration::from_secs(30);
    while queue(&pg, "beat")[0].1 != "claimed" {
        assert!(Instant::now() < deadline, "nothing claimed");
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut second = run("2");
    assert!(first.wait().unwrap().code().is_some());
    assert!(second.wait().unwrap().code().is_some());
    let q = queue(&pg, "beat");
    assert_eq!(
        q.iter()
            .map(|(_, s, a)| (s.as_str(), *a))
            .collect::<Vec<_>>(),
        [("done", 1), ("done", 1)],
        "{q:?}"
    );
    // The scan did outlast several leases (else this test tests nothing).
    let mut c = postgres::Client::connect(&pg.url("beat"), postgres::NoTls).unwrap();
    let ms: i64 = c
        .query_one(
            "SELECT duration_ms FROM repositories WHERE url LIKE '%/a-big'",
            &[],
        )
        .unwrap()
        .get(0);
    eprintln!("the big scan took {ms} ms");
    assert!(ms > 4000, "the big scan took only {ms} ms: make it bigger");
}

/// Runs `openssl ARGS…` in `dir`.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn postgres_over_tls_verifies_the_servers_certificate() {
    if Command::new("openssl").arg("version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the openssl command is not installed (.ci/run installs it)"
        );
        eprintln!("skipped: the openssl command (to make a test CA) is not installed");
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut ca = PathBuf::new();
    let Some(pg) = Server::start_with(|dir| {
        // A CA of the test's own, and a certificate for 127.0.0.1 it signs.
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let mut a = vec![
            "req",
            "-x509",
            "-days",
            "2",
            "-subj",
            "/CN=keysweep test CA",
        ];
        a.extend(ec);
        a.extend(["-keyout", "ca.key", "-out", "ca.pem"]);
        openssl(dir, &a);
        let mut a = vec!["req", "-subj", "/CN=127.0.0.1"];
        a.extend(ec);
        a.extend(["-keyout", "server.key", "-out", "server.csr"]);
        openssl(dir, &a);
        std::fs::write(dir.join("san"), "subjectAltName=IP:127.0.0.1\n").unwrap();
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "san",
                "-out",
                "server.pem",
            ],
        );
        std::fs::set_permissions(
            dir.join("server.key"),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        ca = dir.join("ca.pem");
        vec![
            "-c listen_addresses=127.0.0.1".into(),
            format!("-p {port}"),
            "-c ssl=on".into(),
            format!("-c ssl_cert_file={}", dir.join("server.pem").display()),
            format!("-c ssl_key_file={}", dir.join("server.key").display()),
        ]
    }) else {
        return;
    };
    let d = TestDir::new();
    let repo = d.git_repo("a");
    commit(&repo, &[("id_ecdsa", &key("openssh_ecdsa256"))], "key");
    let url = format!("postgres://keysweep:pw-s3cret@127.0.0.1:{port}/postgres?sslmode=require");
    let run = |ca: &Path, args: &[&str]| {
        let mut all = vec!["org"];
        all.extend(args);
        all.extend(["--store", &url]);
        let mut c = crate::util::keysweep(d.path(), &all);
        c.env("SSL_CERT_FILE", ca).env_remove("SSL_CERT_DIR");
        Run::from(c.output().unwrap())
    };
    // The test CA trusted: TLS, and the store works.
    let r = run(&ca, &["scan", "a", "--cache", "cache"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let r = run(&ca, &["findings"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("a:id_ecdsa"), "{}", r.stdout);
    // Not trusted: refused, whatever sslmode (prefer uses TLS when offered, and verifies).
    let none = d.path().join("no-such-ca.pem");
    for mode in ["require", "prefer"] {
        let mut c = crate::util::keysweep(d.path(), &["org", "findings"]);
        c.args([
            "--store",
            &url.replace("sslmode=require", &format!("sslmode={mode}")),
        ])
        .env("SSL_CERT_FILE", &none)
        .env_remove("SSL_CERT_DIR");
        let r = Run::from(c.output().unwrap());
        assert_eq!(r.code, 2, "{mode}: {}", r.stderr);
        assert!(r.stderr.contains("certificate"), "{}", r.stderr);
        assert!(!r.stderr.contains("pw-s3cret"), "{}", r.stderr);
    }
    drop(pg);
}
