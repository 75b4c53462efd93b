//! Exposure: the doors a leaked key opens. Checks that are not signatures, run on the few
//! files whose names (or first bytes) say they configure SSH access:
//!
//! - `ssh-open-to-world`: an ingress rule letting `0.0.0.0/0` or `::/0` reach port 22, in
//!   Terraform (`terraform`) and CloudFormation (`cloudformation`);
//! - `sshd-weak-setting`: `PermitRootLogin yes`, `PasswordAuthentication yes`,
//!   `PermitEmptyPasswords yes` in sshd_config (`sshd`), and the same written by cloud-init
//!   or an Ansible `lineinfile` (`provisioning`).
//!
//! Terraform is read at the end of the walk, all files of a folder (a module) together, so
//! that a variable's default in `variables.tf` counts and a leaked key can be followed to
//! its `aws_key_pair`, the instances using it and their security groups (`terraform::link`).
//! [`kind_of`] decides from the name and at most a substring search: every other file costs
//! nothing.

pub mod cloudformation;
pub mod hcl;
pub mod iam;
pub mod provisioning;
pub mod sshd;
pub mod terraform;
pub mod yaml;

use std::path::{Path, PathBuf};

use crate::finding::{Category, Finding, Severity};
use crate::scan::Marker;

/// The check id of open SSH ingress rules.
pub const SSH_OPEN_CHECK: &str = "ssh-open-to-world";
pub const SSH_OPEN_NAME: &str = "SSH (port 22) open to the whole internet";
/// The check id of weak sshd settings.
pub const SSHD_WEAK_CHECK: &str = "sshd-weak-setting";
pub const SSHD_WEAK_NAME: &str = "Weak sshd setting (root login, passwords)";

/// The check id of access keys made for administrators (`iam`).
pub const AWS_KEY_RISK_CHECK: &str = "aws-key-risk";
pub const AWS_KEY_RISK_NAME: &str = "Access key made for an IAM user with administrator rights";

/// What to do about port 22 open to the world.
pub const SSH_OPEN_ADVICE: &str = "restrict the source to known addresses (a VPN or office range), or close port 22 and connect through AWS Systems Manager Session Manager or an EC2 Instance Connect Endpoint";

/// One exposure found: which check, where, what, how bad, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    pub check: &'static str,
    pub path: PathBuf,
    pub line: usize,
    pub what: String,
    pub severity: Severity,
    pub advice: String,
}

/// What kind of file an exposure check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Terraform,
    TerraformJson,
    /// A `terraform.tfstate` recording an `aws_iam_access_key`.
    TerraformState,
    /// The CSV the IAM console gives a user's new access key in.
    AwsConsoleCsv,
    CloudFormation,
    Sshd,
    CloudInit,
    Ansible,
}

/// Which check reads `path` (with contents `bytes`), if any: by name, and for JSON and YAML
/// files by a substring search for CloudFormation's or Ansible's words.
pub fn kind_of(path: &Path, bytes: &[u8]) -> Option<Kind> {
    let name = path.file_name()?.as_encoded_bytes();
    if bytes.starts_with(b"#cloud-config") {
        return Some(Kind::CloudInit);
    }
    let ends = |s: &[u8]| name.len() > s.len() && name.ends_with(s);
    // Variables' values: read with the Terraform of their folder.
    if ends(b".tfvars") {
        return Some(Kind::Terraform);
    }
    if ends(b".tfvars.json") {
        return Some(Kind::TerraformJson);
    }
    if ends(b".tf") {
        return Some(Kind::Terraform);
    }
    if ends(b".tf.json") {
        return Some(Kind::TerraformJson);
    }
    let has = |w: &[u8]| memchr::memmem::find(bytes, w).is_some();
    if (ends(b".tfstate") || ends(b".tfstate.backup")) && has(b"aws_iam_access_key") {
        return Some(Kind::TerraformState);
    }
    if ends(b".csv") && !name.starts_with(b"rootkey") && has(b"Access key ID") {
        return Some(Kind::AwsConsoleCsv);
    }
    if sshd_name(name) {
        return Some(Kind::Sshd);
    }
    if ends(b".conf")
        && path
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|p| p == "sshd_config.d")
    {
        return Some(Kind::Sshd);
    }
    let yaml = ends(b".yaml") || ends(b".yml");
    if yaml || ends(b".json") || ends(b".template") {
        if has(b"AWSTemplateFormatVersion") || has(b"AWS::EC2::SecurityGroup") {
            return Some(Kind::CloudFormation);
        }
        if yaml && has(b"lineinfile") && has(b"sshd_config") {
            return Some(Kind::Ansible);
        }
    }
    None
}

