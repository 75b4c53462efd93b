//! What a leaked private key is: format, algorithm, size, whether a passphrase protects it,
//! its comment, and its public-key fingerprint (the string `ssh-keygen -lf` prints).
//!
//! Every format the scanner finds is parsed after its carrier is undone (`scan::pem`):
//! OpenSSH, PKCS#1, SEC1, PKCS#8 (plain and encrypted), legacy-encrypted PEM, OpenSSL's
//! DSA, PuTTY PPK v1–v3, PGP and SSH2. Containers (OpenSSH, PuTTY, PGP packets) are read
//! here; ASN.1 and the derivation of a public key from a private one are left to
//! RustCrypto's crates. Nothing here decrypts, and garbage never panics: every parse is
//! bounds-checked and a failure yields `valid: false`, with what failed. A fingerprint is
//! given only when a real key has it: the numbers are checked where it is cheap (an EC
//! point on its curve, `n = p*q`, DSA's `y = g^x mod p`, no degenerate private number).

use crate::finding::KeyFacts;
use base64::Engine as _;
use der::Decode as _;

use super::ssh_wire::{self, Reader, Writer};
use crate::rules::Validator;
use crate::scan::pem::{self, Armored};

/// Fills a key's facts from its public half.
trait WithPublic {
    fn with_public_blob(self, blob: &[u8]) -> KeyFacts;
    /// Not a key, for `reason` (which never holds key material): no fingerprint, since no
    /// real key has the one its numbers would give.
    fn invalid(self, reason: impl Into<String>) -> KeyFacts;
}

impl WithPublic for KeyFacts {
    /// Fills algorithm, curve, bits and fingerprint from a wire-format public key.
    fn with_public_blob(mut self, blob: &[u8]) -> KeyFacts {
        if let Some(d) = ssh_wire::describe(blob) {
            self.algorithm = Some(d.algorithm);
            self.curve = d.curve;
            self.bits = d.bits;
            if let Err(why) = public_blob_check(blob) {
                return self.invalid(why);
            }
            self.sha256 = Some(ssh_wire::fingerprint(blob));
            self.valid = true;
        }
        self
    }

    fn invalid(mut self, reason: impl Into<String>) -> KeyFacts {
        self.valid = false;
        self.sha256 = None;
        self.invalid_reason = Some(reason.into());
        self
    }
}

/// Analyses the secret a private-key rule matched (its validator says how it is carried).
pub fn analyse(validator: Option<Validator>, secret: &[u8]) -> Option<KeyFacts> {
    match validator? {
        v @ (Validator::PemPrivateKey | Validator::Base64PemPrivateKey) => {
            pem::armored_key(v, secret).map(|a| armored(&a))
        }
        Validator::PuttyPrivateKey => Some(putty(secret)),
        Validator::AgeSecretKey => age(secret),
        Validator::WireguardPrivateKey => wireguard(secret),
        Validator::AwsKeyId
        | Validator::AwsSecretKey
        | Validator::AwsLabelledSecret
        | Validator::AwsSessionToken
        | Validator::AwsLabelledSessionToken
        | Validator::GithubToken
        | Validator::PypiToken
        | Validator::ProviderToken => None,
    }
}

/// A WireGuard private key: an X25519 scalar. Its public half, in base64, is what `wg
/// pubkey` prints and every peer lists as `PublicKey =`: kept as the comment.
fn wireguard(secret: &[u8]) -> Option<KeyFacts> {
    use base64::Engine as _;
    let scalar = crate::scan::token::wireguard_key(secret)?;
    let public = curve25519_dalek::MontgomeryPoint::mul_base_clamped(scalar).to_bytes();
    let mut f = KeyFacts::new("wireguard");
    f.algorithm = Some("x25519".into());
    f.bits = Some(256);
    f.valid = true;
    f.sha256 = Some(super::ssh_wire::fingerprint(&public));
    f.comment = Some(base64::engine::general_purpose::STANDARD.encode(public));
    Some(f)
}

/// An `age` secret key: an X25519 scalar. Its recipient (`age1…`, the public half) is
/// what files are encrypted to, so it is the key's name: kept as the comment. The
/// fingerprint is the SHA-256 of the 32 public-key bytes, as for any key here.
fn age(secret: &[u8]) -> Option<KeyFacts> {
    let scalar = crate::scan::token::age_secret_key(secret)?;
    let public = curve25519_dalek::MontgomeryPoint::mul_base_clamped(scalar).to_bytes();
    let mut f = KeyFacts::new("age");
    f.algorithm = Some("x25519".into());
    f.bits = Some(256);
    f.valid = true;
    f.sha256 = Some(super::ssh_wire::fingerprint(&public));
    f.comment = Some(crate::scan::token::bech32_encode(b"age", &public));
    Some(f)
}

/// Runs every binary container parser on raw bytes (as if they were a decoded key body).
/// For the fuzz target (`fuzz/`): a base64 body is rarely what random input is, so the
/// parsers behind the armour are fuzzed directly too.
#[doc(hidden)]
pub fn parse_containers(bytes: &[u8]) -> [KeyFacts; 6] {
    [
        openssh(bytes),
        pgp(bytes),
        pkcs8(Some(bytes)),
        pkcs1(Some(bytes), "pkcs1"),
        sec1(Some(bytes), CurveParams::Absent, "sec1"),
        dsa_openssl(Some(bytes)),
    ]
}

fn armored(a: &Armored) -> KeyFacts {
    let der = pem::decode_base64_loose(&a.body);
    // Old tools wrote BER lengths (long forms where a short one does, indefinite lengths)
    // that ssh-keygen reads: they are read as the DER they stand for.
    let der = der.map(|d| {
        if is_der_label(&a.label) {
            ber_to_der(&d).unwrap_or(d)
        } else {
            d
        }
    });
    let legacy = a.legacy_encrypted();
    let legacy_facts = |format: &'static str, algorithm: &str| {
        let mut f = KeyFacts::new(format);
        f.algorithm = Some(algorithm.to_string());
        f.encrypted = true;
        // Nothing in the ciphertext can be checked without the passphrase: a body that
        // decodes and is a whole number of cipher blocks is as valid as we can tell.
        f.valid = der
            .as_ref()
            .is_some_and(|d| !d.is_empty() && d.len() % 8 == 0);
        f
    };
    let mut facts = match a.label.as_str() {
        "OPENSSH PRIVATE KEY" => der.as_deref().map_or(KeyFacts::new("openssh"), openssh),
        "RSA PRIVATE KEY" if legacy => legacy_facts("pkcs1", "rsa"),
        "EC PRIVATE KEY" if legacy => legacy_facts("sec1", "ecdsa"),
        "DSA PRIVATE KEY" if legacy => legacy_facts("dsa-openssl", "dsa"),
        "RSA PRIVATE KEY" => pkcs1(der.as_deref(), "pkcs1"),
        "EC PRIVATE KEY" => sec1(der.as_deref(), CurveParams::Absent, "sec1"),
        "DSA PRIVATE KEY" => dsa_openssl(der.as_deref()),
        "PRIVATE KEY" => pkcs8(der.as_deref()),
        "ENCRYPTED PRIVATE KEY" => {
            let mut f = KeyFacts::new("pkcs8-encrypted");
            f.encrypted = true;
            f.valid = der.as_deref().is_some_and(encrypted_pkcs8_shape);
            f
        }
        "PGP PRIVATE KEY BLOCK" => der.as_deref().map_or(KeyFacts::new("pgp"), pgp),
        "SSH2 ENCRYPTED PRIVATE KEY" => ssh2(der.as_deref(), a),
        _ => KeyFacts::new("pem"),
    };
    if !a.complete {
        facts = facts.invalid("armour is not complete");
    }
    if !facts.valid && facts.invalid_reason.is_none() {
        facts.invalid_reason = Some(match &der {
            None => "base64 body does not decode".to_string(),
            Some(d) if is_der_label(&a.label) => der_error(d),
            Some(_) => format!("{}: body does not parse", facts.format),
        });
    }
    facts
}

