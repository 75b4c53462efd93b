//! The decoding layer's carrier corpus (issue 16): fixture keys wrapped the ways keys really
//! turn up (C macros with line continuations, concatenated literals in several languages,
//! comment and quote prefixes, nested escapes, entities, percent-encoding, keys pasted on
//! one line, base64 of the whole file, UTF-16), each found once, on the line its armour
//! starts, with the fingerprint ssh-keygen or puttygen gives for it (FINGERPRINTS). And
//! AWS credentials in their carriers: URL userinfo, base64 values, the IAM console's CSV
//! files, UTF-16. Every key and credential here was generated for keysweep's tests.

use std::collections::BTreeMap;

use crate::util::{TestDir, key};
use base64::Engine as _;

/// The fingerprint FINGERPRINTS gives for fixture `name`.
fn fingerprint(name: &str) -> String {
    key("FINGERPRINTS")
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or_else(|| panic!("{name} not in FINGERPRINTS"))
        .to_string()
}

fn lines(k: &str) -> Vec<&str> {
    k.trim_end().lines().collect()
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn wrap(s: &str, width: usize) -> String {
    s.as_bytes()
        .chunks(width)
        .map(|c| format!("{}\n", std::str::from_utf8(c).unwrap()))
        .collect()
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Percent-encoding that leaves the armour's spaces alone (as `encodeURI`-style and form
/// encoders that keep spaces do): the armour's keyword still stands. A key whose armour
/// is wholly encoded (`BEGIN%20RSA…`) has no keyword left for the scan to see (see
/// README: what is not found).
fn percent_body(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~ ".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn utf16(s: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut units: Vec<u16> = Vec::new();
    if bom {
        units.push(0xfeff);
    }
    units.extend(s.encode_utf16());
    units
        .iter()
        .flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        })
        .collect()
}

/// A private-key carrier: the file, the fixture key in it, the file's bytes and the line
/// the finding must be on.
struct PkCarrier {
    file: &'static str,
    fixture: &'static str,
    bytes: Vec<u8>,
    line: u64,
}

fn pk(
    file: &'static str,
    fixture: &'static str,
    line: u64,
    f: impl Fn(&str) -> String,
) -> PkCarrier {
    PkCarrier {
        file,
        fixture,
        bytes: f(&key(fixture)).into_bytes(),
        line,
    }
}

