//! `keysweep history` on real repositories built in the test: where each secret came in,
//! whether it is still at HEAD, every kind of ref, unreachable objects, copies,
//! bare and shallow clones.

use std::fs;
use std::path::Path;

use crate::util::{self, TestDir, git, key};
use serde_json::Value;

fn history(dir: &Path, args: &[&str]) -> (i32, Vec<Value>, String) {
    let run = history_run(dir, args, false);
    (run.code, run.findings(), run.stderr)
}

/// `keysweep history --format jsonl ARGS…` in `dir`, with `KEYSWEEP_TIMINGS` if `timed`.
fn history_run(dir: &Path, args: &[&str], timed: bool) -> util::Run {
    let mut a = vec!["history", "--format", "jsonl"];
    a.extend_from_slice(args);
    let mut c = util::keysweep(dir, &a);
    if timed {
        c.env("KEYSWEEP_TIMINGS", "1");
    }
    util::Run::from(c.output().unwrap())
}

/// (path, commit, present_at_head) of each finding.
fn places(found: &[Value]) -> Vec<(String, String, bool)> {
    let mut v: Vec<_> = found
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["git"]["commit"].as_str().unwrap_or("-").to_string(),
                f["git"]["present_at_head"].as_bool().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

fn commit_file(repo: &Path, rel: &str, content: &str, msg: &str) -> String {
    util::write_at(repo, rel, content);
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-qm", msg]);
    git(repo, &["rev-parse", "HEAD"])
}

#[test]
fn key_added_then_removed() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    let added = commit_file(
        &r,
        "config/deploy_key",
        &key("openssh_ed25519"),
        "add deploy key",
    );
    git(&r, &["rm", "-q", "config/deploy_key"]);
    git(&r, &["commit", "-qm", "remove key"]);
    let (code, found, err) = history(&r, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(found.len(), 1);
    let g = &found[0]["git"];
    assert_eq!(found[0]["path"], "config/deploy_key");
    assert_eq!(g["commit"], added);
    assert_eq!(g["author"], "Alice Example");
    assert_eq!(g["email"], "alice@example.invalid");
    assert_eq!(g["date"], "2026-01-02T03:04:05+01:00");
    assert_eq!(g["present_at_head"], false);
    assert_eq!(
        found[0]["key"]["sha256"],
        "SHA256:DWTE6E1lI996XPbDIuIS4qMBEiJkccWARBK+cW2UAuQ"
    );
}

#[test]
fn every_kind_of_ref_is_scanned() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    // A side branch.
    git(&r, &["checkout", "-qb", "side"]);
    let side = commit_file(&r, "side.pem", &key("pem_rsa"), "side key");
    git(&r, &["checkout", "-q", "main"]);
    // Only in a tag: a commit on a branch that is then deleted.
    git(&r, &["checkout", "-qb", "tmp"]);
    let tagged = commit_file(&r, "tagged.key", &key("openssl_sec1_ec.pem"), "tagged key");
    git(&r, &["tag", "-a", "v1", "-m", "release"]);
    git(&r, &["checkout", "-q", "main"]);
    git(&r, &["branch", "-qD", "tmp"]);
    // Only in the stash.
    fs::write(r.join("README"), key("openssh_ecdsa256")).unwrap();
    git(&r, &["stash", "-q"]);
    // At HEAD.
    let head = commit_file(&r, "id_ed25519", &key("openssh_ed25519"), "head key");

    let (code, found, err) = history(&r, &[]);
    assert_eq!(code, 1, "{err}");
    let stash_commit = git(&r, &["rev-parse", "stash@{0}"]);
    let p = places(&found);
    assert_eq!(p.len(), 4, "{p:?}");
    assert!(p.contains(&("side.pem".into(), side, false)), "{p:?}");
    assert!(p.contains(&("tagged.key".into(), tagged, false)), "{p:?}");
    assert!(p.contains(&("id_ed25519".into(), head, true)), "{p:?}");
    let stashed = p.iter().find(|x| x.0 == "README").expect("stash key");
    // The stash's working-tree commit or its index commit, not a branch commit.
    assert_ne!(stashed.1, "-");
    let stash_parents = git(&r, &["rev-list", "--parents", "-n1", &stash_commit]);
    assert!(
        stash_parents.contains(&stashed.1),
        "{stashed:?} not in {stash_parents}"
    );
}

