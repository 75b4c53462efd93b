//! What the store holds, as people read it: findings as report records (for the usual
//! writers), grouped by secret (one entry, with every place it is), and the
//! organisation's page (`org report`).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::finding::{Category, Detector, Finding, GitFacts, Origin, Severity};
use crate::store::{FindingRow, Placed, RepoRow};

pub fn severity(s: &str) -> Severity {
    match s {
        "critical" => Severity::Critical,
        "high" => Severity::High,
        "medium" => Severity::Medium,
        _ => Severity::Low,
    }
}

/// A stored finding as the report writers take it (its secret redacted, as stored).
pub fn to_finding(row: &FindingRow) -> Finding {
    placed_finding(&row.repository, &row.placed, row.present_at_head)
}

/// A finding placed in repository `url` as the report writers (and the filters) take it.
pub fn placed_finding(url: &str, p: &Placed, present_at_head: bool) -> Finding {
    let category = Category::from(p.found.category.as_str());
    let detector = Detector {
        rule: &p.found.rule,
        name: &p.found.name,
        category: &category,
        severity: severity(&p.found.severity),
    };
    let mut f = Finding::new(
        detector,
        Path::new(&p.path),
        (p.found.line.max(1) as usize, p.found.column.max(1) as usize),
        p.found.redacted.clone(),
        p.found.content_id.clone(),
        false,
    );
    f.path = p.path.clone();
    f.origin = Some(Origin::Git(GitFacts {
        repository: url.to_string(),
        commit: p.commit.clone(),
        author: p.author.clone(),
        email: p.email.clone(),
        date: p.date.clone(),
        blob: p.blob.clone(),
        present_at_head,
    }));
    f
}

/// One place a secret is.
#[derive(Debug, Serialize)]
pub struct Place {
    pub repository: String,
    pub url: String,
    pub path: String,
    pub line: i64,
    pub commit: Option<String>,
    pub author: Option<String>,
    pub date: Option<String>,
    pub present_at_head: bool,
    pub first_seen: String,
    pub last_seen: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub triaged_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub triaged_at: Option<String>,
}

/// One secret, with every place the store has it.
#[derive(Debug, Serialize)]
pub struct Entry {
    pub id: String,
    pub rule: String,
    pub name: String,
    pub category: String,
    pub severity: String,
    /// Redacted, as stored.
    pub secret: String,
    pub repositories: usize,
    pub first_seen: String,
    pub places: Vec<Place>,
}

