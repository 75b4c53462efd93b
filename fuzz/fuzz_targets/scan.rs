//! The whole scan of one byte buffer, as `keysweep scan` runs it on a file's contents: the
//! keyword automaton, every rule's window, regex and validator, then the enrichment of each
//! match (key parsing, AWS pairing). Garbage must never panic, and no input may cost more
//! than linear work: the bytes the rules' regexes examine are checked against a bound that
//! keyword-dense input used to exceed by hundreds of times (issue 14).
//!
//! Run with `cargo +nightly fuzz run scan`; seed it with keyword-dense inputs (BEGIN lines,
//! their base64, `AKIA` runs) for the linear-work check to bite.

#![no_main]

use std::sync::OnceLock;

use keysweep::enrich::private_key::analyse;
use keysweep::rules::RuleSet;
use keysweep::scan::{LineCounter, ScanOptions, Scanner, Scratch};
use libfuzzer_sys::fuzz_target;

fn scanners() -> &'static [Scanner; 2] {
    static S: OnceLock<[Scanner; 2]> = OnceLock::new();
    S.get_or_init(|| {
        let rules = RuleSet::builtin().unwrap();
        [false, true].map(|include_examples| {
            Scanner::new(&rules, ScanOptions { include_examples }).unwrap()
        })
    })
}

/// The most bytes the rules' regexes may examine per input byte (plus a constant for tiny
/// inputs). The regression test in tests/integration/hostile.rs uses the same figure.
const WORK_PER_BYTE: usize = 64;

fuzz_target!(|data: &[u8]| {
    let mut scratch = Scratch::new();
    for s in scanners() {
        let mut matches = Vec::new();
        s.scan(data, &mut scratch, &mut matches);
        assert!(
            scratch.examined() <= WORK_PER_BYTE * data.len() + (1 << 20),
            "{} bytes examined for {} bytes of input",
            scratch.examined(),
            data.len()
        );
        let mut lines = LineCounter::default();
        let mut last = 0;
        for m in &matches {
            assert!(m.span.start <= m.secret.start && m.secret.end <= m.span.end);
            assert!(m.span.end <= data.len());
            assert!(m.secret.start >= last, "matches out of order");
            last = m.secret.start;
            let _ = lines.locate(data, m.secret.start);
            let _ = analyse(s.rule(m.rule).validator, &data[m.secret.clone()]);
        }
    }
});
