//! The decoding layer: undoing what a carrier did to a secret, one layer after another.
//!
//! The scan core finds a keyword (an armour line, `AKIA`, the base64 of `-----BEGIN`) and
//! its rule rejects what stands there: a key inside C string literals with macro line
//! continuations, behind `#` or `>` on every line, JSON inside JSON, HTML entities,
//! percent-encoding, pasted on one line, base64 of the whole file. The blob scanner then
//! hands the bytes around that hit (a bounded region) to [`undo`], which tries the
//! decoders below, breadth first, each on the output of the last, until the caller's
//! `accept` (a rescan) finds something or the depth and work bounds are reached.
//!
//! Every decoder is pure byte work and never grows its input by more than a small fixed
//! amount (re-wrapping a one-line key adds a newline per 64 bytes), so nested decoding is
//! bounded: at most [`MAX_DEPTH`] layers, at most [`MAX_CANDIDATES`] decodings tried per
//! region, each no longer than [`MAX_GROWTH`] × the region.

/// How many layers one region may be undone through.
pub const MAX_DEPTH: usize = 4;
/// How many decodings of one region are tried in all.
pub const MAX_CANDIDATES: usize = 48;
/// No decoding may be longer than this factor times its region.
pub const MAX_GROWTH: usize = 2;

type Decoder = fn(&[u8]) -> Option<Vec<u8>>;

/// The decoders, in the order they are tried at each depth.
const DECODERS: &[(&str, Decoder)] = &[
    ("string literals", literals),
    ("escapes", unescape),
    ("line prefixes", prefixes),
    ("entities", entities),
    ("percent-encoding", percent),
    ("base64", base64_run),
    ("re-wrapped armour", rewrap),
];

/// Undoes `region` layer by layer until `accept` takes a decoding: returns it, or `None`
/// when nothing undone is accepted within the bounds.
pub fn undo(region: &[u8], mut accept: impl FnMut(&[u8]) -> bool) -> Option<Vec<u8>> {
    let limit = region.len().saturating_mul(MAX_GROWTH).max(4096);
    let mut frontier: Vec<Vec<u8>> = vec![region.to_vec()];
    let mut tried = 0;
    for _ in 0..MAX_DEPTH {
        let mut next = Vec::new();
        for cand in &frontier {
            for (_, d) in DECODERS {
                if tried >= MAX_CANDIDATES {
                    return None;
                }
                let Some(out) = d(cand) else { continue };
                if out.is_empty() || out.len() > limit || out == *cand {
                    continue;
                }
                tried += 1;
                if accept(&out) {
                    return Some(out);
                }
                if !next.contains(&out) {
                    next.push(out);
                }
            }
        }
        if next.is_empty() {
            return None;
        }
        frontier = next;
    }
    None
}

/// The contents of the string literals on each line, concatenated: adjacent C literals,
/// `+`, `..`, `<<` and `.` concatenation, Python implicit concatenation, a macro's lines
/// ending in `\`. Escapes inside the literals are kept (the escape decoder undoes them).
/// A line without a literal contributes nothing.
pub fn literals(b: &[u8]) -> Option<Vec<u8>> {
    if !b.iter().any(|&c| matches!(c, b'"' | b'\'' | b'`')) {
        return None;
    }
    let mut out = Vec::with_capacity(b.len());
    let mut any = false;
    for line in b.split(|&c| c == b'\n') {
        let mut i = 0;
        while i < line.len() {
            let q = line[i];
            if !matches!(q, b'"' | b'\'' | b'`') {
                i += 1;
                continue;
            }
            // Python's triple quotes open a multi-line string: not a per-line literal.
            if line[i..].starts_with(&[q, q, q]) {
                i += 3;
                continue;
            }
            let start = i + 1;
            let mut j = start;
            while j < line.len() && line[j] != q {
                j += if line[j] == b'\\' { 2 } else { 1 };
            }
            let end = j.min(line.len());
            out.extend_from_slice(&line[start..end]);
            any = true;
            i = end + 1;
        }
    }
    any.then_some(out)
}

