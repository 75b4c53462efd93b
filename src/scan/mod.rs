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

pub mod decode;
mod keyword_order;
pub mod pem;
pub mod token;
mod validate;

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::bytes::{CaptureLocations, Regex, RegexBuilder};

use crate::rules::{HitThen, Rule, RuleSet};
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
    /// What verification searches with: the pattern itself, or, for a rule whose windows
    /// start at their hit, the pattern anchored there (see [`CompiledRule::search_regex`]).
    search: OnceLock<Option<Regex>>,
    /// The shortest window in which the rule can find a match it accepts (see
    /// [`min_window`]), worked out with the regex.
    min_window: OnceLock<usize>,
    /// The pattern with its look-arounds erased, as a lazy DFA reporting where the
    /// earliest match ends (see [`Scanner::may_match`]); `None` for a rule whose windows
    /// start at their hit (its anchored search already stops early) or if it does not
    /// build.
    clean: OnceLock<Option<regex_automata::hybrid::dfa::DFA>>,
    /// For an anchored rule whose every match has one length (see [`Shape`]), its
    /// pattern as byte sets, checked without the regex.
    shape: OnceLock<Option<Shape>>,
    /// A run of bytes of one class that every match holds (see [`ClassRun`]).
    run: OnceLock<Option<ClassRun>>,
    /// The rule's [`Shape`] holds wherever one of its keywords is followed by what its
    /// `hit_then` asks (see [`Shape::given_by`]): a hit that counts fits it unchecked.
    shape_given: OnceLock<bool>,
}

impl CompiledRule {
    fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| compile_pattern(&self.rule).map_err(|e| e.to_string()))
            .as_ref()
            .ok()
    }

    /// The regex verification runs. A rule whose window reaches nothing before its hit
    /// (`before = 0`) accepts only a match that starts at the window's first byte (a match
    /// must contain the hit; a later one is rejected, retries included). The leftmost-first
    /// match that starts there is the one `\A(?:pattern)` finds: the same match and
    /// captures, but the regex crate runs an anchored pattern in one pass (its one-pass
    /// DFA, or a backtracker bounded by the window) and stops at the first byte that cannot
    /// continue a match, instead of a forward, a reverse and a capturing pass over the
    /// whole window. Placeholder key ids all different (no two windows alike) cost half as
    /// much. Falls back to the pattern itself if the anchored form does not build.
    fn search_regex(&self) -> Option<&Regex> {
        self.search
            .get_or_init(|| {
                if self.rule.window.before == 0
                    && parse_pattern(&self.rule.pattern).is_some()
                    && let Ok(anchored) =
                        RegexBuilder::new(&format!(r"\A(?:{})", self.rule.pattern))
                            .unicode(false)
                            .size_limit(32 << 20)
                            .build()
                    && anchored.captures_len() == 2
                {
                    return Some(anchored);
                }
                self.regex().cloned()
            })
            .as_ref()
    }

    fn min_window(&self) -> usize {
        *self.min_window.get_or_init(|| min_window(&self.rule))
    }

    /// Only for a rule verified with the anchored regex (see [`CompiledRule::search_regex`]).
    fn shape(&self) -> Option<&Shape> {
        self.shape
            .get_or_init(|| {
                let anchored = self.rule.window.before == 0
                    && self
                        .search_regex()
                        .is_some_and(|re| re.as_str().starts_with(r"\A(?:"));
                if !anchored {
                    return None;
                }
                Shape::of(&parse_pattern(&self.rule.pattern)?)
            })
            .as_ref()
    }

    fn shape_given(&self) -> bool {
        *self.shape_given.get_or_init(|| {
            let then = self
                .rule
                .hit_then
                .as_deref()
                .and_then(|t| HitThen::parse(t).ok());
            match (self.shape(), then) {
                (Some(shape), Some(then)) => shape.given_by(&self.rule.keywords, &then),
                _ => false,
            }
        })
    }

    fn run(&self) -> Option<&ClassRun> {
        self.run
            .get_or_init(|| ClassRun::of(&parse_pattern(&self.rule.pattern)?))
            .as_ref()
    }

    fn clean(&self) -> Option<&regex_automata::hybrid::dfa::DFA> {
        self.clean
            .get_or_init(|| {
                if self.rule.window.before == 0 {
                    return None;
                }
                clean_dfa(&parse_pattern(&self.rule.pattern)?)
            })
            .as_ref()
    }
}

/// A pattern every match of which has the same length: a few alternatives (at most
/// [`Shape::MAX_ALTERNATIVES`]), each a sequence of byte sets, and its capture group at the
/// same offsets in each (the key-id rule: `(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}`, captured
/// whole). Anchored at a window's start, the regex can only find `0..len`, and does exactly
/// when the window's first `len` bytes fit one alternative; the capture is then at `secret`
/// whichever alternative fits. Checking that directly costs a few byte loads instead of a
/// regex search: with every window different (placeholder key ids) that search was a
/// quarter of the scan.
#[derive(Debug)]
struct Shape {
    alternatives: Vec<Vec<[bool; 256]>>,
    len: usize,
    secret: Range<usize>,
}

/// Alternatives of one length, and where the capture group sits in them.
type Parts = (Vec<Vec<[bool; 256]>>, Option<Range<usize>>);

impl Shape {
    const MAX_ALTERNATIVES: usize = 16;
    const MAX_LEN: usize = 256;

    fn of(hir: &regex_syntax::hir::Hir) -> Option<Shape> {
        let (alternatives, secret) = Shape::parts(hir)?;
        let len = alternatives.first()?.len();
        Some(Shape {
            alternatives,
            len,
            secret: secret?,
        })
    }

    fn parts(hir: &regex_syntax::hir::Hir) -> Option<Parts> {
        use regex_syntax::hir::{Class, HirKind};
        let set_of = byte_set;
        match hir.kind() {
            HirKind::Empty => Some((vec![Vec::new()], None)),
            HirKind::Literal(lit) => Some((
                vec![
                    lit.0
                        .iter()
                        .map(|&b| set_of(&mut std::iter::once((u32::from(b), u32::from(b)))))
                        .collect(),
                ],
                None,
            )),
            HirKind::Class(Class::Bytes(c)) => Some((
                vec![vec![set_of(
                    &mut c
                        .ranges()
                        .iter()
                        .map(|r| (u32::from(r.start()), u32::from(r.end()))),
                )]],
                None,
            )),
            HirKind::Class(Class::Unicode(c)) => {
                if c.ranges().iter().any(|r| u32::from(r.end()) > 0x7F) {
                    return None;
                }
                Some((
                    vec![vec![set_of(
                        &mut c
                            .ranges()
                            .iter()
                            .map(|r| (u32::from(r.start()), u32::from(r.end()))),
                    )]],
                    None,
                ))
            }
            HirKind::Look(_) => None,
            HirKind::Capture(c) if c.index == 1 => {
                let (alts, inner) = Shape::parts(&c.sub)?;
                if inner.is_some() {
                    return None;
                }
                let len = alts.first()?.len();
                Some((alts, Some(0..len)))
            }
            HirKind::Capture(_) => None,
            HirKind::Repetition(r) => {
                if Some(r.min) != r.max {
                    return None;
                }
                let sub = Shape::parts(&r.sub)?;
                if sub.1.is_some() && r.min != 1 {
                    return None;
                }
                let mut acc: Parts = (vec![Vec::new()], None);
                for _ in 0..r.min {
                    acc = Shape::concat(acc, sub.clone())?;
                }
                Some(acc)
            }
            HirKind::Concat(subs) => {
                let mut acc: Parts = (vec![Vec::new()], None);
                for sub in subs {
                    acc = Shape::concat(acc, Shape::parts(sub)?)?;
                }
                Some(acc)
            }
            HirKind::Alternation(subs) => {
                let mut alts = Vec::new();
                let mut len = None;
                for sub in subs {
                    let (a, secret) = Shape::parts(sub)?;
                    let l = a.first()?.len();
                    if secret.is_some() || len.is_some_and(|len| len != l) {
                        return None;
                    }
                    len = Some(l);
                    alts.extend(a);
                }
                (alts.len() <= Shape::MAX_ALTERNATIVES).then_some((alts, None))
            }
        }
    }

    fn concat((a, a_secret): Parts, (b, b_secret): Parts) -> Option<Parts> {
        let a_len = a.first()?.len();
        let b_len = b.first()?.len();
        if a.len() * b.len() > Shape::MAX_ALTERNATIVES || a_len + b_len > Shape::MAX_LEN {
            return None;
        }
        let secret = match (a_secret, b_secret) {
            (Some(_), Some(_)) => return None,
            (Some(s), None) => Some(s),
            (None, Some(s)) => Some(s.start + a_len..s.end + a_len),
            (None, None) => None,
        };
        let alts = a
            .iter()
            .flat_map(|x| b.iter().map(move |y| [x.as_slice(), y.as_slice()].concat()))
            .collect();
        Some((alts, secret))
    }

    /// Whether `bytes` starts with a match.
    /// True when every keyword followed by what `then` asks fits one alternative: the
    /// keyword's bytes, then `then`'s class `then.count` times, and nothing more (the
    /// key-id rule: `AKIA` and its siblings, then `[A-Z2-7]{16}`). A hit that counts for
    /// the rule is exactly that, so checking the shape again would only read the same
    /// bytes a second time.
    fn given_by(&self, keywords: &[String], then: &HitThen) -> bool {
        let singleton = |set: &[bool; 256], b: u8| {
            set[usize::from(b)] && set.iter().filter(|&&x| x).count() == 1
        };
        !keywords.is_empty()
            && keywords.iter().all(|k| {
                let k = k.as_bytes();
                k.len() + then.count == self.len
                    && self.alternatives.iter().any(|alt| {
                        alt.iter().zip(k).all(|(set, &b)| singleton(set, b))
                            && alt[k.len()..].iter().all(|set| *set == then.bytes)
                    })
            })
    }