/// The tests [`kind_of`] makes of a file's name (not of its bytes), one bit each: two
/// paths with the same bits are read as the same kind whatever the bytes, so a blob's
/// exposure findings at one are its findings at the other (see
/// `pipeline::blob::path_class`, what the org ledger records a blob was scanned at).
pub fn name_class(path: &[u8]) -> u16 {
    let Ok(p) = std::str::from_utf8(path) else {
        // `history` and `org` read no exposure at a path that is not UTF-8.
        return 0;
    };
    let p = Path::new(p);
    let Some(name) = p.file_name().map(|n| n.as_encoded_bytes()) else {
        return 0;
    };
    let ends = |s: &[u8]| name.len() > s.len() && name.ends_with(s);
    let tests = [
        ends(b".tfvars"),
        ends(b".tfvars.json"),
        ends(b".tf"),
        ends(b".tf.json"),
        ends(b".tfstate") || ends(b".tfstate.backup"),
        ends(b".csv") && !name.starts_with(b"rootkey"),
        sshd_name(name),
        ends(b".conf")
            && p.parent()
                .and_then(Path::file_name)
                .is_some_and(|d| d == "sshd_config.d"),
        ends(b".yaml") || ends(b".yml"),
        ends(b".json") || ends(b".template"),
    ];
    tests
        .iter()
        .enumerate()
        .fold(0, |c, (i, &t)| c | (u16::from(t) << i))
}

/// Which exposure checks a run makes (`--rule` / `--skip-rule`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checks {
    /// `ssh-open-to-world`.
    pub open: bool,
    /// `sshd-weak-setting`.
    pub weak: bool,
    /// `aws-key-risk`.
    pub risk: bool,
}

impl Checks {
    pub fn any(self) -> bool {
        self.open || self.weak || self.risk
    }

    fn allows(self, check: &str) -> bool {
        match check {
            SSH_OPEN_CHECK => self.open,
            SSHD_WEAK_CHECK => self.weak,
            AWS_KEY_RISK_CHECK => self.risk,
            _ => false,
        }
    }
}

/// Whether a file at `path` is one the exposure checks read by its name alone (Terraform,
/// sshd_config): a history reads every version of such a file.
pub fn named(path: &[u8]) -> bool {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    let ends = |s: &[u8]| name.len() > s.len() && name.ends_with(s);
    ends(b".tf")
        || ends(b".tf.json")
        || sshd_name(name)
        || (ends(b".conf") && path.ends_with(&[b"sshd_config.d/", name].concat()))
}

/// Whether bytes may be a file the exposure checks choose by its contents (cloud-init,
/// a CloudFormation security group, an Ansible task on sshd_config), whatever its name:
/// what a pass over a history's packs keeps for reading again. `met` says which of the
/// scan's [`Marker`]s its pass over the bytes met (`sshd_config` is common in other files:
/// it is looked for only in a file with an Ansible `lineinfile`).
pub fn by_content(bytes: &[u8], met: impl Fn(Marker) -> bool) -> bool {
    // Every blob of a history passes here: the words are found by the scan's own pass
    // over the blob (its markers), not by a search of their own.
    bytes.starts_with(b"#cloud-config")
        || met(Marker::SecurityGroup)
        || (met(Marker::LineInFile) && memchr::memmem::find(bytes, b"sshd_config").is_some())
}

/// The exposure findings of one file read alone, with nothing read from disk beside it:
/// a blob of a repository's history at `path`. Terraform is read without the rest of its
/// module, sshd_config without its `Include`s, and no key is linked.
pub fn alone(path: &Path, bytes: &[u8], checks: Checks) -> Vec<Finding> {
    if !checks.any() {
        return Vec::new();
    }
    let Some(kind) = kind_of(path, bytes) else {
        return Vec::new();
    };
    let found = match kind {
        Kind::Terraform | Kind::TerraformJson if checks.open || checks.risk => {
            let file = terraform::TfFile::read(path, bytes, kind == Kind::TerraformJson);
            terraform::analyse_alone(&file).exposures
        }
        Kind::CloudFormation if checks.open => cloudformation::check(path, bytes),
        Kind::Sshd if checks.weak => sshd::check_alone(path, bytes),
        Kind::Ansible if checks.weak => provisioning::ansible(path, bytes),
        Kind::CloudInit if checks.weak => provisioning::cloud_init(path, bytes),
        _ => return Vec::new(),
    };
    let allow = allow_lines(bytes);
    found
        .into_iter()
        .filter(|e| checks.allows(e.check) && e.path == path)
        .map(|e| {
            let here = allowed_at(&allow, e.line);
            let mut f = finding(e);
            f.allowed_inline = here;
            f
        })
        .collect()
}

