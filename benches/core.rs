//! Throughput of the scan core on real source text: with no secrets (the common case: one
//! pass of the keyword automaton) and with dense hits (a key and an AWS key pair every
//! 64 KiB, so windows, regexes and validators run often). A plain `memmem` search for one
//! literal over the same bytes is the reference for "one pass over memory".
//!
//! The corpus is the Rust sources in cargo's registry (always present once the crate's
//! dependencies are fetched), files holding anything the scanner would report left out,
//! capped at 32 MiB. `KEYSWEEP_BENCH_CORPUS=DIR` scans another tree instead.

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keysweep::rules::RuleSet;
use keysweep::scan::{ScanOptions, Scanner, Scratch};

const CAP: usize = 32 << 20;

fn corpus_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("KEYSWEEP_BENCH_CORPUS") {
        return dir.into();
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    home.join("registry/src")
}

fn collect(dir: &Path, scanner: &Scanner, out: &mut Vec<u8>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    let mut scratch = Scratch::new();
    let mut matches = Vec::new();
    for p in entries {
        if out.len() >= CAP {
            return;
        }
        if p.is_dir() {
            collect(&p, scanner, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let Ok(bytes) = std::fs::read(&p) else {
                continue;
            };
            matches.clear();
            scanner.scan(&bytes, &mut scratch, &mut matches);
            if matches.is_empty() {
                out.extend_from_slice(&bytes);
            }
        }
    }
}

fn dense(clean: &[u8]) -> Vec<u8> {
    let key = include_str!("../tests/fixtures/keys/openssh_ed25519");
    // Generated at random for keysweep; not a real credential.
    let aws = "aws_access_key_id = AKIAJ2FAN53GZUWG6CJZ\naws_secret_access_key = 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\n";
    let mut out = Vec::with_capacity(clean.len() + clean.len() / 32);
    for chunk in clean.chunks(64 << 10) {
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\n");
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(aws.as_bytes());
    }
    out
}

/// `size` bytes of each keyword-dense shape: BEGIN lines, the base64 of BEGIN lines, runs
/// of `AKIA`, and placeholder key ids all different (`AKIA` and sixteen of five letters,
/// counted in base 5: each a whole id the key-id rule verifies, none a real one).
fn keyword_dense(size: usize) -> Vec<(&'static str, Vec<u8>)> {
    use base64::Engine as _;
    let repeat = |unit: &[u8]| -> Vec<u8> { unit.iter().copied().cycle().take(size).collect() };
    let rsa = repeat(b"-----BEGIN RSA PRIVATE KEY-----\n");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&rsa[..size / 4 * 3]);
    let mut ids = Vec::with_capacity(size + 32);
    for n in 0u64.. {
        if ids.len() >= size {
            break;
        }
        ids.extend_from_slice(b"AKIA");
        ids.extend((0..16).map(|d| b"ABCDE"[(n / 5u64.pow(d) % 5) as usize]));
        ids.push(b'\n');
    }
    ids.truncate(size);
    vec![
        ("akia-placeholder-ids", ids),
        ("rsa-begin-lines", rsa),
        (
            "openssh-begin-lines",
            repeat(b"-----BEGIN OPENSSH PRIVATE KEY-----\n"),
        ),
        ("base64-of-begin-lines", b64.into_bytes()),
        ("akia-run", repeat(b"AKIA")),
    ]
}

fn bench(c: &mut Criterion) {
    let rules = RuleSet::builtin().unwrap();
    let scanner = Scanner::new(&rules, ScanOptions::default()).unwrap();
    let mut clean = Vec::new();
    collect(&corpus_root(), &scanner, &mut clean);
    assert!(
        clean.len() > 1 << 20,
        "corpus too small ({} bytes): set KEYSWEEP_BENCH_CORPUS",
        clean.len()
    );
    let dense = dense(&clean);

    let mut g = c.benchmark_group("scan");
    g.sample_size(20);
    let mut scratch = Scratch::new();
    let mut matches = Vec::new();
    for (name, hay) in [("clean-source", &clean), ("dense-hits", &dense)] {
        g.throughput(Throughput::Bytes(hay.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                matches.clear();
                scanner.scan(hay, &mut scratch, &mut matches);
                matches.len()
            })
        });
    }
    g.throughput(Throughput::Bytes(clean.len() as u64));
    let finder = memchr::memmem::Finder::new(b"-----BEGIN");
    g.bench_function("reference-memmem-one-literal", |b| {
        b.iter(|| finder.find_iter(&clean).count())
    });
    g.finish();

    // Keyword-dense content (issue 14): each shape that once cost hits × window. Linear
    // now, so each should stay within a small factor of `clean-source` per byte.
    let mut g = c.benchmark_group("scan-keyword-dense");
    g.sample_size(10);
    for (name, hay) in keyword_dense(4 << 20) {
        g.throughput(Throughput::Bytes(hay.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                matches.clear();
                scanner.scan(&hay, &mut scratch, &mut matches);
                matches.len()
            })
        });
    }
    g.finish();

    // Start-up cost paid by every run: parse the built-in signatures, build the automaton.
    c.bench_function("build-scanner", |b| {
        b.iter(|| {
            let rules = RuleSet::builtin().unwrap();
            Scanner::new(&rules, ScanOptions::default()).unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
