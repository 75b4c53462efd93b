//! The hot core: bytes in, matches out.
//!
//! One Aho-Corasick automaton over every rule's keywords finds candidate offsets in a
//! single pass; for each candidate the rule's byte regex runs on a bounded window around
//! the hit, then the rule's checks (entropy, a named validator). Most bytes hold no secret,
//! so the common case costs one pass of the automaton and nothing else.
//!
//! This module never sees a path, never touches the filesystem and never prints. A
//! [`Scanner`] is built once, is immutable and `Send + Sync`; each worker thread owns a
//! [`Scratch`].

pub mod pem;
mod validate;

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::bytes::{CaptureLocations, Regex, RegexBuilder};

use crate::rules::{Rule, RuleSet};
pub use validate::Verdict;

/// How many times one keyword hit may retry its regex after a rejected candidate. Bounds the
/// work a hostile file can cause per hit.
const MAX_RETRIES_PER_HIT: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("building the keyword automaton")]
    Automaton(#[from] aho_corasick::BuildError),
    #[error("rule {rule}: bad pattern")]
    Pattern {
        rule: String,
        #[source]
        source: Box<regex::Error>,
    },
    #[error("rule {rule}: the pattern must have exactly one capture group, it has {found}")]
    CaptureGroups { rule: String, found: usize },
}

/// One rule, ready to run.
#[derive(Debug)]
pub struct CompiledRule {
    pub rule: Rule,
    /// Compiled on first use: most runs hit few rules, and start-up must stay in
    /// milliseconds. `Scanner::compile_all` forces them (for `rules check` and user rules).
    regex: OnceLock<Result<Regex, String>>,
}

impl CompiledRule {
    fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| compile_pattern(&self.rule).map_err(|e| e.to_string()))
            .as_ref()
            .ok()
    }
}

fn compile_pattern(rule: &Rule) -> Result<Regex, BuildError> {
    let re = RegexBuilder::new(&rule.pattern)
        // Bytes, not text: `.` and classes match single bytes, so invalid UTF-8 (binary files,
        // keystores) neither breaks a match nor costs the larger Unicode automata.
        .unicode(false)
        .size_limit(32 << 20)
        .build()
        .map_err(|e| BuildError::Pattern {
            rule: rule.id.clone(),
            source: Box::new(e),
        })?;
    let groups = re.captures_len() - 1;
    if groups != 1 {
        return Err(BuildError::CaptureGroups {
            rule: rule.id.clone(),
            found: groups,
        });
    }
    Ok(re)
}

/// A verified match: which rule, where the whole match is, and where the secret is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub rule: usize,
    pub span: Range<usize>,
    pub secret: Range<usize>,
    /// The secret is a published documentation example (AWS's `…EXAMPLE` keys). Reported
    /// only when the caller asks for examples.
    pub example: bool,
}

/// Per-thread working memory, reused from one haystack to the next.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    /// For each rule, the end of its last accepted match: a keyword hit inside it is skipped.
    covered: Vec<usize>,
    /// For each rule, its hits whose window is not fixed yet, each with the lowest offset
    /// its window may start at (see [`NEIGHBOUR_GAP`]).
    pending: Vec<VecDeque<(Range<usize>, usize)>>,
    /// For each rule, its hits less than [`NEIGHBOUR_GAP`] before its latest one.
    recent: Vec<VecDeque<Range<usize>>>,
    /// For each rule, the end of its last hit before those: the floor of the next window.
    floor: Vec<usize>,
    /// For each rule, the last hit it rejected: its window with one byte of context on each
    /// side, and where the window and the hit sit in it (see [`Scanner::verify_hit`]).
    rejected: Vec<Option<Rejected>>,
    /// For each rule, its regex's reusable capture slots (no allocation per hit).
    locations: Vec<Option<CaptureLocations>>,
    /// Bytes handed to the rules' regexes in the last scan: the verification work.
    examined: usize,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch::default()
    }

    /// How many bytes the last [`Scanner::scan`] handed to rule regexes (each window once
    /// per attempt). Linear in the haystack whatever its content: the regression tests of
    /// keyword-dense input assert it.
    #[doc(hidden)]
    pub fn examined(&self) -> usize {
        self.examined
    }
}

