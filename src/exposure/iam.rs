//! AWS key risk from the Terraform beside it (`aws-key-risk`): an `aws_iam_access_key` made
//! for an IAM user who can do anything: `AdministratorAccess` attached (to the user, or to
//! a group the user is in), or a policy allowing `"Action": "*"` (inline, `jsonencode`,
//! heredoc JSON, an `aws_iam_policy` or an `aws_iam_policy_document` with `actions =
//! ["*"]`).
//!
//! Such a key's id only exists once Terraform has run, so the link to an AWS key found in
//! the same scan goes through what records it offline: a `terraform.tfstate` holding the
//! `aws_iam_access_key` (its `id` and `user`), or the CSV the IAM console hands out (a
//! `User name` column, or the `<user>_accessKeys.csv` file name). An AWS key finding with
//! that id is then told whose key it is and what that user may do.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value as J;

use super::hcl::{Block, Value};
use super::terraform::{Analysis, Module, TfFile, file_argument, referenced};
use super::{AWS_KEY_RISK_CHECK, Exposure};
use crate::finding::{Finding, Severity, display_path};

/// What to do about an access key made for an administrator.
pub const ADVICE: &str = "grant the user least privilege (only the actions it needs, never AdministratorAccess or \"Action\": \"*\"), and prefer short-lived credentials: an IAM role assumed by the workload (instance profile, OIDC from CI) instead of a long-term access key; if a key must exist, keep its secret out of the repository and the state, and rotate it";

/// What to do about a found key Terraform made for an administrator.
pub const LINKED_ADVICE: &str = "this key can do anything in the account: shut it off first (below), then give the user least privilege in the Terraform and replace the key with a role (short-lived credentials)";

/// An access key whose id is recorded offline: in a state file or an IAM console CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedKey {
    pub access_key_id: String,
    /// The IAM user's name.
    pub user: Option<String>,
    /// `aws_iam_access_key.ci`, for a resource of a state's root module.
    pub address: Option<String>,
}

/// An `aws_iam_access_key` made for an administrator.
#[derive(Debug, Clone)]
pub struct RiskyKey {
    pub dir: PathBuf,
    /// `aws_iam_access_key.ci`.
    pub address: String,
    /// The user's name, where the code says it literally.
    pub user_name: Option<String>,
    pub path: PathBuf,
    pub line: usize,
    /// "aws_iam_user.ci (\"ci-deployer\"), which has AdministratorAccess (…)".
    pub whose: String,
}

/// A found AWS key id, and what the code beside it says of it.
#[derive(Debug, Clone)]
pub struct AwsLink {
    pub access_key_id: String,
    pub what: String,
}

/// The access keys recorded in a `terraform.tfstate` (format 4: `resources[].instances[]`).
pub fn from_state(bytes: &[u8]) -> Vec<IssuedKey> {
    let Ok(state) = serde_json::from_slice::<J>(bytes) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for r in state
        .get("resources")
        .and_then(J::as_array)
        .into_iter()
        .flatten()
    {
        if r.get("type").and_then(J::as_str) != Some("aws_iam_access_key")
            || r.get("mode").and_then(J::as_str) == Some("data")
        {
            continue;
        }
        let address = match (r.get("module"), r.get("name").and_then(J::as_str)) {
            (None, Some(n)) => Some(format!("aws_iam_access_key.{n}")),
            _ => None,
        };
        for i in r
            .get("instances")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
        {
            let a = i.get("attributes");
            let get = |k: &str| a.and_then(|a| a.get(k)).and_then(J::as_str);
            if let Some(id) = get("id").filter(|id| is_key_id(id)) {
                out.push(IssuedKey {
                    access_key_id: id.to_string(),
                    user: get("user").map(str::to_string),
                    address: address.clone(),
                });
            }
        }
    }
    out
}

