//! The command line as the user types it: every subcommand, flag and help text (clap's
//! derive definitions, the only place clap appears besides `parse`). What they mean is
//! settled in `cli` (`mod.rs`), which turns them into validated configs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "keysweep",
    version,
    about = "Find leaked private keys and AWS credentials, offline and fast.",
    after_help = "Exit codes: 0 nothing found, 1 findings, 2 error (including unreadable files when nothing was found)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub(super) command: CliCommand,
}

#[derive(Subcommand, Debug)]
pub(super) enum CliCommand {
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
    /// Every repository of an organisation: scanned into a store, then only what changed;
    /// list, triage and report what the store holds.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
}

#[derive(Subcommand, Debug)]
pub(super) enum OrgCommand {
    /// Scan repositories (folders searched for them, paths, git URLs) into the store and
    /// print the findings new since the last run.
    Scan(Box<OrgScanArgs>),
    /// List what the store holds: each secret once, with every place it is.
    Findings(OrgFindingsArgs),
    /// Set a finding's status (every place of the secret, or those in one repository).
    Triage(OrgTriageArgs),
    /// Write the organisation's page: totals, new in the last run, by repository, secrets
    /// in several repositories, open findings oldest first.
    Report(OrgReportArgs),
    /// Queue repositories (as `org scan` names them) in the store for `org work`.
    Enqueue(OrgScanArgs),
    /// Scan the repositories queued in the store, one at a time, until none is left; run
    /// as many workers as you like, on as many machines, against one store.
    Work(OrgWorkArgs),
    /// Merge the SQLite stores of shards (`org scan --shard I/N` run apart) into one store.
    Merge(OrgMergeArgs),
}

#[derive(Args, Debug)]
pub(super) struct OrgMergeArgs {
    /// The shards' stores (SQLite files); every one must be readable, or nothing is merged.
    #[arg(value_name = "SHARD.db", required = true)]
    pub(super) shards: Vec<PathBuf>,
    /// The store merged into (an SQLite file, created if need be).
    #[command(flatten)]
    pub(super) store: StoreArg,
    /// No summary on stderr.
    #[arg(long, short)]
    pub(super) quiet: bool,
}

#[derive(Args, Debug)]
pub(super) struct OrgWorkArgs {
    #[command(flatten)]
    pub(super) scan: OrgScanArgs,
    /// A claimed repository is another worker's to take once this worker has not renewed
    /// its claim for SECONDS (it renews every third of it while it scans).
    #[arg(long, value_name = "SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub(super) lease: u64,
}

#[derive(Args, Debug)]
pub(super) struct StoreArg {
    /// The store: an SQLite file (created if need be), or a PostgreSQL database's URL
    /// (`postgres://user:password@host/db`, `?sslmode=require` to insist on TLS).
    #[arg(
        long,
        value_name = "PATH|URL",
        env = "KEYSWEEP_STORE",
        hide_env_values = true
    )]
    pub(super) store: PathBuf,
}

