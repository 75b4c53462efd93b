//! The one per-thread blob scanner every source's bytes go through: the file walk, the
//! archives in it, a repository's blobs, the pass over its packs, the hooks and `rules
//! check`. It owns the scan core's working memory, so a thread scans blob after blob
//! without allocating, and it turns matches into findings in one place.
//!
//! It also drives the decoding layer ([`crate::scan::decode`]): where the scan core saw a
//! keyword and its rule rejected what stood there, the bytes around the hit are undone
//! layer by layer and scanned again, and what that finds is reported at the hit. A blob in
//! UTF-16 is transcoded to UTF-8 before it is scanned.

use std::collections::HashSet;
use std::path::Path;

use crate::enrich;
use crate::filter;
use crate::finding::{Category, Disclosure, Finding, Severity};
use crate::rules::Validator;
use crate::scan::{ARMOUR_CARRIER, LineCounter, Marker, Match, Scanner, Scratch, decode};

#[derive(Clone)]
pub struct BlobScanner<'s> {
    scanner: &'s Scanner,
    scratch: Scratch,
    matches: Vec<Match>,
    disclosure: Disclosure,
    /// The markers the automaton met in the bytes [`flags`](Self::flags) was last given
    /// (the decoding layer's own scans come after and do not count).
    met: u32,
}

/// How far back from a hit a decoding region reaches for the start of its line.
const REGION_BEFORE: usize = 512;
/// How far past a hit a private key's decoding region reaches.
const REGION_AFTER: usize = 64 << 10;
/// How far past an AWS key id its decoding region reaches.
const AWS_REGION_AFTER: usize = 1024;

impl<'s> BlobScanner<'s> {
    pub fn new(scanner: &'s Scanner, disclosure: Disclosure) -> BlobScanner<'s> {
        BlobScanner {
            scanner,
            scratch: Scratch::new(),
            matches: Vec::new(),
            disclosure,
            met: 0,
        }
    }

    pub fn scanner(&self) -> &'s Scanner {
        self.scanner
    }

    /// Whether the automaton met `marker` in the bytes last given to [`flags`](Self::flags).
    pub fn met(&self, marker: Marker) -> bool {
        self.met & marker.bit() != 0
    }

    /// What the scan core matches in `bytes`, before anything is made of it.
    pub fn matches(&mut self, bytes: &[u8]) -> &[Match] {
        self.matches.clear();
        self.scanner
            .scan(bytes, &mut self.scratch, &mut self.matches);
        &self.matches
    }

    /// Whether `bytes` may hold anything to report at any path (a pass that only sorts
    /// blobs into clean and to-be-read asks just this, not knowing the blob's paths): a
    /// match, a rejected keyword hit the decoding layer may yet recover, UTF-16 text, a
    /// key found by its structure, or a bare base64 key body (reported only in a
    /// configuration file, but looked for here whatever the blob is: a blob found clean
    /// is then clean at every path, and a configuration file's versions need not be read
    /// twice; libgit2's history holds 1.5 GB of them).
    ///
    /// A rejected hit is common (every version of a file of key-parsing code has the
    /// armour in it): rather than flag the blob for reading again, the decoding layer
    /// runs here and the blob is flagged only if it finds something. Whether there is a
    /// finding depends on the blob's path only for bare base64 keys
    /// (`enrich::key_file::config_kind`); otherwise the path only names and grades it.
    ///
    /// The automaton passes over `bytes` once: the decoding layer works from that pass's
    /// rejected hits, not from a second one (in a history of C sources, every version of
    /// a file that says "secret" or "security" has such hits).
    pub fn flags(&mut self, bytes: &[u8]) -> bool {
        let matched = !self.matches(bytes).is_empty();
        self.met = self.scratch.markers();
        if matched
            || !enrich::key_file::find(bytes).is_empty()
            || !enrich::key_file::bare_bodies(bytes).is_empty()
        {
            return true;
        }
        if decode::utf16(bytes).is_some() {
            return !self.findings_at(bytes, || Path::new("blob")).is_empty();
        }
        if self.scratch.unmatched().is_empty() {
            return false;
        }
        !self.scanned_findings(bytes, Path::new("blob")).is_empty()
    }

