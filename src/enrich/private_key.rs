//! What a leaked private key is: format, algorithm, size, whether a passphrase protects it,
//! its comment, and its public-key fingerprint (the string `ssh-keygen -lf` prints).
//!
//! Every format the scanner finds is parsed after its carrier is undone (`scan::pem`):
//! OpenSSH, PKCS#1, SEC1, PKCS#8 (plain and encrypted), legacy-encrypted PEM, OpenSSL's
//! DSA, PuTTY PPK v1–v3, PGP and SSH2. Containers (OpenSSH, PuTTY, PGP packets) are read
//! here; ASN.1 and the derivation of a public key from a private one are left to
//! RustCrypto's crates. Nothing here decrypts, and garbage never panics: every parse is
//! bounds-checked and a failure yields `valid: false`.

use crate::finding::KeyFacts;
use base64::Engine as _;
use der::Decode as _;

use super::ssh_wire::{self, Reader, Writer};
use crate::rules::Validator;
use crate::scan::pem::{self, Armored};

/// Fills a key's facts from its public half.
trait WithPublic {
    fn with_public_blob(self, blob: &[u8]) -> KeyFacts;
}

impl WithPublic for KeyFacts {
    /// Fills algorithm, curve, bits and fingerprint from a wire-format public key.
    fn with_public_blob(mut self, blob: &[u8]) -> KeyFacts {
        if let Some(d) = ssh_wire::describe(blob) {
            self.algorithm = Some(d.algorithm);
            self.curve = d.curve;
            self.bits = d.bits;
            self.sha256 = Some(ssh_wire::fingerprint(blob));
            self.valid = true;
        }
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
        sec1(Some(bytes), None, "sec1"),
        dsa_openssl(Some(bytes)),
    ]
}

fn armored(a: &Armored) -> KeyFacts {
    let der = pem::decode_base64_loose(&a.body);
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
        "EC PRIVATE KEY" => sec1(der.as_deref(), None, "sec1"),
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
        facts.valid = false;
    }
    facts
}