/// One level of backslash escapes: `\n`, `\r`, `\t`, `\\`, `\"`, `\'`, `\/`, `\uXXXX`,
/// `\xHH`, and a backslash ending a line (a macro's or a shell's continuation) joins it
/// to the next. JSON inside a JSON string takes two levels.
pub fn unescape(b: &[u8]) -> Option<Vec<u8>> {
    memchr::memchr(b'\\', b)?;
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 >= b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let c = b[i + 1];
        i += 2;
        match c {
            b'n' => out.push(b'\n'),
            b'r' => {}
            b't' => out.push(b' '),
            b'\\' | b'"' | b'\'' | b'/' | b'`' => out.push(c),
            b'\n' => {}
            b'\r' if b.get(i) == Some(&b'\n') => i += 1,
            b'u' | b'x' => {
                let n = if c == b'u' { 4 } else { 2 };
                let hex = b.get(i..i + n).and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u32::from_str_radix(h, 16).ok()) {
                    Some(v) if c == b'x' => {
                        out.push(v as u8);
                        i += n;
                    }
                    Some(v) => {
                        let ch = char::from_u32(v).unwrap_or('\u{fffd}');
                        let mut buf = [0; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        i += n;
                    }
                    None => out.extend_from_slice(&[b'\\', c]),
                }
            }
            _ => out.extend_from_slice(&[b'\\', c]),
        }
    }
    Some(out)
}

/// The comment or quote marker the first line puts before its text (`#`, `//`, `--`,
/// `;`, `*`, `>`, `%`, `!`, repeated or not, with the spaces around it), taken off every
/// line that has it; `<br>` tags become newlines.
pub fn prefixes(b: &[u8]) -> Option<Vec<u8>> {
    let br = memchr::memmem::find(b, b"<br").is_some();
    let first = b
        .split(|&c| c == b'\n')
        .find(|l| !l.trim_ascii().is_empty())?;
    let marker = marker_of(first);
    if marker.is_empty() && !br {
        return None;
    }
    let mut out = Vec::with_capacity(b.len());
    for line in b.split(|&c| c == b'\n') {
        let lead = line.len() - line.trim_ascii_start().len();
        let rest = &line[lead..];
        match rest.strip_prefix(marker) {
            Some(r) if !marker.is_empty() => out.extend_from_slice(r.trim_ascii_start()),
            _ => out.extend_from_slice(line),
        }
        out.push(b'\n');
    }
    out.pop();
    if br {
        out = replace_tags(&out);
    }
    Some(out)
}

/// The marker at the start of `line` (after its indentation): comment and quote
/// characters, not the dashes of an armour line.
fn marker_of(line: &[u8]) -> &[u8] {
    let s = line.trim_ascii_start();
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'#' | b';' | b'>' | b'%' | b'!' | b'*' => i += 1,
            b'/' if s.get(i + 1) == Some(&b'/') => i += 2,
            b'-' if s.get(i + 1) == Some(&b'-') && s.get(i + 2) != Some(&b'-') => i += 2,
            b' ' | b'\t' if i > 0 => i += 1,
            _ => break,
        }
    }
    let m = &s[..i];
    m.trim_ascii_end()
}