#[test]
fn unreachable_commit_needs_all_objects() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    git(&r, &["checkout", "-qb", "doomed"]);
    let lost = commit_file(&r, "lost.pem", &key("pem_ecdsa256"), "oops");
    git(&r, &["checkout", "-q", "main"]);
    git(&r, &["branch", "-qD", "doomed"]);
    git(&r, &["reflog", "expire", "--expire=now", "--all"]);
    let (code, found, _) = history(&r, &[]);
    assert_eq!((code, found.len()), (0, 0));
    let (code, found, err) = history(&r, &["--all-objects"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(places(&found), vec![("lost.pem".into(), lost, false)]);
}

#[test]
fn copies_are_separate_findings_with_one_id() {
    // Renames are in `history_paths`.
    let d = TestDir::new();
    let r = d.git_repo("r");
    let first = commit_file(&r, "old/key.pem", &key("pem_rsa"), "add");
    // The same key in two files: two findings, one id.
    let copied = commit_file(&r, "backup/key.pem", &key("pem_rsa"), "copy");
    let (_, found, _) = history(&r, &[]);
    assert_eq!(
        places(&found),
        vec![
            ("backup/key.pem".into(), copied, true),
            ("old/key.pem".into(), first, true)
        ]
    );
    assert_eq!(found[0]["id"], found[1]["id"]);
}

#[test]
fn each_blob_is_scanned_once() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    commit_file(&r, "k.pem", &key("pem_rsa"), "add");
    for i in 0..20 {
        commit_file(&r, "README", &format!("edit {i}\n"), "edit");
    }
    let (_, found, err) = history(&r, &[]);
    assert_eq!(found.len(), 1);
    // 22 distinct blobs: k.pem, the first README and 20 edits.
    assert!(err.contains("in 22 blobs"), "{err}");
}

#[test]
fn bare_and_shallow_clones() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    commit_file(&r, "old.pem", &key("pem_rsa"), "old key");
    git(&r, &["rm", "-q", "old.pem"]);
    git(&r, &["commit", "-qm", "remove"]);
    commit_file(&r, "new.pem", &key("pem_ecdsa256"), "new key");

    git(d.path(), &["clone", "-q", "--bare", "r", "bare.git"]);
    let (code, found, err) = history(&d.path().join("bare.git"), &[]);
    assert_eq!(code, 1, "{err}");
    let paths: Vec<String> = places(&found).into_iter().map(|p| p.0).collect();
    assert_eq!(paths, vec!["new.pem", "old.pem"]);

    let url = format!("file://{}", r.display());
    git(d.path(), &["clone", "-q", "--depth", "1", &url, "shallow"]);
    let (code, found, err) = history(&d.path().join("shallow"), &[]);
    assert_eq!(code, 1, "{err}");
    let paths: Vec<String> = places(&found).into_iter().map(|p| p.0).collect();
    assert_eq!(paths, vec!["new.pem"]);
    assert!(err.contains("shallow clone"), "{err}");
    let run = d.run(&["history", "--format", "json", "-q", "shallow"]);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["summary"]["shallow"], true);
}

