//! Exposure checks (issue 20): SSH open to the world in Terraform and CloudFormation, weak
//! sshd settings (sshd_config, cloud-init, Ansible), and a leaked key followed to the
//! instances its public half opens. Each check's near-misses stay silent.

use serde_json::Value;

use crate::util::{TestDir, key};

/// `(category, path, line, name)` of the exposure findings of `scan --format jsonl .`.
fn exposures(d: &TestDir, extra: &[&str]) -> Vec<(String, String, u64, String)> {
    let mut args = vec!["scan", "--format", "jsonl", "."];
    args.extend_from_slice(extra);
    let run = d.run(&args);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    run.findings()
        .into_iter()
        .filter(|f| f["category"] == "ssh-open-to-world" || f["category"] == "sshd-weak-setting")
        .map(|f| {
            (
                f["category"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn terraform_tree(d: &TestDir) {
    d.write(
        "infra/variables.tf",
        r#"variable "admin_cidr" {
  description = "Who may SSH in"
  type        = string
  default     = "0.0.0.0/0"
}

variable "office_cidr" {
  type    = string
  default = "203.0.113.10/32"
}
"#,
    );
    d.write(
        "infra/network.tf",
        r#"resource "aws_security_group" "bastion" {
  name        = "bastion"
  description = "SSH from the admins"
  vpc_id      = aws_vpc.main.id

  ingress {
    description = "SSH"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.admin_cidr]
  }

  # An SSH server on another port: not port 22.
  ingress {
    from_port   = 2222
    to_port     = 2222
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8", var.office_cidr]
    # cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "app" {
  name = "app"
}

resource "aws_security_group_rule" "app_all" {
  type              = "ingress"
  from_port         = 0
  to_port           = 65535
  protocol          = "tcp"
  ipv6_cidr_blocks  = ["::/0"]
  security_group_id = aws_security_group.app.id
}

resource "aws_security_group_rule" "app_https" {
  type              = "ingress"
  from_port         = 443
  to_port           = 443
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = aws_security_group.app.id
}

/*
resource "aws_security_group_rule" "old" {
  type        = "ingress"
  from_port   = 22
  to_port     = 22
  protocol    = "tcp"
  cidr_blocks = ["0.0.0.0/0"]
  security_group_id = aws_security_group.app.id
}
*/
"#,
    );
    d.write(
        "infra/modules/worker/main.tf",
        r#"variable "ssh_from" {
  default = "::/0"
}

resource "aws_security_group" "worker" {
  name = "worker"
}

resource "aws_vpc_security_group_ingress_rule" "ssh" {
  security_group_id = aws_security_group.worker.id
  cidr_ipv6         = var.ssh_from
  from_port         = 22
  ip_protocol       = "tcp"
  to_port           = 22
}

resource "aws_vpc_security_group_ingress_rule" "everything" {
  security_group_id = aws_security_group.worker.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

resource "aws_vpc_security_group_ingress_rule" "internal" {
  security_group_id = aws_security_group.worker.id
  cidr_ipv4         = "172.16.0.0/12"
  ip_protocol       = "-1"
}
"#,
    );
    d.write(
        "infra/legacy.tf.json",
        r#"{
  "resource": {
    "aws_security_group": {
      "legacy": {
        "name": "legacy",
        "ingress": [
          {"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]},
          {"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["192.168.0.0/16"]}
        ]
      }
    }
  }
}
"#,
    );
}

#[test]
fn terraform_rules_open_to_the_world() {
    let d = TestDir::new();
    terraform_tree(&d);
    let found = exposures(&d, &[]);
    let got: Vec<(&str, u64, &str)> = found
        .iter()
        .map(|(c, p, l, n)| {
            assert_eq!(c, "ssh-open-to-world");
            (p.as_str(), *l, n.as_str())
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "infra/legacy.tf.json",
                4,
                "SSH open to the world: aws_security_group.legacy lets 0.0.0.0/0 reach port 22"
            ),
            (
                "infra/modules/worker/main.tf",
                9,
                "SSH open to the world: aws_vpc_security_group_ingress_rule.ssh lets ::/0 reach port 22"
            ),
            (
                "infra/modules/worker/main.tf",
                17,
                "SSH open to the world: aws_vpc_security_group_ingress_rule.everything lets 0.0.0.0/0 reach all traffic"
            ),
            (
                "infra/network.tf",
                6,
                "SSH open to the world: aws_security_group.bastion lets 0.0.0.0/0 reach port 22"
            ),
            (
                "infra/network.tf",
                42,
                "SSH open to the world: aws_security_group_rule.app_all lets ::/0 reach ports 0-65535"
            ),
        ]
    );
    let run = d.run(&["scan", "--format", "jsonl", "."]);
    let f = &run.findings()[0];
    assert_eq!(f["severity"], "high");
    assert!(
        f["advice"]
            .as_str()
            .unwrap()
            .contains("Session Manager or an EC2 Instance Connect Endpoint")
    );
    // Selectable like any rule.
    assert!(exposures(&d, &["--skip-rule", "ssh-open-to-world"]).is_empty());
    assert_eq!(exposures(&d, &["--rule", "ssh-open-to-world"]).len(), 5);
    assert!(exposures(&d, &["--rule", "sshd-weak-setting"]).is_empty());
}

#[test]
fn cloudformation_json_and_yaml() {
    let d = TestDir::new();
    d.write(
        "cfn/bastion.yaml",
        r#"AWSTemplateFormatVersion: "2010-09-09"
Description: Bastion host
Parameters:
  SSHLocation:
    Description: The IP address range that can SSH to the instance
    Type: String
    Default: 0.0.0.0/0
  OfficeLocation:
    Type: String
    Default: 198.51.100.0/24
Resources:
  BastionSecurityGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: Enable SSH access via port 22
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: !Ref SSHLocation
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: !Ref OfficeLocation
        - IpProtocol: tcp
          FromPort: 80
          ToPort: 80
          CidrIp: 0.0.0.0/0
  # OldRule:
  #   Type: AWS::EC2::SecurityGroupIngress
  #     CidrIp: 0.0.0.0/0
  AnyIpv6:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !Ref BastionSecurityGroup
      IpProtocol: "-1"
      CidrIpv6: "::/0"
"#,
    );
    d.write(
        "cfn/web.json",
        r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Resources": {
    "WebServerSecurityGroup": {
      "Type": "AWS::EC2::SecurityGroup",
      "Properties": {
        "GroupDescription": "Enable HTTP and SSH",
        "SecurityGroupIngress": [
          {"IpProtocol": "tcp", "FromPort": "80", "ToPort": "80", "CidrIp": "0.0.0.0/0"},
          {"IpProtocol": "tcp", "FromPort": "22", "ToPort": "22", "CidrIp": "0.0.0.0/0"}
        ]
      }
    },
    "InternalSSH": {
      "Type": "AWS::EC2::SecurityGroupIngress",
      "Properties": {"GroupId": "sg-1", "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "10.0.0.0/8"}
    },
    "AltPort": {
      "Type": "AWS::EC2::SecurityGroupIngress",
      "Properties": {"GroupId": "sg-1", "IpProtocol": "tcp", "FromPort": 2222, "ToPort": 2222, "CidrIp": "0.0.0.0/0"}
    }
  }
}
"#,
    );
    // Not CloudFormation: a Kubernetes manifest mentioning port 22 and 0.0.0.0/0.
    d.write(
        "k8s/svc.yaml",
        "kind: NetworkPolicy\nspec:\n  ingress:\n    - from:\n        - ipBlock:\n            cidr: 0.0.0.0/0\n      ports:\n        - port: 22\n",
    );
    let found = exposures(&d, &[]);
    let got: Vec<(&str, u64, &str)> = found
        .iter()
        .map(|(_, p, l, n)| (p.as_str(), *l, n.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "cfn/bastion.yaml",
                12,
                "SSH open to the world: BastionSecurityGroup lets 0.0.0.0/0 reach port 22"
            ),
            (
                "cfn/bastion.yaml",
                32,
                "SSH open to the world: AnyIpv6 lets ::/0 reach all traffic"
            ),
            (
                "cfn/web.json",
                4,
                "SSH open to the world: WebServerSecurityGroup lets 0.0.0.0/0 reach port 22"
            ),
        ]
    );
}

#[test]
fn sshd_config_with_match_include_and_first_value_wins() {
    let d = TestDir::new();
    d.write(
        "etc/ssh/sshd_config",
        "\
# $OpenBSD: sshd_config,v 1.104 2021/07/02 05:11:21 dtucker Exp $
Include /etc/ssh/sshd_config.d/*.conf

#PermitRootLogin yes
PermitRootLogin prohibit-password
PermitEmptyPasswords no
PermitEmptyPasswords yes
PasswordAuthentication no
KbdInteractiveAuthentication no

Match Address 10.0.0.0/8
    PermitRootLogin yes
    PasswordAuthentication yes
",
    );
    // Read first (Include comes first): its value wins over the `no` in sshd_config.
    d.write(
        "etc/ssh/sshd_config.d/50-cloud-init.conf",
        "PasswordAuthentication yes\n",
    );
    d.write(
        "etc/ssh/sshd_config.d/60-hardening.conf",
        "# PermitEmptyPasswords yes\nPasswordAuthentication no\n",
    );
    // Another machine's config: root with a password, PasswordAuthentication unset.
    d.write(
        "roles/legacy/files/sshd_config",
        "Port 22\nPermitRootLogin yes\nUsePAM yes\n",
    );
    let found = exposures(&d, &[]);
    let got: Vec<(&str, u64, &str)> = found
        .iter()
        .map(|(c, p, l, n)| {
            assert_eq!(c, "sshd-weak-setting");
            (p.as_str(), *l, n.as_str())
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "etc/ssh/sshd_config.d/50-cloud-init.conf",
                1,
                "PasswordAuthentication yes: passwords can be guessed over SSH (OpenSSH's default is yes, so say no explicitly)"
            ),
            (
                "roles/legacy/files/sshd_config",
                1,
                "PasswordAuthentication is not set: OpenSSH's default is yes, so passwords are accepted"
            ),
            (
                "roles/legacy/files/sshd_config",
                2,
                "PermitRootLogin yes: root may log in over SSH, with a password too (OpenSSH's default is prohibit-password)"
            ),
        ]
    );
}

#[test]
fn cloud_init_and_ansible() {
    let d = TestDir::new();
    d.write(
        "cloud/user-data.yaml",
        "#cloud-config\nhostname: web\nssh_pwauth: true\ndisable_root: false\nusers:\n  - name: deploy\n    sudo: ALL=(ALL) NOPASSWD:ALL\n",
    );
    d.write(
        "cloud/safe.yaml",
        "#cloud-config\nssh_pwauth: false\n# disable_root: false\n",
    );
    // Not cloud-init (no #cloud-config header).
    d.write("cloud/notes.yaml", "ssh_pwauth: true\n");
    d.write(
        "ansible/roles/ssh/tasks/main.yml",
        r#"---
- name: Allow root login
  ansible.builtin.lineinfile:
    path: /etc/ssh/sshd_config
    regexp: '^#?PermitRootLogin'
    line: 'PermitRootLogin yes'
  notify: restart sshd

- name: No passwords
  lineinfile:
    dest: /etc/ssh/sshd_config
    regexp: '^PasswordAuthentication'
    line: 'PasswordAuthentication no'

- name: Not sshd
  lineinfile:
    path: /etc/ssh/ssh_config
    line: 'PasswordAuthentication yes'
"#,
    );
    let found = exposures(&d, &[]);
    let got: Vec<(&str, u64, &str)> = found
        .iter()
        .map(|(_, p, l, n)| (p.as_str(), *l, n.as_str()))
        .collect();
    assert_eq!(got.len(), 3, "{got:#?}");
    assert_eq!(got[0].0, "ansible/roles/ssh/tasks/main.yml");
    assert_eq!(got[0].1, 6);
    assert!(
        got[0]
            .2
            .starts_with("Ansible lineinfile writes PermitRootLogin yes")
    );
    assert_eq!((got[1].0, got[1].1), ("cloud/user-data.yaml", 3));
    assert!(got[1].2.contains("ssh_pwauth: true"));
    assert_eq!((got[2].0, got[2].1), ("cloud/user-data.yaml", 4));
    assert!(got[2].2.contains("disable_root: false"));
}

/// The link: a leaked `.pem`, an `aws_key_pair` holding its public half, an instance
/// using that key pair, and the instance's group open to the world: one finding, the
/// key's, naming all of them, critical. cloud-init's `ssh_authorized_keys` trusts it too.
#[test]
fn a_leaked_key_is_followed_to_the_instance_it_opens() {
    let d = TestDir::new();
    d.write("secrets/deploy.pem", key("openssh_ed25519"));
    d.chmod("secrets/deploy.pem", 0o600);
    let public = key("openssh_ed25519.pub");
    d.write(
        "infra/keys.tf",
        format!(
            "resource \"aws_key_pair\" \"deployer\" {{\n  key_name   = \"deployer-key\"\n  public_key = \"{}\"\n}}\n",
            public.trim()
        ),
    );
    d.write(
        "infra/main.tf",
        r#"resource "aws_security_group" "web" {
  name = "web"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "private" {
  name = "private"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/16"]
  }
}

resource "aws_instance" "web" {
  ami                    = "ami-0c55b159cbfafe1f0"
  instance_type          = "t3.micro"
  key_name               = aws_key_pair.deployer.key_name
  vpc_security_group_ids = [aws_security_group.web.id]
}

resource "aws_instance" "db" {
  ami                    = "ami-0c55b159cbfafe1f0"
  instance_type          = "t3.micro"
  key_name               = "deployer-key"
  vpc_security_group_ids = [aws_security_group.private.id]
}
"#,
    );
    d.write(
        "cloud/user-data",
        format!(
            "#cloud-config\nssh_authorized_keys:\n  - {}\n",
            public.trim()
        ),
    );
    let run = d.run(&["scan", "--format", "jsonl", "."]);
    let keys: Vec<Value> = run
        .findings()
        .into_iter()
        .filter(|f| f["category"] == "private-key")
        .collect();
    assert_eq!(keys.len(), 1);
    let k = &keys[0];
    assert_eq!(k["severity"], "critical");
    assert_eq!(
        k["key"]["opens"],
        serde_json::json!([
            "opens aws_instance.web, SSH open to 0.0.0.0/0 via aws_security_group.web (key pair aws_key_pair.deployer, infra/keys.tf:1)"
        ])
    );
    let places: Vec<&str> = k["key"]["authorized_in"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert!(places.contains(&"infra/keys.tf"), "{places:?}");
    assert!(places.contains(&"cloud/user-data"), "{places:?}");
    // The human report says it in one line.
    let human = d.run(&["scan", "."]);
    assert!(
        human
            .stdout
            .contains("opens aws_instance.web, SSH open to 0.0.0.0/0 via aws_security_group.web"),
        "{}",
        human.stdout
    );
    // Its advice speaks of the key pair and the instances, and of the other places.
    for words in [
        "rotate the key pair: put a new key's public half in the aws_key_pair above",
        "replace the key on every instance that used it",
        "(authorized_keys, cloud-init user data)",
    ] {
        assert!(human.stdout.contains(words), "{words}: {}", human.stdout);
    }
    // And SARIF carries it in the key's message.
    let sarif = d.run(&["scan", "--format", "sarif", "."]);
    assert!(sarif.stdout.contains("opens aws_instance.web"));
    assert!(sarif.stdout.contains("\"ssh-open-to-world\""));
}

/// An encrypted key is high; the link to an open instance makes it critical. With the
/// group closed, the key pair is still named as trusting it, and nothing is raised.
#[test]
fn the_link_raises_only_what_is_open() {
    let d = TestDir::new();
    d.write("k/deploy_enc", key("openssh_ed25519_enc"));
    d.chmod("k/deploy_enc", 0o600);
    d.write("tf/deploy.pub", key("openssh_ed25519_enc.pub"));
    let tf = |cidr: &str| {
        format!(
            r#"resource "aws_key_pair" "ops" {{
  key_name   = "ops"
  public_key = file("${{path.module}}/deploy.pub")
}}
resource "aws_security_group" "ssh" {{
  ingress {{
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["{cidr}"]
  }}
}}
resource "aws_instance" "ops" {{
  key_name               = aws_key_pair.ops.key_name
  vpc_security_group_ids = [aws_security_group.ssh.id]
}}
"#
        )
    };
    let key_finding = |d: &TestDir| {
        d.run(&["scan", "--format", "jsonl", "."])
            .findings()
            .into_iter()
            .find(|f| f["category"] == "private-key")
            .unwrap()
    };
    d.write("tf/main.tf", tf("192.0.2.0/24"));
    let k = key_finding(&d);
    assert_eq!(k["severity"], "high");
    assert!(k["key"].get("opens").is_none());
    assert!(
        k["key"]["authorized_in"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["path"] == "tf/main.tf")
    );
    d.write("tf/main.tf", tf("0.0.0.0/0"));
    let k = key_finding(&d);
    assert_eq!(k["severity"], "critical");
    assert_eq!(
        k["key"]["opens"][0],
        "opens aws_instance.ops, SSH open to 0.0.0.0/0 via aws_security_group.ssh (key pair aws_key_pair.ops, tf/main.tf:1)"
    );
}

/// Hostile or broken files never crash a scan or hang it: deep nesting, truncated
/// files, odd whitespace.
#[test]
fn hostile_and_truncated_files_are_survived() {
    let d = TestDir::new();
    let deep_yaml: String = (0..20_000)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i % 300)))
        .collect();
    d.write(
        "cfn/deep.yaml",
        format!("AWSTemplateFormatVersion: x\n{deep_yaml}"),
    );
    d.write(
        "cfn/dashes.yml",
        format!("AWSTemplateFormatVersion: x\n{}x\n", "- ".repeat(50_000)),
    );
    d.write(
        "tf/deep.tf",
        format!(
            "resource \"a\" \"b\" {{\n  x = {}\n}}\n",
            "[".repeat(100_000)
        ),
    );
    d.write("tf/blocks.tf", "a {\n".repeat(50_000));
    d.write(
        "cloud/odd",
        "#cloud-config\nwrite_files:\n  - content: |\n      x\n\u{3000}\n    y\n",
    );
    let sample = r#"resource "aws_security_group" "w" {
  ingress { from_port = 22
    to_port = 22 protocol = "tcp" cidr_blocks = ["0.0.0.0/0"] } heredoc = <<EOT
x"#;
    for cut in 0..sample.len() {
        if sample.is_char_boundary(cut) {
            d.write(format!("cut/{cut}.tf"), &sample[..cut]);
        }
    }
    let run = d.run(&["scan", "--format", "jsonl", "."]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
}

/// Living with exposure findings: a `keysweep:allow` comment on the line or the line
/// before accepts one, and a baseline accepts them like any finding.
#[test]
fn inline_allow_and_baseline() {
    let d = TestDir::new();
    d.write(
        "tf/main.tf",
        r#"resource "aws_security_group" "lab" {
  # keysweep:allow lab network, torn down nightly
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_security_group" "prod" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"#,
    );
    d.write(
        "etc/ssh/sshd_config",
        "# keysweep:allow break-glass host\nPermitRootLogin yes\nPasswordAuthentication no\n",
    );
    let found = exposures(&d, &[]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].3.contains("aws_security_group.prod"));
    let run = d.run(&["baseline", "create"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(exposures(&d, &[]).is_empty());
}

/// The link through the community security-group module and a launch template's
/// network interfaces.
#[test]
fn the_link_through_a_module_and_a_launch_template() {
    let d = TestDir::new();
    d.write("keys/ops_rsa", key("openssh_rsa2048"));
    d.chmod("keys/ops_rsa", 0o600);
    let public = key("openssh_rsa2048.pub");
    d.write(
        "stack/variables.tf",
        format!(
            "variable \"ops_public_key\" {{\n  default = \"{}\"\n}}\n",
            public.trim()
        ),
    );
    d.write(
        "stack/main.tf",
        r#"resource "aws_key_pair" "ops" {
  key_name   = "ops"
  public_key = var.ops_public_key
}

module "bastion_sg" {
  source              = "terraform-aws-modules/security-group/aws"
  name                = "bastion"
  ingress_rules       = ["ssh-tcp"]
  ingress_cidr_blocks = ["0.0.0.0/0"]
}

resource "aws_launch_template" "bastion" {
  name_prefix = "bastion-"
  key_name    = "ops"
  network_interfaces {
    associate_public_ip_address = true
    security_groups             = [module.bastion_sg.security_group_id]
  }
}
"#,
    );
    let run = d.run(&["scan", "--format", "jsonl", "."]);
    let k = run
        .findings()
        .into_iter()
        .find(|f| f["category"] == "private-key")
        .unwrap();
    assert_eq!(k["severity"], "critical");
    assert_eq!(
        k["key"]["opens"][0],
        "opens aws_launch_template.bastion, SSH open to 0.0.0.0/0 via module.bastion_sg (key pair aws_key_pair.ops, stack/main.tf:1)"
    );
}

/// Variables' values from `*.tfvars` and `*.tfvars.json` beside the module (they win over
/// the default, and each file's value counts), and `dynamic "ingress"` blocks over a
/// literal list, a variable's list or `toset([…])`, with or without an `iterator`.
#[test]
fn tfvars_and_dynamic_ingress() {
    let d = TestDir::new();
    let main = r#"variable "admin_cidr" {
  default = "10.0.0.0/8"
}

variable "admin_v6" {
  type = list(string)
}

variable "rules" {
  default = [
    { port = 443, cidrs = ["0.0.0.0/0"] },
    { port = 22, cidrs = ["0.0.0.0/0"] },
  ]
}

resource "aws_security_group" "admin" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.admin_cidr]
  }

  ingress {
    from_port        = 22
    to_port          = 22
    protocol         = "tcp"
    ipv6_cidr_blocks = var.admin_v6
  }
}

resource "aws_security_group" "dyn" {
  dynamic "ingress" {
    for_each = var.rules
    content {
      from_port   = ingress.value.port
      to_port     = ingress.value.port
      protocol    = "tcp"
      cidr_blocks = ingress.value.cidrs
    }
  }
}

resource "aws_security_group" "ports" {
  dynamic "ingress" {
    for_each = toset([22, 80])
    iterator = port
    content {
      from_port   = port.value
      to_port     = port.value
      protocol    = "tcp"
      cidr_blocks = ["::/0"]
    }
  }
}

resource "aws_security_group" "quiet" {
  dynamic "ingress" {
    for_each = [{ port = 22, cidr = "10.0.0.0/8" }, { port = 2222, cidr = "0.0.0.0/0" }]
    content {
      from_port   = ingress.value.port
      to_port     = ingress.value.port
      protocol    = "tcp"
      cidr_blocks = [ingress.value.cidr]
    }
  }
}
"#;
    d.write("prod/main.tf", main);
    d.write(
        "prod/terraform.tfvars",
        "# the contractors asked for it\nadmin_cidr = \"0.0.0.0/0\"\n",
    );
    d.write("prod/v6.auto.tfvars.json", r#"{"admin_v6": ["::/0"]}"#);
    // The same module with an office range: silent for admin (the default is private).
    d.write("office/main.tf", main);
    d.write(
        "office/terraform.tfvars",
        "admin_cidr = \"203.0.113.7/32\"\n",
    );
    let line = |needle: &str| 1 + main[..main.find(needle).unwrap()].matches('\n').count() as u64;
    let admin = line("  ingress {\n    from_port   = 22");
    let admin_v6 = line("  ingress {\n    from_port        = 22");
    let dyn_ = line("dynamic \"ingress\" {\n    for_each = var.rules");
    let ports = line("dynamic \"ingress\" {\n    for_each = toset");
    let open = |p: &str, l: u64, what: &str| {
        (
            "ssh-open-to-world".to_string(),
            p.to_string(),
            l,
            format!("SSH open to the world: {what}"),
        )
    };
    let mut want = vec![
        open(
            "prod/main.tf",
            admin,
            "aws_security_group.admin lets 0.0.0.0/0 reach port 22",
        ),
        open(
            "prod/main.tf",
            admin_v6,
            "aws_security_group.admin lets ::/0 reach port 22",
        ),
    ];
    for dir in ["prod", "office"] {
        let p = format!("{dir}/main.tf");
        want.push(open(
            &p,
            dyn_,
            "aws_security_group.dyn lets 0.0.0.0/0 reach port 22",
        ));
        want.push(open(
            &p,
            ports,
            "aws_security_group.ports lets ::/0 reach port 22",
        ));
    }
    want.sort();
    let mut got = exposures(&d, &[]);
    got.sort();
    assert_eq!(got, want);
}