    fn fits(&self, bytes: &[u8]) -> bool {
        let Some(head) = bytes.get(..self.len) else {
            return false;
        };
        self.alternatives
            .iter()
            .any(|alt| alt.iter().zip(head).all(|(set, &b)| set[b as usize]))
    }
}

/// The bytes in `ranges` (inclusive, clipped to a byte), as a table.
fn byte_set(ranges: &mut dyn Iterator<Item = (u32, u32)>) -> [bool; 256] {
    let mut set = [false; 256];
    for (lo, hi) in ranges {
        for b in lo..=hi.min(255) {
            set[b as usize] = true;
        }
    }
    set
}

/// `len` bytes in a row from one byte class, which every match of a rule's pattern holds:
/// the AWS pairing rules' 40-character secret (`[A-Za-z0-9/+]{40}`). A window without such
/// a run cannot hold a match, and looking for one is a table look-up per byte at most
/// (fewer: see [`ClassRun::find`]) where the clean-stretch DFA (see [`Scanner::may_match`])
/// walks a large state set: in text dense with placeholder key ids (each a hit, no two
/// alike, none beside a secret) that DFA was a fifth of the scan.
#[derive(Debug)]
struct ClassRun {
    class: [bool; 256],
    len: usize,
}

impl ClassRun {
    /// Shorter runs are too common to be worth a look of their own.
    const MIN_LEN: usize = 16;

    /// The longest run the pattern's top-level sequence requires: a repetition of one
    /// class at least [`ClassRun::MIN_LEN`] times (inside captures and groups), found in
    /// every match whatever its context.
    fn of(hir: &regex_syntax::hir::Hir) -> Option<ClassRun> {
        use regex_syntax::hir::{Class, HirKind};
        match hir.kind() {
            HirKind::Capture(c) => ClassRun::of(&c.sub),
            HirKind::Concat(v) => v.iter().filter_map(ClassRun::of).max_by_key(|r| r.len),
            HirKind::Repetition(r) => {
                let len = usize::try_from(r.min).ok()?;
                if len < ClassRun::MIN_LEN {
                    return ClassRun::of(&r.sub).filter(|_| r.min >= 1);
                }
                let HirKind::Class(Class::Bytes(bytes)) = r.sub.kind() else {
                    return ClassRun::of(&r.sub);
                };
                let mut ranges = bytes
                    .ranges()
                    .iter()
                    .map(|r| (u32::from(r.start()), u32::from(r.end())));
                Some(ClassRun {
                    class: byte_set(&mut ranges),
                    len,
                })
            }
            _ => None,
        }
    }

    /// Where the first run (the one that starts first) at or after `from` starts, if one
    /// ends by `limit`. A class without the newline has its runs within lines: lines
    /// shorter than a run are passed over at `memchr`'s speed, and only longer ones read.
    fn find(&self, hay: &[u8], from: usize, limit: usize) -> Option<usize> {
        if self.class[usize::from(b'\n')] {
            return self.find_within(hay, from, limit);
        }
        let mut line = from;
        for end in memchr::memchr_iter(b'\n', &hay[from..limit])
            .map(|i| from + i)
            .chain(std::iter::once(limit))
        {
            if end - line >= self.len
                && let Some(at) = self.find_within(hay, line, end)
            {
                return Some(at);
            }
            line = end + 1;
        }
        None
    }

    /// [`ClassRun::find`], byte by byte. Each candidate start is tried from its far end
    /// backwards: a byte out of the class there rules out every start up to it, so
    /// ordinary text is read about once per run length, and no byte is read more than
    /// twice.
    fn find_within(&self, hay: &[u8], from: usize, limit: usize) -> Option<usize> {
        let mut start = from;
        while start + self.len <= limit {
            let mut i = start + self.len;
            while i > start && self.class[usize::from(hay[i - 1])] {
                i -= 1;
            }
            if i == start {
                return Some(start);
            }
            start = i;
        }
        None
    }
}

/// `hir` with every look-around (`^`, `$`, `\A`, `\b`, …) replaced by the empty string and
/// its captures dropped: a pattern that matches any bytes the original matches in any
/// context (an assertion only ever removes matches), and depends on nothing outside the
/// match. So wherever a rule's regex finds a match in a window, this one matches the same
/// bytes of the haystack.
fn erase_looks(hir: &regex_syntax::hir::Hir) -> regex_syntax::hir::Hir {
    use regex_syntax::hir::{Hir, HirKind, Repetition};
    match hir.kind() {
        HirKind::Look(_) => Hir::empty(),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) => hir.clone(),
        HirKind::Capture(c) => erase_looks(&c.sub),
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            sub: Box::new(erase_looks(&r.sub)),
            ..r.clone()
        }),
        HirKind::Concat(v) => Hir::concat(v.iter().map(erase_looks).collect()),
        HirKind::Alternation(v) => Hir::alternation(v.iter().map(erase_looks).collect()),
    }
}

/// The lazy DFA of `erase_looks(hir)` that reports every match (`MatchKind::All`), so an
/// `earliest` unanchored search stops where the first match of any start ends. It gives up
/// (an error, the rule then goes without) rather than thrash its cache.
fn clean_dfa(hir: &regex_syntax::hir::Hir) -> Option<regex_automata::hybrid::dfa::DFA> {
    use regex_automata::hybrid::dfa::DFA;
    use regex_automata::nfa::thompson;
    let nfa = thompson::Compiler::new()
        .configure(
            thompson::Config::new()
                .utf8(false)
                .which_captures(thompson::WhichCaptures::None),
        )
        .build_from_hir(&erase_looks(hir))
        .ok()?;
    DFA::builder()
        .configure(
            DFA::config()
                .match_kind(regex_automata::MatchKind::All)
                .minimum_cache_clear_count(Some(3))
                .minimum_bytes_per_state(Some(10)),
        )
        .build_from_nfa(nfa)
        .ok()
}

/// `pattern` parsed as `compile_pattern` has the regex crate parse it (bytes, no Unicode).
fn parse_pattern(pattern: &str) -> Option<regex_syntax::hir::Hir> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()
}

/// The fewest bytes a window must hold for the rule to accept a match in it: the shortest
/// match its pattern can make, and the shortest secret its validator accepts (the secret
/// lies inside the match, the match inside the window). A shorter window is rejected
/// without running the regex: in keyword-dense content most windows are cut short by the
/// next hit (an `AKIA` every 4 bytes leaves the rules that want a 40-character secret
/// beside a key id a few dozen bytes each, a numbered BEGIN line leaves no room for a key
/// body). A pattern that does not parse gives 0: no shortcut.
fn min_window(rule: &Rule) -> usize {
    let pattern = parse_pattern(&rule.pattern)
        .and_then(|hir| hir.properties().minimum_len())
        .unwrap_or(0);
    pattern.max(rule.validator.map_or(0, validate::min_secret_len))
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
    /// For each keyword group (see [`Scanner::groups`]), its hits less than
    /// [`NEIGHBOUR_GAP`] before its latest one: their windows are not fixed yet. Each with
    /// the lowest offset its window may start at.
    pending: Vec<VecDeque<Pending>>,
    /// For each keyword group, the end of its last hit before those: the floor of the next
    /// window.
    floor: Vec<usize>,
    /// For each rule, the last hit it rejected: its window with one byte of context on each
    /// side, and where the window and the hit sit in it (see [`Scanner::verify_hit`]).
    rejected: Vec<Option<Rejected>>,
    /// For each rule, its regex's reusable capture slots (no allocation per hit).
    locations: Vec<Option<CaptureLocations>>,
    /// For each rule, what its clean-stretch pass knows (see [`Scanner::may_match`]).
    clean: Vec<Clean>,
    /// Bytes handed to the rules' regexes in the last scan: the verification work.
    examined: usize,
    /// Keyword hits a rule verified and rejected in the last scan, as (hit offset, rule),
    /// at most [`MAX_UNMATCHED`] per rule: where the decoding layer looks for a wrapped
    /// secret.
    unmatched: Vec<(usize, usize)>,
    /// For each rule, how many of `unmatched` are its. A cap per rule, not per scan: with
    /// one cap, 64 rejected `secret`s of a C file's comments hid the wrapped key after them.
    unmatched_of: Vec<u32>,
    /// The [`Marker`]s the last scan met, one bit each.
    markers: u32,
}

/// How many rejected hits of one rule one scan remembers for the decoding layer.
const MAX_UNMATCHED: u32 = 64;

/// A keyword hit whose window waits for the next hit at least [`NEIGHBOUR_GAP`] away.
#[derive(Debug, Clone, Copy)]
struct Pending {
    start: usize,
    end: usize,
    floor: usize,
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

    /// The keyword hits the last [`Scanner::scan`] verified and rejected (hit offset,
    /// rule index), in the order they were verified; empty for almost every blob.
    pub fn unmatched(&self) -> &[(usize, usize)] {
        &self.unmatched
    }

    /// Remembers that rule `ri` rejected the hit at `offset`, within its cap.
    fn reject(&mut self, offset: usize, ri: usize) {
        // The carriers' count is kept after the rules'.
        let at = ri.min(self.unmatched_of.len() - 1);
        if self.unmatched_of[at] < MAX_UNMATCHED {
            self.unmatched_of[at] += 1;
            self.unmatched.push((offset, ri));
        }
    }

