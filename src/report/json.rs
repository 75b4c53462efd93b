//! `--format json` (`{"version": 1, "findings": [...], "summary": {...}}`) and
//! `--format jsonl` (one finding per line). The contract (README, "JSON report"): fields are added,
//! never renamed.

use std::io::{self, Write};

use serde::Serialize;

use super::Summary;
use crate::finding::Finding;

pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    findings: &'a [Finding],
    summary: &'a Summary,
}

pub fn write(out: &mut dyn Write, findings: &[Finding], summary: &Summary) -> io::Result<()> {
    let doc = Document {
        version: VERSION,
        findings,
        summary,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

pub fn write_lines(out: &mut dyn Write, findings: &[Finding]) -> io::Result<()> {
    for f in findings {
        serde_json::to_writer(&mut *out, f)?;
        writeln!(out)?;
    }
    Ok(())
}
