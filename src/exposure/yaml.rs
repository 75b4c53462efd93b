//! A small reader of the block YAML that CloudFormation templates, cloud-init user data and
//! Ansible tasks are written in: mappings, sequences, plain and quoted scalars, block
//! scalars (`|`, `>`), simple flow lists, and CloudFormation's short tags (`!Ref X` reads
//! as `{"Ref": "X"}`, `!Sub s` as `{"Fn::Sub": s}`). Scalars stay strings. Anchors and
//! nested flow collections are beyond it; it never fails, it reads what it can.

use serde_json::{Map, Value};

struct Line<'a> {
    indent: usize,
    /// Without the indent and a trailing comment.
    text: String,
    raw: &'a str,
    /// Blank or a comment only.
    blank: bool,
}

/// The documents of a YAML stream (split at `---`).
pub fn parse(text: &str) -> Vec<Value> {
    let mut docs = Vec::new();
    let mut lines: Vec<Line> = Vec::new();
    for raw in text.lines() {
        if raw.starts_with("---") || raw.starts_with("...") {
            if !lines.is_empty() {
                docs.push(parse_doc(std::mem::take(&mut lines)));
            }
            continue;
        }
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        let text = strip_comment(&raw[indent..]).trim_end().to_string();
        lines.push(Line {
            indent,
            blank: text.is_empty(),
            text,
            raw,
        });
    }
    if !lines.is_empty() {
        docs.push(parse_doc(lines));
    }
    docs
}

fn parse_doc(mut lines: Vec<Line>) -> Value {
    let mut i = 0;
    block(&mut lines, &mut i, 0, 0)
}

/// How deep collections nest before the rest is skipped (a hostile file cannot exhaust
/// the stack).
const MAX_DEPTH: usize = 64;

fn strip_comment(s: &str) -> &str {
    let (mut single, mut double) = (false, false);
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'#' if !single && !double && (i == 0 || b[i - 1] == b' ' || b[i - 1] == b'\t') => {
                return &s[..i];
            }
            _ => {}
        }
    }
    s
}

fn skip_blank(lines: &[Line], i: &mut usize) {
    while *i < lines.len() && lines[*i].blank {
        *i += 1;
    }
}

fn is_dash(t: &str) -> bool {
    t == "-" || t.starts_with("- ")
}

fn block(lines: &mut Vec<Line>, i: &mut usize, min: usize, depth: usize) -> Value {
    skip_blank(lines, i);
    if *i >= lines.len() || lines[*i].indent < min {
        return Value::Null;
    }
    if depth > MAX_DEPTH {
        while *i < lines.len() && (lines[*i].blank || lines[*i].indent >= min) {
            *i += 1;
        }
        return Value::Null;
    }
    let ind = lines[*i].indent;
    if is_dash(&lines[*i].text) {
        seq(lines, i, ind, depth + 1)
    } else {
        map(lines, i, ind, depth + 1)
    }
}

fn seq(lines: &mut Vec<Line>, i: &mut usize, ind: usize, depth: usize) -> Value {
    let mut out = Vec::new();
    loop {
        skip_blank(lines, i);
        if *i >= lines.len() || lines[*i].indent != ind || !is_dash(&lines[*i].text) {
            break;
        }
        let rest = lines[*i].text[1..].trim_start().to_string();
        if rest.is_empty() {
            *i += 1;
            out.push(block(lines, i, ind + 1, depth));
        } else {
            // `- key: value`: the item is a block that starts after the dash.
            let offset = lines[*i].text.len() - rest.len();
            lines[*i].indent = ind + offset;
            lines[*i].text = rest;
            out.push(block(lines, i, ind + offset, depth));
        }
    }
    Value::Array(out)
}

/// Splits `key: value` (or `key:`) outside quotes and brackets.
fn split_key(t: &str) -> Option<(String, &str)> {
    let b = t.as_bytes();
    let (mut single, mut double, mut depth) = (false, false, 0i32);
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'[' | b'{' if !single && !double => depth += 1,
            b']' | b'}' if !single && !double => depth -= 1,
            b':' if !single
                && !double
                && depth == 0
                && (i + 1 == b.len() || b[i + 1] == b' ' || b[i + 1] == b'\t') =>
            {
                let key = match scalar(&t[..i]) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                return Some((key, t[i + 1..].trim()));
            }
            _ => {}
        }
    }
    None
}

