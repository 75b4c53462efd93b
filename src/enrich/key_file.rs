//! Private keys found by their structure, not by a keyword: a file (or blob) that is one
//! binary key, a PKCS#12 / PFX bundle, a Java keystore (JKS, JCEKS), or a JSON Web Key
//! with its private part ([`super::jwk`]). A binary file has no armour for the scan core's
//! automaton to find, so the first bytes of every file and blob are looked at once (a
//! magic number, the DER SEQUENCE tag and a length equal to the file's, a `{`), and only
//! what passes is parsed. With no armour to say "this is a key", only a structure that
//! parses as one is reported: a public key, a certificate, a PKCS#12 file holding only
//! certificates, a trust store and random bytes starting with `0x30 0x82` stay silent.
//!
//! No password is guessed. What a container says in clear is used: a keystore's
//! certificate chain (its first certificate's public key is the private key's public
//! half, so its fingerprint is known though the key is encrypted), a PKCS#12 file's
//! certificates in clear and its integrity MAC, which is checked against the empty
//! password (RFC 7292 appendix B): a file anyone can open is as good as unencrypted, and
//! its key bags are read with the empty password for the key's own facts: PBES2 with
//! AES-CBC (OpenSSL's and Java's default), and PKCS#12's own legacy PBEs (3DES and RC2
//! in CBC, keys derived with SHA-1: OpenSSL 1.x, `-legacy`, older Windows and Java).

use base64::Engine as _;

use super::private_key::{self, der_expect, der_tlv, encrypted_pkcs8_shape};
use crate::finding::KeyFacts;

/// The rule ids of these checks (for `--rule` / `--skip-rule`; `rules list` shows them).
pub const DER_RULE: &str = "private-key-der";
pub const PKCS12_RULE: &str = "private-key-pkcs12";
pub const KEYSTORE_RULE: &str = "private-key-java-keystore";
pub const JWK_RULE: &str = "private-key-jwk";
pub const BASE64_RULE: &str = "private-key-base64";
pub const SECRET_KEYSTORE_RULE: &str = "secret-key-jceks";

pub const DER_NAME: &str = "Private key in a binary DER file (PKCS#8, PKCS#1, SEC1)";
pub const PKCS12_NAME: &str = "Private key in a PKCS#12 / PFX file";
pub const KEYSTORE_NAME: &str = "Private key in a Java keystore (JKS, JCEKS)";
pub const JWK_NAME: &str = "JSON Web Key with its private part";
pub const BASE64_NAME: &str = "Private key as a bare base64 value (PKCS#8, PKCS#1, SEC1)";
pub const SECRET_KEYSTORE_NAME: &str = "Secret (symmetric) key in a JCEKS keystore";

/// The category of a JCEKS secret-key entry's finding: a symmetric key is no private key.
pub const SECRET_KEY_CATEGORY: &str = "secret-key";

/// The `key.format` of a JCEKS secret-key entry.
pub const JCEKS_SECRET_FORMAT: &str = "jceks-secret-key";

/// One private key found by its structure.
#[derive(Debug, Clone)]
pub struct Structured {
    pub rule: &'static str,
    pub name: &'static str,
    pub facts: KeyFacts,
    /// The bytes its content id is made from (the base64 of a DER key, as a PEM body of
    /// the same key is, so that both have one id).
    pub canonical: Vec<u8>,
    /// What a report shows for it when secrets are redacted: never key material.
    pub redacted: String,
    /// What `--show-secrets` shows: the JWK's `d`; for a binary file, the same as
    /// `redacted` (the secret is the file itself).
    pub clear: String,
    /// Its byte offset in the blob, for its line.
    pub offset: usize,
}

/// The private keys `bytes` is, by structure; empty (at the cost of a look at the first
/// bytes) for almost every file.
pub fn find(bytes: &[u8]) -> Vec<Structured> {
    match bytes {
        [0xfe, 0xed, 0xfe, 0xed, ..] => java_keystore(bytes, "jks").unwrap_or_default(),
        [0xce, 0xce, 0xce, 0xce, ..] => java_keystore(bytes, "jceks").unwrap_or_default(),
        [0x30, ..] => der(bytes),
        _ => super::jwk::find(bytes),
    }
}

fn b64(bytes: &[u8]) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .encode(bytes)
        .into_bytes()
}

/// A file that is one DER structure: a PKCS#12 bundle or a key.
fn der(bytes: &[u8]) -> Vec<Structured> {
    if let Some(found) = pkcs12(bytes) {
        return found;
    }
    let Some(facts) = private_key::der_file(bytes) else {
        return Vec::new();
    };
    let what = format!(
        "DER private key ({}, {} bytes) …[redacted]",
        facts.format,
        bytes.len()
    );
    vec![Structured {
        rule: DER_RULE,
        name: DER_NAME,
        facts,
        canonical: b64(bytes),
        redacted: what.clone(),
        clear: what,
        offset: 0,
    }]
}

/// Whether a file's name makes it a configuration file whose values may be a key's bare
/// base64 body ([`bare_bodies`]): `*.properties`, YAML, `.env` files, JSON.
pub fn config_kind(path: &[u8]) -> bool {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    let ends = |ext: &[u8]| {
        name.len() > ext.len() && name[name.len() - ext.len()..].eq_ignore_ascii_case(ext)
    };
    [&b".properties"[..], b".yml", b".yaml", b".json", b".env"]
        .into_iter()
        .any(ends)
        || name == b".env"
        || name.starts_with(b".env.")
}

/// The shortest bare body looked at: an Ed25519 PKCS#8 key is 64 base64 characters.
const MIN_BARE: usize = 64;
/// How far back from a bare body armour is looked for.
const LOOK_BACK: usize = 512;

fn is_b64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=')
}