/// A hit that found nothing, as [`Scanner::verify_hit`] remembers it.
#[derive(Debug, Clone)]
struct Rejected {
    /// The window and one byte either side (where the haystack has them): all that the
    /// regex and the validators saw.
    seen: Range<usize>,
    /// The window and the hit, relative to `seen.start`.
    window: Range<usize>,
    hit: Range<usize>,
}

/// Two hits of one rule at least this far apart each get their own window, and neither
/// window reaches past the other hit: whatever a match could find beyond the next hit, that
/// hit's own window finds. Without this, keyword-dense content (10 MB of BEGIN lines, of
/// `AKIA`) re-ran each rule's regex over the same window-sized stretch once per hit:
/// hits × window, quadratic in practice. With it, the windows of one rule overlap by at
/// most this much, so the work is linear in the input.
///
/// Hits closer than this do not clip each other, so a keyword inside the fixed part of a
/// match (an `ASIA` among an `AKIA` id's 16 random characters, the rest of a BEGIN line)
/// never cuts its match short.
const NEIGHBOUR_GAP: usize = 24;

/// Options that change what the core reports (not how it finds it).
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanOptions {
    pub include_examples: bool,
}

#[derive(Debug)]
pub struct Scanner {
    rules: Vec<CompiledRule>,
    automaton: AhoCorasick,
    /// The same automaton without its prefilter, for stretches dense with hits (see
    /// [`Scanner::keyword_hits`]), and the longest keyword's length.
    dense_automaton: AhoCorasick,
    longest_keyword: usize,
    /// keyword index → the rules that listed it.
    keyword_rules: Vec<Vec<usize>>,
    options: ScanOptions,
}