/// `<br>`, `<br/>` and `<br />` become newlines.
fn replace_tags(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"<br")
            && let Some(close) = b[i..].iter().take(8).position(|&c| c == b'>')
        {
            out.push(b'\n');
            i += close + 1;
            // `<br>` at the end of a line that also ends: one newline, not two.
            if b.get(i) == Some(&b'\n') {
                i += 1;
            }
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// XML/HTML character references (decimal and hex) and the five named entities.
pub fn entities(b: &[u8]) -> Option<Vec<u8>> {
    memchr::memchr(b'&', b)?;
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut changed = false;
    while i < b.len() {
        if b[i] == b'&'
            && let Some(semi) = b[i..].iter().take(10).position(|&c| c == b';')
        {
            let name = &b[i + 1..i + semi];
            let ch = match name {
                b"lt" => Some('<'),
                b"gt" => Some('>'),
                b"amp" => Some('&'),
                b"quot" => Some('"'),
                b"apos" => Some('\''),
                _ if name.first() == Some(&b'#') => {
                    let (digits, radix) = match name.get(1) {
                        Some(b'x' | b'X') => (&name[2..], 16),
                        _ => (&name[1..], 10),
                    };
                    std::str::from_utf8(digits)
                        .ok()
                        .and_then(|d| u32::from_str_radix(d, radix).ok())
                        .and_then(char::from_u32)
                }
                _ => None,
            };
            if let Some(ch) = ch {
                let mut buf = [0; 4];
                if ch != '\r' {
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                i += semi + 1;
                changed = true;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    changed.then_some(out)
}

/// `%HH` percent-encoding (and `+` for a space in an armour line, as forms encode it).
pub fn percent(b: &[u8]) -> Option<Vec<u8>> {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut changed = false;
    while i < b.len() {
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(h << 4 | l);
            i += 3;
            changed = true;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    if !changed {
        return None;
    }
    for (from, to) in [
        (&b"-----BEGIN+"[..], &b"-----BEGIN "[..]),
        (b"-----END+", b"-----END "),
        (b"+PRIVATE+KEY-----", b" PRIVATE KEY-----"),
        (b"PRIVATE+KEY-----", b"PRIVATE KEY-----"),
    ] {
        if memchr::memmem::find(&out, from).is_some() {
            out = super::pem::replace(&out, from, to);
        }
    }
    Some(out)
}

fn is_b64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b'-' | b'_')
}

/// The base64 run at the start of `b` (after spaces and quotes), across line breaks and
/// indentation (wrapped at 64 or 76 columns or not at all), decoded.
pub fn base64_run(b: &[u8]) -> Option<Vec<u8>> {
    // The base64 of `-----` starts the run where there is one (a key in a JSON value).
    let mut s = memchr::memmem::find(b, b"LS0tLS1").map_or(b, |at| &b[at..]);
    while let [c, rest @ ..] = s
        && (c.is_ascii_whitespace() || matches!(c, b'"' | b'\'' | b':' | b'='))
    {
        s = rest;
    }
    let mut run = Vec::with_capacity(s.len());
    for line in s.split(|&c| c == b'\n') {
        let t = line.trim_ascii();
        let t = t.strip_suffix(b"\\n").unwrap_or(t);
        let t = t.strip_suffix(b"\\r").unwrap_or(t);
        let t = trim_quotes(t);
        if t.is_empty() {
            if run.is_empty() {
                continue;
            }
            break;
        }
        let n = t.iter().take_while(|&&c| is_b64(c)).count();
        run.extend_from_slice(&t[..n]);
        if n < t.len() || run.ends_with(b"=") {
            break;
        }
    }
    if run.len() < 16 {
        return None;
    }
    let run: Vec<u8> = run
        .iter()
        .map(|&c| match c {
            b'-' => b'+',
            b'_' => b'/',
            c => c,
        })
        .collect();
    let n = run.iter().rposition(|&c| c != b'=').map_or(0, |p| p + 1);
    let usable = n - n % 4 + if n % 4 >= 2 { n % 4 } else { 0 };
    super::pem::decode_base64_loose(&run[..usable])
}

/// Every base64 value in `b` (a token of at least 20 base64 characters that decodes to
/// printable text) replaced by what it decodes to, line for line: a Kubernetes
/// `Secret`'s or Helm values' `data:`.
pub fn base64_values(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    let mut changed = false;
    let mut i = 0;
    while i < b.len() {
        let n = b[i..]
            .iter()
            .take_while(|&&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
            .count();
        if n == 0 {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let token = &b[i..i + n];
        let decoded = (n >= 20 && n % 4 == 0)
            .then(|| super::pem::decode_base64_loose(token))
            .flatten()
            .map(|mut d| {
                while d.last().is_some_and(|c| c.is_ascii_whitespace()) {
                    d.pop();
                }
                d
            })
            .filter(|d| !d.is_empty() && d.iter().all(|c| c.is_ascii_graphic() || *c == b' '));
        match decoded {
            Some(d) => {
                out.extend_from_slice(&d);
                changed = true;
            }
            None => out.extend_from_slice(token),
        }
        i += n;
    }
    changed.then_some(out)
}

fn trim_quotes(s: &[u8]) -> &[u8] {
    let mut s = s;
    while let [b'"' | b'\'' | b',' | b';', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b'"' | b'\'' | b',' | b';'] = s {
        s = rest;
    }
    s
}

/// A PEM block whose line breaks were lost (pasted on one line, spaces for newlines,
/// newlines removed), written out again as a file would hold it.
pub fn rewrap(b: &[u8]) -> Option<Vec<u8>> {
    let begin = memchr::memmem::find(b, b"-----BEGIN ")?;
    let after_begin = begin + 11;
    let label_end = after_begin + memchr::memmem::find(&b[after_begin..], b"-----")?;
    let label = &b[after_begin..label_end];
    if label.len() > 40 || label.contains(&b'\n') {
        return None;
    }
    let body_start = label_end + 5;
    let mut end_line = b"-----END ".to_vec();
    end_line.extend_from_slice(label);
    end_line.extend_from_slice(b"-----");
    let end = body_start + memchr::memmem::find(&b[body_start..], &end_line)?;
    let inner = &b[body_start..end];
    let mut out = Vec::with_capacity(inner.len() + inner.len() / 32 + 128);
    out.extend_from_slice(&b[begin..body_start]);
    out.push(b'\n');
    let mut tokens = inner
        .split(|c| c.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
        .peekable();
    let mut headers = false;
    while let Some(t) = tokens.peek() {
        if t.ends_with(b":")
            && t.len() > 1
            && t[..t.len() - 1]
                .iter()
                .all(|&c| c.is_ascii_alphanumeric() || c == b'-')
        {
            out.extend_from_slice(t);
            tokens.next();
            if let Some(v) = tokens.next() {
                out.push(b' ');
                out.extend_from_slice(v);
            }
            out.push(b'\n');
            headers = true;
        } else {
            break;
        }
    }
    if headers {
        out.push(b'\n');
    }
    let body: Vec<u8> = tokens.flatten().copied().collect();
    if !body.iter().all(|&c| is_b64(c)) {
        return None;
    }
    for chunk in body.chunks(64) {
        out.extend_from_slice(chunk);
        out.push(b'\n');
    }
    out.extend_from_slice(&end_line);
    out.push(b'\n');
    Some(out)
}

/// Whether `bytes` hold `n` base64 characters (`A-Za-z0-9+/`) in a row: a key's body,
/// however it is carried, has such runs (a line, or the part of one between two escapes);
/// code that merely names the armour has none.
pub fn has_base64_run(bytes: &[u8], n: usize) -> bool {
    let mut run = 0;
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b == b'+' || b == b'/' {
            run += 1;
            if run >= n {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// Whether `bytes` look like UTF-16 text: a byte-order mark, or a NUL in every other byte
/// of the first KiB (and in none of the others). Returns big-endian-ness.
pub fn utf16(bytes: &[u8]) -> Option<bool> {
    match bytes {
        [0xff, 0xfe, ..] => return Some(false),
        [0xfe, 0xff, ..] => return Some(true),
        _ => {}
    }
    let head = &bytes[..bytes.len().min(1024) & !1];
    if head.len() < 16 || memchr::memchr(0, head).is_none() {
        return None;
    }
    let (mut even, mut odd) = (0, 0);
    for pair in head.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    let pairs = head.len() / 2;
    if odd == pairs && even == 0 {
        Some(false)
    } else if even == pairs && odd == 0 {
        Some(true)
    } else {
        None
    }
}

/// `bytes` as UTF-16 (of the given endianness) transcoded to UTF-8, unpaired surrogates
/// replaced; a byte-order mark dropped. Never longer than 1.5 × the input.
pub fn transcode_utf16(bytes: &[u8], big_endian: bool) -> Vec<u8> {
    let units = bytes.chunks_exact(2).map(|p| {
        if big_endian {
            u16::from_be_bytes([p[0], p[1]])
        } else {
            u16::from_le_bytes([p[0], p[1]])
        }
    });
    let mut out = Vec::with_capacity(bytes.len() / 2 + 16);
    let mut buf = [0; 4];
    for (i, ch) in char::decode_utf16(units).enumerate() {
        let ch = ch.unwrap_or('\u{fffd}');
        if i == 0 && ch == '\u{feff}' {
            continue;
        }
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_nest() {
        let once = unescape(br#"a\\nb\/c\u002d"#).unwrap();
        assert_eq!(once, br"a\nb/c-");
        assert_eq!(unescape(&once).unwrap(), b"a\nb/c-");
    }

    #[test]
    fn c_macro_literals() {
        let b = b"#define KEY \"-----BEGIN X-----\\n\" \\\n  \"QUJD\\n\" \\\n  \"-----END X-----\\n\"\n";
        assert_eq!(
            literals(b).unwrap(),
            b"-----BEGIN X-----\\nQUJD\\n-----END X-----\\n"
        );
    }

    #[test]
    fn comment_prefixes() {
        let b = b"# -----BEGIN X-----\n# QUJD\n#\n# -----END X-----";
        assert_eq!(
            prefixes(b).unwrap(),
            b"-----BEGIN X-----\nQUJD\n\n-----END X-----"
        );
        let b = b"-- -----BEGIN X-----\n-- QUJD";
        assert_eq!(prefixes(b).unwrap(), b"-----BEGIN X-----\nQUJD");
        assert!(prefixes(b"-----BEGIN X-----\n/5QUJD").is_none());
    }

    #[test]
    fn entities_and_percent() {
        assert_eq!(entities(b"a&#10;b&#x2F;c&amp;").unwrap(), b"a\nb/c&");
        assert_eq!(
            percent(b"-----BEGIN%20X-----%0Aa%2Bb").unwrap(),
            b"-----BEGIN X-----\na+b"
        );
    }

    #[test]
    fn one_line_armour() {
        let b = b"-----BEGIN X----- QUJD RUZH -----END X-----";
        assert_eq!(
            rewrap(b).unwrap(),
            b"-----BEGIN X-----\nQUJDRUZH\n-----END X-----\n"
        );
    }

    #[test]
    fn utf16_detection() {
        let le: Vec<u8> = "hello world, a key"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(utf16(&le), Some(false));
        assert_eq!(transcode_utf16(&le, false), b"hello world, a key");
        assert_eq!(utf16(b"plain ascii text, nothing else"), None);
    }

    /// Random nested carriers of random bytes: no panic, every decoding within the bound,
    /// and the number of decodings tried bounded.
    #[test]
    fn nested_random_input_stays_bounded() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let pieces: &[&[u8]] = &[
            b"\\",
            b"\\n",
            b"\\\\",
            b"\"",
            b"'",
            b"`",
            b"&#10;",
            b"&amp;",
            b"%0A",
            b"%",
            b"#",
            b"//",
            b"> ",
            b"<br>",
            b"\n",
            b" ",
            b"-----BEGIN X-----",
            b"-----END X-----",
            b"QUJD",
            b"LS0tLS1CRUdJTi",
            b"\\u002d",
            b":",
            b"=",
        ];
        for _ in 0..500 {
            let n = (next() % 400) as usize;
            let mut b = Vec::new();
            for _ in 0..n {
                b.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
            }
            let mut calls = 0;
            let limit = b.len() * MAX_GROWTH + 4096;
            let r = undo(&b, |d| {
                calls += 1;
                assert!(d.len() <= limit);
                false
            });
            assert!(r.is_none());
            assert!(calls <= MAX_CANDIDATES);
        }
    }
}