/// Private keys written as bare base64 DER with no armour, as values (`key=MIIEv…` in a
/// properties file, `key: MIIEv…` in YAML, `"key": "MIIEv…"` in JSON, `KEY=MIIEv…` in a
/// `.env`), on one line or continued over the next ones (a YAML block scalar, a
/// properties value continued with `\`). A DER SEQUENCE's base64 starts with `M`: each
/// run of base64 that starts a value with `M` and is long enough is decoded and parsed,
/// and only a body that parses as a key ([`private_key::der_file`]) is one. A body inside
/// PEM armour is left to the signatures.
pub fn bare_bodies(bytes: &[u8]) -> Vec<Structured> {
    let mut out = Vec::new();
    let mut after = 0;
    for p in memchr::memchr_iter(b'M', bytes) {
        if p < after || !matches!(bytes.get(p + 1), Some(b'I' | b'H' | b'G' | b'C' | b'D')) {
            continue;
        }
        let starts_value = p == 0
            || matches!(
                bytes[p - 1],
                b'=' | b':' | b'"' | b'\'' | b' ' | b'\t' | b'\n' | b'\r'
            );
        if !starts_value {
            continue;
        }
        // The run, then whole lines of base64 after it (indentation and a trailing `\`
        // aside), while the run reaches the end of its line. Each byte is looked at a
        // bounded number of times, however long the line (minified JSON).
        let mut body = Vec::new();
        let mut end = p;
        while end < bytes.len() && is_b64(bytes[end]) {
            end += 1;
        }
        body.extend_from_slice(&bytes[p..end]);
        let mut at = end;
        loop {
            // Only blanks and a `\` may follow on the run's line.
            let mut eol = at;
            while eol < bytes.len() && matches!(bytes[eol], b' ' | b'\t' | b'\r' | b'\\') {
                eol += 1;
            }
            if bytes.get(eol) != Some(&b'\n') {
                break;
            }
            let next = &bytes[eol + 1..];
            let next_eol = memchr::memchr(b'\n', next).map_or(next.len(), |i| i);
            let line = next[..next_eol].trim_ascii();
            let line = line.strip_suffix(b"\\").unwrap_or(line).trim_ascii_end();
            if line.is_empty() || !line.iter().all(|&c| is_b64(c)) || body.ends_with(b"=") {
                break;
            }
            body.extend_from_slice(line);
            at = eol + 1 + next_eol;
            end = at;
        }
        after = end;
        if body.len() < MIN_BARE {
            continue;
        }
        // A body inside PEM armour (on the line before, or earlier on its own line) is
        // the PEM rules'. Looked for within a bounded distance.
        let floor = p.saturating_sub(LOOK_BACK);
        let line_start = memchr::memrchr(b'\n', &bytes[floor..p]).map_or(floor, |i| floor + i + 1);
        let prev_floor = line_start.saturating_sub(LOOK_BACK);
        let prev_line = &bytes[prev_floor..line_start.saturating_sub(1).max(prev_floor)];
        if memchr::memmem::find(&bytes[line_start..p], b"BEGIN").is_some()
            || memchr::memmem::find(prev_line, b"-----BEGIN").is_some()
        {
            continue;
        }
        let Some(der) = crate::scan::pem::decode_base64_loose(&body) else {
            continue;
        };
        let Some(facts) = private_key::der_file(&der) else {
            continue;
        };
        let what = format!(
            "bare base64 private key ({}, {} bytes) …[redacted]",
            facts.format,
            der.len()
        );
        out.push(Structured {
            rule: BASE64_RULE,
            name: BASE64_NAME,
            facts,
            canonical: b64(&der),
            redacted: what,
            clear: String::from_utf8_lossy(&body).into_owned(),
            offset: p,
        });
    }
    out
}

/// Printable text of a name a file gives a key (an alias, a friendly name), bounded.
fn printable(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(64).collect()
}

// OIDs, as their DER contents.
const OID_DATA: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
const BAG: [u8; 10] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01];
const FRIENDLY_NAME: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x14];
const LOCAL_KEY_ID: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x15];
const X509_CERT: [u8; 10] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x16, 0x01];

/// How many key bags of one PKCS#12 file are read with the empty password, at most (each
/// may ask for 2^18 PBKDF2 iterations).
const MAX_OPENED: usize = 16;

/// A key bag of a PKCS#12 file.
struct KeyBag<'a> {
    /// The bag's value: a PrivateKeyInfo, or an EncryptedPrivateKeyInfo when shrouded.
    value: &'a [u8],
    shrouded: bool,
    name: Option<String>,
    local_id: Option<&'a [u8]>,
}

#[derive(Default)]
struct Bags<'a> {
    keys: Vec<KeyBag<'a>>,
    /// (localKeyId, SubjectPublicKeyInfo) of each certificate in clear.
    certs: Vec<(Option<&'a [u8]>, &'a [u8])>,
}

