//! Fail closed (issue 14): inputs the user names are read or reported, a closed pipe or
//! Ctrl-C never turns findings into exit 0, file names cannot forge output, ids and hints
//! leak nothing and collide nowhere, and a baseline accepts only what it saw. Each test
//! drives the built binary and pins one of the defects found by trying to break it.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{self, TestDir, key};

/// Generated at random for these tests; not real credentials.
const KEY_ID: &str = "AKIARZPUZDIKIOJZ7DN7";
const SECRET: &str = "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";

fn mkfifo(path: &std::path::Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

/// Opens FIFO `path` for writing once a reader has it open, waiting at most 20 s: a
/// keysweep that never opens it fails the test instead of hanging it.
fn open_fifo_writer(path: &std::path::Path) -> Option<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        // Non-blocking: fails with ENXIO while no reader has it open.
        if let Ok(f) = fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
        {
            return Some(f);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

/// Writes `bytes` to FIFO `path` once a reader has it open (see [`open_fifo_writer`]).
fn write_fifo(path: &std::path::Path, bytes: &[u8]) {
    if let Some(mut f) = open_fifo_writer(path) {
        // The reader drains it; a full pipe only makes the non-blocking write retry.
        let mut rest = bytes;
        while !rest.is_empty() {
            match f.write(rest) {
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                Err(_) => return,
            }
        }
    }
}

// Item 4: stdin and named non-regular inputs are read, not skipped with exit 0.

#[test]
fn dash_reads_stdin() {
    let d = TestDir::new();
    let mut child = d
        .cmd(&["scan", "--format", "jsonl", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(key("openssh_ed25519").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let run = util::Run::from(out);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.secrets();
    assert_eq!(f.len(), 1, "{}", run.stdout);
    assert_eq!(f[0]["path"], "<stdin>");
    assert_eq!(f[0]["rule"], "private-key-openssh");
}

#[test]
fn a_named_fifo_and_dev_stdin_are_read() {
    let d = TestDir::new();
    let fifo = d.path().join("pipe");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || write_fifo(&fifo, key("pem_rsa").as_bytes()))
    };
    let run = d.run(&["scan", "--format", "jsonl", "pipe"]);
    writer.join().unwrap();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.secrets().len(), 1, "{}", run.stdout);
    assert_eq!(run.secrets()[0]["path"], "pipe");

    // `/dev/stdin` (a pipe here), as `<(…)` and `cat key | keysweep scan /dev/stdin` give.
    let out = d
        .cmd(&["scan", "--format", "jsonl", "/dev/stdin"])
        .stdin(fs::File::open(util::fixtures().join("pem_rsa")).unwrap())
        .output()
        .unwrap();
    let run = util::Run::from(out);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.secrets().len(), 1, "{}", run.stdout);
}

#[test]
fn a_fifo_met_in_a_walk_is_still_never_opened() {
    let d = TestDir::new();
    fs::create_dir(d.path().join("dir")).unwrap();
    mkfifo(&d.path().join("dir/pipe"));
    // Nobody writes to it: opening it would hang the walk.
    let mut child = d
        .cmd(&["scan", "--format", "jsonl", "dir"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = util::wait_or_kill(&mut child, Duration::from_secs(20));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("1 skipped"), "{}", out.stderr);
    // … and --strict says it could not vouch for it.
    let run = d.run(&["scan", "--strict", "dir"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("1 skipped"), "{}", run.stderr);
}

/// A mistyped path says so plainly (issue 17), and is an error.
#[test]
fn a_named_input_that_cannot_be_read_is_an_error() {
    let d = TestDir::new();
    let run = d.run(&["scan", "no-such-file"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("keysweep: no-such-file: no such file or directory\n"),
        "{}",
        run.stderr
    );
}

// Item 11: the size limit.

#[test]
fn a_named_file_over_the_limit_is_an_error_and_a_walked_one_a_counted_skip() {
    let d = TestDir::new();
    let mut big = vec![b'x'; 8 << 10];
    big.extend_from_slice(key("pem_rsa").as_bytes());
    d.write("dir/big.log", &big);

    let run = d.run(&["scan", "--max-file-size", "4K", "dir/big.log"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("is over --max-file-size"),
        "{}",
        run.stderr
    );

    let run = d.run(&["scan", "--max-file-size", "4K", "--format", "json", "dir"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["summary"]["skipped"], 1);
    assert_eq!(report["summary"]["skipped_too_large"], 1);
    assert!(
        run.stderr.contains("1 skipped (1 over --max-file-size)"),
        "{}",
        run.stderr
    );
    let run = d.run(&["scan", "--max-file-size", "4K", "--strict", "dir"]);
    assert_eq!(run.code, 2, "{}", run.stderr);

    // SARIF says so beside its (empty) results.
    let run = d.run(&["scan", "--max-file-size", "4K", "--format", "sarif", "dir"]);
    let sarif: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let notes = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(notes[0]["level"], "warning", "{notes}");
    assert_eq!(
        notes[0]["message"]["text"],
        "1 file(s) over --max-file-size were not scanned"
    );
}

// Item 5: a closed pipe keeps the exit code the findings earned.

#[test]
fn a_closed_stdout_keeps_exit_1() {
    let d = TestDir::new();
    for i in 0..200 {
        d.write(format!("keys/k{i:03}"), key("openssh_ed25519"));
    }
    for format in ["human", "jsonl", "json", "sarif"] {
        let mut child = d
            .cmd(&["scan", "--format", format, "keys"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Read one byte, then close the pipe, as `| head -c1` does.
        let mut stdout = child.stdout.take().unwrap();
        let mut one = [0u8; 1];
        stdout.read_exact(&mut one).unwrap();
        drop(stdout);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(1), "--format {format}");
    }
}

/// A closed stderr (`2>&1 | head -1`, a reader gone) loses the notes, not the exit code:
/// findings stay 1 and an input that cannot be read stays 2 (a write to it panicked: 101).
#[test]
fn a_closed_stderr_keeps_the_exit_code() {
    let d = TestDir::new();
    d.write("keys/id", key("openssh_ed25519"));
    for (args, want) in [
        (&["scan", "keys"][..], 1),
        (&["scan", "--format", "jsonl", "keys"], 1),
        (&["scan", "no-such-path"], 2),
    ] {
        let mut child = d
            .cmd(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stderr.take());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(want), "{args:?}");
    }
}

// Item 6: Ctrl-C reports what was found so far and exits 130.

#[test]
fn sigint_reports_what_was_found_and_exits_130() {
    let d = TestDir::new();
    let first = d.path().join("first");
    let second = d.path().join("second");
    mkfifo(&first);
    mkfifo(&second);
    let mut child = d
        .cmd(&["scan", "--format", "json", "first", "second", "."])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    write_fifo(&first, key("pem_rsa").as_bytes());
    // Opening `second` for writing succeeds once keysweep has opened it for reading, that
    // is, once `first` is read; keysweep then waits for data that never comes.
    let held = open_fifo_writer(&second);
    if held.is_none() {
        let _ = child.kill();
        panic!("keysweep never opened the second FIFO");
    }
    std::thread::sleep(Duration::from_millis(200));
    util::ctrl_c(&child);
    let out = util::wait_or_kill(&mut child, Duration::from_secs(20));
    drop(held);
    assert_eq!(out.code, 130, "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["summary"]["interrupted"], true);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{}", out.stdout);
    assert_eq!(findings[0]["path"], "first");
    assert!(out.stderr.contains("INTERRUPTED"), "{}", out.stderr);
}

// Item 15: names on stderr cannot forge lines or send escapes; fixes name the exact file.

#[test]
fn crafted_names_are_escaped_everywhere_and_fixes_are_exact() {
    let d = TestDir::new();
    let evil = "x\nkeysweep: 0 findings\u{1b}[2J.key";
    d.write(format!("dir/{evil}"), key("openssh_ed25519"));
    d.chmod(format!("dir/{evil}"), 0o644);
    // A FIFO with a crafted name is skipped with a note: the note is escaped.
    mkfifo(&d.path().join(format!("dir/{evil}.fifo")));
    let run = d.run(&["scan", "dir"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains('\u{1b}'), "an escape reached the terminal");
        assert!(
            !text.lines().any(|l| l.starts_with("keysweep: 0 findings")),
            "a forged line: {text}"
        );
    }
    assert!(
        run.stderr
            .contains("skipped dir/x\\nkeysweep: 0 findings\\u{1b}[2J.key.fifo"),
        "{}",
        run.stderr
    );
    // The fix is a command a shell runs on exactly that file.
    let run = d.run(&["scan", "--format", "jsonl", "dir"]);
    let fix = run
        .findings()
        .into_iter()
        .find_map(|f| f["fix"].as_str().map(str::to_string))
        .expect("a permission finding");
    assert_eq!(
        fix,
        "chmod 600 $'dir/x\\x0akeysweep: 0 findings\\x1b[2J.key'"
    );
    let status = Command::new("bash")
        .arg("-c")
        .arg(&fix)
        .current_dir(d.path())
        .status()
        .unwrap();
    assert!(status.success());
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(d.path().join(format!("dir/{evil}")))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // A name that is not UTF-8.
    let raw = std::ffi::OsStr::from_bytes(b"k\xff.key");
    let p = d.path().join("raw").join(raw);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, key("openssh_ed25519")).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
    let run = d.run(&["scan", "--format", "jsonl", "raw"]);
    let fix = run
        .findings()
        .into_iter()
        .find_map(|f| f["fix"].as_str().map(str::to_string))
        .expect("a permission finding");
    assert_eq!(fix, "chmod 600 $'raw/k\\xff.key'");
    let status = Command::new("bash")
        .arg("-c")
        .arg(&fix)
        .current_dir(d.path())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        fs::metadata(&p).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

// Item 16: no key material in hints; no secret in a config error.

#[test]
fn hints_and_config_errors_disclose_nothing() {
    let d = TestDir::new();
    // A whole PEM, base64-encoded (a Kubernetes Secret's `data:`), and a PEM pasted on one
    // line: the hint must not reach past the armour.
    let pem = key("pem_ecdsa256");
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &pem);
    d.write("secret.yaml", format!("data:\n  tls.key: {b64}\n"));
    d.write("one-line.txt", pem.replace('\n', " "));
    let run = d.run(&["scan", "--format", "jsonl", "secret.yaml", "one-line.txt"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>();
    let findings = run.secrets();
    assert!(!findings.is_empty(), "{}", run.stdout);
    for f in findings {
        let hint = f["secret"].as_str().unwrap();
        assert!(!hint.contains(&body[..8]), "body in the hint: {hint}");
        let shown = hint.split(" …[redacted").next().unwrap();
        assert!(
            shown.starts_with("-----BEGIN") && shown.ends_with("-----") || shown == "LS0tLS1…",
            "hint {hint:?}"
        );
    }

    // A credentials file given as the config.
    d.write(
        "creds",
        format!("[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"),
    );
    let run = d.run(&["scan", "--config", "creds", "one-line.txt"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("config creds"), "{}", run.stderr);
    assert!(!run.stderr.contains(&SECRET[..6]), "{}", run.stderr);
    assert!(!run.stderr.contains(&KEY_ID[4..]), "{}", run.stderr);
}

// Item 17: findings about a place are keyed by the place.

#[test]
fn permission_findings_on_two_copies_have_two_ids() {
    let d = TestDir::new();
    d.write("a/id_rsa", key("pem_rsa"));
    d.write("b/id_rsa", key("pem_rsa"));
    d.chmod("a/id_rsa", 0o644);
    d.chmod("b/id_rsa", 0o644);
    let run = d.run(&["scan", "--format", "jsonl", "."]);
    let ids: Vec<String> = run
        .findings()
        .into_iter()
        .filter(|f| f["category"] == "insecure-permissions")
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2, "{}", run.stdout);
    assert_ne!(ids[0], ids[1]);
    // Baselining one leaves the other reported.
    let run = d.run(&["baseline", "create", "-o", "bl.json", "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut bl: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.path().join("bl.json")).unwrap()).unwrap();
    bl["entries"]
        .as_array_mut()
        .unwrap()
        .retain(|e| e["category"] != "insecure-permissions" || e["id"] == ids[0]);
    fs::write(d.path().join("bl.json"), bl.to_string()).unwrap();
    let run = d.run(&["scan", "--baseline", "bl.json", "--format", "jsonl", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let left: Vec<_> = run.findings();
    assert_eq!(left.len(), 1, "{}", run.stdout);
    assert_eq!(left[0]["id"], ids[1]);
}

// Item 18: a baseline that accepted a key id alone does not accept its secret.

#[test]
fn a_baselined_key_id_does_not_silence_a_secret_paired_later() {
    let d = TestDir::new();
    d.write("app.log", format!("request signed by {KEY_ID}\n"));
    let run = d.run(&["baseline", "create", "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = d.run(&["scan", "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    d.write(
        "app.log",
        format!("request signed by {KEY_ID}\naws_secret_access_key = {SECRET}\n"),
    );
    let run = d.run(&["scan", "--format", "jsonl", "."]);
    assert_eq!(run.code, 1, "the pair was silenced: {}", run.stderr);
    let f = run.secrets();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["aws"]["paired_secret"], true);

    // Accepting the pair accepts it (and the id alone, later, too).
    let run = d.run(&["baseline", "create", "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bl = fs::read_to_string(d.path().join(".keysweep-baseline.json")).unwrap();
    assert!(bl.contains("\"covers\""), "{bl}");
    assert!(!bl.contains(&SECRET[..6]), "the secret is in the baseline");
    let run = d.run(&["scan", "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

// Item 7: each repository (and each root scanned) uses its own baseline and config.

#[test]
fn each_repository_is_filtered_by_its_own_baseline() {
    let d = TestDir::new();
    for name in ["a", "b"] {
        let r = d.git_repo(name);
        util::write_at(&r, "deploy/key.pem", key("pem_rsa"));
        util::git(&r, &["add", "."]);
        util::git(&r, &["commit", "-qm", "key"]);
    }
    // A accepts the key; B does not.
    let run = d.run(&["baseline", "create", "--history", "a"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    util::git(&d.path().join("a"), &["add", ".keysweep-baseline.json"]);
    util::git(&d.path().join("a"), &["commit", "-qm", "baseline"]);

    for order in [["a", "b"], ["b", "a"]] {
        let run = d.run(&["history", "--format", "jsonl", order[0], order[1]]);
        assert_eq!(run.code, 1, "{order:?}: {}", run.stderr);
        let f = run.secrets();
        assert_eq!(f.len(), 1, "{order:?}: {}", run.stdout);
        assert!(
            f[0]["git"]["repository"].as_str().unwrap().ends_with('b'),
            "{order:?}: {}",
            run.stdout
        );
        assert!(
            run.stderr.contains("silenced: 1 in the baseline"),
            "{}",
            run.stderr
        );

        // The same for the files.
        let run = d.run(&["scan", "--format", "jsonl", order[0], order[1]]);
        assert_eq!(run.code, 1, "{order:?}: {}", run.stderr);
        let f = run.secrets();
        assert_eq!(f.len(), 1, "{order:?}: {}", run.stdout);
        assert_eq!(f[0]["path"], "b/deploy/key.pem");
    }

    // `baseline create` takes several paths, each with a baseline at its own root.
    let run = d.run(&["baseline", "create", "a", "b"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(d.path().join("b/.keysweep-baseline.json").is_file());
    let run = d.run(&["scan", "a", "b"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = d.run(&["baseline", "create", "-o", "x.json", "a", "b"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

/// Runs `keysweep ARGS` in `dir` with stdin held open and no data, sends SIGINT once it is
/// waiting, then closes stdin; returns how it ended.
fn interrupt_while_reading_stdin(dir: &std::path::Path, args: &[&str]) -> util::Run {
    let mut child = util::keysweep(dir, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take();
    std::thread::sleep(Duration::from_millis(500));
    util::ctrl_c(&child);
    std::thread::sleep(Duration::from_millis(200));
    drop(stdin);
    util::wait_or_kill(&mut child, Duration::from_secs(20))
}

#[test]
fn an_interrupted_hook_blocks() {
    let d = TestDir::new();
    let r = d.repo_with_remote("work");
    let run = interrupt_while_reading_stdin(&r, &["hook", "pre-push", "origin", "../remote.git"]);
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert!(run.stderr.contains("push blocked"), "{}", run.stderr);
}

#[test]
fn an_interrupted_baseline_is_not_written() {
    let d = TestDir::new();
    d.write("key.pem", key("pem_rsa"));
    // Stdin is read before the walk of `.`, so the key in key.pem is never reached: a
    // baseline written now would lack it (and prune would drop its entry).
    let run = interrupt_while_reading_stdin(d.path(), &["baseline", "create", "-", "."]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
    assert!(!d.path().join(".keysweep-baseline.json").exists());
}

/// Runs `keysweep ARGS` in `dir`, reads one byte of its stdout and closes the pipe, as
/// `| head -c1` does; returns the exit code.
fn code_with_stdout_closed(dir: &std::path::Path, args: &[&str]) -> Option<i32> {
    let mut child = util::keysweep(dir, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    stdout.read_exact(&mut one).unwrap();
    drop(stdout);
    child.wait().unwrap().code()
}

/// Every command that decides an exit code, in every format: findings are 1, also with
/// stdout closed early; nothing found while an input could not be read is 2.
#[test]
fn exit_code_matrix() {
    let d = TestDir::new();
    // Findings: a key in a folder, in a repository's history, in a home.
    d.write("files/key.pem", key("pem_rsa"));
    let repo = d.git_repo("repo");
    util::write_at(&repo, "old.pem", key("pem_rsa"));
    util::git(&repo, &["add", "."]);
    util::git(&repo, &["commit", "-qm", "key"]);
    util::git(&repo, &["rm", "-q", "old.pem"]);
    util::git(&repo, &["commit", "-qm", "gone"]);
    d.write("home/Downloads/key.pem", key("pem_rsa"));
    // Nothing found, something unreadable: a named path that is not there, a repository
    // that cannot be opened, a home holding a broken repository.
    d.write("clean/readme.txt", "hello\n");
    d.write("broken-home/notes.txt", "hello\n");
    d.write("broken-home/project/.git/HEAD", "not a ref\n");

    let cases: [(&str, Vec<&'static str>, Vec<&'static str>); 3] = [
        (
            "scan",
            vec!["scan", "files"],
            vec!["scan", "clean", "missing"],
        ),
        ("history", vec!["history", "repo"], vec!["history", "clean"]),
        (
            "sweep",
            vec!["sweep", "--home", "home"],
            vec!["sweep", "--home", "broken-home"],
        ),
    ];
    for (name, found, unread) in &cases {
        for format in ["human", "json", "jsonl", "sarif", "github", "html"] {
            let with = |args: &[&'static str]| -> Vec<&'static str> {
                let mut v = args.to_vec();
                v.extend(["--format", format]);
                v
            };
            let run = d.run(&with(found));
            assert_eq!(run.code, 1, "{name} --format {format}: {}", run.stderr);
            assert_eq!(
                code_with_stdout_closed(d.path(), &with(found)),
                Some(1),
                "{name} --format {format}, stdout closed"
            );
            let run = d.run(&with(unread));
            assert_eq!(run.code, 2, "{name} --format {format}: {}", run.stderr);
        }
    }
}

// Item 6: jsonl is printed as findings are made.

#[test]
fn jsonl_is_streamed_as_findings_are_made() {
    use std::io::BufRead;
    let d = TestDir::new();
    let first = d.path().join("first");
    let second = d.path().join("second");
    mkfifo(&first);
    mkfifo(&second);
    let mut child = d
        .cmd(&["scan", "--format", "jsonl", "first", "second"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    write_fifo(&first, format!("aws_access_key_id = {KEY_ID}\n").as_bytes());
    let held = open_fifo_writer(&second);
    // keysweep now waits on `second`; the finding in `first` is out already.
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(20));
    drop(held);
    let status = child.wait().unwrap();
    let line = line.expect("nothing was printed while the scan was still running");
    let f: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(f["path"], "first");
    assert_eq!(f["aws"]["access_key_id"], KEY_ID);
    assert_eq!(status.code(), Some(1));
}

#[test]
fn names_that_differ_only_in_non_utf8_bytes_have_their_own_ids() {
    let d = TestDir::new();
    for raw in [&b"k\xff.key"[..], b"k\xfe.key"] {
        let p = d.path().join(std::ffi::OsStr::from_bytes(raw));
        fs::write(&p, key("openssh_ed25519")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
    }
    let run = d.run(&["scan", "--format", "jsonl", "."]);
    let ids: std::collections::HashSet<String> = run
        .findings()
        .into_iter()
        .filter(|f| f["category"] == "insecure-permissions")
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2, "{}", run.stdout);
}

// Issue 17: `scan` shows its progress on a terminal, as `history` and `sweep` do, and
// only there.

#[test]
fn scan_shows_progress_on_a_terminal_only() {
    let d = TestDir::new();
    d.write("dir/a.txt", "hello\n");
    let pipe = d.path().join("pipe");
    mkfifo(&pipe);
    let exe = env!("CARGO_BIN_EXE_keysweep");
    // `script` runs keysweep on a pseudo-terminal and copies what it draws to stdout.
    let mut child = Command::new("script")
        .args(["-qec", &format!("{exe} scan pipe dir"), "/dev/null"])
        .current_dir(d.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script (util-linux)");
    // Keep the scan waiting on the FIFO long enough for the line to be drawn.
    let held = open_fifo_writer(&pipe);
    std::thread::sleep(Duration::from_millis(600));
    drop(held);
    let out = util::wait_or_kill(&mut child, Duration::from_secs(20));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("files ·") && out.stdout.contains("findings"),
        "no progress line on the terminal: {:?}",
        out.stdout
    );
    // Not on a pipe.
    let run = d.run(&["scan", "dir"]);
    assert!(!run.stderr.contains("files ·"), "{}", run.stderr);
}

#[test]
fn kernel_file_systems_are_never_walked_into_and_x_stays_on_one() {
    let d = TestDir::new();
    d.write("dir/a.txt", "hello\n");
    std::os::unix::fs::symlink("/proc", d.path().join("dir/proc")).unwrap();
    std::os::unix::fs::symlink("/sys", d.path().join("dir/sys")).unwrap();
    let run = d.run(&["scan", "--follow", "--format", "json", "dir"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["summary"]["files"], 1, "{}", run.stderr);
    // Named, it is read.
    let run = d.run(&["scan", "--format", "json", "/proc/self/status"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["summary"]["files"], 1, "{}", run.stderr);

    // -x: a key on another file system (tmpfs), reached through a followed link.
    let shm = tempfile::Builder::new()
        .prefix("keysweep-test")
        .tempdir_in("/dev/shm")
        .expect("/dev/shm");
    fs::write(shm.path().join("key.pem"), key("pem_rsa")).unwrap();
    std::os::unix::fs::symlink(shm.path(), d.path().join("dir/shm")).unwrap();
    let run = d.run(&["scan", "--follow", "--format", "jsonl", "dir"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let run = d.run(&["scan", "--follow", "-x", "--format", "jsonl", "dir"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn names_from_history_are_escaped_on_stderr() {
    let d = TestDir::new();
    let r = d.git_repo("repo");
    let evil = "big\nkeysweep: FORGED\u{1b}[2J.log";
    util::write_at(&r, evil, vec![b'x'; 4096]);
    util::git(&r, &["add", "."]);
    util::git(&r, &["commit", "-qm", "big file"]);
    let run = d.run(&["history", "--max-file-size", "1K", "repo"]);
    assert!(!run.stderr.contains('\u{1b}'), "{}", run.stderr);
    assert!(
        !run.stderr
            .lines()
            .any(|l| l.starts_with("keysweep: FORGED")),
        "a forged line: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("big\\nkeysweep: FORGED\\u{1b}[2J.log"),
        "{}",
        run.stderr
    );
}

#[test]
fn prune_refuses_when_an_input_cannot_be_read() {
    let d = TestDir::new();
    d.write("key.pem", key("pem_rsa"));
    let run = d.run(&["baseline", "create", "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let before = fs::read_to_string(d.path().join(".keysweep-baseline.json")).unwrap();
    // The key is gone, but so is an input: prune cannot tell the entry is stale.
    fs::remove_file(d.path().join("key.pem")).unwrap();
    let run = d.run(&["baseline", "prune", ".", "missing.pem"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("not pruning"), "{}", run.stderr);
    let after = fs::read_to_string(d.path().join(".keysweep-baseline.json")).unwrap();
    assert_eq!(before, after);
}

// Issue 17: messages a person can act on, not libgit2's codes.

#[test]
fn history_of_a_wrong_path_says_what_is_wrong() {
    let d = TestDir::new();
    d.write("plain/readme.txt", "hello\n");
    let run = d.run(&["history", "plain"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("keysweep: error: not a git repository: plain\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("0 findings in 0 blobs"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("class="), "{}", run.stderr);
    let run = d.run(&["history", "no-such-dir"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("no-such-dir: no such file or directory"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("code="), "{}", run.stderr);
}

#[test]
fn a_blocked_push_names_the_ref_and_remote_and_every_way_out() {
    let d = TestDir::new();
    let r = d.repo_with_remote("work");
    let run = util::run_in(&r, &["hook", "install"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    util::git(&r, &["checkout", "-q", "-b", "topic"]);
    util::write_at(&r, "deploy/key.pem", key("pem_rsa"));
    util::git(&r, &["add", "."]);
    util::git(&r, &["commit", "-q", "--no-verify", "-m", "key"]);
    let (ok, err) = util::try_git(&r, &["push", "-q", "origin", "topic"]);
    assert!(!ok, "the push went through");
    assert!(
        err.contains("in the commits being pushed to origin at ../remote.git (topic)"),
        "{err}"
    );
    for way in [
        "git rebase -i",
        "git reset --soft origin/topic",
        "keysweep:allow",
        "keysweep baseline create --history",
        "git push --no-verify",
    ] {
        assert!(err.contains(way), "{way} missing: {err}");
    }
}

// Issue 17: `hook install` beside a hook of one's own.

#[test]
fn hook_install_chains_after_an_existing_hook() {
    let d = TestDir::new();
    let r = d.repo_with_remote("work");
    let hooks = r.join(".git/hooks");
    let mine =
        "#!/bin/sh\necho ran >> \"$(git rev-parse --git-dir)/local-hook-ran\"\ncat > /dev/null\n";
    for hook in ["pre-commit", "pre-push"] {
        let p = hooks.join(hook);
        fs::write(&p, mine).unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    }
    // Refused, with the lines to add and the way to chain.
    let run = util::run_in(&r, &["hook", "install"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--chain"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("keysweep hook pre-push \"$@\" || exit $?"),
        "{}",
        run.stderr
    );
    assert_eq!(fs::read_to_string(hooks.join("pre-push")).unwrap(), mine);

    let run = util::run_in(&r, &["hook", "install", "--chain"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        fs::read_to_string(hooks.join("pre-push.local")).unwrap(),
        mine
    );
    // A clean push: both hooks run and pass.
    util::write_at(&r, "src/main.rs", "fn main() {}\n");
    util::git(&r, &["add", "."]);
    let (ok, err) = util::try_git(&r, &["commit", "-qm", "code"]);
    assert!(ok, "{err}");
    let (ok, err) = util::try_git(&r, &["push", "-q", "origin", "main"]);
    assert!(ok, "{err}");
    let ran = fs::read_to_string(r.join(".git/local-hook-ran")).unwrap();
    assert_eq!(ran.lines().count(), 2, "the chained hooks ran: {ran}");
    // A key: keysweep still blocks, after the local hook.
    util::write_at(&r, "deploy/key.pem", key("pem_rsa"));
    util::git(&r, &["add", "."]);
    let (ok, _) = util::try_git(&r, &["commit", "-qm", "key"]);
    assert!(!ok, "the commit of a key went through");
    util::git(&r, &["commit", "-q", "--no-verify", "-m", "key"]);
    let (ok, err) = util::try_git(&r, &["push", "-q", "origin", "main"]);
    assert!(!ok, "the push of a key went through");
    assert!(err.contains("push blocked"), "{err}");

    // Uninstall puts the hooks back.
    let run = util::run_in(&r, &["hook", "uninstall"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(fs::read_to_string(hooks.join("pre-push")).unwrap(), mine);
    assert!(!hooks.join("pre-push.local").exists());
}

/// Found while looking for paths nobody listed: a pull request can add a
/// `.keysweepignore` that hides the key it adds from a CI scan. `--no-ignore` is the way
/// to scan what a pull request cannot exclude.
#[test]
fn no_ignore_scans_what_a_planted_ignore_file_hides() {
    let d = TestDir::new();
    d.write("repo/.keysweepignore", "*.pem\n");
    d.write("repo/deploy/key.pem", key("pem_rsa"));
    let run = d.run(&["scan", "repo"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = d.run(&["scan", "--no-ignore", "--format", "jsonl", "repo"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.secrets().len(), 1, "{}", run.stdout);
}
