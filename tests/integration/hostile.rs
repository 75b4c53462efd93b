//! Hostile input for the scan core and the file readers: keyword-dense content that used to
//! cost hits × window, files that shrink while they are read, and archives built to hide a
//! member. Each regression test here failed on the code before its fix.

use std::fs;

use crate::util::{self, TestDir};
use base64::Engine as _;
use keysweep::rules::RuleSet;
use keysweep::scan::{ScanOptions, Scanner, Scratch};

/// Keyword-dense contents of about `size` bytes: each of the shapes that made the scan
/// quadratic (BEGIN lines, the base64 of BEGIN lines, `AKIA` runs), and source-like text as
/// the reference.
fn dense_inputs(size: usize) -> Vec<(&'static str, Vec<u8>)> {
    let repeat = |unit: &[u8]| -> Vec<u8> { unit.iter().copied().cycle().take(size).collect() };
    let b64 = base64::engine::general_purpose::STANDARD;
    let rsa_lines = repeat(b"-----BEGIN RSA PRIVATE KEY-----\n");
    // No two windows alike, so that no shortcut for repeated bytes applies: BEGIN lines
    // each followed by a different number, and placeholder key ids (five letters, so not
    // accepted) that all differ.
    let numbered = |f: &dyn Fn(usize) -> String| -> Vec<u8> {
        let mut out = Vec::with_capacity(size + 64);
        let mut i = 0;
        while out.len() < size {
            out.extend_from_slice(f(i).as_bytes());
            i += 1;
        }
        out.truncate(size);
        out
    };
    let five_letters = |mut i: usize| -> String {
        (0..16)
            .map(|_| {
                let c = char::from(b"ABCDE"[i % 5]);
                i /= 5;
                c
            })
            .collect()
    };
    vec![
        (
            "rsa-begin-lines-numbered",
            numbered(&|i| format!("-----BEGIN RSA PRIVATE KEY-----\n{i:x}\n")),
        ),
        (
            "akia-placeholder-ids",
            numbered(&|i| format!("AKIA{} ", five_letters(i))),
        ),
        ("rsa-begin-lines", rsa_lines.clone()),
        (
            "openssh-begin-lines",
            repeat(b"-----BEGIN OPENSSH PRIVATE KEY-----\n"),
        ),
        (
            "base64-of-begin-lines",
            b64.encode(&rsa_lines[..size / 4 * 3]).into_bytes(),
        ),
        (
            "base64-begin-line-repeated",
            repeat(b64.encode(b"-----BEGIN OPENSSH PRIVATE KEY-----\n").as_bytes()),
        ),
        ("akia-run", repeat(b"AKIA")),
        ("akia-lines", repeat(b"AKIA\n")),
        (
            "akia-ids-and-secret-like-tokens",
            repeat(b"AKIAXXXXXXXXXXXXXXXX 3f786850e387550fdab836ed7e6dc881de23001b\n"),
        ),
        (
            "secret-labels",
            repeat(b"aws_secret_access_key aws_session_token = \n"),
        ),
        (
            "source-text",
            repeat(b"    fn parse_line(&mut self, line: &[u8]) -> Option<usize> { self.pos += 1; None }\n"),
        ),
    ]
}

/// Regression (issue 14, item 14): 10 MB of BEGIN lines took 232 s, because each keyword
/// hit ran its rule's regex over a 16 KiB (base64 PEM: 100 KB) window that the next hit
/// ran over again. The work is now linear: the bytes handed to regexes stay within a small
/// multiple of the input, whatever its content. (Work, not time: a bound on time belongs
/// in the benchmarks, `benches/core.rs`.)
#[test]
fn keyword_dense_content_costs_linear_work() {
    let scanner = Scanner::new(&RuleSet::builtin().unwrap(), ScanOptions::default()).unwrap();
    let mut scratch = Scratch::new();
    let mut matches = Vec::new();
    let size = 1 << 20;
    for (name, hay) in dense_inputs(size) {
        matches.clear();
        scanner.scan(&hay, &mut scratch, &mut matches);
        let ratio = scratch.examined() as f64 / hay.len() as f64;
        eprintln!(
            "{name}: {ratio:.1} bytes examined per input byte, {} matches",
            matches.len()
        );
        assert!(
            scratch.examined() <= 64 * hay.len(),
            "{name}: the rules' regexes examined {} bytes for {} bytes of input",
            scratch.examined(),
            hay.len()
        );
        assert!(matches.is_empty(), "{name}: {} matches", matches.len());
    }
}

