//! For files of each size, the cost of getting the bytes and scanning them, by plain read
//! into a reused buffer (what scans do) versus by memory map (which a file truncated during
//! the scan turns into SIGBUS). Files are in the page cache (warm), as in every repeated
//! scan. Results: `benches/results/2026-12-01-read-no-mmap.md`.

use std::fs::File;
use std::io::Write;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use keysweep::rules::RuleSet;
use keysweep::scan::{ScanOptions, Scanner, Scratch};
use keysweep::source::read::read_file_with_threshold;

fn bench(c: &mut Criterion) {
    let scanner = Scanner::new(&RuleSet::builtin().unwrap(), ScanOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let text: Vec<u8> = include_bytes!("../src/scan/mod.rs")
        .iter()
        .copied()
        .cycle()
        .take(64 << 20)
        .collect();
    let mut g = c.benchmark_group("read+scan");
    g.sample_size(30);
    for size in [
        4usize << 10,
        64 << 10,
        256 << 10,
        1 << 20,
        4 << 20,
        16 << 20,
        64 << 20,
    ] {
        let path = dir.path().join(format!("f{size}"));
        File::create(&path)
            .unwrap()
            .write_all(&text[..size])
            .unwrap();
        let mut buf = Vec::new();
        let mut scratch = Scratch::new();
        let mut matches = Vec::new();
        g.throughput(Throughput::Bytes(size as u64));
        for (how, threshold) in [("read", u64::MAX), ("mmap", 0)] {
            g.bench_with_input(BenchmarkId::new(how, size), &size, |b, &size| {
                b.iter(|| {
                    // Opened per iteration, as a scan opens each file (and so that a plain
                    // read starts at offset 0).
                    let file = File::open(&path).unwrap();
                    let bytes =
                        read_file_with_threshold(&file, size as u64, u64::MAX, &mut buf, threshold)
                            .unwrap();
                    matches.clear();
                    scanner.scan(&bytes, &mut scratch, &mut matches);
                    matches.len()
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