/// The id a door (an exposure finding) has at `path`: its id is keyed by where it is, so
/// a version read at one path of a history and placed at another is keyed again there.
/// `None` for a finding of a secret, whose id is its content's.
pub fn id_at(f: &Finding, path: &str) -> Option<String> {
    is_door(&f.category).then(|| door_id(&f.rule, f.category.clone(), path, &f.name, f.severity))
}

/// Whether findings of `category` are doors (about a place, keyed by it).
pub fn is_door(category: &Category) -> bool {
    matches!(
        category,
        Category::SshOpenToWorld | Category::SshdWeakSetting | Category::AwsKeyRisk
    )
}

/// The id of a door found by `rule` at `path` (see [`id_at`]).
pub fn door_id(
    rule: &str,
    category: Category,
    path: &str,
    name: &str,
    severity: Severity,
) -> String {
    Finding::exposure(
        rule,
        category,
        Path::new(path),
        1,
        name.to_string(),
        severity,
        String::new(),
    )
    .id
}

/// An exposure as a finding.
pub fn finding(e: Exposure) -> Finding {
    let category = match e.check {
        SSH_OPEN_CHECK => Category::SshOpenToWorld,
        AWS_KEY_RISK_CHECK => Category::AwsKeyRisk,
        _ => Category::SshdWeakSetting,
    };
    Finding::exposure(
        e.check, category, &e.path, e.line, e.what, e.severity, e.advice,
    )
}

/// `sshd_config` and its variants (`sshd_config.in`, `.orig`), not the manual page or
/// code named after it (`sshd_config.5`, `.0`, `sshd_config.c`): every version of those
/// would be read in a history for nothing.
fn sshd_name(name: &[u8]) -> bool {
    name.starts_with(b"sshd_config")
        && ![
            &b".5"[..],
            b".0",
            b".c",
            b".h",
            b".o",
            b".html",
            b".md",
            b".txt",
        ]
        .iter()
        .any(|e| name.ends_with(e))
}

/// Whether a source range is the whole internet.
pub fn is_world(cidr: &str) -> bool {
    matches!(cidr.trim(), "0.0.0.0/0" | "::/0")
}

/// Whether a rule with `protocol` and ports `from`..=`to` lets port 22 in: TCP with a
/// range covering 22, or every protocol (`-1`, `all`).
pub fn covers_ssh(protocol: Option<&str>, from: Option<i64>, to: Option<i64>) -> bool {
    match protocol.map(|p| p.trim().to_ascii_lowercase()).as_deref() {
        Some("-1" | "all") => true,
        Some("tcp" | "6") => match (from, to) {
            (Some(f), Some(t)) => (f <= 22 && 22 <= t) || (f == -1 && t == -1),
            _ => false,
        },
        _ => false,
    }
}

/// Describes the ports of a rule that [`covers_ssh`].
pub fn ports(protocol: Option<&str>, from: Option<i64>, to: Option<i64>) -> String {
    match (protocol.map(str::trim), from, to) {
        (Some("-1" | "all"), _, _) => "all traffic".into(),
        (_, Some(f), Some(t)) if f == t => format!("port {f}"),
        (_, Some(f), Some(t)) => format!("ports {f}-{t}"),
        _ => "port 22".into(),
    }
}

/// The lines (1-based) holding a `keysweep:allow` comment: an exposure finding on such a
/// line, or on the line after it, has been accepted.
pub fn allow_lines(bytes: &[u8]) -> Vec<usize> {
    let marker = crate::filter::inline::MARKER;
    if memchr::memmem::find(bytes, marker).is_none() {
        return Vec::new();
    }
    bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, l)| memchr::memmem::find(l, marker).is_some())
        .map(|(i, _)| i + 1)
        .collect()
}

/// Whether a finding at `line` is accepted by a comment on one of `allow_lines`.
pub fn allowed_at(allow_lines: &[usize], line: usize) -> bool {
    allow_lines.contains(&line) || allow_lines.contains(&line.saturating_sub(1))
}

