//! The command line: clap definitions, and their validation into the `cmd` layer's
//! configs. The only module that knows clap exists.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::cmd::baseline::{Action, BaselineConfig, Source};
use crate::cmd::history::HistoryConfig;
use crate::cmd::hook::{HookConfig, InstallConfig};
use crate::cmd::scan::ScanConfig;
use crate::cmd::sweep::{self, SweepConfig};
use crate::cmd::{self, Command};
use crate::finding::Disclosure;
use crate::pipeline::RuleSelection;
use crate::pipeline::settings::{Choice, FilterOptions};
use crate::report::Format;
use crate::report::{ColorChoice, OutputConfig};
use crate::rules::Severity;
use crate::scan::ScanOptions;
use crate::source::archive;
use crate::source::fs::{DEFAULT_MAX_FILE_SIZE, FsOptions, default_threads};
use crate::source::git::{self, Selection};

#[derive(Parser, Debug)]
#[command(
    name = "keysweep",
    version,
    about = "Find leaked private keys and AWS credentials, offline and fast.",
    after_help = "Exit codes: 0 nothing found, 1 findings, 2 error (including unreadable files when nothing was found)."
)]
pub struct Cli {
    #[command(subcommand)]
    command: CliCommand,
}

#[derive(Subcommand, Debug)]
enum CliCommand {
    /// Scan files and directories (working trees, any folder) for secrets.
    Scan(ScanArgs),
    /// Scan the whole history of git repositories: every blob every ref reaches, once.
    History(HistoryArgs),
    /// Sweep a workstation's home: Downloads, ~/.ssh, ~/.aws, archives, nested repositories.
    #[command(after_long_help = SWEEP_EXCLUDES_HELP)]
    Sweep(SweepArgs),
    /// Git hooks: check commits and pushes; install or remove the hook scripts.
    Hook {
        #[command(subcommand)]
        command: HookCommand,
    },
    /// Accept the current findings (a content-keyed baseline), or drop the entries no longer found.
    Baseline {
        #[command(subcommand)]
        command: BaselineCommand,
    },
    /// List or check the signatures.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Subcommand, Debug)]
enum HookCommand {
    /// Scan the staged changes (the index git names in GIT_INDEX_FILE, if set).
    PreCommit {
        #[command(flatten)]
        rules: RuleArgs,
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Scan exactly the commits being pushed (refs on stdin, as git gives them).
    PrePush {
        #[command(flatten)]
        rules: RuleArgs,
        #[command(flatten)]
        filter: FilterArgs,
        /// The remote's name (or URL), as git passes it.
        remote: Option<String>,
        /// The remote's URL, as git passes it.
        url: Option<String>,
    },
    /// Write the hooks into this repository (honours core.hooksPath); both by default.
    Install {
        #[arg(long)]
        pre_commit: bool,
        #[arg(long)]
        pre_push: bool,
        /// Replace a hook that keysweep did not write.
        #[arg(long, conflicts_with = "chain")]
        force: bool,
        /// Keep a hook that keysweep did not write, as `<hook>.local`, and run it first.
        #[arg(long)]
        chain: bool,
    },
    /// Remove keysweep's hooks (and only those).
    Uninstall,
}

#[derive(Subcommand, Debug)]
enum BaselineCommand {
    /// Record what a scan (or, with --history, the history) finds now; later runs with the
    /// baseline show only new secrets. Notes of entries already there are kept.
    Create {
        #[command(flatten)]
        source: BaselineSourceArgs,
        /// A note for the new entries (why they are accepted).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// New entries accept their secret only where it is now: at its path (or, from
        /// history, in its repository). A copy elsewhere is reported.
        #[arg(long)]
        scoped: bool,
    },
    /// Drop the entries whose secrets are no longer found (scan again the same way).
    Prune {
        #[command(flatten)]
        source: BaselineSourceArgs,
    },
}

#[derive(Args, Debug)]
struct BaselineSourceArgs {
    /// The directories (or, with --history, the repositories) to scan; each has a
    /// baseline of its own, at its root.
    #[arg(value_name = "PATH", default_value = ".")]
    paths: Vec<PathBuf>,
    /// Scan the whole history of the repository instead of the files.
    #[arg(long)]
    history: bool,
    /// The baseline file [default: the config's `baseline`, else .keysweep-baseline.json
    /// at the repository root].
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Leave out paths matching GLOB (gitignore syntax; repeatable). Files only: for
    /// history, use the config's `exclude`.
    #[arg(long, value_name = "GLOB", conflicts_with = "history")]
    exclude: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,
    /// No notes on stderr.
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    settings: SettingsArgs,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum SeverityArg {
    Low,
    Medium,
    High,
    Critical,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

/// The config file and the minimum severity.
#[derive(Args, Debug)]
#[command(next_help_heading = "Filters")]
struct SettingsArgs {
    /// Read settings from FILE [default: .keysweep.toml at the repository root, if any].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Read no .keysweep.toml.
    #[arg(long, conflicts_with = "config")]
    no_config: bool,
    /// Report only findings of this severity or higher (overrides the config's).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    min_severity: Option<SeverityArg>,
}

/// Settings and the baseline: what every scanning command takes.
#[derive(Args, Debug)]
#[command(next_help_heading = "Filters")]
struct FilterArgs {
    #[command(flatten)]
    settings: SettingsArgs,
    /// Silence the findings FILE lists [default: the config's `baseline`, else
    /// .keysweep-baseline.json at the repository root, if any].
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Use no baseline.
    #[arg(long, conflicts_with = "baseline")]
    no_baseline: bool,
}

impl SettingsArgs {
    fn options(&self) -> FilterOptions {
        FilterOptions {
            config: choice(&self.config, self.no_config),
            baseline: Choice::Auto,
            min_severity: self.min_severity.map(Severity::from),
        }
    }
}

impl FilterArgs {
    fn options(&self) -> FilterOptions {
        FilterOptions {
            baseline: choice(&self.baseline, self.no_baseline),
            ..self.settings.options()
        }
    }
}

fn choice(file: &Option<PathBuf>, off: bool) -> Choice {
    match (file, off) {
        (_, true) => Choice::Off,
        (Some(p), false) => Choice::File(p.clone()),
        (None, false) => Choice::Auto,
    }
}

#[derive(Subcommand, Debug)]
enum RulesCommand {
    /// Print every rule: id, category, severity, name.
    List {
        #[command(flatten)]
        rules: RuleArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Write the list to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Prove every example matches, no negative example matches, and keywords are sound.
    Check {
        #[command(flatten)]
        rules: RuleArgs,
        /// Write the results to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
struct RuleArgs {
    /// Also load every *.toml signature file in DIR (repeatable).
    #[arg(long = "signatures", value_name = "DIR")]
    signatures: Vec<PathBuf>,
    /// Use only this rule (repeatable). The permission audit's id is `insecure-permissions`.
    #[arg(long = "rule", value_name = "ID")]
    rule: Vec<String>,
    /// Do not use this rule (repeatable).
    #[arg(long = "skip-rule", value_name = "ID")]
    skip_rule: Vec<String>,
}

impl RuleArgs {
    fn selection(self) -> RuleSelection {
        RuleSelection {
            signature_dirs: self.signatures,
            only: self.rule,
            skip: self.skip_rule,
        }
    }
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum FormatArg {
    Human,
    Json,
    Jsonl,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// GitHub Actions annotations.
    Github,
    /// One self-contained HTML page to keep or send (secrets always redacted).
    Html,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
struct OutputArgs {
    /// Report format.
    #[arg(long, value_enum, default_value = "human")]
    format: FormatArg,
    /// When to colour the human report (NO_COLOR is honoured by `auto`).
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    color: ColorArg,
    /// Print secrets in clear instead of redacted.
    #[arg(long)]
    show_secrets: bool,
    /// Also report published documentation example keys (AWS's `…EXAMPLE` keys).
    #[arg(long)]
    include_examples: bool,
    /// No summary and no notes on stderr (errors are still printed).
    #[arg(long, short)]
    quiet: bool,
    /// Exit 2 when nothing was found but something was skipped (files over
    /// --max-file-size, FIFOs and devices met in a walk): the scan cannot vouch for them.
    #[arg(long)]
    strict: bool,
    /// Write the report to FILE instead of stdout (notes and the summary stay on stderr).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

impl OutputArgs {
    fn scan_options(&self) -> ScanOptions {
        ScanOptions {
            include_examples: self.include_examples,
        }
    }

    fn disclosure(&self) -> Disclosure {
        // A page is made to be kept and sent: it never holds a secret in clear.
        if self.show_secrets && !matches!(self.format, FormatArg::Html) {
            Disclosure::Clear
        } else {
            Disclosure::Redacted
        }
    }

    fn config(&self) -> OutputConfig {
        OutputConfig {
            format: match self.format {
                FormatArg::Human => Format::Human,
                FormatArg::Json => Format::Json,
                FormatArg::Jsonl => Format::Jsonl,
                FormatArg::Sarif => Format::Sarif,
                FormatArg::Github => Format::Github,
                FormatArg::Html => Format::Html,
            },
            color: match self.color {
                ColorArg::Auto => ColorChoice::Auto,
                ColorArg::Always => ColorChoice::Always,
                ColorArg::Never => ColorChoice::Never,
            },
            quiet: self.quiet,
            strict: self.strict,
            file: self.output.clone(),
        }
    }
}

#[derive(Args, Debug)]
struct ScanArgs {
    /// Files or directories to scan.
    #[arg(value_name = "PATH", default_value = ".")]
    paths: Vec<PathBuf>,
    /// Honour .gitignore files (off by default: ignored files such as .env are where
    /// secrets hide). .keysweepignore files are honoured unless --no-ignore.
    #[arg(long)]
    gitignore: bool,
    /// Do not honour .keysweepignore files: in CI, where a pull request could add one to
    /// hide what it adds (with --no-config and --no-baseline for the other two files).
    #[arg(long, conflicts_with = "gitignore")]
    no_ignore: bool,
    /// Leave out paths matching GLOB (gitignore syntax; repeatable).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Follow symbolic links (loops are detected and reported).
    #[arg(long, short = 'L')]
    follow: bool,
    /// Do not cross into other file systems than those of the paths named (kernel file
    /// systems such as /proc, /sys and /dev are never walked into unless named).
    #[arg(long, short = 'x')]
    one_file_system: bool,
    /// Skip files larger than this (e.g. 500M, 2G).
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    max_file_size: u64,
    /// Set key files that others can read or write to 600 (400 if read-only) and .ssh
    /// directories to 700, printing each change; nothing else is ever touched.
    /// Unix only: on other platforms the permission audit is compiled out.
    #[arg(long)]
    fix_permissions: bool,
    /// Open .zip/.jar, .tar, .tar.gz/.tgz and .gz files and scan what they hold (nested up
    /// to 3 deep, with limits against archive bombs). Always on in `sweep`.
    #[arg(long)]
    archives: bool,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// `keysweep sweep --help`: the default excludes, as `sweep::DEFAULT_EXCLUDES` has them
/// (a test checks they agree).
const SWEEP_EXCLUDES_HELP: &str = "\
Default excludes (relative to the home; --exclude adds, --no-default-excludes clears):
  /.cache/ /.rustup/ /.cargo/registry/ /.cargo/git/ /.npm/ /.pnpm-store/
  /.local/share/pnpm/ /.yarn/cache/ /.m2/repository/ /.gradle/caches/ /.gradle/wrapper/
  /go/pkg/mod/ /.pyenv/versions/ /.nvm/versions/ /.sdkman/candidates/ /.conda/pkgs/
  /.local/lib/ /.local/share/containers/ /.local/share/flatpak/ /.local/share/Steam/
  /.vscode/extensions/ /.vscode-server/ /.kube/cache/ /.julia/packages/ /.nuget/packages/
  /.android/avd/ /.debug/ /Library/Caches/ node_modules/ __pycache__/ .venv/ .tox/

Exit codes: 0 nothing found, 1 findings, 2 error (unreadable folders are reported and
skipped; they make the exit code 2 only when nothing was found).";

#[derive(Args, Debug)]
struct SweepArgs {
    /// The home to sweep (default: $HOME).
    #[arg(long, value_name = "DIR")]
    home: Option<PathBuf>,
    /// Also leave out paths matching GLOB (gitignore syntax, relative to the home;
    /// repeatable).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Do not leave out the default caches and toolchains (listed below).
    #[arg(long)]
    no_default_excludes: bool,
    /// Do not scan the history of the git repositories found.
    #[arg(long)]
    no_history: bool,
    /// Do not open archives.
    #[arg(long)]
    no_archives: bool,
    /// Do not cross into other file systems than the home's.
    #[arg(long, short = 'x')]
    one_file_system: bool,
    /// Skip files (and blobs) larger than this (e.g. 500M, 2G).
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    max_file_size: u64,
    /// Set key files that others can read or write to 600 (400 if read-only) and .ssh
    /// directories to 700, printing each change; nothing else is ever touched.
    #[arg(long)]
    fix_permissions: bool,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args, Debug)]
struct HistoryArgs {
    /// Repositories (working, bare or mirror clones).
    #[arg(value_name = "REPO", default_value = ".")]
    repos: Vec<PathBuf>,
    /// Also scan objects no ref reaches: dangling commits, dropped stashes, lost blobs.
    #[arg(long, conflicts_with_all = ["since", "range"])]
    all_objects: bool,
    /// Only what commits after REV brought in, on every ref the whole scan covers (not
    /// only HEAD), for CI.
    #[arg(long, value_name = "REV", conflicts_with = "range")]
    since: Option<String>,
    /// Only what the commits in A..B brought in.
    #[arg(long, value_name = "A..B")]
    range: Option<String>,
    /// Also scan the history of every submodule checked out in a working repository.
    #[arg(long)]
    submodules: bool,
    /// Skip blobs larger than this (e.g. 500M, 2G).
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    max_file_size: u64,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    output: OutputArgs,
}

impl HistoryArgs {
    fn selection(&self) -> Result<Selection, String> {
        if let Some(rev) = &self.since {
            return Ok(Selection::Range {
                include: vec![git::ALL_REFS.into()],
                exclude: vec![rev.clone()],
            });
        }
        if let Some(range) = &self.range {
            let Some((a, b)) = range.split_once("..") else {
                return Err(format!("--range takes A..B, not {range:?}"));
            };
            if a.is_empty() || b.is_empty() || b.starts_with('.') {
                return Err(format!("--range takes A..B, not {range:?}"));
            }
            return Ok(Selection::Range {
                include: vec![b.to_string()],
                exclude: vec![a.to_string()],
            });
        }
        Ok(Selection::All {
            all_objects: self.all_objects,
        })
    }
}

/// Parses `1024`, `64K`, `500M`, `1G` (binary units; a trailing `B`/`iB` is allowed).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => return Err(format!("unknown size unit in {s:?}")),
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    let n: u64 = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a size (try 500M or 2G)"))?;
    n.checked_mul(mult)
        .ok_or_else(|| format!("{s:?} is too large"))
}

fn scan_config(
    fs: FsOptions,
    rules: RuleSelection,
    filter: FilterOptions,
    output: &OutputArgs,
    fix_permissions: bool,
) -> ScanConfig {
    ScanConfig {
        // Narrowed at run time by the config's skipped rules.
        fs,
        fix_permissions,
        scan: output.scan_options(),
        disclosure: output.disclosure(),
        output: output.config(),
        rules,
        filter,
        archives: None,
    }
}

impl BaselineSourceArgs {
    fn config(self, action: Action) -> BaselineConfig {
        let threads = self.threads.unwrap_or_else(default_threads).max(1);
        // A baseline is written, not a report: nothing but notes is printed.
        let output = OutputConfig::notes_only(self.quiet);
        let filter = self.settings.options();
        let rules = self.rules.selection();
        let source = if self.history {
            Source::History(Box::new(HistoryConfig {
                repos: self.paths.clone(),
                selection: Selection::All { all_objects: false },
                scan: ScanOptions::default(),
                disclosure: Disclosure::Redacted,
                output,
                threads,
                max_blob_size: DEFAULT_MAX_FILE_SIZE,
                submodules: false,
                rules,
                filter,
            }))
        } else {
            let fs = FsOptions {
                excludes: self.exclude,
                threads,
                ..FsOptions::new(self.paths.clone())
            };
            Source::Scan(Box::new(ScanConfig {
                fs,
                rules,
                scan: ScanOptions::default(),
                disclosure: Disclosure::Redacted,
                output,
                fix_permissions: false,
                archives: None,
                filter,
            }))
        };
        if self.output.is_some() && self.paths.len() > 1 {
            Cli::command()
                .error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "-o names one baseline file: give one PATH with it (without -o, each PATH \
                     gets the baseline at its own root)",
                )
                .exit()
        }
        BaselineConfig {
            action,
            source,
            file: self.output,
        }
    }
}

/// Parses the process arguments into a validated command. Usage errors exit with code 2
/// (clap's own), as DESIGN.md's exit codes require.
pub fn parse() -> Command {
    let cli = Cli::parse();
    match cli.command {
        CliCommand::Scan(a) => {
            let fs = FsOptions {
                gitignore: a.gitignore,
                excludes: a.exclude,
                follow_links: a.follow,
                max_file_size: a.max_file_size,
                threads: a.threads.unwrap_or_else(default_threads).max(1),
                one_file_system: a.one_file_system,
                no_ignore_files: a.no_ignore,
                ..FsOptions::new(a.paths)
            };
            let mut cfg = scan_config(
                fs,
                a.rules.selection(),
                a.filter.options(),
                &a.output,
                a.fix_permissions,
            );
            cfg.archives = a.archives.then(archive::Limits::default);
            Command::Scan(cfg)
        }
        CliCommand::Sweep(a) => {
            let Some(home) = a.home.or_else(std::env::home_dir) else {
                Cli::command()
                    .error(
                        clap::error::ErrorKind::MissingRequiredArgument,
                        "no home folder is known: give one with --home DIR",
                    )
                    .exit()
            };
            let rules = a.rules.selection();
            let threads = a.threads.unwrap_or_else(default_threads).max(1);
            let mut excludes: Vec<String> = if a.no_default_excludes {
                Vec::new()
            } else {
                sweep::DEFAULT_EXCLUDES
                    .iter()
                    .map(|g| g.to_string())
                    .collect()
            };
            excludes.extend(a.exclude);
            let fs = FsOptions {
                excludes,
                max_file_size: a.max_file_size,
                threads,
                exclude_root: Some(home.clone()),
                find_repos: !a.no_history,
                one_file_system: a.one_file_system,
                ..FsOptions::new(vec![home.clone()])
            };
            let mut scan = scan_config(fs, rules, a.filter.options(), &a.output, a.fix_permissions);
            scan.archives = (!a.no_archives).then(archive::Limits::default);
            Command::Sweep(SweepConfig { scan, home })
        }
        CliCommand::History(a) => {
            let selection = match a.selection() {
                Ok(s) => s,
                Err(e) => Cli::command()
                    .error(clap::error::ErrorKind::InvalidValue, e)
                    .exit(),
            };
            Command::History(HistoryConfig {
                selection,
                scan: a.output.scan_options(),
                disclosure: a.output.disclosure(),
                output: a.output.config(),
                threads: a.threads.unwrap_or_else(default_threads).max(1),
                max_blob_size: a.max_file_size,
                submodules: a.submodules,
                rules: a.rules.selection(),
                filter: a.filter.options(),
                repos: a.repos,
            })
        }
        CliCommand::Hook { command } => Command::Hook(match command {
            HookCommand::PreCommit { rules, filter } => HookConfig::PreCommit {
                rules: rules.selection(),
                filter: filter.options(),
            },
            HookCommand::PrePush {
                rules,
                filter,
                remote,
                url,
            } => HookConfig::PrePush {
                rules: rules.selection(),
                filter: filter.options(),
                remote: remote.unwrap_or_else(|| "origin".into()),
                url,
            },
            HookCommand::Install {
                pre_commit,
                pre_push,
                force,
                chain,
            } => HookConfig::Install(InstallConfig {
                pre_commit,
                pre_push,
                force,
                chain,
            }),
            HookCommand::Uninstall => HookConfig::Uninstall,
        }),
        CliCommand::Baseline { command } => Command::Baseline(match command {
            BaselineCommand::Create {
                source,
                note,
                scoped,
            } => source.config(Action::Create { note, scoped }),
            BaselineCommand::Prune { source } => source.config(Action::Prune),
        }),
        CliCommand::Rules { command } => match command {
            RulesCommand::List {
                rules,
                json,
                output,
            } => Command::RulesList(cmd::rules::ListConfig {
                rules: rules.selection(),
                json,
                output,
            }),
            RulesCommand::Check { rules, output } => Command::RulesCheck(cmd::rules::CheckConfig {
                rules: rules.selection(),
                output,
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert!(parse_size("1X").is_err());
        assert!(parse_size("lots").is_err());
    }

    #[test]
    fn the_default_size_limit_is_the_one_the_help_shows() {
        assert_eq!(parse_size("1G"), Ok(DEFAULT_MAX_FILE_SIZE));
    }

    #[test]
    fn sweep_help_lists_the_default_excludes() {
        let listed: Vec<&str> = SWEEP_EXCLUDES_HELP
            .split_once("clears):")
            .and_then(|(_, rest)| rest.split_once("\n\n"))
            .map(|(list, _)| list.split_whitespace().collect())
            .unwrap_or_default();
        assert_eq!(listed, sweep::DEFAULT_EXCLUDES);
    }

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