#[test]
fn ranges_scan_only_what_they_bring() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    commit_file(&r, "old.pem", &key("pem_rsa"), "old key");
    let base = git(&r, &["rev-parse", "HEAD"]);
    let newer = commit_file(&r, "new.pem", &key("pem_ecdsa256"), "new key");
    let (_, found, _) = history(&r, &["--since", &base]);
    assert_eq!(
        places(&found),
        vec![("new.pem".into(), newer.clone(), true)]
    );
    let (_, found, _) = history(&r, &["--range", &format!("{base}..{newer}")]);
    assert_eq!(places(&found), vec![("new.pem".into(), newer, true)]);
    let (code, _, err) = history(&r, &["--range", "nope..HEAD"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn not_a_repository_is_an_error() {
    let d = TestDir::new();
    let (code, _, err) = history(d.path(), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("not a git repository"), "{err}");
}

#[test]
fn corrupt_object_is_reported_and_skipped() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    commit_file(&r, "good.pem", &key("pem_rsa"), "good");
    let blob = commit_file(&r, "bad.txt", "to be corrupted\n", "bad");
    let bad = git(&r, &["rev-parse", &format!("{blob}:bad.txt")]);
    let obj = r.join(".git/objects").join(&bad[..2]).join(&bad[2..]);
    let mut perm = fs::metadata(&obj).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    fs::set_permissions(&obj, perm).unwrap();
    fs::write(&obj, b"not zlib at all").unwrap();
    let (code, found, err) = history(&r, &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(found.len(), 1);
    assert!(err.contains(&bad), "{err}");
}

#[test]
fn submodules_only_when_asked() {
    let d = TestDir::new();
    let sub = d.git_repo("lib");
    commit_file(&sub, "lib.pem", &key("pem_ecdsa256"), "lib key");
    let r = d.git_repo("app");
    git(
        &r,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            &format!("file://{}", sub.display()),
            "vendor/lib",
        ],
    );
    git(&r, &["commit", "-qm", "add submodule"]);
    let (code, found, _) = history(&r, &[]);
    assert_eq!((code, found.len()), (0, 0));
    let (code, found, err) = history(&r, &["--submodules"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["path"], "lib.pem");
    assert!(
        found[0]["git"]["repository"]
            .as_str()
            .unwrap()
            .ends_with("vendor/lib"),
        "{}",
        found[0]["git"]
    );
}

/// `history` with `KEYSWEEP_TIMINGS` set: the run, and how many blobs the pass over the
/// pack files decoded and flagged (`None` if it did not run).
fn history_timed(dir: &Path, args: &[&str]) -> (util::Run, Option<(usize, usize)>) {
    let run = history_run(dir, args, true);
    // "keysweep: timing: pack pass 0.01 s: 48 blobs seen, 7 flagged"
    let pass = run.stderr.lines().find_map(|l| {
        let rest = l.split_once("timing: pack pass ")?.1.split_once(": ")?.1;
        let (seen, rest) = rest.split_once(" blobs seen, ")?;
        let flagged = rest.strip_suffix(" flagged")?;
        Some((seen.parse().ok()?, flagged.parse().ok()?))
    });
    (run, pass)
}

/// Number of blobs in the repository's object store.
fn blob_count(r: &Path) -> usize {
    git(
        r,
        &[
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objecttype)",
        ],
    )
    .lines()
    .filter(|l| *l == "blob")
    .count()
}

/// The pack files (`.pack`) of a repository.
fn pack_files(r: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = fs::read_dir(r.join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pack"))
        .collect();
    v.sort();
    v
}

/// A history with something of everything: a key added then removed, a key file edited
/// (so the pack stores versions as deltas of each other), a key on a side branch only,
/// and many clean edits. Seven blobs hold a key.
fn varied_history(r: &Path) {
    commit_file(r, "config/deploy_key", &key("openssh_ed25519"), "add key");
    git(r, &["rm", "-q", "config/deploy_key"]);
    git(r, &["commit", "-qm", "remove key"]);
    let pem = key("pem_rsa");
    for i in 0..5 {
        commit_file(r, "certs/server.pem", &format!("# v{i}\n{pem}"), "edit pem");
    }
    for i in 0..40 {
        let text = format!("line {i}\n").repeat(200 + i);
        commit_file(r, "docs/notes.txt", &text, "notes");
    }
    git(r, &["checkout", "-qb", "side"]);
    commit_file(r, "side/id_ecdsa", &key("pem_ecdsa256"), "side key");
    git(r, &["checkout", "-q", "main"]);
}

#[test]
fn a_packed_history_reports_the_same_as_loose_objects() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    varied_history(&r);
    let (loose, pass) = history_timed(&r, &[]);
    assert_eq!(pass, None, "no packs yet: {}", loose.stderr);
    assert_eq!(loose.code, 1, "{}", loose.stderr);
    let loose_found = loose.findings();
    // The key removed, the side-branch key, and the PEM at its first version's path.
    assert_eq!(loose_found.len(), 3, "{}", loose.stdout);

    // Everything into one pack, with deltas, and no loose object left.
    git(&r, &["repack", "-adfq", "--window=50"]);
    let count = git(&r, &["count-objects", "-v"]);
    assert!(count.lines().any(|l| l == "count: 0"), "{count}");
    let blobs = blob_count(&r);
    let (packed, pass) = history_timed(&r, &[]);
    assert_eq!(packed.code, 1, "{}", packed.stderr);
    // The pass saw every blob, and flagged exactly the seven with a key.
    assert_eq!(pass, Some((blobs, 7)), "{}", packed.stderr);
    assert_eq!(packed.findings(), loose_found);
    // "N findings (…) in M blobs, SIZE", without the time it took.
    let summary = |s: &str| {
        let line = s.lines().rev().find(|l| l.contains(" blobs, "))?;
        Some(line.split(", ").take(2).collect::<Vec<_>>().join(", "))
    };
    assert_eq!(summary(&packed.stderr), summary(&loose.stderr));
    // With one thread the pass runs before the walk rather than beside it.
    let (one, pass) = history_timed(&r, &["--threads", "1"]);
    assert_eq!(pass, Some((blobs, 7)), "{}", one.stderr);
    assert_eq!(one.findings(), loose_found);

    // Objects made after the pack are loose: found beside the packed ones.
    commit_file(&r, "later/key.pem", &key("openssh_ecdsa384"), "later key");
    let (mixed, pass) = history_timed(&r, &[]);
    assert_eq!(pass, Some((blobs, 7)), "{}", mixed.stderr);
    let mixed_found = mixed.findings();
    let paths: Vec<String> = places(&mixed_found).into_iter().map(|p| p.0).collect();
    assert_eq!(
        paths,
        vec![
            "certs/server.pem",
            "config/deploy_key",
            "later/key.pem",
            "side/id_ecdsa"
        ]
    );
    // Two packs: the second takes the loose objects.
    git(&r, &["repack", "-q"]);
    assert_eq!(pack_files(&r).len(), 2);
    let (two, pass) = history_timed(&r, &[]);
    assert_eq!(pass, Some((blob_count(&r), 8)), "{}", two.stderr);
    assert_eq!(two.findings(), mixed_found);

    // The size limit holds for packed blobs too: said, not scanned.
    let (small, _) = history_timed(&r, &["--max-file-size", "150"]);
    assert!(small.findings().is_empty(), "{}", small.stdout);
    assert!(
        small.stderr.contains("(certs/server.pem)")
            && small.stderr.contains("over --max-file-size"),
        "{}",
        small.stderr
    );
}

#[test]
fn a_shared_clone_is_passed_over_through_its_alternates_packs() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    varied_history(&r);
    git(&r, &["repack", "-adfq"]);
    let (own, pass) = history_timed(&r, &[]);
    assert_eq!(pass, Some((blob_count(&r), 7)), "{}", own.stderr);
    // `clone --shared`: no pack of its own, every object through objects/info/alternates.
    git(d.path(), &["clone", "-q", "--shared", "r", "s"]);
    let s = d.path().join("s");
    assert!(s.join(".git/objects/info/alternates").is_file());
    assert!(
        fs::read_dir(s.join(".git/objects/pack"))
            .map(|mut e| e.next().is_none())
            .unwrap_or(true)
    );
    let (shared, pass) = history_timed(&s, &[]);
    assert_eq!(shared.code, 1, "{}", shared.stderr);
    // The pass read the alternate's pack: every blob seen, the seven with a key flagged.
    assert_eq!(pass, Some((blob_count(&s), 7)), "{}", shared.stderr);
    assert_eq!(places(&shared.findings()), places(&own.findings()));
}