    /// The [`Marker`]s the last [`Scanner::scan`] met, one [`Marker::bit`] each.
    pub fn markers(&self) -> u32 {
        self.markers
    }
}

/// Words that no rule looks for but that other parts of keysweep ask of every blob of a
/// history (the exposure checks choose some files by their contents). The automaton finds
/// them in the same pass as the rules' keywords, rather than a search of its own over
/// every blob for each. A marker is met where the automaton reports it: a hit that
/// overlaps a keyword's hit to its left can hide it, which costs only a check missed by
/// content, never a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// A CloudFormation security group.
    SecurityGroup,
    /// Ansible's `lineinfile` module (found by its tail: every `line…` of ordinary text
    /// would be a candidate for the prefilter, which looks at a keyword's first bytes).
    LineInFile,
}

impl Marker {
    /// The marker's bit in [`Scratch::markers`].
    pub fn bit(self) -> u32 {
        1 << self as u32
    }

    const ALL: [(Marker, &'static str); 2] = [
        (Marker::SecurityGroup, "AWS::EC2::SecurityGroup"),
        (Marker::LineInFile, "neinfile"),
    ];
}

/// The forms `-----BEGIN ` takes when an armour line is itself encoded: percent- and
/// form-encoding, HTML character references, JSON's `\u0020`. No rule's pattern can start
/// there; a hit is handed straight to the decoding layer as a private key's (the rule
/// index [`ARMOUR_CARRIER`] in [`Scratch::unmatched`]), which undoes the carrier and
/// scans again. They share their first [`SHARED_PREFIX`] bytes with the armours, so the
/// automaton looks for them through the one `-----BEGIN` anchor, at no cost to its
/// prefilter.
const ARMOUR_CARRIERS: [&str; 4] = [
    "-----BEGIN%20",
    "-----BEGIN+",
    "-----BEGIN&#",
    "-----BEGIN\\u00",
];

/// The rule index an [`ARMOUR_CARRIERS`] hit has in [`Scratch::unmatched`].
pub const ARMOUR_CARRIER: usize = usize::MAX;

/// For one rule: no match of its look-around-free pattern (see [`erase_looks`]) that
/// starts at `from` or later ends before `until`.
#[derive(Debug, Default, Clone)]
struct Clean {
    from: usize,
    until: usize,
    /// The lazy DFA gave up on this haystack: no more passes.
    off: bool,
    cache: Option<regex_automata::hybrid::dfa::Cache>,
    /// What the last look for the rule's [`ClassRun`] found: from `run_from` on, the
    /// first run starts at `run_at`, or none ends by `run_limit`.
    run_from: usize,
    run_at: Option<usize>,
    run_limit: usize,
}

/// How far past a window the clean-stretch pass looks when it finds no match: far enough
/// that the windows it clears pay for it many times over, short enough that one hit in
/// ordinary text does not cost a pass over the rest of the file.
const CLEAN_LOOKAHEAD: usize = 16 << 10;

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

/// Hits of one keyword at a constant distance (`period`) in a dense stretch, each found
/// with nothing reported and nothing added to `unmatched` (`quiet` unchanged): after
/// [`RUN_MIN_HITS`] of them the scan looks whether the bytes keep repeating and jumps (see
/// [`Scanner::periods_to_skip`]).
#[derive(Debug, Default, Clone, Copy)]
struct Run {
    first: usize,
    last: usize,
    period: usize,
    pattern: usize,
    count: usize,
    quiet: (usize, usize),
}

/// Enough hits for every pending hit and floor of the run's groups to come from the run
/// itself (a period is at most [`DENSE_BYTES_PER_HIT`] on average, the gap
/// [`NEIGHBOUR_GAP`]), and for the per-rule memos to have settled.
const RUN_MIN_HITS: usize = 64;

/// Options that change what the core reports (not how it finds it).
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanOptions {
    pub include_examples: bool,
}

/// The search for anchors in clean text.
#[derive(Debug)]
enum CleanSearch {
    /// The built-in set's: aho-corasick's packed Slim Teddy (8 buckets, 32 bytes a step)
    /// over the anchors in [`keyword_order::TUNED`]'s order, searched directly (a set of
    /// more than [`TEDDY_LIMIT`] strings: packed Teddy too, Slim or Fat as the library
    /// chooses). Past 32 strings the library itself would choose Fat Teddy (16 buckets,
    /// 16 bytes a step), which cost 26% more CPU on the Rust docs tree than this with 57
    /// strings, where Slim Teddy in a tuned order cost 3.5% more with 44
    /// (`benches/results/2026-12-02-prefilter-capacity.md`). Why one Slim Teddy over all
    /// 57 and not a second one for the rare strings: see `keyword_order`.
    Slim(aho_corasick::packed::Searcher),
    /// Any other set's (user signatures, `--rule`), or where Teddy cannot run: the
    /// library's DFA with the prefilter it chooses.
    Library(AhoCorasick),
}

#[derive(Debug)]
pub struct Scanner {
    rules: Vec<CompiledRule>,
    /// The search for anchors in clean text (see [`CleanSearch`]).
    clean: CleanSearch,
    /// The same automaton without its prefilter, for stretches dense with hits (see
    /// [`Scanner::keyword_hits`]), and the longest keyword's length.
    dense_automaton: aho_corasick::dfa::DFA,
    /// Each anchor's length, for [`Scanner::dense_find`]'s matches.
    anchor_lens: Vec<usize>,
    /// The anchors, as given to the automata.
    prefilter: Vec<String>,
    longest_keyword: usize,
    /// How far past a hit any group's `hit_then` reads.
    then_reach: usize,
    /// Rules with the same keywords see the same hits, so their windows' bounds are the
    /// same: each group of them keeps one set of books, and a hit is handled once per
    /// group, not once per rule (the three AWS rules that share `AKIA` and its siblings).
    /// Each group lists its rules in rule order.
    groups: Vec<Vec<usize>>,
    /// keyword index → the groups whose rules listed it.
    keyword_groups: Vec<Vec<usize>>,
    /// For each group, what must follow a keyword for a hit to count (its rules'
    /// [`Rule::hit_then`]: rules with different ones are in different groups).
    group_then: Vec<Option<HitThen>>,
    /// keyword index → its [`Marker`] bit (0 for a rule's keyword).
    marker_bits: Vec<u32>,
    /// keyword index → whether it is one of [`ARMOUR_CARRIERS`] (and no rule's).
    carrier: Vec<bool>,
    /// The automata look for anchors (see [`anchors`]): anchor index → the keywords
    /// found through it, leftmost and then longest first, and whether the anchor is its
    /// one keyword.
    anchored: Vec<Vec<Member>>,
    anchored_exactly: Vec<bool>,
    keyword_bytes: Vec<Box<[u8]>>,
    options: ScanOptions,
}

/// Keywords that share their first this many bytes are found through their longest shared
/// prefix (an anchor) and told apart after it.
const SHARED_PREFIX: usize = 5;

/// The most strings aho-corasick's own choice of search gives its Teddy prefilter.
const TEDDY_LIMIT: usize = 64;

/// The shortest string the automata look for: aho-corasick's packed prefilter fingerprints
/// every string by its first `min(4, shortest)` bytes.
const MIN_ANCHOR: usize = 4;

/// Where a keyword stands relative to the match of the anchor it is found through: it
/// starts `back` bytes before the anchor's match and is `len` bytes long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Member {
    ki: usize,
    back: usize,
    len: usize,
}

