//! One module per subcommand, wiring sources → scan core → report. This layer owns
//! threads, progress and stderr; everything below it returns values and typed errors.

pub mod history;
pub mod hook;
pub mod rules;
pub mod scan;

use std::io::{self, IsTerminal, Write};

use crate::finding::Finding;
use crate::report::{self, Format, Summary, human};

/// What `main` runs: a validated command, built by `cli` from the arguments.
#[derive(Debug)]
pub enum Command {
    Scan(scan::ScanConfig),
    History(history::HistoryConfig),
    Hook(hook::HookConfig),
    RulesList(rules::ListConfig),
    RulesCheck(rules::CheckConfig),
}

/// Exit codes (DESIGN.md).
pub mod exit {
    pub const CLEAN: i32 = 0;
    pub const FINDINGS: i32 = 1;
    pub const ERROR: i32 = 2;
}

pub fn run(command: Command) -> anyhow::Result<i32> {
    match command {
        Command::Scan(cfg) => scan::run(&cfg),
        Command::History(cfg) => history::run(&cfg),
        Command::Hook(cfg) => hook::run(&cfg),
        Command::RulesList(cfg) => rules::list(&cfg),
        Command::RulesCheck(cfg) => rules::check(&cfg),
    }
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
}

/// Writes the report to stdout and the summary to stderr, and returns the exit code:
/// findings 1; nothing found but something unreadable 2 (the run cannot vouch for what
/// it did not read); otherwise 0.
pub fn finish(
    output: &OutputConfig,
    findings: &[Finding],
    summary: &Summary,
) -> anyhow::Result<i32> {
    let color = output.color.enabled_for_stdout();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    report::write(&mut out, output.format, findings, summary, color)?;
    out.flush()?;
    if !output.quiet {
        let line = human::summary_line(summary);
        if output.format == Format::Human && !findings.is_empty() {
            eprintln!();
        }
        eprintln!("keysweep: {line}");
    }
    Ok(if !findings.is_empty() {
        exit::FINDINGS
    } else if summary.errors > 0 {
        exit::ERROR
    } else {
        exit::CLEAN
    })
}