    /// The findings in `bytes`, found at `path` (a git blob's first path): each match
    /// placed, its key parsed, AWS ids paired with what sits beside them. Empty, at the
    /// cost of one pass of the automaton, for the bytes of almost every blob.
    pub fn findings(&mut self, path: &Path, bytes: &[u8]) -> Vec<Finding> {
        self.findings_at(bytes, || path)
    }

    /// [`findings`](Self::findings), with the path worked out by `path`.
    pub fn findings_at<P: AsRef<Path>>(
        &mut self,
        bytes: &[u8],
        path: impl FnOnce() -> P,
    ) -> Vec<Finding> {
        // Keys with no keyword to find them by (a binary key file, a keystore, a JSON Web
        // Key): a look at the first bytes, once per blob. And a configuration file's bare
        // base64 values: the one check a file's name turns on.
        let path = path();
        let path = path.as_ref();
        let mut keys = enrich::key_file::find(bytes);
        if enrich::key_file::config_kind(path.as_os_str().as_encoded_bytes()) {
            keys.extend(enrich::key_file::bare_bodies(bytes));
        }
        if keys.is_empty() {
            return self.content_findings(bytes, || path);
        }
        let mut found = self.content_findings(bytes, || path);
        found.extend(enrich::structured_findings(
            path,
            bytes,
            keys,
            self.disclosure,
        ));
        found.sort_by_key(|f| (f.line, f.column));
        found
    }

    /// The findings of what the scan core matches in `bytes` (as text, or transcoded from
    /// UTF-16).
    fn content_findings<P: AsRef<Path>>(
        &mut self,
        bytes: &[u8],
        path: impl FnOnce() -> P,
    ) -> Vec<Finding> {
        if let Some(big_endian) = decode::utf16(bytes) {
            // Binary data can look like UTF-16 (a NUL in every other byte): what the text
            // does not hold, the bytes themselves are scanned for.
            let text = decode::transcode_utf16(bytes, big_endian);
            let path = path();
            let found = self.text_findings(&text, || path.as_ref());
            if !found.is_empty() {
                return found;
            }
            return self.text_findings(bytes, || path.as_ref());
        }
        self.text_findings(bytes, path)
    }

    fn text_findings<P: AsRef<Path>>(
        &mut self,
        bytes: &[u8],
        path: impl FnOnce() -> P,
    ) -> Vec<Finding> {
        if self.matches(bytes).is_empty() && self.scratch.unmatched().is_empty() {
            return Vec::new();
        }
        let path = path();
        self.scanned_findings(bytes, path.as_ref())
    }

    /// [`text_findings`](Self::text_findings) once the automaton has passed over `bytes`:
    /// `self.matches` and the scratch's rejected hits are that pass's.
    fn scanned_findings(&mut self, bytes: &[u8], path: &Path) -> Vec<Finding> {
        let matches = std::mem::take(&mut self.matches);
        let mut unmatched = self.scratch.unmatched().to_vec();
        let mut found = if matches.is_empty() {
            Vec::new()
        } else {
            enrich::blob_findings(self.scanner, path, bytes, &matches, self.disclosure)
        };
        // A key that matched but did not parse may have been read through its carrier
        // wrongly (a PuTTY file's lines inside string literals): the decoding layer tries
        // it as well, and a valid decoding takes its place.
        let invalid: HashSet<(usize, &str)> = found
            .iter()
            .filter(|f| f.key.as_ref().is_some_and(|k| !k.valid))
            .map(|f| (f.line, f.rule.as_str()))
            .collect();
        if !invalid.is_empty() {
            // Matches come in offset order: one pass counts the lines for all of them.
            let mut lines = LineCounter::default();
            for m in &matches {
                let rule = self.scanner.rule(m.rule);
                if rule.category == Category::PrivateKey {
                    let (line, _) = lines.locate(bytes, m.secret.start);
                    if invalid.contains(&(line, rule.id.as_str())) {
                        unmatched.push((m.secret.start, m.rule));
                    }
                }
            }
        }
        if !unmatched.is_empty() {
            self.decoded_findings(path, bytes, &matches, &unmatched, &mut found);
        }
        self.matches = matches;
        if is_root_key_file(path) {
            for f in &mut found {
                if let Some(aws) = &mut f.aws
                    && aws.access_key_id.is_some()
                {
                    aws.root = true;
                    f.severity = Severity::Critical;
                    f.name = ROOT_KEY_NAME.to_string();
                }
            }
        }
        found
    }

