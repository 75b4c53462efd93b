//! Every note, warning and error keysweep writes on stderr goes through here. Each is one
//! line, `keysweep: …`, with control characters escaped: a crafted file name (a newline, an
//! escape sequence) can neither forge another line of output nor drive the terminal.

use std::fmt::Display;

use crate::report::printable;

/// The text of a note as stderr shows it: `keysweep: ` and `what`, escaped.
pub fn line(what: impl Display) -> String {
    format!("keysweep: {}", printable(&what.to_string()))
}

/// Prints a note on stderr.
pub fn note(what: impl Display) {
    eprintln!("{}", line(what));
}

/// Prints an error on stderr (`keysweep: error: …`).
pub fn error(what: impl Display) {
    note(format_args!("error: {what}"));
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
