//! AWS credential intelligence across the carriers real leaks use: kind, account (decoded
//! offline), pairing of an id with its secret and session token, profile, severity. Every
//! key here was generated at random for these tests; the accounts were computed with the
//! published Python decoding, independently of keysweep's.

use crate::util::{self, TestDir};
use serde_json::{Value, json};

const ID: &str = "AKIARZPUZDIKIOJZ7DN7"; // account 123456789012
const ID2: &str = "AKIATCH6YDSYYYUWKYTK"; // account 210987654321
const TEMP: &str = "ASIARTX3GSDSYABI2ZTW"; // account 111122223333
const OLD: &str = "AKIAJ2FAN53GZUWG6CJZ"; // pre-2019 layout: no account in the id
const S1: &str = "bDt66NLplZ04/VsRIkga8N2gF+h7qXlygY3pyI10";
const S2: &str = "70MLUEJZsDXgzn05cdG+9QdzdHjvt97FK/U3LHQx";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEelxVXmgSO5E7Yg6ryvN+CnVzfSrXX47FES5+EBa4OOATSo+TuwwKAIaBnQjU3l1BcbbDkyTSkqg++cRP5tsNsZK1xo2gApPASd32xf67qLFtvbMp9TrkvIDC/4WR4WelNn56eNSh9gwOZZcYInv++Qd/96YFNkAcvXOT/Q3JHP/UiTdbsFy4HNxSGssMuWCU9IiLIJY1l4junbs7JlOSOFs2hSjvrqYi8ggv+dGIzWJtYN/I7bwpDujjDZzjEIZSo0/Mppz1zhY6J39FSn7zqGwwqGH4enRk3GjlerksshV4==";

/// What a test checks of each finding: (path, line, category, severity, aws facts).
fn summarise(findings: &[Value]) -> Vec<Value> {
    findings
        .iter()
        .map(|f| {
            let a = &f["aws"];
            json!([
                f["path"],
                f["line"],
                f["category"],
                f["severity"],
                a["access_key_id"],
                a["kind"],
                a["account_id"],
                a["paired_secret"],
                a["secret"]["line"],
                a["session_token"],
                a["expiration"],
                a["profile"]
            ])
        })
        .collect()
}

fn scan(d: &TestDir) -> Vec<Value> {
    let run = d.run(&[
        "scan",
        "--format",
        "jsonl",
        "-q",
        "--skip-rule",
        "insecure-permissions",
    ]);
    assert!(run.code <= 1, "{}", run.stderr);
    summarise(&run.findings())
}

/// One key id with its secret, in each carrier: one critical finding, paired.
#[test]
fn id_and_secret_pair_in_every_carrier() {
    let carriers: &[(&str, String, u64, u64)] = &[
        (
            "shell.sh",
            format!(
                "#!/bin/sh\nexport AWS_ACCESS_KEY_ID={ID}\nexport AWS_SECRET_ACCESS_KEY={S1}\naws s3 ls\n"
            ),
            2,
            3,
        ),
        (
            ".env",
            format!(
                "AWS_REGION=eu-west-1\nAWS_ACCESS_KEY_ID=\"{ID}\"\nAWS_SECRET_ACCESS_KEY=\"{S1}\"\n"
            ),
            2,
            3,
        ),
        (
            "docker-compose.yml",
            format!(
                "services:\n  app:\n    environment:\n      - AWS_ACCESS_KEY_ID={ID}\n      - AWS_SECRET_ACCESS_KEY={S1}\n"
            ),
            4,
            5,
        ),
        (
            "upload.py",
            format!(
                "import boto3\n\ns3 = boto3.client(\n    's3',\n    aws_access_key_id='{ID}',\n    aws_secret_access_key='{S1}',\n)\n"
            ),
            5,
            6,
        ),
        (
            "config.js",
            format!(
                "const AWS = require('aws-sdk');\nAWS.config.update({{\n  accessKeyId: '{ID}',\n  secretAccessKey: '{S1}',\n  region: 'us-east-1',\n}});\n"
            ),
            3,
            4,
        ),
        (
            "app.properties",
            format!("aws.region=eu-west-1\naws.accessKeyId={ID}\naws.secretKey={S1}\n"),
            2,
            3,
        ),
        (
            "main.tf",
            format!(
                "provider \"aws\" {{\n  region     = \"us-east-1\"\n  access_key = \"{ID}\"\n  secret_key = \"{S1}\"\n}}\n"
            ),
            3,
            4,
        ),
        (
            "settings.yaml",
            format!(
                "aws:\n  access_key_id: {ID}\n  secret_access_key: {S1}\n  region: eu-west-1\n"
            ),
            2,
            3,
        ),
        // The secret before its id, unlabelled, in a JS object.
        (
            "creds.js",
            format!("module.exports = {{\n  secret: \"{S1}\",\n  id: \"{ID}\",\n}};\n"),
            3,
            2,
        ),
    ];
    for (file, content, id_line, secret_line) in carriers {
        let d = TestDir::new();
        d.write(file, content);
        assert_eq!(
            scan(&d),
            vec![json!([
                file,
                id_line,
                "aws-access-key",
                "critical",
                ID,
                "long-term",
                "123456789012",
                true,
                secret_line,
                false,
                null,
                null
            ])],
            "{file}"
        );
    }
}

