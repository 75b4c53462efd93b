//! The default report, for a person at a terminal: findings grouped by file, most severe
//! first within the run's order, colours only when asked or on a terminal.

use std::io::{self, Write};

use super::{Summary, printable};
use crate::enrich::ReusedKey;
use crate::filter::Silenced;
use crate::finding::KeyFacts;
use crate::finding::{AwsFacts, AwsKind as Kind};
use crate::finding::{Finding, GitFacts};
use crate::rules::Severity;

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn path(&self, t: &str) -> String {
        self.wrap("1;35", t)
    }
    fn dim(&self, t: &str) -> String {
        self.wrap("2", t)
    }
    /// `word` in the colour of a critical finding.
    fn critical(&self, word: &str) -> String {
        self.wrap("1;31", word)
    }
    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "36",
        };
        self.wrap(code, &format!("{:<8}", s.as_str()))
    }
}

/// Where the detail lines of a finding start: under its severity.
const INDENT: &str = "            ";

pub fn write(
    out: &mut dyn Write,
    findings: &[Finding],
    summary: &Summary,
    color: bool,
) -> io::Result<()> {
    let p = Paint { on: color };
    let mut last: Option<(&str, Option<&str>)> = None;
    for f in findings {
        // History findings from several repositories (`sweep`, `history A B`) say which.
        let repo = f.git().map(|g| g.repository.as_str()).filter(|r| *r != ".");
        if last != Some((f.path.as_str(), repo)) {
            if last.is_some() {
                writeln!(out)?;
            }
            let shown = printable(&f.path);
            match repo {
                Some(r) => writeln!(
                    out,
                    "{} {}",
                    p.path(&shown),
                    p.dim(&format!("(in {})", printable(r)))
                )?,
                None => writeln!(out, "{}", p.path(&shown))?,
            }
            last = Some((&f.path, repo));
        }
        let example = if f.example {
            " (documentation example)"
        } else {
            ""
        };
        writeln!(
            out,
            "  {:<9} {} {}{}  {}",
            format!("{}:{}", f.line, f.column),
            p.severity(f.severity),
            f.name,
            example,
            p.dim(&format!("[{}]", f.rule)),
        )?;
        if !f.secret.is_empty() {
            writeln!(out, "{INDENT}{}", f.secret)?;
        }
        if let Some(fix) = &f.fix {
            let label = if f.fixed { "fixed:" } else { "fix:" };
            writeln!(out, "{INDENT}{label} {}", printable(fix))?;
        }
        if let Some(advice) = &f.advice {
            writeln!(out, "{INDENT}what to do: {}", printable(advice))?;
        }
        let mut facts = format!("id {}", f.id);
        if let Some(file) = f.file() {
            facts.push_str(&format!("  mode {}  owner {}", file.mode, file.owner));
        }
        writeln!(out, "{INDENT}{}", p.dim(&facts))?;
        if let Some(key) = &f.key {
            write_key(out, &p, f, key, summary)?;
        }
        if let Some(aws) = &f.aws {
            write_aws(out, &p, aws)?;
        }
        if let Some(t) = &f.token {
            writeln!(out, "{INDENT}{}", super::advice::token_facts(t))?;
        }
        if let Some(git) = f.git() {
            write_git(out, &p, f, git)?;
        }
    }
    write_reused(out, &p, &summary.reused_keys)?;
    if !summary.reused_aws_keys.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", p.path("AWS keys found in more than one place"))?;
        for r in &summary.reused_aws_keys {
            writeln!(
                out,
                "  {}: this key is in {} places",
                r.access_key_id, r.count
            )?;
            for place in &r.places {
                writeln!(out, "    {}:{}", printable(&place.path), place.line)?;
            }
        }
    }
    // A sweep's digest ends its report, so that `sweep > report.txt` keeps it.
    if let Some(d) = &summary.sweep {
        if !findings.is_empty() {
            writeln!(out)?;
        }
        super::digest::write(out, d)?;
    }
    Ok(())
}

