//! Every note, warning and error keysweep writes on stderr goes through here. Each is one
//! line, `keysweep: …`, with control characters escaped: a crafted file name (a newline, an
//! escape sequence) can neither forge another line of output nor drive the terminal.
//!
//! Problems — an input asked for that could not be read, a step that failed — are also
//! counted here, and only here: a run's `errors` (and so its exit code when nothing was
//! found) is the number of problems reported while it ran ([`problems_since`]).

use std::fmt::Display;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::report::printable;

/// The text of a note as stderr shows it: `keysweep: ` and `what`, escaped.
pub fn line(what: impl Display) -> String {
    format!("keysweep: {}", printable(&what.to_string()))
}

/// Prints a note on stderr.
pub fn note(what: impl Display) {
    crate::say!("{}", line(what));
}

/// `eprintln!` that never panics: with stderr closed (`keysweep … 2>&1 | head -1`, a
/// reader gone) the line is lost, not the run's exit code (`eprintln!` panics, and a
/// panic is exit 101, which the README does not promise).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Prints an error on stderr (`keysweep: error: …`).
pub fn error(what: impl Display) {
    note(format_args!("error: {what}"));
}

static PROBLEMS: AtomicU64 = AtomicU64::new(0);

/// Reports a problem (`keysweep: …`) and counts it.
pub fn problem(what: impl Display) {
    PROBLEMS.fetch_add(1, Ordering::SeqCst);
    note(what);
}

/// Reports a problem as an error line (`keysweep: error: …`) and counts it.
pub fn problem_error(what: impl Display) {
    PROBLEMS.fetch_add(1, Ordering::SeqCst);
    error(what);
}

/// Where the count of problems stands now: a run takes a mark when it starts.
pub fn problems_mark() -> u64 {
    PROBLEMS.load(Ordering::SeqCst)
}

/// The problems reported since `mark` was taken.
pub fn problems_since(mark: u64) -> u64 {
    PROBLEMS.load(Ordering::SeqCst) - mark
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_forge_lines_or_escapes() {
        assert_eq!(
            line("skipped a\nkeysweep: 0 findings\u{1b}[2J"),
            "keysweep: skipped a\\nkeysweep: 0 findings\\u{1b}[2J"
        );
    }
}
