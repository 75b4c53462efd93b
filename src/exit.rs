//! The exit codes, in one type: what a CI job or a git hook reads to decide whether to
//! stop. A run never earns `Clean` while something it was asked to read went unread.

/// What a run's exit code says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitCode {
    /// Nothing found, and everything asked for was read.
    Clean,
    /// Something found (or, for `rules check`, a rule failed its examples).
    Findings,
    /// An error, a usage error (clap's own code), or nothing found while something could
    /// not be read (or, with `--strict`, was skipped).
    Error,
    /// Stopped by Ctrl-C (128 + SIGINT, as shells report it), after reporting what it found.
    Interrupted,
}

impl ExitCode {
    /// The process exit status.
    pub fn code(self) -> i32 {
        match self {
            ExitCode::Clean => 0,
            ExitCode::Findings => 1,
            ExitCode::Error => 2,
            ExitCode::Interrupted => 130,
        }
    }
}