    /// What the decoding layer recovers around the rejected hits `unmatched`, added to
    /// `found` at the hits' places.
    fn decoded_findings(
        &mut self,
        path: &Path,
        bytes: &[u8],
        matches: &[Match],
        unmatched: &[(usize, usize)],
        found: &mut Vec<Finding>,
    ) {
        let scanner = self.scanner;
        let family = |ri: usize| {
            if ri == ARMOUR_CARRIER {
                return Some(Family::Key);
            }
            let rule = scanner.rule(ri);
            match (&rule.category, rule.validator) {
                (Category::PrivateKey, _) => Some(Family::Key),
                (Category::AwsAccessKey, Some(Validator::AwsKeyId)) => Some(Family::Aws),
                // A labelled secret whose value is not one: base64 values (a Kubernetes
                // Secret's `data:`, Helm values) are decoded around it.
                (Category::AwsSecretKey, _) if rule.id == "aws-secret-access-key" => {
                    Some(Family::AwsBase64)
                }
                _ => None,
            }
        };
        let mut hits: Vec<(usize, Family)> = unmatched
            .iter()
            .filter_map(|&(off, ri)| Some((off, family(ri)?)))
            .collect();
        hits.sort_by_key(|h| h.0);
        hits.dedup_by_key(|h| h.0);
        // Each hit's region ends at the next hit of its family and at the first match after
        // it: found by walking back once and by a cursor, so that thousands of hits (a file
        // of keys that do not parse) cost linear time, as do their lines (two counters, the
        // hits' offsets and their regions' starts each increase).
        let mut next_of_family: Vec<Option<usize>> = vec![None; hits.len()];
        let mut last_seen: Vec<(Family, usize)> = Vec::new();
        for i in (0..hits.len()).rev() {
            let fam = hits[i].1;
            next_of_family[i] = last_seen.iter().find(|l| l.0 == fam).map(|l| hits[l.1].0);
            last_seen.retain(|l| l.0 != fam);
            last_seen.push((fam, i));
        }
        let mut next_match = 0;
        let (mut at_hit, mut at_start) = (LineCounter::default(), LineCounter::default());
        // Whether the file holds an inline-allow marker at all: looked for once, and only
        // for a file where a decoding finds something (most rejected hits decode to
        // nothing, and the search reads the whole file).
        let mut marker: Option<bool> = None;
        let mut added: Vec<Finding> = Vec::new();
        for (i, &(off, fam)) in hits.iter().enumerate() {
            let (start, mut end) = match fam {
                Family::Key => (line_start(bytes, off), off.saturating_add(REGION_AFTER)),
                Family::Aws => (line_start(bytes, off), off.saturating_add(AWS_REGION_AFTER)),
                Family::AwsBase64 => lines_around(bytes, off, AWS_LINES),
            };
            end = end.min(bytes.len());
            // A key's region stops where the next hit of its kind, or a match, begins:
            // each key is recovered once, at its own hit.
            if fam != Family::AwsBase64 {
                if let Some(next) = next_of_family[i] {
                    end = end.min(line_start(bytes, next).max(off + 1));
                }
                // The first match (in order) that starts after `off`; `off` only grows.
                while next_match < matches.len() && matches[next_match].span.start <= off {
                    next_match += 1;
                }
                if let Some(m) = matches.get(next_match) {
                    end = end.min(m.span.start.max(off + 1));
                }
            }
            let region = &bytes[start..end];
            // A key's body, however it is carried, has runs of base64 in it (a line, or the
            // part of one between two escapes); code that merely names the armour (a PEM
            // parser, every version of it in a history) has none, and costs no decoding.
            let near = &bytes[off.min(end)..end.min(off.saturating_add(BODY_WITHIN))];
            if fam == Family::Key && !decode::has_base64_run(near, BODY_RUN) {
                continue;
            }
            let scratch = &mut self.scratch;
            let mut out = Vec::new();
            let want = if fam == Family::Key {
                Category::PrivateKey
            } else {
                Category::AwsAccessKey
            };
            let wanted = |out: &[Match]| out.iter().any(|m| scanner.rule(m.rule).category == want);
            // A rejected key id is common (inside minified code, hashes, search indexes):
            // only its URL form is worth a decoding.
            let decoded = match fam {
                Family::Aws => aws_userinfo(region),
                Family::AwsBase64 => decode::base64_values(region),
                Family::Key => decode::undo(region, |d| {
                    out.clear();
                    scanner.scan(d, scratch, &mut out);
                    wanted(&out)
                }),
            };
            let Some(decoded) = decoded else { continue };
            out.clear();
            scanner.scan(&decoded, scratch, &mut out);
            out.retain(|m| {
                let rule = scanner.rule(m.rule);
                match fam {
                    Family::Key => rule.category == Category::PrivateKey,
                    _ => rule.category != Category::PrivateKey,
                }
            });
            if fam == Family::Key {
                out.truncate(1);
            }
            if !out.iter().any(|m| scanner.rule(m.rule).category == want) {
                continue;
            }
            let (line, column) = at_hit.locate(bytes, off);
            // Base64 values are decoded line for line: a finding keeps its own line.
            let first_line = if fam == Family::AwsBase64 {
                at_start.locate(bytes, start).0
            } else {
                line
            };
            let allowed = *marker.get_or_insert_with(|| filter::inline::present(bytes))
                && filter::inline::allowed_alone(bytes, off, off.min(bytes.len()) + 1 - column);
            for mut f in enrich::blob_findings(scanner, path, &decoded, &out, self.disclosure) {
                if fam == Family::AwsBase64 {
                    f.line += first_line - 1;
                    if let Some(aws) = &mut f.aws {
                        for p in [&mut aws.secret, &mut aws.token].into_iter().flatten() {
                            if p.path.is_none() {
                                p.line += first_line - 1;
                            }
                        }
                    }
                } else {
                    f.line = line;
                    f.column = column;
                    if let Some(aws) = &mut f.aws {
                        for p in [&mut aws.secret, &mut aws.token].into_iter().flatten() {
                            if p.path.is_none() {
                                p.line = line;
                                p.column = column;
                            }
                        }
                    }
                }
                f.allowed_inline = allowed;
                added.push(f);
            }
        }
        if added.is_empty() {
            return;
        }
        // A secret the decoded finding joined (a URL's secret beside its key id) is not
        // reported alone as well, nor a key that did not parse where a decoding did.
        let parts: HashSet<&str> = added
            .iter()
            .flat_map(|a| a.parts.iter().map(String::as_str))
            .collect();
        let placed: HashSet<(&str, usize)> =
            added.iter().map(|a| (a.id.as_str(), a.line)).collect();
        let valid_keys: HashSet<usize> = added
            .iter()
            .filter(|a| a.key.as_ref().is_some_and(|k| k.valid))
            .map(|a| a.line)
            .collect();
        let keep: Vec<bool> = found
            .iter()
            .map(|f| {
                !(parts.contains(f.id.as_str())
                    || placed.contains(&(f.id.as_str(), f.line))
                    || (valid_keys.contains(&f.line) && f.key.as_ref().is_some_and(|k| !k.valid)))
            })
            .collect();
        let mut k = keep.iter();
        found.retain(|_| *k.next().unwrap_or(&true));
        let mut have: HashSet<(String, usize)> =
            found.iter().map(|f| (f.id.clone(), f.line)).collect();
        for a in added {
            if have.insert((a.id.clone(), a.line)) {
                found.push(a);
            }
        }
        found.sort_by_key(|f| (f.line, f.column));
    }
}

