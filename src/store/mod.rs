//! The org store: what `keysweep org` remembers between runs — each repository's ref tips
//! at its last scan, the ledger of blobs scanned under each rule set, the findings with
//! their origin and triage, and the runs. Behind the [`Store`] trait so that another
//! backend (a shared database) can take SQLite's place; the SQL is kept portable (no
//! SQLite-only types, `ON CONFLICT` upserts, text timestamps in UTC).
//!
//! Secrets are never stored: findings hold the redacted form and the content id only.

mod merge;
mod postgres;
mod sqlite;

use std::collections::BTreeMap;

pub use merge::{Merged, merge};
pub use postgres::{Postgres, is_url};
pub use sqlite::Sqlite;

/// Opens the store `location` names: a `postgres://` (or `postgresql://`) URL, else an
/// SQLite file (created if need be). With `create` false, a store that does not exist
/// yet is an error.
pub fn open(location: &std::path::Path, create: bool) -> anyhow::Result<Box<dyn Store + Send>> {
    if let Some(url) = location.to_str().filter(|l| is_url(l)) {
        return Ok(Box::new(Postgres::open(url, create)?));
    }
    if !create && !location.exists() {
        anyhow::bail!(
            "no store at {} (`keysweep org scan --store {}` makes one)",
            location.display(),
            location.display()
        );
    }
    Ok(Box::new(Sqlite::open(location)?))
}

/// The store's location as it may be shown: a URL's password (in its user part or as a
/// `password=` parameter) replaced by `***`.
pub fn redact(location: &str) -> String {
    let mut out = location.to_string();
    if let Some(scheme) = out.find("://") {
        let rest = scheme + 3;
        let end = out[rest..].find(['/', '?']).map_or(out.len(), |i| rest + i);
        if let Some(at) = out[rest..end].rfind('@').map(|i| rest + i)
            && let Some(colon) = out[rest..at].find(':').map(|i| rest + i)
        {
            out.replace_range(colon + 1..at, "***");
        }
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => kv.to_string(),
            })
            .collect();
        out = format!("{head}{}", query.join("&"));
    }
    out
}

/// The store's location as it may be shown (see [`redact`]).
pub fn shown(location: &std::path::Path) -> String {
    redact(&location.to_string_lossy())
}

/// The schema this build writes. A store with a higher version was written by a newer
/// keysweep and is refused; a lower one is migrated (see `sqlite::MIGRATIONS`).
pub const SCHEMA_VERSION: i64 = 4;

/// A repository as the store knows it.
#[derive(Debug, Clone, Default)]
pub struct RepoRow {
    pub id: i64,
    pub url: String,
    pub name: String,
    /// Every ref's target (symbolic refs as `ref: <name>`) at the last complete scan.
    pub tips: Option<BTreeMap<String, String>>,
    /// The rule-set fingerprint of that scan.
    pub fingerprint: Option<String>,
    pub scanned_at: Option<String>,
    pub duration_ms: Option<i64>,
    /// `ok`, `unchanged`, `incomplete` or `failed`.
    pub result: Option<String>,
    pub error: Option<String>,
}

/// What scanning a blob found, kept in the ledger so that another repository holding the
/// same blob is not scanned again: one secret, already redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobFinding {
    pub content_id: String,
    pub rule: String,
    pub name: String,
    pub category: String,
    pub severity: String,
    pub line: i64,
    pub column: i64,
    pub redacted: String,
}

/// A finding placed in a repository: where, and which commit brought it.
#[derive(Debug, Clone)]
pub struct Placed {
    pub found: BlobFinding,
    pub path: String,
    pub blob: String,
    pub commit: Option<String>,
    pub author: Option<String>,
    pub email: Option<String>,
    pub date: Option<String>,
}