/// The access keys in a CSV the IAM console hands out: a header naming `Access key ID`,
/// the user from a `User name` column or from the file's name (`ci_accessKeys.csv`).
pub fn from_console_csv(path: &Path, bytes: &[u8]) -> Vec<IssuedKey> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let cols: Vec<String> = header
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let Some(id_col) = cols.iter().position(|c| c == "access key id") else {
        return Vec::new();
    };
    let user_col = cols.iter().position(|c| c == "user name");
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let from_name = name
        .strip_suffix("_accessKeys.csv")
        .or_else(|| name.strip_suffix("_credentials.csv"))
        .filter(|u| !u.is_empty());
    lines
        .filter_map(|l| {
            let cells: Vec<&str> = l.split(',').map(|c| c.trim().trim_matches('"')).collect();
            let id = cells.get(id_col).filter(|id| is_key_id(id))?;
            let user = user_col
                .and_then(|c| cells.get(c))
                .map(|u| u.to_string())
                .filter(|u| !u.is_empty())
                .or_else(|| from_name.map(str::to_string));
            Some(IssuedKey {
                access_key_id: id.to_string(),
                user,
                address: None,
            })
        })
        .collect()
}

/// Whether a file (by its name as reports show it) is one that records whose access key
/// it holds: a Terraform state, or a CSV (the IAM console's).
pub fn records_keys(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.ends_with(".tfstate")
        || name.ends_with(".tfstate.backup")
        || (name.ends_with(".csv") && !name.starts_with("rootkey"))
}

