//! The command line, resolved once: what the user typed (`args`, clap's definitions)
//! becomes one validated config per command (`cmd::Command`), with every default taken
//! from the one place it is kept. Nothing after this sees a flag.

mod args;

use std::path::PathBuf;

use clap::{CommandFactory, Parser};

pub use args::Cli;
use args::*;

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

impl RuleArgs {
    fn selection(self) -> RuleSelection {
        RuleSelection {
            signature_dirs: self.signatures,
            only: self.rule,
            skip: self.skip_rule,
        }
    }
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

impl TriageArg {
    fn as_str(self) -> &'static str {
        match self {
            TriageArg::Open => "open",
            TriageArg::FalsePositive => "false-positive",
            TriageArg::Accepted => "accepted",
            TriageArg::Revoked => "revoked",
        }
    }
}

/// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ`, as the store's UTC times sort.
fn since_date(s: &str) -> Result<String, String> {
    let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
    let date_ok = |d: &str| {
        let p: Vec<&str> = d.split('-').collect();
        p.len() == 3 && digits(p[0], 4) && digits(p[1], 2) && digits(p[2], 2)
    };
    if date_ok(s) {
        return Ok(format!("{s}T00:00:00Z"));
    }
    if let Some((d, t)) = s.split_once('T')
        && date_ok(d)
        && let Some(t) = t.strip_suffix('Z')
        && t.split(':').count() == 3
        && t.split(':').all(|x| digits(x, 2))
    {
        return Ok(s.to_string());
    }
    Err(format!(
        "--since takes YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC), not {s:?}"
    ))
}

fn usage_error(kind: clap::error::ErrorKind, msg: impl std::fmt::Display) -> ! {
    Cli::command().error(kind, msg).exit()
}

/// `--shard`'s value as (index from 0, count), reading the engine's variables through
/// `env` for `auto`.
fn shard(v: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<(u64, u64), String> {
    let number = |what: &str, s: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| format!("--shard {v}: {what} `{s}` is not a number"))
    };
    let from_env = |name: &str| env(name).ok_or_else(|| format!("--shard {v}: {name} is not set"));
    let auto_index = || -> Result<u64, String> {
        if let Some(i) = env("JOB_COMPLETION_INDEX") {
            return number("JOB_COMPLETION_INDEX", &i);
        }
        // GitLab counts its parallel jobs from 1.
        let i = number("CI_NODE_INDEX", &from_env("CI_NODE_INDEX")?)?;
        i.checked_sub(1)
            .ok_or_else(|| format!("--shard {v}: CI_NODE_INDEX counts from 1"))
    };
    let (index, count) = match v.split_once('/') {
        Some(("auto", n)) => (auto_index()?, number("COUNT", n)?),
        Some((i, n)) => (number("INDEX", i)?, number("COUNT", n)?),
        None if v == "auto" => (
            auto_index()?,
            number("CI_NODE_TOTAL", &from_env("CI_NODE_TOTAL")?)?,
        ),
        None => {
            return Err(format!(
                "--shard {v}: write INDEX/COUNT, auto/COUNT or auto"
            ));
        }
    };
    if count == 0 || index >= count {
        return Err(format!(
            "--shard {v}: the index must be below the count (got {index} of {count})"
        ));
    }
    Ok((index, count))
}