/// `EncryptedPrivateKeyInfo ::= SEQUENCE { AlgorithmIdentifier, OCTET STRING }` with a
/// non-empty ciphertext: all that can be checked without the passphrase (and without
/// pulling the ciphers in).
fn encrypted_pkcs8_shape(der: &[u8]) -> bool {
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
    let mut f = KeyFacts::new("openssh");
    let Some(rest) = bytes.strip_prefix(b"openssh-key-v1\0") else {
        return f;
    };
    let mut r = Reader::new(rest);
    let (Some(cipher), Some(_kdf), Some(_kdfopts), Some(n)) =
        (r.string(), r.string(), r.string(), r.u32())
    else {
        return f;
    };
    f.encrypted = cipher != b"none";
    if n == 0 {
        return f;
    }
    let Some(public) = r.string() else { return f };
    f = f.with_public_blob(public);
    for _ in 1..n {
        if r.string().is_none() {
            f.valid = false;
            return f;
        }
    }
    let Some(private) = r.string() else {
        f.valid = false;
        return f;
    };
    if !f.encrypted {
        match openssh_comment(private) {
            Some(comment) => f.comment = comment,
            None => f.valid = false,
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
    let f = KeyFacts::new(format);
    let Some(key) = der.and_then(|d| pkcs1::RsaPrivateKey::from_der(d).ok()) else {
        return KeyFacts {
            algorithm: Some("rsa".into()),
            ..f
        };
    };
    f.with_public_blob(&rsa_blob(
        key.modulus.as_bytes(),
        key.public_exponent.as_bytes(),
    ))
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

/// SEC1 `EC PRIVATE KEY` (alone, or inside PKCS#8 whose algorithm names the curve). The
/// public point is usually stored; when it is not, it is derived from the private scalar.
fn sec1(der: Option<&[u8]>, outer_curve: Option<String>, format: &'static str) -> KeyFacts {
    let mut f = KeyFacts::new(format);
    f.algorithm = Some("ecdsa".into());
    let Some(key) = der.and_then(|d| sec1::EcPrivateKey::from_der(d).ok()) else {
        return f;
    };
    let oid = key
        .parameters
        .and_then(|p| p.named_curve())
        .map(|o| o.to_string())
        .or(outer_curve);
    let curve = match oid.as_deref() {
        Some(OID_P256) => "nistp256",
        Some(OID_P384) => "nistp384",
        Some(OID_P521) => "nistp521",
        _ => {
            f.valid = true;
            return f;
        }
    };
    let point = match key.public_key {
        Some(p) => Some(p.to_vec()),
        None => derive_ec_point(curve, key.private_key),
    };
    match point {
        Some(p) => f.with_public_blob(&ecdsa_blob(curve, &p)),
        None => {
            f.curve = Some(curve.into());
            f.bits = ssh_wire::curve_bits(curve);
            f
        }
    }
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
    let parsed = der.and_then(|d| {
        let mut r = der::SliceReader::new(d).ok()?;
        use der::Reader as _;
        r.sequence(|r| {
            let _version: der::asn1::UintRef = r.decode()?;
            let p: der::asn1::UintRef = r.decode()?;
            let q: der::asn1::UintRef = r.decode()?;
            let g: der::asn1::UintRef = r.decode()?;
            let y: der::asn1::UintRef = r.decode()?;
            let _x: der::asn1::UintRef = r.decode()?;
            Ok(dsa_blob(
                p.as_bytes(),
                q.as_bytes(),
                g.as_bytes(),
                y.as_bytes(),
            ))
        })
        .ok()
    });
    match parsed {
        Some(blob) => f.with_public_blob(&blob),
        None => f,
    }
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_DSA: &str = "1.2.840.10040.4.1";

fn pkcs8(der: Option<&[u8]>) -> KeyFacts {
    let f = KeyFacts::new("pkcs8");
    let Some(info) = der.and_then(|d| pkcs8::PrivateKeyInfo::from_der(d).ok()) else {
        return f;
    };
    match info.algorithm.oid.to_string().as_str() {
        OID_RSA => pkcs1(Some(info.private_key), "pkcs8"),
        OID_EC => {
            let curve = info.algorithm.parameters_oid().ok().map(|o| o.to_string());
            sec1(Some(info.private_key), curve, "pkcs8")
        }
        OID_ED25519 => {
            let mut f = KeyFacts::new("pkcs8");
            f.algorithm = Some("ed25519".into());
            // The private key is an OCTET STRING holding the 32-byte seed.
            let seed = der::asn1::OctetStringRef::from_der(info.private_key)
                .ok()
                .and_then(|o| <[u8; 32]>::try_from(o.as_bytes()).ok());
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
                Some(blob) => f.with_public_blob(&blob),
                None => f,
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
/// it is computed (crypto-bigint's constant-time modular exponentiation; keys up to 4096
/// bits).
fn pkcs8_dsa_public(info: &pkcs8::PrivateKeyInfo<'_>) -> Option<Vec<u8>> {
    use crypto_bigint::U4096;
    use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
    use der::Reader as _;
    // Dss-Parms ::= SEQUENCE { p, q, g INTEGER }: the parameters' contents.
    let params = info.algorithm.parameters?;
    let mut r = der::SliceReader::new(params.value()).ok()?;
    let p: der::asn1::UintRef = r.decode().ok()?;
    let q: der::asn1::UintRef = r.decode().ok()?;
    let g: der::asn1::UintRef = r.decode().ok()?;
    let (p, q, g) = (p.as_bytes(), q.as_bytes(), g.as_bytes());
    let x = der::asn1::UintRef::from_der(info.private_key).ok()?;
    let wide = |be: &[u8]| -> Option<U4096> {
        let be = &be[be.iter().position(|&b| b != 0).unwrap_or(be.len())..];
        if be.len() > 512 {
            return None;
        }
        let mut buf = [0u8; 512];
        buf[512 - be.len()..].copy_from_slice(be);
        Some(U4096::from_be_slice(&buf))
    };
    let (pw, gw, xw) = (wide(p)?, wide(g)?, wide(x.as_bytes())?);
    // Montgomery form needs an odd modulus; p is an odd prime in any real key.
    if pw.as_words()[0] & 1 == 0 {
        return None;
    }
    let modulus = DynResidueParams::<64>::new(&pw);
    let y = DynResidue::new(&gw, modulus)
        .pow_bounded_exp(&xw, x.as_bytes().len() * 8)
        .retrieve();
    let y_be: Vec<u8> = y
        .as_words()
        .iter()
        .rev()
        .flat_map(|w| w.to_be_bytes())
        .collect();
    Some(dsa_blob(p, q, g, &y_be))
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
    if let Ok(blob) = base64::engine::general_purpose::STANDARD.decode(&public) {
        f = f.with_public_blob(&blob);
    }
    f.valid = f.valid && mac && private_lines > 0 && private_seen == private_lines;
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
    f.valid = r.string().is_some();
    f
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
        }
    }
}
