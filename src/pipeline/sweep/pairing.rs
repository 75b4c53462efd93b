//! AWS key ids and secrets found apart, in different files of one home (an id exported in
//! one shell history, its secret in another; both in one folder): one credential where
//! the pairing is unambiguous.

use std::collections::HashMap;
use std::path::Path;

use crate::finding::{AwsKind as Kind, Category, Finding, display_path};

/// AWS key ids found without their secret, and secrets found without their id, in
/// different files of the home: paired where that is unambiguous, within the shell
/// histories (an id exported in `.bash_history`, its secret in `.zsh_history`) or within
/// one folder. A long-term key in `~/.aws/credentials` gets its file's age.
pub(super) fn pair_across_files(home: &Path, findings: &mut Vec<Finding>) {
    let shown = |p: &str| match Path::new(p).strip_prefix(home) {
        Ok(rel) => format!("~/{}", display_path(rel)),
        Err(_) => p.to_string(),
    };
    let group = |f: &Finding| -> Option<String> {
        if f.git().is_some() || f.path.contains('!') {
            return None;
        }
        let p = Path::new(&f.path);
        let name = p.file_name()?.to_string_lossy();
        if name.ends_with("_history") || name == ".history" {
            return Some("shell history".into());
        }
        Some(p.parent()?.display().to_string())
    };
    let credentials = home.join(".aws/credentials");
    let mut ids: HashMap<String, Vec<usize>> = HashMap::new();
    let mut secrets: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, f) in findings.iter_mut().enumerate() {
        if let Some(a) = f.aws.as_mut()
            && a.kind == Some(Kind::LongTerm)
            && Path::new(&f.path) == credentials
        {
            a.age_days = std::fs::metadata(&credentials)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .map(|d| d.as_secs() / 86_400);
        }
        let Some(g) = group(f) else { continue };
        let lone_id = f.category == Category::AwsAccessKey
            && f.aws
                .as_ref()
                .is_some_and(|a| !a.paired_secret && a.access_key_id.is_some());
        if lone_id {
            ids.entry(g).or_default().push(i);
        } else if f.category == Category::AwsSecretKey {
            secrets.entry(g).or_default().push(i);
        }
    }
    let mut paired = vec![false; findings.len()];
    for (g, s) in &secrets {
        let (&[secret], Some(&[id])) = (&s[..], ids.get(g).map(Vec::as_slice)) else {
            continue;
        };
        if findings[secret].path == findings[id].path {
            continue;
        }
        let s = findings[secret].clone();
        let f = &mut findings[id];
        let Some(a) = f.aws.as_mut() else { continue };
        a.paired_secret = true;
        a.secret = Some(crate::finding::Paired {
            line: s.line,
            column: s.column,
            secret: s.secret.clone(),
            path: Some(shown(&s.path)),
        });
        f.severity = crate::enrich::aws::severity(a);
        f.name = "AWS access key (key id and its secret)".into();
        f.parts.push(s.id.clone());
        paired[secret] = true;
    }
    let mut i = 0;
    findings.retain(|_| {
        i += 1;
        !paired[i - 1]
    });
}