/// A PKCS#12 / PFX file (RFC 7292): `PFX { version 3, authSafe ContentInfo, macData }`.
/// Its key bags, in clear parts of the authenticated safe (OpenSSL, Java and Windows put
/// the keys there, shrouded: the certificates are what they encrypt). `None` when `bytes`
/// is not a PFX; empty when it holds no key bag that can be seen.
fn pkcs12(bytes: &[u8]) -> Option<Vec<Structured>> {
    let owned;
    let whole = der_expect(bytes, 0x30).is_some_and(|(_, rest)| rest.is_empty());
    let der = if whole {
        bytes
    } else {
        // Windows wrote BER (indefinite lengths): read as the DER it stands for.
        owned = private_key::ber_to_der(bytes)?;
        &owned
    };
    let (pfx, _) = der_expect(der, 0x30)?;
    let (version, rest) = der_expect(pfx, 0x02)?;
    if version != [3] {
        return None;
    }
    let (auth_safe, mac) = der_expect(rest, 0x30)?;
    let (oid, content) = der_expect(auth_safe, 0x06)?;
    if oid != OID_DATA {
        return Some(Vec::new()); // public-key integrity mode (signedData): not read
    }
    let (explicit, _) = der_expect(content, 0xa0)?;
    let (data, _) = der_expect(explicit, 0x04)?;
    let mut bags = Bags::default();
    let (mut infos, _) = der_expect(data, 0x30)?;
    while let Some((info, more)) = der_expect(infos, 0x30) {
        infos = more;
        let Some((oid, content)) = der_expect(info, 0x06) else {
            continue;
        };
        // encryptedData and envelopedData cannot be looked into without the password.
        if oid == OID_DATA
            && let Some((explicit, _)) = der_expect(content, 0xa0)
            && let Some((contents, _)) = der_expect(explicit, 0x04)
        {
            safe_contents(contents, &mut bags, 0);
        }
    }
    if bags.keys.is_empty() {
        return Some(Vec::new());
    }
    let empty_password = (!mac.is_empty())
        .then(|| mac::opens_with_empty_password(mac, data))
        .flatten();
    let count = bags.keys.len();
    let lone_cert = (count == 1 && bags.certs.len() == 1).then(|| bags.certs[0].1);
    let found = bags
        .keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            // A file the empty password opens: its key bag (PBES2, or a legacy PKCS#12
            // PBE) is read with it, so its facts are the key's own.
            let opened = (k.shrouded && empty_password == Some(true) && i < MAX_OPENED)
                .then(|| {
                    mac::pbes2_decrypt(k.value, b"")
                        .or_else(|| mac::pkcs12_pbe_decrypt_empty(k.value))
                })
                .flatten();
            let canonical = b64(opened.as_deref().unwrap_or(k.value));
            let mut facts = if let Some(info) = opened {
                KeyFacts {
                    format: "pkcs12",
                    encrypted: true,
                    ..private_key::pkcs8(Some(&info))
                }
            } else if k.shrouded {
                let mut f = KeyFacts::new("pkcs12");
                let cert = bags
                    .certs
                    .iter()
                    .find(|(id, _)| id.is_some() && *id == k.local_id)
                    .map(|c| c.1)
                    .or(lone_cert);
                if let Some(public) = cert.and_then(private_key::public_key_info) {
                    f.algorithm = public.algorithm;
                    f.curve = public.curve;
                    f.bits = public.bits;
                    f.sha256 = public.sha256;
                }
                f.encrypted = true;
                f.valid = encrypted_pkcs8_shape(k.value);
                if !f.valid {
                    f.sha256 = None;
                    f.invalid_reason = Some("PKCS#12: shrouded key bag does not parse".into());
                }
                f
            } else {
                KeyFacts {
                    format: "pkcs12",
                    ..private_key::pkcs8(Some(k.value))
                }
            };
            facts.comment = k.name.clone();
            facts.empty_password = empty_password;
            facts.private_keys = Some(count);
            let what = format!(
                "PKCS#12 key bag{} ({}, {} bytes) …[redacted]",
                k.name
                    .as_deref()
                    .map(|n| format!(" \"{n}\""))
                    .unwrap_or_default(),
                if k.shrouded { "shrouded" } else { "in clear" },
                k.value.len()
            );
            Structured {
                rule: PKCS12_RULE,
                name: PKCS12_NAME,
                facts,
                canonical,
                redacted: what.clone(),
                clear: what,
                offset: 0,
            }
        })
        .collect();
    Some(found)
}

/// `SafeContents ::= SEQUENCE OF SafeBag`, each `{ bagId, [0] bagValue, bagAttributes }`:
/// its key bags and certificates into `bags` (nested safe-contents bags too, a few deep).
fn safe_contents<'a>(b: &'a [u8], bags: &mut Bags<'a>, depth: u32) {
    let Some((mut at, _)) = der_expect(b, 0x30) else {
        return;
    };
    while let Some((bag, more)) = der_expect(at, 0x30) {
        at = more;
        let Some((oid, rest)) = der_expect(bag, 0x06) else {
            continue;
        };
        let Some((value, attrs)) = der_expect(rest, 0xa0) else {
            continue;
        };
        let Some(kind) = oid.strip_prefix(&BAG[..]) else {
            continue;
        };
        let (name, local_id) = attributes(attrs);
        match kind {
            [n @ (1 | 2)] => bags.keys.push(KeyBag {
                value,
                shrouded: *n == 2,
                name,
                local_id,
            }),
            [3] => {
                let spki = der_expect(value, 0x30)
                    .and_then(|(cert_bag, _)| der_expect(cert_bag, 0x06))
                    .filter(|(oid, _)| *oid == X509_CERT)
                    .and_then(|(_, rest)| der_expect(rest, 0xa0))
                    .and_then(|(explicit, _)| der_expect(explicit, 0x04))
                    .and_then(|(cert, _)| cert_spki(cert));
                if let Some(spki) = spki {
                    bags.certs.push((local_id, spki));
                }
            }
            [6] if depth < 4 => safe_contents(value, bags, depth + 1),
            _ => {}
        }
    }
}

/// A bag's friendlyName (a BMPString) and localKeyId.
fn attributes(attrs: &[u8]) -> (Option<String>, Option<&[u8]>) {
    let (mut name, mut id) = (None, None);
    let Some((mut at, _)) = der_expect(attrs, 0x31) else {
        return (name, id);
    };
    while let Some((attr, more)) = der_expect(at, 0x30) {
        at = more;
        let Some((oid, rest)) = der_expect(attr, 0x06) else {
            continue;
        };
        let Some((values, _)) = der_expect(rest, 0x31) else {
            continue;
        };
        if oid == FRIENDLY_NAME
            && let Some((bmp, _)) = der_expect(values, 0x1e)
        {
            let units: Vec<u16> = bmp
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .collect();
            name = Some(printable(&String::from_utf16_lossy(&units)));
        } else if oid == LOCAL_KEY_ID {
            id = der_expect(values, 0x04).map(|(v, _)| v);
        }
    }
    (name, id)
}

