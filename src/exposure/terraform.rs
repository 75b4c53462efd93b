//! Terraform: security group rules open to the world on port 22, and the chain from a key
//! pair to the instances using it and their groups. The files of one folder (a module) are
//! read together: variables' literal defaults resolve, resources refer to each other.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::hcl::{Block, Value};
use super::iam::{AwsLink, IssuedKey, RiskyKey};
use super::{Exposure, SSH_OPEN_ADVICE, SSH_OPEN_CHECK, covers_ssh, is_world, ports};
use crate::enrich::ssh_wire;
use crate::finding::{Place, Severity, display_path};

/// One Terraform file, read.
#[derive(Debug, Clone)]
pub struct TfFile {
    pub path: PathBuf,
    pub blocks: Vec<Block>,
    /// Lines holding a `keysweep:allow` comment.
    pub allow_lines: Vec<usize>,
    /// Access keys a state file or an IAM console CSV records (`iam`).
    pub issued: Vec<IssuedKey>,
    /// The values a `*.tfvars` (or `*.tfvars.json`) file gives variables.
    pub tfvars: Vec<(String, Value)>,
}

impl TfFile {
    pub fn read(path: &Path, bytes: &[u8], json: bool) -> TfFile {
        let name = path
            .file_name()
            .map(|n| n.as_encoded_bytes())
            .unwrap_or(b"");
        if name.ends_with(b".tfvars") || name.ends_with(b".tfvars.json") {
            return TfFile {
                path: path.to_path_buf(),
                allow_lines: Vec::new(),
                blocks: Vec::new(),
                issued: Vec::new(),
                tfvars: if json {
                    super::hcl::attrs_from_json(bytes)
                } else {
                    super::hcl::parse_attrs(bytes)
                },
            };
        }
        TfFile {
            path: path.to_path_buf(),
            allow_lines: super::allow_lines(bytes),
            blocks: if json {
                super::hcl::from_json(bytes)
            } else {
                super::hcl::parse(bytes)
            },
            issued: Vec::new(),
            tfvars: Vec::new(),
        }
    }

    /// A file that records access keys Terraform (or the IAM console) issued: a
    /// `terraform.tfstate`, or a console CSV when `csv`.
    pub fn issued(path: &Path, bytes: &[u8], csv: bool) -> TfFile {
        TfFile {
            path: path.to_path_buf(),
            allow_lines: Vec::new(),
            blocks: Vec::new(),
            tfvars: Vec::new(),
            issued: if csv {
                super::iam::from_console_csv(path, bytes)
            } else {
                super::iam::from_state(bytes)
            },
        }
    }
}

/// A rule that lets the world reach port 22.
#[derive(Debug, Clone)]
struct OpenRule {
    /// The `aws_security_group` it belongs to (its resource name).
    group: Option<String>,
    /// `aws_security_group.web` or `aws_security_group_rule.ssh`.
    via: String,
    cidr: String,
    ports: String,
    path: PathBuf,
    line: usize,
}

/// A key pair's public half, found in the code: a leaked private key with this
/// fingerprint is trusted here, and opens what `opens` says.
#[derive(Debug, Clone)]
pub struct Link {
    pub fingerprint: String,
    pub place: Place,
    /// "opens aws_instance.web, SSH open to 0.0.0.0/0 via aws_security_group.web".
    pub opens: Vec<String>,
}

/// What all the Terraform files found say: the open rules (as findings) and the links.
#[derive(Debug, Default)]
pub struct Analysis {
    pub exposures: Vec<Exposure>,
    pub links: Vec<Link>,
    /// `aws_iam_access_key`s made for administrators (`iam`).
    pub risky: Vec<RiskyKey>,
    /// Found AWS key ids those are (`iam::link`).
    pub aws_links: Vec<AwsLink>,
}