#[test]
fn a_pack_of_ref_deltas_is_passed_over_whole() {
    // Deltas that name their base by id (REF_DELTA, as some servers and older gits write
    // them), not by offset: the pass still tells a blob's delta from a tree's by its base.
    let d = TestDir::new();
    let r = d.git_repo("r");
    varied_history(&r);
    let (loose, _) = history_timed(&r, &[]);
    let repack = ["-c", "repack.useDeltaBaseOffset=false", "repack", "-adfq"];
    git(&r, &[&repack[..], &["--window=50"]].concat());
    // Each delta's type, from the first byte of its entry: 7 is a REF_DELTA, 6 an
    // OFS_DELTA. (`verify-pack -v` lists a delta with its depth and base after its offset.)
    let pack = pack_files(&r).pop().unwrap();
    let bytes = fs::read(&pack).unwrap();
    let listing = git(
        &r,
        &[
            "verify-pack",
            "-v",
            pack.with_extension("idx").to_str().unwrap(),
        ],
    );
    let delta_types: Vec<(String, u8)> = listing
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.len() == 7)
        .map(|f| {
            (
                f[1].to_string(),
                (bytes[f[4].parse::<usize>().unwrap()] >> 4) & 7,
            )
        })
        .collect();
    assert!(
        delta_types.iter().any(|(t, _)| t == "blob")
            && delta_types.iter().any(|(t, _)| t == "tree"),
        "{listing}"
    );
    assert!(delta_types.iter().all(|(_, k)| *k == 7), "{delta_types:?}");
    let (packed, pass) = history_timed(&r, &[]);
    assert_eq!(packed.code, 1, "{}", packed.stderr);
    assert_eq!(pass, Some((blob_count(&r), 7)), "{}", packed.stderr);
    assert_eq!(packed.findings(), loose.findings());
}

