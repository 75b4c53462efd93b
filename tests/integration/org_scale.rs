//! `keysweep org` beyond one machine: shards' SQLite stores merged with `org merge` give
//! exactly the store of one unsharded run; and four `org work` processes over forty
//! repositories in a throwaway PostgreSQL, one SIGKILLed while it holds a repository, end
//! with every repository scanned once and the findings of one single-process run.

use std::path::Path;
use std::process::Stdio;

use serde_json::Value;

use crate::util::{Run, TestDir, git, key};

/// The fixture keys the fleets hold: shared between repositories, as a copied key is.
const KEYS: [&str; 5] = [
    "openssh_ed25519",
    "openssh_rsa2048",
    "openssh_ecdsa256",
    "openssh_ecdsa384",
    "pem_rsa",
];

/// A bare repository `rel` under `d` made in one `git fast-import`: two commits, the
/// second adding `keys` (path, fixture key name) beside an ordinary file.
fn small_repo(d: &TestDir, rel: &str, keys: &[(&str, &str)]) {
    let r = d.path().join(rel);
    std::fs::create_dir_all(&r).unwrap();
    git(&r, &["init", "-q", "--bare", "-b", "main"]);
    let mut s = String::new();
    for c in 1..=2 {
        s.push_str(&format!(
            "commit refs/heads/main\ncommitter A <a@example.invalid> {} +0000\ndata 2\nc{c}\n",
            1767000000 + c
        ));
        let body = format!("{rel} commit {c}\n");
        s.push_str(&format!(
            "M 644 inline src/main.txt\ndata {}\n{body}\n",
            body.len()
        ));
        if c == 2 {
            for (path, k) in keys {
                let k = key(k);
                s.push_str(&format!("M 644 inline {path}\ndata {}\n{k}\n", k.len()));
            }
        }
        s.push('\n');
    }
    let mut c = crate::util::git_command(&r, &["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    c.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    assert!(c.wait().unwrap().success());
}

/// `n` repositories `fleet/rNN.git`: most hold a key (one in three of them two, some the
/// same key at two paths), several share a key, one in five holds none.
fn fleet(d: &TestDir, n: usize) {
    for i in 0..n {
        let k1 = KEYS[i % KEYS.len()];
        let k2 = KEYS[(i / 2) % KEYS.len()];
        let keys: Vec<(&str, &str)> = match i % 5 {
            0 => vec![],
            1 | 2 => vec![("deploy/id", k1)],
            3 => vec![("deploy/id", k1), ("ops/key.pem", k2)],
            _ => vec![("deploy/id", k1), ("backup/id", k1)],
        };
        small_repo(d, &format!("fleet/r{i:02}.git"), &keys);
    }
}

/// `keysweep org ARGS… --store STORE` in `d`.
fn org(d: &TestDir, store: &str, args: &[&str]) -> Run {
    let mut all = vec!["org"];
    all.extend(args);
    all.extend(["--store", store]);
    d.run(&all)
}

/// `org findings --format json` of `store`, exactly as printed (exit 0 or 1, as what is
/// listed says).
fn findings(d: &TestDir, store: &str) -> Value {
    let r = org(d, store, &["findings", "--format", "json", "--quiet"]);
    let v: Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}", r = r.stderr));
    let open = v
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["places"].as_array().unwrap())
        .any(|p| p["status"] == "open");
    assert_eq!(r.code, i32::from(open), "{}", r.stderr);
    v
}

/// [`findings`] without the times a run stamps (first and last seen, triage time), which
/// differ between two runs over the same repositories, and so in the order of their ids
/// rather than oldest first.
fn untimed(d: &TestDir, store: &str) -> Value {
    let mut v = findings(d, store);
    v.as_array_mut()
        .unwrap()
        .sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    for e in v.as_array_mut().unwrap() {
        e.as_object_mut().unwrap().remove("first_seen");
        for p in e["places"].as_array_mut().unwrap() {
            let p = p.as_object_mut().unwrap();
            for k in ["first_seen", "last_seen", "triaged_at"] {
                p.remove(k);
            }
        }
    }
    v
}

