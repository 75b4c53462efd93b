//! Named validators: the checks a regex cannot express. Each sees the whole haystack, so it
//! can look at the bytes just outside a match (is this key id a fragment of a longer
//! token?), and decides whether a candidate is a secret, a published example, or noise.

use super::{Match, pem, token};
use crate::rules::Validator;

/// The smallest private-key body we accept, in base64 characters. The smallest real key,
/// an Ed25519 PKCS#8 file, has 64; placeholders and elided bodies have fewer.
pub const MIN_KEY_BODY: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    /// A published documentation example: silent unless asked for.
    Example,
    Reject,
}

pub fn run(v: Validator, hay: &[u8], m: &Match) -> Verdict {
    let secret = &hay[m.secret.clone()];
    let ok = |b: bool| if b { Verdict::Accept } else { Verdict::Reject };
    match v {
        Validator::PemPrivateKey => ok(pem_private_key(secret)),
        Validator::Base64PemPrivateKey => ok(base64_pem_private_key(secret)),
        Validator::PuttyPrivateKey => ok(putty_private_key(secret)),
        Validator::AwsKeyId => aws_key_id(hay, m),
        Validator::AwsSecretKey => aws_secret_key(hay, m),
        Validator::AwsLabelledSecret => {
            if aws_label_before(hay, m) {
                aws_secret_key(hay, m)
            } else {
                Verdict::Reject
            }
        }
        Validator::AwsSessionToken => aws_example(secret, ok(stands_alone(hay, m))),
        Validator::AwsLabelledSessionToken => aws_example(
            secret,
            ok(session_label_before(hay, m) && stands_alone(hay, m)),
        ),
        Validator::GithubToken => ok(bounded(hay, m) && token::github_checksum_holds(secret)),
        Validator::AgeSecretKey => ok(bounded(hay, m) && token::age_secret_key(secret).is_some()),
        Validator::WireguardPrivateKey => ok(bounded(hay, m)
            && token::wireguard_key(secret).is_some()
            && section_of(hay, m.span.start).is_some_and(|s| s.eq_ignore_ascii_case(b"interface"))),
        Validator::PypiToken => ok(bounded(hay, m) && token::pypi_macaroon(secret).is_some()),
        Validator::ProviderToken => provider_token(hay, m),
    }
}

/// The storage emulator's account key (Azurite's and the older emulator's
/// `devstoreaccount1`), published in Microsoft's documentation and in every project that
/// tests against the emulator: an example, not a leak.
const AZURE_EMULATOR_KEY: &[u8] =
    b"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A provider token with no checksum: standing alone, its random part not a placeholder;
/// an Azure account key (the secret right after `AccountKey=`) also the canonical base64
/// of 64 bytes, and the emulator's published key an example.
fn provider_token(hay: &[u8], m: &Match) -> Verdict {
    let secret = &hay[m.secret.clone()];
    if !bounded(hay, m) {
        return Verdict::Reject;
    }
    // A GitLab routable token (a `.` after its random part) carries a CRC32: it holds, or
    // the token is none (a placeholder's fails it too).
    if token::is_gitlab_routable_shape(secret) {
        return if token::gitlab_routable(secret).is_some() {
            Verdict::Accept
        } else {
            Verdict::Reject
        };
    }
    if made_up(secret) {
        return Verdict::Reject;
    }
    if hay[..m.secret.start].ends_with(token::azure_key_label().as_bytes()) {
        if !token::azure_account_key(secret) {
            return Verdict::Reject;
        }
        if secret == AZURE_EMULATOR_KEY {
            return Verdict::Example;
        }
    }
    Verdict::Accept
}

/// The name of the INI section (`[Interface]`) that the line holding `at` belongs to: the
/// last `[name]` line before it, within 64 KiB.
fn section_of(hay: &[u8], at: usize) -> Option<&[u8]> {
    let from = at.saturating_sub(64 << 10);
    let mut end = hay[..at].iter().rposition(|&b| b == b'\n')?;
    loop {
        let start = hay[..end]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let line = hay[start..end].trim_ascii();
        if let Some(name) = line.strip_prefix(b"[").and_then(|l| l.strip_suffix(b"]")) {
            return Some(name.trim_ascii());
        }
        if start <= from || start == 0 {
            return None;
        }
        end = start - 1;
    }
}

