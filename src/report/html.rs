//! `--format html`: one self-contained page to keep or send. The run's totals (and, for a
//! sweep, its digest) on top, then a table of findings that can be sorted (click a
//! heading) and filtered (text, severity; also from the address, `#severity=high&q=aws`),
//! each with what to do and the exact commands. No external assets and nothing fetched:
//! the page forbids it (Content-Security-Policy), and works offline and without script.
//! Secrets are always redacted here, whatever `--show-secrets` says.

use std::io::{self, Write};

use super::{Summary, advice, human, nonzero};
use crate::finding::Finding;

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f8fa}
header,main{max-width:1280px;margin:0 auto;padding:12px 20px}
header{background:#24292f;color:#fff;max-width:none}
header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#c9d1d9}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:8px 14px;min-width:90px}
.card b{display:block;font-size:22px}
.critical{color:#a40e26}.high{color:#bc4c00}.medium{color:#7d4e00}.low{color:#57606a}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:10px 14px;margin:12px 0}
section h2{font-size:15px;margin:0 0 6px}
#controls{display:flex;gap:10px;align-items:center;margin:12px 0}
#controls input{flex:1;padding:6px;border:1px solid #d0d7de;border-radius:6px}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #d0d7de}
th,td{padding:6px 8px;border-bottom:1px solid #eaeef2;text-align:left;vertical-align:top}
th{background:#f6f8fa;cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" \25B2"}th[aria-sort=descending]::after{content:" \25BC"}
td.sev{font-weight:600;text-transform:uppercase;font-size:12px}
table{table-layout:fixed}
col.sev{width:84px}col.what{width:21%}col.where{width:22%}col.secret{width:15%}col.id{width:220px}
code{font:12px ui-monospace,monospace;background:#f6f8fa;padding:1px 3px;border-radius:3px;overflow-wrap:anywhere}
td.id code{overflow-wrap:normal;white-space:nowrap}
ul.fix{margin:0;padding-left:16px}ul.fix li{margin:2px 0}
.dim{color:#57606a;font-size:12px}
tr[hidden]{display:none}
"#;

const SCRIPT: &str = r#"
(function(){
  var table=document.getElementById('findings');
  var body=table.tBodies[0];
  var rows=Array.prototype.slice.call(body.rows);
  var q=document.getElementById('q'), sev=document.getElementById('sev');
  var shown=document.getElementById('shown');
  function apply(){
    var text=q.value.toLowerCase(), s=sev.value, n=0;
    rows.forEach(function(r){
      var ok=(!s||r.dataset.severity===s)&&(!text||r.textContent.toLowerCase().indexOf(text)>=0);
      r.hidden=!ok; if(ok){n++;}
    });
    shown.textContent=n;
    document.body.dataset.shown=n;
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){
    th.addEventListener('click',function(){
      var asc=th.getAttribute('aria-sort')!=='ascending';
      Array.prototype.forEach.call(table.tHead.rows[0].cells,function(o){o.removeAttribute('aria-sort');});
      th.setAttribute('aria-sort',asc?'ascending':'descending');
      rows.sort(function(a,b){
        var x=a.cells[i].dataset.sort||a.cells[i].textContent, y=b.cells[i].dataset.sort||b.cells[i].textContent;
        return (x<y?-1:x>y?1:0)*(asc?1:-1);
      });
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
  q.addEventListener('input',apply); sev.addEventListener('change',apply);
  var h=new URLSearchParams(location.hash.slice(1));
  if(h.get('q')){q.value=h.get('q');} if(h.get('severity')){sev.value=h.get('severity');}
  apply();
  document.body.dataset.ready='1';
})();
"#;

/// Writes the page.
pub fn write(out: &mut dyn Write, findings: &[Finding], summary: &Summary) -> io::Result<()> {
    let title = match &summary.sweep {
        Some(d) => format!("keysweep sweep of {}", d.home),
        None => "keysweep report".to_string(),
    };
    writeln!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    )?;
    writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
    )?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width\">\n<title>{}</title>\n<style>{STYLE}</style></head><body>",
        esc(&title)
    )?;
    writeln!(
        out,
        "<header><h1>{}</h1><p>keysweep {} · {}</p></header><main>",
        esc(&title),
        env!("CARGO_PKG_VERSION"),
        esc(&human::summary_line(summary))
    )?;
    write_totals(out, summary)?;
    if let Some(d) = &summary.sweep {
        write_digest(out, d)?;
    }
    writeln!(
        out,
        "<div id=\"controls\"><input id=\"q\" type=\"search\" placeholder=\"Filter: path, rule, key id, fingerprint…\" aria-label=\"filter\">\
         <select id=\"sev\" aria-label=\"severity\"><option value=\"\">every severity</option>\
         <option>critical</option><option>high</option><option>medium</option><option>low</option></select>\
         <span><span id=\"shown\">{}</span> shown</span></div>",
        findings.len()
    )?;
    writeln!(
        out,
        "<table id=\"findings\"><colgroup><col class=\"sev\"><col class=\"what\"><col class=\"where\">\
         <col class=\"secret\"><col><col class=\"id\"></colgroup><thead><tr><th>Severity</th><th>What</th><th>Where</th>\
         <th>Secret (redacted)</th><th>What to do</th><th>Id</th></tr></thead><tbody>"
    )?;
    for f in findings {
        write_row(out, f)?;
    }
    writeln!(out, "</tbody></table>")?;
    if findings.is_empty() {
        writeln!(out, "<p>Nothing found.</p>")?;
    }
    writeln!(out, "</main><script>{SCRIPT}</script></body></html>")
}

fn write_totals(out: &mut dyn Write, s: &Summary) -> io::Result<()> {
    let card = |out: &mut dyn Write, id: &str, n: String, label: &str, class: &str| {
        writeln!(
            out,
            "<div class=\"card {class}\"><b id=\"count-{id}\">{n}</b>{label}</div>"
        )
    };
    writeln!(out, "<div class=\"cards\">")?;
    card(out, "findings", s.findings.to_string(), "findings", "")?;
    card(
        out,
        "critical",
        s.critical.to_string(),
        "critical",
        "critical",
    )?;
    card(out, "high", s.high.to_string(), "high", "high")?;
    card(out, "medium", s.medium.to_string(), "medium", "medium")?;
    card(out, "low", s.low.to_string(), "low", "low")?;
    if s.blobs > 0 {
        card(out, "blobs", s.blobs.to_string(), "blobs", "")?;
    }
    card(
        out,
        "files",
        (s.files + s.archive_entries).to_string(),
        "files",
        "",
    )?;
    card(out, "errors", s.errors.to_string(), "unreadable", "")?;
    card(out, "skipped", s.skipped.to_string(), "skipped", "")?;
    writeln!(out, "</div>")?;
    if let Some(text) = human::silenced(&s.silenced) {
        writeln!(out, "<p class=\"dim\">Silenced: {}</p>", esc(&text))?;
    }
    if s.interrupted {
        writeln!(
            out,
            "<p class=\"critical\">The run was interrupted: what it had not reached was not scanned.</p>"
        )?;
    }
    if !s.reused_keys.is_empty() {
        writeln!(
            out,
            "<section><h2>Keys found in more than one place</h2><ul>"
        )?;
        for r in &s.reused_keys {
            let places: Vec<String> = r
                .places
                .iter()
                .map(|p| format!("<code>{}:{}</code>", esc(&p.path), p.line))
                .collect();
            writeln!(
                out,
                "<li><code>{}</code>: {} places: {}</li>",
                esc(&r.sha256),
                r.count,
                places.join(" ")
            )?;
        }
        writeln!(out, "</ul></section>")?;
    }
    Ok(())
}

fn write_digest(out: &mut dyn Write, d: &super::digest::SweepDigest) -> io::Result<()> {
    writeln!(out, "<section id=\"digest\"><h2>This home</h2><ul>")?;
    writeln!(
        out,
        "<li>private keys <b id=\"digest-private-keys\">{}</b> ({} distinct), {} readable by others, {} without a passphrase</li>",
        d.private_keys, d.distinct_private_keys, d.readable_by_others, d.unencrypted
    )?;
    let a = &d.aws_keys;
    let aws = nonzero(&[
        (a.long_term, "long-term (AKIA)"),
        (a.temporary, "temporary (ASIA)"),
        (a.other, "other"),
        (a.secret_only, "secrets without their key id"),
    ])
    .unwrap_or_else(|| "none".into());
    writeln!(out, "<li>AWS keys: {}</li>", esc(&aws))?;
    let places: Vec<String> = d
        .places
        .iter()
        .map(|p| format!("{} {}", esc(&p.place), p.findings))
        .collect();
    if !places.is_empty() {
        writeln!(out, "<li>where: {}</li>", places.join(" · "))?;
    }
    writeln!(
        out,
        "<li>{} git repositories' histories scanned</li></ul>",
        d.repositories
    )?;
    if !d.fix_commands.is_empty() {
        writeln!(out, "<h2>Fix the permissions</h2><ul class=\"fix\">")?;
        for c in &d.fix_commands {
            writeln!(out, "<li><code>{}</code></li>", esc(c))?;
        }
        writeln!(out, "</ul>")?;
    }
    writeln!(out, "</section>")
}

fn write_row(out: &mut dyn Write, f: &Finding) -> io::Result<()> {
    let sev = f.severity.to_string();
    let rank = match f.severity {
        crate::rules::Severity::Critical => 0,
        crate::rules::Severity::High => 1,
        crate::rules::Severity::Medium => 2,
        crate::rules::Severity::Low => 3,
    };
    let mut place = format!("<code>{}:{}:{}</code>", esc(&f.path), f.line, f.column);
    if let Some(g) = f.git() {
        place.push_str(&format!(
            "<div class=\"dim\">in {}{}{}</div>",
            esc(&g.repository),
            g.commit
                .as_deref()
                .map(|c| format!(", commit {}", esc(&c[..c.len().min(12)])))
                .unwrap_or_default(),
            if g.present_at_head {
                ", still at HEAD"
            } else {
                ", no longer at HEAD"
            }
        ));
    }
    if let Some(file) = f.file() {
        place.push_str(&format!(
            "<div class=\"dim\">mode {} · owner {}</div>",
            esc(&file.mode),
            esc(&file.owner)
        ));
    }
    let mut what = format!("{}<div class=\"dim\">{}</div>", esc(&f.name), esc(&f.rule));
    if let Some(k) = &f.key {
        let facts = [
            Some(k.format.to_string()),
            k.algorithm.clone(),
            k.bits.map(|b| format!("{b} bits")),
            Some(
                if k.encrypted {
                    "passphrase"
                } else {
                    "NO passphrase"
                }
                .to_string(),
            ),
            k.sha256.clone(),
            k.invalid_reason
                .as_ref()
                .map(|why| format!("not a valid key: {why}")),
        ];
        let facts: Vec<String> = facts.into_iter().flatten().collect();
        what.push_str(&format!(
            "<div class=\"dim\">{}</div>",
            esc(&facts.join(" · "))
        ));
    }
    if let Some(t) = &f.token {
        what.push_str(&format!(
            "<div class=\"dim\">{}</div>",
            esc(&advice::token_facts(t))
        ));
    }
    if let Some(a) = &f.aws
        && let Some(id) = &a.access_key_id
    {
        what.push_str(&format!(
            "<div class=\"dim\">key id {}{}</div>",
            esc(id),
            a.account_id
                .as_deref()
                .map(|acct| format!(" · account {}", esc(acct)))
                .unwrap_or_default()
        ));
    }
    let mut steps: Vec<String> = Vec::new();
    if let Some(fix) = &f.fix {
        steps.push(format!(
            "{} <code>{}</code>",
            if f.fixed { "fixed:" } else { "run" },
            esc(fix)
        ));
    }
    let mut lines = Vec::new();
    if let Some(advice) = &f.advice {
        lines.push(format!("what to do: {advice}"));
    }
    if let Some(k) = &f.key {
        lines.extend(k.opens.iter().cloned());
        match &f.at_rest {
            Some(_) => {
                lines.push("at rest where it belongs: inventory, not a leak".into());
                lines.extend(advice::key_at_rest(&f.path, k));
            }
            None => lines.extend(advice::key(k)),
        }
        if let Some(copy) = &f.copy_of {
            lines.push(format!("a copy of {copy}"));
        }
    }
    if let Some(a) = &f.aws {
        lines.extend(advice::aws(a));
    }
    if f.git().is_some() {
        lines.extend(advice::git_of(f));
    }
    for l in lines {
        // Command lines are indented in the text reports; here they are code.
        match l.strip_prefix("  ") {
            Some(cmd) => steps.push(format!("<code>{}</code>", esc(cmd))),
            None => steps.push(esc(&l)),
        }
    }
    let steps: String = steps.iter().map(|s| format!("<li>{s}</li>")).collect();
    writeln!(
        out,
        "<tr data-severity=\"{sev}\"><td class=\"sev {sev}\" data-sort=\"{rank}\">{sev}</td>\
         <td>{what}</td><td data-sort=\"{}\">{place}</td><td>{}</td>\
         <td><ul class=\"fix\">{steps}</ul></td><td class=\"id\"><code>{}</code></td></tr>",
        esc(&format!("{}:{:09}", f.path, f.line)),
        if f.secret.is_empty() {
            String::new()
        } else {
            format!("<code>{}</code>", esc(&f.secret))
        },
        esc(&f.id)
    )
}

/// `s` as HTML text or attribute value.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push_str(&c.escape_default().to_string()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            super::esc("<img src=x onerror=\"a\">&'\n"),
            "&lt;img src=x onerror=&quot;a&quot;&gt;&amp;&#39;\\n"
        );
    }
}
