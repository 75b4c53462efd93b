//! The exposure checks in a repository's history (issue 20): a security group opened to
//! the world in one commit and closed in a later one is reported at the commit that opened
//! it, no longer at HEAD; a weak sshd setting still in HEAD says so; the same from loose
//! objects and from packs (the pass over the packs keeps these files for reading); the
//! hooks block such a change; a sweep reports a door once, where the work tree has it.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::util::{self, TestDir, git};

/// A security group with SSH open to the world (also `org_exposure`'s).
pub(crate) const OPEN_TF: &str = r#"resource "aws_security_group" "bastion" {
  name = "bastion"

  ingress {
    description = "SSH"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"#;

const CFN_YAML: &str = "AWSTemplateFormatVersion: '2010-09-09'
Resources:
  AdminSG:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: admin
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIpv6: ::/0
";

/// A repository whose history opens doors and closes some: returns the commits, in order.
fn repo(d: &TestDir) -> (std::path::PathBuf, Vec<String>) {
    let r = d.git_repo("r");
    let mut commits = Vec::new();
    let mut commit = |msg: &str| {
        git(&r, &["add", "-A"]);
        git(&r, &["commit", "-qm", msg]);
        commits.push(git(&r, &["rev-parse", "HEAD"]));
    };
    // 0: the group is opened to the world; a near-miss beside it (another port).
    util::write_at(&r, "infra/network.tf", OPEN_TF);
    util::write_at(
        &r,
        "infra/other.tf",
        OPEN_TF.replace("bastion", "alt").replace("= 22", "= 2222"),
    );
    commit("bastion for the contractors");
    // 1: a CloudFormation template (named like any YAML) opens SSH over IPv6.
    util::write_at(&r, "deploy/stack.yml", CFN_YAML);
    util::write_at(
        &r,
        "etc/ssh/sshd_config",
        "PasswordAuthentication no\nPermitRootLogin yes\n",
    );
    commit("admin stack");
    // 2: closed: the group to the office, the template removed. sshd_config stays.
    util::write_at(
        &r,
        "infra/network.tf",
        OPEN_TF.replace("0.0.0.0/0", "203.0.113.10/32"),
    );
    std::fs::remove_file(r.join("deploy/stack.yml")).unwrap();
    commit("close SSH to the office only");
    (r, commits)
}

/// `(category, path, line, commit, present_at_head)` of the exposure findings.
fn doors(found: &[Value]) -> BTreeSet<(String, String, u64, String, bool)> {
    found
        .iter()
        .filter(|f| f["advice"].is_string())
        .map(|f| {
            (
                f["category"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["git"]["commit"].as_str().unwrap_or("").to_string(),
                f["git"]["present_at_head"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn history(r: &std::path::Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["history", "--format", "jsonl", "-q"];
    args.extend_from_slice(extra);
    let run = util::run_in(r, &args);
    assert!(run.code <= 1, "{}", run.stderr);
    run.findings()
}

#[test]
fn a_door_opened_and_closed_is_found_at_its_commit() {
    let d = TestDir::new();
    let (r, c) = repo(&d);
    let want: BTreeSet<(String, String, u64, String, bool)> = [
        ("ssh-open-to-world", "infra/network.tf", 4, &c[0], false),
        ("ssh-open-to-world", "deploy/stack.yml", 3, &c[1], false),
        ("sshd-weak-setting", "etc/ssh/sshd_config", 2, &c[1], true),
    ]
    .into_iter()
    .map(|(k, p, l, c, h)| (k.to_string(), p.to_string(), l, c.clone(), h))
    .collect();
    // Loose objects: every blob is read.
    let loose = history(&r, &[]);
    assert_eq!(doors(&loose), want, "{loose:#?}");
    let sg = loose
        .iter()
        .find(|f| f["path"] == "infra/network.tf")
        .unwrap();
    assert_eq!(
        sg["name"],
        "SSH open to the world: aws_security_group.bastion lets 0.0.0.0/0 reach port 22"
    );
    // Packed: the pass over the packs keeps these blobs for reading again.
    git(&r, &["gc", "-q", "--aggressive"]);
    assert!(
        std::fs::read_dir(r.join(".git/objects/pack"))
            .unwrap()
            .flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "pack"))
    );
    let packed = history(&r, &[]);
    assert_eq!(doors(&packed), want, "{packed:#?}");

    // The human report says what history means for a door: nothing to purge.
    let human = util::run_in(&r, &["history", "-q"]);
    assert!(
        human.stdout.contains("closed since: nothing to purge"),
        "{}",
        human.stdout
    );

    // Selected like any rule.
    let only = history(&r, &["--skip-rule", "ssh-open-to-world"]);
    assert_eq!(
        doors(&only).into_iter().map(|d| d.0).collect::<Vec<_>>(),
        ["sshd-weak-setting"]
    );
    assert_eq!(
        util::run_in(&r, &["history", "-q", "--rule", "aws-key-risk"]).code,
        0
    );
}

#[test]
fn hooks_block_an_open_door() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    util::write_at(&r, "infra/network.tf", OPEN_TF);
    git(&r, &["add", "-A"]);
    let out = util::keysweep(&r, &["hook", "pre-commit"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("SSH open to the world"), "{err}");
    // Accepted in place: the commit goes through.
    util::write_at(
        &r,
        "infra/network.tf",
        OPEN_TF.replace(
            "  ingress {",
            "  # keysweep:allow the bastion's own allow-list is in the NACL\n  ingress {",
        ),
    );
    git(&r, &["add", "-A"]);
    let out = util::keysweep(&r, &["hook", "pre-commit"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_sweep_reports_a_door_once() {
    let d = TestDir::new();
    let r = d.git_repo("home/src/infra");
    util::write_at(&r, "network.tf", OPEN_TF);
    git(&r, &["add", "-A"]);
    git(&r, &["commit", "-qm", "open"]);
    let run = d.run(&["sweep", "--home", "home", "--format", "jsonl", "-q"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = run.findings();
    let open: Vec<&Value> = found
        .iter()
        .filter(|f| f["category"] == "ssh-open-to-world")
        .collect();
    assert_eq!(open.len(), 1, "{open:#?}");
    assert!(open[0]["file"].is_object(), "{}", open[0]);
}

/// A door's id is keyed by where it is: one version of a file at two paths is two doors
/// in history, each with the id `scan` gives it there (a baseline made by either accepts
/// both). A renamed file's door is at HEAD at its new path, not its old one (history
/// reports a secret or a door at each path it lived at); edits that close it do not.
#[test]
fn a_door_is_keyed_by_each_path_and_followed_to_head() {
    let d = TestDir::new();
    let r = d.git_repo("r");
    util::write_at(&r, "infra/a.tf", OPEN_TF);
    util::write_at(&r, "infra/b.tf", OPEN_TF);
    git(&r, &["add", "-A"]);
    git(&r, &["commit", "-qm", "open twice"]);
    let ids = |found: &[Value]| -> BTreeSet<(String, String, bool)> {
        found
            .iter()
            .filter(|f| f["category"] == "ssh-open-to-world")
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["id"].as_str().unwrap().to_string(),
                    f["git"]["present_at_head"].as_bool().unwrap_or(true),
                )
            })
            .collect()
    };
    let history_ids = ids(&history(&r, &[]));
    let scan = util::run_in(&r, &["scan", "--format", "jsonl", "-q", "."]);
    assert_eq!(history_ids, ids(&scan.findings()));
    assert_eq!(history_ids.len(), 2);

    // Renamed: the door is at HEAD at its new path, and no longer at the old one. Closed
    // there: it is not.
    git(&r, &["mv", "infra/a.tf", "infra/c.tf"]);
    git(&r, &["commit", "-qm", "rename"]);
    let at_head = |found: &[Value], p: &str| {
        found
            .iter()
            .find(|f| f["path"] == p && f["category"] == "ssh-open-to-world")
            .unwrap_or_else(|| panic!("{p}: {found:#?}"))["git"]["present_at_head"]
            .clone()
    };
    let found = history(&r, &[]);
    assert_eq!(at_head(&found, "infra/a.tf"), false);
    assert_eq!(at_head(&found, "infra/c.tf"), true);
    util::write_at(&r, "infra/c.tf", OPEN_TF.replace("0.0.0.0/0", "10.0.0.0/8"));
    git(&r, &["commit", "-qam", "close one"]);
    // b.tf is the same version still: that door is open at HEAD, in b.tf.
    let found = history(&r, &[]);
    assert_eq!(at_head(&found, "infra/b.tf"), true);
    util::write_at(&r, "infra/b.tf", OPEN_TF.replace("0.0.0.0/0", "10.0.0.0/8"));
    git(&r, &["commit", "-qam", "close the other"]);
    let found = history(&r, &[]);
    assert_eq!(at_head(&found, "infra/a.tf"), false);
    assert_eq!(at_head(&found, "infra/b.tf"), false);
}