/// A key's body in the form its content id is made from: the base64 body, or for a body
/// in BER, the base64 of the DER it stands for, so that its copies share one id.
pub fn canonical_body(a: &Armored) -> Vec<u8> {
    if is_der_label(&a.label)
        && let Some(der) = pem::decode_base64_loose(&a.body).and_then(|d| ber_to_der(&d))
    {
        return base64::engine::general_purpose::STANDARD
            .encode(der)
            .into_bytes();
    }
    a.body.clone()
}

/// Labels whose body is DER.
fn is_der_label(label: &str) -> bool {
    matches!(
        label,
        "RSA PRIVATE KEY"
            | "EC PRIVATE KEY"
            | "DSA PRIVATE KEY"
            | "PRIVATE KEY"
            | "ENCRYPTED PRIVATE KEY"
    )
}

/// What is wrong with a DER body that did not parse, in the der crate's words (a tag, a
/// length, a byte offset: never the bytes themselves).
fn der_error(d: &[u8]) -> String {
    match der::asn1::AnyRef::from_der(d) {
        Err(e) => format!("DER: {e}"),
        Ok(_) => "DER: not the structure its label names".to_string(),
    }
}

/// The DER a BER encoding stands for, when the two differ only in how lengths are written
/// (a long form where a short one does, leading zero length bytes, indefinite lengths of
/// constructed values). `None` when `ber` is already DER or is not one whole TLV of that
/// kind. Nesting is bounded.
pub fn ber_to_der(ber: &[u8]) -> Option<Vec<u8>> {
    /// One TLV at the start of `b`, appended to `out` as DER: the bytes it took.
    fn one(b: &[u8], out: &mut Vec<u8>, depth: u32, changed: &mut bool) -> Option<usize> {
        if depth > 16 {
            return None;
        }
        let (&tag, rest) = b.split_first()?;
        if tag & 0x1f == 0x1f {
            return None; // high tag numbers: never in a key
        }
        let (&l0, rest) = rest.split_first()?;
        let head = 2;
        let (len, head) = match l0 {
            0..=0x7f => (Some(l0 as usize), head),
            0x80 => (None, head),
            _ => {
                let n = (l0 & 0x7f) as usize;
                let bytes = rest.get(..n)?;
                if n > 8 {
                    return None;
                }
                let v = bytes.iter().fold(0u64, |v, &x| (v << 8) | u64::from(x));
                let minimal = v >= 0x80 && bytes[0] != 0;
                if !minimal {
                    *changed = true;
                }
                (Some(usize::try_from(v).ok()?), head + n)
            }
        };
        let constructed = tag & 0x20 != 0;
        let mut content = Vec::new();
        let used = match len {
            Some(len) => {
                let body = b.get(head..head.checked_add(len)?)?;
                if constructed {
                    let mut at = 0;
                    while at < body.len() {
                        at += one(&body[at..], &mut content, depth + 1, changed)?;
                    }
                } else {
                    content.extend_from_slice(body);
                }
                head + len
            }
            None if constructed => {
                *changed = true;
                let mut at = head;
                loop {
                    let rest = b.get(at..)?;
                    if rest.starts_with(&[0, 0]) {
                        break at + 2;
                    }
                    at += one(rest, &mut content, depth + 1, changed)?;
                }
            }
            None => return None,
        };
        out.push(tag);
        let n = content.len();
        if n < 0x80 {
            out.push(n as u8);
        } else {
            let bytes = n.to_be_bytes();
            let skip = bytes.iter().position(|&x| x != 0).unwrap_or(bytes.len());
            out.push(0x80 | (bytes.len() - skip) as u8);
            out.extend_from_slice(&bytes[skip..]);
        }
        out.extend_from_slice(&content);
        Some(used)
    }
    let mut out = Vec::with_capacity(ber.len());
    let mut changed = false;
    let used = one(ber, &mut out, 0, &mut changed)?;
    (changed && used == ber.len()).then_some(out)
}

/// `EncryptedPrivateKeyInfo ::= SEQUENCE { AlgorithmIdentifier, OCTET STRING }` with a
/// non-empty ciphertext: all that can be checked without the passphrase (and without
/// pulling the ciphers in).
pub(crate) fn encrypted_pkcs8_shape(der: &[u8]) -> bool {
    use der::Reader as _;
    let Ok(mut r) = der::SliceReader::new(der) else {
        return false;
    };
    r.sequence(|r| {
        let _alg: pkcs8::spki::AlgorithmIdentifierRef = r.decode()?;
        let data: der::asn1::OctetStringRef = r.decode()?;
        Ok(!data.as_bytes().is_empty())
    })
    .unwrap_or(false)
}

/// `openssh-key-v1`: the public key is stored in clear even when the private part is
/// encrypted, so the fingerprint is always known, for any key type.
fn openssh(bytes: &[u8]) -> KeyFacts {
    let f = KeyFacts::new("openssh");
    let Some(rest) = bytes.strip_prefix(b"openssh-key-v1\0") else {
        return f.invalid("OpenSSH: no openssh-key-v1 magic");
    };
    let mut r = Reader::new(rest);
    let (Some(cipher), Some(_kdf), Some(_kdfopts), Some(n)) =
        (r.string(), r.string(), r.string(), r.u32())
    else {
        return f.invalid("OpenSSH: header does not parse");
    };
    let mut f = KeyFacts {
        encrypted: cipher != b"none",
        ..f
    };
    if n == 0 {
        return f.invalid("OpenSSH: the file holds no key");
    }
    let Some(public) = r.string() else {
        return f.invalid("OpenSSH: public key does not parse");
    };
    f = f.with_public_blob(public);
    // The public half is sound (its fingerprint stays): what follows it is not.
    let broken = |mut f: KeyFacts, why: &str| {
        f.valid = false;
        f.invalid_reason.get_or_insert_with(|| why.to_string());
        f
    };
    for _ in 1..n {
        if r.string().is_none() {
            return broken(f, "OpenSSH: public key does not parse");
        }
    }
    let Some(private) = r.string() else {
        return broken(f, "OpenSSH: private section is missing or truncated");
    };
    if !f.encrypted {
        match openssh_comment(private) {
            Some(comment) => f.comment = comment,
            None => {
                return broken(
                    f,
                    "OpenSSH: private section does not parse (check words differ or a field overruns)",
                );
            }
        }
    }
    f
}