fn write_key(
    out: &mut dyn Write,
    p: &Paint,
    f: &Finding,
    key: &KeyFacts,
    summary: &Summary,
) -> io::Result<()> {
    let mut kind = key
        .algorithm
        .clone()
        .unwrap_or_else(|| "unknown algorithm".into());
    if let Some(curve) = &key.curve {
        kind.push_str(&format!(" {curve}"));
    } else if let Some(bits) = key.bits {
        kind.push_str(&format!(" {bits}"));
    }
    let protection = if key.encrypted {
        "passphrase-protected"
    } else {
        "NOT encrypted"
    };
    let fp = match (&key.sha256, key.valid) {
        (Some(fp), _) => fp.as_str(),
        // Not a key: no fingerprint is given for it.
        (None, false) if !key.encrypted => "no fingerprint",
        (None, _) => "fingerprint unknown without the passphrase",
    };
    let mut line = format!("{} · {kind} · {protection} · {fp}", key.format);
    if let Some(c) = &key.comment {
        line.push_str(&format!(" · \"{c}\""));
    }
    match key.empty_password {
        Some(true) => line.push_str(" · opens with the EMPTY password"),
        Some(false) => line.push_str(" · a password protects it"),
        None => {}
    }
    if let Some(n) = key.private_keys.filter(|&n| n > 1) {
        line.push_str(&format!(" · one of {n} private keys in this file"));
    }
    if !key.valid {
        match &key.invalid_reason {
            Some(why) => line.push_str(&format!(" · not a valid key: {why}")),
            None => line.push_str(" · body does not parse (truncated or corrupted)"),
        }
    }
    writeln!(out, "{INDENT}{line}")?;
    if let Some(sa) = &key.gcp {
        let mut line = format!("gcp · service account {}", printable(&sa.client_email));
        if let Some(p) = &sa.project_id {
            line.push_str(&format!(" · project {}", printable(p)));
        }
        if let Some(id) = &sa.private_key_id {
            line.push_str(&format!(" · key id {id}"));
        }
        writeln!(out, "{INDENT}{line}")?;
    }
    let reused = key
        .sha256
        .as_deref()
        .and_then(|fp| summary.reused_keys.iter().find(|r| r.sha256 == fp));
    if let Some(r) = reused {
        writeln!(
            out,
            "{INDENT}this key is in {} places (listed below)",
            r.count
        )?;
    }
    for place in &key.authorized_in {
        writeln!(
            out,
            "{INDENT}{} {}:{}",
            p.critical("trusted by"),
            printable(&place.path),
            place.line
        )?;
    }
    for opens in &key.opens {
        writeln!(out, "{INDENT}{}", p.critical(&printable(opens)))?;
    }
    if let Some(copy) = &f.copy_of {
        writeln!(
            out,
            "{INDENT}{}",
            p.critical(&format!("a copy of {}", printable(copy)))
        )?;
    }
    let steps = match &f.at_rest {
        Some(rest) => {
            let mut line = "at rest where it belongs: inventory, not a leak".to_string();
            if !rest.weaknesses.is_empty() {
                line.push_str(&format!(" · weaker: {}", rest.weaknesses.join(", ")));
            }
            if let Some(days) = rest.age_days {
                line.push_str(&format!(" · {days} days since it changed"));
            }
            writeln!(out, "{INDENT}{line}")?;
            super::advice::key_at_rest(&f.path, key)
        }
        None => super::advice::key(key),
    };
    for l in steps {
        writeln!(out, "{INDENT}{}", p.dim(&l))?;
    }
    Ok(())
}

fn write_aws(out: &mut dyn Write, p: &Paint, a: &AwsFacts) -> io::Result<()> {
    let kind = match a.kind {
        Some(Kind::LongTerm) => "long-term key (IAM user)",
        Some(Kind::Temporary) => "temporary credentials (STS)",
        Some(Kind::ServiceBearer) => "STS service bearer token",
        Some(Kind::ContextSpecific) => "context-specific credential",
        None => "secret access key without its key id",
    };
    let mut line = format!("aws · {kind}");
    if let Some(acct) = &a.account_id {
        line.push_str(&format!(" · account {acct}"));
    }
    if let Some(profile) = &a.profile {
        line.push_str(&format!(" · profile [{profile}]"));
    }
    if let Some(s) = &a.secret {
        match &s.path {
            Some(p) => line.push_str(&format!(
                " · its secret is in {} (line {}: {})",
                printable(p),
                s.line,
                s.secret
            )),
            None => line.push_str(&format!(
                " · its secret is beside it (line {}: {})",
                s.line, s.secret
            )),
        }
    }
    if let Some(days) = a.age_days {
        line.push_str(&format!(" · in this file for {days} days or more"));
    }
    if a.session_token {
        line.push_str(" · with session token");
    }
    if let Some(e) = &a.expiration {
        line.push_str(&format!(" · expires {e}"));
    }
    writeln!(out, "{INDENT}{line}")?;
    let advice = super::advice::aws(a);
    for l in advice {
        writeln!(out, "{INDENT}{}", p.dim(&l))?;
    }
    Ok(())
}