fn pk_carriers() -> Vec<PkCarrier> {
    let macro_lines = |k: &str| -> String {
        lines(k)
            .iter()
            .map(|l| format!("\t\"{l}\\n\" \\\n"))
            .collect()
    };
    let mut v = vec![
        pk("c/fixed-keys.h", "pem_rsa", 2, |k| {
            format!("#define PRIV_RSA \\\n{}\n", macro_lines(k))
        }),
        pk("c/ed25519.h", "openssh_ed25519", 3, |k| {
            format!(
                "/* test key */\n#define PRIV_ED25519 \\\n{}\n",
                macro_lines(k)
            )
        }),
        pk("c/enc.h", "openssh_rsa_enc", 2, |k| {
            format!("#define PRIV_RSA_ENC \\\n{}\n", macro_lines(k))
        }),
        pk("c/adjacent.c", "openssl_sec1_ec.pem", 2, |k| {
            let body: String = lines(k)
                .iter()
                .map(|l| format!("    \"{l}\\n\"\n"))
                .collect();
            format!("static const char key[] =\n{body};\n")
        }),
        pk("c/adjacent384.c", "openssh_ecdsa384", 2, |k| {
            let body: String = lines(k).iter().map(|l| format!("\"{l}\\n\"\n")).collect();
            format!("const char *k =\n{body};\n")
        }),
        pk("lua/key.lua", "openssl_pkcs8_rsa.pem", 2, |k| {
            let body: String = lines(k)
                .iter()
                .map(|l| format!("  .. \"{l}\\n\"\n"))
                .collect();
            format!("local key = \"\"\n{body}\n")
        }),
        pk("cpp/key.cc", "openssh_rsa2048", 2, |k| {
            let body: String = lines(k)
                .iter()
                .map(|l| format!("  << \"{l}\\n\"\n"))
                .collect();
            format!("out\n{body};\n")
        }),
        pk("java/Key.java", "pkcs8_rsa", 2, |k| {
            let body: Vec<String> = lines(k)
                .iter()
                .map(|l| format!("        \"{l}\""))
                .collect();
            format!(
                "class Key {{\n    static final String PEM =\n{};\n}}\n",
                body.join(" +\n")
            )
            .replacen(
                "static final String PEM =\n",
                "static final String PEM = ",
                1,
            )
        }),
        pk("py/implicit.py", "openssh_ed25519", 1, |k| {
            let body: String = lines(k).iter().map(|l| format!("    '{l}'\n")).collect();
            format!("KEY = (\n{body})\n").replacen("(\n", "(", 1)
        }),
        pk("sh/printf.sh", "pem_ecdsa256", 1, |k| {
            let body: Vec<String> = lines(k).iter().map(|l| format!("'{l}'")).collect();
            format!("printf '%s\\n' {} > key.pem\n", body.join(" \\\n  "))
        }),
        pk("sh/comment.sh", "pem_rsa", 2, |k| {
            let body: String = lines(k).iter().map(|l| format!("# {l}\n")).collect();
            format!("#!/bin/sh\n{body}echo hi\n")
        }),
        pk("js/comment.js", "openssh_ed25519", 2, |k| {
            let body: String = lines(k).iter().map(|l| format!("// {l}\n")).collect();
            format!("'use strict';\n{body}")
        }),
        pk("sql/seed.sql", "openssl_pkcs8_ec.pem", 2, |k| {
            let body: String = lines(k).iter().map(|l| format!("-- {l}\n")).collect();
            format!("SELECT 1;\n{body}")
        }),
        pk("ini/app.ini", "openssl_dsa.pem", 2, |k| {
            let body: String = lines(k).iter().map(|l| format!("; {l}\n")).collect();
            format!("[app]\n{body}")
        }),
        pk("java/Doc.java", "pkcs8_ecdsa256", 3, |k| {
            let body: String = lines(k).iter().map(|l| format!(" * {l}\n")).collect();
            format!("/**\n * A key:\n{body} */\n")
        }),
        pk("md/quote.md", "openssh_rsa3072", 3, |k| {
            let body: String = lines(k).iter().map(|l| format!("> {l}\n")).collect();
            format!("# Notes\n\n{body}")
        }),
        pk("md/nested-quote.md", "openssl_pkcs8_dsa.pem", 1, |k| {
            lines(k).iter().map(|l| format!("> # {l}\n")).collect()
        }),
        pk("html/br.html", "pem_rsa", 2, |k| {
            format!("<html>\n<p>{}</p>\n", lines(k).join("<br>"))
        }),
        pk("html/br-slash.html", "openssh_ecdsa256", 1, |k| {
            format!("<div>{}<br /></div>\n", lines(k).join("<br />\n"))
        }),
        pk("json/nested.json", "openssl_pkcs8_ed25519.pem", 1, |k| {
            let inner = format!("{{\"private_key\": {}}}", json_string(k));
            format!("{{\"secret\": {}}}\n", json_string(&inner))
        }),
        pk("json/thrice.json", "pem_rsa", 1, |k| {
            let a = format!("{{\"k\": {}}}", json_string(k));
            let b = format!("{{\"v\": {}}}", json_string(&a));
            format!("{{\"w\": {}}}\n", json_string(&b))
        }),
        pk("json/crlf.json", "openssh_ecdsa521", 1, |k| {
            format!("{{\"key\": {}}}\n", json_string(&k.replace('\n', "\r\n")))
        }),
        pk("json/unicode.json", "pkcs8_rsa", 1, |k| {
            // Newlines and `+` as `\uXXXX`, `/` as `\/`: the armour's dashes stay.
            let s = json_string(k)
                .replace("\\n", "\\u000a")
                .replace('/', "\\/")
                .replace('+', "\\u002b");
            format!("{{\"key\": {s}}}\n")
        }),
        pk("xml/entities.xml", "openssl_pkcs1_rsa.pem", 2, |k| {
            format!(
                "<config>\n<key>{}</key>\n</config>\n",
                k.replace('\n', "&#10;")
            )
        }),
        pk("xml/hex.xml", "openssh_dsa", 1, |k| {
            format!(
                "<key>{}</key>\n",
                k.replace('\n', "&#xA;").replace('/', "&#x2F;")
            )
        }),
        pk("xml/double.xml", "pem_ecdsa256", 1, |k| {
            format!("<v>{}</v>\n", k.replace('\n', "&amp;#10;"))
        }),
        pk("url/form.txt", "pem_rsa", 1, |k| {
            format!("key={}\n", percent_body(k))
        }),
        pk("url/query.txt", "openssh_ed25519", 2, |k| {
            format!(
                "GET /\nhttps://example.invalid/?id={}&x=1\n",
                percent_body(k)
            )
        }),
        // Armour lines that are themselves encoded: the dashes stay, the space after
        // `BEGIN` does not.
        pk("url/whole.txt", "openssh_ecdsa256", 1, |k| {
            format!("key={}\n", percent(k))
        }),
        pk("url/form-spaces.txt", "pem_rsa", 1, |k| {
            format!("key={}\n", percent_body(k).replace(' ', "+"))
        }),
        pk("xml/armour-entities.xml", "pem_ecdsa256", 1, |k| {
            format!(
                "<v>{}</v>\n",
                k.replace(' ', "&#32;").replace('\n', "&#10;")
            )
        }),
        pk("json/armour-unicode.json", "openssh_ed25519", 1, |k| {
            let s = json_string(k).replace(' ', "\\u0020");
            format!("{{\"key\": {s}}}\n")
        }),
        // Rejected hits of other rules before the key (the `secret`s and `security`s of a
        // C file's comments) leave the key's own hit its place in the decoding layer.
        pk("c/after-comments.c", "openssh_ecdsa256", 202, |k| {
            let comments: String = (0..100)
                .map(|i| format!("/* security check {i} keeps the secret */\nint x{i} = {i};\n"))
                .collect();
            format!("{comments}#define KEY \\\n{}\n", macro_lines(k))
        }),
        pk("paste/spaces.txt", "openssh_ed25519", 1, |k| {
            format!("key: {}\n", lines(k).join(" "))
        }),
        pk("paste/joined.txt", "pem_rsa", 2, |k| {
            format!("ssh key below\n{}\n", lines(k).concat())
        }),
        pk("paste/enc.txt", "pem_rsa_enc", 1, |k| {
            format!("{}\n", lines(k).join(" "))
        }),
        pk("b64/64.txt", "openssh_ecdsa521", 1, |k| wrap(&b64(k), 64)),
        pk("b64/76.txt", "openssl_pkcs8_rsa.pem", 2, |k| {
            format!("data:\n{}", wrap(&b64(k), 76))
        }),
        pk("b64/in-json.json", "openssh_rsa2048", 1, |k| {
            format!("{{\"key\": {}}}\n", json_string(&wrap(&b64(k), 64)))
        }),
        pk("putty/literals.c", "ppk_v2_rsa.ppk", 2, |k| {
            let body: String = lines(k).iter().map(|l| format!("  \"{l}\\n\"\n")).collect();
            format!("const char *ppk =\n{body};\n")
        }),
        pk("pgp/comment.sh", "pgp_secret.asc", 1, |k| {
            lines(k).iter().map(|l| format!("# {l}\n")).collect()
        }),
    ];
    for (file, fixture, be, bom) in [
        ("utf16/le-bom.pem", "pem_rsa", false, true),
        ("utf16/be.txt", "openssh_ed25519", true, false),
        ("utf16/le.ppk", "ppk_v3_ed25519.ppk", false, false),
        ("utf16/be-bom.pem", "openssl_pkcs8_ec.pem", true, true),
    ] {
        v.push(PkCarrier {
            file,
            fixture,
            bytes: utf16(&key(fixture), be, bom),
            line: 1,
        });
    }
    // Bytes that look like UTF-16 (a NUL in every other byte) around a plain key: the
    // bytes themselves are scanned too.
    let mut bytes: Vec<u8> = (0..600u32)
        .flat_map(|i| [b'A' + (i % 26) as u8, 0])
        .collect();
    bytes.extend_from_slice(key("openssh_ed25519").as_bytes());
    v.push(PkCarrier {
        file: "utf16/binary-looking.dat",
        fixture: "openssh_ed25519",
        bytes,
        line: 1,
    });
    v
}

