//! The embedded store: one SQLite file in WAL mode (readers never wait for the writer,
//! a commit is one append to the log), its schema versioned in `schema_version` and
//! brought up to date by [`MIGRATIONS`], one step at a time, each in a transaction.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{
    BlobFinding, FindingRow, LedgerKey, Placed, Query, RepoRow, RepoScan, SCHEMA_VERSION, Store,
    now, now_epoch,
};

/// `MIGRATIONS[i]` takes the schema from version `i` to `i + 1`. Portable SQL but for
/// SQLite's `WITHOUT ROWID` (version 3; PostgreSQL's tables have no rowid to leave out).
pub(super) const MIGRATIONS: &[&str] = &[
    // 0 → 1: the first schema.
    "CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started TEXT NOT NULL,
        finished TEXT,
        fingerprint TEXT NOT NULL,
        repositories INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE repositories (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        tips TEXT,
        fingerprint TEXT,
        scanned_at TEXT,
        duration_ms INTEGER,
        result TEXT,
        error TEXT,
        last_run INTEGER
    );
    CREATE TABLE ledger (
        blob TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        engine TEXT NOT NULL,
        findings INTEGER NOT NULL,
        scanned_at TEXT NOT NULL,
        PRIMARY KEY (blob, fingerprint, engine)
    );
    CREATE TABLE blob_findings (
        blob TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        engine TEXT NOT NULL,
        seq INTEGER NOT NULL,
        content_id TEXT NOT NULL,
        rule TEXT NOT NULL,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        severity TEXT NOT NULL,
        line INTEGER NOT NULL,
        col INTEGER NOT NULL,
        redacted TEXT NOT NULL,
        PRIMARY KEY (blob, fingerprint, engine, seq)
    );
    CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        repository INTEGER NOT NULL REFERENCES repositories (id),
        content_id TEXT NOT NULL,
        path TEXT NOT NULL,
        rule TEXT NOT NULL,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        severity TEXT NOT NULL,
        line INTEGER NOT NULL,
        col INTEGER NOT NULL,
        redacted TEXT NOT NULL,
        blob TEXT NOT NULL,
        commit_id TEXT,
        author TEXT,
        email TEXT,
        authored_at TEXT,
        present_at_head INTEGER NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        new_in_run INTEGER NOT NULL,
        status TEXT NOT NULL,
        note TEXT,
        triaged_by TEXT,
        triaged_at TEXT,
        UNIQUE (repository, content_id, path)
    );
    CREATE INDEX findings_content ON findings (content_id);",
    // 1 → 2: the work queue (`org enqueue`, `org work`); leases in seconds since the epoch.
    "CREATE TABLE queue (
        url TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        source TEXT NOT NULL,
        state TEXT NOT NULL,
        worker TEXT,
        lease_until INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        enqueued_at TEXT NOT NULL,
        done_at TEXT
    );",
    // 2 → 3: the ledger's rule set (fingerprint, engine: 46 bytes a row) named once, in
    // `rule_sets`, and the ledger and `blob_findings` stored by their key alone (WITHOUT
    // ROWID: one B-tree, not a table and its key's index). Blob ids are random, so a
    // repository's first scan writes rows all over the ledger and every page it touches
    // goes to the log: a third of the pages, less than half the writing.
    "CREATE TABLE rule_sets (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        engine TEXT NOT NULL,
        UNIQUE (fingerprint, engine)
    );
    INSERT INTO rule_sets (fingerprint, engine)
        SELECT fingerprint, engine FROM ledger
        UNION SELECT fingerprint, engine FROM blob_findings;
    CREATE TABLE ledger_3 (
        blob TEXT NOT NULL,
        rule_set INTEGER NOT NULL,
        findings INTEGER NOT NULL,
        scanned_at TEXT NOT NULL,
        PRIMARY KEY (blob, rule_set)
    ) WITHOUT ROWID;
    INSERT INTO ledger_3 SELECT l.blob, r.id, l.findings, l.scanned_at
        FROM ledger l JOIN rule_sets r ON r.fingerprint = l.fingerprint AND r.engine = l.engine;
    DROP TABLE ledger;
    ALTER TABLE ledger_3 RENAME TO ledger;
    CREATE TABLE blob_findings_3 (
        blob TEXT NOT NULL,
        rule_set INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        content_id TEXT NOT NULL,
        rule TEXT NOT NULL,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        severity TEXT NOT NULL,
        line INTEGER NOT NULL,
        col INTEGER NOT NULL,
        redacted TEXT NOT NULL,
        PRIMARY KEY (blob, rule_set, seq)
    ) WITHOUT ROWID;
    INSERT INTO blob_findings_3 SELECT b.blob, r.id, b.seq, b.content_id, b.rule, b.name,
        b.category, b.severity, b.line, b.col, b.redacted
        FROM blob_findings b JOIN rule_sets r
            ON r.fingerprint = b.fingerprint AND r.engine = b.engine;
    DROP TABLE blob_findings;
    ALTER TABLE blob_findings_3 RENAME TO blob_findings;",
    // 3 → 4: ledger keys as bytes (`stored_key` is [`key_stored`], registered by `setup`:
    // 20 to 22 bytes where the text took 40 to 45) and `ledger.scanned_at` in seconds
    // since the epoch (one integer where the text took 20 bytes). A ledger row shrinks
    // from about 70 bytes to 30, so a first scan's random inserts touch fewer than half
    // the pages, and write fewer than half to the log.
    "CREATE TABLE ledger_4 (
        blob BLOB NOT NULL,
        rule_set INTEGER NOT NULL,
        findings INTEGER NOT NULL,
        scanned_at INTEGER NOT NULL,
        PRIMARY KEY (blob, rule_set)
    ) WITHOUT ROWID;
    INSERT INTO ledger_4 SELECT stored_key(blob), rule_set, findings, coalesce(unixepoch(scanned_at), 0)
        FROM ledger;
    DROP TABLE ledger;
    ALTER TABLE ledger_4 RENAME TO ledger;
    CREATE TABLE blob_findings_4 (
        blob BLOB NOT NULL,
        rule_set INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        content_id TEXT NOT NULL,
        rule TEXT NOT NULL,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        severity TEXT NOT NULL,
        line INTEGER NOT NULL,
        col INTEGER NOT NULL,
        redacted TEXT NOT NULL,
        PRIMARY KEY (blob, rule_set, seq)
    ) WITHOUT ROWID;
    INSERT INTO blob_findings_4 SELECT stored_key(blob), rule_set, seq, content_id, rule, name,
        category, severity, line, col, redacted FROM blob_findings;
    DROP TABLE blob_findings;
    ALTER TABLE blob_findings_4 RENAME TO blob_findings;",
];

