//! The SSH wire format (RFC 4251 §5) for public keys, and their fingerprints in the form
//! `ssh-keygen -lf` prints: `SHA256:` + unpadded base64 of SHA-256 over the wire-format
//! public key. Encoding and decoding only; no cryptography.

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Builds a wire-format public key blob.
#[derive(Default)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Writer {
        Writer::default()
    }

    pub fn string(mut self, s: &[u8]) -> Writer {
        self.buf.extend_from_slice(&(s.len() as u32).to_be_bytes());
        self.buf.extend_from_slice(s);
        self
    }

    /// An unsigned big-endian integer as an SSH `mpint`: no leading zero bytes, and one
    /// zero byte added when the high bit is set (so it does not read as negative).
    pub fn mpint(self, unsigned_be: &[u8]) -> Writer {
        let first = unsigned_be
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(unsigned_be.len());
        let v = &unsigned_be[first..];
        if v.first().is_some_and(|&b| b & 0x80 != 0) {
            let mut padded = Vec::with_capacity(v.len() + 1);
            padded.push(0);
            padded.extend_from_slice(v);
            self.string(&padded)
        } else {
            self.string(v)
        }
    }

    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads wire-format fields; every read is bounds-checked and returns `None` past the end.
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { rest: bytes }
    }

    pub fn u32(&mut self) -> Option<u32> {
        let (head, rest) = self.rest.split_first_chunk::<4>()?;
        self.rest = rest;
        Some(u32::from_be_bytes(*head))
    }

    pub fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(b)
    }

    pub fn string(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.u32()?).ok()?;
        if len > self.rest.len() {
            return None;
        }
        let (s, rest) = self.rest.split_at(len);
        self.rest = rest;
        Some(s)
    }

    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (s, rest) = self.rest.split_at(n);
        self.rest = rest;
        Some(s)
    }

    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

/// `SHA256:…` of a wire-format public key blob.
pub fn fingerprint(blob: &[u8]) -> String {
    let digest = Sha256::digest(blob);
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
    )
}

/// What a public key blob is: algorithm name, curve, size in bits. Unknown key types keep
/// their type string as the algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub algorithm: String,
    pub curve: Option<String>,
    pub bits: Option<u32>,
}

pub fn describe(blob: &[u8]) -> Option<Described> {
    let mut r = Reader::new(blob);
    let kind = std::str::from_utf8(r.string()?).ok()?;
    let d = |a: &str, c: Option<&str>, b: Option<u32>| Described {
        algorithm: a.to_string(),
        curve: c.map(str::to_string),
        bits: b,
    };
    Some(match kind {
        "ssh-rsa" => {
            let _e = r.string()?;
            d("rsa", None, Some(bit_len(r.string()?)))
        }
        "ssh-dss" => d("dsa", None, Some(bit_len(r.string()?))),
        "ssh-ed25519" => d("ed25519", None, Some(256)),
        "sk-ssh-ed25519@openssh.com" => d("sk-ed25519", None, Some(256)),
        k if k.starts_with("ecdsa-sha2-") => {
            let curve = std::str::from_utf8(r.string()?).ok()?;
            d("ecdsa", Some(curve), curve_bits(curve))
        }
        k if k.starts_with("sk-ecdsa-sha2-") => {
            let curve = std::str::from_utf8(r.string()?).ok()?;
            d("sk-ecdsa", Some(curve), curve_bits(curve))
        }
        other => d(other, None, None),
    })
}

pub fn curve_bits(curve: &str) -> Option<u32> {
    match curve {
        "nistp256" => Some(256),
        "nistp384" => Some(384),
        "nistp521" => Some(521),
        _ => None,
    }
}

/// Bits in an unsigned big-endian integer (an `mpint` body).
pub fn bit_len(be: &[u8]) -> u32 {
    let first = be.iter().position(|&b| b != 0).unwrap_or(be.len());
    let v = &be[first..];
    match v.first() {
        None => 0,
        Some(&top) => (v.len() as u32 - 1) * 8 + (8 - top.leading_zeros()),
    }
}

/// Public keys in an `authorized_keys` or `.pub` file: for each line that holds one
/// (options before the key type are allowed), its 1-based line number and fingerprint.
pub fn public_keys_in(text: &[u8]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = String::from_utf8_lossy(line);
        let tokens: Vec<&str> = line.split_whitespace().collect();
        for w in tokens.windows(2) {
            let [kind, data] = w else { continue };
            if !(kind.starts_with("ssh-") || kind.starts_with("ecdsa-") || kind.starts_with("sk-"))
            {
                continue;
            }
            let Ok(blob) = base64::engine::general_purpose::STANDARD.decode(data) else {
                continue;
            };
            if Reader::new(&blob).string() == Some(kind.as_bytes()) {
                out.push((i + 1, fingerprint(&blob)));
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mpint_encoding() {
        assert_eq!(
            Writer::new().mpint(&[0, 0, 0x7f]).finish(),
            [0, 0, 0, 1, 0x7f]
        );
        assert_eq!(Writer::new().mpint(&[0x80]).finish(), [0, 0, 0, 2, 0, 0x80]);
        assert_eq!(Writer::new().mpint(&[0, 0]).finish(), [0, 0, 0, 0]);
    }

    #[test]
    fn bits() {
        assert_eq!(bit_len(&[0, 1]), 1);
        assert_eq!(bit_len(&[0x80, 0]), 16);
        assert_eq!(bit_len(&[]), 0);
    }

    #[test]
    fn reader_never_reads_past_the_end() {
        let mut r = Reader::new(&[0, 0, 0, 9, 1, 2]);
        assert_eq!(r.string(), None);
        assert_eq!(Reader::new(&[0, 0]).u32(), None);
    }
}