fn is_key_id(s: &str) -> bool {
    s.len() == 20
        && (s.starts_with("AKIA") || s.starts_with("ASIA"))
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Why a policy (an ARN, a policy document in any of its forms) gives everything.
fn admin_policy(m: &Module<'_>, dir: &Path, v: &Value, depth: usize) -> Option<String> {
    if depth > 4 {
        return None;
    }
    if let Value::Expr(e) = v {
        let e = e.trim();
        if let Some(name) = referenced("data.aws_iam_policy_document", e) {
            let (_, doc, _) = m
                .data
                .iter()
                .map(|(f, b)| (*f, *b, b.labels.get(1).map_or("", String::as_str)))
                .find(|(_, b, n)| b.labels[0] == "aws_iam_policy_document" && *n == name)?;
            return policy_document_allows_all(m, doc)
                .then(|| format!("data.aws_iam_policy_document.{name} allows actions [\"*\"]"));
        }
        if let Some(name) = referenced("aws_iam_policy", e) {
            let (_, p, _) = m.of_type("aws_iam_policy").find(|(_, _, n)| *n == name)?;
            let why = admin_policy(m, dir, p.attr("policy")?, depth + 1)?;
            return Some(format!("aws_iam_policy.{name}: {why}"));
        }
        if e.starts_with("jsonencode(") {
            return allows_all(e).then(|| "a policy allowing \"Action\": \"*\"".into());
        }
        if e.contains("file(") && m.disk {
            let text = file_argument(e).and_then(|rel| std::fs::read(dir.join(rel)).ok())?;
            return allows_all(&String::from_utf8_lossy(&text))
                .then(|| "a policy allowing \"Action\": \"*\"".into());
        }
    }
    m.strings(v, 0).into_iter().find_map(|s| {
        let s = s.trim();
        if s.ends_with(":iam::aws:policy/AdministratorAccess") {
            Some("AdministratorAccess".to_string())
        } else if allows_all(s) {
            Some("a policy allowing \"Action\": \"*\"".to_string())
        } else {
            None
        }
    })
}

/// Whether an `aws_iam_policy_document` has a statement allowing `actions = ["*"]`.
fn policy_document_allows_all(m: &Module<'_>, doc: &Block) -> bool {
    doc.blocks
        .iter()
        .filter(|s| s.kind == "statement")
        .any(|s| {
            let effect = s
                .attr("effect")
                .and_then(|v| m.strings(v, 0).into_iter().next());
            effect.is_none_or(|e| e.eq_ignore_ascii_case("allow"))
                && s.attr("actions")
                    .is_some_and(|v| m.strings(v, 0).iter().any(|a| a.trim() == "*"))
        })
}

/// Whether a policy's text (JSON, or the HCL object of a `jsonencode(…)`) has a statement
/// allowing `Action` `"*"` (alone or in a list); `NotAction` and `Deny` statements are not
/// grants.
pub fn allows_all(text: &str) -> bool {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(at) = text[from..].find("Action").map(|i| i + from) {
        from = at + 6;
        if at > 0 && (b[at - 1].is_ascii_alphanumeric() || b[at - 1] == b'_') {
            continue;
        }
        let mut i = at + 6;
        let skip = |i: &mut usize, set: &[u8]| {
            while *i < b.len() && set.contains(&b[*i]) {
                *i += 1;
            }
        };
        skip(&mut i, b"\"");
        skip(&mut i, b" \t\r\n");
        if i >= b.len() || !matches!(b[i], b'=' | b':') {
            continue;
        }
        i += 1;
        skip(&mut i, b" \t\r\n[");
        if !text[i..].starts_with("\"*\"") {
            continue;
        }
        if !statement_of(b, at).is_some_and(|s| s.windows(4).any(|w| w == b"Deny")) {
            return true;
        }
    }
    false
}

/// The innermost `{ … }` around `at`.
fn statement_of(b: &[u8], at: usize) -> Option<&[u8]> {
    let mut depth = 0usize;
    let mut start = None;
    for i in (0..at).rev() {
        match b[i] {
            b'}' => depth += 1,
            b'{' if depth == 0 => {
                start = Some(i);
                break;
            }
            b'{' => depth -= 1,
            _ => {}
        }
    }
    let start = start?;
    let mut depth = 0usize;
    for (i, &c) in b.iter().enumerate().skip(at) {
        match c {
            b'{' => depth += 1,
            b'}' if depth == 0 => return Some(&b[start..=i]),
            b'}' => depth -= 1,
            _ => {}
        }
    }
    Some(&b[start..])
}

/// Who a `user` (or `group`) argument names: the literal name when the code says it,
/// else the resource's address.
fn who(m: &Module<'_>, kind: &str, v: &Value) -> Option<String> {
    if let Value::Expr(e) = v
        && let Some(name) = referenced(kind, e)
    {
        let named = m
            .of_type(kind)
            .find(|(_, _, n)| *n == name)
            .and_then(|(_, b, _)| m.first(b, "name"))
            .filter(|n| !n.contains("${"));
        return Some(named.unwrap_or_else(|| format!("{kind}.{name}")));
    }
    m.strings(v, 0).into_iter().next()
}

fn who_all(m: &Module<'_>, kind: &str, v: &Value) -> Vec<String> {
    match v {
        Value::List(items) => items.iter().filter_map(|i| who(m, kind, i)).collect(),
        v => who(m, kind, v).into_iter().collect(),
    }
}

/// How a user is shown: `aws_iam_user.ci ("ci-deployer")`, or as the code names it.
fn shown_user(m: &Module<'_>, user: &str) -> String {
    let resource = m.of_type("aws_iam_user").find(|(_, b, n)| {
        m.first(b, "name").as_deref() == Some(user) || user.ends_with(&format!("aws_iam_user.{n}"))
    });
    match resource {
        Some((_, _, n)) if user.starts_with("aws_iam_user.") => format!("aws_iam_user.{n}"),
        Some((_, _, n)) => format!("aws_iam_user.{n} (\"{user}\")"),
        None if user.starts_with("aws_iam_user.") => user.to_string(),
        None => format!("IAM user \"{user}\""),
    }
}

/// The `aws-key-risk` findings of one module, and its risky keys for the link.
pub(super) fn module(dir: &Path, m: &Module<'_>, out: &mut Analysis) {
    if m.of_type("aws_iam_access_key").next().is_none() {
        return;
    }
    let mut users: HashMap<String, String> = HashMap::new();
    let mut groups: HashMap<String, String> = HashMap::new();
    let mut member_of: Vec<(String, String)> = Vec::new();
    for (_, b, name) in m
        .resources
        .iter()
        .map(|(f, b)| (*f, *b, b.labels[1].as_str()))
    {
        let kind = b.labels[0].as_str();
        let address = format!("{kind}.{name}");
        let policy = |attr: &str| {
            b.attr(attr)
                .and_then(|v| admin_policy(m, dir, v, 0))
                .map(|why| format!("{why} via {address}"))
        };
        match kind {
            "aws_iam_user_policy_attachment" | "aws_iam_user_policy" => {
                let why = policy("policy_arn").or_else(|| policy("policy"));
                if let (Some(why), Some(u)) =
                    (why, b.attr("user").and_then(|v| who(m, "aws_iam_user", v)))
                {
                    users.entry(u).or_insert(why);
                }
            }
            "aws_iam_user_policy_attachments_exclusive" => {
                let why = b.attr("policy_arns").and_then(|v| match v {
                    Value::List(items) => items.iter().find_map(|i| admin_policy(m, dir, i, 0)),
                    v => admin_policy(m, dir, v, 0),
                });
                if let (Some(why), Some(u)) = (
                    why,
                    b.attr("user_name").and_then(|v| who(m, "aws_iam_user", v)),
                ) {
                    users.entry(u).or_insert(format!("{why} via {address}"));
                }
            }
            "aws_iam_group_policy_attachment" | "aws_iam_group_policy" => {
                let why = policy("policy_arn").or_else(|| policy("policy"));
                if let (Some(why), Some(g)) = (
                    why,
                    b.attr("group").and_then(|v| who(m, "aws_iam_group", v)),
                ) {
                    groups.entry(g).or_insert(why);
                }
            }
            "aws_iam_policy_attachment" => {
                if let Some(why) = policy("policy_arn") {
                    for u in b
                        .attr("users")
                        .map(|v| who_all(m, "aws_iam_user", v))
                        .unwrap_or_default()
                    {
                        users.entry(u).or_insert(why.clone());
                    }
                    for g in b
                        .attr("groups")
                        .map(|v| who_all(m, "aws_iam_group", v))
                        .unwrap_or_default()
                    {
                        groups.entry(g).or_insert(why.clone());
                    }
                }
            }
            "aws_iam_user_group_membership" => {
                if let Some(u) = b.attr("user").and_then(|v| who(m, "aws_iam_user", v)) {
                    for g in b
                        .attr("groups")
                        .map(|v| who_all(m, "aws_iam_group", v))
                        .unwrap_or_default()
                    {
                        member_of.push((u.clone(), g));
                    }
                }
            }
            "aws_iam_group_membership" => {
                if let Some(g) = b.attr("group").and_then(|v| who(m, "aws_iam_group", v)) {
                    for u in b
                        .attr("users")
                        .map(|v| who_all(m, "aws_iam_user", v))
                        .unwrap_or_default()
                    {
                        member_of.push((u, g.clone()));
                    }
                }
            }
            _ => {}
        }
    }
    for (u, g) in &member_of {
        if let Some(why) = groups.get(g) {
            users
                .entry(u.clone())
                .or_insert(format!("{why} (through group {g})"));
        }
    }
    for (f, key, name) in m.of_type("aws_iam_access_key") {
        let Some(user) = key.attr("user").and_then(|v| who(m, "aws_iam_user", v)) else {
            continue;
        };
        let Some(why) = users.get(&user) else {
            continue;
        };
        let whose = format!("{}, which has {why}", shown_user(m, &user));
        out.exposures.push(Exposure {
            check: AWS_KEY_RISK_CHECK,
            path: f.path.clone(),
            line: key.line,
            what: format!(
                "Access key for an administrator: aws_iam_access_key.{name} makes a long-term key for {whose}"
            ),
            severity: Severity::High,
            advice: ADVICE.into(),
        });
        out.risky.push(RiskyKey {
            dir: dir.to_path_buf(),
            address: format!("aws_iam_access_key.{name}"),
            user_name: (!user.starts_with("aws_iam_user.")).then_some(user),
            path: f.path.clone(),
            line: key.line,
            whose,
        });
    }
}

/// The found keys the state files and console CSVs tie to a risky `aws_iam_access_key`:
/// by its address in a state beside the code, or by the user's name.
pub(super) fn link(files: &[TfFile], out: &mut Analysis) {
    for f in files.iter().filter(|f| !f.issued.is_empty()) {
        let dir = f.path.parent().unwrap_or(Path::new(""));
        for k in &f.issued {
            let risky = out.risky.iter().find(|r| {
                (r.dir == dir && k.address.as_deref() == Some(r.address.as_str()))
                    || (k.user.is_some() && r.user_name.is_some() && k.user == r.user_name)
            });
            if let Some(r) = risky {
                out.aws_links.push(AwsLink {
                    access_key_id: k.access_key_id.clone(),
                    what: format!(
                        "made by {} ({}:{}) for {}",
                        r.address,
                        display_path(&r.path),
                        r.line,
                        r.whose
                    ),
                });
            }
        }
    }
}

/// Tells each AWS key finding whose id a link names what the code beside it says: it is
/// an administrator's key, critical.
pub fn apply(findings: &mut [Finding], links: &[AwsLink]) {
    if links.is_empty() {
        return;
    }
    for f in findings.iter_mut() {
        let Some(id) = f.aws.as_ref().and_then(|a| a.access_key_id.as_deref()) else {
            continue;
        };
        let Some(link) = links.iter().find(|l| l.access_key_id == id) else {
            continue;
        };
        if f.aws.as_ref().is_some_and(|a| a.root) {
            continue;
        }
        f.name = format!("AWS access key of an administrator: {}", link.what);
        f.severity = Severity::Critical;
        f.advice = Some(LINKED_ADVICE.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_star_in_json_and_hcl_objects() {
        assert!(allows_all(
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        ));
        assert!(allows_all(
            "jsonencode({\n Statement = [{\n Action = [\"*\"]\n Effect = \"Allow\"\n Resource = \"*\" }] })"
        ));
        assert!(!allows_all(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
        ));
        assert!(!allows_all(
            r#"{"Statement":[{"Effect":"Allow","NotAction":"*","Resource":"*"}]}"#
        ));
        assert!(!allows_all(
            r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#
        ));
    }

    #[test]
    fn console_csv_and_state() {
        let csv = b"User name,Password,Access key ID,Secret access key,Console login link\nci-deployer,,AKIARZPUZDIKIOJZ7DN7,x,https://x\n";
        assert_eq!(
            from_console_csv(Path::new("credentials.csv"), csv)[0]
                .user
                .as_deref(),
            Some("ci-deployer")
        );
        let csv = b"Access key ID,Secret access key\nAKIARZPUZDIKIOJZ7DN7,x\n";
        assert_eq!(
            from_console_csv(Path::new("ops_accessKeys.csv"), csv)[0]
                .user
                .as_deref(),
            Some("ops")
        );
        let state = br#"{"version":4,"resources":[{"mode":"managed","type":"aws_iam_access_key","name":"ci","instances":[{"attributes":{"id":"AKIARZPUZDIKIOJZ7DN7","user":"ci-deployer"}}]}]}"#;
        assert_eq!(
            from_state(state),
            [IssuedKey {
                access_key_id: "AKIARZPUZDIKIOJZ7DN7".into(),
                user: Some("ci-deployer".into()),
                address: Some("aws_iam_access_key.ci".into()),
            }]
        );
    }
}
