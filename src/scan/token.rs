//! The checksums that let a provider token prove itself offline: GitHub's and npm's CRC32
//! in base62, and the bech32 checksum of an `age` secret key. Pure functions of the
//! token's bytes; no network, ever.

/// CRC-32 (IEEE 802.3, as zlib computes it), bit by bit: tokens are a few dozen bytes.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` in base62 (`0-9A-Za-z`), left-padded with `0` to six digits: how GitHub and npm
/// write a token's CRC32.
pub fn base62_6(mut n: u32) -> [u8; 6] {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// A GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) or npm (`npm_`) token: after the
/// prefix's `_`, 30 random base62 characters and six more that write their CRC32. True
/// when those six are the checksum of the thirty.
pub fn github_checksum_holds(token: &[u8]) -> bool {
    let Some(us) = token.iter().position(|&b| b == b'_') else {
        return false;
    };
    let body = &token[us + 1..];
    if body.len() != 36 || !body.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (random, check) = body.split_at(30);
    base62_6(crc32(random)) == check
}

/// The bech32 character set (BIP 173).
const BECH32: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn polymod(values: impl Iterator<Item = u8>) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk = 1u32;
    for v in values {
        let top = chk >> 25;
        chk = ((chk & 0x1ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

fn hrp_expand(hrp: &[u8]) -> impl Iterator<Item = u8> + '_ {
    hrp.iter()
        .map(|b| b >> 5)
        .chain(std::iter::once(0))
        .chain(hrp.iter().map(|b| b & 31))
}

/// Decodes a bech32 string (one case throughout, as BIP 173 requires) whose checksum
/// holds: its human-readable part in lower case and its data as bytes (5-bit groups
/// regrouped, zero padding required). `None` for anything else. No length limit: age's
/// secret keys are longer than BIP 173's 90 characters.
pub fn bech32_decode(s: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let lower = s.iter().any(u8::is_ascii_lowercase);
    let upper = s.iter().any(u8::is_ascii_uppercase);
    if lower && upper {
        return None;
    }
    let s: Vec<u8> = s.to_ascii_lowercase();
    let sep = s.iter().rposition(|&b| b == b'1')?;
    let (hrp, data) = (&s[..sep], &s[sep + 1..]);
    if hrp.is_empty() || data.len() < 6 || hrp.iter().any(|&b| !(33..=126).contains(&b)) {
        return None;
    }
    let values: Vec<u8> = data
        .iter()
        .map(|c| BECH32.iter().position(|x| x == c).map(|p| p as u8))
        .collect::<Option<_>>()?;
    if polymod(hrp_expand(hrp).chain(values.iter().copied())) != 1 {
        return None;
    }
    let groups = &values[..values.len() - 6];
    let mut bytes = Vec::with_capacity(groups.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &g in groups {
        acc = (acc << 5) | u32::from(g);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
        }
    }
    if bits >= 5 || acc & ((1 << bits) - 1) != 0 {
        return None;
    }
    Some((hrp.to_vec(), bytes))
}

/// `data` in bech32 under `hrp` (lower case).
pub fn bech32_encode(hrp: &[u8], data: &[u8]) -> String {
    let mut values = Vec::with_capacity(data.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in data {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            values.push(((acc >> bits) & 31) as u8);
        }
    }
    if bits > 0 {
        values.push(((acc << (5 - bits)) & 31) as u8);
    }
    let pm = polymod(
        hrp_expand(hrp)
            .chain(values.iter().copied())
            .chain([0u8; 6]),
    ) ^ 1;
    let mut out = String::from_utf8_lossy(hrp).into_owned();
    out.push('1');
    for v in values
        .iter()
        .copied()
        .chain((0..6).map(|i| ((pm >> (5 * (5 - i))) & 31) as u8))
    {
        out.push(char::from(BECH32[v as usize]));
    }
    out
}

/// An `age` secret key (`AGE-SECRET-KEY-1…`): its 32 bytes when the bech32 checksum
/// holds and the human-readable part is age's.
pub fn age_secret_key(s: &[u8]) -> Option<[u8; 32]> {
    let (hrp, data) = bech32_decode(s)?;
    if hrp != b"age-secret-key-" {
        return None;
    }
    data.try_into().ok()
}

/// A WireGuard key (`wg genkey`): 32 bytes in padded base64, the last 44 bytes of `s` (a
/// `PrivateKey = …` line).
pub fn wireguard_key(s: &[u8]) -> Option<[u8; 32]> {
    use base64::Engine as _;
    let b64 = s.get(s.len().checked_sub(44)?..)?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let key: [u8; 32] = bytes.try_into().ok()?;
    // All zeros (a placeholder) or one byte repeated is no key.
    (!key.iter().all(|&b| b == key[0])).then_some(key)
}

/// Whether a token rule's secret has the shape of a GitLab routable token: GitLab's `gl`
/// prefix and a `.` after it, where its version and checksum begin (see
/// [`gitlab_routable`]).
pub fn is_gitlab_routable_shape(secret: &[u8]) -> bool {
    secret.starts_with(b"gl") && secret.contains(&b'.')
}

/// What a GitLab routable token says about itself: its routing fields (`o` organisation,
/// `u` user, `g` group, `p` project, `c` cell, `t` runner type), each a number GitLab
/// wrote in base 36, in the token's order; empty when the payload is not that list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitlabRoutable {
    pub fields: Vec<(char, u64)>,
}

/// A GitLab routable token (GitLab's `Authn::TokenField::Generator::RoutableToken`): the
/// prefix (`glpat-`, `glrt-`, …), the base64url of the random bytes and the routing
/// payload, `.`, the format's version in two base-36 digits (tokens made before versions
/// were written have none), `.`, the base64's length in two base-36 digits, then the CRC32
/// of everything before it in seven. `Some` when the checksum holds, the length is the
/// base64's, the prefix is GitLab's (`gl`, lower-case letters, `-`; a runner's
/// `t<digit>_` after it) and the base64 decodes. The fields are read from the payload:
/// `random ‖ payload ‖ len(payload)` in version 1, `payload ‖ random ‖ len(random)`
/// before it.
pub fn gitlab_routable(token: &[u8]) -> Option<GitlabRoutable> {
    use base64::Engine as _;
    let b36 = |s: &[u8]| -> Option<u64> {
        let s = std::str::from_utf8(s).ok()?;
        (!s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()))
        .then(|| u64::from_str_radix(s, 36).ok())
        .flatten()
    };
    let n = token.len();
    if n < 10 + 4 + 8 || token[n - 10] != b'.' {
        return None;
    }
    let (signed, crc) = token.split_at(n - 7);
    if b36(crc)? != u64::from(crc32(signed)) {
        return None;
    }
    let len = usize::try_from(b36(&token[n - 9..n - 7])?).ok()?;
    let mut head = &token[..n - 10];
    let versioned = head.len() > 3 && head[head.len() - 3] == b'.';
    if versioned {
        b36(&head[head.len() - 2..])?;
        head = &head[..head.len() - 3];
    }
    let (prefix, b64) = head.split_at(head.len().checked_sub(len)?);
    let gitlab_prefix = |p: &[u8]| {
        let p = match p {
            [rest @ .., b't', d, b'_'] if d.is_ascii_digit() => rest,
            _ => p,
        };
        p.len() >= 4
            && p.starts_with(b"gl")
            && p.ends_with(b"-")
            && p[..p.len() - 1].iter().all(u8::is_ascii_lowercase)
    };
    if !gitlab_prefix(prefix) {
        return None;
    }
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64)
        .ok()?;
    let (&last, body) = raw.split_last()?;
    let last = usize::from(last);
    let payload = if versioned {
        body.len()
            .checked_sub(last)
            .filter(|&random| random >= 16)
            .map(|random| &body[random..])
    } else {
        body.len()
            .checked_sub(last)
            .filter(|_| last >= 16)
            .map(|end| &body[..end])
    };
    let fields = payload
        .and_then(|p| {
            p.split(|&b| b == b'\n')
                .map(|line| match line {
                    [k, b':', v @ ..] if b"cgoput".contains(k) => Some((char::from(*k), b36(v)?)),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
        })
        .unwrap_or_default();
    Some(GitlabRoutable { fields })
}

/// A placeholder or a run of words rather than random characters: a run of five or more of
/// one character (`xxxxx`, `00000`) or of six ascending ones (`abcdef`, `123456`), or no
/// digit, no upper-case or no lower-case letter at all (`BASELINEvariableFromPort`, glued
/// identifiers in a binary's strings). Random base62 has all three: 24 random characters
/// lack a digit 1.5% of the time, the price of a format with no checksum.
pub fn looks_made_up(random: &[u8]) -> bool {
    let has = |f: fn(&u8) -> bool| random.iter().any(f);
    if !has(u8::is_ascii_digit) || !has(u8::is_ascii_uppercase) || !has(u8::is_ascii_lowercase) {
        return true;
    }
    typed_by_hand(random)
}

/// A run of five or more of one character, or of six ascending ones.
fn typed_by_hand(random: &[u8]) -> bool {
    let mut same = 1;
    let mut up = 1;
    for w in random.windows(2) {
        same = if w[1] == w[0] { same + 1 } else { 1 };
        up = if w[1] == w[0].wrapping_add(1) {
            up + 1
        } else {
            1
        };
        if same >= 5 || up >= 6 {
            return true;
        }
    }
    false
}

/// [`looks_made_up`] for a random part of letters only (Hugging Face's tokens): no
/// upper-case or no lower-case letter, or a run of five of one character or six ascending.
pub fn looks_made_up_letters(random: &[u8]) -> bool {
    if !random.iter().any(u8::is_ascii_uppercase) || !random.iter().any(u8::is_ascii_lowercase) {
        return true;
    }
    typed_by_hand(random)
}

/// [`looks_made_up`] for a random part in lower-case hex (a Slack user token's last 32
/// characters): no digit or no letter, or a run of five of one character or six ascending.
pub fn looks_made_up_hex(random: &[u8]) -> bool {
    if !random.iter().any(u8::is_ascii_digit) || !random.iter().any(u8::is_ascii_lowercase) {
        return true;
    }
    // A letter and a digit are there: the case test of `looks_made_up` is the one to skip.
    typed_by_hand(random)
}

/// The label an Azure Storage account key follows (its rule's secret is the bare key),
/// with a NUL after it: string literals sit back to back in the binary, and one that ran
/// on into the next would be a label with a key after it. `enrich::token` names the kind
/// by it; the validator checks the key after it.
pub const AZURE_KEY_LABEL_NUL: &str = "AccountKey=\0";

/// [`AZURE_KEY_LABEL_NUL`] without its NUL.
pub fn azure_key_label() -> &'static str {
    AZURE_KEY_LABEL_NUL.trim_end_matches('\0')
}

/// An Azure Storage account key: 64 bytes in canonical base64 (88 characters ending
/// `==`, the four bits after the last byte zero, as every encoder writes them: three
/// characters in four of a made-up run fail here), not one byte repeated.
pub fn azure_account_key(s: &[u8]) -> bool {
    use base64::Engine as _;
    s.len() == 88
        && base64::engine::general_purpose::STANDARD
            .decode(s)
            .is_ok_and(|k| k.len() == 64 && !k.iter().all(|&b| b == k[0]))
}

/// What a PyPI API token's macaroon says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pypi {
    /// Issued by TestPyPI (`test.pypi.org`), not PyPI.
    pub test: bool,
    /// The projects it may upload to, by name or by id (`[]`: no project caveat, every
    /// project of the account).
    pub projects: Vec<String>,
    /// Whether a caveat names them by id rather than by name.
    pub by_id: bool,
    /// Minted by a trusted publisher (OIDC): short-lived.
    pub trusted_publisher: bool,
    /// A caveat was not JSON: the scope is not known.
    pub unread: bool,
}