/// The strings the automata look for. Every string widens one of the prefilter's eight
/// buckets, and with it what clean text costs (`keyword_order`'s model; see `rules`'
/// `the_builtin_keywords_fit_the_fast_prefilter`), so keywords share them where they can
/// without changing what the scan finds:
///
/// - a keyword that holds another keyword once (`AGE-SECRET-KEY-1` holds `ECRET`,
///   `AWS::EC2::SecurityGroup` holds `ecurity`) is found through that one: where it
///   matches, the bytes around it are compared with the longer keyword. Only where no
///   other keyword could start in the longer one's bytes before it (see [`inner_safe`]),
///   so the leftmost match is the same;
/// - keywords that share their first [`SHARED_PREFIX`] bytes (the seven `-----BEGIN …
///   PRIVATE KEY` armours, `ession_token` and `essionToken`) are looked for as their
///   longest shared prefix, once, and the keyword is read after it.
///
/// Returns the anchors and, for each, the keywords found through it, leftmost and then
/// longest first: the keyword a leftmost-longest search would report where several hold.
fn anchors<'k>(keywords: &[&'k str]) -> (Vec<&'k str>, Vec<Vec<Member>>) {
    let n = keywords.len();
    // Keywords found inside another: keyword index → (the keyword it is found through,
    // how far into it that one starts).
    let inner: Vec<Option<(usize, usize)>> = (0..n)
        .map(|ki| {
            let k = keywords[ki].as_bytes();
            let mut found = None;
            for (ai, a) in keywords.iter().enumerate() {
                let a = a.as_bytes();
                if ai == ki || a.len() < MIN_ANCHOR || a.len() >= k.len() {
                    continue;
                }
                let at: Vec<usize> = (0..=k.len() - a.len())
                    .filter(|&o| &k[o..o + a.len()] == a)
                    .collect();
                if let [o] = at[..]
                    && o > 0
                    && found.is_none()
                {
                    found = Some((ai, o));
                }
            }
            found.filter(|&(ai, o)| inner_safe(keywords, ki, ai, o))
        })
        .collect();
    // An anchor keyword must be found itself, not through a third.
    let inner: Vec<Option<(usize, usize)>> = inner
        .iter()
        .map(|i| i.filter(|&(ai, _)| inner[ai].is_none()))
        .collect();
    let mut anchors: Vec<&str> = Vec::new();
    let mut members: Vec<Vec<Member>> = Vec::new();
    let mut anchor_of: Vec<usize> = vec![usize::MAX; n];
    for (ki, kw) in keywords.iter().enumerate() {
        if inner[ki].is_some() {
            continue;
        }
        let anchor = if kw.len() >= SHARED_PREFIX && kw.is_char_boundary(SHARED_PREFIX) {
            // The longest prefix this keyword shares with every other keyword that shares
            // its first SHARED_PREFIX bytes.
            let mut lcp = kw.len();
            let mut shared = false;
            for (kj, other) in keywords.iter().enumerate() {
                if kj == ki
                    || inner[kj].is_some()
                    || other.len() < SHARED_PREFIX
                    || other.as_bytes()[..SHARED_PREFIX] != kw.as_bytes()[..SHARED_PREFIX]
                {
                    continue;
                }
                shared = true;
                lcp = lcp.min(
                    kw.bytes()
                        .zip(other.bytes())
                        .take_while(|(a, b)| a == b)
                        .count(),
                );
            }
            while !kw.is_char_boundary(lcp) {
                lcp -= 1;
            }
            if shared { &kw[..lcp] } else { kw }
        } else {
            kw
        };
        let ai = match anchors.iter().position(|a| *a == anchor) {
            Some(ai) => ai,
            None => {
                anchors.push(anchor);
                members.push(Vec::new());
                anchors.len() - 1
            }
        };
        anchor_of[ki] = ai;
        members[ai].push(Member {
            ki,
            back: 0,
            len: kw.len(),
        });
    }
    for (ki, i) in inner.iter().enumerate() {
        if let Some((host, o)) = *i {
            members[anchor_of[host]].push(Member {
                ki,
                back: o,
                len: keywords[ki].len(),
            });
        }
    }
    for m in &mut members {
        m.sort_by_key(|m| (std::cmp::Reverse(m.back), std::cmp::Reverse(m.len)));
    }
    (anchors, members)
}