impl Scanner {
    pub fn new(set: &RuleSet, options: ScanOptions) -> Result<Scanner, BuildError> {
        let mut keywords: Vec<&str> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (ri, rule) in set.rules.iter().enumerate() {
            for kw in &rule.keywords {
                match keywords.iter().position(|k| k == kw) {
                    Some(ki) => keyword_rules[ki].push(ri),
                    None => {
                        keywords.push(kw);
                        keyword_rules.push(vec![ri]);
                    }
                }
            }
        }
        // Standard semantics with overlapping search would report a keyword that is a
        // substring of another twice; leftmost-longest reports each position once and lets
        // the packed (SIMD) prefilter do nearly all of the work.
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&keywords)?;
        let dense_automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .prefilter(false)
            .build(&keywords)?;
        let longest_keyword = keywords.iter().map(|k| k.len()).max().unwrap_or(1);
        let rules = set
            .rules
            .iter()
            .map(|r| CompiledRule {
                rule: r.clone(),
                regex: OnceLock::new(),
            })
            .collect();
        Ok(Scanner {
            rules,
            automaton,
            dense_automaton,
            longest_keyword,
            keyword_rules,
            options,
        })
    }

    /// Compiles every rule's regex now, returning the first error. Built-in rules are
    /// compiled lazily; user rules and `rules check` call this so a bad pattern is an
    /// error up front, not a silently dead rule.
    pub fn compile_all(&self) -> Result<(), BuildError> {
        for r in &self.rules {
            if r.regex().is_none() {
                return Err(compile_pattern(&r.rule).expect_err("compilation failed before"));
            }
        }
        Ok(())
    }

    pub fn rules(&self) -> impl ExactSizeIterator<Item = &Rule> {
        self.rules.iter().map(|r| &r.rule)
    }

    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules[index].rule
    }

    /// Scans `hay`, appending verified matches to `out` in order of their secret's offset.
    pub fn scan(&self, hay: &[u8], scratch: &mut Scratch, out: &mut Vec<Match>) {
        let first = out.len();
        let n = self.rules.len();
        scratch.covered.clear();
        scratch.covered.resize(n, 0);
        scratch.floor.clear();
        scratch.floor.resize(n, 0);
        scratch.pending.resize_with(n, VecDeque::new);
        scratch.recent.resize_with(n, VecDeque::new);
        for q in &mut scratch.pending {
            q.clear();
        }
        for q in &mut scratch.recent {
            q.clear();
        }
        scratch.locations.resize_with(n, || None);
        scratch.rejected.clear();
        scratch.rejected.resize(n, None);
        scratch.examined = 0;
        let mut hits = self.keyword_hits(hay);
        while let Some(hit) = hits.next_hit() {
            for &ri in &self.keyword_rules[hit.pattern().as_usize()] {
                // Earlier hits at least NEIGHBOUR_GAP before this one: their windows end
                // here, and this one's begins after the last of them.
                while let Some((p, _)) = scratch.pending[ri].front()
                    && p.start + NEIGHBOUR_GAP <= hit.start()
                {
                    let (p, floor) = scratch.pending[ri].pop_front().expect("front exists");
                    self.verify_hit(ri, hay, p, floor..hit.start(), scratch, out);
                }
                while let Some(r) = scratch.recent[ri].front()
                    && r.start + NEIGHBOUR_GAP <= hit.start()
                {
                    scratch.floor[ri] = r.end;
                    scratch.recent[ri].pop_front();
                }
                scratch.recent[ri].push_back(hit.start()..hit.end());
                let floor = scratch.floor[ri];
                scratch.pending[ri].push_back((hit.start()..hit.end(), floor));
            }
        }
        for ri in 0..n {
            while let Some((p, floor)) = scratch.pending[ri].pop_front() {
                self.verify_hit(ri, hay, p, floor..hay.len(), scratch, out);
            }
        }
        if out.len() - first > 1 {
            let mut found = out.split_off(first);
            found.sort_by_key(|m| (m.secret.start, m.rule));
            // Two rules may find the same secret (a labelled AWS secret that also stands
            // beside its key id): one finding, from the rule listed first.
            found.dedup_by(|later, kept| {
                later.secret == kept.secret
                    && self.rules[later.rule].rule.category == self.rules[kept.rule].rule.category
            });
            out.append(&mut found);
        }
    }

    /// The keyword hits in `hay`, in order, as `find_iter` would give them.
    fn keyword_hits<'h>(&'h self, hay: &'h [u8]) -> KeywordHits<'h> {
        KeywordHits {
            scanner: self,
            hay,
            pos: 0,
            dense: false,
            block_start: 0,
            block_hits: 0,
        }
    }

    /// Verifies one hit of rule `ri` unless an accepted match of the rule already covers
    /// it, or the rule rejected the very same bytes around its previous hit. `bounds` is as
    /// far as its neighbours let its window reach.
    ///
    /// The second check is what keeps repetitive keyword-dense content (a file of BEGIN
    /// lines, of `AKIA`) near the speed of ordinary text: each hit then costs a comparison
    /// of a few dozen bytes instead of a regex search and a validator. The result of a
    /// verification depends only on the window's bytes, where the hit sits in it, and the
    /// byte on either side (the validators look one byte past the secret), so equal bytes
    /// give the same rejection.
    fn verify_hit(
        &self,
        ri: usize,
        hay: &[u8],
        hit: Range<usize>,
        bounds: Range<usize>,
        scratch: &mut Scratch,
        out: &mut Vec<Match>,
    ) {
        if hit.start < scratch.covered[ri] {
            return;
        }
        let rule = &self.rules[ri];
        let Some(re) = rule.regex() else {
            return;
        };
        let window = self.window(ri, hay, &hit, &bounds);
        let seen = window.start.saturating_sub(1)..window.end.saturating_add(1).min(hay.len());
        let here = Rejected {
            window: window.start - seen.start..window.end - seen.start,
            hit: hit.start - seen.start..hit.end - seen.start,
            seen,
        };
        if let Some(last) = &scratch.rejected[ri]
            && last.window == here.window
            && last.hit == here.hit
            && hay[last.seen.clone()] == hay[here.seen.clone()]
        {
            return;
        }
        let locs = scratch.locations[ri].get_or_insert_with(|| re.capture_locations());
        match self.verify(ri, re, hay, hit, window, locs, &mut scratch.examined) {
            Some(m) => {
                scratch.covered[ri] = m.span.end;
                out.push(m);
            }
            None => scratch.rejected[ri] = Some(here),
        }
    }

    /// The window of rule `ri` around `hit`: as far as the rule's `window` says, within
    /// `bounds`.
    fn window(
        &self,
        ri: usize,
        hay: &[u8],
        hit: &Range<usize>,
        bounds: &Range<usize>,
    ) -> Range<usize> {
        let w = self.rules[ri].rule.window;
        let start = hit
            .start
            .saturating_sub(w.before)
            .max(bounds.start.min(hit.start));
        let end = hit
            .end
            .saturating_add(w.after)
            .min(bounds.end.max(hit.end))
            .min(hay.len());
        start..end
    }

    /// Runs rule `ri` on `window` around one keyword hit. A candidate match must contain
    /// the hit; a rejected candidate is retried one byte further on, a bounded number of
    /// times, so that an early look-alike (a git SHA before the real secret) does not hide
    /// a real match.
    #[allow(clippy::too_many_arguments)]
    fn verify(
        &self,
        ri: usize,
        re: &Regex,
        hay: &[u8],
        hit: Range<usize>,
        window: Range<usize>,
        locs: &mut CaptureLocations,
        examined: &mut usize,
    ) -> Option<Match> {
        let rule = &self.rules[ri];
        let (win_start, win_end) = (window.start, window.end);
        let window = &hay[win_start..win_end];
        let (hs, he) = (hit.start - win_start, hit.end - win_start);
        let mut at = 0;
        for _ in 0..MAX_RETRIES_PER_HIT {
            *examined += window.len().saturating_sub(at);
            let whole = re.captures_read_at(locs, window, at)?;
            if whole.start() > hs {
                return None;
            }
            if whole.end() >= he
                && let Some((s_start, s_end)) = locs.get(1)
            {
                let m = Match {
                    rule: ri,
                    span: win_start + whole.start()..win_start + whole.end(),
                    secret: win_start + s_start..win_start + s_end,
                    example: false,
                };
                match self.check(&rule.rule, hay, &m) {
                    Verdict::Accept => return Some(m),
                    Verdict::Example if self.options.include_examples => {
                        return Some(Match { example: true, ..m });
                    }
                    Verdict::Example | Verdict::Reject => {}
                }
            }
            at = whole.start() + 1;
        }
        None
    }

    fn check(&self, rule: &Rule, hay: &[u8], m: &Match) -> Verdict {
        let secret = &hay[m.secret.clone()];
        if let Some(min) = rule.min_entropy
            && shannon_entropy(secret) < min
        {
            return Verdict::Reject;
        }
        match rule.validator {
            Some(v) => validate::run(v, hay, m),
            None => Verdict::Accept,
        }
    }
}