/// A ledger key (`blob` or `blob:kind`, see `org::repo::ledger_key`) as the store holds
/// it from schema 4: the blob id's bytes (20, or 32 for SHA-256), then the kind of path,
/// not 0, big-endian in as few bytes as it needs. A key not of that form (lowercase hex,
/// the kind without leading zeros) stays text, which SQLite never finds equal to a BLOB,
/// so no two keys share a stored value.
pub(super) fn key_in(key: &str) -> rusqlite::types::Value {
    fn hex(s: &str) -> bool {
        s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
    }
    let (oid, kind, kind_ok) = match key.split_once(':') {
        Some((oid, kind)) => {
            let ok = (1..=4).contains(&kind.len()) && hex(kind) && !kind.starts_with('0');
            (oid, kind, ok)
        }
        None => (key, "", true),
    };
    if !matches!(oid.len(), 40 | 64) || !hex(oid) || !kind_ok {
        return rusqlite::types::Value::Text(key.to_string());
    }
    let pair = |p: &[u8]| (nibble(p[0]) << 4) | nibble(p[1]);
    let mut bytes = Vec::with_capacity(oid.len() / 2 + 2);
    bytes.extend(oid.as_bytes().chunks(2).map(pair));
    // The kind's digits in whole bytes: an odd count has a leading zero nibble.
    let (odd, even) = kind.as_bytes().split_at(kind.len() % 2);
    bytes.extend(odd.iter().map(|&c| nibble(c)));
    bytes.extend(even.chunks(2).map(pair));
    rusqlite::types::Value::Blob(bytes)
}

/// A ledger key read from a store of any schema as this one stores it: text (schema 3
/// and older) through [`key_in`], bytes as they are.
pub(super) fn key_stored(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::Value {
    use rusqlite::types::{Value, ValueRef};
    match v {
        ValueRef::Text(t) => key_in(&String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Null => Value::Null,
    }
}

fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        _ => c - b'a' + 10,
    }
}

/// The ledger key [`key_in`] stored as `v`.
pub(super) fn key_out(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<String> {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Blob(b) => {
            let oid = if b.len() >= 32 { 32 } else { 20 };
            let (oid, kind) = b.split_at(oid.min(b.len()));
            let mut key: String = oid.iter().map(|b| format!("{b:02x}")).collect();
            if !kind.is_empty() {
                let k = kind.iter().fold(0u64, |k, b| (k << 8) | u64::from(*b));
                key.push_str(&format!(":{k:x}"));
            }
            Ok(key)
        }
        other => other.as_str().map(str::to_string),
    }
}

/// Ledger rows of blobs with no findings written by one statement.
const LEDGER_BATCH: usize = 64;

/// The store in one SQLite file.
pub struct Sqlite {
    pub(super) conn: Connection,
    /// `rule_sets` ids already read: (fingerprint, engine, id). A row is never removed or
    /// changed, so an id once read stays right. A run meets one rule set or two, and
    /// [`Sqlite::rule_set`] is asked once for every blob looked up: a list compared in
    /// place, with nothing allocated.
    rule_sets: Vec<(String, String, i64)>,
}

