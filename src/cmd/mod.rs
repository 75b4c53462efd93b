//! One module per subcommand: each takes the validated config `cli` built, runs the
//! pipeline (`crate::pipeline`) and writes its outcome as a report with the exit code the
//! run earned. Nothing here scans.

pub mod baseline;
pub mod history;
pub mod hook;
pub mod org;
pub mod rules;
pub mod scan;
pub mod sweep;

use crate::exit::ExitCode;
use std::io::{self, Write};

use anyhow::Context as _;

use crate::finding::Finding;
use crate::pipeline::{Outcome, Summary};
use crate::report::{self, Format, OutputConfig, human};

/// What `main` runs: a validated command, built by `cli` from the arguments.
#[derive(Debug)]
pub enum Command {
    Scan(scan::ScanConfig),
    History(history::HistoryConfig),
    Sweep(sweep::SweepConfig),
    Hook(hook::HookConfig),
    Baseline(baseline::BaselineConfig),
    RulesList(rules::ListConfig),
    RulesCheck(rules::CheckConfig),
    Org(org::OrgConfig),
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    let output = match &command {
        Command::Scan(c) => c.output.file.as_deref(),
        Command::History(c) => c.output.file.as_deref(),
        Command::Sweep(c) => c.scan.output.file.as_deref(),
        Command::RulesList(c) => c.output.as_deref(),
        Command::RulesCheck(c) => c.output.as_deref(),
        Command::Org(c) => c.output_file(),
        _ => None,
    };
    if let Some(path) = output {
        redirect_stdout(path)?;
    }
    match command {
        Command::Scan(cfg) => scan::run(&cfg),
        Command::History(cfg) => history::run(&cfg),
        Command::Sweep(cfg) => sweep::run(&cfg),
        Command::Hook(cfg) => hook::run(&cfg),
        Command::Baseline(cfg) => baseline::run(&cfg),
        Command::RulesList(cfg) => rules::list(&cfg),
        Command::RulesCheck(cfg) => rules::check(&cfg),
        Command::Org(cfg) => org::run(&cfg),
    }
}

/// Points the process's stdout at `path` (created, or truncated): everything a command
/// prints as its report (streamed lines included) goes there, exactly as it would have
/// gone to a pipe. Done before anything runs, so a file that cannot be written is an
/// error before any scanning, never a report silently lost at the end.
fn redirect_stdout(path: &std::path::Path) -> anyhow::Result<()> {
    use std::os::fd::AsRawFd;
    let file = std::fs::File::create(path)
        .with_context(|| format!("creating the report file {}", path.display()))?;
    // SAFETY: dup2 onto fd 1 with a descriptor we own; nothing has written to stdout yet,
    // and Rust's stdout is unbuffered until first use here (its buffer is empty).
    if unsafe { libc::dup2(file.as_raw_fd(), libc::STDOUT_FILENO) } < 0 {
        return Err(io::Error::last_os_error())
            .with_context(|| format!("writing the report to {}", path.display()));
    }
    Ok(())
}

/// Writes the report to stdout and the summary to stderr, and returns the exit code:
/// findings 1; nothing found but something unreadable 2 (the run cannot vouch for what
/// it did not read); otherwise 0. Silenced findings (baseline, inline allow, minimum
/// severity) are counted in the summary and do not make the exit code.
pub fn finish(output: &OutputConfig, outcome: &Outcome) -> anyhow::Result<ExitCode> {
    let Outcome {
        findings,
        summary,
        rules,
    } = outcome;
    let color = output.color.enabled_for_stdout();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    // Findings printed as they were found (jsonl) are not printed again.
    let unprinted: Vec<Finding>;
    let shown = if findings.iter().any(|f| f.streamed) {
        unprinted = findings.iter().filter(|f| !f.streamed).cloned().collect();
        &unprinted[..]
    } else {
        &findings[..]
    };
    let written = report::write(&mut out, output.format, shown, summary, rules, color)
        .and_then(|()| out.flush());
    // A reader that closed the pipe early (`keysweep scan | head -1`) has what it wanted;
    // the exit code still says what the run found, never 0 for findings.
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    if !output.quiet {
        let line = human::summary_line(summary);
        if output.format == Format::Human && !findings.is_empty() {
            crate::say!();
        }
        crate::say!("keysweep: {line}");
    }
    if summary.interrupted {
        return Ok(ExitCode::Interrupted);
    }
    Ok(exit_code(output, findings, summary))
}

/// The exit code a run earned: findings 1; nothing found but something unread 2 (the run
/// cannot vouch for what it did not read; with `--strict`, what it skipped too); else 0.
pub fn exit_code(output: &OutputConfig, findings: &[Finding], summary: &Summary) -> ExitCode {
    // A key at rest where it belongs is inventory: it sets the exit code only if --strict.
    if findings
        .iter()
        .any(|f| f.at_rest.is_none() || output.strict)
    {
        ExitCode::Findings
    } else if summary.errors > 0 || (output.strict && summary.skipped > 0) {
        ExitCode::Error
    } else {
        ExitCode::Clean
    }
}