/// An X.509 certificate's SubjectPublicKeyInfo (the whole TLV).
fn cert_spki(cert: &[u8]) -> Option<&[u8]> {
    let (c, _) = der_expect(cert, 0x30)?;
    let (tbs, _) = der_expect(c, 0x30)?;
    let mut at = tbs;
    if at.first() == Some(&0xa0) {
        at = der_tlv(at)?.2;
    }
    // serialNumber, signature, issuer, validity, subject.
    for _ in 0..5 {
        at = der_tlv(at)?.2;
    }
    let (tag, _, rest) = der_tlv(at)?;
    (tag == 0x30).then(|| &at[..at.len() - rest.len()])
}

/// A Java keystore (JKS `0xFEEDFEED`, JCEKS `0xCECECECE`): its private-key entries, each
/// encrypted with the keystore's own scheme, each with its certificate chain in clear (the
/// first certificate's public key is the entry's public half); and a JCEKS's secret-key
/// entries, each a Java-serialized `SealedObject` (read by [`java_object`], which also
/// finds where it ends, so that the entries after it are read): what it says in clear is
/// the sealing scheme (`PBEWithMD5AndTripleDES`), its iteration count and the sealed
/// bytes' length; the key's algorithm and size are sealed with it.
fn java_keystore<'a>(b: &'a [u8], kind: &'static str) -> Option<Vec<Structured>> {
    struct Entry<'e> {
        alias: String,
        key: &'e [u8],
        cert: Option<&'e [u8]>,
    }
    struct Secret {
        alias: String,
        sealed: Vec<u8>,
        seal: Option<String>,
        iterations: Option<u32>,
    }
    let mut secrets: Vec<Secret> = Vec::new();
    let mut r = Cursor { b, at: 4 };
    let version = r.u32()?;
    if !(1..=2).contains(&version) {
        return None;
    }
    let count = r.u32()?;
    let mut entries: Vec<Entry> = Vec::new();
    for _ in 0..count {
        let step = (|| -> Option<Option<Entry>> {
            let tag = r.u32()?;
            let alias = r.utf()?;
            r.take(8)?; // creation date
            let cert = |r: &mut Cursor<'a>| -> Option<&'a [u8]> {
                if version == 2 {
                    r.utf()?; // certificate type
                }
                let len = r.u32()? as usize;
                r.take(len)
            };
            match tag {
                1 => {
                    let len = r.u32()? as usize;
                    let key = r.take(len)?;
                    let chain = r.u32()?;
                    let mut first = None;
                    for i in 0..chain {
                        let c = cert(&mut r)?;
                        if i == 0 {
                            first = Some(c);
                        }
                    }
                    Some(Some(Entry {
                        alias,
                        key,
                        cert: first,
                    }))
                }
                2 => {
                    cert(&mut r)?;
                    Some(None)
                }
                3 if kind == "jceks" => {
                    let (fields, used) = java_object(&r.b[r.at..])?;
                    r.take(used)?;
                    let bytes = |name: &str| {
                        fields.iter().find_map(|(n, v)| match v {
                            JavaValue::Bytes(b) if n == name => Some(b.clone()),
                            _ => None,
                        })
                    };
                    let text = |name: &str| {
                        fields.iter().find_map(|(n, v)| match v {
                            JavaValue::Str(s) if n == name => Some(printable(s)),
                            _ => None,
                        })
                    };
                    // encodedParams: PBEParameter { salt OCTET STRING, iterationCount INTEGER }.
                    let iterations = bytes("encodedParams").and_then(|p| {
                        let (seq, _) = der_expect(&p, 0x30)?;
                        let (_, rest) = der_expect(seq, 0x04)?;
                        let (i, _) = der_expect(rest, 0x02)?;
                        mac::uint(i)
                    });
                    secrets.push(Secret {
                        alias,
                        sealed: bytes("encryptedContent")?,
                        seal: text("sealAlg").or_else(|| text("paramsAlg")),
                        iterations,
                    });
                    Some(None)
                }
                _ => None,
            }
        })();
        match step {
            Some(Some(e)) => entries.push(e),
            Some(None) => {}
            None => break,
        }
    }
    let count = entries.len();
    let label = if kind == "jks" { "JKS" } else { "JCEKS" };
    let sealed = secrets.into_iter().map(|k| {
        let mut facts = KeyFacts::new(JCEKS_SECRET_FORMAT);
        facts.encrypted = true;
        facts.valid = true;
        facts.comment = Some(k.alias.clone());
        let what = format!(
            "JCEKS keystore entry \"{}\" (secret key, sealed{}{}, {} bytes) …[redacted]",
            k.alias,
            k.seal
                .as_deref()
                .map(|s| format!(" with {s}"))
                .unwrap_or_default(),
            k.iterations
                .map(|i| format!(", {i} iterations"))
                .unwrap_or_default(),
            k.sealed.len()
        );
        Structured {
            rule: SECRET_KEYSTORE_RULE,
            name: SECRET_KEYSTORE_NAME,
            facts,
            canonical: b64(&k.sealed),
            redacted: what.clone(),
            clear: what,
            offset: 0,
        }
    });
    Some(
        entries
            .into_iter()
            .map(|e| {
                let mut facts = KeyFacts::new(kind);
                if let Some(public) = e
                    .cert
                    .and_then(cert_spki)
                    .and_then(private_key::public_key_info)
                {
                    facts.algorithm = public.algorithm;
                    facts.curve = public.curve;
                    facts.bits = public.bits;
                    facts.sha256 = public.sha256;
                }
                facts.encrypted = true;
                facts.valid = encrypted_pkcs8_shape(e.key);
                if !facts.valid {
                    facts.sha256 = None;
                    facts.invalid_reason = Some(format!("{label}: key entry does not parse"));
                }
                facts.comment = Some(e.alias.clone());
                facts.private_keys = Some(count);
                let what = format!(
                    "{label} keystore entry \"{}\" (encrypted private key, {} bytes) …[redacted]",
                    e.alias,
                    e.key.len()
                );
                Structured {
                    rule: KEYSTORE_RULE,
                    name: KEYSTORE_NAME,
                    facts,
                    canonical: b64(e.key),
                    redacted: what.clone(),
                    clear: what,
                    offset: 0,
                }
            })
            .chain(sealed)
            .collect(),
    )
}

