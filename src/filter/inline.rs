//! Inline allow comments: `keysweep:allow` on the line of a finding, or on the line before
//! it, silences that finding. The line before counts so that a comment can stand above a
//! multi-line value (a PEM key's finding is on its `BEGIN` line) or in formats where a
//! trailing comment would change the value.

use memchr::memmem;

/// The marker, matched case-sensitively anywhere in the line (any comment syntax).
pub const MARKER: &[u8] = b"keysweep:allow";

/// How far from the finding the marker is looked for on each side. Lines of minified files
/// can be megabytes long; a bound keeps the cost of a match small and fixed.
const REACH: usize = 16 << 10;

/// Whether `keysweep:allow` stands on the line of byte `offset` of `data` or on the line
/// before it.
pub fn allows(data: &[u8], offset: usize) -> bool {
    let offset = offset.min(data.len());
    let line_start = memchr::memrchr(b'\n', &data[..offset]).map_or(0, |i| i + 1);
    let start = match line_start.checked_sub(1) {
        Some(prev_end) => memchr::memrchr(b'\n', &data[..prev_end]).map_or(0, |i| i + 1),
        None => line_start,
    };
    let end = memchr::memchr(b'\n', &data[offset..]).map_or(data.len(), |i| offset + i);
    let start = start.max(offset.saturating_sub(REACH));
    let end = end.min(offset.saturating_add(REACH));
    memmem::find(&data[start..end], MARKER).is_some()
}

#[cfg(test)]
mod tests {
    use super::allows;

    #[test]
    fn same_line_and_line_before() {
        let data = b"a = 1\nkey = SECRET # keysweep:allow\nb = 2\n";
        let at = |s: &[u8]| memchr::memmem::find(data, s).unwrap();
        assert!(allows(data, at(b"SECRET")));
        assert!(allows(data, at(b"b = 2")));
        assert!(!allows(data, at(b"a = 1")));

        let data = b"x\n# keysweep:allow\n-----BEGIN\nbody\n";
        let at = |s: &[u8]| memchr::memmem::find(data, s).unwrap();
        assert!(allows(data, at(b"-----BEGIN")));
        assert!(!allows(data, at(b"body")));
        assert!(!allows(data, at(b"x")));
    }

    #[test]
    fn first_line_and_crlf() {
        assert!(allows(b"SECRET keysweep:allow", 0));
        assert!(!allows(b"SECRET\r\n", 0));
        assert!(allows(b"// keysweep:allow\r\nSECRET\r\n", 19));
        assert!(!allows(b"keysweep:allow\nx\nSECRET", 17));
    }
}
