//! Reports: one writer per format. They format findings and decide nothing: what to
//! show has been settled (filtered, sorted, redacted) before a writer sees it.

pub mod advice;
pub mod digest;
pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod sarif;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use crate::finding::Finding;
pub use crate::pipeline::Summary;
use crate::rules::Rule;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// `auto` colours a terminal unless `NO_COLOR` is set (https://no-color.org) or the
    /// terminal is dumb.
    pub fn enabled_for_stdout(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        }
    }
}

/// Output settings shared by every command that reports findings.
#[derive(Debug, Clone)]
pub struct OutputConfig {
    pub format: Format,
    pub color: ColorChoice,
    pub quiet: bool,
    /// `--output FILE`: the report goes there instead of stdout.
    pub file: Option<PathBuf>,
    /// `--strict`: what the run skipped (files over the size limit, FIFOs and devices met
    /// in a walk) makes the exit code 2 when nothing was found, as an unreadable input does.
    pub strict: bool,
}

impl OutputConfig {
    /// For commands that write no report (`baseline`): human notes on stderr unless
    /// `quiet`, nothing on stdout but what the command itself prints.
    pub fn notes_only(quiet: bool) -> OutputConfig {
        OutputConfig {
            format: Format::Human,
            color: ColorChoice::Never,
            quiet,
            file: None,
            strict: false,
        }
    }
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
