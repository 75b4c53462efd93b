//! `keysweep org merge`: the union of SQLite stores that shards wrote apart (`org scan
//! --shard I/N` on N machines) into one store, as if one run had scanned them all.
//!
//! Findings are keyed by (repository URL, content id, path) and the ledger by (blob,
//! rule-set fingerprint, engine), all content-derived: the same secret at the same place
//! has the same key in every shard, so the union is exact and merging again adds nothing.
//! Where two stores hold the same place, first seen is the earlier, last seen the later,
//! the origin stays as first recorded, presence at HEAD comes from the later scan, and
//! triage from the later decision (`triaged_at`). A repository's tips and result come from
//! its latest scan, and a place that scan no longer holds is not at HEAD.
//!
//! Every shard is checked (present, an SQLite file whose pages are sound, a keysweep store
//! of a schema this build knows) before anything is written, and all of them are written
//! in one transaction: a merge is whole or nothing, never a silent partial union.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};

use super::sqlite::key_stored;
use super::{SCHEMA_VERSION, Sqlite};

/// What a merge did.
#[derive(Debug, Default, Clone)]
pub struct Merged {
    pub shards: usize,
    /// Repositories new to the store, and those whose newer scan replaced the store's.
    pub repositories_added: usize,
    pub repositories_updated: usize,
    /// Places (repository, secret, path) new to the store, and those merged into one held.
    pub findings_added: usize,
    pub findings_merged: usize,
    /// Of those, the ones the merge changed (seen later, triaged later, brought back).
    pub findings_changed: usize,
    /// Ledger entries (blob under a rule set) new to the store.
    pub ledger_added: usize,
    /// Repositories the shards hold, and those of them whose last scan failed.
    pub repositories: usize,
    pub failed: usize,
}

impl Merged {
    /// Whether the merge changed the store.
    pub fn changed(&self) -> bool {
        self.repositories_added
            + self.repositories_updated
            + self.findings_added
            + self.findings_changed
            + self.ledger_added
            > 0
    }
}

/// Opens `path` as a shard: read-only, checked whole (`PRAGMA quick_check`), and refused
/// unless it is a keysweep store of a schema this build knows.
fn shard(path: &Path) -> anyhow::Result<Connection> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("no store at {}", path.display()))?;
    if !meta.is_file() {
        bail!("{} is not a store file", path.display());
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {}", path.display()))?;
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .with_context(|| format!("{}: not an SQLite store, or damaged", path.display()))?;
    if check != "ok" {
        bail!("{}: the store is damaged ({check})", path.display());
    }
    let has_version: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
        [],
        |r| r.get(0),
    )?;
    let version: Option<i64> = if has_version == 1 {
        conn.query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))?
    } else {
        None
    };
    match version {
        Some(v) if v > SCHEMA_VERSION => bail!(
            "{}: its schema is version {v}, written by a newer keysweep; this one knows up to \
             version {SCHEMA_VERSION}: upgrade keysweep to merge it",
            path.display()
        ),
        Some(v) if v >= 1 => Ok(conn),
        _ => bail!(
            "{}: not a keysweep store (no schema version)",
            path.display()
        ),
    }
}

/// The schema version of a shard `shard` accepted.
fn shard_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))
}

