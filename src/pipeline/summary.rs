//! A run's totals: what was read, skipped and not readable, the findings by severity,
//! the keys found in several places, what the filters silenced, and a sweep's digest.
//! The pipeline keeps them; reports only print them.

use std::time::Duration;

use serde::Serialize;

use crate::enrich::{ReusedAwsKey, ReusedKey};
use crate::filter::Silenced;
use crate::finding::{Finding, Severity};

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
    pub reused_aws_keys: Vec<ReusedAwsKey>,
    /// `sweep`: the digest of what was found where.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepDigest>,
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

/// The digest at the end of `keysweep sweep`: what a person reads in five seconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SweepDigest {
    pub home: String,
    /// Private-key findings (a key in two places counts twice).
    pub private_keys: usize,
    /// Distinct private keys among them.
    pub distinct_private_keys: usize,
    /// Private keys in files that others (group or world) can read.
    pub readable_by_others: usize,
    /// Private keys with no passphrase.
    pub unencrypted: usize,
    pub aws_keys: AwsCounts,
    /// Findings by place, in the order the report lists them.
    pub places: Vec<PlaceCount>,
    /// Git repositories whose history was scanned.
    pub repositories: usize,
    /// Commands that fix the permission findings not fixed in this run.
    pub fix_commands: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AwsCounts {
    /// `AKIA…` ids: valid until deleted.
    pub long_term: usize,
    /// `ASIA…` ids: STS credentials.
    pub temporary: usize,
    /// Other kinds (`ABIA`, `ACCA`).
    pub other: usize,
    /// Secret access keys found without their key id.
    pub secret_only: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlaceCount {
    pub place: String,
    pub findings: usize,
}