#[test]
fn credentials_file_profiles() {
    let d = TestDir::new();
    d.write(
        "home/.aws/credentials",
        format!(
            "[default]\naws_access_key_id = {ID}\naws_secret_access_key = {S1}\n\n\
             [prod]\naws_access_key_id = {ID2}\naws_secret_access_key = {S2}\n\n\
             [legacy]\naws_access_key_id = {OLD}\n"
        ),
    );
    d.write(
        "home/.aws/config",
        "[profile sso]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n\
         credential_process = /usr/local/bin/get-creds\nrole_arn = arn:aws:iam::123456789012:role/admin\n",
    );
    let p = "home/.aws/credentials";
    assert_eq!(
        scan(&d),
        vec![
            json!([
                p,
                2,
                "aws-access-key",
                "critical",
                ID,
                "long-term",
                "123456789012",
                true,
                3,
                false,
                null,
                "default"
            ]),
            json!([
                p,
                6,
                "aws-access-key",
                "critical",
                ID2,
                "long-term",
                "210987654321",
                true,
                7,
                false,
                null,
                "prod"
            ]),
            json!([
                p,
                10,
                "aws-access-key",
                "high",
                OLD,
                "long-term",
                null,
                false,
                null,
                false,
                null,
                "legacy"
            ]),
        ]
    );
}

#[test]
fn sts_output_with_session_token() {
    let d = TestDir::new();
    d.write(
        "assume-role.json",
        format!(
            r#"{{
    "Credentials": {{
        "AccessKeyId": "{TEMP}",
        "SecretAccessKey": "{S2}",
        "SessionToken": "{TOKEN}",
        "Expiration": "2026-11-22T18:00:00+00:00"
    }},
    "AssumedRoleUser": {{
        "AssumedRoleId": "AROARTX3GSDSYABI2ZTWX:deploy"
    }}
}}
"#
        ),
    );
    assert_eq!(
        scan(&d),
        vec![json!([
            "assume-role.json",
            3,
            "aws-session-token",
            "medium",
            TEMP,
            "temporary",
            "111122223333",
            true,
            4,
            true,
            "2026-11-22T18:00:00+00:00",
            null
        ])]
    );
}

#[test]
fn id_alone_and_secret_alone() {
    let d = TestDir::new();
    d.write(
        "app.log",
        format!(
            "2026-11-02T10:00:00Z INFO signed request with access key {ID} for s3://bucket/key\n"
        ),
    );
    d.write("secret.env", format!("AWS_SECRET_ACCESS_KEY={S2}\n"));
    d.write("token.env", format!("AWS_SESSION_TOKEN={TOKEN}\n"));
    assert_eq!(
        scan(&d),
        vec![
            json!([
                "app.log",
                1,
                "aws-access-key",
                "high",
                ID,
                "long-term",
                "123456789012",
                false,
                null,
                false,
                null,
                null
            ]),
            json!([
                "secret.env",
                1,
                "aws-secret-key",
                "high",
                null,
                null,
                null,
                false,
                null,
                false,
                null,
                null
            ]),
            json!([
                "token.env",
                1,
                "aws-session-token",
                "medium",
                null,
                "temporary",
                null,
                false,
                null,
                true,
                null,
                null
            ]),
        ]
    );
}

/// Example keys, IAM ids that are not credentials, an id-shaped run inside a hash and
/// random unlabelled 40-character strings: nothing.
#[test]
fn aws_near_misses() {
    let d = TestDir::new();
    d.write(
        "docs.md",
        "```\n[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n```\n",
    );
    d.write(
        "get-user.json",
        "{\"User\": {\"UserId\": \"AIDARZPUZDIKIOJZ7DN7A\", \"Arn\": \"arn:aws:iam::123456789012:user/ci\"},\n\
         \"RoleId\": \"AROARZPUZDIKIOJZ7DN7B\", \"GroupId\": \"AGPARZPUZDIKIOJZ7DN7C\", \"PolicyId\": \"ANPARZPUZDIKIOJZ7DN7D\"}\n",
    );
    d.write(
        "yarn.lock",
        format!("integrity sha512-Zx9q{ID}{S1}{S2}==\n"),
    );
    d.write("random.txt", format!("{S1}\n{S2}\n"));
    let run = d.run(&["scan", "--format", "jsonl"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
}

/// The human report says what the key is and how to shut it off.
#[test]
fn human_advice() {
    let d = TestDir::new();
    d.write(
        ".env",
        format!("AWS_ACCESS_KEY_ID={ID}\nAWS_SECRET_ACCESS_KEY={S1}\n"),
    );
    d.chmod(".env", 0o600);
    let run = d.run(&["scan", "--color", "never"]);
    insta::assert_snapshot!(util::normalize_text(&run.stdout));
}

/// Which secret a key id takes when several are near: the nearest, the one after it on a
/// tie, and each secret once. Guards the indexed pairing (a file of tens of thousands of
/// ids and secrets pairs in n log n; it took 22 s for a 10 MB file when every id looked at
/// every secret).
#[test]
fn a_key_id_takes_the_nearest_secret_and_the_one_after_on_a_tie() {
    let d = TestDir::new();
    d.write(
        "creds.ini",
        format!(
            "aws_secret_access_key = {S1}\n\naws_access_key_id = {ID}\n\naws_secret_access_key = {S2}\n\n\n\n\n\n\naws_access_key_id = {ID2}\n"
        ),
    );
    let found = scan(&d);
    let paired: Vec<(Value, Value, Value)> = found
        .iter()
        .map(|f| (f[4].clone(), f[7].clone(), f[8].clone()))
        .collect();
    // ID (line 3) has S1 two lines before and S2 two lines after: it takes S2. ID2
    // (line 12) is 11 lines from S1, too far, and S2 is taken: it stands alone. S1 is
    // left as a secret of its own.
    assert!(
        paired.contains(&(json!(ID), json!(true), json!(5))),
        "{found:#?}"
    );
    assert!(
        paired.contains(&(json!(ID2), json!(false), Value::Null)),
        "{found:#?}"
    );
    assert_eq!(found.len(), 3, "{found:#?}");
}