fn org_command(command: OrgCommand) -> Command {
    use crate::cmd::org::OrgConfig;
    use crate::org::{self, discover};
    // `org work` and `org enqueue` take `org scan`'s arguments.
    let (command, lease, enqueue) = match command {
        OrgCommand::Work(w) => {
            if w.scan.jobs.is_some() {
                usage_error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "org work scans one repository at a time (use --threads for its \
                     blobs, and more workers for more repositories)",
                )
            }
            if !w.scan.sources.is_empty()
                || !w.scan.list.is_empty()
                || !w.scan.github_org.is_empty()
                || !w.scan.github_user.is_empty()
                || !w.scan.gitlab_group.is_empty()
            {
                usage_error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "org work takes its repositories from the store's queue \
                     (`keysweep org enqueue SOURCE…` puts them there)",
                )
            }
            (OrgCommand::Scan(Box::new(w.scan)), Some(w.lease), false)
        }
        OrgCommand::Enqueue(a) => (OrgCommand::Scan(Box::new(a)), None, true),
        c => (c, None, false),
    };
    let cfg = match command {
        OrgCommand::Scan(a) => {
            use crate::source::forge::{ForgeOptions, ForgeQuery};
            let mut forges: Vec<(ForgeQuery, ForgeOptions)> = Vec::new();
            let options = |base: &Option<String>| ForgeOptions {
                base_url: base.clone(),
                include_forks: a.include_forks,
                include_archived: a.include_archived,
                ..ForgeOptions::new()
            };
            for o in &a.github_org {
                forges.push((ForgeQuery::GithubOrg(o.clone()), options(&a.github_url)));
            }
            for u in &a.github_user {
                forges.push((ForgeQuery::GithubUser(u.clone()), options(&a.github_url)));
            }
            for g in &a.gitlab_group {
                forges.push((ForgeQuery::GitlabGroup(g.clone()), options(&a.gitlab_url)));
            }
            if a.sources.is_empty() && a.list.is_empty() && forges.is_empty() && lease.is_none() {
                usage_error(
                    clap::error::ErrorKind::MissingRequiredArgument,
                    "name what to scan: folders, repositories or URLs, --list FILE, \
                     --github-org, --github-user or --gitlab-group",
                )
            }
            let mut repos = Vec::new();
            let mut problems = Vec::new();
            for s in &a.sources {
                if discover::is_url(s) {
                    match discover::spec(s) {
                        Ok(r) => repos.push(r),
                        Err(e) => problems.push(format!("{e:#}")),
                    }
                } else {
                    let found = discover::folder(std::path::Path::new(s), a.nested, &mut problems);
                    if found.is_empty() && std::path::Path::new(s).is_dir() {
                        crate::messages::note(format_args!(
                            "{s}: no git repository found under it"
                        ));
                    }
                    repos.extend(found);
                }
            }
            for l in &a.list {
                match discover::list(l) {
                    Ok(r) => repos.extend(r),
                    Err(e) => usage_error(clap::error::ErrorKind::Io, format!("{e:#}")),
                }
            }
            // The cache's clones are scanned as the remotes they are, not again as
            // repositories found in a folder that holds the cache.
            let cache = a
                .cache
                .clone()
                .unwrap_or_else(|| org::default_cache(&a.store.store));
            if let Ok(cache) = std::fs::canonicalize(cache) {
                repos.retain(|r| match &r.location {
                    org::Location::Local(p) => !p.starts_with(&cache),
                    org::Location::Remote(_) => true,
                });
            }
            // `org work`: one repository at a time, every core on its blobs.
            // No more jobs than repositories (when they are known before a forge lists
            // more): one repository alone has every core.
            let most = if forges.is_empty() {
                repos.len().max(1)
            } else {
                usize::MAX
            };
            let jobs = if lease.is_some() {
                1
            } else {
                a.jobs.unwrap_or_else(default_threads).clamp(1, most)
            };
            let threads = a
                .threads
                .unwrap_or_else(|| (default_threads() / jobs).max(1))
                .max(1);
            let mut output = a.output.config();
            // The store holds no secret in clear, and neither does what org prints.
            let show_secrets = a.output.show_secrets;
            if output.format == Format::Jsonl {
                output.strict = a.output.strict;
            }
            OrgConfig::Scan {
                scan: org::ScanConfig {
                    store: a.store.store,
                    repos,
                    cache: a.cache,
                    cache_max: a.cache_max,
                    jobs,
                    threads,
                    max_blob_size: a.max_file_size,
                    rules: a.rules.selection(),
                    scan: a.output.scan_options(),
                    quiet: a.output.quiet,
                    shard: a.shard.as_deref().map(|v| {
                        shard(v, &|k| std::env::var(k).ok()).unwrap_or_else(|e| {
                            usage_error(clap::error::ErrorKind::InvalidValue, e)
                        })
                    }),
                    lease,
                },
                output,
                show_secrets,
                problems,
                forges,
            }
        }
        OrgCommand::Findings(a) => {
            let since = a.since.as_deref().map(since_date).transpose();
            let since =
                since.unwrap_or_else(|e| usage_error(clap::error::ErrorKind::InvalidValue, e));
            let args = OutputArgs {
                format: a.format,
                color: ColorArg::Never,
                show_secrets: false,
                include_examples: false,
                quiet: a.quiet,
                strict: false,
                output: a.output,
            };
            OrgConfig::Findings {
                store: a.store.store,
                status: a.status.map(|s| s.as_str().to_string()),
                repo: a.repo,
                since,
                output: args.config(),
            }
        }
        OrgCommand::Triage(a) => OrgConfig::Triage {
            store: a.store.store,
            id: a.id,
            repo: a.repo,
            status: a.status.as_str().to_string(),
            note: a.note,
        },
        OrgCommand::Report(a) => {
            let PageFormatArg::Html = a.format;
            OrgConfig::Report {
                store: a.store.store,
                output: a.output,
            }
        }
        OrgCommand::Merge(a) => OrgConfig::Merge {
            store: a.store.store,
            shards: a.shards,
            quiet: a.quiet,
        },
        OrgCommand::Enqueue(_) | OrgCommand::Work(_) => unreachable!("made org scan above"),
    };
    Command::Org(match cfg {
        OrgConfig::Scan {
            scan,
            problems,
            forges,
            ..
        } if enqueue => OrgConfig::Enqueue {
            scan,
            problems,
            forges,
        },
        cfg => cfg,
    })
}

/// Parses the process arguments into a validated command. Usage errors exit with code 2
/// (clap's own), as the README's exit codes say.
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
            let system = a
                .system
                .then(|| a.system_root.unwrap_or_else(|| PathBuf::from("/")));
            Command::Sweep(SweepConfig { scan, home, system })
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
        CliCommand::Org { command } => org_command(command),
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