/// The line (1-based) of the first occurrence of `needle` in `text`, or 1.
pub fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle)
        .map_or(1, |i| 1 + text[..i].matches('\n').count())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two paths with the same name class are read as the same kind, whatever the bytes:
    /// every name test of `kind_of` is in the class (the org ledger trusts it).
    #[test]
    fn the_name_class_decides_the_kind_of_the_same_bytes() {
        let names = [
            "main.tf",
            "vars.tfvars",
            "x.tf.json",
            "x.tfvars.json",
            "terraform.tfstate",
            "t.tfstate.backup",
            "keys.csv",
            "rootkey.csv",
            "rootkey (1).csv",
            "sshd_config",
            "etc/ssh/sshd_config.orig",
            "sshd_config.md",
            "sshd_config.yaml",
            "sshd_config.d/10-hardening.conf",
            "other.d/10.conf",
            "a.conf",
            "sg.yaml",
            "sg.yml",
            "sg.json",
            "sg.template",
            "notes.txt",
            "README",
            ".tf",
            "sshd_config.tf",
            "sshd_config.csv",
        ];
        let words: [&[u8]; 5] = [
            b"aws_iam_access_key",
            b"Access key ID",
            b"AWSTemplateFormatVersion",
            b"lineinfile",
            b"sshd_config",
        ];
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                if name_class(a.as_bytes()) != name_class(b.as_bytes()) {
                    continue;
                }
                for mask in 0u32..(1 << words.len()) {
                    let mut bytes = b"#cloud-config is not first\n".to_vec();
                    for (w, word) in words.iter().enumerate() {
                        if mask & (1 << w) != 0 {
                            bytes.extend_from_slice(word);
                            bytes.push(b'\n');
                        }
                    }
                    assert_eq!(
                        kind_of(Path::new(a), &bytes),
                        kind_of(Path::new(b), &bytes),
                        "{a} and {b}, words {mask:b}"
                    );
                }
            }
        }
        assert_ne!(name_class(b"keys.csv"), name_class(b"rootkey.csv"));
        assert_ne!(name_class(b"sg.yaml"), name_class(b"sg.txt"));
    }

    #[test]
    fn dispatch_by_name_and_words() {
        let k = |p: &str, b: &[u8]| kind_of(Path::new(p), b);
        assert_eq!(k("infra/main.tf", b""), Some(Kind::Terraform));
        assert_eq!(k("x/main.tf.json", b"{}"), Some(Kind::TerraformJson));
        assert_eq!(k("etc/ssh/sshd_config", b""), Some(Kind::Sshd));
        assert_eq!(k("etc/ssh/sshd_config.d/50.conf", b""), Some(Kind::Sshd));
        assert_eq!(k("etc/other.d/50.conf", b""), None);
        assert_eq!(k("openssh/sshd_config.in", b""), Some(Kind::Sshd));
        assert_eq!(k("openssh/sshd_config.5", b""), None);
        assert_eq!(k("openssh/sshd_config.c", b""), None);
        assert_eq!(k("infra/terraform.tfvars", b""), Some(Kind::Terraform));
        assert_eq!(
            k("infra/x.auto.tfvars.json", b"{}"),
            Some(Kind::TerraformJson)
        );
        assert!(named(b"etc/ssh/sshd_config.d/50.conf") && named(b"a/main.tf"));
        assert!(!named(b"openssh/sshd_config.5") && !named(b"etc/other.d/50.conf"));
        assert_eq!(k("user-data", b"#cloud-config\n"), Some(Kind::CloudInit));
        assert_eq!(
            k("t.yaml", b"AWSTemplateFormatVersion: x"),
            Some(Kind::CloudFormation)
        );
        assert_eq!(k("t.yaml", b"name: x"), None);
        assert_eq!(k("search-index.json", b"[1,2]"), None);
        assert_eq!(k("a.rs", b"AWSTemplateFormatVersion"), None);
    }

    #[test]
    fn ssh_ports() {
        assert!(covers_ssh(Some("tcp"), Some(22), Some(22)));
        assert!(covers_ssh(Some("tcp"), Some(0), Some(65535)));
        assert!(covers_ssh(Some("-1"), Some(0), Some(0)));
        assert!(!covers_ssh(Some("tcp"), Some(2222), Some(2222)));
        assert!(!covers_ssh(Some("udp"), Some(22), Some(22)));
        assert!(is_world("::/0") && !is_world("10.0.0.0/8") && !is_world("1.2.3.4/32"));
    }
}