/// The comment after the first private key of an unencrypted private section; `None` when
/// the section is malformed (check integers differ, fields run past the end).
fn openssh_comment(private: &[u8]) -> Option<Option<String>> {
    let mut r = Reader::new(private);
    if r.u32()? != r.u32()? {
        return None;
    }
    let kind = r.string()?;
    // How many wire fields (strings or mpints) each private key has before the comment;
    // security-key types have a flags byte after their first `strings_before_flags`.
    let (fields, flags_after) = match kind {
        b"ssh-rsa" => (6, None),
        b"ssh-dss" => (5, None),
        b"ssh-ed25519" => (2, None),
        k if k.starts_with(b"ecdsa-sha2-") => (3, None),
        k if k.starts_with(b"sk-ecdsa-sha2-") => (5, Some(3)),
        b"sk-ssh-ed25519@openssh.com" => (4, Some(2)),
        _ => return Some(None),
    };
    for i in 0..fields {
        if flags_after == Some(i) {
            r.u8()?;
        }
        r.string()?;
    }
    let comment = r.string()?;
    Some((!comment.is_empty()).then(|| String::from_utf8_lossy(comment).into_owned()))
}

fn rsa_blob(n: &[u8], e: &[u8]) -> Vec<u8> {
    Writer::new().string(b"ssh-rsa").mpint(e).mpint(n).finish()
}

fn dsa_blob(p: &[u8], q: &[u8], g: &[u8], y: &[u8]) -> Vec<u8> {
    Writer::new()
        .string(b"ssh-dss")
        .mpint(p)
        .mpint(q)
        .mpint(g)
        .mpint(y)
        .finish()
}

fn ed25519_blob(public: &[u8]) -> Vec<u8> {
    Writer::new().string(b"ssh-ed25519").string(public).finish()
}

fn pkcs1(der: Option<&[u8]>, format: &'static str) -> KeyFacts {
    let f = KeyFacts {
        algorithm: Some("rsa".into()),
        ..KeyFacts::new(format)
    };
    // Inside PKCS#8 the key is an OCTET STRING's contents, which the outer BER pass does
    // not reach: it may be BER too.
    let inner = der.and_then(ber_to_der);
    let key = match inner.as_deref().or(der).map(pkcs1::RsaPrivateKey::from_der) {
        Some(Ok(key)) => key,
        Some(Err(e)) => return f.invalid(format!("RSA: {e}")),
        None => return f,
    };
    let f = f.with_public_blob(&rsa_blob(
        key.modulus.as_bytes(),
        key.public_exponent.as_bytes(),
    ));
    match rsa_check(
        key.modulus.as_bytes(),
        key.prime1.as_bytes(),
        key.prime2.as_bytes(),
        key.private_exponent.as_bytes(),
    ) {
        Ok(()) => f,
        Err(why) => f.invalid(why),
    }
}

/// What an RSA private key's numbers must be for it to be a key: `n = p*q` (checked in
/// full, keys up to 8192 bits), and no number a degenerate run of one byte.
fn rsa_check(n: &[u8], p: &[u8], q: &[u8], d: &[u8]) -> Result<(), &'static str> {
    use crypto_bigint::{Encoding as _, U4096, U8192};
    if degenerate(d) || degenerate(p) || degenerate(q) {
        return Err("RSA: degenerate private numbers");
    }
    let (Some(p), Some(q), Some(n)): (Option<U4096>, Option<U4096>, Option<U8192>) =
        (uint(p), uint(q), uint(n))
    else {
        return Err("RSA: numbers too large");
    };
    let (lo, hi) = p.mul_wide(&q);
    let mut product = [0u8; 1024];
    product[..512].copy_from_slice(&hi.to_be_bytes());
    product[512..].copy_from_slice(&lo.to_be_bytes());
    if U8192::from_be_slice(&product) != n || p <= U4096::ONE {
        return Err("RSA: n != p*q");
    }
    Ok(())
}

/// An unsigned big-endian integer as a fixed-width one; `None` when it does not fit.
fn uint<const L: usize>(be: &[u8]) -> Option<crypto_bigint::Uint<L>> {
    let be = &be[be.iter().position(|&b| b != 0).unwrap_or(be.len())..];
    let width = L * crypto_bigint::Limb::BYTES;
    if be.len() > width {
        return None;
    }
    let mut buf = vec![0u8; width];
    buf[width - be.len()..].copy_from_slice(be);
    Some(crypto_bigint::Uint::<L>::from_be_slice(&buf))
}

/// A private number that is one byte repeated (`/////…` in base64, zeros): a placeholder
/// or a damaged copy, never a key anyone generated.
fn degenerate(be: &[u8]) -> bool {
    be.len() >= 8 && be.iter().all(|&b| b == be[0])
}

const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_P521: &str = "1.3.132.0.35";

fn ecdsa_blob(curve: &str, point: &[u8]) -> Vec<u8> {
    Writer::new()
        .string(format!("ecdsa-sha2-{curve}").as_bytes())
        .string(curve.as_bytes())
        .string(point)
        .finish()
}

/// The SSH name of a named curve's OID.
fn curve_of_oid(oid: &str) -> Option<&'static str> {
    match oid {
        OID_P256 => Some("nistp256"),
        OID_P384 => Some("nistp384"),
        OID_P521 => Some("nistp521"),
        _ => None,
    }
}

/// What a key's curve parameters say: a NIST curve (by OID, or explicit parameters equal
/// to its own), another curve, or nothing.
enum CurveParams {
    Nist(&'static str),
    Other,
    Absent,
}

impl CurveParams {
    fn of(nist: Option<&'static str>) -> CurveParams {
        nist.map_or(CurveParams::Other, CurveParams::Nist)
    }
}

/// SEC1 `EC PRIVATE KEY` (alone, or inside PKCS#8 whose algorithm names the curve). The
/// public point is usually stored (and must then be on the curve); when it is not, it is
/// derived from the private scalar. Curves given by explicit parameters are recognised
/// when they are a NIST curve's, as ssh-keygen recognises them.
fn sec1(der: Option<&[u8]>, outer: CurveParams, format: &'static str) -> KeyFacts {
    let mut f = KeyFacts::new(format);
    f.algorithm = Some("ecdsa".into());
    let Some(der) = der else { return f };
    // BER inside PKCS#8's OCTET STRING (see `pkcs1`).
    let inner = ber_to_der(der);
    let der = inner.as_deref().unwrap_or(der);
    let (scalar, params, point) = match sec1::EcPrivateKey::from_der(der) {
        Ok(key) => {
            let params = match key.parameters.and_then(|p| p.named_curve()) {
                Some(oid) => CurveParams::of(curve_of_oid(&oid.to_string())),
                None => CurveParams::Absent,
            };
            (key.private_key, params, key.public_key)
        }
        Err(e) => match ec_private_key_explicit(der) {
            Some(k) => k,
            None => return f.invalid(format!("DER: {e}")),
        },
    };
    let curve = match (params, outer) {
        (CurveParams::Nist(c), _) | (CurveParams::Absent, CurveParams::Nist(c)) => c,
        _ => {
            f.valid = true;
            return f;
        }
    };
    f.curve = Some(curve.into());
    f.bits = ssh_wire::curve_bits(curve);
    if degenerate(scalar) {
        return f.invalid("EC: degenerate private scalar");
    }
    let point = match point {
        Some(p) => uncompressed_point(curve, p).ok_or("EC: public point is not on the named curve"),
        None => {
            derive_ec_point(curve, scalar).ok_or("EC: private scalar is not in the curve's range")
        }
    };
    match point {
        Ok(p) => f.with_public_blob(&ecdsa_blob(curve, &p)),
        Err(why) => f.invalid(why),
    }
}

/// One DER TLV at the start of `b`: (tag, contents, the rest).
pub(crate) fn der_tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&l0, rest) = rest.split_first()?;
    let (len, rest) = if l0 < 0x80 {
        (l0 as usize, rest)
    } else {
        let n = (l0 & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = rest.get(..n)?;
        (
            bytes.iter().fold(0usize, |v, &x| (v << 8) | x as usize),
            &rest[n..],
        )
    };
    let contents = rest.get(..len)?;
    Some((tag, contents, &rest[len..]))
}