/// Everything one repository's scan adds, written in one transaction.
#[derive(Debug, Default)]
pub struct RepoScan {
    pub url: String,
    pub name: String,
    pub run: i64,
    /// `None` when the scan was incomplete: the previous tips stay, so the next run
    /// covers again what this one could not.
    pub tips: Option<BTreeMap<String, String>>,
    pub fingerprint: String,
    pub engine: String,
    pub duration_ms: i64,
    pub result: String,
    pub error: Option<String>,
    /// Blobs scanned in full, with what each held (empty for most).
    pub ledger: Vec<(LedgerKey, Vec<BlobFinding>)>,
    pub placed: Vec<Placed>,
    /// (content id, path) of each secret in the tree of HEAD now, at the path it sits at
    /// there: a finding is at HEAD only where its own path still holds it (a copy at
    /// another path does not count, as in `history`). `None` leaves `present_at_head` as
    /// it was.
    pub at_head: Option<std::collections::HashSet<(String, String)>>,
}

/// What a ledger row is keyed by (beside the rule set): a blob, and the kind of path it
/// was scanned at (`pipeline::blob::path_class`; 0, the plain kind, for most blobs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerKey {
    pub blob: git2::Oid,
    pub class: u16,
}

impl LedgerKey {
    /// As text: the blob's id, then `:` and the kind in hex unless it is the plain one.
    /// [`Store::scanned`] is asked with it; PostgreSQL's ledger holds it.
    pub fn text(&self) -> String {
        // One for every blob of a first scan (git/git: 165,000): written digit by digit
        // rather than through the formatting machinery.
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let id = self.blob.as_bytes();
        let mut key = String::with_capacity(2 * id.len() + 5);
        for &b in id {
            key.push(char::from(HEX[usize::from(b >> 4)]));
            key.push(char::from(HEX[usize::from(b & 15)]));
        }
        if self.class != 0 {
            key.push(':');
            let digits = (16 - self.class.leading_zeros()).div_ceil(4);
            for i in (0..digits).rev() {
                key.push(char::from(HEX[usize::from((self.class >> (4 * i)) & 15)]));
            }
        }
        key
    }

    /// As SQLite's ledger holds it from schema 4 (what `sqlite::key_in` makes of
    /// [`LedgerKey::text`]): the id's bytes, then the kind, unless plain, big-endian in
    /// as few bytes as it needs.
    pub fn bytes(&self) -> Vec<u8> {
        let id = self.blob.as_bytes();
        let kind = self.class.to_be_bytes();
        let skip = if self.class == 0 {
            2
        } else {
            usize::from(self.class < 256)
        };
        let mut out = Vec::with_capacity(id.len() + 2);
        out.extend_from_slice(id);
        out.extend_from_slice(&kind[skip..]);
        out
    }
}

/// In the order of the ids' bytes (the order of the ledger's index), then of the kinds.
impl Ord for LedgerKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Ids are random: the first eight bytes almost always decide, compared whole.
        let head = |k: &LedgerKey| {
            let id = k.blob.as_bytes();
            u64::from_be_bytes(id[..8].try_into().expect("ids are 20 or 32 bytes"))
        };
        head(self)
            .cmp(&head(other))
            .then_with(|| self.blob.as_bytes().cmp(other.blob.as_bytes()))
            .then(self.class.cmp(&other.class))
    }
}

impl PartialOrd for LedgerKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A finding as the store holds it.
#[derive(Debug, Clone)]
pub struct FindingRow {
    pub repository: String,
    pub repository_name: String,
    pub placed: Placed,
    pub present_at_head: bool,
    pub first_seen: String,
    pub last_seen: String,
    pub new_in_run: i64,
    pub status: String,
    pub note: Option<String>,
    pub triaged_by: Option<String>,
    pub triaged_at: Option<String>,
}

/// Which findings to list.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub status: Option<String>,
    pub since: Option<String>,
    pub new_in_run: Option<i64>,
}

/// The triage statuses.
pub const STATUSES: [&str; 4] = ["open", "false-positive", "accepted", "revoked"];

/// A repository a worker has claimed from the queue (`org enqueue`, `org work`).
#[derive(Debug, Clone)]
pub struct Claim {
    /// Its key in the store (`repositories.url`).
    pub key: String,
    pub name: String,
    /// What to scan: the URL (without password) or absolute path enqueued.
    pub source: String,
}

