//! Undoing a PEM block's carrier: JSON and `.env` `\n` escapes, CRLF, YAML indentation,
//! quoted and concatenated source-code lines, Markdown and heredocs. What comes out is
//! the armour label, its header fields and the base64 body, as if the block had been
//! written to a file of its own.
//!
//! Pure byte work: no I/O, no allocation beyond the returned body. Used by the scan
//! core's validators (is this a real key or a placeholder?) and by the finding id (the
//! same key must have the same id in every carrier).

/// A PEM (or PGP / SSH2) armoured block after its carrier is removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Armored {
    /// What stands between `BEGIN ` and the dashes: `RSA PRIVATE KEY`, `OPENSSH PRIVATE KEY`,
    /// `PGP PRIVATE KEY BLOCK`, `SSH2 ENCRYPTED PRIVATE KEY`.
    pub label: String,
    /// `Name: value` lines before the body (`Proc-Type`, `DEK-Info`, `Comment`, `Version`).
    pub headers: Vec<(String, String)>,
    /// The base64 body with every carrier byte removed (PGP's `=XXXX` checksum excluded).
    pub body: Vec<u8>,
    /// An END line with the same label closed the block.
    pub complete: bool,
}

impl Armored {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `Proc-Type: 4,ENCRYPTED` header of legacy-encrypted PEM.
    pub fn legacy_encrypted(&self) -> bool {
        self.header("Proc-Type")
            .is_some_and(|v| v.contains("ENCRYPTED"))
    }
}

/// Splits a block into its logical lines: real newlines and the two-byte `\n` escape of
/// JSON, `.env` files and source-code strings both end a line.
pub(crate) fn logical_lines(block: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = block;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut i = 0;
        while i < rest.len() {
            match rest[i] {
                b'\n' => {
                    let line = &rest[..i];
                    rest = &rest[i + 1..];
                    return Some(line);
                }
                b'\\' if matches!(rest.get(i + 1), Some(b'n')) => {
                    let line = &rest[..i];
                    rest = &rest[i + 2..];
                    return Some(line);
                }
                _ => i += 1,
            }
        }
        let line = rest;
        rest = &[];
        Some(line)
    })
}

/// Bytes a carrier puts around a line of the block: whitespace, quotes, YAML block
/// indicators, list commas, statement ends, escaped CRs, and string-concatenation `+`.
/// A `+` is also a base64 character, so it is taken as an operator only when whitespace
/// or a quote separates it from the line's text (`"…" +`, `+ "…"`), never when it is
/// part of the body (`…m51+`).
pub(crate) fn trim_carrier(line: &[u8]) -> &[u8] {
    let is_quote = |b: u8| matches!(b, b'"' | b'\'' | b'`');
    let is_lead = |b: u8| b.is_ascii_whitespace() || is_quote(b) || matches!(b, b'|' | b'>' | b',');
    let is_trail =
        |b: u8| b.is_ascii_whitespace() || is_quote(b) || matches!(b, b',' | b';' | b')' | b'.');
    let separated = |b: Option<&u8>| b.is_none_or(|&b| b.is_ascii_whitespace() || is_quote(b));
    let mut s = line;
    loop {
        let before = s.len();
        while let [b, rest @ ..] = s {
            if is_lead(*b) || (*b == b'+' && separated(rest.first())) {
                s = rest;
            } else {
                break;
            }
        }
        while let [rest @ .., b] = s {
            if is_trail(*b) || (*b == b'+' && separated(rest.last())) {
                s = rest;
            } else {
                break;
            }
        }
        // `\r` and `\t` escapes at either end (CRLF inside a JSON string).
        if let Some(r) = s.strip_suffix(b"\\r").or_else(|| s.strip_suffix(b"\\t")) {
            s = r;
        }
        if let Some(r) = s.strip_prefix(b"\\t") {
            s = r;
        }
        if s.len() == before {
            return s;
        }
    }
}

fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
}

/// Parses an armour line `-----BEGIN LABEL-----` or `---- BEGIN LABEL ----` and returns
/// the label.
fn armour_label<'a>(line: &'a [u8], word: &[u8]) -> Option<&'a [u8]> {
    let s = line.strip_prefix(b"----")?;
    let s = s.strip_prefix(b"-").unwrap_or(s);
    let s = s.strip_prefix(b" ").unwrap_or(s);
    let s = s.strip_prefix(word)?;
    let s = s.strip_prefix(b" ")?;
    let end = s.iter().position(|&b| b == b'-')?;
    let label = &s[..end];
    let label = label.strip_suffix(b" ").unwrap_or(label);
    if s[end..].starts_with(b"----") && !label.is_empty() {
        Some(label)
    } else {
        None
    }
}

/// Parses the block `bytes`, which starts at its BEGIN line. Returns `None` when it is not
/// an armoured block at all: a BEGIN line that is not one, or a body holding anything but
/// base64 (source code between two header constants, a `...` or `<paste key here>`
/// placeholder).
/// The armoured block a private-key match carries: the match itself, or the block a
/// base64-encoded key (a Kubernetes Secret's value) decodes to. `None` for other
/// validators, and for bytes that hold no block.
pub fn armored_key(validator: crate::rules::Validator, secret: &[u8]) -> Option<Armored> {
    use crate::rules::Validator;
    match validator {
        Validator::PemPrivateKey => parse(secret),
        Validator::Base64PemPrivateKey => decode_base64_loose(secret).and_then(|d| parse(&d)),
        _ => None,
    }
}