pub fn analyse(files: &[TfFile]) -> Analysis {
    let mut by_dir: HashMap<PathBuf, Vec<&TfFile>> = HashMap::new();
    for f in files {
        let dir = f.path.parent().map(Path::to_path_buf).unwrap_or_default();
        by_dir.entry(dir).or_default().push(f);
    }
    let mut out = Analysis::default();
    let mut dirs: Vec<_> = by_dir.into_iter().collect();
    dirs.sort_by(|a, b| a.0.cmp(&b.0));
    for (dir, files) in dirs {
        module(&dir, &files, true, &mut out);
    }
    super::iam::link(files, &mut out);
    out
}

/// The resources of a module: `(file, block)` for `resource "type" "name"`.
pub(super) struct Module<'a> {
    /// A variable's values: those `*.tfvars` files beside it give, then its `default`.
    vars: HashMap<&'a str, Vec<&'a Value>>,
    /// `locals { name = value }`.
    locals: HashMap<&'a str, &'a Value>,
    pub(super) resources: Vec<(&'a TfFile, &'a Block)>,
    /// `module "name" { … }` calls.
    modules: Vec<(&'a TfFile, &'a Block)>,
    /// `data "type" "name" { … }` sources.
    pub(super) data: Vec<(&'a TfFile, &'a Block)>,
    /// The module's folder is on disk: a `file()` beside it may be read. Not for a blob of
    /// a repository's history, whose paths are not files here.
    pub(super) disk: bool,
}

impl<'a> Module<'a> {
    /// The literal strings a value comes to: a literal, a variable's literal default, each
    /// of a list's items; nothing for what only a plan would know.
    pub(super) fn strings(&self, v: &'a Value, depth: usize) -> Vec<String> {
        if depth > 8 {
            return Vec::new();
        }
        match v {
            Value::Str(s) => match s.strip_prefix("${").and_then(|s| s.strip_suffix('}')) {
                Some(e) if !e.contains('$') => self.expr(e, depth),
                _ => vec![s.clone()],
            },
            Value::List(items) => items
                .iter()
                .flat_map(|i| self.strings(i, depth + 1))
                .collect(),
            Value::Expr(e) => self.expr(e, depth),
        }
    }