/// Merges the SQLite stores at `shards` into the SQLite store at `out` (created if need
/// be), in one transaction. A store named twice is merged once; `out` may not be a shard.
pub fn merge(out: &Path, shards: &[PathBuf]) -> anyhow::Result<Merged> {
    if super::is_url(&out.to_string_lossy()) {
        bail!(
            "org merge writes an SQLite store: a shared PostgreSQL store needs no merge (every \
             worker writes to it)"
        );
    }
    let mut seen = std::collections::HashSet::new();
    let out_real = std::fs::canonicalize(out).ok();
    let mut conns = Vec::new();
    for path in shards {
        let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        if out_real.as_ref() == Some(&real) {
            bail!("{} is the store merged into, not a shard", path.display());
        }
        let conn = shard(path)?;
        if seen.insert(real) {
            conns.push((path, conn));
        }
    }
    let existed = out.exists();
    let result = (|| {
        let mut store = Sqlite::open(out)?;
        let tx = store
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut merged = Merged {
            shards: conns.len(),
            ..Merged::default()
        };
        // The merge is a run of the merged store: what it adds is new in it, as what a
        // scan adds is new in the scan's run.
        let fingerprint = conns
            .iter()
            .find_map(|(_, c)| {
                c.query_row(
                    "SELECT fingerprint FROM runs WHERE finished IS NOT NULL ORDER BY id DESC LIMIT 1",
                    [],
                    |r| r.get::<_, String>(0),
                )
                .optional()
                .ok()
                .flatten()
            })
            .unwrap_or_else(|| "merge".into());
        tx.execute(
            "INSERT INTO runs (started, fingerprint) VALUES (?1, ?2)",
            params![super::now(), fingerprint],
        )?;
        let run = tx.last_insert_rowid();
        for (path, conn) in &conns {
            one(&tx, conn, run, &mut merged)
                .with_context(|| format!("merging {}", path.display()))?;
        }
        if merged.changed() {
            tx.execute(
                "UPDATE runs SET finished = ?1, repositories = ?2, failed = ?3 WHERE id = ?4",
                params![
                    super::now(),
                    merged.repositories as i64,
                    merged.failed as i64,
                    run
                ],
            )?;
        } else {
            // Nothing new: the store stays as it was, without a run that did nothing.
            tx.execute("DELETE FROM runs WHERE id = ?1", [run])?;
        }
        tx.commit()?;
        Ok(merged)
    })();
    if result.is_err() && !existed {
        // Nothing was merged: leave no empty store behind to be taken for a result.
        for suffix in ["", "-wal", "-shm"] {
            let mut p = out.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
    result
}

/// Text times compare as times; a missing one is older than any.
fn later(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a > b,
        (Some(_), None) => true,
        _ => false,
    }
}

/// Merges one shard into the transaction.
fn one(tx: &Transaction<'_>, from: &Connection, run: i64, m: &mut Merged) -> anyhow::Result<()> {
    // Repositories, by URL: the latest scan's tips and result.
    let mut repos: HashMap<i64, i64> = HashMap::new();
    // Repositories whose later, complete scan comes from this shard: what is at their HEAD
    // is what this shard says.
    let mut rescanned: Vec<i64> = Vec::new();
    {
        let mut st = from.prepare(
            "SELECT id, url, name, tips, fingerprint, scanned_at, duration_ms, result, error,
             last_run FROM repositories",
        )?;
        let mut find =
            tx.prepare_cached("SELECT id, scanned_at FROM repositories WHERE url = ?1")?;
        let mut add = tx.prepare_cached(
            "INSERT INTO repositories (url, name, tips, fingerprint, scanned_at, duration_ms,
             result, error, last_run) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let mut update = tx.prepare_cached(
            "UPDATE repositories SET name = ?2, tips = ?3, fingerprint = ?4, scanned_at = ?5,
             duration_ms = ?6, result = ?7, error = ?8, last_run = ?9 WHERE id = ?1",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<i64>>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, Option<i64>>(9)?,
            ))
        })?;
        for row in rows {
            let (id, url, name, tips, fp, at, ms, result, error, _) = row?;
            let last = Some(run);
            m.repositories += 1;
            if result.as_deref() == Some("failed") {
                m.failed += 1;
            }
            let held: Option<(i64, Option<String>)> = find
                .query_row([&url], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let to = match held {
                None => {
                    add.execute(params![url, name, tips, fp, at, ms, result, error, last])?;
                    m.repositories_added += 1;
                    tx.last_insert_rowid()
                }
                Some((to, held_at)) => {
                    if later(&at, &held_at) {
                        if matches!(result.as_deref(), Some("ok" | "unchanged")) {
                            rescanned.push(to);
                        }
                        update.execute(params![to, name, tips, fp, at, ms, result, error, last])?;
                        m.repositories_updated += 1;
                    }
                    to
                }
            };
            repos.insert(id, to);
        }
    }

    // The ledger: content-keyed, so the same entry is the same in every shard.
    {
        // A shard of schema 3 or later names its rule sets in `rule_sets`; an older one
        // in each row. Read either way as (blob, fingerprint, engine, ...).
        let named = shard_version(from)? >= 3;
        let (ledger, found) = if named {
            (
                "SELECT l.blob, r.fingerprint, r.engine, l.findings, SCANNED_AT
                 FROM ledger l JOIN rule_sets r ON r.id = l.rule_set",
                "SELECT b.blob, r.fingerprint, r.engine, b.seq, b.content_id, b.rule, b.name,
                 b.category, b.severity, b.line, b.col, b.redacted
                 FROM blob_findings b JOIN rule_sets r ON r.id = b.rule_set",
            )
        } else {
            (
                "SELECT blob, fingerprint, engine, findings, SCANNED_AT FROM ledger",
                "SELECT blob, fingerprint, engine, seq, content_id, rule, name, category,
                 severity, line, col, redacted FROM blob_findings",
            )
        };
        // The merged store's id of each rule set met: (fingerprint, engine, id).
        let mut sets: Vec<(String, String, i64)> = Vec::new();
        let mut set_of = |tx: &rusqlite::Transaction<'_>, fp: String, engine: String| {
            if let Some((.., id)) = sets.iter().find(|(f, e, _)| *f == fp && *e == engine) {
                return Ok(*id);
            }
            let id = super::sqlite::rule_set_in(tx, &fp, &engine)?;
            sets.push((fp, engine, id));
            Ok::<i64, rusqlite::Error>(id)
        };
        // Seconds since the epoch from schema 4, text before.
        let ledger = ledger.replace(
            "SCANNED_AT",
            "CASE typeof(scanned_at) WHEN 'text' THEN coalesce(unixepoch(scanned_at), 0)
             ELSE scanned_at END",
        );
        let mut st = from.prepare(&ledger)?;
        let mut add = tx.prepare_cached(
            "INSERT INTO ledger (blob, rule_set, findings, scanned_at)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (blob, rule_set) DO NOTHING",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let set = set_of(tx, r.get(1)?, r.get(2)?)?;
            m.ledger_added += add.execute(params![
                key_stored(r.get_ref(0)?),
                set,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?
            ])?;
        }
        let mut st = from.prepare(found)?;
        let mut add = tx.prepare_cached(
            "INSERT INTO blob_findings (blob, rule_set, seq, content_id, rule, name,
             category, severity, line, col, redacted)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (blob, rule_set, seq) DO NOTHING",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let set = set_of(tx, r.get(1)?, r.get(2)?)?;
            let mut v: Vec<rusqlite::types::Value> = vec![key_stored(r.get_ref(0)?), set.into()];
            for i in 3..12 {
                v.push(r.get(i)?);
            }
            add.execute(rusqlite::params_from_iter(v))?;
        }
    }

    // Findings, by (repository, content id, path).
    let mut st = from.prepare(&format!("SELECT repository, {FIELDS} FROM findings"))?;
    let mut find = tx.prepare_cached(&format!(
        "SELECT id, {FIELDS} FROM findings WHERE repository = ?1 AND content_id = ?2 AND path = ?3"
    ))?;
    let mut add = tx.prepare_cached(
        "INSERT INTO findings (repository, content_id, path, rule, name, category, severity,
         line, col, redacted, blob, commit_id, author, email, authored_at, present_at_head,
         first_seen, last_seen, new_in_run, status, note, triaged_by, triaged_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
         ?18, ?19,
         CASE WHEN ?20 = 'open' AND ?23 IS NULL AND EXISTS (SELECT 1 FROM findings
              WHERE content_id = ?2 AND status = 'false-positive')
              THEN 'false-positive' ELSE ?20 END,
         ?21, ?22, ?23)",
    )?;
    let mut update = tx.prepare_cached(
        "UPDATE findings SET rule = ?2, name = ?3, category = ?4, severity = ?5, line = ?6,
         col = ?7, redacted = ?8, blob = ?9, commit_id = ?10, author = ?11, email = ?12,
         authored_at = ?13, present_at_head = ?14, first_seen = ?15, last_seen = ?16,
         new_in_run = ?17, status = ?18, note = ?19, triaged_by = ?20, triaged_at = ?21
         WHERE id = ?1",
    )?;
    let mut places: std::collections::HashSet<(i64, String, String)> = Default::default();
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let repo: i64 = r.get(0)?;
        let Some(&repo) = repos.get(&repo) else {
            bail!("a finding names repository {repo}, which the store does not hold");
        };
        let mut f = Place::read(r, 1)?;
        f.new_in_run = run;
        places.insert((repo, f.content_id.clone(), f.path.clone()));
        let held = find
            .query_row(params![repo, f.content_id, f.path], |r| {
                Ok((r.get::<_, i64>(0)?, Place::read(r, 1)?))
            })
            .optional()?;
        match held {
            None => {
                add.execute(params![
                    repo,
                    f.content_id,
                    f.path,
                    f.rule,
                    f.name,
                    f.category,
                    f.severity,
                    f.line,
                    f.col,
                    f.redacted,
                    f.blob,
                    f.commit,
                    f.author,
                    f.email,
                    f.authored_at,
                    f.present_at_head,
                    f.first_seen,
                    f.last_seen,
                    f.new_in_run,
                    f.status,
                    f.note,
                    f.triaged_by,
                    f.triaged_at
                ])?;
                m.findings_added += 1;
            }
            Some((id, h)) => {
                m.findings_merged += 1;
                let u = combine(h.clone(), f);
                if u == h {
                    continue;
                }
                m.findings_changed += 1;
                update.execute(params![
                    id,
                    u.rule,
                    u.name,
                    u.category,
                    u.severity,
                    u.line,
                    u.col,
                    u.redacted,
                    u.blob,
                    u.commit,
                    u.author,
                    u.email,
                    u.authored_at,
                    u.present_at_head,
                    u.first_seen,
                    u.last_seen,
                    u.new_in_run,
                    u.status,
                    u.note,
                    u.triaged_by,
                    u.triaged_at
                ])?;
            }
        }
    }
    // A place the store holds in a repository this shard scanned later but does not hold
    // is no longer at HEAD there (history rewritten since), as a rescan would have found.
    let mut at_head = tx.prepare_cached(
        "SELECT id, content_id, path FROM findings WHERE repository = ?1 AND present_at_head = 1",
    )?;
    let mut gone = tx.prepare_cached("UPDATE findings SET present_at_head = 0 WHERE id = ?1")?;
    for repo in rescanned {
        let held: Vec<(i64, String, String)> = at_head
            .query_map([repo], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        for (id, content, path) in held {
            if !places.contains(&(repo, content, path)) {
                gone.execute([id])?;
                m.findings_changed += 1;
            }
        }
    }
    Ok(())
}