#[test]
fn a_corrupt_pack_entry_is_reported_and_the_rest_still_scanned() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    varied_history(&r);
    let bad_blob = commit_file(
        &r,
        "bad.txt",
        "a blob whose pack entry is broken: 8c1f\n",
        "bad",
    );
    let bad = git(&r, &["rev-parse", &format!("{bad_blob}:bad.txt")]);
    git(&r, &["repack", "-adfq"]);
    let pack = pack_files(&r).pop().unwrap();
    // `<id> <type> <size> <size in pack> <offset>`: overwrite the entry after its
    // two-byte header (type and size), which is where its zlib stream starts.
    let idx = pack.with_extension("idx");
    let listing = git(&r, &["verify-pack", "-v", idx.to_str().unwrap()]);
    let line = listing.lines().find(|l| l.starts_with(&bad)).unwrap();
    let f: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(f[1], "blob", "{line}");
    let (in_pack, offset): (usize, usize) = (f[3].parse().unwrap(), f[4].parse().unwrap());
    let mut bytes = fs::read(&pack).unwrap();
    bytes[offset + 2..offset + in_pack].fill(0xff);
    fs::remove_file(&pack).unwrap();
    fs::write(&pack, bytes).unwrap();

    let (run, pass) = history_timed(&r, &[]);
    assert!(pass.is_some(), "{}", run.stderr);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // Every key is still found, the broken blob is reported once, and the pack that did
    // not decode to the end is said to be read object by object.
    assert_eq!(run.findings().len(), 3, "{}", run.stdout);
    let said: Vec<&str> = run.stderr.lines().filter(|l| l.contains(&bad)).collect();
    assert_eq!(said.len(), 1, "reported once: {}", run.stderr);
    assert_eq!(
        run.stderr
            .matches("its objects are read one at a time")
            .count(),
        1,
        "{}",
        run.stderr
    );
}