/// A value of a Java-serialized object's field that [`java_object`] keeps.
#[derive(Debug, Clone)]
enum JavaValue {
    Str(String),
    Bytes(Vec<u8>),
    /// A class description (its handle may be referred to), or anything else.
    Desc(std::rc::Rc<JavaClass>),
    Other,
}

#[derive(Debug)]
struct JavaClass {
    name: String,
    flags: u8,
    /// (type code, name, class name for an object or array field).
    fields: Vec<(u8, String)>,
    super_class: Option<std::rc::Rc<JavaClass>>,
}

/// One Java-serialized object (Java's Object Serialization Stream Protocol: the magic
/// `ACED 0005` and one `TC_OBJECT`), as a JCEKS secret-key entry holds it: the strings
/// and byte arrays of its fields by field name (at any depth, the first of each name),
/// and how many bytes the stream took. `None` for anything else, or past its bounds
/// (depth, count of values): a hostile file costs little.
fn java_object(b: &[u8]) -> Option<(Vec<(String, JavaValue)>, usize)> {
    struct Reader<'a> {
        c: Cursor<'a>,
        handles: Vec<JavaValue>,
        fields: Vec<(String, JavaValue)>,
        budget: u32,
    }
    impl<'a> Reader<'a> {
        fn take(&mut self, n: usize) -> Option<&'a [u8]> {
            self.c.take(n)
        }
        fn u8(&mut self) -> Option<u8> {
            Some(self.take(1)?[0])
        }
        fn u16(&mut self) -> Option<u16> {
            self.c.u16()
        }
        fn u32(&mut self) -> Option<u32> {
            self.c.u32()
        }
        fn utf(&mut self) -> Option<String> {
            let n = usize::from(self.u16()?);
            Some(String::from_utf8_lossy(self.take(n)?).into_owned())
        }
        /// One content item (RFC-less: the protocol's grammar, the subset keystores use).
        fn content(&mut self, depth: u32) -> Option<JavaValue> {
            self.budget = self.budget.checked_sub(1)?;
            if depth > 16 {
                return None;
            }
            match self.u8()? {
                0x70 => Some(JavaValue::Other), // TC_NULL
                0x71 => {
                    // TC_REFERENCE
                    let h = self.u32()?.checked_sub(0x7e_0000)?;
                    self.handles.get(h as usize).cloned()
                }
                0x72 => self.class_desc(depth), // TC_CLASSDESC
                0x74 => {
                    // TC_STRING
                    let s = JavaValue::Str(self.utf()?);
                    self.handles.push(s.clone());
                    Some(s)
                }
                0x73 => {
                    // TC_OBJECT: its class, then each class's data, the topmost first.
                    let JavaValue::Desc(class) = self.content(depth + 1)? else {
                        return None;
                    };
                    self.handles.push(JavaValue::Other);
                    let mut chain = vec![class.clone()];
                    while let Some(up) = chain.last().and_then(|c| c.super_class.clone()) {
                        chain.push(up);
                    }
                    for c in chain.iter().rev() {
                        if c.flags & 0x04 != 0 {
                            return None; // externalizable: not in a keystore
                        }
                        for (code, name) in &c.fields {
                            let v = match code {
                                b'B' | b'Z' => self.take(1).map(|_| JavaValue::Other)?,
                                b'C' | b'S' => self.take(2).map(|_| JavaValue::Other)?,
                                b'I' | b'F' => self.take(4).map(|_| JavaValue::Other)?,
                                b'J' | b'D' => self.take(8).map(|_| JavaValue::Other)?,
                                b'L' | b'[' => self.content(depth + 1)?,
                                _ => return None,
                            };
                            if matches!(v, JavaValue::Str(_) | JavaValue::Bytes(_))
                                && !self.fields.iter().any(|(n, _)| n == name)
                            {
                                self.fields.push((name.clone(), v));
                            }
                        }
                        if c.flags & 0x01 != 0 {
                            self.annotation(depth)?; // writeObject's extra data
                        }
                    }
                    Some(JavaValue::Other)
                }
                0x75 => {
                    // TC_ARRAY: a byte[] kept, other arrays walked.
                    let JavaValue::Desc(class) = self.content(depth + 1)? else {
                        return None;
                    };
                    let name = Some(class.name.clone());
                    let at = self.handles.len();
                    self.handles.push(JavaValue::Other);
                    let n = self.u32()? as usize;
                    let size = match name.as_deref().and_then(|n| n.as_bytes().get(1)) {
                        Some(b'B' | b'Z') => 1,
                        Some(b'C' | b'S') => 2,
                        Some(b'I' | b'F') => 4,
                        Some(b'J' | b'D') => 8,
                        _ => 0,
                    };
                    if size == 0 {
                        for _ in 0..n {
                            self.content(depth + 1)?;
                        }
                        return Some(JavaValue::Other);
                    }
                    let data = self.take(n.checked_mul(size)?)?;
                    let v = if size == 1 && name.as_deref() == Some("[B") {
                        JavaValue::Bytes(data.to_vec())
                    } else {
                        JavaValue::Other
                    };
                    self.handles[at] = v.clone();
                    Some(v)
                }
                _ => None,
            }
        }
        /// A new class description (after its `TC_CLASSDESC`).
        fn class_desc(&mut self, depth: u32) -> Option<JavaValue> {
            let name = self.utf()?;
            self.take(8)?; // serialVersionUID
            let at = self.handles.len();
            self.handles.push(JavaValue::Other);
            let flags = self.u8()?;
            let mut fields = Vec::new();
            for _ in 0..self.u16()? {
                let code = self.u8()?;
                let field = self.utf()?;
                if code == b'L' || code == b'[' {
                    self.content(depth + 1)?; // the field's class name, a string
                }
                fields.push((code, field));
            }
            self.annotation(depth)?;
            let super_class = match self.content(depth + 1)? {
                JavaValue::Desc(c) => Some(c),
                _ => None,
            };
            let class = std::rc::Rc::new(JavaClass {
                name,
                flags,
                fields,
                super_class,
            });
            self.handles[at] = JavaValue::Desc(class.clone());
            Some(JavaValue::Desc(class))
        }
        /// Content up to `TC_ENDBLOCKDATA`, block data skipped.
        fn annotation(&mut self, depth: u32) -> Option<()> {
            loop {
                match *self.c.b.get(self.c.at)? {
                    0x78 => {
                        self.c.at += 1;
                        return Some(());
                    }
                    0x77 => {
                        self.c.at += 1;
                        let n = usize::from(self.u8()?);
                        self.take(n)?;
                    }
                    _ => {
                        self.content(depth + 1)?;
                    }
                }
            }
        }
    }
    if b.get(..4)? != [0xac, 0xed, 0x00, 0x05] {
        return None;
    }
    if *b.get(4)? != 0x73 {
        return None;
    }
    let mut r = Reader {
        c: Cursor { b, at: 4 },
        handles: Vec::new(),
        fields: Vec::new(),
        budget: 4096,
    };
    r.content(0)?;
    Some((r.fields, r.c.at))
}

