//! `--format sarif` validated against the SARIF 2.1.0 schema (tests/schemas), for file and
//! history findings, with what GitHub code scanning reads checked in full; and
//! `--format github` annotations.

use std::path::Path;

use crate::util::{Run, TestDir, git, key, normalize_json, run_in as ks};
use serde_json::Value;

/// Generated at random for these tests; not real credentials.
const KEY_ID: &str = "AKIAJ2FAN53GZUWG6CJZ";
const SECRET: &str = "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";

/// Parses the output and validates it against the schema, failing with every error.
fn valid_sarif(run: &Run) -> Value {
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(schema_path).unwrap()).unwrap();
    assert_eq!(
        schema["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let doc: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not valid SARIF 2.1.0:\n{}",
        errors.join("\n")
    );
    doc
}

#[test]
fn the_schema_rejects_what_is_not_sarif() {
    // The validation below can fail, deep in the document too: a result without its
    // required message is refused.
    let run = Run {
        code: 0,
        stdout: r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                   "results": [{"ruleId": "r"}]}]}"#
            .into(),
        stderr: String::new(),
    };
    let caught = std::panic::catch_unwind(|| valid_sarif(&run));
    assert!(caught.is_err());
}

#[test]
fn sarif_of_a_scan_is_valid_and_complete() {
    let d = TestDir::new();
    d.write(
        "app/.env",
        format!("AWS_ACCESS_KEY_ID={KEY_ID}\nAWS_SECRET_ACCESS_KEY={SECRET}\n"),
    );
    d.write("deploy/id ed25519", key("openssh_ed25519"));
    d.chmod("deploy/id ed25519", 0o600);
    d.write("certs/enc.pem", key("openssh_ed25519_enc"));
    d.chmod("certs/enc.pem", 0o644);
    let run = d.run(&["scan", "--format", "sarif"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc = valid_sarif(&run);
    assert!(!run.stdout.contains(SECRET), "the secret leaked");
    assert!(
        !run.stdout.contains("b3BlbnNzaC1rZXktdjE"),
        "the key leaked"
    );

    let sarif_run = &doc["runs"][0];
    let driver = &sarif_run["tool"]["driver"];
    assert_eq!(driver["name"], "keysweep");
    let rules = driver["rules"].as_array().unwrap();
    let rule = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap().clone();
    let openssh = rule("private-key-openssh");
    assert_eq!(openssh["defaultConfiguration"]["level"], "error");
    assert_eq!(openssh["properties"]["security-severity"], "9.5");
    assert!(
        openssh["properties"]["tags"]
            .as_array()
            .unwrap()
            .contains(&"security".into())
    );
    assert_eq!(
        rule("aws-session-token")["properties"]["security-severity"],
        "5.5"
    );
    assert_eq!(
        rule("aws-session-token")["defaultConfiguration"]["level"],
        "warning"
    );
    assert_eq!(
        rule("insecure-permissions")["properties"]["category"],
        "insecure-permissions"
    );

    // Each result: its rule (by id and index), level, location, and the content-keyed id
    // as the partial fingerprint, the same id the JSON report gives.
    let jsonl = d.run(&["scan", "--format", "jsonl"]).findings();
    let results = sarif_run["results"].as_array().unwrap();
    assert_eq!(results.len(), jsonl.len());
    let mut summary: Vec<(String, String, String, u64, u64, String)> = Vec::new();
    for (r, f) in results.iter().zip(&jsonl) {
        assert_eq!(r["ruleId"], f["rule"]);
        assert_eq!(
            rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"],
            f["rule"]
        );
        assert_eq!(r["partialFingerprints"]["keysweep/v1"], f["id"]);
        assert!(
            r["message"]["text"]
                .as_str()
                .unwrap()
                .contains(f["id"].as_str().unwrap())
        );
        let loc = &r["locations"][0]["physicalLocation"];
        summary.push((
            r["ruleId"].as_str().unwrap().into(),
            r["level"].as_str().unwrap().into(),
            loc["artifactLocation"]["uri"].as_str().unwrap().into(),
            loc["region"]["startLine"].as_u64().unwrap(),
            loc["region"]["startColumn"].as_u64().unwrap(),
            r["properties"]["severity"].as_str().unwrap().into(),
        ));
    }
    let row = |a: &str, b: &str, c: &str, l, col, s: &str| {
        (a.into(), b.into(), c.into(), l, col, s.into())
    };
    assert_eq!(
        summary,
        [
            // A long-term key id with its secret beside it is critical.
            row("aws-access-key-id", "error", "app/.env", 1, 19, "critical"),
            row(
                "insecure-permissions",
                "error",
                "certs/enc.pem",
                1,
                1,
                "critical"
            ),
            row(
                "private-key-openssh",
                "error",
                "certs/enc.pem",
                1,
                1,
                "high"
            ),
            row(
                "private-key-openssh",
                "error",
                "deploy/id%20ed25519",
                1,
                1,
                "critical"
            ),
        ]
    );
    assert_eq!(sarif_run["invocations"][0]["executionSuccessful"], true);
    assert_eq!(sarif_run["properties"]["summary"]["findings"], 4);
}

#[test]
fn sarif_of_history_is_valid_and_names_the_commit() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    std::fs::write(r.join("old.pem"), key("pem_rsa")).unwrap();
    git(&r, &["add", "."]);
    git(&r, &["commit", "-qm", "key"]);
    let commit = git(&r, &["rev-parse", "HEAD"]);
    git(&r, &["rm", "-q", "old.pem"]);
    git(&r, &["commit", "-qm", "gone"]);
    let run = ks(&r, &["history", "--format", "sarif"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc = valid_sarif(&run);
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let res = &results[0];
    assert_eq!(
        res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "old.pem"
    );
    assert_eq!(res["properties"]["git"]["commit"], commit.as_str());
    let text = res["message"]["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("introduced in commit {commit}")),
        "{text}"
    );
    assert!(text.contains("no longer at HEAD"), "{text}");
}

#[test]
fn sarif_without_findings_is_valid() {
    let d = TestDir::new();
    d.write("README", "nothing here\n");
    let run = d.run(&["scan", "--format", "sarif"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = valid_sarif(&run);
    assert_eq!(doc["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn sarif_report() {
    let d = TestDir::new();
    d.write("conf/.env", format!("AWS_ACCESS_KEY_ID={KEY_ID}\n"));
    let run = d.run(&["scan", "--format", "sarif", "--rule", "aws-access-key-id"]);
    let doc = valid_sarif(&run);
    insta::assert_snapshot!(serde_json::to_string_pretty(&normalize_json(doc)).unwrap());
}

#[test]
fn github_annotations() {
    let d = TestDir::new();
    d.write("a,b/.env", format!("\n  AWS_ACCESS_KEY_ID={KEY_ID}\n"));
    d.write("k.pem", key("openssh_ed25519"));
    d.chmod("k.pem", 0o600);
    let run = d.run(&["scan", "--format", "github"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let id = |path: &str| {
        d.run(&["scan", "--format", "jsonl"])
            .findings()
            .into_iter()
            .find(|f| f["path"] == path)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        run.stdout,
        format!(
            "::error file=a%2Cb/.env,line=2,col=21,title=keysweep aws-access-key-id::\
             AWS access key id (high severity): AKIA…6CJZ [{}]\n\
             ::error file=k.pem,line=1,col=1,title=keysweep private-key-openssh::\
             OpenSSH private key (critical severity): -----BEGIN OPENSSH PRIVATE KEY----- \
             …[redacted 410 bytes], key SHA256:DWTE6E1lI996XPbDIuIS4qMBEiJkccWARBK+cW2UAuQ [{}]\n",
            id("a,b/.env"),
            id("k.pem")
        )
    );
    // Lower severities are warnings and notices.
    d.write("t/.env", "aws_session_token = \"\"\n");
    let low = d.run(&["scan", "--format", "github", "--min-severity", "critical"]);
    assert!(
        low.stdout.starts_with("::error file=k.pem"),
        "{}",
        low.stdout
    );
}