    fn expr(&self, e: &str, depth: usize) -> Vec<String> {
        let e = e.trim();
        let name_only = |n: &str| {
            n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        if let Some(name) = e.strip_prefix("var.")
            && name_only(name)
        {
            return self
                .vars
                .get(name)
                .into_iter()
                .flatten()
                .flat_map(|v| self.strings(v, depth + 1))
                .collect();
        }
        if let Some(name) = e.strip_prefix("local.")
            && name_only(name)
        {
            return self
                .locals
                .get(name)
                .map(|v| self.strings(v, depth + 1))
                .unwrap_or_default();
        }
        if e.parse::<i64>().is_ok() {
            return vec![e.to_string()];
        }
        Vec::new()
    }

    pub(super) fn first(&self, b: &'a Block, attr: &str) -> Option<String> {
        self.strings(b.attr(attr)?, 0).into_iter().next()
    }

    /// The blocks a `dynamic "ingress" { for_each = …; content { … } }` makes, where
    /// `for_each` is a literal list (of objects or of values), or a variable or local
    /// holding one: `ingress.value.x` (or the `iterator`'s name) is each item's `x`.
    fn expand_dynamic(&self, d: &'a Block) -> Vec<Block> {
        let Some(content) = d.blocks.iter().find(|b| b.kind == "content") else {
            return Vec::new();
        };
        let it = match d.attr("iterator") {
            Some(Value::Expr(e) | Value::Str(e)) => e.trim().to_string(),
            _ => d.labels.first().cloned().unwrap_or_default(),
        };
        let items = d
            .attr("for_each")
            .map(|v| self.list_items(v, 0))
            .unwrap_or_default();
        let value = format!("{it}.value");
        items
            .iter()
            .map(|item| {
                let fields = match item {
                    Value::Expr(e) if e.trim_start().starts_with('{') => {
                        super::hcl::parse_object(e)
                    }
                    _ => Vec::new(),
                };
                let subst = |v: &Value| -> Value {
                    match v {
                        Value::Expr(e) if e.trim() == value => item.clone(),
                        Value::Expr(e) => match e.trim().strip_prefix(&format!("{value}.")) {
                            Some(field) => fields
                                .iter()
                                .find(|(k, _)| k == field)
                                .map_or_else(|| v.clone(), |(_, fv)| fv.clone()),
                            None => v.clone(),
                        },
                        other => other.clone(),
                    }
                };
                let mut b = content.clone();
                b.kind = "ingress".into();
                b.line = d.line;
                for (_, v) in &mut b.attrs {
                    *v = match &*v {
                        Value::List(items) => Value::List(items.iter().map(subst).collect()),
                        other => subst(other),
                    };
                }
                b
            })
            .collect()
    }

    /// The items of a list a value comes to: a literal list, `toset([…])`, or a variable's
    /// (or local's) literal list.
    fn list_items(&self, v: &'a Value, depth: usize) -> Vec<Value> {
        if depth > 8 {
            return Vec::new();
        }
        match v {
            Value::List(items) => items.clone(),
            Value::Expr(e) => {
                let e = e.trim();
                let inner = e
                    .strip_prefix("toset(")
                    .or_else(|| e.strip_prefix("tolist("))
                    .and_then(|x| x.strip_suffix(')'))
                    .map(str::trim);
                if let Some(inner) = inner {
                    return match inner
                        .strip_prefix("var.")
                        .or_else(|| inner.strip_prefix("local."))
                    {
                        Some(_) => self.list_items(&Value::Expr(inner.to_string()), depth + 1),
                        None => match super::hcl::parse_attrs(format!("x = {inner}").as_bytes())
                            .into_iter()
                            .next()
                        {
                            Some((_, Value::List(items))) => items,
                            _ => Vec::new(),
                        },
                    };
                }
                if let Some(name) = e.strip_prefix("var.") {
                    return self
                        .vars
                        .get(name)
                        .into_iter()
                        .flatten()
                        .flat_map(|v| self.list_items(v, depth + 1))
                        .collect();
                }
                if let Some(name) = e.strip_prefix("local.") {
                    return self
                        .locals
                        .get(name)
                        .map(|v| self.list_items(v, depth + 1))
                        .unwrap_or_default();
                }
                Vec::new()
            }
            Value::Str(_) => Vec::new(),
        }
    }

    fn number(&self, b: &'a Block, attr: &str) -> Option<i64> {
        self.first(b, attr)?.trim().parse().ok()
    }

    pub(super) fn of_type(
        &self,
        kind: &'a str,
    ) -> impl Iterator<Item = (&'a TfFile, &'a Block, &'a str)> + '_ {
        self.resources
            .iter()
            .filter(move |(_, b)| b.labels.first().map(String::as_str) == Some(kind))
            .map(|(f, b)| (*f, *b, b.labels.get(1).map_or("", String::as_str)))
    }
}

/// The resource name in a reference like `aws_security_group.web.id`.
pub(super) fn referenced<'e>(kind: &str, e: &'e str) -> Option<&'e str> {
    let rest = e.trim().strip_prefix(kind)?.strip_prefix('.')?;
    Some(rest.split(['.', '[', ' ', ')']).next().unwrap_or(rest))
}

/// One file read alone, with nothing read from disk (a blob of a repository's history):
/// its open rules and the access keys it makes for administrators, from what it says
/// itself (a variable defined in another file of its module is not known).
pub fn analyse_alone(file: &TfFile) -> Analysis {
    let mut out = Analysis::default();
    let dir = file
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    module(&dir, &[file], false, &mut out);
    out
}