/// Prefixes the rule below would cut wrongly: longer than a dozen bytes, ending in no `_`
/// or `-`, or followed by random characters that may hold them; each with the fixed part
/// its format ends in (Anthropic's `AA`). Vault's batch tokens start `hvb.AAAAAQ` (five
/// `A`s: a placeholder's run) and Atlassian's tokens since 2022 all start
/// `ATATT3xFfGF0`: fixed, with a digit and both cases, so the longer prefix goes first.
const PREFIXES: &[(&[u8], &[u8])] = &[
    (b"sk-ant-api03-", b"AA"),
    (b"sk-ant-admin01-", b"AA"),
    (b"sk-proj-", b""),
    (b"sk-svcacct-", b""),
    (b"sk-admin-", b""),
    (b"sk-", b""),
    (b"AIza", b""),
    (b"hvs.", b""),
    // A batch token is a protobuf in base64 whose first four bytes are 0, 0, 0, 1.
    (b"hvb.AAAAAQ", b""),
    (b"hvb.", b""),
    (b"ATATT3xFfGF0", b""),
    (b"ATATT3", b""),
    (b"GR1348941", b""),
];

/// Fixed markers inside a token's random part: OpenAI's `T3BlbkFJ` (base64 of `OpenAI`),
/// Terraform's `.atlasv1.` (between the token's two random parts).
const MARKERS: &[&[u8]] = &[b"T3BlbkFJ", b".atlasv1."];

/// Formats whose random part is lower-case hex, by prefix: Postman (two parts), GitLab's
/// pipeline trigger tokens, DigitalOcean, Databricks (less its `-<digit>` suffix),
/// Shopify; and GitLab's incoming email tokens (the opt-in `glimt-`), lower-case base 36,
/// held to the same test. Slack's user and app-level tokens (and the numbered form of its legacy
/// workspace tokens) end in hex after other parts: see [`hex_random_part`].
const HEX_PREFIXES: &[&[u8]] = &[
    b"PMAK-", b"glptt-", b"dop_v1_", b"doo_v1_", b"dor_v1_", b"dapi", b"shpat_", b"shpca_",
    b"shppa_", b"shpss_", b"glimt-",
];

/// A token's random characters: what follows its prefix (one of [`PREFIXES`], or up to the
/// last `_` or `-` within the first dozen bytes), less the fixed parts of its format, which
/// would otherwise lend a placeholder the digit and the letters of both cases it lacks.
fn random_part(secret: &[u8]) -> Vec<u8> {
    let rest = match PREFIXES.iter().find(|(p, _)| secret.starts_with(p)) {
        Some((p, suffix)) => {
            let rest = &secret[p.len()..];
            rest.strip_suffix(*suffix).unwrap_or(rest)
        }
        None => {
            let head = &secret[..secret.len().min(12)];
            match head.iter().rposition(|&b| b == b'_' || b == b'-') {
                Some(i) => &secret[i + 1..],
                None => secret,
            }
        }
    };
    // GitLab's routable tokens end in `.<version>.<check>` (or `.<version><check>`): not
    // random, and their digits would count for a placeholder before them.
    let rest = match rest.iter().position(|&b| b == b'.') {
        Some(i) if secret.starts_with(b"gl") => &rest[..i],
        _ => rest,
    };
    for marker in MARKERS {
        if let Some(i) = memchr::memmem::find(rest, marker) {
            return [&rest[..i], &rest[i + marker.len()..]].concat();
        }
    }
    rest.to_vec()
}

/// Prefixes of tokens whose random part is letters only (Hugging Face's, in the opt-in
/// `signatures/more/`), tested without asking for a digit. Each with a NUL after it, as
/// the token prefixes elsewhere are: a bare `hf_` in the binary could run on into letters.
const LETTER_PREFIXES_NUL: [&str; 2] = ["hf_\0", "api_org_\0"];