/// A DER TLV with tag `want`: (contents, the rest).
pub(crate) fn der_expect(b: &[u8], want: u8) -> Option<(&[u8], &[u8])> {
    let (tag, contents, rest) = der_tlv(b)?;
    (tag == want).then_some((contents, rest))
}

/// An EC private key's parts: (scalar, what its curve parameters are, stored point).
type EcParts<'a> = (&'a [u8], CurveParams, Option<&'a [u8]>);

/// `ECPrivateKey` whose `[0]` parameters are explicit (a SEQUENCE, which the sec1 crate
/// does not read): (scalar, what the parameters are, stored point).
fn ec_private_key_explicit(der: &[u8]) -> Option<EcParts<'_>> {
    let (body, _) = der_expect(der, 0x30)?;
    let (version, rest) = der_expect(body, 0x02)?;
    let (scalar, mut rest) = der_expect(rest, 0x04)?;
    if version != [1] {
        return None;
    }
    let mut params = CurveParams::Absent;
    let mut point = None;
    while !rest.is_empty() {
        let (tag, inner, after) = der_tlv(rest)?;
        rest = after;
        match tag {
            0xa0 => {
                let (seq, _) = der_expect(inner, 0x30)?;
                params = CurveParams::of(explicit_curve(seq));
            }
            0xa1 => {
                let (bits, _) = der_expect(inner, 0x03)?;
                // A BIT STRING with no unused bits.
                point = Some(bits.strip_prefix(&[0])?);
            }
            _ => return None,
        }
    }
    Some((scalar, params, point))
}

/// The NIST curve that explicit `ECParameters` (the contents of their SEQUENCE) describe:
/// the field prime, a, b, the base point and the order must all be that curve's.
fn explicit_curve(seq: &[u8]) -> Option<&'static str> {
    fn strip(b: &[u8]) -> &[u8] {
        &b[b.iter().position(|&x| x != 0).unwrap_or(b.len())..]
    }
    fn hex(h: &str) -> Vec<u8> {
        (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap_or(0))
            .collect()
    }
    let (_version, rest) = der_expect(seq, 0x02)?;
    let (field, rest) = der_expect(rest, 0x30)?;
    let (curve, rest) = der_expect(rest, 0x30)?;
    let (base, rest) = der_expect(rest, 0x04)?;
    let (order, _) = der_expect(rest, 0x02)?;
    // prime-field (1.2.840.10045.1.1), then the prime.
    let (field_type, field) = der_expect(field, 0x06)?;
    if field_type != [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x01, 0x01] {
        return None;
    }
    let (prime, _) = der_expect(field, 0x02)?;
    let (a, curve) = der_expect(curve, 0x04)?;
    let (b, _) = der_expect(curve, 0x04)?;
    NIST_CURVES
        .iter()
        .find_map(|(name, [p, ca, cb, gx, gy, n])| {
            let same = |x: &[u8], h: &str| strip(x) == strip(&hex(h));
            let len = hex(p).len();
            let base_ok = match base.split_first() {
                Some((4, xy)) if xy.len() == 2 * len => {
                    same(&xy[..len], gx) && same(&xy[len..], gy)
                }
                Some((&c @ (2 | 3), x)) if x.len() == len => {
                    same(x, gx) && hex(gy).last().is_some_and(|y| y & 1 == c & 1)
                }
                _ => false,
            };
            (same(prime, p) && same(a, ca) && same(b, cb) && same(order, n) && base_ok)
                .then_some(*name)
        })
}

/// (SSH name, [p, a, b, Gx, Gy, n]) of the NIST curves, in hex (SEC 2, FIPS 186-4).
#[rustfmt::skip]
const NIST_CURVES: [(&str, [&str; 6]); 3] = [
    ("nistp256", [
        "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
        "ffffffff00000001000000000000000000000000fffffffffffffffffffffffc",
        "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
        "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296",
        "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
        "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
    ]),
    ("nistp384", [
        "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff",
        "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000fffffffc",
        "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef",
        "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7",
        "3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f",
        "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
    ]),
    ("nistp521", [
        "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffc",
        "0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00",
        "00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66",
        "011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650",
        "01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
    ]),
];

/// A SEC1 point (compressed or not) on `curve`, uncompressed as SSH writes it; `None` when
/// it is not a point of that curve.
fn uncompressed_point(curve: &str, point: &[u8]) -> Option<Vec<u8>> {
    use elliptic_curve::sec1::ToEncodedPoint as _;
    Some(match curve {
        "nistp256" => p256::PublicKey::from_sec1_bytes(point)
            .ok()?
            .to_encoded_point(false)
            .as_bytes()
            .to_vec(),
        "nistp384" => p384::PublicKey::from_sec1_bytes(point)
            .ok()?
            .to_encoded_point(false)
            .as_bytes()
            .to_vec(),
        "nistp521" => p521::PublicKey::from_sec1_bytes(point)
            .ok()?
            .to_encoded_point(false)
            .as_bytes()
            .to_vec(),
        _ => return None,
    })
}

/// What a wire-format public key must be for a real key to have it: an ECDSA key's type
/// and curve agree and its point is on that curve; a DSA key's sizes are a DSA key's and
/// g and y are in the subgroup of order q.
fn public_blob_check(blob: &[u8]) -> Result<(), &'static str> {
    let mut r = Reader::new(blob);
    let kind = r.string().unwrap_or_default();
    if let Some(named) = kind.strip_prefix(b"ecdsa-sha2-") {
        let (Some(curve), Some(point)) = (r.string(), r.string()) else {
            return Err("EC: public key does not parse");
        };
        if curve != named {
            return Err("EC: key type and curve name disagree");
        }
        let curve = std::str::from_utf8(curve).unwrap_or_default();
        if ssh_wire::curve_bits(curve).is_some() && uncompressed_point(curve, point).is_none() {
            return Err("EC: public point is not on the named curve");
        }
    } else if kind == b"ssh-dss" {
        let (Some(p), Some(q), Some(g), Some(y)) = (r.string(), r.string(), r.string(), r.string())
        else {
            return Err("DSA: public key does not parse");
        };
        dsa_check(p, q, g, Some(y), None)?;
    }
    Ok(())
}