/// Whether keyword `ki` can be found through keyword `ai`, which it holds `o` bytes in,
/// with the same leftmost-longest matches: no keyword but `ki` itself may start at
/// `ki`'s first byte or in the `o` bytes before `ai` (it would start before the
/// anchor's match, and the longer keyword would then be missed or found out of order).
fn inner_safe(keywords: &[&str], ki: usize, ai: usize, o: usize) -> bool {
    let k = keywords[ki].as_bytes();
    keywords.iter().enumerate().all(|(wi, w)| {
        let w = w.as_bytes();
        wi == ki
            || (0..o).all(|j| {
                let rest = &k[j..];
                !(rest.starts_with(w) || w.starts_with(rest))
            })
    }) && ai != ki
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
        let rule_keywords = keywords.len();
        for word in Marker::ALL
            .map(|(_, w)| w)
            .into_iter()
            .chain(ARMOUR_CARRIERS)
        {
            if !keywords.contains(&word) {
                keywords.push(word);
                keyword_rules.push(Vec::new());
            }
        }
        let carrier: Vec<bool> = keywords
            .iter()
            .enumerate()
            .map(|(ki, k)| ki >= rule_keywords && ARMOUR_CARRIERS.contains(k))
            .collect();
        let marker_bits: Vec<u32> = keywords
            .iter()
            .map(|k| {
                Marker::ALL
                    .iter()
                    .filter(|(_, w)| w == k)
                    .map(|(m, _)| m.bit())
                    .sum()
            })
            .collect();
        let (anchors, anchored) = anchors(&keywords);
        let (anchors, anchored) = keyword_order::for_prefilter(anchors, anchored);
        // Standard semantics with overlapping search would report a keyword that is a
        // substring of another twice; leftmost-longest reports each position once and lets
        // the packed (SIMD) prefilter do nearly all of the work.
        let dense_automaton = aho_corasick::dfa::DFA::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .prefilter(false)
            .build(&anchors)?;
        // The built-in set in its tuned order gets Slim Teddy whatever its size; a set
        // past the library's Teddy limit (64 strings: the built-in set and the opt-in
        // signatures/more reach 68), Teddy all the same (the library's choice of Slim or
        // Fat), where the library would drop to its DFA with a weaker prefilter: 2.4
        // times ripgrep's time on the docs tree instead of 1.3; any other set, the
        // library's own choice.
        let tuned = keyword_order::is_tuned(&anchors);
        let slim = (tuned || anchors.len() > TEDDY_LIMIT)
            .then(|| {
                aho_corasick::packed::Config::new()
                    .match_kind(aho_corasick::packed::MatchKind::LeftmostLongest)
                    .only_teddy_fat(tuned.then_some(false))
                    .heuristic_pattern_limits(false)
                    .builder()
                    .extend(&anchors)
                    .build()
            })
            .flatten();
        let clean = match slim {
            Some(slim) => CleanSearch::Slim(slim),
            None => CleanSearch::Library(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&anchors)?,
            ),
        };
        let anchor_lens: Vec<usize> = anchors.iter().map(|a| a.len()).collect();
        let prefilter: Vec<String> = anchors.iter().map(|a| a.to_string()).collect();
        let anchored_exactly: Vec<bool> = anchors
            .iter()
            .zip(&anchored)
            .map(|(a, ms)| ms.len() == 1 && ms[0].back == 0 && ms[0].len == a.len())
            .collect();
        let keyword_bytes: Vec<Box<[u8]>> = keywords.iter().map(|k| k.as_bytes().into()).collect();
        let longest_keyword = keywords.iter().map(|k| k.len()).max().unwrap_or(1);
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut group_keywords: Vec<(Vec<usize>, Option<&str>)> = Vec::new();
        for ri in 0..set.rules.len() {
            let mut kws: Vec<usize> = (0..keywords.len())
                .filter(|&ki| keyword_rules[ki].contains(&ri))
                .collect();
            kws.sort_unstable();
            let key = (kws, set.rules[ri].hit_then.as_deref());
            match group_keywords.iter().position(|g| *g == key) {
                Some(gi) => groups[gi].push(ri),
                None => {
                    group_keywords.push(key);
                    groups.push(vec![ri]);
                }
            }
        }
        let group_then: Vec<Option<HitThen>> = group_keywords
            .iter()
            .map(|(_, then)| then.and_then(|t| HitThen::parse(t).ok()))
            .collect();
        let then_reach = group_then
            .iter()
            .flatten()
            .map(|t| t.count)
            .max()
            .unwrap_or(0);
        let mut keyword_groups: Vec<Vec<usize>> = vec![Vec::new(); keywords.len()];
        for (gi, (kws, _)) in group_keywords.iter().enumerate() {
            for &ki in kws {
                keyword_groups[ki].push(gi);
            }
        }
        let rules = set
            .rules
            .iter()
            .map(|r| CompiledRule {
                rule: r.clone(),
                regex: OnceLock::new(),
                search: OnceLock::new(),
                min_window: OnceLock::new(),
                clean: OnceLock::new(),
                shape: OnceLock::new(),
                run: OnceLock::new(),
                shape_given: OnceLock::new(),
            })
            .collect();
        Ok(Scanner {
            rules,
            clean,
            dense_automaton,
            anchor_lens,
            prefilter,
            longest_keyword,
            then_reach,
            groups,
            keyword_groups,
            group_then,
            marker_bits,
            carrier,
            anchored,
            anchored_exactly,
            keyword_bytes,
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
        let ng = self.groups.len();
        scratch.covered.clear();
        scratch.covered.resize(n, 0);
        scratch.floor.clear();
        scratch.floor.resize(ng, 0);
        scratch.pending.resize_with(ng, VecDeque::new);
        for q in &mut scratch.pending {
            q.clear();
        }
        scratch.locations.resize_with(n, || None);
        scratch.rejected.clear();
        scratch.rejected.resize(n, None);
        scratch.clean.resize_with(n, Clean::default);
        for c in &mut scratch.clean {
            (c.from, c.until, c.off) = (0, 0, false);
            (c.run_from, c.run_at, c.run_limit) = (0, None, 0);
        }
        scratch.examined = 0;
        scratch.unmatched.clear();
        scratch.unmatched_of.clear();
        scratch.unmatched_of.resize(n + 1, 0);
        scratch.markers = 0;
        let mut hits = self.keyword_hits(hay);
        let mut run = Run::default();
        while let Some(hit) = hits.next_hit() {
            let (start, end) = (hit.start(), hit.end());
            let pattern = hit.pattern().as_usize();
            scratch.markers |= self.marker_bits[pattern];
            if self.carrier[pattern] {
                scratch.reject(start, ARMOUR_CARRIER);
            }
            for &gi in &self.keyword_groups[pattern] {
                if let Some(then) = &self.group_then[gi]
                    && !then.fits(hay, end)
                {
                    continue;
                }
                // Earlier hits at least NEIGHBOUR_GAP before this one: their windows end
                // here, and this one's begins after the last of them.
                while let Some(p) = scratch.pending[gi].front().copied()
                    && p.start + NEIGHBOUR_GAP <= start
                {
                    scratch.pending[gi].pop_front();
                    scratch.floor[gi] = p.end;
                    self.verify_group(gi, hay, p, start, scratch, out);
                }
                let floor = scratch.floor[gi];
                scratch.pending[gi].push_back(Pending { start, end, floor });
            }
            if !hits.dense {
                run = Run::default();
                continue;
            }
            let quiet = (out.len() - first, scratch.unmatched.len());
            let same = run.count > 0 && run.pattern == pattern && run.quiet == quiet;
            if same && run.count > 1 && start - run.last == run.period {
                run.count += 1;
            } else if same {
                (run.first, run.period, run.count) = (run.last, start - run.last, 2);
            } else {
                run = Run {
                    first: start,
                    last: start,
                    period: 0,
                    pattern,
                    count: 1,
                    quiet,
                };
            }
            run.last = start;
            if run.count >= RUN_MIN_HITS {
                let shift = self.periods_to_skip(hay, &run, end);
                if shift > 0 {
                    for &gi in &self.keyword_groups[pattern] {
                        // A group that does not count this hit (its `hit_then`) counts none
                        // of the jumped ones either (the bytes after each repeat, to well
                        // past `hit_then`'s reach): its books stay as they are.
                        if let Some(then) = &self.group_then[gi]
                            && !then.fits(hay, end)
                        {
                            continue;
                        }
                        for p in scratch.pending[gi].iter_mut() {
                            (p.start, p.end, p.floor) =
                                (p.start + shift, p.end + shift, p.floor + shift);
                        }
                        scratch.floor[gi] += shift;
                    }
                    hits.pos = end + shift;
                    run.last = start + shift;
                }
                run.first = run.last;
                run.count = 1;
            }
        }
        for gi in 0..ng {
            while let Some(p) = scratch.pending[gi].pop_front() {
                self.verify_group(gi, hay, p, hay.len(), scratch, out);
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

    /// How far (a whole number of periods) the scan can jump from the hit ending at `end`,
    /// the last of `run`: the bytes repeat with the run's period from its first hit on to
    /// the end of the stretch found here, so every hit up to that far repeats the hit one
    /// period before it — same bytes, same distances to its neighbours and its floor —
    /// and, as the run's hits did (nothing found, nothing added to `unmatched`), each
    /// group would reject it again with nothing changed: its pending hits and floor move by
    /// the jump and the scan goes on from there. The verifications a jump leaves out read
    /// at most one byte past the hit that bounds them, and finding the next hit reads at
    /// most a period and a keyword ahead: the jump stops that far before the stretch ends.
    fn periods_to_skip(&self, hay: &[u8], run: &Run, end: usize) -> usize {
        let d = run.period;
        if d == 0 {
            return 0;
        }
        // The first byte from `run.first + d` on that differs from the one a period back.
        let mut at = run.first + d;
        const CHUNK: usize = 4096;
        while at < hay.len() {
            let n = CHUNK.min(hay.len() - at);
            if hay[at..at + n] != hay[at - d..at - d + n] {
                at += (0..n)
                    .find(|&i| hay[at + i] != hay[at - d + i])
                    .unwrap_or(n);
                break;
            }
            at += n;
        }
        let stretch_end = at.min(hay.len());
        // A hit's `hit_then` reads that far past it: the jumped hits' must repeat too.
        let margin = 2 * d + self.longest_keyword + self.then_reach + 2;
        let room = stretch_end.saturating_sub(end + margin);
        room / d * d
    }

    /// The leftmost-longest anchor match that lies wholly in `hay[from..to]`, as
    /// `AhoCorasick::find` gives it, found by walking the DFA's transitions here: in
    /// keyword-dense text (a hit every few bytes) the library's set-up for each search was
    /// a third of the time a hit cost.
    #[inline]
    fn dense_find(&self, hay: &[u8], from: usize, to: usize) -> Option<aho_corasick::Match> {
        use aho_corasick::Anchored;
        use aho_corasick::automaton::Automaton;
        let dfa = &self.dense_automaton;
        let mut sid = dfa.start_state(Anchored::No).ok()?;
        let mut last = None;
        for (i, &b) in hay[from..to].iter().enumerate() {
            sid = dfa.next_state(Anchored::No, sid, b);
            if dfa.is_special(sid) {
                if dfa.is_dead(sid) {
                    break;
                }
                if dfa.is_match(sid) {
                    let pattern = dfa.match_pattern(sid, 0);
                    let end = from + i + 1;
                    last = Some(aho_corasick::Match::new(
                        pattern,
                        end - self.anchor_lens[pattern.as_usize()]..end,
                    ));
                }
            }
        }
        last
    }

    /// The keyword that an anchor's match `m` (in a search that started at `from`) stands
    /// for: the leftmost, then longest, of its keywords that `hay` holds there.
    #[inline]
    fn keyword_at(
        &self,
        hay: &[u8],
        from: usize,
        m: aho_corasick::Match,
    ) -> Option<aho_corasick::Match> {
        let ai = m.pattern().as_usize();
        if self.anchored_exactly[ai] {
            let ki = self.anchored[ai][0].ki;
            return Some(aho_corasick::Match::must(ki, m.span()));
        }
        self.anchored[ai].iter().find_map(|k| {
            let start = m.start().checked_sub(k.back)?;
            (start >= from && hay[start..].starts_with(&self.keyword_bytes[k.ki]))
                .then(|| aho_corasick::Match::must(k.ki, start..start + k.len))
        })
    }

    /// Whether the keyword search runs on the tuned Slim Teddy (see [`CleanSearch`]).
    pub fn slim_prefilter(&self) -> bool {
        matches!(self.clean, CleanSearch::Slim(_))
    }

    /// How many strings the keyword automaton's prefilter looks for (anchors and
    /// markers included).
    #[doc(hidden)]
    pub fn prefilter_strings(&self) -> usize {
        self.prefilter.len()
    }

    /// The strings the keyword automaton's prefilter looks for, in the order it was given
    /// them.
    #[doc(hidden)]
    pub fn prefilter(&self) -> &[String] {
        &self.prefilter
    }

    /// An automaton over the keywords themselves (no anchors): what the scan's hits
    /// must equal.
    #[cfg(test)]
    fn keyword_automaton(&self) -> AhoCorasick {
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&self.keyword_bytes)
            .unwrap()
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

    /// Verifies one hit for each rule of group `gi`, its window reaching at most from the
    /// hit's floor to `bound`.
    fn verify_group(
        &self,
        gi: usize,
        hay: &[u8],
        p: Pending,
        bound: usize,
        scratch: &mut Scratch,
        out: &mut Vec<Match>,
    ) {
        for &ri in &self.groups[gi] {
            self.verify_hit(ri, hay, p.start..p.end, p.floor..bound, scratch, out);
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
        let Some(re) = rule.search_regex() else {
            return;
        };
        let window = self.window(ri, hay, &hit, &bounds);
        if window.len() < rule.min_window() {
            return;
        }
        let seen = window.start.saturating_sub(1)..window.end.saturating_add(1).min(hay.len());
        let here = Rejected {
            window: window.start - seen.start..window.end - seen.start,
            hit: hit.start - seen.start..hit.end - seen.start,
            seen,
        };
        if let Some(last) = &scratch.rejected[ri]
            && last.window == here.window
            && last.hit == here.hit
            && same_bytes(&hay[last.seen.clone()], &hay[here.seen.clone()])
        {
            return;
        }
        let hit_start = hit.start;
        if !self.may_match(ri, hay, &window, scratch) {
            // Rejected unseen: the decoding layer may still find a carrier here.
            scratch.reject(hit_start, ri);
            return;
        }
        let locs = scratch.locations[ri].get_or_insert_with(|| re.capture_locations());
        match self.verify(ri, re, hay, hit, window, locs, &mut scratch.examined) {
            Some(m) => {
                scratch.covered[ri] = m.span.end;
                out.push(m);
            }
            None => {
                scratch.rejected[ri] = Some(here);
                scratch.reject(hit_start, ri);
            }
        }
    }

    /// False when rule `ri` cannot match in `window`: every match of its pattern with the
    /// look-arounds erased (a superset of what its regex can find in any window, on the
    /// same bytes) that starts in the window ends past it. One earliest-match search of
    /// that pattern, from the window's start and at most [`CLEAN_LOOKAHEAD`] past its end,
    /// answers for every later window that ends before the match it found (or before the
    /// end of what it searched): in keyword-dense text with no secret (placeholder key
    /// ids, each window different) the secret-before-id rule makes one pass over the
    /// stretch instead of a search of its ~60-byte window per hit.
    ///
    /// Before the DFA, the same for the run of one class that every match of the rule
    /// holds (see [`ClassRun`]), which is cheaper to look for: a window without one is
    /// answered without the DFA.
    fn may_match(
        &self,
        ri: usize,
        hay: &[u8],
        window: &Range<usize>,
        scratch: &mut Scratch,
    ) -> bool {
        let Some(dfa) = self.rules[ri].clean() else {
            return true;
        };
        let c = &scratch.clean[ri];
        if !c.off && window.start >= c.from && window.end < c.until {
            return false;
        }
        if let Some(run) = self.rules[ri].run()
            && !self.holds_run(run, ri, hay, window, scratch)
        {
            return false;
        }
        let c = &mut scratch.clean[ri];
        if c.off {
            return true;
        }
        let cache = c.cache.get_or_insert_with(|| dfa.create_cache());
        let limit = window.end.saturating_add(CLEAN_LOOKAHEAD).min(hay.len());
        let input = regex_automata::Input::new(hay)
            .range(window.start..limit)
            .earliest(true);
        match dfa.try_search_fwd(cache, &input) {
            Ok(found) => {
                // No match ends at or before `limit` unless the search found one.
                let until = found.map_or(limit + 1, |m| m.offset());
                scratch.examined += until.min(limit) - window.start;
                c.from = window.start;
                c.until = until;
                window.end >= until
            }
            Err(_) => {
                c.off = true;
                true
            }
        }
    }

    /// Whether `window` holds a whole `run` of rule `ri`. One look, from the window's start
    /// to at most [`CLEAN_LOOKAHEAD`] past its end, answers for every later window that
    /// starts no later than the run it found (or that ends by where it looked).
    fn holds_run(
        &self,
        run: &ClassRun,
        ri: usize,
        hay: &[u8],
        window: &Range<usize>,
        scratch: &mut Scratch,
    ) -> bool {
        let c = &mut scratch.clean[ri];
        let known = window.start >= c.run_from
            && match c.run_at {
                Some(at) => window.start <= at,
                None => window.end <= c.run_limit,
            };
        if !known {
            let limit = window.end.saturating_add(CLEAN_LOOKAHEAD).min(hay.len());
            c.run_from = window.start;
            c.run_at = run.find(hay, window.start, limit);
            c.run_limit = limit;
            scratch.examined += c.run_at.map_or(limit, |at| at + run.len) - window.start;
        }
        c.run_at.is_some_and(|at| at + run.len <= window.end)
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
        if let Some(shape) = rule.shape() {
            // What the anchored regex's one attempt would find (a retry starts past `\A`).
            *examined += window.len();
            let fits = if rule.shape_given() {
                window.len() >= shape.len
            } else {
                shape.fits(window)
            };
            if !fits || shape.len < he {
                return None;
            }
            let m = Match {
                rule: ri,
                span: win_start..win_start + shape.len,
                secret: win_start + shape.secret.start..win_start + shape.secret.end,
                example: false,
            };
            return match self.check(&rule.rule, hay, &m) {
                Verdict::Accept => Some(m),
                Verdict::Example if self.options.include_examples => {
                    Some(Match { example: true, ..m })
                }
                Verdict::Example | Verdict::Reject => None,
            };
        }
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

/// `a == b`, its first and last eight bytes compared in registers before the rest: in
/// keyword-dense text whose windows all differ (placeholder key ids), every window is held
/// against the last rejected one, and they differ near an end.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let ends = |x: &[u8]| -> Option<(u64, u64)> {
        let head = x.first_chunk::<8>()?;
        let tail = x.last_chunk::<8>()?;
        Some((u64::from_ne_bytes(*head), u64::from_ne_bytes(*tail)))
    };
    a.len() == b.len() && (ends(a).is_none() || ends(a) == ends(b)) && a == b
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
            let (found, end) = if self.dense {
                let end = len.min(self.pos.saturating_add(DENSE_SPAN));
                (self.scanner.dense_find(self.hay, self.pos, end), end)
            } else {
                let found = match &self.scanner.clean {
                    CleanSearch::Slim(p) => p
                        .find_in(self.hay, aho_corasick::Span::from(self.pos..len))
                        .map(|m| aho_corasick::Match::new(m.pattern(), m.start()..m.end())),
                    CleanSearch::Library(a) => {
                        let input = aho_corasick::Input::new(self.hay).span(self.pos..len);
                        a.find(input)
                    }
                };
                (found, len)
            };
            match found {
                Some(m) => {
                    let Some(m) = self.scanner.keyword_at(self.hay, self.pos, m) else {
                        // An anchor with none of its keywords after it: the search goes
                        // on from the next byte, as it would have without the anchor.
                        self.pos = m.start() + 1;
                        continue;
                    };
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

    /// The key-id rule has a shape, and on windows made of its own bytes the shape agrees
    /// with the anchored regex it stands for (same match, same capture); rules whose
    /// matches vary in length have none.
    #[test]
    fn a_shape_finds_what_its_anchored_regex_finds() {
        let rules = crate::rules::RuleSet::builtin().unwrap();
        let scanner = Scanner::new(&rules, ScanOptions::default()).unwrap();
        let rule = |id: &str| scanner.rules.iter().find(|r| r.rule.id == id).unwrap();
        assert!(rule("aws-secret-key-after-id").shape().is_none());
        assert!(rule("aws-secret-key-before-id").shape().is_none());
        let key_id = rule("aws-access-key-id");
        let shape = key_id.shape().expect("the key-id rule has a fixed shape");
        assert_eq!((shape.len, shape.secret.clone()), (20, 0..20));
        let re = key_id.search_regex().unwrap();
        let alphabet = b"AKISBCZ27189a \n";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let len = (next() % 26) as usize;
            let mut w: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            if next() % 2 == 0 && len >= 4 {
                let kw: &[u8] = [&b"AKIA"[..], b"ASIA", b"ABIA", b"ACCA"][(next() % 4) as usize];
                w[..4].copy_from_slice(kw);
                for b in w.iter_mut().skip(4) {
                    if next() % 8 != 0 {
                        *b = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[(next() % 32) as usize];
                    }
                }
            }
            let mut locs = re.capture_locations();
            let by_regex = re
                .captures_read_at(&mut locs, &w, 0)
                .map(|m| (m.range(), locs.get(1).unwrap()));
            let by_shape = shape
                .fits(&w)
                .then_some((0..shape.len, (shape.secret.start, shape.secret.end)));
            assert_eq!(by_regex, by_shape, "{:?}", String::from_utf8_lossy(&w));
        }
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

    /// A fragment of a key id's prefix (no id after it) is no hit for the AWS rules
    /// (`hit_then`): it neither costs their verification nor bounds the window of the real
    /// id after it, so a secret before both is still paired with the id.
    #[test]
    fn a_key_id_fragment_does_not_part_a_secret_from_its_id() {
        let rules = crate::rules::RuleSet::builtin().unwrap();
        let scanner = Scanner::new(&rules, ScanOptions::default()).unwrap();
        // The fragment stands more than NEIGHBOUR_GAP before the id: were it a hit, the
        // id's window would start after it.
        let hay = b"secret 3RxxWBtSS9Z4xxIahZ291TtLuIoPeDIEn8WHhXMf AKIA=\n\
            the id of the key above, which is the one in use:\n\
            id AKIAJ2FAN53GZUWG6CJZ\n";
        let mut out = Vec::new();
        scanner.scan(hay, &mut Scratch::new(), &mut out);
        let secrets: Vec<&[u8]> = out.iter().map(|m| &hay[m.secret.clone()]).collect();
        assert!(
            secrets.contains(&&b"3RxxWBtSS9Z4xxIahZ291TtLuIoPeDIEn8WHhXMf"[..]),
            "{secrets:?}"
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
            // Anchors with none of their keywords after them, or with another keyword
            // starting inside the anchor.
            hay.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n-----BEGIN-----BEGIN EC");
            hay.extend_from_slice(b" PRIVATE KEY\n-----BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\n");
            hay.extend_from_slice(b"------BEGIN RSA PRIVATE KEY-----\n-----BEGIN PRIVATE KE\n");
            hay.resize(hay.len() + 3 * DENSE_SPAN, b'.');
            hay.extend(b"ASIA\n".repeat(2000));
            hay.extend_from_slice(b"aws_secret_key");
            // Keywords found through another inside them, or through a shared prefix; and
            // the inner keyword where the longer one starts inside an earlier match.
            hay.extend_from_slice(b"\nAGE-SECRET-KEY-1 ACCAGE-SECRET-KEY-1 AGE-SECRET-KEY-");
            hay.extend_from_slice(b"\nType: AWS::EC2::SecurityGroup AWS::EC2::Security");
            hay.extend_from_slice(b"\naws_session_token SessionToken expression essionToke");
            let (got, want) = hits_and_plain(&scanner, &scanner.keyword_automaton(), &hay);
            assert_eq!(got.len(), want.len(), "shift {shift}");
            assert!(got == want, "shift {shift}");
        }
    }

    type Hits = Vec<(aho_corasick::PatternID, aho_corasick::Span)>;

    /// The scan's keyword hits in `hay`, and a plain search's with `automaton`.
    fn hits_and_plain(scanner: &Scanner, automaton: &AhoCorasick, hay: &[u8]) -> (Hits, Hits) {
        let want = automaton
            .find_iter(hay)
            .map(|m| (m.pattern(), m.span()))
            .collect();
        let mut got = Vec::new();
        let mut hits = scanner.keyword_hits(hay);
        while let Some(m) = hits.next_hit() {
            got.push((m.pattern(), m.span()));
        }
        (got, want)
    }

    /// The tuned Slim Teddy (searched directly) finds what the keyword automaton finds:
    /// random haystacks of every anchor and keyword, whole, cut short or overlapping,
    /// among random bytes, from a few bytes long (under Teddy's minimum, where the
    /// library searches another way) to a few KiB.
    #[test]
    fn the_slim_prefilter_finds_what_the_automaton_finds() {
        let rules = crate::rules::RuleSet::builtin().unwrap();
        the_packed_search_finds_what_the_automaton_finds(&rules);
    }

    /// The built-in rules and the opt-in ones (`signatures/more`): more strings than the
    /// library gives Teddy, searched with packed Teddy all the same.
    #[test]
    fn the_packed_search_past_the_teddy_limit_finds_what_the_automaton_finds() {
        let more = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("signatures/more");
        let rules = crate::rules::RuleSet::load(&[more]).unwrap();
        let scanner = Scanner::new(&rules, ScanOptions::default()).unwrap();
        assert!(scanner.prefilter_strings() > TEDDY_LIMIT);
        assert!(scanner.slim_prefilter());
        the_packed_search_finds_what_the_automaton_finds(&rules);
    }

    fn the_packed_search_finds_what_the_automaton_finds(rules: &crate::rules::RuleSet) {
        let scanner = Scanner::new(rules, ScanOptions::default()).unwrap();
        let mut words: Vec<Vec<u8>> = scanner
            .prefilter
            .iter()
            .map(|a| a.as_bytes().to_vec())
            .collect();
        words.extend(scanner.keyword_bytes.iter().map(|k| k.to_vec()));
        let mut rng = Rng(0x5eed_0f7e_dd01);
        let filler = b"abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ_-.=0123456789\n";
        let automaton = scanner.keyword_automaton();
        for round in 0..3000 {
            let target = [3, 9, 17, 40, 100, 700, 4000][round % 7];
            let mut hay = Vec::new();
            while hay.len() < target {
                match rng.below(4) {
                    0 | 1 => {
                        let w = &words[rng.below(words.len())];
                        let cut = if rng.below(3) == 0 {
                            rng.below(w.len()) + 1
                        } else {
                            w.len()
                        };
                        hay.extend_from_slice(&w[..cut]);
                    }
                    _ => {
                        for _ in 0..rng.below(12) {
                            hay.push(filler[rng.below(filler.len())]);
                        }
                    }
                }
            }
            let (got, want) = hits_and_plain(&scanner, &automaton, &hay);
            assert!(
                got == want,
                "round {round}: {:?}",
                String::from_utf8_lossy(&hay)
            );
        }
    }

    /// Keywords share prefilter strings: inside another keyword, or by a shared prefix.
    #[test]
    fn keywords_are_found_through_shared_anchors() {
        let kws = [
            "ECRET",
            "AGE-SECRET-KEY-1",
            "ecurity",
            "AWS::EC2::SecurityGroup",
            "ession_token",
            "essionToken",
            "-----BEGIN RSA PRIVATE KEY",
            "-----BEGIN PRIVATE KEY",
            "-----BEGIN+",
            "AKIA",
        ];
        let (anchors, members) = anchors(&kws);
        assert_eq!(
            anchors,
            ["ECRET", "ecurity", "ession", "-----BEGIN", "AKIA"]
        );
        let found = |a: &str| -> Vec<(&str, usize)> {
            let ai = anchors.iter().position(|x| *x == a).unwrap();
            members[ai].iter().map(|m| (kws[m.ki], m.back)).collect()
        };
        assert_eq!(found("ECRET"), [("AGE-SECRET-KEY-1", 5), ("ECRET", 0)]);
        assert_eq!(
            found("ecurity"),
            [("AWS::EC2::SecurityGroup", 11), ("ecurity", 0)]
        );
        assert_eq!(found("ession"), [("ession_token", 0), ("essionToken", 0)]);
        // Not where another keyword could start before the inner one: `AKIA` may start
        // at `ACCAKIA…`'s fourth byte.
        let kws = ["AKIA", "ACCA", "ACCAKIA-X"];
        assert_eq!(super::anchors(&kws).0, ["AKIA", "ACCA", "ACCAKIA-X"]);
        // Nor where another keyword (`ECRET-KEY`) may start in the longer one before the
        // inner one (`CRET`).
        let kws = ["CRET", "ECRET-KEY", "AGE-SECRET-KEY-1"];
        assert_eq!(super::anchors(&kws).0, ["CRET", "AGE-SECRET-KEY-1"]);
    }

    /// The scan as it was before keyword groups (commit d5d07b6): per rule, every hit
    /// bookkept and verified with the rule's own regex, unanchored, with only the
    /// repeated-window memo to spare work. The optimised scan must find exactly what it
    /// finds.
    fn reference_scan(scanner: &Scanner, hay: &[u8]) -> Vec<Match> {
        let n = scanner.rules.len();
        let mut keyword_rules: Vec<Vec<usize>> = vec![Vec::new(); scanner.keyword_groups.len()];
        for (ki, groups) in scanner.keyword_groups.iter().enumerate() {
            for &gi in groups {
                keyword_rules[ki].extend_from_slice(&scanner.groups[gi]);
            }
            keyword_rules[ki].sort_unstable();
        }
        let mut covered = vec![0; n];
        let mut pending: Vec<VecDeque<(Range<usize>, usize)>> = vec![VecDeque::new(); n];
        let mut recent: Vec<VecDeque<Range<usize>>> = vec![VecDeque::new(); n];
        let mut floor = vec![0; n];
        // (seen, window, hit) of each rule's last rejected hit, as `Rejected` holds them.
        type Seen = (Range<usize>, Range<usize>, Range<usize>);
        let mut rejected: Vec<Option<Seen>> = vec![None; n];
        let mut out = Vec::new();
        let mut verify_hit =
            |ri: usize, hit: Range<usize>, bounds: Range<usize>, out: &mut Vec<Match>| {
                if hit.start < covered[ri] {
                    return;
                }
                let Some(re) = scanner.rules[ri].regex() else {
                    return;
                };
                let window = scanner.window(ri, hay, &hit, &bounds);
                let seen = window.start.saturating_sub(1)..(window.end + 1).min(hay.len());
                let here = (
                    seen.clone(),
                    window.start - seen.start..window.end - seen.start,
                    hit.start - seen.start..hit.end - seen.start,
                );
                if let Some(last) = &rejected[ri]
                    && last.1 == here.1
                    && last.2 == here.2
                    && hay[last.0.clone()] == hay[here.0.clone()]
                {
                    return;
                }
                let mut locs = re.capture_locations();
                match scanner.verify(ri, re, hay, hit, window, &mut locs, &mut 0) {
                    Some(m) => {
                        covered[ri] = m.span.end;
                        out.push(m);
                    }
                    None => rejected[ri] = Some(here),
                }
            };
        for hit in scanner.keyword_automaton().find_iter(hay) {
            for &ri in &keyword_rules[hit.pattern().as_usize()] {
                if let Some(then) = &scanner.rules[ri].rule.hit_then
                    && !HitThen::parse(then).unwrap().fits(hay, hit.end())
                {
                    continue;
                }
                while let Some((p, _)) = pending[ri].front()
                    && p.start + NEIGHBOUR_GAP <= hit.start()
                {
                    let (p, fl) = pending[ri].pop_front().unwrap();
                    verify_hit(ri, p, fl..hit.start(), &mut out);
                }
                while let Some(r) = recent[ri].front()
                    && r.start + NEIGHBOUR_GAP <= hit.start()
                {
                    floor[ri] = r.end;
                    recent[ri].pop_front();
                }
                recent[ri].push_back(hit.start()..hit.end());
                pending[ri].push_back((hit.start()..hit.end(), floor[ri]));
            }
        }
        for (ri, queue) in pending.iter_mut().enumerate() {
            while let Some((p, fl)) = queue.pop_front() {
                verify_hit(ri, p, fl..hay.len(), &mut out);
            }
        }
        out.sort_by_key(|m| (m.secret.start, m.rule));
        out.dedup_by(|later, kept| {
            later.secret == kept.secret
                && scanner.rules[later.rule].rule.category == scanner.rules[kept.rule].rule.category
        });
        out
    }

    /// A small xorshift generator: the same inputs on every run, no dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Keyword-dense haystacks: keywords of every rule, key ids, placeholder ids, secrets,
    /// labels and whole keys, glued with separators or none, in random order. Every
    /// shortcut of the scan (keyword groups, short windows, anchored searches, memos) is
    /// exercised on them; a match it lost or added shows as a difference from
    /// [`reference_scan`].
    fn dense_haystack(rng: &mut Rng, size: usize) -> Vec<u8> {
        // Generated at random for keysweep; none is a real credential.
        let key = include_str!("../../tests/fixtures/keys/openssh_ed25519");
        let rsa = include_str!("../../tests/fixtures/keys/pem_rsa");
        let ppk = include_str!("../../tests/fixtures/keys/ppk_v3_ed25519.ppk");
        let pieces: &[&[u8]] = &[
            b"AKIA",
            b"ASIA",
            b"ABIA",
            b"ACCA",
            b"AKIAJ2FAN53GZUWG6CJZ",
            b"ASIAP3HV3UV2JGN4CXVM",
            b"AKIAIOSFODNN7EXAMPLE",
            b"AKIAXXXXXXXXXXXXXXXX",
            b"AKIAABCDEABCDEABCDEA",
            b"3RxxWBtSS9Z4xxIahZ291TtLuIoPeDIEn8WHhXMf",
            b"jk6uqSSncBOlUGqC4+PfYsIlJbjOoz5kot30oHOJ",
            b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            b"3f786850e387550fdab836ed7e6dc881de23001b",
            b"aws_secret_access_key = ",
            b"aws_session_token = ",
            b"-----BEGIN RSA PRIVATE KEY-----\n",
            b"-----BEGIN OPENSSH PRIVATE KEY-----\n",
            b"-----END RSA PRIVATE KEY-----\n",
            b"LS0tLS1CRUdJTiBPUEVOU1NIIFBSSVZBVEUgS0VZLS0tLS0K",
            b"PuTTY-User-Key-File-3: ",
            key.as_bytes(),
            rsa.as_bytes(),
            ppk.as_bytes(),
            b"\n",
            b" ",
            b"\"",
            b"=",
            b":",
            b"MIIEowIBAAKCAQEA",
        ];
        let mut out = Vec::with_capacity(size + 4096);
        while out.len() < size {
            match rng.below(8) {
                0 => {
                    let n = rng.below(64);
                    let alphabet =
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
                    out.extend((0..n).map(|_| alphabet[rng.below(alphabet.len())]));
                }
                1 => {
                    // A run of one piece: the repeated shapes of the dense benchmarks.
                    let p = pieces[rng.below(pieces.len())];
                    let times = 1 + rng.below(200);
                    for _ in 0..times {
                        out.extend_from_slice(p);
                    }
                }
                _ => out.extend_from_slice(pieces[rng.below(pieces.len())]),
            }
        }
        out
    }

    #[test]
    fn the_scan_finds_what_the_reference_scan_finds_on_dense_input() {
        let rules = crate::rules::RuleSet::builtin().unwrap();
        for include_examples in [false, true] {
            let scanner = Scanner::new(&rules, ScanOptions { include_examples }).unwrap();
            let mut scratch = Scratch::new();
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
            let mut found = 0;
            for round in 0..300 {
                let size = 1 + rng.below(1 << 14);
                let hay = dense_haystack(&mut rng, size);
                let want = reference_scan(&scanner, &hay);
                let mut got = Vec::new();
                scanner.scan(&hay, &mut scratch, &mut got);
                assert!(got == want, "round {round}: {got:?}\n!=\n{want:?}");
                found += want.len();
            }
            // The inputs must hold matches, or the comparison proves little.
            assert!(found > 300, "only {found} matches in all");
        }
    }

    /// Long runs of one repeated unit (what the scan jumps over, see
    /// [`Scanner::periods_to_skip`]) with a real secret, a key or a broken unit put in at
    /// random places, before, inside and after the runs: the same matches as the
    /// reference, which has no jumps.
    #[test]
    fn periodic_runs_with_findings_inside_find_what_the_reference_finds() {
        let rules = crate::rules::RuleSet::builtin().unwrap();
        let scanner = Scanner::new(&rules, ScanOptions::default()).unwrap();
        let mut scratch = Scratch::new();
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        // Generated at random for keysweep; none is a real credential.
        let key = include_str!("../../tests/fixtures/keys/openssh_ed25519");
        let units: &[&[u8]] = &[
            b"AKIA",
            b"AKIA\n",
            b"AKIAA",
            b"ASIA ",
            b"AKIAXXXXXXXXXXXXXXXX ",
            b"AKIAJ2FAN53GZUWG6CJ",
            b"-----BEGIN RSA PRIVATE KEY-----\n",
            b"-----BEGIN OPENSSH PRIVATE KEY-----\n",
            b"aws_secret_access_key = AKIA",
        ];
        let inserts: &[&[u8]] = &[
            b"AKIAJ2FAN53GZUWG6CJZ 3RxxWBtSS9Z4xxIahZ291TtLuIoPeDIEn8WHhXMf ",
            b"3RxxWBtSS9Z4xxIahZ291TtLuIoPeDIEn8WHhXMf",
            b"ASIAP3HV3UV2JGN4CXVM",
            b"aws_secret_access_key = jk6uqSSncBOlUGqC4+PfYsIlJbjOoz5kot30oHOJ\n",
            key.as_bytes(),
            b"X",
            b"\n",
        ];
        let mut found = 0;
        for round in 0..120 {
            let unit = units[rng.below(units.len())];
            let mut hay = Vec::new();
            for _ in 0..1 + rng.below(3) {
                let times = 300 + rng.below(3000);
                let mut run: Vec<u8> = unit
                    .iter()
                    .copied()
                    .cycle()
                    .take(unit.len() * times)
                    .collect();
                for _ in 0..rng.below(4) {
                    let at = rng.below(run.len() + 1);
                    let piece = inserts[rng.below(inserts.len())];
                    run.splice(at..at, piece.iter().copied());
                }
                hay.extend_from_slice(&run);
            }
            let want = reference_scan(&scanner, &hay);
            let mut got = Vec::new();
            scanner.scan(&hay, &mut scratch, &mut got);
            assert!(got == want, "round {round}: {got:?}\n!=\n{want:?}");
            found += want.len();
        }
        assert!(found > 40, "only {found} matches in all");
    }

    /// The benchmark shapes themselves, whole: the same matches (none) as the reference.
    #[test]
    fn the_scan_finds_what_the_reference_scan_finds_on_the_benchmark_shapes() {
        let rules = crate::rules::RuleSet::builtin().unwrap();
        let scanner = Scanner::new(&rules, ScanOptions::default()).unwrap();
        let size = 1 << 18;
        let repeat = |unit: &[u8]| -> Vec<u8> { unit.iter().copied().cycle().take(size).collect() };
        let numbered = |f: &dyn Fn(usize) -> String| -> Vec<u8> {
            let mut out = Vec::new();
            let mut i = 0;
            while out.len() < size {
                out.extend_from_slice(f(i).as_bytes());
                i += 1;
            }
            out
        };
        let five = |mut i: usize| -> String {
            (0..16)
                .map(|_| {
                    let c = char::from(b"ABCDE"[i % 5]);
                    i /= 5;
                    c
                })
                .collect()
        };
        // Generated at random for keysweep; not a real credential.
        let pair = b"AKIAJ2FAN53GZUWG6CJZ 3RxxWBtSS9Z4xxIahZ291TtLuIoPeDIEn8WHhXMf ";
        let shapes = [
            repeat(b"AKIA"),
            repeat(b"AKIA\n"),
            repeat(b"-----BEGIN RSA PRIVATE KEY-----\n"),
            numbered(&|i| format!("-----BEGIN RSA PRIVATE KEY-----\n{i:x}\n")),
            numbered(&|i| format!("AKIA{} ", five(i))),
            numbered(&|i| {
                if i % 1000 == 999 {
                    String::from_utf8(pair.to_vec()).unwrap()
                } else {
                    format!("AKIA{} ", five(i))
                }
            }),
        ];
        let mut scratch = Scratch::new();
        for (i, hay) in shapes.iter().enumerate() {
            let want = reference_scan(&scanner, hay);
            let mut got = Vec::new();
            scanner.scan(hay, &mut scratch, &mut got);
            assert!(got == want, "shape {i}: {} != {}", got.len(), want.len());
        }
    }

    #[test]
    fn the_key_id_shape_is_given_by_its_keyword_and_hit_then() {
        let rules = crate::rules::RuleSet::builtin().unwrap();
        let scanner = Scanner::new(&rules, ScanOptions::default()).unwrap();
        let rule = |id: &str| scanner.rules.iter().find(|r| r.rule.id == id).unwrap();
        let key_id = rule("aws-access-key-id");
        assert!(key_id.shape_given());
        let shape = key_id.shape().unwrap();
        let then = HitThen::parse(key_id.rule.hit_then.as_deref().unwrap()).unwrap();
        // What `given_by` promises: a keyword and sixteen bytes `then` accepts fit.
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut given = 0;
        for _ in 0..20_000 {
            let mut w = key_id.rule.keywords[rng.below(4)].as_bytes().to_vec();
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ2345670189az-";
            w.extend((0..16 + rng.below(4)).map(|_| alphabet[rng.below(alphabet.len())]));
            if then.fits(&w, 4) {
                given += 1;
                assert!(shape.fits(&w), "{:?}", String::from_utf8_lossy(&w));
            }
        }
        assert!(given > 300);
        // Not given: a keyword the shape does not start with, a tail longer than `then`
        // reads, a class wider than `then`'s.
        let other = |keywords: &[&str], then: &str| {
            shape.given_by(
                &keywords.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
                &HitThen::parse(then).unwrap(),
            )
        };
        assert!(other(&["AKIA", "ACCA"], "[A-Z2-7]{16}"));
        assert!(!other(&["AKIA", "AIDA"], "[A-Z2-7]{16}"));
        assert!(!other(&["AKIA"], "[A-Z2-7]{15}"));
        assert!(!other(&["AKIA"], "[A-Z0-9]{16}"));
        assert!(!other(&["AKI"], "[A-Z2-7]{16}"));
        assert!(!other(&[], "[A-Z2-7]{16}"));
        // The pairing rules have no shape to be given.
        assert!(!rule("aws-secret-key-after-id").shape_given());
    }

    #[test]
    fn a_class_run_is_the_first_whole_run_a_plain_search_finds() {
        let rules = crate::rules::RuleSet::builtin().unwrap();
        let scanner = Scanner::new(&rules, ScanOptions::default()).unwrap();
        let before = scanner
            .rules
            .iter()
            .find(|r| r.rule.id == "aws-secret-key-before-id")
            .unwrap();
        let run = before.run().expect("the secret before its id");
        assert_eq!(run.len, 40);
        let with_newline = ClassRun::of(&parse_pattern(r"x[A-Za-z\n]{20}").unwrap()).unwrap();
        assert_eq!(with_newline.len, 20);
        assert!(ClassRun::of(&parse_pattern(r"x[A-Z]{15}|y[A-Z]{30}").unwrap()).is_none());
        assert!(ClassRun::of(&parse_pattern(r"x(?:[A-Z]{30})?").unwrap()).is_none());
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for r in [run, &with_newline] {
            for _ in 0..3_000 {
                let alphabet = b"aZ09/+\n -=";
                let len = rng.below(200);
                let mut hay: Vec<u8> = (0..len).map(|_| alphabet[rng.below(4)]).collect();
                for _ in 0..rng.below(6) {
                    if len > 0 {
                        hay[rng.below(len)] = alphabet[rng.below(alphabet.len())];
                    }
                }
                let from = rng.below(len + 1);
                let limit = from + rng.below(len + 1 - from);
                let plain = (from..limit.saturating_sub(r.len - 1))
                    .find(|&at| hay[at..at + r.len].iter().all(|&b| r.class[usize::from(b)]));
                assert_eq!(
                    r.find(&hay, from, limit),
                    plain,
                    "{:?}",
                    String::from_utf8_lossy(&hay)
                );
            }
        }
    }

    #[test]
    fn entropy_of_uniform_and_constant() {
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
    }
}
