//! Reports: one writer per format. They format findings and decide nothing: what to
//! show has been settled (filtered, sorted, redacted) before a writer sees it.

pub mod advice;
pub mod digest;
pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod sarif;

use std::io::{self, Write};
use std::time::Duration;

use serde::Serialize;

use crate::enrich::ReusedKey;
use crate::filter::Silenced;
use crate::finding::Finding;
use crate::rules::{Rule, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Jsonl,
    /// SARIF 2.1.0, for GitHub code scanning and other viewers.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
    /// One self-contained page (secrets always redacted).
    Html,
}

/// Totals of one run, for the summary line and the JSON `summary` object.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub files: u64,
    /// Distinct git blobs scanned (history).
    #[serde(skip_serializing_if = "is_zero")]
    pub blobs: u64,
    /// A history run: it counts blobs, not files, even when there are none.
    #[serde(skip)]
    pub history: bool,
    /// Files read inside archives (`--archives`, `sweep`).
    #[serde(skip_serializing_if = "is_zero")]
    pub archive_entries: u64,
    pub bytes: u64,
    pub findings: usize,
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    /// FIFOs, sockets, devices and files over the size limit.
    pub skipped: u64,
    /// Of `skipped`, files (or blobs) over `--max-file-size`: not scanned.
    pub skipped_too_large: u64,
    /// Entries that could not be read (reported on stderr as they happened).
    pub errors: u64,
    pub elapsed_ms: u64,
    /// The run was interrupted (Ctrl-C): it reports what it found before it stopped.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// A repository scanned was a shallow clone: older history was not seen.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub shallow: bool,
    /// Private keys found in more than one place, by fingerprint.
    pub reused_keys: Vec<ReusedKey>,
    /// AWS key ids found in more than one place: one key, several copies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reused_aws_keys: Vec<crate::enrich::ReusedAwsKey>,
    /// `sweep`: the digest of what was found where.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep: Option<digest::SweepDigest>,
    /// Findings the filters dropped (baseline, inline allow, minimum severity, excludes).
    #[serde(flatten)]
    pub silenced: Silenced,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Summary {
    /// Fills in what follows from the final (filtered) findings and the run's time: the
    /// counts by severity, the keys found in more than one place, the time taken.
    pub fn finish(&mut self, findings: &[Finding], elapsed: Duration) {
        self.findings = findings.len();
        for f in findings {
            match f.severity {
                Severity::Critical => self.critical += 1,
                Severity::High => self.high += 1,
                Severity::Medium => self.medium += 1,
                Severity::Low => self.low += 1,
            }
        }
        self.reused_keys = crate::enrich::reused_keys(findings);
        self.reused_aws_keys = crate::enrich::reused_aws_keys(findings);
        self.elapsed_ms = elapsed.as_millis().try_into().unwrap_or(u64::MAX);
    }
}

/// A path as a terminal may safely show it: control characters (a newline, an escape
/// sequence in a file name or an archive entry's name) are written as escapes.
pub(crate) fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return s.into();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

/// `2 critical, 1 low`: the counts that are not zero, with their labels, in order;
/// `None` when all are zero.
pub(crate) fn nonzero<N>(counts: &[(N, &str)]) -> Option<String>
where
    N: Copy + Default + PartialEq + std::fmt::Display,
{
    let parts: Vec<String> = counts
        .iter()
        .filter(|(n, _)| *n != N::default())
        .map(|(n, label)| format!("{n} {label}"))
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

pub fn write(
    out: &mut dyn Write,
    format: Format,
    findings: &[Finding],
    summary: &Summary,
    rules: &[Rule],
    color: bool,
) -> io::Result<()> {
    match format {
        Format::Human => human::write(out, findings, summary, color),
        Format::Json => json::write(out, findings, summary),
        Format::Jsonl => json::write_lines(out, findings),
        Format::Sarif => sarif::write(out, findings, summary, rules),
        Format::Github => github::write(out, findings),
        Format::Html => html::write(out, findings, summary),
    }
}
