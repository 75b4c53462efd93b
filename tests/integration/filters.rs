//! Living with findings, on real repositories built in the test: a content-keyed
//! baseline that survives moves and amended commits while a new secret still shows,
//! `baseline prune`, notes, discovery at the repository root, the hooks' use of it,
//! `keysweep:allow` comments, `.keysweep.toml` and `--min-severity`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::util::{self, Run, TestDir, git, key, run_in as ks, try_git};
use serde_json::Value;

/// Generated at random for these tests (as in aws.rs); not real credentials.
const KEY_ID: &str = "AKIARZPUZDIKIOJZ7DN7";
const KEY_ID2: &str = "AKIATCH6YDSYYYUWKYTK";

/// Writes `content` at `rel` in `dir`, readable by its owner only (so that the permission
/// audit stays out of these tests).
fn put(dir: &Path, rel: &str, content: &str) {
    let p = util::write_at(dir, rel, content);
    fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
}

/// The `summary` of a `--format json` run.
fn summary(run: &Run) -> Value {
    let v: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    v["summary"].clone()
}

fn baseline_ids(path: &Path) -> Vec<(String, Option<String>)> {
    let v: Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    assert_eq!(v["version"], 1);
    v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_string(),
                e["note"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// A repository whose last commit brought a private key.
fn repo_with_key(d: &TestDir) -> std::path::PathBuf {
    let r = d.git_repo("r");
    put(&r, "config/deploy_key", &key("openssh_ed25519"));
    git(&r, &["add", "."]);
    git(&r, &["commit", "-qm", "add deploy key"]);
    r
}

#[test]
fn baseline_survives_a_move_and_an_amended_commit_and_a_new_secret_still_shows() {
    let d = TestDir::new();
    let r = repo_with_key(&d);
    assert_eq!(ks(&r, &["scan", "--format", "jsonl"]).code, 1);

    let made = ks(&r, &["baseline", "create"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    assert_eq!(
        made.stdout.trim(),
        ".keysweep-baseline.json: 1 entry (1 new, 0 no longer found)"
    );
    let text = fs::read_to_string(r.join(".keysweep-baseline.json")).unwrap();
    assert!(
        !text.contains("b3BlbnNzaC1rZXktdjE"),
        "the secret is in the baseline"
    );
    git(&r, &["add", ".keysweep-baseline.json"]);
    git(&r, &["commit", "-qm", "accept the fixture key"]);

    // Move the key to another file, further down, and amend the commit: the key's path,
    // line and commit all change; its content does not.
    let body = fs::read_to_string(r.join("config/deploy_key")).unwrap();
    git(&r, &["rm", "-q", "config/deploy_key"]);
    put(&r, "keys/moved.txt", &format!("moved here\n\n{body}"));
    git(&r, &["add", "."]);
    git(
        &r,
        &[
            "commit",
            "-q",
            "--amend",
            "-m",
            "accept the fixture key, moved",
        ],
    );

    let scan = ks(&r, &["scan", "--format", "json"]);
    assert_eq!(scan.code, 0, "{}{}", scan.stdout, scan.stderr);
    assert_eq!(summary(&scan)["baselined"], 1);
    assert!(
        scan.stderr.contains("silenced: 1 in the baseline"),
        "{}",
        scan.stderr
    );
    let history = ks(&r, &["history", "--format", "json"]);
    assert_eq!(history.code, 0, "{}{}", history.stdout, history.stderr);
    assert_eq!(summary(&history)["findings"], 0);
    // Once where it came in, once where it moved to.
    assert_eq!(summary(&history)["baselined"], 2);

    // A second secret is not in the baseline, and shows, in the files and the history.
    put(
        &r,
        "keys/moved.txt",
        &format!("moved here\n\n{body}\naws = {KEY_ID}\n"),
    );
    git(&r, &["commit", "-qam", "and an AWS key"]);
    let scan = ks(&r, &["scan", "--format", "jsonl"]);
    assert_eq!(scan.code, 1, "{}", scan.stderr);
    assert_eq!(
        scan.rule_paths(),
        [("aws-access-key-id".into(), "keys/moved.txt".into())]
    );
    let history = ks(&r, &["history", "--format", "jsonl"]);
    assert_eq!(history.code, 1, "{}", history.stderr);
    assert_eq!(
        history.rule_paths(),
        [("aws-access-key-id".into(), "keys/moved.txt".into())]
    );
    // --no-baseline shows everything again.
    let all = ks(&r, &["scan", "--no-baseline", "--format", "jsonl"]);
    assert_eq!(all.rule_paths().len(), 2);
}

#[test]
fn baseline_from_history_notes_are_kept_and_prune_drops_what_is_gone() {
    let d = TestDir::new();
    let r = repo_with_key(&d);
    // A key that only the history holds.
    git(&r, &["rm", "-q", "config/deploy_key"]);
    git(&r, &["commit", "-qm", "remove it"]);
    put(&r, ".env", &format!("AWS_ACCESS_KEY_ID={KEY_ID}\n"));
    git(&r, &["add", "."]);
    git(&r, &["commit", "-qm", "env"]);
    let file = r.join(".keysweep-baseline.json");

    let made = ks(
        &r,
        &["baseline", "create", "--history", "--note", "fixtures"],
    );
    assert_eq!(made.code, 0, "{}", made.stderr);
    let entries = baseline_ids(&file);
    assert_eq!(entries.len(), 2);
    assert!(
        entries
            .iter()
            .all(|(_, n)| n.as_deref() == Some("fixtures"))
    );
    assert_eq!(ks(&r, &["history"]).code, 0);

    // A note edited by hand is kept when the baseline is made again; a new entry gets none.
    let text = fs::read_to_string(&file).unwrap();
    let edited = text.replacen("\"fixtures\"", "\"rotated 2026-01\"", 1);
    fs::write(&file, &edited).unwrap();
    put(
        &r,
        ".env",
        &format!("AWS_ACCESS_KEY_ID={KEY_ID}\nOTHER={KEY_ID2}\n"),
    );
    git(&r, &["commit", "-qam", "second id"]);
    let made = ks(&r, &["baseline", "create", "--history"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    assert!(
        made.stdout.contains("3 entries (1 new, 0 no longer found)"),
        "{}",
        made.stdout
    );
    let entries = baseline_ids(&file);
    let notes: Vec<Option<&str>> = entries.iter().map(|(_, n)| n.as_deref()).collect();
    assert_eq!(
        notes
            .iter()
            .filter(|n| **n == Some("rotated 2026-01"))
            .count(),
        1
    );
    assert_eq!(notes.iter().filter(|n| **n == Some("fixtures")).count(), 1);
    assert_eq!(notes.iter().filter(|n| n.is_none()).count(), 1);
    // Entries are sorted by id, so the file diffs well.
    let ids: Vec<&String> = entries.iter().map(|(id, _)| id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);

    // Made from the history, it is not pruned against the files alone: that would drop
    // the key only the history holds.
    let before = fs::read(&file).unwrap();
    let refused = ks(&r, &["baseline", "prune"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("was made from the history: prune it with --history"),
        "{}",
        refused.stderr
    );
    assert_eq!(fs::read(&file).unwrap(), before);

    // An entry whose secret is gone (written here by hand) is dropped; the rest, notes
    // and all, are kept.
    let gone = "    {\n      \"id\": \"ks-000000000000000000000000\",\n      \"rule\": \"private-key-rsa\",\n      \"path\": \"old/key.pem\"\n    },\n";
    let text = String::from_utf8(before).unwrap();
    let at = text.find("    {").unwrap();
    fs::write(&file, format!("{}{gone}{}", &text[..at], &text[at..])).unwrap();
    assert_eq!(baseline_ids(&file).len(), 4);
    let pruned = ks(&r, &["baseline", "prune", "--history"]);
    assert_eq!(pruned.code, 0, "{}", pruned.stderr);
    assert!(
        pruned
            .stdout
            .contains("dropped ks-000000000000000000000000  private-key-rsa  old/key.pem"),
        "{}",
        pruned.stdout
    );
    assert!(
        pruned
            .stdout
            .ends_with(".keysweep-baseline.json: 3 entries kept, 1 dropped\n"),
        "{}",
        pruned.stdout
    );
    let after = baseline_ids(&file);
    assert_eq!(after, entries, "notes were lost");
    // Pruning again drops nothing and leaves the file as it is.
    let before = fs::read(&file).unwrap();
    let again = ks(&r, &["baseline", "prune", "--history"]);
    assert!(
        again.stdout.contains("3 entries kept, 0 dropped"),
        "{}",
        again.stdout
    );
    assert_eq!(fs::read(&file).unwrap(), before);
}

#[test]
fn baseline_is_discovered_at_the_repository_root_and_a_named_one_must_exist() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    put(&r, "sub/dir/.env", &format!("AWS_ACCESS_KEY_ID={KEY_ID}\n"));
    assert_eq!(
        ks(&r, &["baseline", "create", "-o", "elsewhere.json"]).code,
        0
    );
    // Not at the root: not discovered.
    assert_eq!(ks(&r, &["scan"]).code, 1);
    // Named: used, from anywhere.
    let sub = r.join("sub");
    assert_eq!(
        ks(&sub, &["scan", "--baseline", "../elsewhere.json"]).code,
        0
    );
    fs::rename(r.join("elsewhere.json"), r.join(".keysweep-baseline.json")).unwrap();
    // Scanning a subdirectory (from inside it, or from outside the repository) finds the
    // baseline at the repository's root.
    assert_eq!(ks(&sub, &["scan"]).code, 0);
    assert_eq!(ks(&sub, &["scan", "dir"]).code, 0);
    assert_eq!(ks(d.path(), &["scan", "r/sub/dir"]).code, 0);
    assert_eq!(ks(d.path(), &["scan", "r/sub/dir/.env"]).code, 0);
    assert_eq!(ks(d.path(), &["scan", "--no-baseline", "r/sub"]).code, 1);

    let missing = ks(&r, &["scan", "--baseline", "nope.json"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("baseline nope.json does not exist"),
        "{}",
        missing.stderr
    );
    fs::write(
        r.join("bad.json"),
        "{\"version\": 1, \"entries\": [{\"id\": \"AKIA\"}]}",
    )
    .unwrap();
    let bad = ks(&r, &["scan", "--baseline", "bad.json"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("is not `ks-` + 24 hex digits"),
        "{}",
        bad.stderr
    );
}

#[test]
fn pre_commit_hook_honours_the_baseline() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    let installed = ks(&r, &["hook", "install", "--pre-commit"]);
    assert_eq!(installed.code, 0, "{}", installed.stderr);
    put(&r, "deploy/id_ed25519", &key("openssh_ed25519"));
    assert_eq!(ks(&r, &["baseline", "create"]).code, 0);
    git(&r, &["add", "."]);
    let (ok, err) = try_git(&r, &["commit", "-qm", "accepted key"]);
    assert!(ok, "{err}");

    put(&r, "deploy/id_rsa", &key("pem_rsa"));
    // A copy of the accepted key elsewhere is the same secret: still accepted.
    put(&r, "backup/copy_of_key", &key("openssh_ed25519"));
    git(&r, &["add", "."]);
    let (ok, err) = try_git(&r, &["commit", "-qm", "new key"]);
    assert!(!ok);
    assert!(
        err.contains("commit blocked: 1 secret in the staged changes"),
        "{err}"
    );
    assert!(err.contains("deploy/id_rsa:1:1"), "{err}");
    assert!(!err.contains("copy_of_key"), "{err}");
    assert!(
        err.contains("  (also silenced: 1 in the baseline)\n"),
        "{err}"
    );

    // The hook run by hand with a baseline named on the command line.
    fs::rename(
        r.join(".keysweep-baseline.json"),
        d.path().join("team.json"),
    )
    .unwrap();
    git(
        &r,
        &[
            "rm",
            "-q",
            "--cached",
            "deploy/id_rsa",
            "backup/copy_of_key",
        ],
    );
    let hook = ks(&r, &["hook", "pre-commit"]);
    assert_eq!(hook.code, 0, "{}", hook.stderr);
    git(&r, &["rm", "-q", "--cached", "deploy/id_ed25519"]);
    git(&r, &["commit", "-qm", "drop it", "--no-verify"]);
    git(&r, &["add", "deploy/id_ed25519"]);
    assert_eq!(ks(&r, &["hook", "pre-commit"]).code, 1);
    let hook = ks(&r, &["hook", "pre-commit", "--baseline", "../team.json"]);
    assert_eq!(hook.code, 0, "{}", hook.stderr);
    // A named baseline that is missing blocks (the hooks fail closed).
    let hook = ks(&r, &["hook", "pre-commit", "--baseline", "nope.json"]);
    assert_eq!(hook.code, 2, "{}", hook.stderr);
}

#[test]
fn pre_push_hook_honours_the_baseline() {
    let d = TestDir::new();
    let r = d.repo_with_remote("r");
    assert_eq!(ks(&r, &["hook", "install", "--pre-push"]).code, 0);
    put(&r, "a.pem", &key("pem_ecdsa256"));
    git(&r, &["add", "."]);
    git(&r, &["commit", "-qm", "key"]);
    let (ok, _) = try_git(&r, &["push", "-q", "origin", "main"]);
    assert!(!ok);
    assert_eq!(ks(&r, &["baseline", "create", "--history"]).code, 0);
    let (ok, err) = try_git(&r, &["push", "-q", "origin", "main"]);
    assert!(ok, "{err}");
}

#[test]
fn inline_allow_on_the_line_or_the_line_before_in_files_and_history() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    put(
        &r,
        "settings.py",
        &format!(
            "TEST_KEY = \"{KEY_ID}\"  # keysweep:allow (test fixture)\n\
             REAL_KEY = \"{KEY_ID2}\"\n"
        ),
    );
    put(
        &r,
        "fixtures/test.pem",
        &format!(
            "# keysweep:allow: a key made for the tests\n{}",
            key("pem_rsa")
        ),
    );
    put(&r, "fixtures/other.pem", &key("pem_ecdsa256"));
    let scan = ks(&r, &["scan", "--format", "jsonl"]);
    assert_eq!(scan.code, 1, "{}", scan.stderr);
    assert_eq!(
        scan.rule_paths(),
        [
            ("aws-access-key-id".into(), "settings.py".into()),
            ("private-key-ec".into(), "fixtures/other.pem".into()),
        ]
    );
    assert_eq!(scan.findings()[1]["line"], 2);
    let json = ks(&r, &["scan", "--format", "json"]);
    assert_eq!(summary(&json)["allowed_inline"], 2);
    assert!(
        json.stderr.contains("silenced: 2 allowed inline"),
        "{}",
        json.stderr
    );

    git(&r, &["add", "."]);
    git(&r, &["commit", "-qm", "fixtures"]);
    let history = ks(&r, &["history", "--format", "json"]);
    assert_eq!(summary(&history)["allowed_inline"], 2, "{}", history.stdout);
    assert_eq!(summary(&history)["findings"], 2);

    // The comment two lines up does not count.
    put(
        &r,
        "fixtures/test.pem",
        &format!("# keysweep:allow\n\n{}", key("pem_rsa")),
    );
    let json = ks(&r, &["scan", "--format", "json"]);
    assert_eq!(summary(&json)["allowed_inline"], 1);
    assert_eq!(summary(&json)["findings"], 3);
}

#[test]
fn config_file_excludes_skips_rules_sets_min_severity_and_adds_signatures() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    put(&r, "vendor/lib/id_rsa", &key("pem_rsa"));
    put(&r, ".env", &format!("AWS_ACCESS_KEY_ID={KEY_ID}\n"));
    put(&r, "deploy/id_ed25519", &key("openssh_ed25519"));
    put(&r, "deploy/id_ed25519_enc", &key("openssh_ed25519_enc"));
    put(&r, "notes.txt", "token = tt_abcdefghij0123456789\n");
    put(
        &r,
        "sigs/test.toml",
        "[[rule]]\nid = \"test-token\"\nname = \"Test token\"\ncategory = \"test-token\"\n\
         severity = \"critical\"\nkeywords = [\"tt_\"]\npattern = '''(tt_[a-z0-9]{20})'''\n\
         examples = [\"token = tt_abcdefghij0123456789\"]\n",
    );
    let before = ks(&r, &["scan", "--format", "jsonl"]);
    assert_eq!(before.rule_paths().len(), 4, "{}", before.stdout);

    put(
        &r,
        ".keysweep.toml",
        "# keysweep settings\nexclude = [\"vendor/\", \"sigs/\"]\nskip_rules = [\"aws-access-key-id\"]\n\
         min_severity = \"critical\"\nsignatures = [\"sigs\"]\n",
    );
    let scan = ks(&r, &["scan", "--format", "jsonl"]);
    assert_eq!(
        scan.rule_paths(),
        [
            ("private-key-openssh".into(), "deploy/id_ed25519".into()),
            ("test-token".into(), "notes.txt".into()),
        ]
    );
    let json = ks(&r, &["scan", "--format", "json"]);
    assert_eq!(summary(&json)["below_min_severity"], 1);
    // The command line's --min-severity overrides the config's; its rules extend it.
    let scan = ks(&r, &["scan", "--format", "jsonl", "--min-severity", "high"]);
    assert_eq!(scan.rule_paths().len(), 3);
    let scan = ks(
        &r,
        &["scan", "--format", "jsonl", "--skip-rule", "test-token"],
    );
    assert_eq!(scan.rule_paths().len(), 1);

    // The same settings in history: the excluded paths (the vendored key, the signature's
    // own example) are left out there too.
    git(&r, &["add", "."]);
    git(&r, &["commit", "-qm", "everything"]);
    let history = ks(&r, &["history", "--format", "json"]);
    let s = summary(&history);
    assert_eq!(
        (s["findings"].as_u64(), s["excluded"].as_u64()),
        (Some(2), Some(2))
    );
    // --no-config and --config.
    assert_eq!(
        ks(&r, &["scan", "--format", "jsonl", "--no-config"])
            .rule_paths()
            .len(),
        4
    );
    put(d.path(), "other.toml", "min_severity = \"low\"\n");
    let other = ks(
        &r,
        &["scan", "--format", "jsonl", "--config", "../other.toml"],
    );
    assert_eq!(other.rule_paths().len(), 4);
}

#[test]
fn config_names_the_baseline_relative_to_itself() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    put(&r, ".env", &format!("AWS_ACCESS_KEY_ID={KEY_ID}\n"));
    put(
        &r,
        ".keysweep.toml",
        "baseline = \"ci/keysweep-baseline.json\"\n",
    );
    let missing = ks(&r, &["scan"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("ci/keysweep-baseline.json")
            && missing.stderr.contains("named in")
            && missing.stderr.contains(".keysweep.toml"),
        "{}",
        missing.stderr
    );
    fs::create_dir(r.join("ci")).unwrap();
    // From a subdirectory, of the whole repository: the config is found at its root.
    let made = ks(&r.join("ci"), &["baseline", "create", ".."]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    assert!(r.join("ci/keysweep-baseline.json").is_file());
    assert!(!r.join(".keysweep-baseline.json").exists());
    let scan = ks(&r, &["scan", "--format", "json"]);
    assert_eq!(scan.code, 0, "{}", scan.stderr);
    assert_eq!(summary(&scan)["baselined"], 1);
}

#[test]
fn config_with_an_unknown_key_is_an_error() {
    let d = TestDir::new();
    put(d.path(), ".keysweep.toml", "excludes = [\"vendor/\"]\n");
    let run = ks(d.path(), &["scan"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(".keysweep.toml")
            && run.stderr.contains("unknown field `excludes`")
            && run.stderr.contains("keys: exclude, signatures"),
        "{}",
        run.stderr
    );
    put(d.path(), ".keysweep.toml", "min_severity = \"urgent\"\n");
    let run = ks(d.path(), &["scan"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("urgent"), "{}", run.stderr);
    put(
        d.path(),
        ".keysweep.toml",
        "skip_rules = [\"no-such-rule\"]\n",
    );
    let run = ks(d.path(), &["scan"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no-such-rule"), "{}", run.stderr);
}

#[test]
fn min_severity_on_the_command_line() {
    let d = TestDir::new();
    put(d.path(), "a/id_ed25519", &key("openssh_ed25519"));
    put(d.path(), "a/id_ed25519_enc", &key("openssh_ed25519_enc"));
    put(d.path(), ".env", &format!("AWS_ACCESS_KEY_ID={KEY_ID}\n"));
    let all = ks(d.path(), &["scan", "--format", "jsonl"]);
    assert_eq!(all.rule_paths().len(), 3);
    let critical = ks(
        d.path(),
        &["scan", "--format", "json", "--min-severity", "critical"],
    );
    assert_eq!(critical.code, 1);
    let s = summary(&critical);
    assert_eq!(
        (s["findings"].as_u64(), s["below_min_severity"].as_u64()),
        (Some(1), Some(2))
    );
    assert!(
        critical.stderr.contains("2 below --min-severity"),
        "{}",
        critical.stderr
    );
    let bad = ks(d.path(), &["scan", "--min-severity", "urgent"]);
    assert_eq!(bad.code, 2);
}

/// An allowed key id does not hide the unmarked secret that pairs with it: the pair is
/// one finding, silenced only when every part of it is allowed.
#[test]
fn inline_allow_on_a_key_id_does_not_hide_its_paired_secret() {
    let d = TestDir::new();
    let secret = "bDt66NLplZ04/VsRIkga8N2gF+h7qXlygY3pyI10";
    d.write(
        "half.py",
        format!(
            "test_key_id = \"{KEY_ID}\"  # keysweep:allow\n\n\nprod_aws_secret_access_key = \"{secret}\"\n"
        ),
    );
    d.write(
        "both.py",
        format!(
            "key_id = \"{KEY_ID2}\"  # keysweep:allow\naws_secret_access_key = \"{secret}\"  # keysweep:allow\n"
        ),
    );
    let run = d.run(&["scan", "--format", "jsonl", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.secrets();
    assert_eq!(f.len(), 1, "{}", run.stdout);
    assert_eq!(f[0]["path"], "half.py");
    assert_eq!(f[0]["aws"]["paired_secret"], true);
    assert!(
        run.stderr.contains("silenced: 1 allowed inline"),
        "{}",
        run.stderr
    );
}

/// The config's excludes are anchored at the config file's directory, wherever the scan
/// is run from and whatever path it is given.
#[test]
fn config_excludes_are_relative_to_the_config_file() {
    let d = TestDir::new();
    let r = d.git_repo("repo");
    put(
        &r,
        ".keysweep.toml",
        "exclude = [\"/vendor/\", \"/sub/b.txt\"]\n",
    );
    put(&r, "vendor/a.pem", &key("pem_rsa"));
    put(&r, "sub/b.txt", &key("pem_rsa"));
    put(&r, "sub/c.pem", &key("openssl_sec1_ec.pem"));
    for (cwd, arg, want) in [
        (r.clone(), ".", "sub/c.pem"),
        (r.join("sub"), ".", "c.pem"),
        (d.path().to_path_buf(), "repo", "repo/sub/c.pem"),
    ] {
        let run = ks(
            &cwd,
            &[
                "scan",
                "--format",
                "jsonl",
                "--skip-rule",
                "insecure-permissions",
                arg,
            ],
        );
        assert_eq!(run.code, 1, "{}", run.stderr);
        let paths: Vec<String> = run
            .findings()
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(paths, [want], "from {}", cwd.display());
    }
}

/// Issue 17: a baseline entry may be scoped to paths (`~/` is the home) or to the
/// repository it was accepted in; the same secret elsewhere is reported.
#[test]
fn scoped_baseline_entries_accept_a_secret_only_in_their_scope() {
    // Paths: the key at rest in ~/.ssh is accepted; its copy in Downloads is not.
    let h = TestDir::new();
    h.write(".ssh/id_ed25519", key("openssh_ed25519"));
    h.chmod(".ssh", 0o700);
    h.chmod(".ssh/id_ed25519", 0o600);
    h.write("Downloads/copy.pem", key("openssh_ed25519"));
    h.chmod("Downloads/copy.pem", 0o600);
    let home = h.path().to_str().unwrap();
    let sweep = |baseline: &str| {
        let out = util::keysweep(
            h.path(),
            &[
                "sweep",
                "--home",
                home,
                "--format",
                "jsonl",
                "--no-history",
                "--baseline",
                baseline,
            ],
        )
        .env("HOME", home)
        .output()
        .unwrap();
        util::Run::from(out)
    };
    let all = util::keysweep(h.path(), &["sweep", "--home", home, "--format", "jsonl"])
        .env("HOME", home)
        .output()
        .unwrap();
    let all = util::Run::from(all);
    let id = all.secrets()[0]["id"].as_str().unwrap().to_string();
    let file = h.write(
        "scoped.json",
        format!(
            "{{\"version\": 1, \"entries\": [{{\"id\": \"{id}\", \"paths\": [\"~/.ssh/**\"]}}]}}"
        ),
    );
    let run = sweep(file.to_str().unwrap());
    assert_eq!(run.code, 1, "{}", run.stderr);
    let paths: Vec<String> = run
        .secrets()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths.len(), 1, "{paths:?}");
    assert!(paths[0].ends_with("Downloads/copy.pem"), "{paths:?}");
    assert!(
        run.stderr.contains("silenced: 1 in the baseline"),
        "{}",
        run.stderr
    );

    // --scoped: new entries accept their secret where it is now.
    let d = TestDir::new();
    d.write("a/key.pem", key("pem_rsa"));
    let run = d.run(&["baseline", "create", "--scoped", "a"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let bl = fs::read_to_string(d.path().join("a/.keysweep-baseline.json")).unwrap();
    assert!(bl.contains("\"paths\""), "{bl}");
    d.write("a/old/copy.pem", key("pem_rsa"));
    let run = d.run(&["scan", "--format", "jsonl", "a"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.secrets();
    assert_eq!(f.len(), 1, "{}", run.stdout);
    assert_eq!(f[0]["path"], "a/old/copy.pem");
    // Made again, the scope is kept (like a note).
    let run = d.run(&["baseline", "create", "a"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let again = fs::read_to_string(d.path().join("a/.keysweep-baseline.json")).unwrap();
    assert!(again.contains("\"paths\""), "{again}");

    // Repository: accepted in one repository's history, reported in another's.
    let g = TestDir::new();
    for name in ["one", "two"] {
        let r = g.git_repo(name);
        util::write_at(&r, "k.pem", key("pem_rsa"));
        git(&r, &["add", "."]);
        git(&r, &["commit", "-qm", "key"]);
    }
    let shared = g.path().join("shared.json");
    let shared = shared.to_str().unwrap();
    let run = g.run(&[
        "baseline",
        "create",
        "--history",
        "--scoped",
        "-o",
        shared,
        "one",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = g.run(&[
        "history",
        "--format",
        "jsonl",
        "--baseline",
        shared,
        "one",
        "two",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.secrets();
    assert_eq!(f.len(), 1, "{}", run.stdout);
    assert!(f[0]["git"]["repository"].as_str().unwrap().ends_with("two"));
}