fn derive_ec_point(curve: &str, scalar: &[u8]) -> Option<Vec<u8>> {
    use elliptic_curve::sec1::ToEncodedPoint as _;
    Some(match curve {
        "nistp256" => p256::SecretKey::from_slice(scalar)
            .ok()?
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec(),
        "nistp384" => p384::SecretKey::from_slice(scalar)
            .ok()?
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec(),
        "nistp521" => p521::SecretKey::from_slice(scalar)
            .ok()?
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec(),
        _ => return None,
    })
}

/// OpenSSL's traditional `DSA PRIVATE KEY`: SEQUENCE { version, p, q, g, y, x }.
fn dsa_openssl(der: Option<&[u8]>) -> KeyFacts {
    let mut f = KeyFacts::new("dsa-openssl");
    f.algorithm = Some("dsa".into());
    let mut bits = None;
    let parsed = der.map(|d| -> Result<Result<Vec<u8>, &'static str>, String> {
        let mut r = der::SliceReader::new(d).map_err(|e| format!("DER: {e}"))?;
        use der::Reader as _;
        r.sequence(|r| {
            let _version: der::asn1::UintRef = r.decode()?;
            let p: der::asn1::UintRef = r.decode()?;
            let q: der::asn1::UintRef = r.decode()?;
            let g: der::asn1::UintRef = r.decode()?;
            let y: der::asn1::UintRef = r.decode()?;
            let x: der::asn1::UintRef = r.decode()?;
            bits = Some(ssh_wire::bit_len(p.as_bytes()));
            Ok(dsa_check(
                p.as_bytes(),
                q.as_bytes(),
                g.as_bytes(),
                Some(y.as_bytes()),
                Some(x.as_bytes()),
            )
            .map(|y| dsa_blob(p.as_bytes(), q.as_bytes(), g.as_bytes(), &y)))
        })
        .map_err(|e| format!("DER: {e}"))
    });
    match parsed {
        Some(Ok(Ok(blob))) => f.with_public_blob(&blob),
        Some(Ok(Err(why))) => KeyFacts { bits, ..f }.invalid(why),
        Some(Err(why)) => f.invalid(why),
        None => f,
    }
}

/// What DSA numbers must be for a key to have them: p of 512 to 4096 bits and odd, q of
/// 160, 224 or 256 bits, 1 < g < p, and, given x, 0 < x < q and y = g^x mod p (given only
/// y, 1 < y < p and y^q = 1 mod p). One modular exponentiation with a q-sized exponent,
/// at p's own width (crypto-bigint's Montgomery form). The public y (computed when not
/// given).
fn dsa_check(
    p: &[u8],
    q: &[u8],
    g: &[u8],
    y: Option<&[u8]>,
    x: Option<&[u8]>,
) -> Result<Vec<u8>, &'static str> {
    let (p_bits, q_bits) = (ssh_wire::bit_len(p), ssh_wire::bit_len(q));
    if !(512..=4096).contains(&p_bits) || ![160, 224, 256].contains(&q_bits) {
        return Err("DSA: p and q are not a DSA key's sizes");
    }
    const LIMB: usize = crypto_bigint::Limb::BITS;
    match p_bits {
        0..=1024 => dsa_numbers::<{ 1024 / LIMB }>(p, q, g, y, x),
        1025..=2048 => dsa_numbers::<{ 2048 / LIMB }>(p, q, g, y, x),
        2049..=3072 => dsa_numbers::<{ 3072 / LIMB }>(p, q, g, y, x),
        _ => dsa_numbers::<{ 4096 / LIMB }>(p, q, g, y, x),
    }
}

/// [`dsa_check`]'s arithmetic, with numbers of `L` limbs.
fn dsa_numbers<const L: usize>(
    p: &[u8],
    q: &[u8],
    g: &[u8],
    y: Option<&[u8]>,
    x: Option<&[u8]>,
) -> Result<Vec<u8>, &'static str> {
    use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
    use crypto_bigint::{U256, Uint};
    let (Some(pw), Some(gw), Some(qw)) = (uint::<L>(p), uint::<L>(g), uint::<4>(q)) else {
        return Err("DSA: numbers too large");
    };
    let qw: U256 = qw;
    if pw.as_words()[0] & 1 == 0 || gw <= Uint::ONE || gw >= pw {
        return Err("DSA: g is not in 1 < g < p");
    }
    let modulus = DynResidueParams::new(&pw);
    let exp_bits = ssh_wire::bit_len(q) as usize;
    let pow = |base: &Uint<L>, exp: &U256| {
        DynResidue::new(base, modulus)
            .pow_bounded_exp(exp, exp_bits)
            .retrieve()
    };
    let y = match x {
        Some(x) => {
            if degenerate(x) {
                return Err("DSA: degenerate private key x");
            }
            let xw: U256 = uint(x).ok_or("DSA: x is not in 0 < x < q")?;
            if xw == U256::ZERO || xw >= qw {
                return Err("DSA: x is not in 0 < x < q");
            }
            let computed = pow(&gw, &xw);
            if let Some(y) = y
                && uint::<L>(y) != Some(computed)
            {
                return Err("DSA: y != g^x mod p");
            }
            computed
        }
        None => {
            let yw = y
                .and_then(uint::<L>)
                .ok_or("DSA: y is missing or too large")?;
            if yw <= Uint::ONE || yw >= pw || pow(&yw, &qw) != Uint::ONE {
                return Err("DSA: y is not in the subgroup of order q");
            }
            yw
        }
    };
    Ok(y.as_words()
        .iter()
        .rev()
        .flat_map(|w| w.to_be_bytes())
        .collect())
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_DSA: &str = "1.2.840.10040.4.1";

pub(crate) fn pkcs8(der: Option<&[u8]>) -> KeyFacts {
    let f = KeyFacts::new("pkcs8");
    let info = match der.map(pkcs8::PrivateKeyInfo::from_der) {
        Some(Ok(info)) => info,
        Some(Err(e)) => return f.invalid(format!("PKCS#8: {e}")),
        None => return f,
    };
    match info.algorithm.oid.to_string().as_str() {
        OID_RSA => pkcs1(Some(info.private_key), "pkcs8"),
        OID_EC => {
            let params = match (info.algorithm.parameters_oid(), info.algorithm.parameters) {
                (Ok(oid), _) => CurveParams::of(curve_of_oid(&oid.to_string())),
                // Explicit parameters: a SEQUENCE.
                (Err(_), Some(any)) if der::Tagged::tag(&any) == der::Tag::Sequence => {
                    CurveParams::of(explicit_curve(any.value()))
                }
                (Err(_), Some(_)) => CurveParams::Other,
                (Err(_), None) => CurveParams::Absent,
            };
            sec1(Some(info.private_key), params, "pkcs8")
        }
        OID_ED25519 => {
            let mut f = KeyFacts::new("pkcs8");
            f.algorithm = Some("ed25519".into());
            // The private key is an OCTET STRING holding the 32-byte seed.
            let seed = der::asn1::OctetStringRef::from_der(info.private_key)
                .ok()
                .and_then(|o| <[u8; 32]>::try_from(o.as_bytes()).ok());
            if seed.is_some_and(|s| degenerate(&s)) {
                return f.invalid("Ed25519: degenerate private seed");
            }
            let public = match (info.public_key, seed) {
                (Some(p), _) if p.len() == 32 => Some(p.to_vec()),
                (_, Some(seed)) => Some(
                    ed25519_dalek::SigningKey::from_bytes(&seed)
                        .verifying_key()
                        .to_bytes()
                        .to_vec(),
                ),
                _ => None,
            };
            match public {
                Some(p) => f.with_public_blob(&ed25519_blob(&p)),
                None => f,
            }
        }
        OID_DSA => {
            let mut f = KeyFacts::new("pkcs8");
            f.algorithm = Some("dsa".into());
            match pkcs8_dsa_public(&info) {
                Some(Ok(blob)) => f.with_public_blob(&blob),
                Some(Err(why)) => f.invalid(why),
                None => f.invalid("PKCS#8: DSA parameters do not parse"),
            }
        }
        other => {
            let mut f = KeyFacts::new("pkcs8");
            f.algorithm = Some(other.to_string());
            f.valid = true;
            f
        }
    }
}