/// A pack whose index does not match it (a stale or foreign index, as left by a crash
/// or a hand-copied object store) is ignored by git and libgit2, and so by the pass: the
/// real object is read from where git reads it.
#[test]
fn a_pack_that_does_not_match_its_index_is_not_trusted() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    commit_file(&r, "deploy_key", &key("openssh_ed25519"), "add key");
    let blob = git(&r, &["rev-parse", "HEAD:deploy_key"]);
    // A one-object pack of the key blob, whose index then gets the pack of another
    // one-object pack (a clean blob) put beside it under its name.
    let other = d.git_repo("other");
    let clean = commit_file(&other, "notes.txt", "nothing to see here\n", "notes");
    let clean = git(&other, &["rev-parse", &format!("{clean}:notes.txt")]);
    let pack_dir = r.join(".git/objects/pack");
    fs::create_dir_all(&pack_dir).unwrap();
    let pack_of = |repo: &Path, id: &str, to: &Path| -> String {
        let mut c = util::git_command(repo, &["pack-objects", "-q", to.to_str().unwrap()]);
        let mut child = c
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        writeln!(child.stdin.take().unwrap(), "{id}").unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let key_pack = pack_of(&r, &blob, &d.path().join("keypack"));
    let clean_pack = pack_of(&other, &clean, &d.path().join("cleanpack"));
    let name = pack_dir.join(format!("pack-{key_pack}"));
    fs::copy(
        d.path().join(format!("keypack-{key_pack}.idx")),
        name.with_extension("idx"),
    )
    .unwrap();
    fs::copy(
        d.path().join(format!("cleanpack-{clean_pack}.pack")),
        name.with_extension("pack"),
    )
    .unwrap();
    // git still reads the key (from the loose object).
    assert!(git(&r, &["cat-file", "-p", &blob]).contains("OPENSSH PRIVATE KEY"));

    let (run, pass) = history_timed(&r, &[]);
    assert_eq!(pass, Some((0, 0)), "{}", run.stderr);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = run.findings();
    assert_eq!(found.len(), 1, "{}", run.stdout);
    assert_eq!(found[0]["path"], "deploy_key");
    assert!(
        run.stderr.contains("does not match its index"),
        "{}",
        run.stderr
    );
}

/// `keysweep history --format json` in `dir`: exit code, the summary's `errors`, the
/// number of findings, stderr.
fn history_json(dir: &Path, args: &[&str]) -> (i32, u64, usize, String) {
    let mut a = vec!["history", "--format", "json"];
    a.extend_from_slice(args);
    let run = util::run_in(dir, &a);
    let v: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stderr));
    (
        run.code,
        v["summary"]["errors"].as_u64().unwrap(),
        v["findings"].as_array().unwrap().len(),
        run.stderr,
    )
}

/// Makes a file of the object store writable (git writes them read-only).
fn writable(p: &Path) {
    let mut perm = fs::metadata(p).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    fs::set_permissions(p, perm).unwrap();
}

/// Cuts `n` bytes off the end of `p`.
fn truncate_by(p: &Path, n: u64) {
    writable(p);
    let f = fs::OpenOptions::new().write(true).open(p).unwrap();
    let len = f.metadata().unwrap().len();
    f.set_len(len - n).unwrap();
}