/// Every table's rows but the runs', in a stable order, from an SQLite store: what two
/// stores with the same content hold alike (ids and run numbers left out).
fn tables(store: &Path) -> Vec<String> {
    let c = rusqlite::Connection::open(store).unwrap();
    let mut out = Vec::new();
    for sql in [
        "SELECT url || ' ' || name || ' ' || coalesce(tips, '-') || ' ' || coalesce(fingerprint, '-') || ' ' || coalesce(result, '-') FROM repositories ORDER BY url",
        "SELECT hex(l.blob) || ' ' || r.fingerprint || ' ' || r.engine || ' ' || l.findings FROM ledger l JOIN rule_sets r ON r.id = l.rule_set ORDER BY 1",
        "SELECT hex(b.blob) || ' ' || r.fingerprint || ' ' || b.seq || ' ' || b.content_id || ' ' || b.rule || ' ' || b.line FROM blob_findings b JOIN rule_sets r ON r.id = b.rule_set ORDER BY 1",
        "SELECT r.url || ' ' || content_id || ' ' || path || ' ' || blob || ' ' || coalesce(commit_id, '-') || ' ' || present_at_head || ' ' || status FROM findings f JOIN repositories r ON r.id = f.repository ORDER BY 1",
    ] {
        let mut st = c.prepare(sql).unwrap();
        let rows = st.query_map([], |r| r.get::<_, String>(0)).unwrap();
        out.extend(rows.map(Result::unwrap));
    }
    out
}