/// The public key of a PKCS#8 DSA key: the parameters (p, q, g) sit in the algorithm
/// identifier, the private key is x, and the public key y = g^x mod p is not stored, so
/// it is computed (see [`dsa_check`]). `None` when the parameters do not parse.
fn pkcs8_dsa_public(info: &pkcs8::PrivateKeyInfo<'_>) -> Option<Result<Vec<u8>, &'static str>> {
    use der::Reader as _;
    // Dss-Parms ::= SEQUENCE { p, q, g INTEGER }: the parameters' contents.
    let params = info.algorithm.parameters?;
    let mut r = der::SliceReader::new(params.value()).ok()?;
    let p: der::asn1::UintRef = r.decode().ok()?;
    let q: der::asn1::UintRef = r.decode().ok()?;
    let g: der::asn1::UintRef = r.decode().ok()?;
    let (p, q, g) = (p.as_bytes(), q.as_bytes(), g.as_bytes());
    let x = der::asn1::UintRef::from_der(info.private_key).ok()?;
    Some(dsa_check(p, q, g, None, Some(x.as_bytes())).map(|y| dsa_blob(p, q, g, &y)))
}

/// A whole file (or blob) that is one DER private key with no armour: PKCS#8 (plain or
/// encrypted with a password-based scheme), PKCS#1 RSA, SEC1 EC, OpenSSL's DSA. Told apart
/// by what the outer SEQUENCE holds first; `None` for anything else (a public key, a
/// certificate, random bytes that start like DER) and for a structure whose numbers are not
/// a key's: with no armour to say "this is a key", only a key that parses is one.
pub fn der_file(der: &[u8]) -> Option<KeyFacts> {
    let (body, rest) = der_expect(der, 0x30)?;
    if !rest.is_empty() {
        return None;
    }
    let (tag, first, after) = der_tlv(body)?;
    let facts = match tag {
        0x02 => {
            let (next, _, _) = der_tlv(after)?;
            match (first, next) {
                ([0] | [1], 0x30) => pkcs8(Some(der)),
                ([1], 0x04) => sec1(Some(der), CurveParams::Absent, "sec1"),
                ([0], 0x02) => {
                    let mut integers = 1;
                    let mut at = after;
                    while let Some((0x02, _, more)) = der_tlv(at) {
                        integers += 1;
                        at = more;
                    }
                    match (integers, at.is_empty()) {
                        (9, true) => pkcs1(Some(der), "pkcs1"),
                        (6, true) => dsa_openssl(Some(der)),
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
        // EncryptedPrivateKeyInfo: its algorithm must be a password-based encryption
        // scheme (PKCS#5 1.2.840.113549.1.5.*, PKCS#12 1.2.840.113549.1.12.1.*), or a
        // DigestInfo would pass for one.
        0x30 => {
            let (oid, _) = der_expect(first, 0x06)?;
            const PKCS5: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05];
            const PKCS12_PBE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01];
            if !(oid.starts_with(PKCS5) || oid.starts_with(PKCS12_PBE))
                || !encrypted_pkcs8_shape(der)
            {
                return None;
            }
            let mut f = KeyFacts::new("pkcs8-encrypted");
            f.encrypted = true;
            f.valid = true;
            f
        }
        _ => return None,
    };
    facts.valid.then_some(facts)
}

/// What a `SubjectPublicKeyInfo` (a certificate's, a keystore's) says of the private key
/// beside it: algorithm, size and fingerprint. `None` for a key type with no SSH form.
pub fn public_key_info(spki: &[u8]) -> Option<KeyFacts> {
    use pkcs8::spki::SubjectPublicKeyInfoRef;
    let info = SubjectPublicKeyInfoRef::from_der(spki).ok()?;
    let key = info.subject_public_key.as_bytes()?;
    let blob = match info.algorithm.oid.to_string().as_str() {
        OID_RSA => {
            let k = pkcs1::RsaPublicKey::from_der(key).ok()?;
            rsa_blob(k.modulus.as_bytes(), k.public_exponent.as_bytes())
        }
        OID_EC => {
            let curve = curve_of_oid(&info.algorithm.parameters_oid().ok()?.to_string())?;
            ecdsa_blob(curve, &uncompressed_point(curve, key)?)
        }
        OID_ED25519 if key.len() == 32 => ed25519_blob(key),
        _ => return None,
    };
    let facts = KeyFacts::new("spki").with_public_blob(&blob);
    facts.valid.then_some(facts)
}

/// A JSON Web Key's private part, checked against its public part where it has one:
/// `kty` RSA (n, e, d and the primes p, q when given), EC (crv, x, y, d) or OKP (crv
/// Ed25519 or X25519, x, d). The facts of the key, with the fingerprint of its public half
/// in SSH form (X25519 has none: the SHA-256 of its 32 public bytes, as for age keys).
pub fn jwk(kty: &str, crv: Option<&str>, part: impl Fn(&str) -> Option<Vec<u8>>) -> KeyFacts {
    let mut f = KeyFacts::new("jwk");
    let Some(d) = part("d") else {
        return f.invalid("JWK: \"d\" is not base64url");
    };
    match (kty, crv) {
        ("RSA", _) => {
            f.algorithm = Some("rsa".into());
            let (Some(n), Some(e)) = (part("n"), part("e")) else {
                return f.invalid("JWK: n or e is missing or not base64url");
            };
            f = f.with_public_blob(&rsa_blob(&n, &e));
            if let (Some(p), Some(q)) = (part("p"), part("q"))
                && let Err(why) = rsa_check(&n, &p, &q, &d)
            {
                return f.invalid(why);
            }
            if degenerate(&d) {
                return f.invalid("RSA: degenerate private numbers");
            }
            f
        }
        ("EC", Some(crv)) => {
            f.algorithm = Some("ecdsa".into());
            let curve = match crv {
                "P-256" => "nistp256",
                "P-384" => "nistp384",
                "P-521" => "nistp521",
                _ => {
                    f.valid = true;
                    return f;
                }
            };
            f.curve = Some(curve.into());
            f.bits = ssh_wire::curve_bits(curve);
            if degenerate(&d) {
                return f.invalid("EC: degenerate private scalar");
            }
            let Some(derived) = derive_ec_point(curve, &d) else {
                return f.invalid("EC: private scalar is not in the curve's range");
            };
            if let (Some(x), Some(y)) = (part("x"), part("y")) {
                let mut point = vec![4];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                if point != derived {
                    return f.invalid("EC: x, y are not d's public point");
                }
            }
            f.with_public_blob(&ecdsa_blob(curve, &derived))
        }
        ("OKP", Some("Ed25519")) => {
            f.algorithm = Some("ed25519".into());
            let Ok(seed) = <[u8; 32]>::try_from(d.as_slice()) else {
                return f.invalid("Ed25519: d is not 32 bytes");
            };
            if degenerate(&seed) {
                return f.invalid("Ed25519: degenerate private seed");
            }
            let public = ed25519_dalek::SigningKey::from_bytes(&seed)
                .verifying_key()
                .to_bytes();
            if part("x").is_some_and(|x| x != public) {
                return f.invalid("Ed25519: x is not d's public key");
            }
            f.with_public_blob(&ed25519_blob(&public))
        }
        ("OKP", Some("X25519")) => {
            f.algorithm = Some("x25519".into());
            f.bits = Some(256);
            let Ok(scalar) = <[u8; 32]>::try_from(d.as_slice()) else {
                return f.invalid("X25519: d is not 32 bytes");
            };
            let public = curve25519_dalek::MontgomeryPoint::mul_base_clamped(scalar).to_bytes();
            if part("x").is_some_and(|x| x != public) {
                return f.invalid("X25519: x is not d's public key");
            }
            f.valid = true;
            f.sha256 = Some(ssh_wire::fingerprint(&public));
            f
        }
        (other, crv) => {
            f.algorithm = Some(match crv {
                Some(c) => format!("{} {c}", other.to_ascii_lowercase()),
                None => other.to_ascii_lowercase(),
            });
            f.valid = true;
            f
        }
    }
}

/// PuTTY `.ppk` v1–v3: text headers, then the public key in wire format, in clear even
/// when the private lines are encrypted.
fn putty(text: &[u8]) -> KeyFacts {
    let mut lines = pem::logical_lines(text).map(pem::trim_carrier);
    let mut f = KeyFacts::new("putty");
    let mut public = Vec::new();
    let mut private_lines = 0usize;
    let mut private_seen = 0usize;
    let mut mac = false;
    while let Some(line) = lines.next() {
        let line = String::from_utf8_lossy(line);
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name {
            n if n.starts_with("PuTTY-User-Key-File-") => {
                f.format = match &n["PuTTY-User-Key-File-".len()..] {
                    "1" => "putty-v1",
                    "2" => "putty-v2",
                    "3" => "putty-v3",
                    _ => "putty",
                };
                f.algorithm = Some(value.to_string());
            }
            "Encryption" => f.encrypted = value != "none",
            "Comment" => f.comment = (!value.is_empty()).then(|| value.to_string()),
            "Public-Lines" => {
                let n: usize = value.parse().unwrap_or(0);
                for _ in 0..n.min(1024) {
                    match lines.next() {
                        Some(l) => public.extend_from_slice(l),
                        None => break,
                    }
                }
            }
            "Private-Lines" => {
                private_lines = value.parse().unwrap_or(0);
                for _ in 0..private_lines.min(1024) {
                    if lines.next().is_some() {
                        private_seen += 1;
                    }
                }
            }
            "Private-MAC" | "Private-Hash" => mac = true,
            _ => {}
        }
    }
    match base64::engine::general_purpose::STANDARD.decode(&public) {
        Ok(blob) => f = f.with_public_blob(&blob),
        Err(_) => return f.invalid("PuTTY: public lines do not decode"),
    }
    if !f.valid {
        if f.invalid_reason.is_none() {
            f.invalid_reason = Some("PuTTY: public key does not parse".into());
        }
        return f;
    }
    let why = if !mac {
        Some("PuTTY: no Private-MAC line".to_string())
    } else if private_lines == 0 || private_seen != private_lines {
        Some(format!(
            "PuTTY: Private-Lines says {private_lines}, {private_seen} found"
        ))
    } else {
        None
    };
    if let Some(why) = why {
        // The public half is sound: its fingerprint stays.
        f.valid = false;
        f.invalid_reason = Some(why);
    }
    f
}

/// An OpenPGP secret-key block: the primary Secret-Key packet holds the public key in
/// clear, followed by the S2K usage octet (0: not protected). The fingerprint is that of
/// the same key in SSH form (what `gpg --export-ssh-key` would give `ssh-keygen -lf`).
fn pgp(packets: &[u8]) -> KeyFacts {
    let mut f = KeyFacts::new("pgp");
    let mut rest = packets;
    let mut found_key = false;
    while let Some((tag, body, after)) = pgp_packet(rest) {
        rest = after;
        match tag {
            5 if !found_key => {
                found_key = true;
                if let Some((blob, algorithm, encrypted)) = pgp_secret_key(body) {
                    f.encrypted = encrypted;
                    match blob {
                        Some(blob) => f = f.with_public_blob(&blob),
                        None => {
                            f.algorithm = Some(algorithm);
                            f.valid = true;
                        }
                    }
                }
            }
            13 if f.comment.is_none() => {
                f.comment = Some(String::from_utf8_lossy(body).into_owned());
            }
            _ => {}
        }
    }
    f
}

/// One OpenPGP packet: (tag, body, rest).
fn pgp_packet(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&h, rest) = b.split_first()?;
    if h & 0x80 == 0 {
        return None;
    }
    let (tag, len, rest) = if h & 0x40 != 0 {
        let tag = h & 0x3f;
        let (&o1, rest) = rest.split_first()?;
        match o1 {
            0..=191 => (tag, o1 as usize, rest),
            192..=223 => {
                let (&o2, rest) = rest.split_first()?;
                (tag, ((o1 as usize - 192) << 8) + o2 as usize + 192, rest)
            }
            255 => {
                let (l, rest) = rest.split_first_chunk::<4>()?;
                (tag, u32::from_be_bytes(*l) as usize, rest)
            }
            _ => return None, // partial lengths are not used for key packets
        }
    } else {
        let tag = (h >> 2) & 0x0f;
        match h & 3 {
            0 => {
                let (&l, rest) = rest.split_first()?;
                (tag, l as usize, rest)
            }
            1 => {
                let (l, rest) = rest.split_first_chunk::<2>()?;
                (tag, u16::from_be_bytes(*l) as usize, rest)
            }
            2 => {
                let (l, rest) = rest.split_first_chunk::<4>()?;
                (tag, u32::from_be_bytes(*l) as usize, rest)
            }
            _ => (tag, rest.len(), rest),
        }
    };
    if len > rest.len() {
        return None;
    }
    let (body, after) = rest.split_at(len);
    Some((tag, body, after))
}

fn pgp_mpi<'a>(r: &mut Reader<'a>) -> Option<&'a [u8]> {
    let bits = u16::from_be_bytes(r.bytes(2)?.try_into().ok()?) as usize;
    r.bytes(bits.div_ceil(8))
}