/// The random part of a token whose random part is lower-case hex: what follows its
/// prefix ([`HEX_PREFIXES`], the `-` between Postman's two parts left out, Databricks'
/// `-<digit>` suffix cut off), or the last `-`-separated part of a Slack user or
/// app-level token, or of a legacy workspace token in its numbered form
/// (`xoxa-2-<n>-<n>-<n>-<hex>`). `None` for any other token.
fn hex_random_part(secret: &[u8]) -> Option<Vec<u8>> {
    let last = || secret.rsplit(|&b| b == b'-').next().map(<[u8]>::to_vec);
    if secret.starts_with(b"xoxp-") || secret.starts_with(b"xapp-") {
        return last();
    }
    if (secret.starts_with(b"xoxa-") || secret.starts_with(b"xoxr-"))
        && secret.iter().filter(|&&b| b == b'-').count() >= 4
    {
        return last();
    }
    // Twilio's ids (`SK` and 32 hex characters) and auth tokens (32 bare hex characters):
    // their rules (opt-in) find them only where the line names Twilio.
    let hex = |s: &[u8]| {
        s.iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    };
    if secret.len() == 32 && hex(secret) {
        return Some(secret.to_vec());
    }
    if secret.len() == 34 && secret.starts_with(b"SK") && hex(&secret[2..]) {
        return Some(secret[2..].to_vec());
    }
    let p = HEX_PREFIXES.iter().find(|p| secret.starts_with(p))?;
    let rest = &secret[p.len()..];
    let rest = if *p == b"dapi" {
        rest.split(|&b| b == b'-').next().unwrap_or_default()
    } else {
        rest
    };
    Some(rest.iter().copied().filter(|&b| b != b'-').collect())
}

/// Whether a token with no checksum is a placeholder: its random part (see
/// [`random_part`]; in lower-case hex, [`hex_random_part`], tested as hex: the base62
/// test would ask for an upper-case letter no such token has; a webhook URL's last path
/// segment) looks made up.
fn made_up(secret: &[u8]) -> bool {
    if let Some(hex) = hex_random_part(secret) {
        return token::looks_made_up_hex(&hex);
    }
    if let Some(p) = LETTER_PREFIXES_NUL
        .iter()
        .map(|p| p.trim_end_matches('\0'))
        .find(|p| secret.starts_with(p.as_bytes()))
    {
        return token::looks_made_up_letters(&secret[p.len()..]);
    }
    if memchr::memmem::find(secret, b"hooks.slack.com/").is_some() {
        let last = secret.rsplit(|&b| b == b'/').next().unwrap_or_default();
        return token::looks_made_up(last);
    }
    token::looks_made_up(&random_part(secret))
}