impl Sqlite {
    /// Opens (creating it if need be) the store at `path`, migrating an older schema and
    /// refusing a newer one.
    pub fn open(path: &Path) -> anyhow::Result<Sqlite> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the store's folder {}", dir.display()))?;
        }
        let conn = Connection::open(path)
            .with_context(|| format!("opening the store {}", path.display()))?;
        conn.busy_timeout(Duration::from_secs(60))?;
        let mut store = Sqlite {
            conn,
            rule_sets: Vec::new(),
        };
        store
            .setup()
            .with_context(|| format!("the store {}", path.display()))?;
        Ok(store)
    }

    fn setup(&mut self) -> anyhow::Result<()> {
        // WAL: one file plus its log; a commit survives a crash once it returns.
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .context("not an SQLite database (or not writable)")?;
        if !mode.eq_ignore_ascii_case("wal") {
            bail!("could not switch to WAL (journal mode is {mode})");
        }
        self.conn.execute_batch(
            "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -16384;
             PRAGMA wal_autocheckpoint = 16384;
             CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);",
        )?;
        // For migration 4, which rewrites the ledger's keys as Rust does.
        self.conn.create_scalar_function(
            "stored_key",
            1,
            rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC
                | rusqlite::functions::FunctionFlags::SQLITE_UTF8,
            |ctx| Ok(key_stored(ctx.get_raw(0))),
        )?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let version: Option<i64> = tx
            .query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))
            .optional()?
            .flatten();
        let version = version.unwrap_or(0);
        if version > SCHEMA_VERSION {
            bail!(
                "its schema is version {version}, written by a newer keysweep; this one \
                 knows up to version {SCHEMA_VERSION}: upgrade keysweep to use it"
            );
        }
        for (from, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql)
                .with_context(|| format!("migrating the schema from version {from}"))?;
        }
        if version < SCHEMA_VERSION {
            tx.execute("DELETE FROM schema_version", [])?;
            tx.execute(
                "INSERT INTO schema_version (version) VALUES (?1)",
                [SCHEMA_VERSION],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

impl Sqlite {
    /// The id of the rule set (`fingerprint`, `engine`), if the store has met it.
    fn rule_set(&mut self, fingerprint: &str, engine: &str) -> anyhow::Result<Option<i64>> {
        if let Some((.., id)) = self
            .rule_sets
            .iter()
            .find(|(f, e, _)| f == fingerprint && e == engine)
        {
            return Ok(Some(*id));
        }
        let id: Option<i64> = self
            .conn
            .prepare_cached("SELECT id FROM rule_sets WHERE fingerprint = ?1 AND engine = ?2")?
            .query_row([fingerprint, engine], |r| r.get(0))
            .optional()?;
        if let Some(id) = id {
            self.rule_sets
                .push((fingerprint.to_string(), engine.to_string(), id));
        }
        Ok(id)
    }
}

/// The id of the rule set (`fingerprint`, `engine`), creating its row if it is new (in
/// `tx`: not cached, as `tx` may not commit).
pub(super) fn rule_set_in(
    tx: &Transaction<'_>,
    fingerprint: &str,
    engine: &str,
) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO rule_sets (fingerprint, engine) VALUES (?1, ?2)
         ON CONFLICT (fingerprint, engine) DO NOTHING",
        [fingerprint, engine],
    )?;
    tx.query_row(
        "SELECT id FROM rule_sets WHERE fingerprint = ?1 AND engine = ?2",
        [fingerprint, engine],
        |r| r.get(0),
    )
}

fn repo_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RepoRow> {
    let tips: Option<String> = r.get(3)?;
    Ok(RepoRow {
        id: r.get(0)?,
        url: r.get(1)?,
        name: r.get(2)?,
        tips: tips.and_then(|t| serde_json::from_str::<BTreeMap<String, String>>(&t).ok()),
        fingerprint: r.get(4)?,
        scanned_at: r.get(5)?,
        duration_ms: r.get(6)?,
        result: r.get(7)?,
        error: r.get(8)?,
    })
}

const REPO_COLUMNS: &str =
    "id, url, name, tips, fingerprint, scanned_at, duration_ms, result, error";

const FINDING_COLUMNS: &str = "r.url, r.name, f.content_id, f.rule, f.name, f.category, \
     f.severity, f.line, f.col, f.redacted, f.path, f.blob, f.commit_id, f.author, f.email, \
     f.authored_at, f.present_at_head, f.first_seen, f.last_seen, f.new_in_run, f.status, \
     f.note, f.triaged_by, f.triaged_at";

fn finding_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FindingRow> {
    Ok(FindingRow {
        repository: r.get(0)?,
        repository_name: r.get(1)?,
        placed: Placed {
            found: BlobFinding {
                content_id: r.get(2)?,
                rule: r.get(3)?,
                name: r.get(4)?,
                category: r.get(5)?,
                severity: r.get(6)?,
                line: r.get(7)?,
                column: r.get(8)?,
                redacted: r.get(9)?,
            },
            path: r.get(10)?,
            blob: r.get(11)?,
            commit: r.get(12)?,
            author: r.get(13)?,
            email: r.get(14)?,
            date: r.get(15)?,
        },
        present_at_head: r.get::<_, i64>(16)? != 0,
        first_seen: r.get(17)?,
        last_seen: r.get(18)?,
        new_in_run: r.get(19)?,
        status: r.get(20)?,
        note: r.get(21)?,
        triaged_by: r.get(22)?,
        triaged_at: r.get(23)?,
    })
}