/// (SSH public blob if the algorithm has an SSH form, algorithm name, encrypted).
fn pgp_secret_key(body: &[u8]) -> Option<(Option<Vec<u8>>, String, bool)> {
    let mut r = Reader::new(body);
    let version = r.u8()?;
    if version != 4 {
        return Some((None, format!("pgp-v{version}"), true));
    }
    r.bytes(4)?; // creation time
    let algo = r.u8()?;
    let (blob, name) = match algo {
        1..=3 => {
            let n = pgp_mpi(&mut r)?;
            let e = pgp_mpi(&mut r)?;
            (Some(rsa_blob(n, e)), "rsa")
        }
        17 => {
            let (p, q, g, y) = (
                pgp_mpi(&mut r)?,
                pgp_mpi(&mut r)?,
                pgp_mpi(&mut r)?,
                pgp_mpi(&mut r)?,
            );
            (Some(dsa_blob(p, q, g, y)), "dsa")
        }
        19 | 22 => {
            let oid_len = r.u8()? as usize;
            let oid = r.bytes(oid_len)?;
            let point = pgp_mpi(&mut r)?;
            const ED25519: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01];
            const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
            const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
            const P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
            match (algo, oid) {
                (22, ED25519) => {
                    let p = point.strip_prefix(&[0x40]).unwrap_or(point);
                    (Some(ed25519_blob(p)), "ed25519")
                }
                (19, P256) => (Some(ecdsa_blob("nistp256", point)), "ecdsa"),
                (19, P384) => (Some(ecdsa_blob("nistp384", point)), "ecdsa"),
                (19, P521) => (Some(ecdsa_blob("nistp521", point)), "ecdsa"),
                _ => (None, if algo == 22 { "eddsa" } else { "ecdsa" }),
            }
        }
        18 => (None, "ecdh"),
        other => return Some((None, format!("pgp-algorithm-{other}"), true)),
    };
    let encrypted = r.u8()? != 0;
    Some((blob, name.to_string(), encrypted))
}