/// With `KEYSWEEP_CARRIER_CORPUS=DIR` set, the carriers are also written under DIR (for
/// `benches/compare-peers.sh`).
fn keep_corpus(files: &[(&str, &[u8])]) {
    if let Some(dir) = std::env::var_os("KEYSWEEP_CARRIER_CORPUS") {
        for (file, bytes) in files {
            crate::util::write_at(std::path::Path::new(&dir), file, bytes);
        }
    }
}

/// The secret findings of one scan of `dir`, by path.
fn scan_by_path(dir: &TestDir) -> BTreeMap<String, Vec<serde_json::Value>> {
    let run = dir.run(&["scan", "--format", "jsonl", "-q"]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let mut by_path: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for f in run.secrets() {
        by_path
            .entry(f["path"].as_str().unwrap().to_string())
            .or_default()
            .push(f);
    }
    by_path
}

#[test]
fn every_private_key_carrier_is_found_with_its_fingerprint() {
    let carriers = pk_carriers();
    assert!(carriers.len() >= 30, "{} carriers", carriers.len());
    let dir = TestDir::new();
    for c in &carriers {
        dir.write(c.file, &c.bytes);
        dir.write(format!("plain/{}", c.fixture), key(c.fixture));
    }
    let files: Vec<(&str, &[u8])> = carriers.iter().map(|c| (c.file, &c.bytes[..])).collect();
    keep_corpus(&files);
    let found = scan_by_path(&dir);
    let mut failures = Vec::new();
    for c in &carriers {
        let got = found.get(c.file).cloned().unwrap_or_default();
        // The key in its own file: the same id and facts wherever it is carried. Its
        // fingerprint is ssh-keygen's, or none where the public half needs the passphrase
        // (legacy-encrypted PEM).
        let plain = &found[&format!("plain/{}", c.fixture)][0];
        let want = fingerprint(c.fixture);
        assert!(
            plain["key"]["sha256"] == want.as_str() || plain["key"]["encrypted"] == true,
            "{}: {plain}",
            c.fixture
        );
        match &got[..] {
            [f] if f["key"]["sha256"] == plain["key"]["sha256"]
                && f["id"] == plain["id"]
                && f["key"]["valid"] == true
                && f["line"] == c.line => {}
            _ => failures.push(format!(
                "{} ({}): want {want} on line {}, got {:?}",
                c.file,
                c.fixture,
                c.line,
                got.iter()
                    .map(|f| format!(
                        "{} line {} {} valid {}",
                        f["rule"], f["line"], f["key"]["sha256"], f["key"]["valid"]
                    ))
                    .collect::<Vec<_>>()
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} carriers failed:\n{}",
        failures.len(),
        carriers.len(),
        failures.join("\n")
    );
}

/// Things a looser matcher would report: code that parses PEM, regexes for armour lines,
/// placeholder blocks in every carrier, XML placeholders, bodies that decode to text.
#[test]
fn decoded_near_misses_stay_silent() {
    let d = TestDir::new();
    d.write(
        "src/parse.c",
        "#define PEM_BEGIN \"-----BEGIN RSA PRIVATE KEY-----\\n\" \\\n  \"%s\\n\" \\\n  \"-----END RSA PRIVATE KEY-----\\n\"\n",
    );
    d.write(
        "src/re.py",
        "PEM_RE = re.compile(\n    r'-----BEGIN (RSA|EC|OPENSSH) PRIVATE KEY-----'\n    r'[A-Za-z0-9+/=\\s]+'\n    r'-----END \\1 PRIVATE KEY-----')\n",
    );
    d.write(
        "docs/comment.sh",
        "# -----BEGIN OPENSSH PRIVATE KEY-----\n# <paste your key here>\n# -----END OPENSSH PRIVATE KEY-----\n",
    );
    d.write(
        "docs/placeholder.xml",
        "<key>-----BEGIN PRIVATE KEY-----&#10;XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX&#10;-----END PRIVATE KEY-----</key>\n",
    );
    d.write(
        "docs/elided.json",
        "{\"key\": \"{\\\"k\\\": \\\"-----BEGIN EC PRIVATE KEY-----\\\\n...\\\\n-----END EC PRIVATE KEY-----\\\\n\\\"}\"}\n",
    );
    d.write(
        "docs/oneline.md",
        "Paste it as `-----BEGIN RSA PRIVATE KEY----- your key here -----END RSA PRIVATE KEY-----`.\n",
    );
    d.write(
        "docs/form.txt",
        "key=-----BEGIN%20RSA%20PRIVATE%20KEY-----%0A...%0A-----END%20RSA%20PRIVATE%20KEY-----\n",
    );
    d.write(
        "docs/text.b64",
        wrap(
            &b64(&format!(
                "-----BEGIN RSA PRIVATE KEY-----\n{}-----END RSA PRIVATE KEY-----\n",
                "This is not a key, only some prose that fills the body of a block.\n".repeat(4)
            )),
            64,
        ),
    );
    d.write(
        "aws/docs.md",
        "Set `s3://AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI%2FK7MDENG%2FbPxRfiCYEXAMPLEKEY@bucket`.\n\
         Or `s3://AKIAXXXXXXXXXXXXXXXX:<secret>@bucket`.\n",
    );
    d.write(
        "aws/placeholder.csv",
        "Access key ID,Secret access key\nAKIAXXXXXXXXXXXXXXXX,<your secret access key here>\n",
    );
    let run = d.run(&["scan", "--format", "jsonl", "-q"]);
    assert_eq!(
        run.secrets(),
        Vec::<serde_json::Value>::new(),
        "{}",
        run.stderr
    );
}

/// An AWS carrier: the file, its bytes, the key id and secret (generated at random for
/// keysweep; never real) that must be found, paired, on `line`, and whether it is a root
/// user's key.
struct AwsCarrier {
    file: &'static str,
    bytes: Vec<u8>,
    id: &'static str,
    secret: &'static str,
    line: u64,
    root: bool,
}

const PAIRS: [(&str, &str); 8] = [
    (
        "AKIAX66S2O4A2QPOASTV",
        "SnCcgCTD76lcnuh1Ls/2WlFkKAve+Tnmo66IV9B4",
    ),
    (
        "AKIA7A6H5F7BJOZXCCZU",
        "9JdoMLPfByFOGyTgeWBefONSix0Ez776hEHDZ2gx",
    ),
    (
        "AKIAGNH2GSH53JZPIIZ3",
        "cyXu/W0a2C+mlPJn/e8a4R+KNoH7K/GqVMuzkyIc",
    ),
    (
        "AKIAM5NAAOVZNDRBYDJO",
        "aiDb89sR6WNYCLvkMTEXPdsa3LXL7KETTUa1FtOz",
    ),
    (
        "AKIA2QHYMW4X3BWMFNY2",
        "Hb0rFzsCS1epVzHwFz5ESAVYl0DGPAQoKm5S2k0K",
    ),
    (
        "AKIAJCTQT4UEQYT6BHHV",
        "zi5lbiB8AZK1Tcr0NiBoVv1lubUZFKjACMiYNP//",
    ),
    (
        "AKIAWBAEQ2HV26YPMTKO",
        "XWxtJSDaS0Lhl2rpyZqf6DCsC400LSefCWFVhcu+",
    ),
    (
        "AKIAC7IPU62XVPS2A2AN",
        "3TAbRDMZezjB6HpnoqfeFkSgpsPfK/GmfiyTkHsw",
    ),
];

fn aws(
    file: &'static str,
    (id, secret): (&'static str, &'static str),
    line: u64,
    f: impl Fn(&str, &str) -> String,
) -> AwsCarrier {
    AwsCarrier {
        file,
        bytes: f(id, secret).into_bytes(),
        id,
        secret,
        line,
        root: false,
    }
}

fn aws_carriers() -> Vec<AwsCarrier> {
    let [p0, p1, p2, p3, p4, p5, p6, p7] = PAIRS;
    let mut v = vec![
        aws("url/s3.txt", p0, 2, |i, s| {
            format!("# backup target\ntarget = \"s3://{i}:{s}@backups/nightly\"\n")
        }),
        aws("url/https.env", p1, 1, |i, s| {
            format!(
                "ENDPOINT=https://{i}:{}@s3.example.invalid/bucket\n",
                percent(s)
            )
        }),
        aws("url/percent-id.txt", p2, 1, |i, s| {
            format!("s3://{}:{}@bucket\n", i, percent(s))
        }),
        aws("k8s/secret.yaml", p3, 6, |i, s| {
            format!(
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: aws\ndata:\n  AWS_ACCESS_KEY_ID: {}\n  AWS_SECRET_ACCESS_KEY: {}\n",
                b64(i),
                b64(s)
            )
            .replacen("data:\n", "data:\n", 1)
        }),
        aws("helm/values.yaml", p4, 3, |i, s| {
            format!(
                "aws:\n  credentials:\n    accessKeyId: \"{}\"\n    secretAccessKey: \"{}\"\n",
                b64(&format!("{i}\n")),
                b64(&format!("{s}\n"))
            )
        }),
        aws("iam/accessKeys.csv", p5, 2, |i, s| {
            format!("Access key ID,Secret access key\n{i},{s}\n")
        }),
        aws("iam/deploy_credentials.csv", p6, 2, |i, s| {
            format!(
                "User name,Password,Access key ID,Secret access key,Console login link\ndeploy,,{i},{s},https://123456789012.signin.aws.amazon.com/console\n"
            )
        }),
        aws("iam/old_accessKeys.csv", p7, 2, |i, s| {
            format!("\u{feff}Access key ID,Secret access key\r\n{i},{s}\r\n")
        }),
    ];
    v.push(AwsCarrier {
        root: true,
        ..aws("root/rootkey.csv", p0, 1, |i, s| {
            format!("AWSAccessKeyId={i}\r\nAWSSecretKey={s}\r\n")
        })
    });
    v.push(AwsCarrier {
        root: true,
        ..aws("root/rootkey (1).csv", p1, 1, |i, s| {
            format!("AWSAccessKeyId={i}\nAWSSecretKey={s}\n")
        })
    });
    for (file, pair, be, bom) in [
        ("utf16/credentials", p2, false, true),
        ("utf16/aws.env", p3, true, false),
    ] {
        let (i, s) = pair;
        v.push(AwsCarrier {
            file,
            bytes: utf16(
                &format!("[default]\r\naws_access_key_id = {i}\r\naws_secret_access_key = {s}\r\n"),
                be,
                bom,
            ),
            id: i,
            secret: s,
            line: 2,
            root: false,
        });
    }
    v.push(aws("json/nested-aws.json", p4, 1, |i, s| {
        let inner = format!("{{\"AccessKeyId\": \"{i}\", \"SecretAccessKey\": \"{s}\"}}");
        format!("{{\"credentials\": {}}}\n", json_string(&inner))
    }));
    v
}

#[test]
fn every_aws_carrier_is_found_paired() {
    let carriers = aws_carriers();
    assert!(carriers.len() >= 12, "{} carriers", carriers.len());
    let dir = TestDir::new();
    for c in &carriers {
        dir.write(c.file, &c.bytes);
    }
    let files: Vec<(&str, &[u8])> = carriers.iter().map(|c| (c.file, &c.bytes[..])).collect();
    keep_corpus(&files);
    let run = dir.run(&["scan", "--format", "jsonl", "-q", "--show-secrets"]);
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let mut by_path: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for f in run.secrets() {
        by_path
            .entry(f["path"].as_str().unwrap().to_string())
            .or_default()
            .push(f);
    }
    let mut failures = Vec::new();
    for c in &carriers {
        let got = by_path.get(c.file).cloned().unwrap_or_default();
        let ok = match &got[..] {
            [f] => {
                f["aws"]["access_key_id"] == c.id
                    && f["aws"]["paired_secret"] == true
                    && f["aws"]["secret"]["secret"] == c.secret
                    && f["line"] == c.line
                    && f["severity"] == "critical"
                    && (f["aws"]["root"] == true) == c.root
            }
            _ => false,
        };
        if !ok {
            failures.push(format!("{}: {got:?}", c.file));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} AWS carriers failed:\n{}",
        failures.len(),
        carriers.len(),
        failures.join("\n")
    );
}

/// The same key in the same carrier twice in one file (a header that defines it for two
/// test suites): both places are reported, not only the first.
#[test]
fn a_carrier_repeated_in_one_file_is_found_at_each_place() {
    let k = key("openssh_ed25519");
    let literal: String = lines(&k)
        .iter()
        .map(|l| format!("\t\"{l}\\n\" \\\n"))
        .collect();
    let text = format!("#define KEY_A \\\n{literal}\n\n#define KEY_B \\\n{literal}\n");
    let dir = TestDir::new();
    dir.write("keys.h", text.as_bytes());
    let found = scan_by_path(&dir);
    let at: Vec<u64> = found["keys.h"]
        .iter()
        .filter(|f| f["category"] == "private-key")
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    let second = 2 + lines(&k).len() + 3;
    assert_eq!(at, vec![2, second as u64], "{found:?}");
    for f in &found["keys.h"] {
        assert_eq!(f["key"]["sha256"], fingerprint("openssh_ed25519"));
    }
}