/// The repository's id, creating its row if it is new.
fn repo_id(tx: &Transaction<'_>, url: &str, name: &str) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO repositories (url, name) VALUES (?1, ?2) ON CONFLICT (url) DO NOTHING",
        params![url, name],
    )?;
    tx.query_row("SELECT id FROM repositories WHERE url = ?1", [url], |r| {
        r.get(0)
    })
}

impl Store for Sqlite {
    fn enqueue(&mut self, items: &[(String, String, String)]) -> anyhow::Result<usize> {
        let when = now();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut n = 0;
        {
            let mut st = tx.prepare_cached(
                "INSERT INTO queue (url, name, source, state, enqueued_at)
                 VALUES (?1, ?2, ?3, 'queued', ?4)
                 ON CONFLICT (url) DO UPDATE SET name = excluded.name,
                     source = excluded.source, state = 'queued', worker = NULL,
                     lease_until = NULL, enqueued_at = excluded.enqueued_at
                 WHERE queue.state IN ('done', 'failed')
                    OR (queue.state = 'claimed' AND queue.lease_until < unixepoch())",
            )?;
            for (key, name, source) in items {
                n += st.execute(params![key, name, source, when])?;
            }
        }
        tx.commit()?;
        Ok(n)
    }

    fn claim(&mut self, worker: &str, lease: i64) -> anyhow::Result<Option<super::Claim>> {
        // An immediate transaction: one claimer at a time, so no two take the same one.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let next: Option<super::Claim> = tx
            .query_row(
                "SELECT url, name, source FROM queue
                 WHERE state = 'queued' OR (state = 'claimed' AND lease_until < unixepoch())
                 ORDER BY enqueued_at, url LIMIT 1",
                [],
                |r| {
                    Ok(super::Claim {
                        key: r.get(0)?,
                        name: r.get(1)?,
                        source: r.get(2)?,
                    })
                },
            )
            .optional()?;
        if let Some(c) = &next {
            tx.execute(
                "UPDATE queue SET state = 'claimed', worker = ?1,
                 lease_until = unixepoch() + ?2, attempts = attempts + 1 WHERE url = ?3",
                params![worker, lease, c.key],
            )?;
        }
        tx.commit()?;
        Ok(next)
    }

    fn heartbeat(&mut self, key: &str, worker: &str, lease: i64) -> anyhow::Result<bool> {
        let n = self.conn.execute(
            "UPDATE queue SET lease_until = unixepoch() + ?1
             WHERE url = ?2 AND worker = ?3 AND state = 'claimed'",
            params![lease, key, worker],
        )?;
        Ok(n == 1)
    }

    fn finish_claim(&mut self, key: &str, worker: &str, state: &str) -> anyhow::Result<()> {
        self.conn.execute(
            "UPDATE queue SET state = ?1, done_at = ?2, lease_until = NULL
             WHERE url = ?3 AND worker = ?4 AND state = 'claimed'",
            params![state, now(), key, worker],
        )?;
        Ok(())
    }