/// The operations `keysweep org` needs of a store.
pub trait Store: Send {
    /// Queues repositories (key, name, source) for `org work`; one already queued stays
    /// once, one done or failed is queued again, one claimed under a live lease is left to
    /// its worker. Returns how many were queued.
    fn enqueue(&mut self, items: &[(String, String, String)]) -> anyhow::Result<usize>;
    /// Claims the next queued repository (or one whose lease expired) for `worker`, for
    /// `lease` seconds, by the store's clock; `None` when none is left.
    fn claim(&mut self, worker: &str, lease: i64) -> anyhow::Result<Option<Claim>>;
    /// Extends `worker`'s lease on `key`; false if the claim was lost (expired and taken).
    fn heartbeat(&mut self, key: &str, worker: &str, lease: i64) -> anyhow::Result<bool>;
    /// Ends `worker`'s claim on `key` as `done` or `failed`.
    fn finish_claim(&mut self, key: &str, worker: &str, state: &str) -> anyhow::Result<()>;
    /// How many repositories are claimed (by any worker).
    fn held(&mut self) -> anyhow::Result<i64>;
    /// The queue: (key, state, attempts), by key.
    fn queue(&mut self) -> anyhow::Result<Vec<(String, String, i64)>>;
    /// Starts a run; returns its id.
    fn begin_run(&mut self, fingerprint: &str) -> anyhow::Result<i64>;
    fn finish_run(&mut self, run: i64, repositories: i64, failed: i64) -> anyhow::Result<()>;
    /// The last run that finished, if any.
    fn last_run(&mut self) -> anyhow::Result<Option<i64>>;
    fn repository(&mut self, url: &str) -> anyhow::Result<Option<RepoRow>>;
    fn repositories(&mut self) -> anyhow::Result<Vec<RepoRow>>;
    /// What the ledger holds for `blob` under `fingerprint`/`engine`: `None` if it was
    /// never scanned under them.
    fn scanned(
        &mut self,
        blob: &str,
        fingerprint: &str,
        engine: &str,
    ) -> anyhow::Result<Option<Vec<BlobFinding>>>;
    /// The content ids the ledger holds for each of `blobs` (those with findings only).
    fn contents(
        &mut self,
        blobs: &[String],
        fingerprint: &str,
        engine: &str,
    ) -> anyhow::Result<Vec<(String, String)>>;
    /// Records a repository's scan in one transaction; returns the findings that are new
    /// (never seen at that place, or back after `revoked`), as stored.
    fn record(&mut self, scan: &RepoScan) -> anyhow::Result<Vec<FindingRow>>;
    /// Records a repository that could not be scanned (its tips and findings stay).
    fn record_failure(
        &mut self,
        url: &str,
        name: &str,
        run: i64,
        duration_ms: i64,
        error: &str,
    ) -> anyhow::Result<()>;
    /// Marks a repository as unchanged since its last scan (no object was read).
    fn record_unchanged(&mut self, url: &str, run: i64, duration_ms: i64) -> anyhow::Result<()>;
    fn findings(&mut self, query: &Query) -> anyhow::Result<Vec<FindingRow>>;
    /// Sets the triage of every finding of `content_id` (in the repository whose URL or
    /// name is `repo`, if given); returns how many were changed.
    fn triage(
        &mut self,
        content_id: &str,
        repo: Option<&str>,
        status: &str,
        note: Option<&str>,
        who: &str,
    ) -> anyhow::Result<usize>;
}

/// Seconds since the epoch, now (the SQLite ledger's `scanned_at`).
pub fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Now, in UTC, as the store writes times: `YYYY-MM-DDTHH:MM:SSZ` (sorts as text).
pub fn now() -> String {
    let t = crate::source::git::rfc3339(now_epoch(), 0);
    format!("{}Z", t.trim_end_matches("+00:00"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_store_url_is_shown_without_its_password() {
        assert_eq!(
            super::redact("postgres://ks:s3cret@db.example:5432/keysweep?sslmode=require"),
            "postgres://ks:***@db.example:5432/keysweep?sslmode=require"
        );
        assert_eq!(
            super::redact("postgresql://db/ks?user=ks&password=s3cret&sslmode=disable"),
            "postgresql://db/ks?user=ks&password=***&sslmode=disable"
        );
        assert_eq!(super::redact("postgres://ks@db/ks"), "postgres://ks@db/ks");
        assert_eq!(super::redact("org.db"), "org.db");
    }
}