fn module(dir: &Path, files: &[&TfFile], disk: bool, out: &mut Analysis) {
    let mut m = Module {
        vars: HashMap::new(),
        locals: HashMap::new(),
        resources: Vec::new(),
        modules: Vec::new(),
        data: Vec::new(),
        disk,
    };
    // What `*.tfvars` files give comes first: it is what a plan uses over the default.
    for f in files {
        for (k, v) in &f.tfvars {
            m.vars.entry(k.as_str()).or_default().push(v);
        }
    }
    for f in files {
        for b in &f.blocks {
            match (b.kind.as_str(), b.labels.first()) {
                ("variable", Some(name)) => {
                    if let Some(d) = b.attr("default") {
                        m.vars.entry(name.as_str()).or_default().push(d);
                    }
                }
                ("resource", Some(_)) if b.labels.len() == 2 => m.resources.push((f, b)),
                ("locals", _) => {
                    for (k, v) in &b.attrs {
                        m.locals.insert(k.as_str(), v);
                    }
                }
                ("module", Some(_)) => m.modules.push((f, b)),
                ("data", Some(_)) if b.labels.len() == 2 => m.data.push((f, b)),
                _ => {}
            }
        }
    }
    let open = open_rules(&m);
    for r in &open {
        out.exposures.push(Exposure {
            check: SSH_OPEN_CHECK,
            path: r.path.clone(),
            line: r.line,
            what: format!(
                "SSH open to the world: {} lets {} reach {}",
                r.via, r.cidr, r.ports
            ),
            severity: Severity::High,
            advice: SSH_OPEN_ADVICE.into(),
        });
    }
    if disk {
        links(dir, &m, &open, out);
    }
    super::iam::module(dir, &m, out);
}

fn open_rules(m: &Module<'_>) -> Vec<OpenRule> {
    let mut out = Vec::new();
    let mut check = |b: &Block, group: Option<String>, via: String, path: &Path, proto: &str| {
        let protocol = m.first(b, proto);
        let (from, to) = (m.number(b, "from_port"), m.number(b, "to_port"));
        if !covers_ssh(protocol.as_deref(), from, to) {
            return;
        }
        let cidrs = ["cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6"]
            .iter()
            .filter_map(|a| b.attr(a))
            .flat_map(|v| m.strings(v, 0));
        if let Some(cidr) = cidrs.into_iter().find(|c| is_world(c)) {
            out.push(OpenRule {
                group,
                via,
                cidr,
                ports: ports(protocol.as_deref(), from, to),
                path: path.to_path_buf(),
                line: b.line,
            });
        }
    };
    let group_of = |b: &Block| match b.attr("security_group_id") {
        Some(Value::Expr(e)) => referenced("aws_security_group", e).map(str::to_string),
        _ => None,
    };
    for (f, b) in &m.resources {
        let (kind, name) = (b.labels[0].as_str(), b.labels[1].as_str());
        match kind {
            "aws_security_group" => {
                let dynamic: Vec<Block> = b
                    .blocks
                    .iter()
                    .filter(|d| {
                        d.kind == "dynamic" && d.labels.first().is_some_and(|l| l == "ingress")
                    })
                    .flat_map(|d| m.expand_dynamic(d))
                    .collect();
                let inline = b.blocks.iter().filter(|i| i.kind == "ingress");
                for ing in inline.chain(&dynamic) {
                    check(
                        ing,
                        Some(name.to_string()),
                        format!("aws_security_group.{name}"),
                        &f.path,
                        "protocol",
                    );
                }
            }
            "aws_security_group_rule" if m.first(b, "type").as_deref() == Some("ingress") => {
                check(
                    b,
                    group_of(b),
                    format!("aws_security_group_rule.{name}"),
                    &f.path,
                    "protocol",
                );
            }
            "aws_vpc_security_group_ingress_rule" => check(
                b,
                group_of(b),
                format!("aws_vpc_security_group_ingress_rule.{name}"),
                &f.path,
                "ip_protocol",
            ),
            _ => {}
        }
    }
    for (f, b) in &m.modules {
        if let Some(r) = security_group_module(m, f, b) {
            out.push(r);
        }
    }
    out
}

