//! AWS key risk from the code beside it (issue 20): an `aws_iam_access_key` Terraform makes
//! for a user with AdministratorAccess or an `"Action": "*"` policy, in each of the forms
//! Terraform writes it; the found key that a state file or an IAM console CSV ties to it;
//! the near-misses that stay silent; and a root user's key, which stays a root key. The key
//! ids and secrets are random, made for these tests.

use serde_json::Value;

use crate::util::TestDir;

const ID: &str = "AKIARZPUZDIKIOJZ7DN7";
const ID2: &str = "AKIATCH6YDSYYYUWKYTK";
const ID3: &str = "AKIAJ2FAN53GZUWG6CJZ";
const S1: &str = "bDt66NLplZ04/VsRIkga8N2gF+h7qXlygY3pyI10";
const S2: &str = "70MLUEJZsDXgzn05cdG+9QdzdHjvt97FK/U3LHQx";

const IAM_TF: &str = r#"variable "ci_user" {
  default = "ci-deployer"
}

resource "aws_iam_user" "ci" {
  name = var.ci_user
}

resource "aws_iam_user_policy_attachment" "ci_admin" {
  user       = aws_iam_user.ci.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AdministratorAccess"
}

resource "aws_iam_access_key" "ci" {
  user = aws_iam_user.ci.name
}

# Admin through a group.
resource "aws_iam_group" "admins" {
  name = "admins"
}

resource "aws_iam_group_policy_attachment" "admins" {
  group      = aws_iam_group.admins.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

resource "aws_iam_user" "ops" {
  name = "ops"
}

resource "aws_iam_user_group_membership" "ops" {
  user   = aws_iam_user.ops.name
  groups = [aws_iam_group.admins.name]
}

resource "aws_iam_access_key" "ops" {
  user = aws_iam_user.ops.name
}

# "Action": "*" inline, written with jsonencode.
resource "aws_iam_user" "deploy" {
  name = "deploy"
}

resource "aws_iam_user_policy" "deploy" {
  name = "everything"
  user = aws_iam_user.deploy.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["*"]
        Resource = "*"
      },
    ]
  })
}

resource "aws_iam_access_key" "deploy" {
  user = aws_iam_user.deploy.name
}
"#;

const POLICIES_TF: &str = r#"data "aws_iam_policy_document" "all" {
  statement {
    actions   = ["*"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "all" {
  name   = "all"
  policy = data.aws_iam_policy_document.all.json
}

resource "aws_iam_user" "builder" {
  name = "builder"
}

resource "aws_iam_user_policy_attachment" "builder" {
  user       = aws_iam_user.builder.name
  policy_arn = aws_iam_policy.all.arn
}

resource "aws_iam_access_key" "builder" {
  user = "builder"
}

resource "aws_iam_user" "legacy" {
  name = "legacy"
}

resource "aws_iam_user_policy" "legacy" {
  user   = aws_iam_user.legacy.name
  policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
}
EOF
}

resource "aws_iam_access_key" "legacy" {
  user = aws_iam_user.legacy.name
}
"#;

/// Near-misses: a narrow policy, a `Deny` of everything, `NotAction`, a policy document
/// listing other actions, an admin without an access key, another managed policy.
const NEAR_TF: &str = r#"resource "aws_iam_user" "reader" {
  name = "reader"
}

resource "aws_iam_user_policy" "reader" {
  user   = aws_iam_user.reader.name
  policy = <<EOF
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"},
 {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}
EOF
}

resource "aws_iam_access_key" "reader" {
  user = aws_iam_user.reader.name
}

resource "aws_iam_user" "almost" {
  name = "almost"
}

resource "aws_iam_user_policy" "almost" {
  user = aws_iam_user.almost.name
  policy = jsonencode({
    Statement = [{ Effect = "Allow", NotAction = "*", Resource = "*" }]
  })
}

resource "aws_iam_access_key" "almost" {
  user = aws_iam_user.almost.name
}

data "aws_iam_policy_document" "s3" {
  statement {
    actions   = ["s3:*"]
    resources = ["*"]
  }
}

resource "aws_iam_user" "s3" {
  name = "s3"
}

resource "aws_iam_user_policy" "s3" {
  user   = aws_iam_user.s3.name
  policy = data.aws_iam_policy_document.s3.json
}

resource "aws_iam_access_key" "s3" {
  user = aws_iam_user.s3.name
}

resource "aws_iam_user" "boss" {
  name = "boss"
}