fn count(store: &Path, table: &str) -> i64 {
    let c = rusqlite::Connection::open(store).unwrap();
    c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn merging_three_shards_gives_the_store_of_one_unsharded_run() {
    let d = TestDir::new();
    fleet(&d, 24);
    let p = |name: &str| d.path().join(name).to_str().unwrap().to_string();
    let one = p("one.db");
    let r = org(&d, &one, &["scan", "fleet", "--quiet"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let want = untimed(&d, &one);
    assert!(want.as_array().unwrap().len() >= 4, "{want:#}");

    let shards: Vec<String> = (0..3).map(|i| p(&format!("shard-{i}.db"))).collect();
    let mut repos = 0;
    for (i, s) in shards.iter().enumerate() {
        let r = org(&d, s, &["scan", "fleet", "--shard", &format!("{i}/3")]);
        assert!(r.code <= 1, "{}", r.stderr);
        let n = count(Path::new(s), "repositories");
        // 24 repositories by a hash of their path (which holds the test's temporary
        // folder): a shard may by chance get none (1 run in 5,600), but one taking all 24
        // (1 in 10^11) means the hash does not split.
        assert!(n < 24, "shard {i} got every repository: {}", r.stderr);
        repos += n;
    }
    assert_eq!(repos, 24);

    let merged = p("merged.db");
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(String::as_str));
    let r = org(&d, &merged, &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("3 stores") && r.stderr.contains("24 repositories added"),
        "{}",
        r.stderr
    );
    assert_eq!(untimed(&d, &merged), want);
    assert_eq!(tables(Path::new(&merged)), tables(Path::new(&one)));
    // One run, as the unsharded store has, and every place new in it (the page's "new in
    // the last run").
    for store in [&one, &merged] {
        let c = rusqlite::Connection::open(store).unwrap();
        let (runs, new, all): (i64, i64, i64) = c
            .query_row(
                "SELECT (SELECT count(*) FROM runs WHERE finished IS NOT NULL),
                 (SELECT count(*) FROM findings WHERE new_in_run = (SELECT max(id) FROM runs)),
                 (SELECT count(*) FROM findings)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((runs, new), (1, all), "{store}");
    }
    // The page reads the merged store as any other.
    let r = org(&d, &merged, &["report"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("r03"), "the page lists the repositories");

    // Merged again: nothing changes, not even a time or a run.
    let before = findings(&d, &merged);
    let runs = count(Path::new(&merged), "runs");
    let r = org(&d, &merged, &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("0 repositories added, 0 updated; 0 findings added"),
        "{}",
        r.stderr
    );
    assert_eq!(findings(&d, &merged), before);
    assert_eq!(count(Path::new(&merged), "runs"), runs);
    assert_eq!(tables(Path::new(&merged)), tables(Path::new(&one)));

    // Triage travels with the merge, and the later decision wins: marked in a shard, the
    // merged store takes it; marked again later in the merged store, a new merge of the
    // shard does not undo it.
    let shard_with_finding = shards
        .iter()
        .find(|s| count(Path::new(s.as_str()), "findings") > 0)
        .unwrap();
    let v = findings(&d, shard_with_finding);
    let id = v[0]["id"].as_str().unwrap().to_string();
    let r = org(
        &d,
        shard_with_finding,
        &[
            "triage",
            &id,
            "--status",
            "false-positive",
            "--note",
            "fixture",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = org(&d, &merged, &["merge", shard_with_finding]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let status_of = |store: &str| -> Vec<String> {
        findings(&d, store)
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["id"] == id.as_str())
            .flat_map(|e| e["places"].as_array().unwrap().clone())
            .map(|p| p["status"].as_str().unwrap().to_string())
            .collect()
    };
    // Every place the shard holds is false-positive in the merged store.
    let in_shard = status_of(shard_with_finding);
    assert!(
        in_shard.iter().all(|s| s == "false-positive"),
        "{in_shard:?}"
    );
    let in_merged = status_of(&merged);
    assert_eq!(
        in_merged.iter().filter(|s| *s == "false-positive").count(),
        in_shard.len(),
        "{in_merged:?}"
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let r = org(&d, &merged, &["triage", &id, "--status", "accepted"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = org(&d, &merged, &["merge", shard_with_finding]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        status_of(&merged).iter().all(|s| s == "accepted"),
        "{:?}",
        status_of(&merged)
    );
}

#[test]
fn a_missing_corrupt_or_newer_shard_merges_nothing() {
    let d = TestDir::new();
    fleet(&d, 6);
    let p = |name: &str| d.path().join(name).to_str().unwrap().to_string();
    let (a, b) = (p("a.db"), p("b.db"));
    let r = org(&d, &a, &["scan", "fleet", "--shard", "0/2"]);
    assert!(r.code <= 1, "{}", r.stderr);
    let r = org(&d, &b, &["scan", "fleet", "--shard", "1/2"]);
    assert!(r.code <= 1, "{}", r.stderr);

    // A store of a newer schema, a file that is not a database, one cut short, and none.
    let newer = p("newer.db");
    std::fs::copy(&a, &newer).unwrap();
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute("UPDATE schema_version SET version = version + 1", [])
        .unwrap();
    let garbage = p("garbage.db");
    std::fs::write(&garbage, "not a store at all\n".repeat(500)).unwrap();
    let cut = p("cut.db");
    let bytes = std::fs::read(&b).unwrap();
    assert!(bytes.len() > 8192, "{}", bytes.len());
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let empty = p("empty.db");
    std::fs::write(&empty, "").unwrap();
    let missing = p("missing.db");

    // Into a new store: nothing is left behind.
    let out = p("out.db");
    for (bad, says) in [
        (&newer, "newer keysweep"),
        (&garbage, "not an SQLite store"),
        (&cut, "cut.db"),
        (&empty, "not a keysweep store"),
        (&missing, "no store at"),
    ] {
        // The bad one last: the good one before it is not merged either.
        let r = org(&d, &out, &["merge", &a, bad]);
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{bad}: {}", r.stderr);
        assert!(r.stderr.contains("nothing merged"), "{bad}: {}", r.stderr);
        assert!(!Path::new(&out).exists(), "{bad}: a store was left behind");
    }
    // The shards were read, never written.
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0);

    // Into a store holding a merge already: it stays as it was.
    let r = org(&d, &out, &["merge", &a]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let before = findings(&d, &out);
    let rows = tables(Path::new(&out));
    for bad in [&newer, &garbage, &cut, &empty, &missing] {
        let r = org(&d, &out, &["merge", &b, bad]);
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
        assert_eq!(findings(&d, &out), before, "{bad}");
        assert_eq!(tables(Path::new(&out)), rows, "{bad}");
    }
    // The store merged into is not a shard of its own; a shard named twice counts once.
    let r = org(&d, &out, &["merge", &out]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = org(&d, &out, &["merge", &b, &b]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("1 stores"), "{}", r.stderr);
    // A shared PostgreSQL store needs no merge: refused, not half-done.
    let r = org(&d, "postgres://keysweep@%2Fnowhere/ks", &["merge", &a]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("needs no merge"), "{}", r.stderr);
    // No shard at all is a usage error.
    let r = org(&d, &out, &["merge"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

/// `org work` in the background against `store`, with a short lease (renewed every third
/// of it while a repository is scanned; long enough that a starved heartbeat on a loaded
/// machine does not lose it).
fn worker(d: &TestDir, store: &str) -> std::process::Child {
    crate::util::keysweep(
        d.path(),
        &[
            "org",
            "work",
            "--lease",
            "3",
            "--threads",
            "1",
            "--quiet",
            "--format",
            "jsonl",
            "--store",
            store,
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap()
}

/// Waits for `child` (at most `secs` seconds); its exit code and stderr.
fn finish(mut child: std::process::Child, secs: u64) -> (Option<i32>, String) {
    use std::time::{Duration, Instant};
    let deadline = Instant::now() + Duration::from_secs(secs);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("a worker did not finish in {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    (status.code(), err)
}

#[test]
fn four_workers_over_forty_repositories_one_killed_holding_one_scan_each_once() {
    use std::time::{Duration, Instant};
    let Some(pg) = crate::store_conformance::Server::start() else {
        return;
    };
    let d = TestDir::new();
    // Four bigger repositories first by URL, which the four workers claim first (so one
    // is held long enough to be seen and killed), and 36 small ones.
    for (i, k) in KEYS.iter().take(4).enumerate() {
        crate::org::unpacked(crate::org::big_repo(
            &d,
            &format!("fleet/a-big-{i}"),
            2000,
            &key(k),
        ));
    }
    fleet(&d, 36);
    // What one single-process run over the same 40 repositories gives.
    let one = d.path().join("one.db");
    let one = one.to_str().unwrap();
    let r = org(&d, one, &["scan", "fleet", "--quiet"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let want = untimed(&d, one);

    let store = pg.database("fleet");
    let r = org(&d, &store, &["enqueue", "fleet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("40 of 40"), "{}", r.stderr);
    let mut db = postgres::Client::connect(&store, postgres::NoTls).unwrap();

    let mut workers: Vec<Option<std::process::Child>> =
        (0..4).map(|_| Some(worker(&d, &store))).collect();
    // Seen from the store: a worker holding a big repository's lease. Its name ends in
    // its process id.
    let deadline = Instant::now() + Duration::from_secs(60);
    let (victim, held) = 'found: loop {
        assert!(
            Instant::now() < deadline,
            "no worker was seen holding a repository"
        );
        for row in db
            .query(
                "SELECT worker, url FROM queue WHERE state = 'claimed' AND url LIKE '%a-big-%'",
                &[],
            )
            .unwrap()
        {
            let (who, url): (String, String) = (row.get(0), row.get(1));
            if let Some(i) = workers.iter().position(|w| {
                w.as_ref()
                    .is_some_and(|w| who.ends_with(&format!(":{}", w.id())))
            }) {
                break 'found (i, url);
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut killed = workers[victim].take().unwrap();
    let killed_name = format!(":{}", killed.id());
    killed.kill().unwrap(); // SIGKILL
    let status = killed.wait().unwrap();
    assert!(status.code().is_none(), "it had finished: {status:?}");
    // Killed while it held the repository: the claim is still its own.
    let row = db
        .query_one("SELECT state, worker FROM queue WHERE url = $1", &[&held])
        .unwrap();
    let (state, who): (String, String) = (row.get(0), row.get(1));
    assert!(
        state == "claimed" && who.ends_with(&killed_name),
        "{held}: {state} by {who}"
    );

    // The other three scan the rest, take the held one over once its lease runs out, and
    // leave when every repository is done.
    let mut codes = Vec::new();
    for w in workers.into_iter().flatten() {
        let (code, err) = finish(w, 180);
        assert!(matches!(code, Some(0 | 1)), "{code:?}: {err}");
        codes.push(code);
    }
    assert!(codes.contains(&Some(1)), "{codes:?}");

    // Every repository done; claimed once, but the one held by the killed worker, twice.
    let queue: Vec<(String, String, i64, String)> = db
        .query(
            "SELECT url, state, attempts, worker FROM queue ORDER BY url",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(queue.len(), 40);
    for (url, state, attempts, who) in &queue {
        assert_eq!(state, "done", "{url}");
        let want_attempts = if *url == held { 2 } else { 1 };
        assert_eq!(*attempts, want_attempts, "{url}: {queue:#?}");
        if *url == held {
            assert!(
                !who.ends_with(&killed_name),
                "{url} done by the dead worker"
            );
        }
    }
    // Scanned once each into the store: the three finished runs (one a surviving worker)
    // recorded as many repositories as each of them finished in the queue, and with those
    // the killed worker finished before it died, forty.
    let by_dead = queue
        .iter()
        .filter(|(_, _, _, who)| who.ends_with(&killed_name))
        .count() as i64;
    let mut per_worker: std::collections::BTreeMap<&str, i64> = Default::default();
    for (_, _, _, who) in &queue {
        if !who.ends_with(&killed_name) {
            *per_worker.entry(who.as_str()).or_default() += 1;
        }
    }
    let mut runs: Vec<i64> = db
        .query(
            "SELECT repositories FROM runs WHERE finished IS NOT NULL AND failed = 0",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let unfinished: i64 = db
        .query_one("SELECT count(*) FROM runs WHERE finished IS NULL", &[])
        .unwrap()
        .get(0);
    assert_eq!(unfinished, 1, "the killed worker's run never finished");
    let mut finished: Vec<i64> = per_worker.values().copied().collect();
    // A survivor that found nothing left to claim finished a run of none.
    while finished.len() < 3 {
        finished.push(0);
    }
    runs.sort();
    finished.sort();
    assert_eq!(runs, finished, "{queue:#?}");
    assert_eq!(runs.iter().sum::<i64>() + by_dead, 40);
    let repos: Vec<(String, Option<String>)> = db
        .query("SELECT url, result FROM repositories ORDER BY url", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(repos.len(), 40);
    assert!(
        repos.iter().all(|(_, r)| r.as_deref() == Some("ok")),
        "{repos:#?}"
    );
    // And the findings are those of the single-process run.
    assert_eq!(untimed(&d, &store), want);
}

#[test]
fn merging_the_next_nights_fresh_shard_is_a_rescan() {
    let d = TestDir::new();
    let repo = d.git_repo("fleet/app");
    crate::util::write_at(&repo, "deploy/id", key("openssh_ed25519"));
    crate::util::write_at(&repo, "keep/id", key("openssh_rsa2048"));
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "keys"]);
    let other = d.git_repo("fleet/lib");
    crate::util::write_at(&other, "id", key("openssh_ecdsa256"));
    git(&other, &["add", "-A"]);
    git(&other, &["commit", "-qm", "key"]);
    let p = |name: &str| d.path().join(name).to_str().unwrap().to_string();
    let (one, merged) = (p("one.db"), p("merged.db"));
    // Night 1: one store scanned incrementally, and a shard's fresh store merged.
    let night = |n: u32| {
        let r = org(&d, &one, &["scan", "fleet", "--quiet"]);
        assert!(r.code <= 1, "{}", r.stderr);
        let shard = p(&format!("night-{n}.db"));
        let r = org(&d, &shard, &["scan", "fleet", "--quiet"]);
        assert!(r.code <= 1, "{}", r.stderr);
        let r = org(&d, &merged, &["merge", &shard]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    };
    night(1);
    assert_eq!(untimed(&d, &merged), untimed(&d, &one));
    // The key at deploy/id is taken out of history (the commit rewritten): a fresh scan
    // no longer finds it there, and keep/id's commit has a new id.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    git(&repo, &["rm", "-q", "deploy/id"]);
    git(&repo, &["commit", "-q", "--amend", "-m", "keys, but one"]);
    night(2);
    let want = untimed(&d, &one);
    let at_head: Vec<(String, bool)> = want
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["places"].as_array().unwrap())
        .map(|p| {
            (
                format!(
                    "{}:{}",
                    p["repository"].as_str().unwrap(),
                    p["path"].as_str().unwrap()
                ),
                p["present_at_head"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(
        at_head.contains(&("app:deploy/id".to_string(), false))
            && at_head.contains(&("app:keep/id".to_string(), true)),
        "{at_head:?}"
    );
    assert_eq!(untimed(&d, &merged), want);
}