/// Hits counted per density check, and the bytes per hit under which a stretch is dense.
const DENSITY_BLOCK: u32 = 256;
const DENSE_BYTES_PER_HIT: usize = 64;
/// In a dense stretch, the automaton without prefilter looks this far for the next hit
/// before handing back to the prefiltered one.
const DENSE_SPAN: usize = 64 << 10;

/// The keyword automaton's hits, switching between two automata with the same matches.
/// The prefiltered one (SIMD, several GiB/s) skips clean text fast but pays a restart at
/// every hit: on keyword-dense content (a file of `AKIA`) that restart is most of the
/// scan's time. Where the last [`DENSITY_BLOCK`] hits came more often than one per
/// [`DENSE_BYTES_PER_HIT`] bytes, the plain DFA (no restart cost, slower on clean text)
/// takes over, for at most [`DENSE_SPAN`] bytes without a hit at a time.
struct KeywordHits<'h> {
    scanner: &'h Scanner,
    hay: &'h [u8],
    pos: usize,
    dense: bool,
    block_start: usize,
    block_hits: u32,
}

impl KeywordHits<'_> {
    fn next_hit(&mut self) -> Option<aho_corasick::Match> {
        let len = self.hay.len();
        loop {
            if self.pos > len {
                return None;
            }
            let (automaton, end) = if self.dense {
                (
                    &self.scanner.dense_automaton,
                    len.min(self.pos.saturating_add(DENSE_SPAN)),
                )
            } else {
                (&self.scanner.automaton, len)
            };
            let input = aho_corasick::Input::new(self.hay).span(self.pos..end);
            match automaton.find(input) {
                Some(m) => {
                    self.pos = m.end().max(m.start() + 1);
                    self.block_hits += 1;
                    if self.block_hits == DENSITY_BLOCK {
                        let per_hit = (m.end() - self.block_start) / DENSITY_BLOCK as usize;
                        self.dense = per_hit < DENSE_BYTES_PER_HIT;
                        self.block_start = m.end();
                        self.block_hits = 0;
                    }
                    return Some(m);
                }
                None if end == len => {
                    self.pos = len + 1;
                    return None;
                }
                None => {
                    // No keyword lies wholly in pos..end; one may still start in its last
                    // longest-keyword bytes.
                    self.pos = self
                        .pos
                        .max(end + 1 - self.scanner.longest_keyword.min(end + 1));
                    self.dense = false;
                    self.block_start = self.pos;
                    self.block_hits = 0;
                }
            }
        }
    }
}

