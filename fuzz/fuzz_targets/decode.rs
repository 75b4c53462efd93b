//! The decoding layer (issue 16) on garbage: no panic, no hang, and no blow-up. Every
//! decoder's output stays within a fixed factor of its input, the layered search tries a
//! bounded number of decodings, and the blob scanner with the layer on (the input also
//! read as UTF-16) finishes.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use keysweep::finding::Disclosure;
use keysweep::pipeline::blob::BlobScanner;
use keysweep::rules::RuleSet;
use keysweep::scan::{ScanOptions, Scanner, decode};
use libfuzzer_sys::fuzz_target;

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| Scanner::new(&RuleSet::builtin().unwrap(), ScanOptions::default()).unwrap())
}

type Decoder = fn(&[u8]) -> Option<Vec<u8>>;

fuzz_target!(|data: &[u8]| {
    let limit = data.len() * decode::MAX_GROWTH + 4096;
    let decoders: [Decoder; 8] = [
        decode::literals,
        decode::unescape,
        decode::prefixes,
        decode::entities,
        decode::percent,
        decode::base64_run,
        decode::rewrap,
        decode::base64_values,
    ];
    for d in decoders {
        if let Some(out) = d(data) {
            assert!(out.len() <= limit, "{} > {limit}", out.len());
        }
    }
    let mut calls = 0;
    let found = decode::undo(data, |d| {
        calls += 1;
        assert!(d.len() <= limit);
        false
    });
    assert!(found.is_none());
    assert!(calls <= decode::MAX_CANDIDATES);
    if let Some(big_endian) = decode::utf16(data) {
        let text = decode::transcode_utf16(data, big_endian);
        assert!(text.len() <= data.len() / 2 * 3 + 3);
    }
    let mut blobs = BlobScanner::new(scanner(), Disclosure::Redacted);
    let _ = blobs.findings(Path::new("fuzz"), data);
});
