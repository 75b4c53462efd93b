//! Hostile input for the scan core: keyword-dense content that used to cost hits × window.
//! Each regression test here failed on the code before its fix.

mod util;

use base64::Engine as _;
use keysweep::rules::RuleSet;
use keysweep::scan::{ScanOptions, Scanner, Scratch};
use util::TestDir;

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
