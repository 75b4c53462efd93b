//! sshd settings written by provisioning files: cloud-init user data (`ssh_pwauth: true`
//! turns password logins on, `disable_root: false` lets root log in with its keys) and an
//! Ansible `lineinfile` task that writes a weak line into sshd_config.

use std::path::Path;

use serde_json::Value;

use super::{Exposure, SSHD_WEAK_CHECK, line_of, yaml};
use crate::finding::Severity;

pub fn cloud_init(path: &Path, bytes: &[u8]) -> Vec<Exposure> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    let Some(doc) = yaml::parse(&text).into_iter().next() else {
        return out;
    };
    let at = |key: &str| {
        text.lines()
            .position(|l| l.starts_with(key))
            .map_or(1, |i| i + 1)
    };
    if doc.get("ssh_pwauth").and_then(yaml::truthy) == Some(true) {
        out.push(Exposure {
            check: SSHD_WEAK_CHECK,
            path: path.to_path_buf(),
            line: at("ssh_pwauth"),
            what: "cloud-init ssh_pwauth: true turns on PasswordAuthentication: passwords can be guessed over SSH (OpenSSH's default is yes; cloud images set no)".into(),
            severity: Severity::Medium,
            advice: "set ssh_pwauth: false and log in with keys".into(),
        });
    }
    if doc.get("disable_root").and_then(yaml::truthy) == Some(false) {
        out.push(Exposure {
            check: SSHD_WEAK_CHECK,
            path: path.to_path_buf(),
            line: at("disable_root"),
            what: "cloud-init disable_root: false lets root log in over SSH with the authorized keys (cloud-init's default is true)".into(),
            severity: Severity::Medium,
            advice: "remove disable_root: false; log in as the default user and escalate".into(),
        });
    }
    out
}

pub fn ansible(path: &Path, bytes: &[u8]) -> Vec<Exposure> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    let mut stack: Vec<Value> = yaml::parse(&text);
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(m) => {
                for (k, v) in m {
                    let task = k == "lineinfile" || k.ends_with(".lineinfile");
                    if task
                        && let Some(t) = v.as_object()
                        && ["path", "dest", "name"].iter().any(|p| {
                            t.get(*p)
                                .and_then(Value::as_str)
                                .is_some_and(|s| s.contains("sshd_config"))
                        })
                        && t.get("state").and_then(Value::as_str) != Some("absent")
                        && let Some(line) = t.get("line").and_then(Value::as_str)
                    {
                        let line = line.trim();
                        let (key, value) = line.split_once([' ', '\t', '=']).unwrap_or((line, ""));
                        if let Some((severity, what, fix)) = super::sshd::weak(key, value) {
                            out.push(Exposure {
                                check: SSHD_WEAK_CHECK,
                                path: path.to_path_buf(),
                                line: line_of(&text, line),
                                what: format!("Ansible lineinfile writes {what}"),
                                severity,
                                advice: fix.into(),
                            });
                        }
                    } else {
                        stack.push(v);
                    }
                }
            }
            _ => {}
        }
    }
    out.sort_by_key(|e| e.line);
    out
}