resource "aws_iam_user_policy_attachment" "boss" {
  user       = aws_iam_user.boss.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

resource "aws_iam_user" "viewer" {
  name = "viewer"
}

resource "aws_iam_user_policy_attachment" "viewer" {
  user       = aws_iam_user.viewer.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_access_key" "viewer" {
  user = aws_iam_user.viewer.name
}
"#;

fn line_of(text: &str, needle: &str) -> u64 {
    let at = text.find(needle).unwrap_or_else(|| panic!("{needle}"));
    1 + text[..at].matches('\n').count() as u64
}

fn jsonl(d: &TestDir, extra: &[&str]) -> Vec<Value> {
    let mut args = vec![
        "scan",
        "--format",
        "jsonl",
        "-q",
        "--skip-rule",
        "insecure-permissions",
        ".",
    ];
    args.extend_from_slice(extra);
    let run = d.run(&args);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    run.findings()
}

fn risks(found: &[Value]) -> Vec<(String, u64, String)> {
    found
        .iter()
        .filter(|f| f["category"] == "aws-key-risk")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn tree(d: &TestDir) {
    d.write("infra/iam.tf", IAM_TF);
    d.write("infra/policies.tf", POLICIES_TF);
    d.write("near/main.tf", NEAR_TF);
}

#[test]
fn access_keys_made_for_administrators_in_every_form() {
    let d = TestDir::new();
    tree(&d);
    let found = jsonl(&d, &[]);
    let key = |text: &str, name: &str| line_of(text, &format!("\"aws_iam_access_key\" \"{name}\""));
    let got = risks(&found);
    let want = [
        (
            "infra/iam.tf",
            key(IAM_TF, "ci"),
            "aws_iam_access_key.ci makes a long-term key for aws_iam_user.ci (\"ci-deployer\"), which has AdministratorAccess via aws_iam_user_policy_attachment.ci_admin",
        ),
        (
            "infra/iam.tf",
            key(IAM_TF, "ops"),
            "aws_iam_access_key.ops makes a long-term key for aws_iam_user.ops (\"ops\"), which has AdministratorAccess via aws_iam_group_policy_attachment.admins (through group admins)",
        ),
        (
            "infra/iam.tf",
            key(IAM_TF, "deploy"),
            "aws_iam_access_key.deploy makes a long-term key for aws_iam_user.deploy (\"deploy\"), which has a policy allowing \"Action\": \"*\" via aws_iam_user_policy.deploy",
        ),
        (
            "infra/policies.tf",
            key(POLICIES_TF, "builder"),
            "aws_iam_access_key.builder makes a long-term key for aws_iam_user.builder (\"builder\"), which has aws_iam_policy.all: data.aws_iam_policy_document.all allows actions [\"*\"] via aws_iam_user_policy_attachment.builder",
        ),
        (
            "infra/policies.tf",
            key(POLICIES_TF, "legacy"),
            "aws_iam_access_key.legacy makes a long-term key for aws_iam_user.legacy (\"legacy\"), which has a policy allowing \"Action\": \"*\" via aws_iam_user_policy.legacy",
        ),
    ];
    let want: Vec<(String, u64, String)> = want
        .iter()
        .map(|(p, l, w)| {
            (
                p.to_string(),
                *l,
                format!("Access key for an administrator: {w}"),
            )
        })
        .collect();
    let mut got_sorted = got.clone();
    got_sorted.sort();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    assert_eq!(got_sorted, want_sorted);
    for f in found.iter().filter(|f| f["category"] == "aws-key-risk") {
        assert_eq!(f["severity"], "high");
        assert_eq!(f["rule"], "aws-key-risk");
        let advice = f["advice"].as_str().unwrap();
        assert!(advice.contains("least privilege"), "{advice}");
        assert!(advice.contains("short-lived credentials"), "{advice}");
    }
    // The near-misses stay silent, and nothing else is found there.
    assert!(
        found.iter().all(|f| f["path"] != "near/main.tf"),
        "{found:#?}"
    );

    // Selectable like any rule, and listed.
    let skipped = jsonl(&d, &["--skip-rule", "aws-key-risk"]);
    assert!(risks(&skipped).is_empty());
    let only = jsonl(&d, &["--rule", "aws-key-risk"]);
    assert_eq!(risks(&only).len(), want.len());
    let list = d.run(&["rules", "list"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(list.stdout.contains("aws-key-risk"), "{}", list.stdout);
}

fn state(id: &str, secret: &str, name: &str, user: &str) -> String {
    format!(
        r#"{{
  "version": 4,
  "terraform_version": "1.6.6",
  "serial": 3,
  "outputs": {{}},
  "resources": [
    {{
      "mode": "managed",
      "type": "aws_iam_access_key",
      "name": "{name}",
      "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
      "instances": [
        {{
          "schema_version": 0,
          "attributes": {{
            "id": "{id}",
            "secret": "{secret}",
            "status": "Active",
            "user": "{user}"
          }}
        }}
      ]
    }}
  ]
}}
"#
    )
}

#[test]
fn a_found_key_is_tied_to_the_administrator_it_was_made_for() {
    let d = TestDir::new();
    tree(&d);
    // Committed state beside the code: the key Terraform made for ci.
    d.write(
        "infra/terraform.tfstate",
        state(ID, S1, "ci", "ci-deployer"),
    );
    // The console's CSV for ops, named by the user.
    d.write(
        "secrets/ops_accessKeys.csv",
        format!("Access key ID,Secret access key\n{ID2},{S2}\n"),
    );
    // A key for the reader (no admin rights): found, but nothing more said of it.
    d.write("near/terraform.tfstate", state(ID3, S1, "reader", "reader"));
    for format in ["jsonl", "json"] {
        let run = d.run(&[
            "scan",
            "--format",
            format,
            "-q",
            "--skip-rule",
            "insecure-permissions",
            ".",
        ]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let found: Vec<Value> = if format == "json" {
            let v: Value = serde_json::from_str(&run.stdout).unwrap();
            v["findings"].as_array().unwrap().clone()
        } else {
            run.findings()
        };
        let by_id = |id: &str| {
            found
                .iter()
                .find(|f| f["aws"]["access_key_id"] == id)
                .unwrap_or_else(|| panic!("{id} not found: {found:#?}"))
                .clone()
        };
        let ci = by_id(ID);
        assert_eq!(ci["path"], "infra/terraform.tfstate");
        assert_eq!(ci["severity"], "critical");
        let ci_line = line_of(IAM_TF, "\"aws_iam_access_key\" \"ci\"");
        assert_eq!(
            ci["name"],
            format!(
                "AWS access key of an administrator: made by aws_iam_access_key.ci (infra/iam.tf:{ci_line}) for aws_iam_user.ci (\"ci-deployer\"), which has AdministratorAccess via aws_iam_user_policy_attachment.ci_admin"
            )
        );
        assert!(ci["advice"].as_str().unwrap().contains("least privilege"));
        let ops = by_id(ID2);
        assert_eq!(ops["path"], "secrets/ops_accessKeys.csv");
        assert!(
            ops["name"]
                .as_str()
                .unwrap()
                .starts_with("AWS access key of an administrator: made by aws_iam_access_key.ops"),
            "{ops}"
        );
        let reader = by_id(ID3);
        assert!(
            !reader["name"].as_str().unwrap().contains("administrator"),
            "{reader}"
        );
        assert!(reader["advice"].is_null(), "{reader}");
    }
    // The human report says it in one line.
    let human = d.run(&["scan", "-q", "--skip-rule", "insecure-permissions", "."]);
    assert!(
        human
            .stdout
            .contains("AWS access key of an administrator: made by aws_iam_access_key.ci"),
        "{}",
        human.stdout
    );
    // Without the check, the key is an AWS key like any other.
    let skipped = jsonl(&d, &["--skip-rule", "aws-key-risk"]);
    let ci = skipped
        .iter()
        .find(|f| f["aws"]["access_key_id"] == ID)
        .unwrap();
    assert!(!ci["name"].as_str().unwrap().contains("administrator"));
}

#[test]
fn a_root_key_stays_a_root_key() {
    let d = TestDir::new();
    tree(&d);
    // The console's rootkey.csv, holding (absurdly) the same id a state gives the admin:
    // root is the stronger word, and it is kept.
    d.write(
        "rootkey.csv",
        format!("Access key ID,Secret access key\n{ID},{S1}\n"),
    );
    d.write(
        "infra/terraform.tfstate",
        state(ID, S1, "ci", "ci-deployer"),
    );
    let found = jsonl(&d, &[]);
    let root = found
        .iter()
        .find(|f| f["path"] == "rootkey.csv")
        .expect("rootkey.csv");
    assert_eq!(root["aws"]["root"], true);
    assert_eq!(root["severity"], "critical");
    assert!(
        root["name"]
            .as_str()
            .unwrap()
            .contains("root should have no access keys"),
        "{root}"
    );
    let state = found
        .iter()
        .find(|f| f["path"] == "infra/terraform.tfstate")
        .unwrap();
    assert!(
        state["name"]
            .as_str()
            .unwrap()
            .contains("of an administrator")
    );
}