/// A call of terraform-aws-modules/security-group that opens SSH to the world: its `ssh`
/// submodule, or the main module with `ssh-tcp` (or `all-all`, `all-tcp`) among
/// `ingress_rules`, with a world range in `ingress_cidr_blocks` or
/// `ingress_ipv6_cidr_blocks`.
fn security_group_module(m: &Module<'_>, f: &TfFile, b: &Block) -> Option<OpenRule> {
    let source = m.first(b, "source")?;
    if !source.contains("terraform-aws-modules/security-group") {
        return None;
    }
    let ssh_submodule = source.trim_end_matches('/').ends_with("//modules/ssh");
    let rules = b
        .attr("ingress_rules")
        .map(|v| m.strings(v, 0))
        .unwrap_or_default();
    let ssh_rule = rules
        .iter()
        .find(|r| matches!(r.as_str(), "ssh-tcp" | "all-all" | "all-tcp"));
    if !ssh_submodule && ssh_rule.is_none() {
        return None;
    }
    let cidr = ["ingress_cidr_blocks", "ingress_ipv6_cidr_blocks"]
        .iter()
        .filter_map(|a| b.attr(a))
        .flat_map(|v| m.strings(v, 0))
        .find(|c| is_world(c))?;
    Some(OpenRule {
        group: Some(format!("module.{}", b.labels[0])),
        via: format!("module.{}", b.labels[0]),
        cidr,
        ports: match ssh_rule.map(String::as_str) {
            Some("all-all") => "all traffic".into(),
            Some("all-tcp") => "ports 0-65535".into(),
            _ => "port 22".into(),
        },
        path: f.path.clone(),
        line: b.line,
    })
}

/// `file("…")` in an expression: the path, relative to the module's folder.
pub(super) fn file_argument(e: &str) -> Option<String> {
    let start = e.find("file(")? + 5;
    let rest = &e[start..];
    let q = rest.find('"')?;
    let inner = &rest[q + 1..];
    let end = inner.find('"')?;
    let p = &inner[..end];
    let p = ["${path.module}/", "${path.root}/", "${path.cwd}/", "./"]
        .iter()
        .fold(p.to_string(), |p, pre| {
            p.strip_prefix(pre).map(str::to_string).unwrap_or(p)
        });
    (!p.contains("${")).then_some(p)
}

