//! One module per subcommand, wiring sources → scan core → report. This layer owns
//! threads, progress and stderr; everything below it returns values and typed errors.

pub mod baseline;
pub mod history;
pub mod hook;
pub mod rules;
pub mod scan;
pub mod settings;
pub mod stream;
pub mod sweep;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::finding::Finding;
use crate::report::{self, Format, Summary, human};
use crate::rules::{Rule, RuleSet};
use crate::scan::{ScanOptions, Scanner};

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
}

/// Exit codes (DESIGN.md).
pub mod exit {
    pub const CLEAN: i32 = 0;
    pub const FINDINGS: i32 = 1;
    pub const ERROR: i32 = 2;
}

pub fn run(command: Command) -> anyhow::Result<i32> {
    let output = match &command {
        Command::Scan(c) => c.output.file.as_deref(),
        Command::History(c) => c.output.file.as_deref(),
        Command::Sweep(c) => c.scan.output.file.as_deref(),
        Command::RulesList(c) => c.output.as_deref(),
        Command::RulesCheck(c) => c.output.as_deref(),
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

#[derive(Debug, Clone)]
pub struct RuleSelection {
    pub signature_dirs: Vec<PathBuf>,
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

/// The permission audit's id in `--rule` / `--skip-rule` (it is a check, not a signature).
pub const PERMISSIONS_CHECK: &str = crate::finding::PERMISSIONS_RULE;

impl RuleSelection {
    /// Whether rule (or check) `id` is selected.
    pub fn allows(&self, id: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|r| r == id))
            && !self.skip.iter().any(|r| r == id)
    }

    pub fn load(&self) -> anyhow::Result<RuleSet> {
        let mut set = RuleSet::load(&self.signature_dirs).context("loading signatures")?;
        for id in self.only.iter().chain(&self.skip) {
            if id != PERMISSIONS_CHECK && !set.rules.iter().any(|r| &r.id == id) {
                anyhow::bail!("no rule has the id {id:?} (see `keysweep rules list`)");
            }
        }
        set.retain(|r| self.allows(&r.id));
        Ok(set)
    }

    /// Builds the scanner. User signatures are compiled up front, so that a bad pattern is
    /// an error now rather than a rule that silently never matches.
    pub fn scanner(&self, options: ScanOptions) -> anyhow::Result<Scanner> {
        let set = self.load()?;
        let scanner = Scanner::new(&set, options).context("building the scanner")?;
        if !self.signature_dirs.is_empty() {
            scanner.compile_all().context("compiling signatures")?;
        }
        Ok(scanner)
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

/// What a scanning command found, filtered, with the rules it used (SARIF lists them).
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub rules: Vec<Rule>,
}

impl Outcome {
    /// Joins the outcomes of runs over several roots (each filtered by its own config and
    /// baseline) into one report: totals added, counts by severity and reused keys worked
    /// out again over all the findings, in report order.
    pub fn join(parts: Vec<Outcome>, elapsed: std::time::Duration) -> Outcome {
        let mut summary = Summary::default();
        let mut findings = Vec::new();
        let mut rules: Vec<Rule> = Vec::new();
        for part in parts {
            let s = part.summary;
            summary.files += s.files;
            summary.blobs += s.blobs;
            summary.history |= s.history;
            summary.archive_entries += s.archive_entries;
            summary.bytes += s.bytes;
            summary.skipped += s.skipped;
            summary.skipped_too_large += s.skipped_too_large;
            summary.errors += s.errors;
            summary.shallow |= s.shallow;
            summary.interrupted |= s.interrupted;
            summary.silenced.add(&s.silenced);
            findings.extend(part.findings);
            for rule in part.rules {
                if !rules.iter().any(|r| r.id == rule.id) {
                    rules.push(rule);
                }
            }
        }
        fn repo(f: &Finding) -> Option<&str> {
            f.git.as_ref().map(|g| g.repository.as_str())
        }
        findings.sort_by(|a, b| (repo(a), a.sort_key()).cmp(&(repo(b), b.sort_key())));
        summary.finish(&findings, elapsed);
        Outcome {
            findings,
            summary,
            rules,
        }
    }
}

/// `paths` grouped by the root their settings are discovered at (`settings::root_of`), in
/// the order the roots first appear: each repository or folder named is filtered by its
/// own config and baseline, whatever else is named beside it.
pub fn group_by_root(paths: &[PathBuf]) -> Vec<(PathBuf, Vec<PathBuf>)> {
    let mut groups: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
    for p in paths {
        let root = settings::root_of(p);
        match groups.iter_mut().find(|(r, _)| *r == root) {
            Some((_, members)) => members.push(p.clone()),
            None => groups.push((root, vec![p.clone()])),
        }
    }
    groups
}

/// Writes the report to stdout and the summary to stderr, and returns the exit code:
/// findings 1; nothing found but something unreadable 2 (the run cannot vouch for what
/// it did not read); otherwise 0. Silenced findings (baseline, inline allow, minimum
/// severity) are counted in the summary and do not make the exit code.
/// A progress line on stderr, drawn only when stderr is a terminal and the run is not
/// quiet: a bar of `len` steps, or a spinner when `len` is `None`, in `template`.
pub(crate) fn progress_bar(quiet: bool, len: Option<u64>, template: &str) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

pub fn finish(output: &OutputConfig, outcome: &Outcome) -> anyhow::Result<i32> {
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
            eprintln!();
        }
        eprintln!("keysweep: {line}");
    }
    if summary.interrupted {
        return Ok(crate::interrupt::EXIT_CODE);
    }
    Ok(exit_code(output, findings, summary))
}

/// The exit code a run earned: findings 1; nothing found but something unread 2 (the run
/// cannot vouch for what it did not read; with `--strict`, what it skipped too); else 0.
pub fn exit_code(output: &OutputConfig, findings: &[Finding], summary: &Summary) -> i32 {
    // A key at rest where it belongs is inventory: it sets the exit code only if --strict.
    if findings
        .iter()
        .any(|f| f.at_rest.is_none() || output.strict)
    {
        exit::FINDINGS
    } else if summary.errors > 0 || (output.strict && summary.skipped > 0) {
        exit::ERROR
    } else {
        exit::CLEAN
    }
}