const FIELDS: &str = "content_id, path, rule, name, category, severity, line, col, redacted, \
     blob, commit_id, author, email, authored_at, present_at_head, first_seen, last_seen, \
     new_in_run, status, note, triaged_by, triaged_at";

/// A finding's row but its repository.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Place {
    content_id: String,
    path: String,
    rule: String,
    name: String,
    category: String,
    severity: String,
    line: i64,
    col: i64,
    redacted: String,
    blob: String,
    commit: Option<String>,
    author: Option<String>,
    email: Option<String>,
    authored_at: Option<String>,
    present_at_head: i64,
    first_seen: String,
    last_seen: String,
    new_in_run: i64,
    status: String,
    note: Option<String>,
    triaged_by: Option<String>,
    triaged_at: Option<String>,
}

impl Place {
    /// [`FIELDS`] from column `at` on.
    fn read(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Place> {
        Ok(Place {
            content_id: r.get(at)?,
            path: r.get(at + 1)?,
            rule: r.get(at + 2)?,
            name: r.get(at + 3)?,
            category: r.get(at + 4)?,
            severity: r.get(at + 5)?,
            line: r.get(at + 6)?,
            col: r.get(at + 7)?,
            redacted: r.get(at + 8)?,
            blob: r.get(at + 9)?,
            commit: r.get(at + 10)?,
            author: r.get(at + 11)?,
            email: r.get(at + 12)?,
            authored_at: r.get(at + 13)?,
            present_at_head: r.get(at + 14)?,
            first_seen: r.get(at + 15)?,
            last_seen: r.get(at + 16)?,
            new_in_run: r.get(at + 17)?,
            status: r.get(at + 18)?,
            note: r.get(at + 19)?,
            triaged_by: r.get(at + 20)?,
            triaged_at: r.get(at + 21)?,
        })
    }
}

/// One place as two stores hold it: seen from the earlier first sighting to the later
/// last; what the place holds and whether HEAD has it from the later scan; the triage of
/// the later decision. A place revoked in one store and brought back by another commit
/// in a later scan of the other is open again, as a rescan would have made it.
fn combine(held: Place, from: Place) -> Place {
    let first_seen = held.first_seen.clone().min(from.first_seen.clone());
    // New in the run that first recorded it here, unless brought back (below).
    let new_in_run = held.new_in_run;
    let newer_scan = from.last_seen > held.last_seen;
    let (mut out, older) = if newer_scan {
        (from.clone(), held.clone())
    } else {
        (held.clone(), from.clone())
    };
    out.first_seen = first_seen;
    out.new_in_run = new_in_run;
    // Where it came from stays as first recorded, as a rescan keeps it (a rewritten
    // history's new commit id does not replace it); the later scan says only whether HEAD
    // still has it.
    let first = if from.first_seen < held.first_seen {
        &from
    } else {
        &held
    };
    out.blob = first.blob.clone();
    out.commit = first.commit.clone();
    out.author = first.author.clone();
    out.email = first.email.clone();
    out.authored_at = first.authored_at.clone();
    out.line = first.line;
    out.col = first.col;
    // Triage: the later decision; on a tie, the later scan's (`out`'s) stands.
    let decided = if later(&older.triaged_at, &out.triaged_at) {
        out.status = older.status.clone();
        out.note = older.note.clone();
        out.triaged_by = older.triaged_by.clone();
        out.triaged_at = older.triaged_at.clone();
        older
    } else {
        out.clone()
    };
    // Revoked, then found again at another commit by a scan after the revocation.
    if decided.status == "revoked" {
        for p in [&held, &from] {
            if p.status == "open"
                && p.commit != decided.commit
                && later(&Some(p.last_seen.clone()), &decided.triaged_at)
            {
                out.status = "open".into();
                out.new_in_run = from.new_in_run;
                out.blob = p.blob.clone();
                out.commit = p.commit.clone();
                out.author = p.author.clone();
                out.email = p.email.clone();
                out.authored_at = p.authored_at.clone();
                out.line = p.line;
                out.col = p.col;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store as _;

    #[test]
    fn a_shard_of_schema_2_merges_its_ledger_into_rule_sets() {
        let dir = tempfile::tempdir().unwrap();
        let shard = dir.path().join("old.db");
        let hex = "0123456789abcdef0123456789abcdef01234567:3";
        super::super::sqlite::tests::version_2_store(&shard, &[(hex, "fp", "e")]);
        let out = dir.path().join("out.db");
        let merged = merge(&out, std::slice::from_ref(&shard)).unwrap();
        assert_eq!(merged.ledger_added, 3);
        let mut s = Sqlite::open(&out).unwrap();
        let found = s.scanned("b1", "fp", "e").unwrap().unwrap();
        assert_eq!((found.len(), found[0].line), (1, 3));
        assert_eq!(s.scanned("b2", "fp", "e").unwrap(), Some(Vec::new()));
        assert_eq!(s.scanned("b2", "other", "e").unwrap(), None);
        // The text key of schema 2 is stored as schema 4's bytes, and found as such.
        assert_eq!(s.scanned(hex, "fp", "e").unwrap(), Some(Vec::new()));
        let bytes: i64 = s
            .conn
            .query_row(
                "SELECT count(*) FROM ledger WHERE typeof(blob) = 'blob' AND length(blob) = 21",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(bytes, 1);
        // A shard of schema 2 and one of schema 4 holding the same ledger: three rows, once.
        let again = merge(&dir.path().join("out2.db"), &[shard, out]).unwrap();
        assert_eq!(again.ledger_added, 3);
    }

    fn place(first: &str, last: &str, status: &str, triaged_at: Option<&str>) -> Place {
        Place {
            content_id: "ks-1".into(),
            path: "p".into(),
            rule: "r".into(),
            name: "n".into(),
            category: "private-key".into(),
            severity: "critical".into(),
            line: 1,
            col: 1,
            redacted: "…".into(),
            blob: "b".into(),
            commit: Some("c".into()),
            author: None,
            email: None,
            authored_at: None,
            present_at_head: 1,
            first_seen: first.into(),
            last_seen: last.into(),
            new_in_run: 1,
            status: status.into(),
            note: None,
            triaged_by: None,
            triaged_at: triaged_at.map(String::from),
        }
    }

    #[test]
    fn seen_spans_both_and_the_later_triage_wins() {
        let a = place(
            "2026-01-01T00:00:00Z",
            "2026-01-05T00:00:00Z",
            "accepted",
            Some("2026-01-02T00:00:00Z"),
        );
        let b = place(
            "2026-01-03T00:00:00Z",
            "2026-01-09T00:00:00Z",
            "false-positive",
            Some("2026-01-04T00:00:00Z"),
        );
        for (x, y) in [(a.clone(), b.clone()), (b.clone(), a.clone())] {
            let c = combine(x, y);
            assert_eq!(c.first_seen, "2026-01-01T00:00:00Z");
            assert_eq!(c.last_seen, "2026-01-09T00:00:00Z");
            assert_eq!(c.status, "false-positive");
        }
        // A triage beats none, whichever scan is later.
        let fresh = place("2026-02-01T00:00:00Z", "2026-02-01T00:00:00Z", "open", None);
        assert_eq!(combine(a.clone(), fresh.clone()).status, "accepted");
        assert_eq!(combine(fresh, a).status, "accepted");
    }

    #[test]
    fn a_revoked_secret_brought_back_later_is_open_again() {
        let revoked = place(
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00Z",
            "revoked",
            Some("2026-01-02T00:00:00Z"),
        );
        let mut back = place("2026-01-03T00:00:00Z", "2026-01-03T00:00:00Z", "open", None);
        back.commit = Some("c2".into());
        let c = combine(revoked.clone(), back.clone());
        assert_eq!(
            (c.status.as_str(), c.commit.as_deref()),
            ("open", Some("c2"))
        );
        // The same commit seen again stays revoked.
        back.commit = revoked.commit.clone();
        assert_eq!(combine(revoked, back).status, "revoked");
    }
}