/// ssh.com's format: magic, length, key type, cipher, then the (possibly encrypted) key.
/// The public half is only inside the encrypted part.
fn ssh2(bytes: Option<&[u8]>, a: &Armored) -> KeyFacts {
    let mut f = KeyFacts::new("ssh2");
    f.comment = a.header("Comment").map(|c| c.trim_matches('"').to_string());
    let Some(bytes) = bytes else { return f };
    let mut r = Reader::new(bytes);
    if r.u32() != Some(0x3f6f_f9eb) || r.u32().is_none() {
        return f;
    }
    let (Some(kind), Some(cipher)) = (r.string(), r.string()) else {
        return f;
    };
    f.algorithm = Some(
        if kind.starts_with(b"if-modn") {
            "rsa"
        } else if kind.starts_with(b"dl-modp") {
            "dsa"
        } else {
            "unknown"
        }
        .to_string(),
    );
    f.encrypted = cipher != b"none";
    let Some(area) = r.string() else {
        return f.invalid("SSH2: key data does not parse");
    };
    if f.encrypted {
        // Nothing more to check without the passphrase.
        f.valid = true;
        return f;
    }
    match ssh2_plain(kind, area) {
        Ok(blob) => f.with_public_blob(&blob),
        Err(why) => f.invalid(why),
    }
}

/// The public key of an unencrypted ssh.com key (read as PuTTY's importer and ssh-keygen
/// `-i` read it): the key data is a length and then ssh.com integers (a bit count, then
/// the bytes), e, d, n, u, p, q for RSA and a zero word, p, g, q, y, x for DSA.
fn ssh2_plain(kind: &[u8], area: &[u8]) -> Result<Vec<u8>, &'static str> {
    fn mp<'a>(r: &mut Reader<'a>) -> Option<&'a [u8]> {
        let bits = usize::try_from(r.u32()?).ok()?;
        r.bytes(bits.div_ceil(8))
    }
    let bad = "SSH2: key data does not parse";
    let inner = Reader::new(area).string().ok_or(bad)?;
    let mut r = Reader::new(inner);
    if kind.starts_with(b"if-modn") {
        let (Some(e), Some(d), Some(n), Some(_u), Some(p), Some(q)) = (
            mp(&mut r),
            mp(&mut r),
            mp(&mut r),
            mp(&mut r),
            mp(&mut r),
            mp(&mut r),
        ) else {
            return Err(bad);
        };
        rsa_check(n, p, q, d)?;
        Ok(rsa_blob(n, e))
    } else if kind.starts_with(b"dl-modp") {
        if r.u32() != Some(0) {
            return Err("SSH2: predefined DSA parameters are not supported");
        }
        let (Some(p), Some(g), Some(q), Some(y), Some(x)) =
            (mp(&mut r), mp(&mut r), mp(&mut r), mp(&mut r), mp(&mut r))
        else {
            return Err(bad);
        };
        let y = dsa_check(p, q, g, Some(y), Some(x))?;
        Ok(dsa_blob(p, q, g, &y))
    } else {
        Err("SSH2: unknown key type")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x1234_5678_u32;
        for len in 0..300 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    seed as u8
                })
                .collect();
            let _ = openssh(&bytes);
            let _ = pgp(&bytes);
            let _ = pkcs8(Some(&bytes));
            let _ = putty(&bytes);
            let _ = ber_to_der(&bytes);
            let _ = ec_private_key_explicit(&bytes);
            let _ = explicit_curve(&bytes);
            let _ = ssh2_plain(b"if-modn", &bytes);
            let _ = ssh2_plain(b"dl-modp", &bytes);
        }
    }

    #[test]
    fn nist_constants_are_the_curves_own() {
        use elliptic_curve::sec1::ToEncodedPoint as _;
        let g =
            |bytes: &[u8]| -> String { bytes[1..].iter().map(|b| format!("{b:02x}")).collect() };
        let generators = [
            g(p256::AffinePoint::GENERATOR
                .to_encoded_point(false)
                .as_bytes()),
            g(p384::AffinePoint::GENERATOR
                .to_encoded_point(false)
                .as_bytes()),
            g(p521::AffinePoint::GENERATOR
                .to_encoded_point(false)
                .as_bytes()),
        ];
        for ((_, [.., gx, gy, _]), want) in NIST_CURVES.iter().zip(generators) {
            assert_eq!(format!("{gx}{gy}"), want);
        }
    }

    #[test]
    fn ber_lengths_become_der() {
        // SEQUENCE { INTEGER 5 } with a long-form length, then with an indefinite one.
        assert_eq!(
            ber_to_der(&[0x30, 0x82, 0, 3, 2, 1, 5]),
            Some(vec![0x30, 3, 2, 1, 5])
        );
        assert_eq!(
            ber_to_der(&[0x30, 0x80, 2, 0x81, 1, 5, 0, 0]),
            Some(vec![0x30, 3, 2, 1, 5])
        );
        // Already DER, trailing bytes, an indefinite primitive: left alone.
        assert_eq!(ber_to_der(&[0x30, 3, 2, 1, 5]), None);
        assert_eq!(ber_to_der(&[0x30, 0x81, 3, 2, 1, 5, 9]), None);
        assert_eq!(ber_to_der(&[0x04, 0x80, 1, 0, 0]), None);
    }
}
