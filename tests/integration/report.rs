//! The report contract: JSON and human output compared in full, redaction, colour, and
//! `rules check` run from the binary.

use crate::util::{TestDir, key, normalize_json, normalize_text};

/// Generated at random for these tests; not a real credential.
const KEY_ID: &str = "AKIAJ2FAN53GZUWG6CJZ";
const SECRET: &str = "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";

fn tree() -> TestDir {
    let d = TestDir::new();
    d.write(
        "home/.aws/credentials",
        format!("[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"),
    );
    d.chmod("home/.aws/credentials", 0o600);
    d.write("deploy/id_ed25519", key("openssh_ed25519"));
    d.chmod("deploy/id_ed25519", 0o644);
    d.write("deploy/id_ed25519.pub", key("openssh_ed25519.pub"));
    d
}

#[test]
fn json_report() {
    let d = tree();
    let run = d.run(&["scan", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    insta::assert_snapshot!(serde_json::to_string_pretty(&normalize_json(v)).unwrap());
}

#[test]
fn jsonl_has_the_same_findings_one_per_line() {
    let d = tree();
    let doc: serde_json::Value =
        serde_json::from_str(&d.run(&["scan", "--format", "json"]).stdout).unwrap();
    let lines = d.run(&["scan", "--format", "jsonl"]).findings();
    assert_eq!(serde_json::Value::Array(lines), doc["findings"]);
}

#[test]
fn human_report() {
    let d = tree();
    let run = d.run(&["scan", "--color", "never"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(format!(
        "{}\n--- stderr ---\n{}",
        normalize_text(&run.stdout),
        normalize_text(&run.stderr)
    ));
}

#[test]
fn color_only_when_asked_or_on_a_terminal() {
    let d = tree();
    assert!(!d.run(&["scan"]).stdout.contains('\x1b'));
    assert!(
        d.run(&["scan", "--color", "always"])
            .stdout
            .contains("\x1b[1;31m")
    );
}

#[test]
fn secrets_redacted_unless_asked() {
    let d = tree();
    let all = |args: &[&str]| {
        let r = d.run(args);
        format!("{}{}", r.stdout, r.stderr)
    };
    for format in ["human", "json", "jsonl"] {
        let out = all(&["scan", "--format", format]);
        assert!(!out.contains(SECRET), "{format} leaks the AWS secret");
        // The key id is shown in full in `aws.access_key_id` and the advice: it is an
        // identifier (CloudTrail logs it, `aws iam` needs it), useless without the secret.
        assert!(
            !out.contains("b3BlbnNzaC1rZXktdjE"),
            "{format} leaks the key body"
        );
    }
    let shown = all(&["scan", "--format", "jsonl", "--show-secrets"]);
    assert!(shown.contains(SECRET));
    assert!(shown.contains("b3BlbnNzaC1rZXktdjE"));
}

#[test]
fn clean_tree_exits_0_and_bad_arguments_exit_2() {
    let d = TestDir::new();
    d.write("README", "nothing to see\n");
    assert_eq!(d.run(&["scan"]).code, 0);
    assert_eq!(d.run(&["scan", "--format", "xml"]).code, 2);
    assert_eq!(d.run(&["scan", "--max-file-size", "lots"]).code, 2);
    assert_eq!(d.run(&["scan", "--rule", "no-such-rule"]).code, 2);
}

#[test]
fn rule_selection() {
    let d = tree();
    let ids = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["scan", "--format", "jsonl", "-q"];
        a.extend_from_slice(args);
        d.run(&a)
            .findings()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(&["--rule", "private-key-openssh"]),
        vec!["private-key-openssh"]
    );
    // The key id and its secret are one finding (the id's, with the secret paired).
    assert_eq!(
        ids(&["--skip-rule", "private-key-openssh"]),
        vec!["insecure-permissions", "aws-access-key-id"]
    );
    assert_eq!(
        ids(&["--skip-rule", "insecure-permissions"]),
        vec!["private-key-openssh", "aws-access-key-id"]
    );
    // Without the id rule, the secret stands alone.
    assert_eq!(
        ids(&["--rule", "aws-secret-access-key"]),
        vec!["aws-secret-access-key"]
    );
    assert_eq!(
        ids(&["--rule", "insecure-permissions"]),
        vec!["insecure-permissions"]
    );
}

#[test]
fn rules_check_passes_and_list_names_every_rule() {
    let d = TestDir::new();
    let run = d.run(&["rules", "check"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.trim_end().ends_with("passed, 0 failed"),
        "{}",
        run.stdout
    );
    let list = d.run(&["rules", "list"]);
    let checked = run.stdout.lines().filter(|l| l.starts_with("ok ")).count();
    // Every signature, then the checks that are not signatures.
    let checks = [
        "insecure-permissions",
        "ssh-open-to-world",
        "sshd-weak-setting",
        "aws-key-risk",
        "private-key-der",
        "private-key-pkcs12",
        "private-key-java-keystore",
        "private-key-jwk",
        "private-key-base64",
        "secret-key-jceks",
    ];
    assert_eq!(list.stdout.lines().count(), checked + checks.len());
    for c in checks {
        assert!(
            list.stdout.lines().any(|l| l.starts_with(c)),
            "{}",
            list.stdout
        );
    }
}

/// User signatures extend the built-in ones, and `rules check` holds them to the same
/// standard: a rule whose example does not match fails the check.
#[test]
fn user_signatures() {
    let d = TestDir::new();
    d.write(
        "sigs/acme.toml",
        r#"[[rule]]
id = "acme-token"
name = "ACME API token"
category = "acme-token"
severity = "high"
keywords = ["acme_"]
pattern = '''(acme_[0-9a-f]{32})'''
examples = ["token = acme_0123456789abcdef0123456789abcdef"]
negative_examples = ["token = acme_XXXX"]
"#,
    );
    d.write("app.cfg", "token = acme_00112233445566778899aabbccddeeff\n");
    let run = d.run(&["scan", "--signatures", "sigs", "--format", "jsonl", "-q"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.findings()[0]["category"], "acme-token");
    assert_eq!(d.run(&["rules", "check", "--signatures", "sigs"]).code, 0);

    d.write(
        "bad/acme.toml",
        r#"[[rule]]
id = "acme-token"
name = "ACME API token"
category = "acme-token"
severity = "high"
keywords = ["acme_"]
pattern = '''(acme_[0-9a-f]{32})'''
examples = ["token = acme_short"]
"#,
    );
    let run = d.run(&["rules", "check", "--signatures", "bad"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("FAIL  acme-token\n        example 1 does not match")
    );

    d.write("broken/x.toml", "[[rule]]\nid = \"x\"\n");
    let run = d.run(&["scan", "--signatures", "broken"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("broken/x.toml"), "{}", run.stderr);
}

/// A file name is the attacker's choice: control characters in it (a terminal escape)
/// are written escaped wherever the human report shows the path, the fix command
/// included.
#[test]
fn control_characters_in_names_never_reach_the_terminal() {
    let d = TestDir::new();
    let name = "evil\u{1b}]0;owned\u{7}.pem";
    d.write(name, key("pem_rsa"));
    d.chmod(name, 0o644);
    let run = d.run(&["scan", "--format", "human"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("chmod 600"), "{}", run.stdout);
    assert!(!run.stdout.contains('\u{1b}'), "{:?}", run.stdout);
    assert!(!run.stdout.contains('\u{7}'), "{:?}", run.stdout);
    assert!(
        run.stdout.contains("evil\\u{1b}]0;owned\\u{7}.pem"),
        "{}",
        run.stdout
    );
}

#[test]
fn output_writes_the_report_to_a_file() {
    let d = tree();
    let direct: serde_json::Value =
        serde_json::from_str(&d.run(&["scan", "--format", "json", "."]).stdout).unwrap();
    // Written inside the tree being scanned, twice: the walk leaves out the file it is
    // writing to (which holds the full AWS key id), so the findings are the same.
    for _ in 0..2 {
        let run = d.run(&["scan", "--format", "json", "--output", "report.json", "."]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert_eq!(run.stdout, "");
        let text = std::fs::read_to_string(d.path().join("report.json")).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["findings"], direct["findings"]);
    }
    // Streamed lines go there too, and so does a rule listing.
    let run = d.run(&["history", "--format", "jsonl", "--output", "h.jsonl", "."]);
    assert_eq!(run.stdout, "");
    let run = d.run(&["rules", "list", "--output", "rules.txt"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        std::fs::read_to_string(d.path().join("rules.txt"))
            .unwrap()
            .contains("private-key-openssh")
    );
    let run = d.run(&["rules", "check", "--output", "check.txt"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        std::fs::read_to_string(d.path().join("check.txt"))
            .unwrap()
            .contains("ok    private-key-rsa")
    );
    // A report file that cannot be written is an error before anything is scanned.
    let run = d.run(&["scan", "--output", "no/such/dir/report.txt", "."]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("creating the report file"),
        "{}",
        run.stderr
    );
}