/// Regression (issue 14, item 3): a repository whose refs or packs cannot be read gave
/// exit 0 with nothing scanned. Each of these is one `git fsck` rejects; each must be
/// exit 2, the problem said once on stderr and counted in the summary.
#[test]
fn unreadable_refs_and_packs_are_errors_not_clean() {
    // A history whose every object is in one pack, a key among them.
    let packed = |d: &TestDir| {
        let r = d.git_repo("r");
        commit_file(&r, "deploy_key", &key("openssh_ed25519"), "add key");
        git(&r, &["repack", "-adq"]);
        assert_eq!(git(&r, &["count-objects"]), "0 objects, 0 kilobytes");
        let pack = pack_files(&r).pop().unwrap();
        (r, pack)
    };
    type Break = fn(&TestDir, &Path, &Path) -> String;
    let cases: [(&str, Break); 7] = [
        ("deleted idx", |_, _, pack| {
            fs::remove_file(pack.with_extension("idx")).unwrap();
            "has no index".into()
        }),
        ("truncated idx", |_, _, pack| {
            truncate_by(&pack.with_extension("idx"), 30);
            "refs/heads/main".into()
        }),
        ("deleted pack", |_, _, pack| {
            fs::remove_file(pack).unwrap();
            "has no pack".into()
        }),
        ("truncated pack", |_, _, pack| {
            truncate_by(pack, 10);
            "refs/heads/main".into()
        }),
        ("broken alternates", |d, r, _| {
            // The objects live in another store, which is then gone.
            let store = d.path().join("store");
            fs::rename(r.join(".git/objects/pack"), &store).unwrap();
            fs::create_dir(r.join(".git/objects/pack")).unwrap();
            let alt = d.path().join("gone");
            fs::write(
                r.join(".git/objects/info/alternates"),
                format!("{}\n", alt.display()),
            )
            .unwrap();
            "alternate object store".into()
        }),
        ("tip at a missing object", |_, r, _| {
            fs::write(
                r.join(".git/refs/heads/lost"),
                "0123456789abcdef0123456789abcdef01234567\n",
            )
            .unwrap();
            "refs/heads/lost".into()
        }),
        ("garbage ref file", |_, r, _| {
            fs::write(r.join(".git/refs/heads/junk"), "not a ref at all\n").unwrap();
            "refs/heads/junk".into()
        }),
    ];
    for (what, break_it) in cases {
        let d = TestDir::new();
        let (r, pack) = packed(&d);
        let said = break_it(&d, &r, &pack);
        let (ok, _) = util::try_git(&r, &["fsck", "--no-progress"]);
        assert!(!ok, "{what}: git fsck accepts the repository");
        let tip_only = what.contains("ref") || what.contains("tip");
        let (code, errors, found, err) = history_json(&r, &[]);
        if tip_only {
            // The rest of the history is readable: its key is found, and the problem
            // still counted.
            assert_eq!((code, found), (1, 1), "{what}: {err}");
        } else {
            assert_eq!((code, found), (2, 0), "{what}: {err}");
        }
        assert!(errors >= 1, "{what}: errors {errors}: {err}");
        let lines = err.lines().filter(|l| l.contains(&said)).count();
        assert_eq!(lines, 1, "{what}: said once: {err}");
        // The same with --quiet, and with a clean history beside a broken tip: never 0.
        let (code, _, _, err) = history_json(&r, &["--quiet"]);
        assert_ne!(code, 0, "{what} (quiet): {err}");
    }
    // A broken tip in a history with nothing to find: exit 2.
    let d = TestDir::new();
    let r = d.git_repo("r");
    fs::write(r.join(".git/refs/heads/junk"), "not a ref at all\n").unwrap();
    let (code, errors, _, err) = history_json(&r, &[]);
    assert_eq!((code, errors), (2, 1), "{err}");
}