/// The kind of path a blob is scanned at, as far as what it yields goes: one bit for each
/// test of its path that can change the findings of the same bytes (a configuration
/// file's bare base64 bodies, `rootkey.csv`'s root key, an AWS credentials file's profile
/// names, and each test of a name the exposure checks make, [`exposure::name_class`]).
/// At two paths of one kind, a blob yields the same findings (but for the path itself):
/// a history scans a blob once per kind of path it is at, and the org ledger records the
/// kind a blob was scanned at.
pub type PathClass = u16;

/// The [`PathClass`] of a git path.
///
/// Asked for every path of every blob a history lists (an org ledger row is keyed by it),
/// for far fewer distinct paths (git/git: 168,000 paths of blobs, 7,600 distinct), so
/// each thread remembers the classes it worked out: a look-up costs a twentieth of the
/// tests, which turn the path into a `Path` and its name into lower case.
pub fn path_class(path: &[u8]) -> PathClass {
    use std::cell::RefCell;
    use std::collections::HashMap;
    /// Distinct paths remembered by a thread before it forgets them all (about 1.5 MB).
    const REMEMBERED: usize = 16_384;
    thread_local! {
        static CLASSES: RefCell<HashMap<Box<[u8]>, PathClass>> = RefCell::new(HashMap::new());
    }
    CLASSES.with(|classes| {
        let mut classes = classes.borrow_mut();
        if let Some(&class) = classes.get(path) {
            return class;
        }
        let class = path_class_of(path);
        if classes.len() >= REMEMBERED {
            classes.clear();
        }
        classes.insert(path.into(), class);
        class
    })
}

