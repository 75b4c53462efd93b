//! Garbage must never panic or hang the key parser, nor the scan core that feeds it.
//! The input is tried as each carrier the parser accepts, and as a haystack for the whole
//! scanner (whose private-key matches are then parsed, as in a real scan).

#![no_main]

use std::sync::OnceLock;

use keysweep::enrich::private_key::{analyse, parse_containers};
use keysweep::rules::{RuleSet, Validator};
use keysweep::scan::{ScanOptions, Scanner, Scratch};
use libfuzzer_sys::fuzz_target;

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| Scanner::new(&RuleSet::builtin().unwrap(), ScanOptions::default()).unwrap())
}

fuzz_target!(|data: &[u8]| {
    let _ = parse_containers(data);
    for v in [
        Validator::PemPrivateKey,
        Validator::Base64PemPrivateKey,
        Validator::PuttyPrivateKey,
    ] {
        let _ = analyse(Some(v), data);
    }
    // The same bytes behind each armour, so the parsers past the header get exercised.
    for header in [
        &b"-----BEGIN OPENSSH PRIVATE KEY-----\n"[..],
        b"-----BEGIN PRIVATE KEY-----\n",
        b"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n",
        b"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPublic-Lines: 2\n",
    ] {
        let mut framed = header.to_vec();
        framed.extend_from_slice(data);
        let _ = analyse(Some(Validator::PemPrivateKey), &framed);
        let _ = analyse(Some(Validator::PuttyPrivateKey), &framed);
    }
    let s = scanner();
    let mut matches = Vec::new();
    s.scan(data, &mut Scratch::new(), &mut matches);
    for m in matches {
        let _ = analyse(s.rule(m.rule).validator, &data[m.secret]);
    }
});
