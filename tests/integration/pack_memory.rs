//! Peak memory of the pass over the packs: a pack larger than the pass keeps resident is
//! scanned whole (every blob decoded and tested) without the process's resident set
//! growing to the pack's size, by `history` and by a first `org scan`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::util::{TestDir, git, keysweep};

/// Large blobs in the generated pack, and the size of each: 288 MiB of bytes that do not
/// compress, so the pack is as large as they are.
const BLOBS: usize = 288;
const BLOB_SIZE: usize = 1 << 20;
/// Small blobs beside them: enough objects that a first `org scan` decodes the packs in
/// one pass rather than read blob by blob.
const SMALL: usize = 20_000;

/// A bare repository whose one pack holds `BLOBS` random blobs of `BLOB_SIZE` bytes and
/// `SMALL` small ones, one commit listing them all, made with `git fast-import` (which
/// writes a pack directly).
fn big_pack_repo(d: &TestDir) -> std::path::PathBuf {
    let repo = d.path().join("big.git");
    git(d.path(), &["init", "-q", "--bare", "big.git"]);
    let mut fi = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(&repo)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut w = std::io::BufWriter::new(fi.stdin.take().unwrap());
        // xorshift64: bytes no compressor shrinks, the same on every run.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut blob = vec![0u8; BLOB_SIZE];
        for i in 0..BLOBS {
            for chunk in blob.chunks_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
            }
            writeln!(w, "blob\nmark :{}\ndata {BLOB_SIZE}", i + 1).unwrap();
            w.write_all(&blob).unwrap();
            writeln!(w).unwrap();
        }
        for i in 0..SMALL {
            let text = format!("small file {i}\n");
            writeln!(
                w,
                "blob\nmark :{}\ndata {}\n{text}",
                BLOBS + i + 1,
                text.len()
            )
            .unwrap();
        }
        let msg = "random blobs";
        writeln!(
            w,
            "commit refs/heads/main\ncommitter T <t@example.com> 1700000000 +0000\ndata {}\n{msg}",
            msg.len()
        )
        .unwrap();
        for i in 0..BLOBS {
            writeln!(w, "M 100644 :{} data/{i:03}.bin", i + 1).unwrap();
        }
        for i in 0..SMALL {
            writeln!(w, "M 100644 :{} small/{}/{i}.txt", BLOBS + i + 1, i % 100).unwrap();
        }
        writeln!(w).unwrap();
    }
    assert!(fi.wait().unwrap().success(), "git fast-import failed");
    git(&repo, &["symbolic-ref", "HEAD", "refs/heads/main"]);
    repo
}

/// Size of the repository's packs, in bytes.
fn pack_bytes(repo: &Path) -> u64 {
    std::fs::read_dir(repo.join("objects/pack"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "pack"))
        .map(|e| e.metadata().unwrap().len())
        .sum()
}

/// Runs `cmd` to its end; its exit code, its stderr, and its peak resident set in bytes:
/// the high-water mark of its own memory (`VmHWM`), read every few milliseconds while it
/// runs. Not `wait4`'s `ru_maxrss`: that takes in the memory of the process it was started
/// from (the test harness, 240 MB with the whole suite running), which it held when it
/// replaced itself with keysweep.
fn run_measured(mut cmd: Command, dir: &Path) -> (i32, String, u64) {
    let err = dir.join("stderr.txt");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let pid = child.id();
    let high_water = || -> Option<u64> {
        let value = crate::util::proc_status(pid, "VmHWM")?;
        let kb: u64 = value.split_whitespace().next()?.parse().ok()?;
        Some(kb * 1024)
    };
    let mut peak = 0;
    let status = loop {
        // Read before asking whether it ended: the last reading is of a live process.
        if let Some(hwm) = high_water() {
            peak = peak.max(hwm);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    assert!(peak > 0, "no reading of the process's memory");
    let code = status.code().expect("keysweep killed by a signal");
    let stderr = std::fs::read_to_string(&err).unwrap();
    (code, stderr, peak)
}

/// The ceiling on the peak: a run that kept the whole pack resident would be over it by
/// far, whatever else it held.
fn ceiling(pack: u64) -> u64 {
    pack * 3 / 4
}

#[test]
fn history_scans_a_pack_larger_than_its_budget_without_holding_it_resident() {
    let d = TestDir::new();
    let repo = big_pack_repo(&d);
    let pack = pack_bytes(&repo);
    assert!(pack >= (BLOBS * BLOB_SIZE) as u64, "pack of {pack} bytes");
    let out = d.path().join("report.json");
    let cmd = keysweep(
        d.path(),
        &[
            "history",
            repo.to_str().unwrap(),
            "--format",
            "json",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    let (code, stderr, peak) = run_measured(cmd, d.path());
    assert_eq!(code, 0, "{stderr}");
    // Every blob was scanned, every byte of it.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        report["summary"]["blobs"],
        (BLOBS + SMALL) as u64,
        "{report}"
    );
    assert!(
        report["summary"]["bytes"].as_u64().unwrap() >= (BLOBS * BLOB_SIZE) as u64,
        "{report}"
    );
    assert!(
        peak < ceiling(pack),
        "peak {} MiB for a pack of {} MiB",
        peak >> 20,
        pack >> 20
    );
}

#[test]
fn a_first_org_scan_of_a_pack_larger_than_its_budget_stays_under_it_too() {
    let d = TestDir::new();
    let repo = big_pack_repo(&d);
    let pack = pack_bytes(&repo);
    let store = d.path().join("org.db");
    let cmd = keysweep(
        d.path(),
        &[
            "org",
            "scan",
            repo.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let (code, stderr, peak) = run_measured(cmd, d.path());
    assert_eq!(code, 0, "{stderr}");
    // Every blob listed was read (by the pass), none known from a ledger.
    let n = BLOBS + SMALL;
    assert!(
        stderr.contains(&format!(
            "{n} blobs listed, {n} read, 0 known from the ledger"
        )),
        "{stderr}"
    );
    assert!(
        peak < ceiling(pack),
        "peak {} MiB for a pack of {} MiB",
        peak >> 20,
        pack >> 20
    );
}