/// Keyword-dense content around real keys: the shortcuts for dense hits must not hide
/// them (a private key after 64 KiB of BEGIN lines, an AWS key pair among placeholder ids).
#[test]
fn keys_among_keyword_dense_content_are_found() {
    let t = TestDir::new();
    let mut text = "-----BEGIN RSA PRIVATE KEY-----\n".repeat(2048);
    text.push_str(&util::key("openssh_ed25519"));
    text.push_str(&"AKIAXXXXXXXXXXXXXXXX\n".repeat(2048));
    // Generated at random for keysweep's tests; not a real credential.
    text.push_str("aws_access_key_id = AKIAJ2FAN53GZUWG6CJZ\n");
    text.push_str("aws_secret_access_key = 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\n");
    text.push_str(&"-----BEGIN OPENSSH PRIVATE KEY-----\n".repeat(2048));
    t.write("dense.txt", &text);
    let run = t.run(&["scan", ".", "--format", "jsonl"]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let found = run.secrets();
    assert!(
        found.iter().any(|f| f["category"] == "private-key"),
        "the key after the BEGIN lines was lost: {found:?}"
    );
    assert!(
        found.iter().any(|f| f["category"] == "aws-access-key"),
        "the AWS key among placeholder ids was lost: {found:?}"
    );
}

/// Regression (issue 14, item 13): a large file truncated while it was scanned (logrotate's
/// `copytruncate`) was memory-mapped, and touching its vanished pages raised SIGBUS: the run
/// died (exit 135) with no report, and other files' findings were lost. A map is now
/// guarded (a vanished page reads as zeros) and a read file can only come back short: the
/// run goes on either way, and a file seen shrinking is reported.
///
/// The file is truncated the moment the test sees the process holding it open (its
/// `/proc/PID/fd`), so the truncation lands while it is read or scanned: 32 MiB of text
/// takes a debug build about a second to scan, far longer than the test takes to react.
#[test]
fn file_truncated_while_scanned_does_not_kill_the_run() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let t = TestDir::new();
    t.write("keys/id_ed25519", util::key("openssh_ed25519"));
    let line = b"    let total = items.iter().map(|i| i.len()).sum::<usize>(); // no secret here\n";
    let big: Vec<u8> = line.iter().copied().cycle().take(32 << 20).collect();
    let big_path = t.write("logs/app.log", &big);
    let mut child = t
        .cmd(&["scan", ".", "--format", "jsonl"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let fd_dir = format!("/proc/{}/fd", child.id());
    let started = Instant::now();
    let mut truncated = false;
    while started.elapsed() < Duration::from_secs(60) {
        let open = fs::read_dir(&fd_dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .any(|e| fs::read_link(e.path()).is_ok_and(|p| p == big_path))
            })
            .unwrap_or(false);
        if open {
            fs::OpenOptions::new()
                .write(true)
                .open(&big_path)
                .unwrap()
                .set_len(0)
                .unwrap();
            truncated = true;
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        truncated,
        "the scan ended before the test saw the file open; stderr: {stderr}"
    );
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        out.status.signal(),
        None,
        "killed by a signal; stderr: {stderr}"
    );
    let run = util::Run::from(out);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let found = run.secrets();
    assert!(
        found.iter().any(|f| f["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("id_ed25519"))),
        "the other file's key was lost: {found:?}"
    );
    // Truncated during the scan (rather than after it): the file is named as not fully read.
    if run.stderr.contains("shrank") {
        assert!(run.stderr.contains("app.log"), "stderr: {}", run.stderr);
    }
}

/// A zip of `files`, each deflated (so that no key inside shows through as plain text).
fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in files {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(data.len() > u32::MAX as usize);
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn gz_of(data: impl std::io::Read) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::copy(&mut { data }, &mut e).unwrap();
    e.finish().unwrap()
}

/// `keysweep scan --archives` of the one file `name` holding `bytes`.
fn scan_archive(name: &str, bytes: &[u8]) -> util::Run {
    let t = TestDir::new();
    t.write(name, bytes);
    t.run(&["scan", "--archives", "--format", "jsonl", name])
}

/// Packages are archives by their own names: a key in a Python wheel, a NuGet package, an
/// Android library and a Rust crate is found inside each (a wheel was passed over as an
/// unknown file when only `.zip`, `.jar`, `.war`, `.apk` and tar names were opened).
#[test]
fn a_key_inside_a_package_is_found() {
    let key = util::key("openssh_ed25519");
    let zipped = zip_of(&[("pkg/tests/id_ed25519", key.as_bytes())]);
    for name in ["pkg-1.0-py3-none-any.whl", "Pkg.1.0.nupkg", "lib.aar"] {
        let run = scan_archive(name, &zipped);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        assert!(
            found_in(&run, &format!("{name}!pkg/tests/id_ed25519")),
            "{name}: {:?}",
            run.secrets()
        );
    }
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(key.len() as u64);
    header.set_mode(0o644);
    tar.append_data(&mut header, "pkg-1.0/tests/id_ed25519", key.as_bytes())
        .unwrap();
    let crate_file = gz_of(&tar.into_inner().unwrap()[..]);
    let run = scan_archive("pkg-1.0.crate", &crate_file);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        found_in(&run, "pkg-1.0.crate!pkg-1.0/tests/id_ed25519"),
        "{:?}",
        run.secrets()
    );
}

fn found_in(run: &util::Run, member: &str) -> bool {
    run.secrets()
        .iter()
        .any(|f| f["path"].as_str().is_some_and(|p| p.ends_with(member)))
}

/// Regression (issue 14, item 10): once a member spent the archive's expansion budget,
/// nothing after it was read, so a key stored beside a bomb (42.zip-style) was never
/// scanned and the run said "nothing found" (exit 0). Now the expensive member is what is
/// skipped, and reported: a nested bomb (a .gz of 100 MiB of zeros, past the 64 MiB budget
/// of a small archive) and a member that declares more than is left.
#[test]
fn a_key_beside_an_archive_bomb_is_found() {
    use std::io::Read;
    let bomb = gz_of(std::io::repeat(0).take(100 << 20));
    let key = util::key("openssh_ed25519");
    let data = zip_of(&[("a/bomb.log.gz", &bomb), ("b/id_ed25519", key.as_bytes())]);
    let run = scan_archive("release.zip", &data);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    assert!(
        found_in(&run, "release.zip!b/id_ed25519"),
        "stderr: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("a possible archive bomb"),
        "stderr: {}",
        run.stderr
    );

    // A plain member that declares 100 MiB: skipped unread, the key after it is read.
    let zeros = vec![0u8; 100 << 20];
    let data = zip_of(&[("zeros.bin", &zeros), ("id_ed25519", key.as_bytes())]);
    let run = scan_archive("big.zip", &data);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    assert!(
        found_in(&run, "big.zip!id_ed25519"),
        "stderr: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("big.zip!zeros.bin"),
        "stderr: {}",
        run.stderr
    );

    // A bomb and nothing else: the member that could not be read makes it exit 2.
    let data = zip_of(&[("bomb.log.gz", &bomb)]);
    let run = scan_archive("only.zip", &data);
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
}

/// Regression (issue 14, item 10): a zip with bytes before it (a self-extracting
/// archive, a Spring Boot executable jar: a shell script, then the zip) was not opened,
/// and its deflated key went unseen.
#[test]
fn a_zip_after_a_launcher_script_is_opened() {
    let key = util::key("openssh_ed25519");
    let mut data = b"#!/bin/sh\nexec java -jar \"$0\" \"$@\"\nexit 1\n".to_vec();
    data.extend(zip_of(&[("BOOT-INF/classes/id_ed25519", key.as_bytes())]));
    let run = scan_archive("app.jar", &data);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    assert!(
        found_in(&run, "app.jar!BOOT-INF/classes/id_ed25519"),
        "stderr: {}",
        run.stderr
    );
}

/// Regression (issue 14, item 10): a central directory holding more records than its end
/// record counts. Readers that trust the count never see the last ones; `unzip` extracts
/// them. Built by lowering the count of a two-member zip to one.
#[test]
fn zip_entries_past_the_end_records_count_are_read() {
    let key = util::key("openssh_ed25519");
    let mut data = zip_of(&[
        ("README", b"nothing here\n"),
        ("id_ed25519", key.as_bytes()),
    ]);
    let end = memchr::memmem::rfind(&data, b"PK\x05\x06").unwrap();
    for field in [end + 8, end + 10] {
        assert_eq!(data[field..field + 2], [2, 0]);
        data[field..field + 2].copy_from_slice(&[1, 0]);
    }
    let run = scan_archive("hidden.zip", &data);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    assert!(
        found_in(&run, "hidden.zip!id_ed25519"),
        "stderr: {}",
        run.stderr
    );
}

/// Regression (issue 14, item 10): GNU sparse tar members (`tar --sparse`) were skipped
/// without a word. They are files: read with their holes as zeros. Built by hand: one
/// data run (the key) at 8 KiB into a 16 KiB file.
#[test]
fn gnu_sparse_tar_members_are_read() {
    // Data runs are whole 512-byte blocks; the map ends with an empty run at the end of
    // the file, as GNU tar writes it.
    let mut run = util::key("openssh_ed25519").into_bytes();
    run.resize(run.len().div_ceil(512) * 512, b'\n');
    let mut h = tar::Header::new_gnu();
    h.set_path("var/backup/id_ed25519").unwrap();
    h.set_entry_type(tar::EntryType::GNUSparse);
    h.set_mode(0o600);
    h.set_size(run.len() as u64);
    {
        let gnu = h.as_gnu_mut().unwrap();
        gnu.set_real_size(16 << 10);
        gnu.sparse[0].set_offset(8 << 10);
        gnu.sparse[0].set_length(run.len() as u64);
        gnu.sparse[1].set_offset(16 << 10);
        gnu.sparse[1].set_length(0);
    }
    h.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    b.append(&h, &run[..]).unwrap();
    let data = b.into_inner().unwrap();
    let run = scan_archive("backup.tar", &data);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    assert!(
        found_in(&run, "backup.tar!var/backup/id_ed25519"),
        "stderr: {}",
        run.stderr
    );
}