fn write_git(out: &mut dyn Write, p: &Paint, f: &Finding, g: &GitFacts) -> io::Result<()> {
    let came_in = match (&g.commit, &g.author, &g.email, &g.date) {
        (Some(c), Some(a), Some(e), Some(d)) => {
            format!(
                "introduced in {} by {a} <{e}> on {d}",
                &c[..c.len().min(12)]
            )
        }
        (Some(c), ..) => format!("introduced in {}", &c[..c.len().min(12)]),
        (None, ..) => format!("in blob {} that no commit reaches", g.blob),
    };
    let head = if g.present_at_head {
        p.critical("still at HEAD")
    } else {
        "no longer at HEAD, still in history".to_string()
    };
    writeln!(out, "{INDENT}git · {came_in} · {head}")?;
    for l in super::advice::git_of(f) {
        writeln!(out, "{INDENT}{}", p.dim(&l))?;
    }
    Ok(())
}

fn write_reused(out: &mut dyn Write, p: &Paint, reused: &[ReusedKey]) -> io::Result<()> {
    if reused.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", p.path("Keys found in more than one place"))?;
    for r in reused {
        writeln!(out, "  {}: this key is in {} places", r.sha256, r.count)?;
        for place in &r.places {
            writeln!(out, "    {}:{}", printable(&place.path), place.line)?;
        }
    }
    Ok(())
}

/// The one-line summary for stderr.
pub fn summary_line(s: &Summary) -> String {
    let secs = s.elapsed_ms as f64 / 1000.0;
    let rate = if secs > 0.0 {
        format!(", {}/s", human_bytes((s.bytes as f64 / secs) as u64))
    } else {
        String::new()
    };
    let mut line = format!(
        "{} finding{}",
        s.findings,
        if s.findings == 1 { "" } else { "s" }
    );
    if let Some(by_severity) = super::nonzero(&[
        (s.critical, "critical"),
        (s.high, "high"),
        (s.medium, "medium"),
        (s.low, "low"),
    ]) {
        line.push_str(&format!(" ({by_severity})"));
    }
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    let files = s.files + s.archive_entries;
    let what = match (files, s.blobs) {
        (0, 0) if s.history => plural(0, "blob"),
        (_, 0) => plural(files, "file"),
        (0, b) => plural(b, "blob"),
        (f, b) => format!("{} and {}", plural(f, "file"), plural(b, "blob")),
    };
    line.push_str(&format!(
        " in {what}, {}, {:.2} s{}",
        human_bytes(s.bytes),
        secs,
        rate
    ));
    if s.interrupted {
        line.push_str("; INTERRUPTED: what was not reached was not scanned");
    }
    if s.skipped > 0 {
        line.push_str(&format!("; {} skipped", s.skipped));
        if s.skipped_too_large > 0 {
            line.push_str(&format!(" ({} over --max-file-size)", s.skipped_too_large));
        }
    }
    if s.errors > 0 {
        line.push_str(&format!("; {} not read (see above)", s.errors));
    }
    if let Some(silenced) = silenced(&s.silenced) {
        line.push_str(&format!("; silenced: {silenced}"));
    }
    line
}

/// What the filters silenced, `1 in the baseline, 2 allowed inline`; `None` if nothing.
pub fn silenced(q: &Silenced) -> Option<String> {
    super::nonzero(&[
        (q.baselined, "in the baseline"),
        (q.allowed_inline, "allowed inline"),
        (q.below_min_severity, "below --min-severity"),
        (q.excluded, "excluded"),
    ])
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_characters_in_paths_are_escaped() {
        assert_eq!(printable("a/b.pem"), "a/b.pem");
        assert_eq!(
            printable("x.tar!a\u{1b}[31mred\nb"),
            "x.tar!a\\u{1b}[31mred\\nb"
        );
    }
}