/// Regression (issue 14, item 8): `--since REV` walked only `REV..HEAD`, so a key
/// committed after REV on another branch (or a tag) was missed.
#[test]
fn since_covers_every_ref_not_only_head() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    commit_file(&r, "old.pem", &key("pem_rsa"), "old key");
    let base = git(&r, &["rev-parse", "HEAD"]);
    git(&r, &["checkout", "-qb", "side"]);
    let side = commit_file(&r, "side/id_ecdsa", &key("pem_ecdsa256"), "side key");
    git(&r, &["checkout", "-q", "main"]);
    // A tag on a commit no branch has.
    git(&r, &["checkout", "-q", "--detach"]);
    let tagged = commit_file(&r, "tagged.key", &key("openssh_ed25519"), "tagged key");
    git(&r, &["tag", "release", &tagged]);
    git(&r, &["checkout", "-q", "main"]);
    let head = commit_file(&r, "notes.txt", "nothing here\n", "notes");
    let (code, found, err) = history(&r, &["--since", &base]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        places(&found),
        vec![
            ("side/id_ecdsa".into(), side, false),
            ("tagged.key".into(), tagged, false),
        ]
    );
    // What REV reaches stays out, as before; and on HEAD's branch alone nothing new.
    let (code, found, err) = history(&r, &["--since", &head]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(found.len(), 2, "{found:?}");
    let (code, found, err) = history(&r, &["--range", &format!("{base}..{head}")]);
    assert_eq!((code, found.len()), (0, 0), "{err}");
}

/// Regression (issue 14, item 12): a truncated loose object made libgit2 1.9 spin
/// forever at 100% CPU (libgit2 issue 7342). Each of a blob, a tree and a commit cut
/// short must end the run, reported, with exit 2 (nothing else to find).
#[test]
fn a_truncated_loose_object_is_reported_not_a_hang() {
    let mut failures = Vec::new();
    for kind in ["blob", "tree", "commit"] {
        let d = TestDir::new();
        let (r, _, id) = util::truncated_loose_object(&d, "r", kind);
        let Some(out) = util::output_within(
            &mut util::keysweep(&r, &["history", "--format", "json"]),
            b"",
            30,
        ) else {
            failures.push(format!("{kind}: history still running after 30 s"));
            continue;
        };
        let err = String::from_utf8_lossy(&out.stderr);
        let errors = serde_json::from_slice::<Value>(&out.stdout)
            .ok()
            .and_then(|v| v["summary"]["errors"].as_u64());
        if out.status.code() != Some(2) || !err.contains(&id) || errors < Some(1) {
            failures.push(format!(
                "{kind}: exit {:?}, errors {errors:?}: {err}",
                out.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Regression (issue 14, item 9): commits only a linked worktree reaches (its detached
/// HEAD, its per-worktree refs) were missed by `history` run on the main checkout.
#[test]
fn commits_only_a_linked_worktree_reaches_are_scanned() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    let wt = d.path().join("wt");
    git(
        &r,
        &["worktree", "add", "-q", "--detach", wt.to_str().unwrap()],
    );
    // On the worktree's detached HEAD.
    let detached = commit_file(&wt, "wt/id_ecdsa", &key("pem_ecdsa256"), "worktree key");
    // Kept by a per-worktree ref only, then left by the worktree's HEAD.
    let kept = commit_file(&wt, "kept/deploy_key", &key("openssh_ed25519"), "kept key");
    git(&wt, &["update-ref", "refs/worktree/keep", &kept]);
    let bisected = commit_file(&wt, "bisect/key.pem", &key("pem_rsa"), "bisect key");
    git(&wt, &["update-ref", "refs/bisect/bad", &bisected]);
    git(&wt, &["checkout", "-q", "--detach", &detached]);
    for dir in [&r, &wt] {
        let (code, found, err) = history(dir, &[]);
        assert_eq!(code, 1, "{err}");
        let paths: Vec<String> = places(&found).into_iter().map(|p| p.0).collect();
        assert_eq!(
            paths,
            vec!["bisect/key.pem", "kept/deploy_key", "wt/id_ecdsa"],
            "from {}: {err}",
            dir.display()
        );
        assert!(!err.contains("not a readable ref"), "{err}");
    }
}