/// True when the token is not the middle of a longer run of token characters: no letter
/// or digit just before it, none (nor `_`, `-`) just after.
fn bounded(hay: &[u8], m: &Match) -> bool {
    let before = m.secret.start.checked_sub(1).map(|i| hay[i]);
    let after = hay.get(m.secret.end).copied();
    !before.is_some_and(|b| b.is_ascii_alphanumeric())
        && !after.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The shortest secret `v` can accept, from the checks below (each a lower bound, never
/// more than the check asks): the scan skips windows too short to hold one.
pub fn min_secret_len(v: Validator) -> usize {
    match v {
        // The body (at least MIN_KEY_BODY bytes) is taken from the block's own lines; the
        // base64 of a block is longer than the block.
        Validator::PemPrivateKey | Validator::Base64PemPrivateKey => MIN_KEY_BODY,
        // At least 16 characters on the private lines.
        Validator::PuttyPrivateKey => 16,
        // Four bytes of prefix, then at least six distinct characters.
        Validator::AwsKeyId => 10,
        Validator::AwsSecretKey | Validator::AwsLabelledSecret => 40,
        Validator::AwsSessionToken | Validator::AwsLabelledSessionToken => 0,
        // A prefix and thirty-six characters.
        Validator::GithubToken => 40,
        // `AGE-SECRET-KEY-1`, 52 characters of key and 6 of checksum.
        Validator::AgeSecretKey => 74,
        // `PrivateKey=` and 44 characters of base64.
        Validator::WireguardPrivateKey => 55,
        // `pypi-AgE` and a macaroon of at least 45 bytes (location, identifier, signature).
        Validator::PypiToken => 60,
        Validator::ProviderToken => 0,
    }
}

fn pem_private_key(block: &[u8]) -> bool {
    pem::parse(block).is_some_and(|a| {
        a.body.len() >= MIN_KEY_BODY
            && a.label.contains("PRIVATE KEY")
            && (!looks_repetitive(&a.body) || well_formed(&a))
    })
}

/// A body of one repeated character (`AAAA…`, `xxxx…`) is a placeholder, not a key.
fn looks_repetitive(body: &[u8]) -> bool {
    super::shannon_entropy(body) < 3.0
}

/// A repetitive body that still decodes to a whole key structure (one DER SEQUENCE
/// starting with its version INTEGER and filling the body exactly, or an OpenSSH key's
/// magic) is a key with degenerate numbers (an all-`/` scalar), not a placeholder: it is
/// reported, and its facts say `valid: false`.
fn well_formed(a: &pem::Armored) -> bool {
    let Some(d) = pem::decode_base64_loose(&a.body) else {
        return false;
    };
    if a.label == "OPENSSH PRIVATE KEY" {
        return d.starts_with(b"openssh-key-v1\0");
    }
    let (Some(&0x30), Some(&l0)) = (d.first(), d.get(1)) else {
        return false;
    };
    let (len, head) = match l0 {
        0..=0x7f => (usize::from(l0), 2),
        0x81 => (usize::from(*d.get(2).unwrap_or(&0)), 3),
        0x82 => (
            usize::from(u16::from_be_bytes([
                *d.get(2).unwrap_or(&0),
                *d.get(3).unwrap_or(&0),
            ])),
            4,
        ),
        _ => return false,
    };
    head + len == d.len() && d.get(head) == Some(&0x02)
}

fn base64_pem_private_key(encoded: &[u8]) -> bool {
    let Some(decoded) = pem::decode_base64_loose(encoded) else {
        return false;
    };
    let first_line = decoded.split(|&b| b == b'\n').next().unwrap_or_default();
    memchr::memmem::find(first_line, b"PRIVATE KEY").is_some() && pem_private_key(&decoded)
}

fn putty_private_key(text: &[u8]) -> bool {
    let mut in_private = false;
    let mut private_chars = 0;
    for line in pem::logical_lines(text).map(pem::trim_carrier) {
        if line.starts_with(b"Private-Lines:") {
            in_private = true;
        } else if line.starts_with(b"Private-MAC:") || line.starts_with(b"Private-Hash:") {
            break;
        } else if in_private {
            if !line
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
            {
                return false;
            }
            private_chars += line.len();
        }
    }
    private_chars >= 16
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// True when the secret is not glued to other token bytes on either side: a key-id-shaped
/// run inside a base64 hash or a longer identifier is not a key id.
fn stands_alone(hay: &[u8], m: &Match) -> bool {
    let before = m.secret.start.checked_sub(1).map(|i| hay[i]);
    let after = hay.get(m.secret.end).copied();
    !before.is_some_and(is_token_byte) && !after.is_some_and(|b| is_token_byte(b) || b == b'=')
}

fn aws_key_id(hay: &[u8], m: &Match) -> Verdict {
    let id = &hay[m.secret.clone()];
    if !stands_alone(hay, m) {
        return Verdict::Reject;
    }
    // Placeholders (`AKIAXXXXXXXXXXXXXXXX`) repeat a few characters; real ids do not.
    if distinct_bytes(&id[4..]) < 6 {
        return Verdict::Reject;
    }
    aws_example(id, Verdict::Accept)
}

/// AWS's documentation marks its made-up credentials with `EXAMPLE`: at the end of a key
/// id (`AKIAIOSFODNN7EXAMPLE`), inside one (`AKIAEXAMPLEPBUMBC3GA`, in published
/// presigned URLs) and inside session tokens (`…wEXAMPLEtc764…`). No random id or token
/// spells it (seven given letters: one in 2^35 places for a key id's base32). An accepted
/// secret that holds it is an example.
fn aws_example(secret: &[u8], verdict: Verdict) -> Verdict {
    match verdict {
        Verdict::Accept if memchr::memmem::find(secret, b"EXAMPLE").is_some() => Verdict::Example,
        v => v,
    }
}

/// How many different bytes `bytes` holds: for a key id's characters (bytes 48 to 111,
/// which differ in their low six bits) one bit each in a register. A table in memory, set
/// anew for every id, ran once for every key id of a file, placeholders included.
fn distinct_bytes(bytes: &[u8]) -> u32 {
    let mut seen = 0u64;
    for &b in bytes {
        if !(48..112).contains(&b) {
            let mut table = [false; 256];
            return bytes
                .iter()
                .filter(|&&b| !std::mem::replace(&mut table[usize::from(b)], true))
                .count() as u32;
        }
        seen |= 1 << (b & 63);
    }
    seen.count_ones()
}

/// The match starts at `ecret` of its label: the letter before it is `s`, and a label
/// without `access` (`secret_key`) is AWS's only with `aws` just before it
/// (`aws_secret_key`, `awsSecretKey`, `aws.secretKey`): what the pattern said before its
/// keyword became `ecret`.
fn aws_label_before(hay: &[u8], m: &Match) -> bool {
    let Some(s) = m.span.start.checked_sub(1) else {
        return false;
    };
    if !hay[s].eq_ignore_ascii_case(&b's') {
        return false;
    }
    let label = &hay[m.span.start..m.secret.start];
    if label.windows(6).any(|w| w.eq_ignore_ascii_case(b"access")) {
        return true;
    }
    let aws_ends_at = |end: usize| end >= 3 && hay[end - 3..end].eq_ignore_ascii_case(b"aws");
    aws_ends_at(s) || (s >= 1 && b"_.-".contains(&hay[s - 1]) && aws_ends_at(s - 1))
}

/// The match starts at `ession` or `ecurity` of its label: the letter before it is `s`,
/// and `security_token` is AWS's only after `aws` (`aws_security_token`) or `x-amz-`
/// (`X-Amz-Security-Token`).
fn session_label_before(hay: &[u8], m: &Match) -> bool {
    let Some(s) = m.span.start.checked_sub(1) else {
        return false;
    };
    if !hay[s].eq_ignore_ascii_case(&b's') {
        return false;
    }
    if !hay[m.span.start..].starts_with(b"ecurity") && !hay[m.span.start..].starts_with(b"ECURITY")
    {
        return true;
    }
    let ends_with = |end: usize, what: &[u8]| {
        end >= what.len() && hay[end - what.len()..end].eq_ignore_ascii_case(what)
    };
    ends_with(s, b"aws")
        || ends_with(s, b"x-amz-")
        || (s >= 1 && b"_-".contains(&hay[s - 1]) && ends_with(s - 1, b"aws"))
}

fn aws_secret_key(hay: &[u8], m: &Match) -> Verdict {
    let s = &hay[m.secret.clone()];
    if s.len() != 40 || !stands_alone(hay, m) {
        return Verdict::Reject;
    }
    let upper = s.iter().any(u8::is_ascii_uppercase);
    let lower = s.iter().any(u8::is_ascii_lowercase);
    let digit_or_symbol = s
        .iter()
        .any(|b| b.is_ascii_digit() || *b == b'+' || *b == b'/');
    // Hex digests (git SHAs, SHA-1 sums) and identifiers in one case are not AWS secrets,
    // which are 30 random bytes in base64.
    if !(upper && lower && digit_or_symbol) {
        return Verdict::Reject;
    }
    aws_example(s, Verdict::Accept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_marks_its_examples_with_example_anywhere() {
        for (secret, verdict, want) in [
            (
                &b"AKIAIOSFODNN7EXAMPLE"[..],
                Verdict::Accept,
                Verdict::Example,
            ),
            (b"AKIAEXAMPLEPBUMBC3GA", Verdict::Accept, Verdict::Example),
            (
                b"AQoDYXdzEPT//wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4H",
                Verdict::Accept,
                Verdict::Example,
            ),
            (b"AKIAJ2FAN53GZUWG6CJZ", Verdict::Accept, Verdict::Accept),
            (b"AKIAEXAMPLEPBUMBC3GA", Verdict::Reject, Verdict::Reject),
            (b"AKIAEXAMPLXPBUMBC3GA", Verdict::Accept, Verdict::Accept),
        ] {
            assert_eq!(
                aws_example(secret, verdict),
                want,
                "{}",
                String::from_utf8_lossy(secret)
            );
        }
    }

    #[test]
    fn distinct_bytes_counts_each_byte_once() {
        assert_eq!(distinct_bytes(b""), 0);
        assert_eq!(distinct_bytes(b"AAAA"), 1);
        assert_eq!(distinct_bytes(b"J2FAN53GZUWG6CJZ"), 13);
        // `A` (65) and `\x01`, `0` (48) and `p` (112) share their low six bits: told apart.
        assert_eq!(distinct_bytes(b"A\x01A\x01"), 2);
        assert_eq!(distinct_bytes(b"0p0p"), 2);
        assert_eq!(distinct_bytes(b"A\x01\x81\xc1\xff\xff"), 5);
        assert_eq!(
            distinct_bytes(b"0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmno"),
            64
        );
        let every: Vec<u8> = (0..=255).collect();
        assert_eq!(distinct_bytes(&every), 256);
    }

    #[test]
    fn the_random_part_leaves_out_prefixes_and_fixed_parts() {
        assert_eq!(random_part(b"glpat-aB3dE"), b"aB3dE");
        assert_eq!(random_part(b"sk-ant-api03-a-b_cAA"), b"a-b_c");
        assert_eq!(random_part(b"sk-proj-ab_T3BlbkFJcd"), b"ab_cd");
        assert_eq!(random_part(b"sk-abT3BlbkFJcd"), b"abcd");
        assert_eq!(random_part(b"AIzaSy-xyz"), b"Sy-xyz");
        // The marker alone lends no placeholder a digit and both cases.
        let placeholder = b"sk-xxxxxxxxxxxxxxxxxxxxT3BlbkFJxxxxxxxxxxxxxxxxxxxx";
        assert!(token::looks_made_up(&random_part(placeholder)));
        // Terraform's marker, Atlassian's fixed start, GitLab's routable suffix: left out.
        assert_eq!(
            random_part(b"GMPSAzT3n57ZL8.atlasv1.svZy-Q9"),
            b"GMPSAzT3n57ZL8svZy-Q9"
        );
        assert_eq!(random_part(b"ATATT3xFfGF0aB-c=D1"), b"aB-c=D1");
        assert_eq!(random_part(b"ATATT3aB-c"), b"aB-c");
        assert_eq!(random_part(b"glrt-t1_aB3dEf.01.abc1234"), b"aB3dEf");
        assert_eq!(random_part(b"hvs.ab-cd_EF"), b"ab-cd_EF");
        // A batch token's fixed start is no run of a hand-typed placeholder.
        assert_eq!(random_part(b"hvb.AAAAAQJgxDg-q"), b"JgxDg-q");
        for placeholder in [
            &b"xxxxxxxxxxxxxx.atlasv1.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"[..],
            &b"ATATT3xFfGF0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"[..],
            &b"glrt-t1_xxxxxxxxxxxxxxxxxxxxxxxxxxx.01.abc1234"[..],
        ] {
            assert!(made_up(placeholder), "{}", String::from_utf8_lossy(placeholder));
        }
    }

    /// Hex-bodied formats are tested as hex: a real lower-case hex token (no upper-case
    /// letter) passes, where the base62 test would refuse every one; hex placeholders,
    /// and a token's fixed parts (`PMAK-`, Slack's numbers, Databricks' suffix), lend
    /// nothing.
    #[test]
    fn hex_bodied_tokens_are_tested_as_hex() {
        let real: &[&[u8]] = &[
            b"PMAK-855ebcdddaf8837ebd94a000-9b5f7cd86faa72e3c82cd502366f0c5254",
            b"glptt-e21ad4d070019a2355d783ad7b08f1682b753076",
            b"dop_v1_7733c85e434e00a2f0d23924bd43b814eb48bc03ca8ca34b4e0d2a8a9544ef5c",
            b"dapi12ddf5d5418faaa6bf7d19c858dd09e2-0",
            b"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",
            b"xapp-1-A0Q1AGDUP3B-0437756794010-bf2019ca4d0141c04e2969a4268241503a9b688202136acfbeebe48ef704e466",
            b"xoxa-2-517087909213-512418489081-1943682195388-ba6324bade3064f8c8af197bd59188be",
        ];
        for t in real {
            assert!(!made_up(t), "{}", String::from_utf8_lossy(t));
            let hex = hex_random_part(t).unwrap();
            assert!(
                token::looks_made_up(&hex),
                "the base62 test would refuse it"
            );
        }
        assert_eq!(
            hex_random_part(b"PMAK-855e-9b5f").as_deref(),
            Some(&b"855e9b5f"[..])
        );
        assert_eq!(
            hex_random_part(b"dapi12ddf5-7").as_deref(),
            Some(&b"12ddf5"[..])
        );
        assert_eq!(
            hex_random_part(b"xapp-1-A0Q1-0437-bf20").as_deref(),
            Some(&b"bf20"[..])
        );
        // Base62 Slack workspace tokens, and other formats: not hex.
        assert_eq!(hex_random_part(b"xoxa-2-mZ1WUDp6otoImtpaf0jvZEBC"), None);
        assert_eq!(hex_random_part(b"lin_api_YfLzWmae4TNI"), None);
        for placeholder in [
            &b"PMAK-000000000000000000000000-0000000000000000000000000000000000"[..],
            b"PMAK-0123456789abcdef01234567-0123456789abcdef0123456789abcdef01",
            b"dop_v1_ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            b"dapi0123456789abcdef0123456789abcdef",
            // The suffix's digit is not the random part's.
            b"dapiabcdfedcbafedcbaabcdfedcbafedcbaf-1",
            b"xapp-1-A0123456789-1234567890123-dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
            b"shpat_deadbeefdeadbeefdeadbeefdeadbeef",
        ] {
            assert!(made_up(placeholder), "{}", String::from_utf8_lossy(placeholder));
        }
    }

    fn provider_verdict(text: &[u8], secret: std::ops::Range<usize>) -> Verdict {
        let m = Match {
            rule: 0,
            span: secret.clone(),
            secret,
            example: false,
        };
        run(Validator::ProviderToken, text, &m)
    }

    /// An Azure account key: accepted whole and canonical; one character changed so that
    /// the base64 is not canonical, cut short, or the emulator's published key (an
    /// example) are not reported; the canonical test applies only after its label.
    #[test]
    fn azure_account_keys_are_canonical_base64_of_64_bytes() {
        let key = b"pXBMwHARqglvRmiSu29Nvpj5X4IJi1oSpkKwninmLPicOrmbALa9lZ4Z8V67+c/xCnjSjgEHNn76cgtthYoG9g==";
        let with_label = |k: &[u8]| [&b"AccountName=x;AccountKey="[..], k, b";"].concat();
        let at = |k: &[u8]| 25..25 + k.len();
        assert_eq!(provider_verdict(&with_label(key), at(key)), Verdict::Accept);
        assert!(token::azure_account_key(key));
        // `9g==` → `9h==`: the last character's low bits are not zero.
        let mut corrupted = key.to_vec();
        corrupted[85] = b'h';
        assert!(!token::azure_account_key(&corrupted));
        assert_eq!(
            provider_verdict(&with_label(&corrupted), at(&corrupted)),
            Verdict::Reject
        );
        let truncated = [&key[..84], b"=="].concat();
        assert!(!token::azure_account_key(&truncated));
        assert!(!token::azure_account_key(&[b'A'; 88][..]));
        assert_eq!(
            provider_verdict(&with_label(AZURE_EMULATOR_KEY), at(AZURE_EMULATOR_KEY)),
            Verdict::Example
        );
    }
}