/// One field of a libmacaroons v2 macaroon at `d[*i..]`: its type and data, or `(0, [])`
/// for an end-of-section byte.
fn macaroon_field<'d>(d: &'d [u8], i: &mut usize) -> Option<(u8, &'d [u8])> {
    let kind = *d.get(*i)?;
    *i += 1;
    if kind == 0 {
        return Some((0, &[]));
    }
    let mut len = 0usize;
    for shift in (0..35).step_by(7) {
        let b = *d.get(*i)?;
        *i += 1;
        len |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            let data = d.get(*i..i.checked_add(len)?)?;
            *i += len;
            return Some((kind, data));
        }
    }
    None
}

/// A PyPI API token (`pypi-` and a base64url macaroon in libmacaroons' binary format,
/// version 2): `Some` when every field stands where the format puts it (the version byte;
/// the location `pypi.org` or `test.pypi.org` and an identifier, then an end byte; each
/// caveat's fields and its end byte; an empty section; a 32-byte signature; nothing after
/// it). The signature is an HMAC only PyPI can check: this is the structure, not a
/// checksum. The caveats (JSON) give the scope; one that is not JSON leaves it unknown and
/// does not make the token any less one.
pub fn pypi_macaroon(token: &[u8]) -> Option<Pypi> {
    use base64::Engine as _;
    let b64 = token.strip_prefix(b"pypi-")?;
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let d = engine.decode(b64).ok()?;
    if d.first() != Some(&2) {
        return None;
    }
    let mut i = 1;
    let (mut location, mut identifier) = (None, None);
    loop {
        match macaroon_field(&d, &mut i)? {
            (0, _) => break,
            (1, loc) if location.is_none() && identifier.is_none() => location = Some(loc),
            (2, id) if identifier.is_none() => identifier = Some(id),
            _ => return None,
        }
    }
    identifier.filter(|id| !id.is_empty())?;
    let test = match location? {
        b"pypi.org" => false,
        b"test.pypi.org" => true,
        _ => return None,
    };
    let mut caveats: Vec<&[u8]> = Vec::new();
    loop {
        // A caveat: [location] identifier [verification id], then its end byte; an end
        // byte straight away ends the caveats.
        let mut id = None;
        let mut first = true;
        loop {
            match macaroon_field(&d, &mut i)? {
                (0, _) => break,
                (1, _) if id.is_none() => {}
                (2, c) if id.is_none() => id = Some(c),
                (4, _) if id.is_some() => {}
                _ => return None,
            }
            first = false;
        }
        if first {
            break;
        }
        caveats.push(id?);
    }
    match macaroon_field(&d, &mut i)? {
        (6, sig) if sig.len() == 32 && i == d.len() => {}
        _ => return None,
    }
    let mut out = Pypi {
        test,
        projects: Vec::new(),
        by_id: false,
        trusted_publisher: false,
        unread: false,
    };
    for c in caveats {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(c) else {
            out.unread = true;
            continue;
        };
        let names = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|p| p.as_str())
                        .filter(|p| {
                            !p.is_empty()
                                && p.len() <= 100
                                && p.bytes()
                                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
                        })
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        // Legacy caveats: {"version": 1, "permissions": "user" | {"projects": [...]}}.
        if let Some(p) = v.get("permissions").and_then(|p| p.get("projects")) {
            out.projects.extend(names(p));
        }
        // Current ones: [tag, ...]: 1 project names, 2 project ids, 4 a trusted publisher.
        if let Some(a) = v.as_array() {
            match a.first().and_then(serde_json::Value::as_u64) {
                Some(1) => out.projects.extend(a.get(1).map(names).unwrap_or_default()),
                Some(2) => {
                    out.by_id = true;
                    out.projects.extend(a.get(1).map(names).unwrap_or_default());
                }
                Some(4) => out.trusted_publisher = true,
                _ => {}
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GitLab's own example of a routable runner token (its decoder's spec): the checksum
    /// holds, the fields are read; one character of the checksum changed, a dot lost, a
    /// prefix that is not GitLab's: none.
    #[test]
    fn gitlab_routable_tokens_prove_themselves() {
        let t = b"glrtr-W5m1cHR6skC98Bx7XkuYjmM6MQpnOjgKbzpyegp0OjIQ.01.181uebm4k";
        assert_eq!(
            gitlab_routable(t),
            Some(GitlabRoutable {
                fields: vec![('c', 1), ('g', 8), ('o', 1007), ('t', 2)]
            })
        );
        let mut bad = t.to_vec();
        *bad.last_mut().unwrap() = b'l';
        assert_eq!(gitlab_routable(&bad), None);
        assert_eq!(gitlab_routable(&t[..t.len() - 1]), None);
        let undotted: Vec<u8> = t.iter().copied().filter(|&b| b != b'.').collect();
        assert_eq!(gitlab_routable(&undotted), None);
        // A changed prefix fails the checksum, and so does any other change.
        assert_eq!(gitlab_routable(&[b"x", &t[..]].concat()), None);
    }

    #[test]
    fn crc32_is_zlibs() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn base62_pads_to_six() {
        assert_eq!(&base62_6(0), b"000000");
        assert_eq!(&base62_6(61), b"00000z");
        assert_eq!(&base62_6(62), b"000010");
        assert_eq!(&base62_6(u32::MAX), b"4gfFC3");
    }

    #[test]
    fn bech32_round_trips_and_rejects_a_changed_character() {
        let key = [7u8; 32];
        let s = bech32_encode(b"age-secret-key-", &key).to_ascii_uppercase();
        assert!(s.starts_with("AGE-SECRET-KEY-1"));
        assert_eq!(age_secret_key(s.as_bytes()), Some(key));
        let mut bad = s.clone().into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'Q' { b'P' } else { b'Q' };
        assert_eq!(age_secret_key(&bad), None);
        assert_eq!(age_secret_key(&s.as_bytes()[..s.len() - 1]), None);
        // BIP 173's own test vector.
        assert!(bech32_decode(b"A12UEL5L").is_some());
        assert!(bech32_decode(b"a12uEL5L").is_none());
    }

    /// Tokens from tests/fixtures/tokens/generate.py (a random identifier and signature;
    /// never real credentials).
    #[test]
    fn pypi_macaroons_say_their_scope() {
        let user = "pypi-AgEIcHlwaS5vcmcCJGY3OTdmNTVjLTg2NjItN2NlMC1iMDY3LWEyMWU3ZmE0Y2UwMgACJXsidmVyc2lvbiI6IDEsICJwZXJtaXNzaW9ucyI6ICJ1c2VyIn0AAAYg7Y7EgwmerLzPlEzpEIzit3AuiPr5q6elNrc2REnqo6w";
        let p = pypi_macaroon(user.as_bytes()).unwrap();
        assert!(!p.test && p.projects.is_empty() && !p.unread);
        let legacy = pypi_macaroon(b"pypi-AgEIcHlwaS5vcmcCJGY5ZjRmMDU3LTdkYWQtODlmMi0xMzNiLTYyYWYxOWY1YTFkMQACPHsidmVyc2lvbiI6IDEsICJwZXJtaXNzaW9ucyI6IHsicHJvamVjdHMiOiBbImV4YW1wbGUtcGtnIl19fQAABiAhorRoM2ENvucYno9OQWC9OaOLNGYPP0hsfnRgS0Ul8A").unwrap();
        assert_eq!(legacy.projects, ["example-pkg"]);
        let current = pypi_macaroon(b"pypi-AgEIcHlwaS5vcmcCJDI0ZTc0OWIyLTliZDgtODFiYS03YzEzLTQ5MGYxYzczZWRkNQACIVsxLCBbImV4YW1wbGUtcGtnIiwgIm90aGVyLnBrZyJdXQACG1swLCAxODkzNDU2MDAwLCAxODYxOTIwMDAwXQAABiCWSjf9Iv08vi_hbw7ZzFdS6ZSv1wGltDu0SL5lgigrJw").unwrap();
        assert_eq!(current.projects, ["example-pkg", "other.pkg"]);
        assert!(!current.by_id);
        let test = pypi_macaroon(b"pypi-AgENdGVzdC5weXBpLm9yZwIkZjVhYzQ5NmMtZjVkYy05YzE4LWE0MTItZmU0MmRiNjE0MDA2AAIrWzMsICIwZThmM2MyYS01YjdkLTRlMWYtOWE2Yy0yZDRiOGUwZjFhM2MiXQAABiD7CRkDuxAUJ-zyE9QCWi2llXJ4di0utVD_mt0JoQa2xg").unwrap();
        assert!(test.test && test.projects.is_empty());
        // Truncated anywhere, or a byte more: the structure no longer holds.
        for n in [1, 2, 3, 4, 10, 40] {
            assert_eq!(
                pypi_macaroon(&user.as_bytes()[..user.len() - n]),
                None,
                "{n}"
            );
        }
        assert_eq!(pypi_macaroon(format!("{user}AA").as_bytes()), None);
        // Another location, or a length changed.
        assert_eq!(
            pypi_macaroon(user.replace("cHlwaS5vcmc", "cHlwaS5vcmd").as_bytes()),
            None
        );
        assert_eq!(pypi_macaroon(user.replacen("CJ", "CK", 1).as_bytes()), None);
        assert_eq!(pypi_macaroon(b"pypi-AgEIcHlwaS5vcmc"), None);
    }

    #[test]
    fn hex_placeholders_are_made_up() {
        assert!(looks_made_up_hex(b"0123456789abcdef0123456789abcdef"));
        assert!(looks_made_up_hex(b"00000000000000000000000000000000"));
        assert!(looks_made_up_hex(b"dddddddddddddddddddddddddddddddd"));
        assert!(!looks_made_up_hex(b"608c2e22ddcdfec5e4d1cf8298e911b5"));
    }

    #[test]
    fn placeholders_are_made_up() {
        assert!(looks_made_up(b"abcdefghijklmnopqrstuvwx"));
        assert!(looks_made_up(b"aB3xxxxxQ"));
        assert!(looks_made_up(b"BASELINEvariableFromPort"));
        assert!(!looks_made_up(b"4eC39HqLyjWDarjtT1zdp7dc"));
    }
}