/// [`path_class`] worked out.
fn path_class_of(path: &[u8]) -> PathClass {
    // As the path is given to the scan: lossily, if it is not UTF-8.
    let lossy = String::from_utf8_lossy(path);
    let as_path = Path::new(&*lossy);
    let own = [
        enrich::key_file::config_kind(path),
        is_root_key_file(as_path),
        enrich::aws::profile_file(as_path),
    ];
    own.iter()
        .enumerate()
        .fold(crate::exposure::name_class(path) << 3, |c, (i, &t)| {
            c | (u16::from(t) << i)
        })
}

/// What a root user's access key is called in reports.
/// The shortest run of base64 characters a key's region must hold, within
/// [`BODY_WITHIN`] bytes of its armour, to be decoded.
const BODY_RUN: usize = 24;
const BODY_WITHIN: usize = 1024;

const ROOT_KEY_NAME: &str = "AWS root user access key (rootkey.csv): root should have no \
     access keys at all; this one can do anything in the account";

/// The file the AWS console gives a root user's new access key in: `rootkey.csv` (or a
/// browser's `rootkey (1).csv`).
fn is_root_key_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_ascii_lowercase)
        .is_some_and(|n| n.starts_with("rootkey") && n.ends_with(".csv"))
}

/// What a decoding region is looked at for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// A private key's armour, or the base64 of one.
    Key,
    /// An AWS key id its rule rejected (inside a URL's userinfo).
    Aws,
    /// A labelled AWS secret whose value is not one: the base64 values around it are
    /// decoded.
    AwsBase64,
}

/// How many lines either side of a base64 key id are decoded with it.
const AWS_LINES: usize = 8;