fn links(dir: &Path, m: &Module<'_>, open: &[OpenRule], out: &mut Analysis) {
    for (f, kp, kp_name) in m.of_type("aws_key_pair") {
        let Some(value) = kp.attr("public_key") else {
            continue;
        };
        let text = match value {
            Value::Expr(e) if e.contains("file(") => file_argument(e)
                .and_then(|rel| std::fs::read(dir.join(rel)).ok())
                .map(|b| String::from_utf8_lossy(&b).into_owned()),
            v => m.strings(v, 0).into_iter().next(),
        };
        let Some(text) = text else { continue };
        let fingerprints = ssh_wire::public_keys_in(text.as_bytes());
        if fingerprints.is_empty() {
            continue;
        }
        let key_name = m.first(kp, "key_name");
        let mut opens = Vec::new();
        for (_, inst, inst_name) in m
            .of_type("aws_instance")
            .chain(m.of_type("aws_launch_template"))
        {
            let uses = match inst.attr("key_name") {
                Some(Value::Expr(e)) if referenced("aws_key_pair", e) == Some(kp_name) => true,
                Some(v) => key_name.is_some() && m.strings(v, 0).first() == key_name.as_ref(),
                None => false,
            };
            if !uses {
                continue;
            }
            let mut groups: Vec<String> = Vec::new();
            // The instance's own lists, and a launch template's `network_interfaces`.
            let holders = std::iter::once(inst).chain(
                inst.blocks
                    .iter()
                    .filter(|b| b.kind == "network_interfaces" || b.kind == "network_interface"),
            );
            let lists = holders.flat_map(|h| {
                ["vpc_security_group_ids", "security_groups"]
                    .into_iter()
                    .filter_map(|a| h.attr(a))
            });
            for list in lists {
                let Value::List(items) = list else {
                    continue;
                };
                for item in items {
                    match item {
                        Value::Expr(e) => {
                            if let Some(g) = referenced("aws_security_group", e) {
                                groups.push(g.to_string());
                            } else if let Some(module) = referenced("module", e) {
                                groups.push(format!("module.{module}"));
                            }
                        }
                        Value::Str(s) => {
                            // A group by its `name`.
                            for (_, g, gname) in m.of_type("aws_security_group") {
                                if m.first(g, "name").as_ref() == Some(s) {
                                    groups.push(gname.to_string());
                                }
                            }
                        }
                        Value::List(_) => {}
                    }
                }
            }
            for r in open {
                if r.group.as_ref().is_some_and(|g| groups.contains(g)) {
                    let via = match &r.group {
                        Some(g)
                            if !g.starts_with("module.")
                                && r.via != format!("aws_security_group.{g}") =>
                        {
                            format!("{} of aws_security_group.{g}", r.via)
                        }
                        _ => r.via.clone(),
                    };
                    opens.push(format!(
                        "opens {}.{inst_name}, SSH open to {} via {via} (key pair aws_key_pair.{kp_name}, {}:{})",
                        inst.labels[0],
                        r.cidr,
                        display_path(&f.path),
                        kp.line
                    ));
                }
            }
        }
        opens.dedup();
        for (_, fp) in fingerprints {
            out.links.push(Link {
                fingerprint: fp,
                place: Place {
                    path: display_path(&f.path),
                    line: kp.line,
                },
                opens: opens.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> TfFile {
        TfFile::read(Path::new(path), text.as_bytes(), false)
    }

    #[test]
    fn open_rules_with_variable_defaults_and_near_misses() {
        let files = [
            file(
                "m/variables.tf",
                "variable \"admin_cidr\" {\n  default = \"0.0.0.0/0\"\n}\nvariable \"office\" { default = \"203.0.113.7/32\" }\n",
            ),
            file(
                "m/main.tf",
                r#"
resource "aws_security_group" "web" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.admin_cidr]
  }
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
    cidr_blocks = ["10.0.0.0/8", var.office]
  }
}
resource "aws_security_group_rule" "all" {
  type              = "ingress"
  from_port         = 0
  to_port           = 0
  protocol          = "-1"
  ipv6_cidr_blocks  = ["::/0"]
  security_group_id = aws_security_group.web.id
}
"#,
            ),
        ];
        let a = analyse(&files);
        let what: Vec<&str> = a.exposures.iter().map(|e| e.what.as_str()).collect();
        assert_eq!(
            what,
            [
                "SSH open to the world: aws_security_group.web lets 0.0.0.0/0 reach port 22",
                "SSH open to the world: aws_security_group_rule.all lets ::/0 reach all traffic"
            ]
        );
        assert_eq!(a.exposures[0].line, 3);
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;

    #[test]
    fn locals_and_the_security_group_module() {
        let text = r#"
locals {
  admin = ["0.0.0.0/0"]
}
module "bastion_sg" {
  source              = "terraform-aws-modules/security-group/aws"
  version             = "~> 5.0"
  ingress_rules       = ["ssh-tcp", "https-443-tcp"]
  ingress_cidr_blocks = local.admin
}
module "web_sg" {
  source              = "terraform-aws-modules/security-group/aws"
  ingress_rules       = ["https-443-tcp"]
  ingress_cidr_blocks = ["0.0.0.0/0"]
}
module "ssh_sg" {
  source              = "terraform-aws-modules/security-group/aws//modules/ssh"
  ingress_cidr_blocks = ["10.10.0.0/16"]
}
resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = local.admin
  security_group_id = "sg-123"
}
"#;
        let a = analyse(&[TfFile::read(Path::new("m/main.tf"), text.as_bytes(), false)]);
        let what: Vec<(&str, usize)> = a
            .exposures
            .iter()
            .map(|e| (e.what.as_str(), e.line))
            .collect();
        assert_eq!(
            what,
            [
                (
                    "SSH open to the world: aws_security_group_rule.ssh lets 0.0.0.0/0 reach port 22",
                    20
                ),
                (
                    "SSH open to the world: module.bastion_sg lets 0.0.0.0/0 reach port 22",
                    5
                ),
            ]
        );
    }
}
