//! Inline allow comments: `keysweep:allow` on the line of a finding, or on the line before
//! it, silences that finding. The line before counts so that a comment can stand above a
//! multi-line value (a PEM key's finding is on its `BEGIN` line) or in formats where a
//! trailing comment would change the value; but only when that line holds no finding of
//! its own, so that a trailing `# keysweep:allow` silences its own line and never, as a
//! side effect, the secret on the next one.

use std::collections::HashSet;

use memchr::memmem;

use crate::scan::LineCounter;

/// The marker, matched case-sensitively anywhere in the line (any comment syntax).
pub const MARKER: &[u8] = b"keysweep:allow";

/// How far from the finding the marker is looked for on each side. Lines of minified files
/// can be megabytes long; a bound keeps the cost of a match small and fixed.
const REACH: usize = 16 << 10;

/// For each match starting at `starts[i]` in `data`, whether a `keysweep:allow` comment
/// silences it.
pub fn allowed(data: &[u8], starts: &[usize]) -> Vec<bool> {
    if starts.is_empty() || !present(data) {
        return vec![false; starts.len()];
    }
    let mut order: Vec<usize> = (0..starts.len()).collect();
    order.sort_by_key(|&i| starts[i]);
    let mut lines = vec![(0, 0); starts.len()];
    let mut counter = LineCounter::default();
    for &i in &order {
        let (line, column) = counter.locate(data, starts[i]);
        lines[i] = (line, starts[i].min(data.len()) + 1 - column);
    }
    let with_match: HashSet<usize> = lines.iter().map(|l| l.0).collect();
    (0..starts.len())
        .map(|i| {
            let (this, before) = marker_near(data, starts[i], lines[i].1);
            this || (before && !with_match.contains(&(lines[i].0 - 1)))
        })
        .collect()
}

/// Whether `data` holds the marker at all: where it does not (nearly always), nothing is
/// allowed inline and nothing more need be looked at.
pub fn present(data: &[u8]) -> bool {
    memmem::find(data, MARKER).is_some()
}

/// [`allowed`] for one match alone (no other match shares its lines), starting at
/// `offset` on the line that starts at `line_start`; for data that is [`present`].
pub fn allowed_alone(data: &[u8], offset: usize, line_start: usize) -> bool {
    let (this, before) = marker_near(data, offset, line_start);
    this || before
}

/// Whether the marker stands on the line of byte `offset` (which starts at `line_start`),
/// and on the line before it. Every search is bounded by [`REACH`]: many findings on one
/// long line cost each a fixed amount, not the line's length.
fn marker_near(data: &[u8], offset: usize, line_start: usize) -> (bool, bool) {
    let offset = offset.min(data.len());
    let to = offset.saturating_add(REACH).min(data.len());
    let to = memchr::memchr(b'\n', &data[offset..to]).map_or(to, |i| offset + i);
    let from = line_start.max(offset.saturating_sub(REACH));
    let this = memmem::find(&data[from..to], MARKER).is_some();
    let before = match line_start.checked_sub(1) {
        Some(prev_end) => {
            let reach = prev_end.saturating_sub(REACH);
            let prev_start =
                memchr::memrchr(b'\n', &data[reach..prev_end]).map_or(reach, |i| reach + i + 1);
            memmem::find(&data[prev_start..prev_end], MARKER).is_some()
        }
        None => false,
    };
    (this, before)
}

#[cfg(test)]
mod tests {
    use super::allowed;

    fn at(data: &[u8], s: &str) -> usize {
        memchr::memmem::find(data, s.as_bytes()).unwrap()
    }

    #[test]
    fn same_line_and_line_before() {
        let data = b"a = 1\n# keysweep:allow\nkey = SECRET\nb = 2\n";
        let starts = [at(data, "a = 1"), at(data, "SECRET"), at(data, "b = 2")];
        assert_eq!(allowed(data, &starts), [false, true, false]);

        let data = b"x\n# keysweep:allow\n-----BEGIN\nbody\n";
        let starts = [at(data, "body"), at(data, "-----BEGIN"), at(data, "x")];
        assert_eq!(allowed(data, &starts), [false, true, false]);
    }

    #[test]
    fn a_trailing_comment_silences_only_its_own_line() {
        let data = b"A = ONE # keysweep:allow\nB = TWO\n";
        let starts = [at(data, "ONE"), at(data, "TWO")];
        assert_eq!(allowed(data, &starts), [true, false]);
        // Without a finding on the comment's line, the next line is silenced.
        assert_eq!(allowed(data, &[at(data, "TWO")]), [true]);
    }

    #[test]
    fn first_line_and_crlf() {
        assert_eq!(allowed(b"SECRET keysweep:allow", &[0]), [true]);
        assert_eq!(allowed(b"SECRET\r\n", &[0]), [false]);
        assert_eq!(allowed(b"// keysweep:allow\r\nSECRET\r\n", &[19]), [true]);
        assert_eq!(allowed(b"keysweep:allow\nx\nSECRET", &[17]), [false]);
    }
}