/// The `n` lines before and after the line of `off` (at most a few KiB each way).
fn lines_around(bytes: &[u8], off: usize, n: usize) -> (usize, usize) {
    let floor = off.saturating_sub(4096);
    let mut start = off;
    for _ in 0..=n {
        match memchr::memrchr(b'\n', &bytes[floor..start]) {
            Some(p) => start = floor + p,
            None => {
                start = floor;
                break;
            }
        }
    }
    if start > floor || bytes.get(start) == Some(&b'\n') {
        start += usize::from(bytes.get(start) == Some(&b'\n'));
    }
    let ceil = off.saturating_add(4096).min(bytes.len());
    let mut end = off;
    for _ in 0..=n {
        match memchr::memchr(b'\n', &bytes[end..ceil]) {
            Some(p) => end += p + 1,
            None => {
                end = ceil;
                break;
            }
        }
    }
    (start, end)
}

/// The start of the line `off` is on, looking back at most [`REGION_BEFORE`] bytes.
fn line_start(bytes: &[u8], off: usize) -> usize {
    let floor = off.saturating_sub(REGION_BEFORE);
    memchr::memrchr(b'\n', &bytes[floor..off]).map_or(floor, |p| floor + p + 1)
}

/// An AWS key id and secret in a URL's userinfo (`s3://AKIA…:secret@bucket`, the secret
/// percent-encoded or not: a `/` in it is taken as the secret's, not the path's), written out as a credentials file would hold them.
fn aws_userinfo(region: &[u8]) -> Option<Vec<u8>> {
    let scheme = memchr::memmem::find(region, b"://")?;
    let rest = &region[scheme + 3..];
    let end = rest
        .iter()
        .position(|&c| c.is_ascii_whitespace() || matches!(c, b'"' | b'\'' | b'@'))
        .unwrap_or(rest.len());
    if rest.get(end) != Some(&b'@') {
        return None;
    }
    let userinfo = &rest[..end];
    let colon = memchr::memchr(b':', userinfo)?;
    let (id, secret) = (&userinfo[..colon], &userinfo[colon + 1..]);
    let secret = decode::percent(secret).unwrap_or_else(|| secret.to_vec());
    let id = decode::percent(id).unwrap_or_else(|| id.to_vec());
    let mut out = b"aws_access_key_id = ".to_vec();
    out.extend_from_slice(&id);
    out.extend_from_slice(b"\naws_secret_access_key = ");
    out.extend_from_slice(&secret);
    out.push(b'\n');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_classes_tell_apart_what_a_name_turns_on() {
        let c = |p: &str| path_class(p.as_bytes());
        assert_eq!(c("src/main.c"), 0);
        assert_eq!(c("notes.txt"), c("src/main.c"));
        assert_ne!(c("app.properties"), c("notes.txt"));
        assert_eq!(c("app.properties"), c("config/other.properties"));
        assert_ne!(c("rootkey.csv"), c("keys.csv"));
        assert_ne!(c("home/.aws/credentials"), c("home/aws/credentials.txt"));
        assert_ne!(c("main.tf"), c("main.c"));
        assert_ne!(c(".env"), c("env"));
        // A path that is not UTF-8 keeps its configuration suffix.
        assert_eq!(path_class(b"\xffx.env"), c("x.env"));
        // Asked again, each path is the class it was (remembered, or worked out again
        // after the thread forgot).
        let names = [
            "a.tf",
            "b.c",
            "x.env",
            ".aws/credentials",
            "rootkey.csv",
            "app.yml",
        ];
        let paths: Vec<String> = (0..20_000)
            .map(|i| format!("dir{i}/{}", names[i % names.len()]))
            .collect();
        for _ in 0..2 {
            for p in &paths {
                assert_eq!(path_class(p.as_bytes()), path_class_of(p.as_bytes()), "{p}");
            }
        }
    }

    #[test]
    fn base64_runs_are_told_from_code() {
        assert!(decode::has_base64_run(
            b"\"MIIEpAIBAAKCAQEA3+epf+VGKoGPaAZXrf6S0c\\n\"",
            24
        ));
        assert!(!decode::has_base64_run(
            b"#define MARK_BEGIN \"-----BEGIN OPENSSH PRIVATE KEY-----\"",
            24
        ));
        assert!(!decode::has_base64_run(
            b"sshkey_private_to_blob2(k, b, 1)",
            24
        ));
    }
}
