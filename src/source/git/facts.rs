//! Facts about a commit for a finding: its author and date, and what HEAD's tree holds at
//! a finding's path.

use std::collections::HashMap;
use std::path::Path;

use git2::{ObjectType, Oid, Repository, Tree, TreeWalkMode};

/// Author, email and date of a commit, for a finding's `git` facts.
pub struct CommitFacts {
    pub author: String,
    pub email: String,
    /// RFC 3339, in the commit's own time zone.
    pub date: String,
}

pub fn commit_facts(repo: &Repository, oid: Oid) -> Option<CommitFacts> {
    let c = repo.find_commit(oid).ok()?;
    let a = c.author();
    Some(CommitFacts {
        author: String::from_utf8_lossy(a.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(a.email_bytes()).into_owned(),
        date: rfc3339(a.when().seconds(), a.when().offset_minutes()),
    })
}

/// `seconds` since the epoch at UTC offset `offset_min`, as `YYYY-MM-DDTHH:MM:SS+HH:MM`.
pub fn rfc3339(seconds: i64, offset_min: i32) -> String {
    let local = seconds + i64::from(offset_min) * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let sign = if offset_min < 0 { '-' } else { '+' };
    let off = offset_min.unsigned_abs();
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        off / 60,
        off % 60
    )
}

/// What HEAD's tree holds at each path asked about (for `present_at_head`, which is per
/// path): one lookup per path, each remembered, so a history with findings at a few paths
/// never walks the whole tree.
pub struct HeadPaths<'r> {
    tree: Option<Tree<'r>>,
    known: HashMap<Vec<u8>, Option<Oid>>,
}

impl<'r> HeadPaths<'r> {
    /// HEAD's tree; none (nothing is at HEAD) on an unborn branch or an unreadable HEAD.
    pub fn new(repo: &'r Repository) -> HeadPaths<'r> {
        HeadPaths {
            tree: repo.head().and_then(|r| r.peel_to_tree()).ok(),
            known: HashMap::new(),
        }
    }

    /// The blob at `path` in HEAD's tree, if a blob is there.
    pub fn blob_at(&mut self, path: &[u8]) -> Option<Oid> {
        use std::os::unix::ffi::OsStrExt as _;
        let tree = self.tree.as_ref()?;
        if path.is_empty() {
            return None;
        }
        *self.known.entry(path.to_vec()).or_insert_with(|| {
            tree.get_path(Path::new(std::ffi::OsStr::from_bytes(path)))
                .ok()
                .filter(|e| e.kind() == Some(ObjectType::Blob))
                .map(|e| e.id())
        })
    }
}

/// Every blob in the tree of HEAD with its path (`/`-separated, as a finding's path is
/// written): for `org`'s `present_at_head`, per path.
pub fn paths_at_head(repo: &Repository) -> Vec<(String, Oid)> {
    let mut out = Vec::new();
    if let Ok(tree) = repo.head().and_then(|r| r.peel_to_tree()) {
        let _ = tree.walk(TreeWalkMode::PreOrder, |root, entry| {
            if entry.kind() == Some(ObjectType::Blob) {
                let name = String::from_utf8_lossy(entry.name_bytes());
                out.push((format!("{root}{name}"), entry.id()));
            }
            0
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(rfc3339(1_795_000_000, 60), "2026-11-18T12:06:40+01:00");
        assert_eq!(rfc3339(951_782_400, -300), "2000-02-28T19:00:00-05:00");
    }
}
