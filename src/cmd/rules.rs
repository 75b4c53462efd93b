//! `keysweep rules list` and `keysweep rules check`.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use serde::Serialize;

use crate::exit::ExitCode;
use crate::pipeline::RuleSelection;
use crate::pipeline::rule_check as check;
use crate::rules::Severity;

#[derive(Debug, Clone)]
pub struct ListConfig {
    pub rules: RuleSelection,
    pub json: bool,
    /// `--output FILE`.
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct CheckConfig {
    pub rules: RuleSelection,
    /// `--output FILE`.
    pub output: Option<PathBuf>,
}

#[derive(Serialize)]
struct Listed<'a> {
    id: &'a str,
    name: &'a str,
    category: &'a str,
    severity: Severity,
    keywords: &'a [String],
    source: &'a str,
}

pub fn list(cfg: &ListConfig) -> anyhow::Result<ExitCode> {
    let set = cfg.rules.load()?;
    // The checks that are not signatures (the permission audit, the exposure checks), after
    // the signatures, when selected.
    let checks: Vec<_> = crate::pipeline::checks()
        .into_iter()
        .filter(|c| cfg.rules.allows(c.id))
        .collect();
    let mut out = io::BufWriter::new(io::stdout().lock());
    if cfg.json {
        let mut listed: Vec<Listed> = set
            .rules
            .iter()
            .map(|r| Listed {
                id: &r.id,
                name: &r.name,
                category: r.category.as_str(),
                severity: r.severity,
                keywords: &r.keywords,
                source: &r.source,
            })
            .collect();
        listed.extend(checks.iter().map(|c| Listed {
            id: c.id,
            name: c.name,
            category: c.category.as_str(),
            severity: c.severity,
            keywords: &[],
            source: "built-in check",
        }));
        serde_json::to_writer_pretty(&mut out, &listed)?;
        writeln!(out)?;
    } else {
        let w = set
            .rules
            .iter()
            .map(|r| r.id.len())
            .chain(checks.iter().map(|c| c.id.len()))
            .max()
            .unwrap_or(0);
        for r in &set.rules {
            writeln!(
                out,
                "{:<w$}  {:<15} {:<8}  {}",
                r.id,
                r.category,
                r.severity.as_str(),
                r.name
            )?;
        }
        for c in &checks {
            writeln!(
                out,
                "{:<w$}  {:<15} {:<8}  {} (a check, not a signature)",
                c.id,
                c.category,
                c.severity.as_str(),
                c.name
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::Clean)
}

pub fn check(cfg: &CheckConfig) -> anyhow::Result<ExitCode> {
    let set = cfg.rules.load()?;
    let reports = check::check(&set).context("compiling signatures")?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut failed = 0;
    for r in &reports {
        if r.problems.is_empty() {
            writeln!(
                out,
                "ok    {} ({} examples, {} negative)",
                r.rule, r.examples, r.negative_examples
            )?;
        } else {
            failed += 1;
            writeln!(out, "FAIL  {}", r.rule)?;
            for p in &r.problems {
                writeln!(out, "        {p}")?;
            }
        }
    }
    writeln!(
        out,
        "{} rules checked, {} passed, {} failed",
        reports.len(),
        reports.len() - failed,
        failed
    )?;
    out.flush()?;
    Ok(if failed == 0 {
        ExitCode::Clean
    } else {
        ExitCode::Findings
    })
}