#[derive(Args, Debug)]
pub(super) struct OrgScanArgs {
    /// Folders (every working clone and bare repository under them), repositories, or
    /// git URLs (https://, ssh://, git@host:path, file://).
    #[arg(value_name = "SOURCE")]
    pub(super) sources: Vec<String>,
    #[command(flatten)]
    pub(super) store: StoreArg,
    /// Also scan the repositories named in FILE, one a line: a path or a git URL
    /// (repeatable; `#` starts a comment).
    #[arg(long, value_name = "FILE")]
    pub(super) list: Vec<PathBuf>,
    /// Search the work trees of the repositories found for more repositories.
    #[arg(long)]
    pub(super) nested: bool,
    /// Also scan every repository of this GitHub organisation, listed through the REST API
    /// with the token in GITHUB_TOKEN (repeatable).
    #[arg(long, value_name = "ORG")]
    pub(super) github_org: Vec<String>,
    /// Also scan every repository this GitHub user owns (repeatable).
    #[arg(long, value_name = "USER")]
    pub(super) github_user: Vec<String>,
    /// Also scan every project of this GitLab group and its subgroups (a path such as
    /// `acme/platform`, or an id), with the token in GITLAB_TOKEN (repeatable).
    #[arg(long, value_name = "GROUP")]
    pub(super) gitlab_group: Vec<String>,
    /// GitHub Enterprise's URL (https://HOST, or its API URL https://HOST/api/v3)
    /// [default: api.github.com].
    #[arg(long, value_name = "URL")]
    pub(super) github_url: Option<String>,
    /// A self-hosted GitLab's URL [default: gitlab.com].
    #[arg(long, value_name = "URL")]
    pub(super) gitlab_url: Option<String>,
    /// Scan only one shard of the repositories, for engines that run N copies of one job:
    /// INDEX/COUNT (INDEX from 0), `auto/COUNT` (INDEX from JOB_COMPLETION_INDEX, a
    /// Kubernetes Indexed Job's, or GitLab's CI_NODE_INDEX), or `auto` (GitLab's
    /// CI_NODE_INDEX of CI_NODE_TOTAL). A repository's shard is a hash of its URL: stable.
    #[arg(long, value_name = "INDEX/COUNT")]
    pub(super) shard: Option<String>,
    /// Keep forks in what a forge lists (left out by default).
    #[arg(long)]
    pub(super) include_forks: bool,
    /// Keep archived repositories in what a forge lists (left out by default).
    #[arg(long)]
    pub(super) include_archived: bool,
    /// Where remote repositories are kept as bare clones [default: <store>-cache beside
    /// the store; keysweep-cache in the current folder for a database URL].
    #[arg(long, value_name = "DIR")]
    pub(super) cache: Option<PathBuf>,
    /// Keep the cache under SIZE (e.g. 20G): the clones scanned least recently are removed.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub(super) cache_max: Option<u64>,
    /// Repositories scanned at once (default: one per core).
    #[arg(long, value_name = "N")]
    pub(super) jobs: Option<usize>,
    /// Threads reading one repository's blobs (default: cores / jobs).
    #[arg(long, value_name = "N")]
    pub(super) threads: Option<usize>,
    /// Skip blobs larger than this (e.g. 500M, 2G).
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    pub(super) max_file_size: u64,
    #[command(flatten)]
    pub(super) rules: RuleArgs,
    #[command(flatten)]
    pub(super) output: OutputArgs,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
pub(super) enum TriageArg {
    Open,
    FalsePositive,
    Accepted,
    Revoked,
}

#[derive(Args, Debug)]
pub(super) struct OrgFindingsArgs {
    #[command(flatten)]
    pub(super) store: StoreArg,
    /// Only findings with this status.
    #[arg(long, value_enum)]
    pub(super) status: Option<TriageArg>,
    /// Only findings in repositories whose name or URL matches GLOB (`*`, `?`).
    #[arg(long, value_name = "GLOB")]
    pub(super) repo: Option<String>,
    /// Only findings first seen on or after DATE (YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SSZ).
    #[arg(long, value_name = "DATE")]
    pub(super) since: Option<String>,
    /// Report format (human, json and jsonl group by secret; the others list each place).
    #[arg(long, value_enum, default_value = "human")]
    pub(super) format: FormatArg,
    /// Write the list to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub(super) output: Option<PathBuf>,
    /// No summary on stderr.
    #[arg(long, short)]
    pub(super) quiet: bool,
}

#[derive(Args, Debug)]
pub(super) struct OrgTriageArgs {
    /// The finding's id (`ks-…`, as `org findings` shows it).
    #[arg(value_name = "ID")]
    pub(super) id: String,
    #[command(flatten)]
    pub(super) store: StoreArg,
    /// Only in this repository (its name or URL).
    #[arg(long, value_name = "R")]
    pub(super) repo: Option<String>,
    #[arg(long, value_enum)]
    pub(super) status: TriageArg,
    /// Why (kept with the status).
    #[arg(long, value_name = "TEXT")]
    pub(super) note: Option<String>,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
pub(super) enum PageFormatArg {
    /// One self-contained HTML page.
    Html,
}

#[derive(Args, Debug)]
pub(super) struct OrgReportArgs {
    #[command(flatten)]
    pub(super) store: StoreArg,
    #[arg(long, value_enum, default_value = "html")]
    pub(super) format: PageFormatArg,
    /// Write the page to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub(super) output: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub(super) enum HookCommand {
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
pub(super) enum BaselineCommand {
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
pub(super) struct BaselineSourceArgs {
    /// The directories (or, with --history, the repositories) to scan; each has a
    /// baseline of its own, at its root.
    #[arg(value_name = "PATH", default_value = ".")]
    pub(super) paths: Vec<PathBuf>,
    /// Scan the whole history of the repository instead of the files.
    #[arg(long)]
    pub(super) history: bool,
    /// The baseline file [default: the config's `baseline`, else .keysweep-baseline.json
    /// at the repository root].
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(super) output: Option<PathBuf>,
    /// Leave out paths matching GLOB (gitignore syntax; repeatable). Files only: for
    /// history, use the config's `exclude`.
    #[arg(long, value_name = "GLOB", conflicts_with = "history")]
    pub(super) exclude: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub(super) threads: Option<usize>,
    /// No notes on stderr.
    #[arg(long, short)]
    pub(super) quiet: bool,
    #[command(flatten)]
    pub(super) rules: RuleArgs,
    #[command(flatten)]
    pub(super) settings: SettingsArgs,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
pub(super) enum SeverityArg {
    Low,
    Medium,
    High,
    Critical,
}

/// The config file and the minimum severity.
#[derive(Args, Debug)]
#[command(next_help_heading = "Filters")]
pub(super) struct SettingsArgs {
    /// Read settings from FILE [default: .keysweep.toml at the repository root, if any].
    #[arg(long, value_name = "FILE")]
    pub(super) config: Option<PathBuf>,
    /// Read no .keysweep.toml.
    #[arg(long, conflicts_with = "config")]
    pub(super) no_config: bool,
    /// Report only findings of this severity or higher (overrides the config's).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub(super) min_severity: Option<SeverityArg>,
}

/// Settings and the baseline: what every scanning command takes.
#[derive(Args, Debug)]
#[command(next_help_heading = "Filters")]
pub(super) struct FilterArgs {
    #[command(flatten)]
    pub(super) settings: SettingsArgs,
    /// Silence the findings FILE lists [default: the config's `baseline`, else
    /// .keysweep-baseline.json at the repository root, if any].
    #[arg(long, value_name = "FILE")]
    pub(super) baseline: Option<PathBuf>,
    /// Use no baseline.
    #[arg(long, conflicts_with = "baseline")]
    pub(super) no_baseline: bool,
}

#[derive(Subcommand, Debug)]
pub(super) enum RulesCommand {
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
pub(super) struct RuleArgs {
    /// Also load every *.toml signature file in DIR (repeatable).
    #[arg(long = "signatures", value_name = "DIR")]
    pub(super) signatures: Vec<PathBuf>,
    /// Use only this rule (repeatable). The permission audit's id is `insecure-permissions`.
    #[arg(long = "rule", value_name = "ID")]
    pub(super) rule: Vec<String>,
    /// Do not use this rule (repeatable).
    #[arg(long = "skip-rule", value_name = "ID")]
    pub(super) skip_rule: Vec<String>,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
pub(super) enum FormatArg {
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
pub(super) enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
pub(super) struct OutputArgs {
    /// Report format.
    #[arg(long, value_enum, default_value = "human")]
    pub(super) format: FormatArg,
    /// When to colour the human report (NO_COLOR is honoured by `auto`).
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub(super) color: ColorArg,
    /// Print secrets in clear instead of redacted.
    #[arg(long)]
    pub(super) show_secrets: bool,
    /// Also report published documentation example keys (AWS's `…EXAMPLE` keys).
    #[arg(long)]
    pub(super) include_examples: bool,
    /// No summary and no notes on stderr (errors are still printed).
    #[arg(long, short)]
    pub(super) quiet: bool,
    /// Exit 2 when nothing was found but something was skipped (files over
    /// --max-file-size, FIFOs and devices met in a walk): the scan cannot vouch for them.
    #[arg(long)]
    pub(super) strict: bool,
    /// Write the report to FILE instead of stdout (notes and the summary stay on stderr).
    #[arg(long, value_name = "FILE")]
    pub(super) output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(super) struct ScanArgs {
    /// Files or directories to scan.
    #[arg(value_name = "PATH", default_value = ".")]
    pub(super) paths: Vec<PathBuf>,
    /// Honour .gitignore files (off by default: ignored files such as .env are where
    /// secrets hide). .keysweepignore files are honoured unless --no-ignore.
    #[arg(long)]
    pub(super) gitignore: bool,
    /// Do not honour .keysweepignore files: in CI, where a pull request could add one to
    /// hide what it adds (with --no-config and --no-baseline for the other two files).
    #[arg(long, conflicts_with = "gitignore")]
    pub(super) no_ignore: bool,
    /// Leave out paths matching GLOB (gitignore syntax; repeatable).
    #[arg(long, value_name = "GLOB")]
    pub(super) exclude: Vec<String>,
    /// Follow symbolic links (loops are detected and reported).
    #[arg(long, short = 'L')]
    pub(super) follow: bool,
    /// Do not cross into other file systems than those of the paths named (kernel file
    /// systems such as /proc, /sys and /dev are never walked into unless named).
    #[arg(long, short = 'x')]
    pub(super) one_file_system: bool,
    /// Skip files larger than this (e.g. 500M, 2G).
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    pub(super) max_file_size: u64,
    /// Set key files that others can read or write to 600 (400 if read-only) and .ssh
    /// directories to 700, printing each change; nothing else is ever touched.
    /// Unix only: on other platforms the permission audit is compiled out.
    #[arg(long)]
    pub(super) fix_permissions: bool,
    /// Open .zip/.jar, .tar, .tar.gz/.tgz and .gz files, and packages (.whl, .egg,
    /// .nupkg, .aar, .crate, .gem), and scan what they hold (nested up to 3 deep, with
    /// limits against archive bombs). Always on in `sweep`.
    #[arg(long)]
    pub(super) archives: bool,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub(super) threads: Option<usize>,
    #[command(flatten)]
    pub(super) rules: RuleArgs,
    #[command(flatten)]
    pub(super) filter: FilterArgs,
    #[command(flatten)]
    pub(super) output: OutputArgs,
}

/// `keysweep sweep --help`: the default excludes, as `sweep::DEFAULT_EXCLUDES` has them
/// (a test checks they agree).
pub(super) const SWEEP_EXCLUDES_HELP: &str = "\
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
pub(super) struct SweepArgs {
    /// The home to sweep (default: $HOME).
    #[arg(long, value_name = "DIR")]
    pub(super) home: Option<PathBuf>,
    /// Also leave out paths matching GLOB (gitignore syntax, relative to the home;
    /// repeatable).
    #[arg(long, value_name = "GLOB")]
    pub(super) exclude: Vec<String>,
    /// Do not leave out the default caches and toolchains (listed below).
    #[arg(long)]
    pub(super) no_default_excludes: bool,
    /// Do not scan the history of the git repositories found.
    #[arg(long)]
    pub(super) no_history: bool,
    /// Do not open archives.
    #[arg(long)]
    pub(super) no_archives: bool,
    /// Do not cross into other file systems than the home's.
    #[arg(long, short = 'x')]
    pub(super) one_file_system: bool,
    /// Also check this machine's SSH server: /etc/ssh/sshd_config (and what it includes)
    /// and the modes of its host keys.
    #[arg(long)]
    pub(super) system: bool,
    /// With --system: the machine's files are under DIR instead of / (a mounted image, a
    /// container's root file system).
    #[arg(long, value_name = "DIR", requires = "system", hide = true)]
    pub(super) system_root: Option<PathBuf>,
    /// Skip files (and blobs) larger than this (e.g. 500M, 2G).
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    pub(super) max_file_size: u64,
    /// Set key files that others can read or write to 600 (400 if read-only) and .ssh
    /// directories to 700, printing each change; nothing else is ever touched.
    #[arg(long)]
    pub(super) fix_permissions: bool,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub(super) threads: Option<usize>,
    #[command(flatten)]
    pub(super) rules: RuleArgs,
    #[command(flatten)]
    pub(super) filter: FilterArgs,
    #[command(flatten)]
    pub(super) output: OutputArgs,
}

#[derive(Args, Debug)]
pub(super) struct HistoryArgs {
    /// Repositories (working, bare or mirror clones).
    #[arg(value_name = "REPO", default_value = ".")]
    pub(super) repos: Vec<PathBuf>,
    /// Also scan objects no ref reaches: dangling commits, dropped stashes, lost blobs.
    #[arg(long, conflicts_with_all = ["since", "range"])]
    pub(super) all_objects: bool,
    /// Only what commits after REV brought in, on every ref the whole scan covers (not
    /// only HEAD), for CI.
    #[arg(long, value_name = "REV", conflicts_with = "range")]
    pub(super) since: Option<String>,
    /// Only what the commits in A..B brought in.
    #[arg(long, value_name = "A..B")]
    pub(super) range: Option<String>,
    /// Also scan the history of every submodule checked out in a working repository.
    #[arg(long)]
    pub(super) submodules: bool,
    /// Skip blobs larger than this (e.g. 500M, 2G).
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    pub(super) max_file_size: u64,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub(super) threads: Option<usize>,
    #[command(flatten)]
    pub(super) rules: RuleArgs,
    #[command(flatten)]
    pub(super) filter: FilterArgs,
    #[command(flatten)]
    pub(super) output: OutputArgs,
}

/// Parses `1024`, `64K`, `500M`, `1G` (binary units; a trailing `B`/`iB` is allowed).
pub(super) fn parse_size(s: &str) -> Result<u64, String> {
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
