//! A finding as text: paths as reports show them, paths and arguments quoted for the shell
//! commands findings tell the user to run, and secrets redacted to a recognisable hint.

use std::path::Path;

use super::Category;

/// Paths as text. Non-UTF-8 bytes become U+FFFD: reports are text, and the lossy form is
/// still recognisable (the raw bytes travel in no report).
pub fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// `s` quoted for a POSIX shell, for the commands findings tell the user to run (the
/// `chmod` of a permission fix, the `git filter-repo` of a history purge). Plain single
/// quotes where that is exact and printable; otherwise `$'…'` (bash, zsh, ksh, and POSIX
/// since 2024) with every control character escaped, so the command names exactly this
/// path and a terminal shows it safely.
pub fn shell_quote(s: &str) -> String {
    shell_quote_bytes(s.as_bytes())
}

/// [`shell_quote`] of a path's raw bytes: a name that is not UTF-8 is quoted byte for
/// byte, never through a lossy conversion that would name another file.
pub fn shell_quote_path(path: &Path) -> String {
    let shown = path.as_os_str().as_encoded_bytes();
    shell_quote_bytes(shown.strip_prefix(b"./").unwrap_or(shown))
}

fn shell_quote_bytes(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) if !s.chars().any(char::is_control) => {
            format!("'{}'", s.replace('\'', "'\\''"))
        }
        _ => {
            let mut out = String::from("$'");
            for chunk in b.utf8_chunks() {
                for c in chunk.valid().chars() {
                    match c {
                        '\'' => out.push_str("\\'"),
                        '\\' => out.push_str("\\\\"),
                        // Byte by byte: `$'\x85'` is one byte, not U+0085.
                        c if c.is_control() => {
                            for byte in c.to_string().bytes() {
                                out.push_str(&format!("\\x{byte:02x}"));
                            }
                        }
                        c => out.push(c),
                    }
                }
                for byte in chunk.invalid() {
                    out.push_str(&format!("\\x{byte:02x}"));
                }
            }
            out.push('\'');
            out
        }
    }
}

/// What a report may show of a secret: enough to recognise it, never enough to use it.
pub fn redact(category: &Category, secret: &[u8]) -> String {
    let text = String::from_utf8_lossy(secret);
    match category {
        Category::PrivateKey => {
            let first = text
                .split(['\n', '\r'])
                .next()
                .unwrap_or_default()
                .split("\\n")
                .next()
                .unwrap_or_default();
            format!("{} …[redacted {} bytes]", key_hint(first), secret.len())
        }
        Category::AwsAccessKey if text.len() >= 8 => {
            format!("{}…{}", &text[..4], &text[text.len() - 4..])
        }
        _ => {
            let head: String = text.chars().take(4).collect();
            format!("{head}…[redacted]")
        }
    }
}

/// What a private key's first line may show: its armour and nothing after it (a key pasted
/// on one line goes on into the body); a PuTTY file's header; for a base64-wrapped PEM, only
/// the characters that decode to the armour's dashes (`LS0tLS1`, `-----`), never the body.
fn key_hint(first: &str) -> String {
    if let Some(begin) = first.find("BEGIN ") {
        // The armour ends at the dashes after the label (`-----` or SSH2's `----`).
        let label_end = first[begin..]
            .find(" ----")
            .or_else(|| first[begin..].find("-----"))
            .map(|e| begin + e);
        if let Some(end) = label_end {
            let dashes = first[end..]
                .trim_start()
                .bytes()
                .take_while(|&b| b == b'-')
                .count();
            let end = end + (first[end..].len() - first[end..].trim_start().len()) + dashes;
            return first[..end].to_string();
        }
    }
    if first.starts_with("PuTTY-User-Key-File-") {
        return first.chars().take(60).collect();
    }
    let prefix: String = first.chars().take(7).collect();
    format!("{prefix}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_only_a_hint() {
        assert_eq!(
            redact(&Category::AwsAccessKey, b"AKIAJ2FAN53GZUWG6CJZ"),
            "AKIA…6CJZ"
        );
        assert_eq!(
            redact(
                &Category::AwsSecretKey,
                b"3RxxWBtSS9Z4xxIahZ291TtLuIoPeDIEn8WHhXMf"
            ),
            "3Rxx…[redacted]"
        );
        let r = redact(
            &Category::PrivateKey,
            b"-----BEGIN RSA PRIVATE KEY-----\\nMIIE\\n",
        );
        assert_eq!(r, "-----BEGIN RSA PRIVATE KEY----- …[redacted 39 bytes]");
        // Pasted on one line: the hint stops at the armour.
        let r = redact(
            &Category::PrivateKey,
            b"-----BEGIN EC PRIVATE KEY----- MHcCAQEEIBkg4L",
        );
        assert_eq!(r, "-----BEGIN EC PRIVATE KEY----- …[redacted 45 bytes]");
        let r = redact(
            &Category::PrivateKey,
            b"---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nP2/56w",
        );
        assert_eq!(
            r,
            "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ---- …[redacted 49 bytes]"
        );
        // Base64 of a whole PEM: only what decodes to the armour's dashes.
        let r = redact(
            &Category::PrivateKey,
            b"LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSUJrZzRM\n",
        );
        assert_eq!(r, "LS0tLS1… …[redacted 61 bytes]");
    }
}