    fn held(&mut self) -> anyhow::Result<i64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM queue WHERE state = 'claimed'",
            [],
            |r| r.get(0),
        )?)
    }

    fn queue(&mut self) -> anyhow::Result<Vec<(String, String, i64)>> {
        let mut st = self
            .conn
            .prepare("SELECT url, state, attempts FROM queue ORDER BY url")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn begin_run(&mut self, fingerprint: &str) -> anyhow::Result<i64> {
        self.conn.execute(
            "INSERT INTO runs (started, fingerprint) VALUES (?1, ?2)",
            params![now(), fingerprint],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    fn finish_run(&mut self, run: i64, repositories: i64, failed: i64) -> anyhow::Result<()> {
        self.conn.execute(
            "UPDATE runs SET finished = ?1, repositories = ?2, failed = ?3 WHERE id = ?4",
            params![now(), repositories, failed, run],
        )?;
        Ok(())
    }

    fn last_run(&mut self) -> anyhow::Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT max(id) FROM runs WHERE finished IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    fn repository(&mut self, url: &str) -> anyhow::Result<Option<RepoRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {REPO_COLUMNS} FROM repositories WHERE url = ?1"
            ))?
            .query_row([url], repo_row)
            .optional()?)
    }

    fn repositories(&mut self) -> anyhow::Result<Vec<RepoRow>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {REPO_COLUMNS} FROM repositories ORDER BY name, url"
        ))?;
        let rows = st.query_map([], repo_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn scanned(
        &mut self,
        blob: &str,
        fingerprint: &str,
        engine: &str,
    ) -> anyhow::Result<Option<Vec<BlobFinding>>> {
        let Some(set) = self.rule_set(fingerprint, engine)? else {
            return Ok(None);
        };
        let count: Option<i64> = self
            .conn
            .prepare_cached("SELECT findings FROM ledger WHERE blob = ?1 AND rule_set = ?2")?
            .query_row(params![key_in(blob), set], |r| r.get(0))
            .optional()?;
        let Some(count) = count else {
            return Ok(None);
        };
        if count == 0 {
            return Ok(Some(Vec::new()));
        }
        let mut st = self.conn.prepare_cached(
            "SELECT content_id, rule, name, category, severity, line, col, redacted
             FROM blob_findings WHERE blob = ?1 AND rule_set = ?2 ORDER BY seq",
        )?;
        let rows = st.query_map(params![key_in(blob), set], |r| {
            Ok(BlobFinding {
                content_id: r.get(0)?,
                rule: r.get(1)?,
                name: r.get(2)?,
                category: r.get(3)?,
                severity: r.get(4)?,
                line: r.get(5)?,
                column: r.get(6)?,
                redacted: r.get(7)?,
            })
        })?;
        Ok(Some(rows.collect::<Result<_, _>>()?))
    }

    fn contents(
        &mut self,
        blobs: &[String],
        fingerprint: &str,
        engine: &str,
    ) -> anyhow::Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        let Some(set) = self.rule_set(fingerprint, engine)? else {
            return Ok(out);
        };
        // In chunks, well under SQLite's limit on parameters.
        for chunk in blobs.chunks(500) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("?{}", i + 2)).collect();
            let sql = format!(
                "SELECT blob, content_id FROM blob_findings WHERE rule_set = ?1
                 AND blob IN ({})",
                marks.join(", ")
            );
            let mut st = self.conn.prepare_cached(&sql)?;
            let mut args: Vec<rusqlite::types::Value> = vec![set.into()];
            args.extend(chunk.iter().map(|b| key_in(b)));
            let rows = st.query_map(rusqlite::params_from_iter(args), |r| {
                Ok((key_out(r.get_ref(0)?)?, r.get(1)?))
            })?;
            for r in rows {
                out.push(r?);
            }
        }
        Ok(out)
    }

    fn record(&mut self, scan: &RepoScan) -> anyhow::Result<Vec<FindingRow>> {
        let when = now();
        let epoch = now_epoch();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let repo = repo_id(&tx, &scan.url, &scan.name)?;
        if !scan.ledger.is_empty() {
            let set = rule_set_in(&tx, &scan.fingerprint, &scan.engine)?;
            let mut ledger = tx.prepare_cached(
                "INSERT INTO ledger (blob, rule_set, findings, scanned_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (blob, rule_set) DO NOTHING",
            )?;
            let mut found = tx.prepare_cached(
                "INSERT INTO blob_findings (blob, rule_set, seq, content_id, rule,
                 name, category, severity, line, col, redacted)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (blob, rule_set, seq) DO NOTHING",
            )?;
            // Most blobs hold nothing: theirs are written LEDGER_BATCH rows to a statement,
            // a fifth of the cost of one statement each (git/git: 165,000 rows).
            let clean: Vec<&LedgerKey> = scan
                .ledger
                .iter()
                .filter(|(_, f)| f.is_empty())
                .map(|(k, _)| k)
                .collect();
            let mut batch = tx.prepare_cached(&format!(
                "INSERT INTO ledger (blob, rule_set, findings, scanned_at) VALUES {}
                 ON CONFLICT (blob, rule_set) DO NOTHING",
                vec!["(?, ?, 0, ?)"; LEDGER_BATCH].join(", ")
            ))?;
            let mut chunks = clean.chunks_exact(LEDGER_BATCH);
            for chunk in &mut chunks {
                let args = chunk.iter().flat_map(|k| {
                    [
                        rusqlite::types::Value::Blob(k.bytes()),
                        set.into(),
                        epoch.into(),
                    ]
                });
                batch.execute(rusqlite::params_from_iter(args))?;
            }
            for k in chunks.remainder() {
                ledger.execute(params![k.bytes(), set, 0, epoch])?;
            }
            for (k, findings) in scan.ledger.iter().filter(|(_, f)| !f.is_empty()) {
                let key = k.bytes();
                let added = ledger.execute(params![key, set, findings.len() as i64, epoch])?;
                if added == 0 {
                    continue;
                }
                for (seq, f) in findings.iter().enumerate() {
                    found.execute(params![
                        key,
                        set,
                        seq as i64,
                        f.content_id,
                        f.rule,
                        f.name,
                        f.category,
                        f.severity,
                        f.line,
                        f.column,
                        f.redacted
                    ])?;
                }
            }
        }
        let mut new_ids = Vec::new();
        {
            let mut existing = tx.prepare_cached(
                "SELECT id, status, commit_id FROM findings
                 WHERE repository = ?1 AND content_id = ?2 AND path = ?3",
            )?;
            let mut seen = tx.prepare_cached("UPDATE findings SET last_seen = ?1 WHERE id = ?2")?;
            let mut reopened = tx.prepare_cached(
                "UPDATE findings SET status = 'open', new_in_run = ?1, last_seen = ?2,
                 blob = ?3, commit_id = ?4, author = ?5, email = ?6, authored_at = ?7,
                 line = ?8, col = ?9 WHERE id = ?10",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO findings (repository, content_id, path, rule, name, category,
                 severity, line, col, redacted, blob, commit_id, author, email, authored_at,
                 present_at_head, first_seen, last_seen, new_in_run, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                 0, ?16, ?16, ?17,
                 CASE WHEN EXISTS (SELECT 1 FROM findings WHERE content_id = ?2
                                   AND status = 'false-positive')
                      THEN 'false-positive' ELSE 'open' END)",
            )?;
            for p in &scan.placed {
                let f = &p.found;
                let row: Option<(i64, String, Option<String>)> = existing
                    .query_row(params![repo, f.content_id, p.path], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })
                    .optional()?;
                match row {
                    None => {
                        insert.execute(params![
                            repo,
                            f.content_id,
                            p.path,
                            f.rule,
                            f.name,
                            f.category,
                            f.severity,
                            f.line,
                            f.column,
                            f.redacted,
                            p.blob,
                            p.commit,
                            p.author,
                            p.email,
                            p.date,
                            when,
                            scan.run
                        ])?;
                        new_ids.push(tx.last_insert_rowid());
                    }
                    // Revoked, and brought in again by a commit not seen before.
                    Some((id, status, commit)) if status == "revoked" && commit != p.commit => {
                        reopened.execute(params![
                            scan.run, when, p.blob, p.commit, p.author, p.email, p.date, f.line,
                            f.column, id
                        ])?;
                        new_ids.push(id);
                    }
                    Some((id, _, _)) => {
                        seen.execute(params![when, id])?;
                    }
                }
            }
        }
        if let Some(at_head) = &scan.at_head {
            let rows: Vec<(i64, String, String, i64)> = tx
                .prepare(
                    "SELECT id, content_id, path, present_at_head FROM findings WHERE repository = ?1",
                )?
                .query_map([repo], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<Result<_, _>>()?;
            let mut set =
                tx.prepare_cached("UPDATE findings SET present_at_head = ?1 WHERE id = ?2")?;
            for (id, content, path, was) in rows {
                let now_at = i64::from(at_head.contains(&(content, path)));
                if now_at != was {
                    set.execute(params![now_at, id])?;
                }
            }
        }
        let tips = scan.tips.as_ref().map(serde_json::to_string).transpose()?;
        tx.execute(
            "UPDATE repositories SET name = ?1, scanned_at = ?2, duration_ms = ?3, result = ?4,
             error = ?5, last_run = ?6,
             tips = CASE WHEN ?7 IS NULL THEN tips ELSE ?7 END,
             fingerprint = CASE WHEN ?7 IS NULL THEN fingerprint ELSE ?8 END
             WHERE id = ?9",
            params![
                scan.name,
                when,
                scan.duration_ms,
                scan.result,
                scan.error,
                scan.run,
                tips,
                scan.fingerprint,
                repo
            ],
        )?;
        let mut new = Vec::new();
        {
            let mut st = tx.prepare_cached(&format!(
                "SELECT {FINDING_COLUMNS} FROM findings f JOIN repositories r
                 ON r.id = f.repository WHERE f.id = ?1"
            ))?;
            for id in new_ids {
                new.push(st.query_row([id], finding_row)?);
            }
        }
        tx.commit()?;
        Ok(new)
    }

    fn record_failure(
        &mut self,
        url: &str,
        name: &str,
        run: i64,
        duration_ms: i64,
        error: &str,
    ) -> anyhow::Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let id = repo_id(&tx, url, name)?;
        tx.execute(
            "UPDATE repositories SET scanned_at = ?1, duration_ms = ?2, result = 'failed',
             error = ?3, last_run = ?4 WHERE id = ?5",
            params![now(), duration_ms, error, run, id],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn record_unchanged(&mut self, url: &str, run: i64, duration_ms: i64) -> anyhow::Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE repositories SET scanned_at = ?1, duration_ms = ?2, result = 'unchanged',
                 error = NULL, last_run = ?3 WHERE url = ?4",
            )?
            .execute(params![now(), duration_ms, run, url])?;
        Ok(())
    }

    fn findings(&mut self, query: &Query) -> anyhow::Result<Vec<FindingRow>> {
        let mut sql = format!(
            "SELECT {FINDING_COLUMNS} FROM findings f JOIN repositories r ON r.id = f.repository
             WHERE 1 = 1"
        );
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(s) = &query.status {
            args.push(s.clone().into());
            sql.push_str(&format!(" AND f.status = ?{}", args.len()));
        }
        if let Some(s) = &query.since {
            args.push(s.clone().into());
            sql.push_str(&format!(" AND f.first_seen >= ?{}", args.len()));
        }
        if let Some(run) = query.new_in_run {
            args.push(run.into());
            sql.push_str(&format!(" AND f.new_in_run = ?{}", args.len()));
        }
        sql.push_str(" ORDER BY f.first_seen, f.content_id, r.url, f.path");
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(args), finding_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn triage(
        &mut self,
        content_id: &str,
        repo: Option<&str>,
        status: &str,
        note: Option<&str>,
        who: &str,
    ) -> anyhow::Result<usize> {
        let n = self.conn.execute(
            "UPDATE findings SET status = ?1, note = coalesce(?2, note), triaged_by = ?3,
             triaged_at = ?4
             WHERE content_id = ?5 AND (?6 IS NULL OR repository IN
                 (SELECT id FROM repositories WHERE url = ?6 OR name = ?6))",
            params![status, note, who, now(), content_id, repo],
        )?;
        Ok(n)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    #[test]
    fn an_older_store_is_migrated_and_a_newer_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        // A store from before any table: version 0.
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(
                "CREATE TABLE schema_version (version INTEGER NOT NULL);
                 INSERT INTO schema_version VALUES (0);",
            )
            .unwrap();
        }
        let mut s = Sqlite::open(&path).unwrap();
        let v: i64 = s
            .conn
            .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        assert!(s.repositories().unwrap().is_empty());
        // Opening again changes nothing.
        drop(s);
        Sqlite::open(&path).unwrap();
        {
            let c = Connection::open(&path).unwrap();
            c.execute(
                "UPDATE schema_version SET version = ?1",
                [SCHEMA_VERSION + 1],
            )
            .unwrap();
        }
        let e = Sqlite::open(&path).err().unwrap();
        assert!(format!("{e:#}").contains("newer keysweep"), "{e:#}");
    }

    /// Writes a store of schema version 2 at `path`: blob `b1` scanned under rule set
    /// (`fp`, `e`) with one finding (`ks-1` at line 3), `b2` clean under it, and each
    /// `extra` ledger row (blob, fingerprint, engine) clean.
    pub(in crate::store) fn version_2_store(path: &Path, extra: &[(&str, &str, &str)]) {
        let c = Connection::open(path).unwrap();
        c.execute_batch(MIGRATIONS[0]).unwrap();
        c.execute_batch(MIGRATIONS[1]).unwrap();
        c.execute_batch(
            "CREATE TABLE schema_version (version INTEGER NOT NULL);
             INSERT INTO schema_version VALUES (2);
             INSERT INTO ledger VALUES ('b1', 'fp', 'e', 1, '2026-12-01T00:00:00Z');
             INSERT INTO ledger VALUES ('b2', 'fp', 'e', 0, '2026-12-01T00:00:00Z');
             INSERT INTO blob_findings VALUES ('b1', 'fp', 'e', 0, 'ks-1', 'r', 'n',
                 'private-key', 'critical', 3, 4, '…');",
        )
        .unwrap();
        for (blob, fingerprint, engine) in extra {
            c.execute(
                "INSERT INTO ledger VALUES (?1, ?2, ?3, 0, '2026-12-01T00:00:00Z')",
                [blob, fingerprint, engine],
            )
            .unwrap();
        }
    }

    #[test]
    fn ledger_keys_are_stored_as_bytes_and_read_back_unchanged() {
        use rusqlite::types::{Value, ValueRef};
        let sha1 = "0123456789abcdef0123456789abcdef01234567";
        let sha256 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        for (key, len) in [
            (sha1.to_string(), 20),
            (format!("{sha1}:1"), 21),
            (format!("{sha1}:1f"), 21),
            (format!("{sha1}:100"), 22),
            (format!("{sha1}:ffff"), 22),
            (sha256.to_string(), 32),
            (format!("{sha256}:3"), 33),
        ] {
            let Value::Blob(b) = key_in(&key) else {
                panic!("{key} not stored as bytes");
            };
            assert_eq!(b.len(), len, "{key}");
            assert_eq!(key_out(ValueRef::Blob(&b)).unwrap(), key);
        }
        // A scan's ledger rows are written as bytes straight from the blob and kind:
        // the bytes its key's text is stored as, the order of those bytes.
        let mut keys = Vec::new();
        for (i, class) in [0u16, 1, 0x1f, 0x20, 0xff, 0x100, 0xabc, 0xffff]
            .into_iter()
            .enumerate()
        {
            for hex in [sha1, "ff00000000000000000000000000000000000001"] {
                let k = LedgerKey {
                    blob: git2::Oid::from_str(hex).unwrap(),
                    class,
                };
                let text = match class {
                    0 => hex.to_string(),
                    _ => format!("{hex}:{class:x}"),
                };
                assert_eq!(k.text(), text);
                assert_eq!(key_in(&k.text()), Value::Blob(k.bytes()), "{k:?}");
                assert_eq!(key_out(ValueRef::Blob(&k.bytes())).unwrap(), k.text());
                keys.push(k);
            }
            let blob = git2::Oid::from_str(&format!("{:02x}{}", i * 31, &sha1[2..])).unwrap();
            keys.push(LedgerKey { blob, class });
        }
        keys.sort();
        let ids: Vec<Vec<u8>> = keys.iter().map(|k| k.blob.as_bytes().to_vec()).collect();
        assert!(ids.windows(2).all(|w| w[0] <= w[1]));
        // Anything else stays text, so it never equals another key's bytes.
        for key in [
            "b1".to_string(),
            sha1.to_uppercase(),
            format!("{sha1}:"),
            format!("{sha1}:01"),
            format!("{sha1}:12345"),
            format!("{sha1}:1:2"),
            sha1[..39].to_string(),
        ] {
            assert_eq!(key_in(&key), Value::Text(key.clone()));
            assert_eq!(key_out(ValueRef::Text(key.as_bytes())).unwrap(), key);
        }
    }

    #[test]
    fn a_version_2_ledger_is_carried_into_rule_sets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let hex = "89abcdef0123456789abcdef0123456789abcdef";
        let classed = format!("{hex}:2a");
        version_2_store(
            &path,
            &[("b1", "fp2", "e"), (hex, "fp", "e"), (&classed, "fp", "e")],
        );
        let mut s = Sqlite::open(&path).unwrap();
        // Migration 4 stored the hex keys as bytes, the others as they were.
        let kinds: Vec<(String, i64)> = s
            .conn
            .prepare(
                "SELECT typeof(blob), length(blob) FROM ledger ORDER BY typeof(blob), length(blob)",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            kinds,
            [
                ("blob", 20),
                ("blob", 21),
                ("text", 2),
                ("text", 2),
                ("text", 2)
            ]
            .map(|(t, n)| (t.to_string(), n))
        );
        assert_eq!(s.scanned(hex, "fp", "e").unwrap(), Some(Vec::new()));
        assert_eq!(s.scanned(&classed, "fp", "e").unwrap(), Some(Vec::new()));
        assert_eq!(s.scanned(&format!("{hex}:2b"), "fp", "e").unwrap(), None);
        let when: i64 = s
            .conn
            .query_row("SELECT max(scanned_at) FROM ledger", [], |r| r.get(0))
            .unwrap();
        assert_eq!(when, 1_796_083_200, "2026-12-01T00:00:00Z in seconds");
        let found = s.scanned("b1", "fp", "e").unwrap().unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].content_id.as_str(), found[0].line), ("ks-1", 3));
        assert_eq!(s.scanned("b2", "fp", "e").unwrap(), Some(Vec::new()));
        assert_eq!(s.scanned("b1", "fp2", "e").unwrap(), Some(Vec::new()));
        assert_eq!(s.scanned("b2", "fp2", "e").unwrap(), None);
        assert_eq!(s.scanned("b1", "fp", "other").unwrap(), None);
        assert_eq!(
            s.contents(&["b1".into(), "b2".into()], "fp", "e").unwrap(),
            vec![("b1".to_string(), "ks-1".to_string())]
        );
        let sets: i64 = s
            .conn
            .query_row("SELECT count(*) FROM rule_sets", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sets, 2);
    }

    #[test]
    fn a_repository_and_its_findings_are_recorded_together() {
        let key = |hex: &str| LedgerKey {
            blob: git2::Oid::from_str(hex).unwrap(),
            class: 0,
        };
        let b1 = key("b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1");
        let b2 = key("b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2");
        let dir = tempfile::tempdir().unwrap();
        let mut s = Sqlite::open(&dir.path().join("s.db")).unwrap();
        let run = s.begin_run("fp").unwrap();
        let found = BlobFinding {
            content_id: "ks-1".into(),
            rule: "r".into(),
            name: "n".into(),
            category: "private-key".into(),
            severity: "critical".into(),
            line: 1,
            column: 1,
            redacted: "…".into(),
        };
        let scan = RepoScan {
            url: "u".into(),
            name: "n".into(),
            run,
            tips: Some(BTreeMap::from([(
                "HEAD".into(),
                "ref: refs/heads/main".into(),
            )])),
            fingerprint: "fp".into(),
            engine: "e".into(),
            result: "ok".into(),
            ledger: vec![(b1, vec![found.clone()]), (b2, Vec::new())],
            placed: vec![Placed {
                found: found.clone(),
                path: "p".into(),
                blob: "b1".into(),
                commit: Some("c1".into()),
                author: None,
                email: None,
                date: None,
            }],
            at_head: Some([("ks-1".to_string(), "p".to_string())].into()),
            ..RepoScan::default()
        };
        assert_eq!(s.record(&scan).unwrap().len(), 1);
        // Recorded again: nothing new, nothing doubled.
        assert!(s.record(&scan).unwrap().is_empty());
        assert_eq!(s.findings(&Query::default()).unwrap().len(), 1);
        assert_eq!(s.scanned(&b1.text(), "fp", "e").unwrap(), Some(vec![found]));
        assert_eq!(s.scanned(&b2.text(), "fp", "e").unwrap(), Some(Vec::new()));
        assert_eq!(s.scanned(&b1.text(), "other", "e").unwrap(), None);
        // A blob at another kind of path is another entry.
        let b1_classed = LedgerKey { class: 4, ..b1 };
        assert_eq!(s.scanned(&b1_classed.text(), "fp", "e").unwrap(), None);
        let row = s.repository("u").unwrap().unwrap();
        assert_eq!(row.tips, scan.tips);
        assert!(s.findings(&Query::default()).unwrap()[0].present_at_head);
    }
}