/// `rows` grouped by secret, worst first, then oldest first.
pub fn group(rows: &[FindingRow]) -> Vec<Entry> {
    let mut by: BTreeMap<&str, Entry> = BTreeMap::new();
    for r in rows {
        let f = &r.placed.found;
        let e = by.entry(&f.content_id).or_insert_with(|| Entry {
            id: f.content_id.clone(),
            rule: f.rule.clone(),
            name: f.name.clone(),
            category: f.category.clone(),
            severity: f.severity.clone(),
            secret: f.redacted.clone(),
            repositories: 0,
            first_seen: r.first_seen.clone(),
            places: Vec::new(),
        });
        if severity(&f.severity) > severity(&e.severity) {
            e.severity = f.severity.clone();
        }
        if r.first_seen < e.first_seen {
            e.first_seen = r.first_seen.clone();
        }
        e.places.push(Place {
            repository: r.repository_name.clone(),
            url: r.repository.clone(),
            path: r.placed.path.clone(),
            line: f.line,
            commit: r.placed.commit.clone(),
            author: r.placed.author.clone(),
            date: r.placed.date.clone(),
            present_at_head: r.present_at_head,
            first_seen: r.first_seen.clone(),
            last_seen: r.last_seen.clone(),
            status: r.status.clone(),
            note: r.note.clone(),
            triaged_by: r.triaged_by.clone(),
            triaged_at: r.triaged_at.clone(),
        });
    }
    let mut out: Vec<Entry> = by.into_values().collect();
    for e in &mut out {
        e.places
            .sort_by(|a, b| (&a.url, &a.path).cmp(&(&b.url, &b.path)));
        let mut repos: Vec<&str> = e.places.iter().map(|p| p.url.as_str()).collect();
        repos.dedup();
        e.repositories = repos.len();
    }
    out.sort_by(|a, b| {
        severity(&b.severity)
            .cmp(&severity(&a.severity))
            .then(a.first_seen.cmp(&b.first_seen))
            .then(a.id.cmp(&b.id))
    });
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The grouped entries as text: each secret once, then its places.
pub fn write_human(out: &mut dyn Write, entries: &[Entry]) -> io::Result<()> {
    use crate::report::printable;
    for e in entries {
        writeln!(
            out,
            "{} {} {} — {}, in {}",
            e.severity.to_uppercase(),
            e.id,
            printable(&e.name),
            printable(&e.secret),
            plural(e.repositories, "repository", "repositories")
        )?;
        for p in &e.places {
            let commit = p.commit.as_deref().map_or("", |c| &c[..c.len().min(12)]);
            writeln!(
                out,
                "    {}:{}:{}  {commit}  {}{}  [{}{}]",
                printable(&p.repository),
                printable(&p.path),
                p.line,
                p.date.as_deref().unwrap_or(""),
                if p.present_at_head { "  at HEAD" } else { "" },
                p.status,
                p.note
                    .as_deref()
                    .map(|n| format!(": {}", printable(n)))
                    .unwrap_or_default()
            )?;
        }
    }
    Ok(())
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() => o.push_str(&c.escape_default().to_string()),
            c => o.push(c),
        }
    }
    o
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f8fa}\
header,main{max-width:1280px;margin:0 auto;padding:12px 20px}header{background:#24292f;color:#fff;max-width:none}\
header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c9d1d9}\
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}\
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:8px 14px;min-width:90px}\
.card b{display:block;font-size:22px}section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:10px 14px;margin:12px 0}\
section h2{font-size:15px;margin:0 0 6px}table{width:100%;border-collapse:collapse}\
th,td{padding:5px 8px;border-bottom:1px solid #eaeef2;text-align:left;vertical-align:top}th{background:#f6f8fa}\
code{font:12px ui-monospace,monospace;overflow-wrap:anywhere}.critical{color:#a40e26}.high{color:#bc4c00}\
.medium{color:#7d4e00}.low{color:#57606a}.failed{color:#a40e26}.dim{color:#57606a;font-size:12px}";

/// The organisation's page: totals, what the last run found new, each repository,
/// the secrets in several repositories, and every open finding, oldest first. Counts
/// are in `data-` attributes as well, for checks. Nothing external; no script.
pub fn write_page(
    out: &mut dyn Write,
    rows: &[FindingRow],
    repos: &[RepoRow],
    last_run: Option<i64>,
) -> io::Result<()> {
    let open: Vec<&FindingRow> = rows.iter().filter(|r| r.status == "open").collect();
    let new: Vec<&FindingRow> = rows
        .iter()
        .filter(|r| Some(r.new_in_run) == last_run)
        .collect();
    let entries = group(rows);
    let shared: Vec<&Entry> = entries.iter().filter(|e| e.repositories > 1).collect();
    let failed = repos
        .iter()
        .filter(|r| r.result.as_deref() == Some("failed"))
        .count();
    writeln!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width\">\n<title>keysweep organisation report</title>\n\
         <style>{STYLE}</style></head><body>\n\
         <header><h1>keysweep organisation report</h1><p>keysweep {} · generated {}</p></header><main>",
        env!("CARGO_PKG_VERSION"),
        crate::store::now()
    )?;
    let card = |out: &mut dyn Write, id: &str, n: usize, label: &str| {
        writeln!(
            out,
            "<div class=\"card\" id=\"{id}\" data-count=\"{n}\"><b>{n}</b>{label}</div>"
        )
    };
    writeln!(out, "<div class=\"cards\">")?;
    card(out, "repositories", repos.len(), "repositories")?;
    card(out, "findings", rows.len(), "findings")?;
    card(out, "secrets", entries.len(), "distinct secrets")?;
    card(out, "open", open.len(), "open")?;
    card(out, "new", new.len(), "new in the last run")?;
    card(
        out,
        "shared",
        shared.len(),
        "secrets in several repositories",
    )?;
    card(out, "failed", failed, "repositories that failed")?;
    writeln!(out, "</div>")?;

    let finding_table = |out: &mut dyn Write,
                         id: &str,
                         title: &str,
                         list: &[&FindingRow]|
     -> io::Result<()> {
        writeln!(
            out,
            "<section><h2>{} ({})</h2><table id=\"{id}-table\" data-rows=\"{}\"><thead><tr><th>Severity</th><th>What</th>\
             <th>Repository</th><th>Where</th><th>Secret (redacted)</th><th>Since</th><th>Status</th><th>Id</th></tr></thead><tbody>",
            esc(title),
            list.len(),
            list.len()
        )?;
        for r in list {
            let f = &r.placed.found;
            writeln!(
                out,
                "<tr><td class=\"{sev}\">{sev}</td><td>{}</td><td>{}</td><td><code>{}:{}</code>{}<div class=\"dim\">{}</div></td>\
                 <td><code>{}</code></td><td>{}</td><td>{}{}</td><td><code>{}</code></td></tr>",
                esc(&f.name),
                esc(&r.repository_name),
                esc(&r.placed.path),
                f.line,
                if r.present_at_head {
                    " <b>at HEAD</b>"
                } else {
                    ""
                },
                esc(&r
                    .placed
                    .commit
                    .as_deref()
                    .map(|c| format!("commit {}", &c[..c.len().min(12)]))
                    .unwrap_or_default()),
                esc(&f.redacted),
                esc(r.placed.date.as_deref().unwrap_or(&r.first_seen)),
                esc(&r.status),
                r.note
                    .as_deref()
                    .map(|n| format!(": {}", esc(n)))
                    .unwrap_or_default(),
                esc(&f.content_id),
                sev = esc(&f.severity),
            )?;
        }
        writeln!(out, "</tbody></table></section>")
    };
    finding_table(out, "new", "New in the last run", &new)?;

    writeln!(
        out,
        "<section><h2>By repository</h2><table id=\"repositories-table\" data-rows=\"{}\"><thead><tr><th>Repository</th>\
         <th>Open</th><th>Findings</th><th>Last scan</th><th>Result</th></tr></thead><tbody>",
        repos.len()
    )?;
    for repo in repos {
        let mine = rows.iter().filter(|r| r.repository == repo.url);
        let total = mine.clone().count();
        let open_here = mine.filter(|r| r.status == "open").count();
        let result = repo.result.as_deref().unwrap_or("");
        writeln!(
            out,
            "<tr><td>{}<div class=\"dim\">{}</div></td><td>{open_here}</td><td>{total}</td><td>{}</td>\
             <td class=\"{}\">{}{}</td></tr>",
            esc(&repo.name),
            esc(&repo.url),
            esc(repo.scanned_at.as_deref().unwrap_or("never")),
            if result == "failed" { "failed" } else { "" },
            esc(result),
            repo.error
                .as_deref()
                .map(|e| format!(": {}", esc(e)))
                .unwrap_or_default()
        )?;
    }
    writeln!(out, "</tbody></table></section>")?;

    writeln!(
        out,
        "<section><h2>Secrets in several repositories ({})</h2><table id=\"shared-table\" data-rows=\"{}\"><thead><tr>\
         <th>Severity</th><th>What</th><th>Secret (redacted)</th><th>Repositories</th><th>Id</th></tr></thead><tbody>",
        shared.len(),
        shared.len()
    )?;
    for e in &shared {
        let mut names: Vec<&str> = e.places.iter().map(|p| p.repository.as_str()).collect();
        names.sort();
        names.dedup();
        writeln!(
            out,
            "<tr><td class=\"{sev}\">{sev}</td><td>{}</td><td><code>{}</code></td><td>{}: {}</td><td><code>{}</code></td></tr>",
            esc(&e.name),
            esc(&e.secret),
            e.repositories,
            esc(&names.join(", ")),
            esc(&e.id),
            sev = esc(&e.severity)
        )?;
    }
    writeln!(out, "</tbody></table></section>")?;

    let mut oldest = open.clone();
    oldest.sort_by(|a, b| {
        (
            a.placed.date.as_deref().unwrap_or(&a.first_seen),
            &a.first_seen,
        )
            .cmp(&(
                b.placed.date.as_deref().unwrap_or(&b.first_seen),
                &b.first_seen,
            ))
    });
    finding_table(out, "open", "Open findings, oldest first", &oldest)?;
    writeln!(out, "</main></body></html>")
}

/// `*` and `?` glob match (for `--repo`).
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs() {
        assert!(glob("api-*", "api-server"));
        assert!(glob("*", "x"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("api-*", "web"));
        assert!(glob("*server*", "/srv/api-server.git"));
    }
}
