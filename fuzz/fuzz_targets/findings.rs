//! A file's whole scan, as `keysweep scan` and `history` make it of a file's or blob's
//! bytes: the scan core, the decoding layer around every rejected hit (carriers undone
//! layer by layer, UTF-16 transcoded), key parsing, AWS pairing and every finding's facts.
//! Garbage must never panic or hang, and each finding must stay within the bytes given.
//!
//! Run with `cargo +nightly fuzz run findings`; seed it with the carrier corpus and
//! keyword-dense inputs.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use keysweep::finding::Disclosure;
use keysweep::pipeline::blob::BlobScanner;
use keysweep::rules::RuleSet;
use keysweep::scan::{ScanOptions, Scanner};
use libfuzzer_sys::fuzz_target;

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| Scanner::new(&RuleSet::builtin().unwrap(), ScanOptions::default()).unwrap())
}

fuzz_target!(|data: &[u8]| {
    let mut blobs = BlobScanner::new(scanner(), Disclosure::Redacted);
    // The path only names a finding; the root-key file name changes its grade.
    for path in ["blob", "rootkey.csv"] {
        let found = blobs.findings(Path::new(path), data);
        let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
        for f in &found {
            assert!(f.line >= 1 && f.line <= lines, "line {} of {lines}", f.line);
        }
        // A history's pass over its packs reads again only the blobs `flags` keeps: a blob
        // with a finding it let go would be a key missed.
        if !found.is_empty() {
            assert!(blobs.flags(data), "{} findings in a blob not flagged", found.len());
        }
    }
});
