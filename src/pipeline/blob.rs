//! The one per-thread blob scanner every source's bytes go through: the file walk, the
//! archives in it, a repository's blobs, the pass over its packs, the hooks and `rules
//! check`. It owns the scan core's working memory, so a thread scans blob after blob
//! without allocating, and it turns matches into findings in one place.

use std::path::Path;

use crate::enrich;
use crate::finding::{Disclosure, Finding};
use crate::scan::{Match, Scanner, Scratch};

#[derive(Clone)]
pub struct BlobScanner<'s> {
    scanner: &'s Scanner,
    scratch: Scratch,
    matches: Vec<Match>,
    disclosure: Disclosure,
}

impl<'s> BlobScanner<'s> {
    pub fn new(scanner: &'s Scanner, disclosure: Disclosure) -> BlobScanner<'s> {
        BlobScanner {
            scanner,
            scratch: Scratch::new(),
            matches: Vec::new(),
            disclosure,
        }
    }

    pub fn scanner(&self) -> &'s Scanner {
        self.scanner
    }

    /// What the scan core matches in `bytes`, before anything is made of it.
    pub fn matches(&mut self, bytes: &[u8]) -> &[Match] {
        self.matches.clear();
        self.scanner
            .scan(bytes, &mut self.scratch, &mut self.matches);
        &self.matches
    }

    /// Whether `bytes` hold anything a rule matches (a pass that only sorts blobs into
    /// clean and to-be-read asks just this).
    pub fn flags(&mut self, bytes: &[u8]) -> bool {
        !self.matches(bytes).is_empty()
    }

    /// The findings in `bytes`, found at `path` (a git blob's first path): each match
    /// placed, its key parsed, AWS ids paired with what sits beside them. Empty, at the
    /// cost of one pass of the automaton, for the bytes of almost every blob.
    pub fn findings(&mut self, path: &Path, bytes: &[u8]) -> Vec<Finding> {
        self.findings_at(bytes, || path)
    }

    /// [`findings`](Self::findings), with the path worked out only for the rare blob
    /// that has any.
    pub fn findings_at<P: AsRef<Path>>(
        &mut self,
        bytes: &[u8],
        path: impl FnOnce() -> P,
    ) -> Vec<Finding> {
        if self.matches(bytes).is_empty() {
            return Vec::new();
        }
        let path = path();
        enrich::blob_findings(
            self.scanner,
            path.as_ref(),
            bytes,
            &self.matches,
            self.disclosure,
        )
    }
}