fn map(lines: &mut Vec<Line>, i: &mut usize, ind: usize, depth: usize) -> Value {
    let mut out = Map::new();
    loop {
        skip_blank(lines, i);
        // A line deeper than the mapping's keys that no key took (something this reader
        // does not understand) is passed over: it must not end the mapping, or every
        // key after it would be lost.
        if *i < lines.len() && lines[*i].indent > ind && !out.is_empty() {
            *i += 1;
            continue;
        }
        if *i >= lines.len() || lines[*i].indent != ind || is_dash(&lines[*i].text) {
            break;
        }
        let text = lines[*i].text.clone();
        let Some((key, value)) = split_key(&text) else {
            // A plain scalar spread over lines, or something this reader does not know.
            if out.is_empty() {
                *i += 1;
                return scalar(&text);
            }
            *i += 1;
            continue;
        };
        *i += 1;
        let v = if value.is_empty() {
            skip_blank(lines, i);
            match lines.get(*i) {
                Some(l) if l.indent > ind => block(lines, i, ind + 1, depth),
                Some(l) if l.indent == ind && is_dash(&l.text) => seq(lines, i, ind, depth + 1),
                _ => Value::Null,
            }
        } else if value.starts_with('|') || value.starts_with('>') {
            block_scalar(lines, i, ind, value.starts_with('>'))
        } else if let Some(tag) = value.strip_prefix('!').filter(|v| !v.contains(' ')) {
            // `Key: !GetAtt` with the operand on the lines below.
            let inner = block(lines, i, ind + 1, depth);
            tagged(tag, inner)
        } else {
            // A scalar may go on over more-indented lines (a long quoted `Description:`):
            // they are folded into it, and the mapping goes on after them.
            // Blank lines inside it (a quoted string or a flow list spread over lines)
            // do not end it; a line back at the key's indent does.
            let mut full = value.to_string();
            loop {
                let mut j = *i;
                while lines.get(j).is_some_and(|l| l.blank) {
                    j += 1;
                }
                match lines.get(j) {
                    Some(l) if l.indent > ind => {
                        full.push(' ');
                        full.push_str(l.raw.trim());
                        *i = j + 1;
                    }
                    _ => break,
                }
            }
            scalar(&full)
        };
        out.insert(key, v);
    }
    Value::Object(out)
}

fn block_scalar(lines: &[Line], i: &mut usize, ind: usize, folded: bool) -> Value {
    let mut body: Vec<&str> = Vec::new();
    let mut strip = None;
    while *i < lines.len() {
        let l = &lines[*i];
        if !l.raw.trim().is_empty() && l.indent <= ind {
            break;
        }
        let s = strip.get_or_insert(l.indent.max(ind + 1));
        let raw = l.raw;
        body.push(raw.get(*s..).unwrap_or(raw.trim_start()));
        *i += 1;
    }
    while body.last().is_some_and(|l| l.trim().is_empty()) {
        body.pop();
    }
    let joined = if folded {
        body.join(" ")
    } else {
        body.join("\n")
    };
    Value::String(joined + "\n")
}

fn tagged(tag: &str, v: Value) -> Value {
    let key = if tag == "Ref" || tag.starts_with("Fn::") {
        tag.to_string()
    } else {
        format!("Fn::{tag}")
    };
    let mut m = Map::new();
    m.insert(key, v);
    Value::Object(m)
}

/// A scalar as written on one line.
pub fn scalar(s: &str) -> Value {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('!') {
        let (tag, operand) = rest.split_once(' ').unwrap_or((rest, ""));
        return tagged(tag, scalar(operand));
    }
    if let Some(inner) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        return Value::String(inner.replace("\\\"", "\"").replace("\\\\", "\\"));
    }
    if let Some(inner) = s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return Value::String(inner.replace("''", "'"));
    }
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        if inner.trim().is_empty() {
            return Value::Array(Vec::new());
        }
        return Value::Array(inner.split(',').map(scalar).collect());
    }
    Value::String(s.to_string())
}

/// Whether a YAML (or JSON) value reads as true: `true`, `yes`, `on`, `1`.
pub fn truthy(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => Some(n.as_i64() != Some(0)),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Some(true),
            "false" | "no" | "off" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scalar_over_several_lines_does_not_end_the_mapping() {
        let doc = &parse(
            "Description: 'a long sentence\n  that goes on'\nResources:\n  A:\n    Type: X\n",
        )[0];
        assert_eq!(doc["Description"], "a long sentence that goes on");
        assert_eq!(doc["Resources"]["A"]["Type"], "X");
    }

    #[test]
    fn a_flow_list_over_lines_with_blank_ones_does_not_end_the_mapping() {
        let doc = &parse(
            "R:\n  L:\n    content: !Join ['', ['[main]\n\n        ', x]]\n    mode: '0644'\n  G:\n    Type: Y\n",
        )[0];
        assert_eq!(doc["R"]["L"]["mode"], "0644");
        assert_eq!(doc["R"]["G"]["Type"], "Y");
    }
    use serde_json::json;

    #[test]
    fn reads_cloudformation_and_cloud_init() {
        let text = "\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Cidr:
    Type: String
    Default: 0.0.0.0/0 # world
Resources:
  Web:
    Type: AWS::EC2::SecurityGroup
    Properties:
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 22
          ToPort: \"22\"
          CidrIp: !Ref Cidr
        - {IpProtocol: tcp}
      UserData: |
        #cloud-config
        ssh_pwauth: true
list:
- a
- [b, c]
";
        let v = &parse(text)[0];
        assert_eq!(v["Parameters"]["Cidr"]["Default"], "0.0.0.0/0");
        let ing = &v["Resources"]["Web"]["Properties"]["SecurityGroupIngress"];
        assert_eq!(ing[0]["FromPort"], "22");
        assert_eq!(ing[0]["ToPort"], "22");
        assert_eq!(ing[0]["CidrIp"], json!({"Ref": "Cidr"}));
        assert_eq!(
            v["Resources"]["Web"]["Properties"]["UserData"],
            "#cloud-config\nssh_pwauth: true\n"
        );
        assert_eq!(v["list"], json!(["a", ["b", "c"]]));
    }
}
