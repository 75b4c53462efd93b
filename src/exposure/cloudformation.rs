//! CloudFormation templates (JSON or YAML): `AWS::EC2::SecurityGroup` `SecurityGroupIngress`
//! entries and `AWS::EC2::SecurityGroupIngress` resources that let the world reach port 22.
//! A `Ref` to a parameter counts with the parameter's `Default`.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::{Exposure, SSH_OPEN_ADVICE, SSH_OPEN_CHECK, covers_ssh, is_world, ports};
use crate::finding::Severity;

pub fn check(path: &Path, bytes: &[u8]) -> Vec<Exposure> {
    let text = String::from_utf8_lossy(bytes);
    let docs = match serde_json::from_str::<Value>(&text) {
        Ok(v) => vec![v],
        Err(_) => super::yaml::parse(&text),
    };
    let keys = key_lines(&text);
    let mut out = Vec::new();
    for doc in &docs {
        template(path, &keys, doc, &mut out);
    }
    out
}

/// The line where each key is first written (`"Key":` in JSON, `Key:` in YAML), found in
/// one pass.
fn key_lines(text: &str) -> HashMap<&str, usize> {
    let mut out = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start().trim_start_matches("- ");
        let key = match t.strip_prefix('"') {
            Some(rest) => rest.split('"').next(),
            None => t.split(':').next(),
        };
        if let Some(k) = key {
            out.entry(k.trim()).or_insert(i + 1);
        }
    }
    out
}

fn resolve(params: &Value, v: &Value, depth: usize) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(m) if depth < 4 => {
            let p = m.get("Ref")?.as_str()?;
            resolve(params, params.get(p)?.get("Default")?, depth + 1)
        }
        _ => None,
    }
}

fn template(path: &Path, keys: &HashMap<&str, usize>, doc: &Value, out: &mut Vec<Exposure>) {
    let params = doc.get("Parameters").cloned().unwrap_or(Value::Null);
    let Some(Value::Object(resources)) = doc.get("Resources") else {
        return;
    };
    for (id, res) in resources {
        let props = res.get("Properties");
        let rules: Vec<&Value> = match res.get("Type").and_then(Value::as_str) {
            Some("AWS::EC2::SecurityGroup") => props
                .and_then(|p| p.get("SecurityGroupIngress"))
                .and_then(Value::as_array)
                .map(|a| a.iter().collect())
                .unwrap_or_default(),
            Some("AWS::EC2::SecurityGroupIngress") => props.into_iter().collect(),
            _ => continue,
        };
        for rule in rules {
            let get = |k: &str| rule.get(k).and_then(|v| resolve(&params, v, 0));
            let protocol = get("IpProtocol");
            let num = |k: &str| get(k).and_then(|s| s.trim().parse::<i64>().ok());
            let (from, to) = (num("FromPort"), num("ToPort"));
            if !covers_ssh(protocol.as_deref(), from, to) {
                continue;
            }
            let Some(cidr) = [get("CidrIp"), get("CidrIpv6")]
                .into_iter()
                .flatten()
                .find(|c| is_world(c))
            else {
                continue;
            };
            let line = keys.get(id.as_str()).copied().unwrap_or(1);
            out.push(Exposure {
                check: SSH_OPEN_CHECK,
                path: path.to_path_buf(),
                line,
                what: format!(
                    "SSH open to the world: {id} lets {cidr} reach {}",
                    ports(protocol.as_deref(), from, to)
                ),
                severity: Severity::High,
                advice: SSH_OPEN_ADVICE.into(),
            });
        }
    }
}