/// A bounds-checked big-endian reader (Java's DataInputStream layout).
struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
    /// Java's modified UTF-8 with a 16-bit length, as printable text.
    fn utf(&mut self) -> Option<String> {
        let len = usize::from(self.u16()?);
        Some(printable(&String::from_utf8_lossy(self.take(len)?)))
    }
}

/// PKCS#12's integrity MAC checked against the empty password.
mod mac {
    use super::der_expect;

    /// Work a hostile file can ask of the key derivation, at most.
    const MAX_ITERATIONS: u32 = 1 << 18;

    #[derive(Clone, Copy)]
    enum Hash {
        Sha1,
        Sha224,
        Sha256,
        Sha384,
        Sha512,
    }

    impl Hash {
        fn of(oid: &[u8]) -> Option<Hash> {
            const SHA2: [u8; 8] = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02];
            if oid == [0x2b, 0x0e, 0x03, 0x02, 0x1a] {
                return Some(Hash::Sha1);
            }
            match oid.strip_prefix(&SHA2[..])? {
                [1] => Some(Hash::Sha256),
                [2] => Some(Hash::Sha384),
                [3] => Some(Hash::Sha512),
                [4] => Some(Hash::Sha224),
                _ => None,
            }
        }

        /// The input block size (v in RFC 7292 appendix B).
        fn block(self) -> usize {
            match self {
                Hash::Sha384 | Hash::Sha512 => 128,
                _ => 64,
            }
        }

        fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
            fn with<D: sha2::Digest>(parts: &[&[u8]]) -> Vec<u8> {
                let mut d = D::new();
                for p in parts {
                    d.update(p);
                }
                d.finalize().to_vec()
            }
            match self {
                Hash::Sha1 => {
                    let mut h = sha1dc::Hasher::new();
                    for p in parts {
                        h.update(p);
                    }
                    h.finalize()
                        .map(|d| d.as_ref().to_vec())
                        .unwrap_or_default()
                }
                Hash::Sha224 => with::<sha2::Sha224>(parts),
                Hash::Sha256 => with::<sha2::Sha256>(parts),
                Hash::Sha384 => with::<sha2::Sha384>(parts),
                Hash::Sha512 => with::<sha2::Sha512>(parts),
            }
        }
    }

    /// RFC 7292 appendix B.2: `n` bytes of key material of purpose `id` (3: the MAC key).
    fn derive(h: Hash, password: &[u8], salt: &[u8], iterations: u32, id: u8, n: usize) -> Vec<u8> {
        let v = h.block();
        let fill = |x: &[u8]| -> Vec<u8> {
            x.iter()
                .cycle()
                .take(v * x.len().div_ceil(v))
                .copied()
                .collect()
        };
        let mut i = fill(salt);
        i.extend(fill(password));
        let d = vec![id; v];
        let mut out = Vec::with_capacity(n);
        loop {
            let mut a = h.digest(&[&d, &i]);
            for _ in 1..iterations {
                a = h.digest(&[&a]);
            }
            out.extend_from_slice(&a);
            if out.len() >= n || a.is_empty() {
                out.truncate(n);
                return out;
            }
            let b: Vec<u8> = a.iter().cycle().take(v).copied().collect();
            for block in i.chunks_mut(v) {
                let mut carry = 1u16;
                for k in (0..block.len()).rev() {
                    let s = u16::from(block[k]) + u16::from(b[k]) + carry;
                    block[k] = s as u8;
                    carry = s >> 8;
                }
            }
        }
    }

    fn hmac(h: Hash, key: &[u8], msg: &[u8]) -> Vec<u8> {
        let v = h.block();
        let mut k = if key.len() > v {
            h.digest(&[key])
        } else {
            key.to_vec()
        };
        k.resize(v, 0);
        let ipad: Vec<u8> = k.iter().map(|x| x ^ 0x36).collect();
        let opad: Vec<u8> = k.iter().map(|x| x ^ 0x5c).collect();
        let inner = h.digest(&[&ipad, msg]);
        h.digest(&[&opad, &inner])
    }

    /// `MacData { mac DigestInfo, macSalt, iterations DEFAULT 1 }` over the authenticated
    /// safe's contents `data`: whether it verifies with the empty password (as OpenSSL
    /// and Java write it: the BMPString of "" is its two-byte terminator; some writers
    /// use no bytes at all). `None` for a MAC it cannot check (PBMAC1, an unknown digest,
    /// an absurd iteration count).
    pub fn opens_with_empty_password(mac_data: &[u8], data: &[u8]) -> Option<bool> {
        let (mac_data, _) = der_expect(mac_data, 0x30)?;
        let (digest_info, rest) = der_expect(mac_data, 0x30)?;
        let (alg, after) = der_expect(digest_info, 0x30)?;
        let (oid, _) = der_expect(alg, 0x06)?;
        // PBMAC1 (RFC 9579) and anything else but a plain digest: not checked.
        let hash = Hash::of(oid)?;
        let (digest, _) = der_expect(after, 0x04)?;
        let (salt, rest) = der_expect(rest, 0x04)?;
        let iterations = match der_expect(rest, 0x02) {
            Some((i, _)) => uint(i)?,
            None => 1,
        };
        if iterations == 0 || iterations > MAX_ITERATIONS {
            return None;
        }
        let len = hash.digest(&[]).len();
        if digest.len() != len {
            return None;
        }
        Some([&[0u8, 0][..], &[]].into_iter().any(|password| {
            let key = derive(hash, password, salt, iterations, 3, len);
            hmac(hash, &key, data) == digest
        }))
    }

    /// Work a hostile file can ask of PBKDF2, at most.
    const MAX_PBKDF2_ITERATIONS: u32 = 1 << 18;

    /// PBKDF2 (RFC 8018) with HMAC over `h`.
    fn pbkdf2(h: Hash, password: &[u8], salt: &[u8], iterations: u32, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len);
        let mut block = 1u32;
        while out.len() < len {
            let mut u = hmac(h, password, &[salt, &block.to_be_bytes()].concat());
            let mut t = u.clone();
            for _ in 1..iterations {
                u = hmac(h, password, &u);
                for (t, u) in t.iter_mut().zip(&u) {
                    *t ^= u;
                }
            }
            out.extend_from_slice(&t);
            block += 1;
        }
        out.truncate(len);
        out
    }

    /// A PKCS#8 `EncryptedPrivateKeyInfo` under PBES2 (PBKDF2 with an HMAC-SHA PRF, and
    /// AES-CBC), decrypted with `password`: the PrivateKeyInfo's DER, or `None` for another
    /// scheme, parameters out of bounds, or a padding that says the password is wrong.
    pub fn pbes2_decrypt(epki: &[u8], password: &[u8]) -> Option<Vec<u8>> {
        use aes::cipher::KeyIvInit as _;
        const PBES2: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
        const PBKDF2: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c];
        const HMAC: [u8; 7] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02];
        const AES: [u8; 8] = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01];
        let (epki, _) = der_expect(epki, 0x30)?;
        let (alg, rest) = der_expect(epki, 0x30)?;
        let (data, _) = der_expect(rest, 0x04)?;
        let (oid, params) = der_expect(alg, 0x06)?;
        if oid != PBES2 {
            return None;
        }
        let (params, _) = der_expect(params, 0x30)?;
        let (kdf, rest) = der_expect(params, 0x30)?;
        let (scheme, _) = der_expect(rest, 0x30)?;
        let (kdf_oid, kdf_params) = der_expect(kdf, 0x06)?;
        if kdf_oid != PBKDF2 {
            return None;
        }
        let (kdf_params, _) = der_expect(kdf_params, 0x30)?;
        let (salt, rest) = der_expect(kdf_params, 0x04)?;
        let (iterations, mut rest) = der_expect(rest, 0x02)?;
        let iterations = uint(iterations)?;
        if iterations == 0 || iterations > MAX_PBKDF2_ITERATIONS {
            return None;
        }
        if let Some((_key_length, after)) = der_expect(rest, 0x02) {
            rest = after;
        }
        let prf = match der_expect(rest, 0x30) {
            None => Hash::Sha1,
            Some((prf, _)) => {
                let (oid, _) = der_expect(prf, 0x06)?;
                match oid.strip_prefix(&HMAC[..])? {
                    [7] => Hash::Sha1,
                    [8] => Hash::Sha224,
                    [9] => Hash::Sha256,
                    [10] => Hash::Sha384,
                    [11] => Hash::Sha512,
                    _ => return None,
                }
            }
        };
        let (cipher, iv) = der_expect(scheme, 0x06)?;
        let (iv, _) = der_expect(iv, 0x04)?;
        let key_len = match cipher.strip_prefix(&AES[..])? {
            [2] => 16,
            [22] => 24,
            [42] => 32,
            _ => return None,
        };
        if iv.len() != 16 || data.is_empty() || data.len() % 16 != 0 {
            return None;
        }
        let key = pbkdf2(prf, password, salt, iterations, key_len);
        match key_len {
            16 => cbc_key(
                cbc::Decryptor::<aes::Aes128>::new_from_slices(&key, iv).ok()?,
                data,
            ),
            24 => cbc_key(
                cbc::Decryptor::<aes::Aes192>::new_from_slices(&key, iv).ok()?,
                data,
            ),
            _ => cbc_key(
                cbc::Decryptor::<aes::Aes256>::new_from_slices(&key, iv).ok()?,
                data,
            ),
        }
    }

    /// `data` decrypted by `d` (CBC, PKCS#7 padding), kept when it is what a right password
    /// gives: one DER SEQUENCE, all of it.
    fn cbc_key<C>(d: cbc::Decryptor<C>, data: &[u8]) -> Option<Vec<u8>>
    where
        C: aes::cipher::BlockDecryptMut + aes::cipher::BlockCipher,
    {
        use aes::cipher::BlockDecryptMut as _;
        use aes::cipher::block_padding::Pkcs7;
        let mut buf = data.to_vec();
        let plain = d.decrypt_padded_mut::<Pkcs7>(&mut buf).ok()?.to_vec();
        der_expect(&plain, 0x30)
            .is_some_and(|(_, rest)| rest.is_empty())
            .then_some(plain)
    }

    /// A PKCS#8 `EncryptedPrivateKeyInfo` under one of PKCS#12's own PBEs (RFC 7292
    /// appendix C: `pbeWithSHAAnd3-KeyTripleDES-CBC`, `…2-KeyTripleDES-CBC`,
    /// `…128BitRC2-CBC`, `…40BitRC2-CBC`; key and IV derived from the password with SHA-1
    /// as appendix B says), decrypted with the empty password (its BMPString, the two-byte
    /// terminator, as OpenSSL and Java write it; or no bytes, as some writers do): the
    /// PrivateKeyInfo's DER, or `None` for another scheme, parameters out of bounds, or a
    /// padding or a structure that says the password is not empty.
    pub fn pkcs12_pbe_decrypt_empty(epki: &[u8]) -> Option<Vec<u8>> {
        use aes::cipher::{InnerIvInit as _, KeyIvInit as _};
        const PKCS12_PBE: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01];
        let (epki, _) = der_expect(epki, 0x30)?;
        let (alg, rest) = der_expect(epki, 0x30)?;
        let (data, _) = der_expect(rest, 0x04)?;
        let (oid, params) = der_expect(alg, 0x06)?;
        let scheme = *oid.strip_prefix(&PKCS12_PBE[..])?.first()?;
        if oid.len() != PKCS12_PBE.len() + 1 {
            return None;
        }
        // 3: three-key 3DES, 4: two-key 3DES, 5: 128-bit RC2, 6: 40-bit RC2 (1 and 2
        // are RC4, a stream cipher no writer uses for a key bag).
        let key_len = match scheme {
            3 => 24,
            4 | 5 => 16,
            6 => 5,
            _ => return None,
        };
        let (params, _) = der_expect(params, 0x30)?;
        let (salt, rest) = der_expect(params, 0x04)?;
        let iterations = match der_expect(rest, 0x02) {
            Some((i, _)) => uint(i)?,
            None => 1,
        };
        if iterations == 0 || iterations > MAX_ITERATIONS || data.is_empty() || data.len() % 8 != 0
        {
            return None;
        }
        [&[0u8, 0][..], &[]].into_iter().find_map(|password| {
            let key = derive(Hash::Sha1, password, salt, iterations, 1, key_len);
            let iv = derive(Hash::Sha1, password, salt, iterations, 2, 8);
            match scheme {
                3 => cbc_key(
                    cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, &iv).ok()?,
                    data,
                ),
                4 => cbc_key(
                    cbc::Decryptor::<des::TdesEde2>::new_from_slices(&key, &iv).ok()?,
                    data,
                ),
                _ => cbc_key(
                    cbc::Decryptor::<rc2::Rc2>::inner_iv_slice_init(
                        rc2::Rc2::new_with_eff_key_len(&key, key_len * 8),
                        &iv,
                    )
                    .ok()?,
                    data,
                ),
            }
        })
    }

    /// A DER INTEGER's contents as a u32.
    pub(super) fn uint(i: &[u8]) -> Option<u32> {
        let i = &i[i.iter().position(|&b| b != 0).unwrap_or(i.len())..];
        (i.len() <= 4).then(|| i.iter().fold(0u32, |v, &b| (v << 8) | u32::from(b)))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn pbkdf2_sha256_is_rfc_7914s() {
            // RFC 7914 section 11: PBKDF2-HMAC-SHA256("passwd", "salt", 1, 64), first 16 bytes.
            let dk = pbkdf2(Hash::Sha256, b"passwd", b"salt", 1, 64);
            let hex: String = dk[..16].iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, "55ac046e56e3089fec1691c22544b605");
        }

        #[test]
        fn hmac_sha256_is_rfc_4231s() {
            // RFC 4231 test case 2.
            let mac = hmac(Hash::Sha256, b"Jefe", b"what do ya want for nothing?");
            let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(
                hex,
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_kinds_by_name() {
        for yes in [
            "application.properties",
            "deploy/values.yaml",
            "ci.yml",
            ".env",
            ".env.production",
            "prod.env",
            "secrets/sa.JSON",
        ] {
            assert!(config_kind(yes.as_bytes()), "{yes}");
        }
        for no in [
            "main.rs",
            "env",
            "README.md",
            ".envrc",
            "yaml",
            "x/.json.bak",
        ] {
            assert!(!config_kind(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn bare_bodies_need_a_value_that_parses() {
        // Base64 that starts like DER but is not a key, at the start of a value.
        let text = format!("a: {}\nb=MIIB{}\n", "M".repeat(80), "A".repeat(100));
        assert!(bare_bodies(text.as_bytes()).is_empty());
        // Inside a word: not a value.
        assert!(bare_bodies(format!("xMII{}", "Q".repeat(90)).as_bytes()).is_empty());
        // Minified JSON: one long line of short values starting with M.
        let line = "\"license\":\"MIT\",".repeat(100_000);
        let start = std::time::Instant::now();
        assert!(bare_bodies(line.as_bytes()).is_empty());
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "quadratic"
        );
    }

    #[test]
    fn a_sealed_object_is_read_to_its_end_and_mutations_never_panic() {
        let ks = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/keyfiles/secret_keys/secrets.jceks"
        ))
        .unwrap();
        let start = ks.windows(4).position(|w| w == [0xac, 0xed, 0, 5]).unwrap();
        let (fields, used) = java_object(&ks[start..]).unwrap();
        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        for want in ["encodedParams", "encryptedContent", "paramsAlg", "sealAlg"] {
            assert!(names.contains(&want), "{names:?}");
        }
        // What follows is the next entry: its tag (3, a secret key) and its alias.
        assert_eq!(&ks[start + used..start + used + 4], &[0, 0, 0, 3]);
        let object = &ks[start..start + used];
        for i in 0..object.len() {
            let _ = java_object(&object[..i]);
            let mut bad = object.to_vec();
            bad[i] ^= 0xff;
            let _ = java_object(&bad);
            let mut bad = ks.clone();
            bad[start + i] = bad[start + i].wrapping_add(1);
            let _ = find(&bad);
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x9e37_79b9_u32;
        for len in 0..400 {
            let mut bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    seed as u8
                })
                .collect();
            for magic in [
                &[0x30u8][..],
                &[0xfe, 0xed, 0xfe, 0xed],
                &[0xce, 0xce, 0xce, 0xce],
            ] {
                if bytes.len() >= magic.len() {
                    bytes[..magic.len()].copy_from_slice(magic);
                }
                let _ = find(&bytes);
            }
            let _ = bare_bodies(&bytes);
        }
    }
}