/// Shannon entropy in bits per byte.
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// 1-based line and column (in bytes) of `offset`. Callers with several matches in one
/// haystack use [`LineCounter`] instead, which never rescans.
pub fn line_col(hay: &[u8], offset: usize) -> (usize, usize) {
    LineCounter::default().locate(hay, offset)
}

/// Turns increasing offsets into line/column, counting each newline once.
#[derive(Debug, Default)]
pub struct LineCounter {
    pos: usize,
    line: usize,
    line_start: usize,
}

impl LineCounter {
    /// Offsets must not decrease between calls on the same haystack.
    pub fn locate(&mut self, hay: &[u8], offset: usize) -> (usize, usize) {
        let offset = offset.min(hay.len());
        if offset < self.pos {
            *self = LineCounter::default();
        }
        for nl in memchr::memchr_iter(b'\n', &hay[self.pos..offset]) {
            self.line += 1;
            self.line_start = self.pos + nl + 1;
        }
        self.pos = offset;
        (self.line + 1, offset - self.line_start + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let hay = b"ab\ncd\nef";
        assert_eq!(line_col(hay, 0), (1, 1));
        assert_eq!(line_col(hay, 4), (2, 2));
        let mut lc = LineCounter::default();
        assert_eq!(lc.locate(hay, 1), (1, 2));
        assert_eq!(lc.locate(hay, 6), (3, 1));
    }

    /// Hits of one rule closer than NEIGHBOUR_GAP do not clip each other's windows: an
    /// `ASIA` among an `AKIA` id's random characters leaves the id, and its secret on the
    /// next line, whole. (Generated at random for keysweep; not a real credential.)
    #[test]
    fn a_keyword_inside_a_key_id_does_not_cut_it_short() {
        let rules = crate::rules::RuleSet::builtin().unwrap();
        let scanner = Scanner::new(&rules, ScanOptions::default()).unwrap();
        let hay = b"id = AKIAJ2FAASIA3GZUWG6C\nkey = 3RxxWBtSS9Z4xxIahZ291TtLuIoPeDIEn8WHhXMf\n";
        let mut out = Vec::new();
        scanner.scan(hay, &mut Scratch::new(), &mut out);
        let secrets: Vec<&[u8]> = out.iter().map(|m| &hay[m.secret.clone()]).collect();
        assert_eq!(
            secrets,
            [
                &b"AKIAJ2FAASIA3GZUWG6C"[..],
                b"3RxxWBtSS9Z4xxIahZ291TtLuIoPeDIEn8WHhXMf"
            ]
        );
    }

    /// The switch between the two keyword automata gives exactly `find_iter`'s hits: in
    /// dense stretches, in clean ones, and for a keyword that straddles the end of a dense
    /// search's span.
    #[test]
    fn keyword_hits_are_find_iters_in_dense_and_clean_stretches() {
        let rules = crate::rules::RuleSet::builtin().unwrap();
        let scanner = Scanner::new(&rules, ScanOptions::default()).unwrap();
        for shift in [0, 1, 5, 10, 20, 25, 26, 27, 40] {
            let mut hay = b"AKIA".repeat(3000);
            let span_end = hay.len() + DENSE_SPAN;
            hay.resize(span_end - shift, b'.');
            hay.extend_from_slice(b"-----BEGIN OPENSSH PRIVATE KEY-----\n");
            hay.resize(hay.len() + 3 * DENSE_SPAN, b'.');
            hay.extend(b"ASIA\n".repeat(2000));
            hay.extend_from_slice(b"aws_secret_key");
            let want: Vec<_> = scanner
                .automaton
                .find_iter(&hay[..])
                .map(|m| (m.pattern(), m.span()))
                .collect();
            let mut got = Vec::new();
            let mut hits = scanner.keyword_hits(&hay);
            while let Some(m) = hits.next_hit() {
                got.push((m.pattern(), m.span()));
            }
            assert_eq!(got.len(), want.len(), "shift {shift}");
            assert!(got == want, "shift {shift}");
        }
    }

    #[test]
    fn entropy_of_uniform_and_constant() {
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
    }
}