pub fn parse(bytes: &[u8]) -> Option<Armored> {
    // `\/` is how some JSON encoders write `/`.
    let unescaped;
    let bytes = if memchr::memmem::find(bytes, b"\\/").is_some() {
        unescaped = replace(bytes, b"\\/", b"/");
        &unescaped[..]
    } else {
        bytes
    };
    let mut lines = logical_lines(bytes).map(trim_carrier);
    let label = armour_label(lines.next()?, b"BEGIN")?;
    let mut out = Armored {
        label: String::from_utf8_lossy(label).into_owned(),
        headers: Vec::new(),
        body: Vec::new(),
        complete: false,
    };
    let mut in_body = false;
    let mut continued = false;
    for line in lines {
        if line.is_empty() {
            continue;
        }
        if let Some(end) = armour_label(line, b"END") {
            out.complete = end == label;
            break;
        }
        if !in_body {
            if continued {
                // SSH2 header values continue onto the next line after a trailing `\`.
                continued = line.ends_with(b"\\");
                continue;
            }
            if let Some(colon) = line.iter().position(|&b| b == b':') {
                let name = &line[..colon];
                if !name.is_empty()
                    && name
                        .iter()
                        .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    let value = trim_carrier(&line[colon + 1..]);
                    continued = value.ends_with(b"\\");
                    out.headers.push((
                        String::from_utf8_lossy(name).into_owned(),
                        String::from_utf8_lossy(value).into_owned(),
                    ));
                    continue;
                }
            }
        }
        if !line.iter().all(|&b| is_base64(b)) {
            return None;
        }
        // PGP armour ends its body with a `=XXXX` CRC-24 line.
        if line.len() == 5 && line[0] == b'=' && !out.body.is_empty() {
            continue;
        }
        in_body = true;
        out.body.extend_from_slice(line);
    }
    Some(out)
}

/// Decodes standard base64, with or without padding: the carrier of Kubernetes `Secret`
/// data and of base64-wrapped PEM files.
pub fn decode_base64_loose(encoded: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    engine.decode(encoded).ok()
}

/// `hay` with every `from` replaced by `to`.
pub(crate) fn replace(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut last = 0;
    for i in memchr::memmem::find_iter(hay, from) {
        out.extend_from_slice(&hay[last..i]);
        out.extend_from_slice(to);
        last = i + from.len();
    }
    out.extend_from_slice(&hay[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu";

    #[test]
    fn plain_block() {
        let b = format!("-----BEGIN RSA PRIVATE KEY-----\n{BODY}\n-----END RSA PRIVATE KEY-----\n");
        let a = parse(b.as_bytes()).unwrap();
        assert_eq!(a.label, "RSA PRIVATE KEY");
        assert_eq!(a.body, BODY.as_bytes());
        assert!(a.complete);
    }

    #[test]
    fn json_escaped_with_escaped_slashes_and_crlf() {
        let body = BODY.replace('/', "\\/");
        let b =
            format!("-----BEGIN PRIVATE KEY-----\\r\\n{body}\\r\\n-----END PRIVATE KEY-----\\n");
        let a = parse(b.as_bytes()).unwrap();
        assert_eq!(a.body, BODY.as_bytes());
        assert!(a.complete);
    }

    #[test]
    fn quoted_source_lines() {
        let b = format!(
            "-----BEGIN EC PRIVATE KEY-----\\n\"\n    \"{BODY}\\n\" +\n    \"-----END EC PRIVATE KEY-----\\n\""
        );
        let a = parse(b.as_bytes()).unwrap();
        assert_eq!(a.body, BODY.as_bytes());
        assert!(a.complete);
    }

    /// Regression: `+` is base64, and must survive at either end of a body line.
    #[test]
    fn plus_is_body_unless_it_is_an_operator() {
        assert_eq!(trim_carrier(b"m51+"), b"m51+");
        assert_eq!(trim_carrier(b"+AAAA"), b"+AAAA");
        assert_eq!(trim_carrier(b"  \"m51+\" +"), b"m51+");
        assert_eq!(trim_carrier(b"+ \"+AAAA\\n\""), b"+AAAA\\n");
    }

    #[test]
    fn legacy_headers() {
        let b = format!(
            "-----BEGIN RSA PRIVATE KEY-----\r\nProc-Type: 4,ENCRYPTED\r\nDEK-Info: AES-128-CBC,00FF\r\n\r\n{BODY}\r\n-----END RSA PRIVATE KEY-----"
        );
        let a = parse(b.as_bytes()).unwrap();
        assert!(a.legacy_encrypted());
        assert_eq!(a.header("dek-info"), Some("AES-128-CBC,00FF"));
    }

    #[test]
    fn placeholders_and_code_have_no_body() {
        for body in ["...", "<paste your key here>", "x = load(key); return x"] {
            let b =
                format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----");
            assert!(
                parse(b.as_bytes()).is_none_or(|a| a.body.is_empty()),
                "{body}"
            );
        }
    }

    #[test]
    fn ssh2_armour() {
        let b = format!(
            "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: \"rsa-key-\\\nmore\"\n{BODY}\n---- END SSH2 ENCRYPTED PRIVATE KEY ----\n"
        );
        let a = parse(b.as_bytes()).unwrap();
        assert_eq!(a.label, "SSH2 ENCRYPTED PRIVATE KEY");
        assert_eq!(a.body, BODY.as_bytes());
        assert!(a.complete);
    }
}
