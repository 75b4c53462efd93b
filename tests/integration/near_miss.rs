//! A tree of things that look like secrets and are not: the scan must be silent and exit 0.

use crate::util::{TestDir, key};

fn near_miss_tree() -> TestDir {
    let d = TestDir::new();
    // Public halves, certificates, CSRs.
    for f in [
        "openssh_ed25519.pub",
        "openssh_rsa2048.pub",
        "pem_ecdsa256.pub",
        "cert.pem",
        "csr.pem",
        "pubkey.pem",
        "pgp_public.asc",
        "sshcom_rsa.pub",
    ] {
        d.write(format!("public/{f}"), key(f));
    }
    d.write(
        "public/authorized_keys",
        format!(
            "{}{}",
            key("openssh_ed25519.pub"),
            key("openssh_rsa2048.pub")
        ),
    );
    // PEM headers with placeholder bodies.
    d.write(
        "docs/setup.md",
        "Put your key in `deploy.pem`:\n\n```\n-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n```\n\n\
         ```yaml\nkey: |\n  -----BEGIN OPENSSH PRIVATE KEY-----\n  <paste your key here>\n  -----END OPENSSH PRIVATE KEY-----\n```\n\
         -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC...\n-----END PRIVATE KEY-----\n\
         -----BEGIN EC PRIVATE KEY-----\nXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n-----END EC PRIVATE KEY-----\n\
         -----BEGIN DSA PRIVATE KEY-----\n-----END DSA PRIVATE KEY-----\n",
    );
    // Header constants in key-parsing code.
    d.write(
        "src/pem.go",
        "package pem\n\nconst (\n\trsaHeader = \"-----BEGIN RSA PRIVATE KEY-----\"\n\trsaFooter = \"-----END RSA PRIVATE KEY-----\"\n\
         \tsshHeader = \"-----BEGIN OPENSSH PRIVATE KEY-----\"\n)\n\nfunc isKey(b []byte) bool {\n\treturn bytes.HasPrefix(b, []byte(rsaHeader)) ||\n\
         \t\tbytes.Contains(b, []byte(\"-----END OPENSSH PRIVATE KEY-----\"))\n}\n",
    );
    d.write(
        "src/keys.py",
        "PEM_MARKERS = {\n    'rsa': ('-----BEGIN RSA PRIVATE KEY-----', '-----END RSA PRIVATE KEY-----'),\n\
         \x20   'pkcs8': ('-----BEGIN PRIVATE KEY-----', '-----END PRIVATE KEY-----'),\n}\n\
         if line.startswith('PuTTY-User-Key-File-'):\n    version = int(line[20])\n",
    );
    // AWS documentation examples.
    d.write(
        "home/.aws/credentials",
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    );
    // As `aws configure` leaves it: only the owner may read it.
    d.chmod("home/.aws/credentials", 0o600);
    // IAM unique ids are not credentials.
    d.write(
        "iam-get-user.json",
        "{\n  \"User\": {\n    \"UserName\": \"deploy\",\n    \"UserId\": \"AIDAJQABLZS4A3QDU576Q\",\n    \
         \"Arn\": \"arn:aws:iam::123456789012:user/deploy\"\n  },\n  \"RoleId\": \"AROAJ5XC6JX2TFSCYMZ4Q\",\n  \
         \"GroupId\": \"AGPAJ5XC6JX2TFSCYMZ4R\",\n  \"PolicyId\": \"ANPAJ5XC6JX2TFSCYMZ4S\",\n  \"InstanceProfileId\": \"AIPAJ5XC6JX2TFSCYMZ4T\"\n}\n",
    );
    // A key-id-shaped run inside a longer token (npm integrity hash).
    d.write(
        "package-lock.json",
        "{\n  \"node_modules/left-pad\": {\n    \"integrity\": \"sha512-q3Rz+AKIAJ2FAN53GZUWG6CJZm0dU2kPuL+fg1Xr7Q0DuAKIAHTKBIJVSEBJFNFR2xe4BXTnq9/ASIAP3HV3UV2JGN4CXVMk==\"\n  }\n}\n",
    );
    // Unlabelled random 40-character strings and git SHAs.
    d.write(
        "notes.txt",
        "3RxxWBtSS9Z4xxIahZ291TtLuIoPeDIEn8WHhXMf\njk6uqSSncBOlUGqC4+PfYsIlJbjOoz5kot30oHOJ\n\
         commit 3f786850e387550fdab836ed7e6dc881de23001b\nsha1: 89e6c98d92887913cadf06b2adb97f26cde4849b\n",
    );
    // A labelled secret whose value is a hex digest, and a variable reference.
    d.write(
        "deploy.env",
        "AWS_SECRET_ACCESS_KEY=3f786850e387550fdab836ed7e6dc881de23001b\naws_secret_access_key: ${AWS_SECRET_ACCESS_KEY}\n",
    );
    d
}

#[test]
fn near_misses_are_silent() {
    let d = near_miss_tree();
    let run = d.run(&["scan", "--format", "jsonl"]);
    assert_eq!(run.stdout, "", "findings in the near-miss tree");
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains("0 findings in 17 files"),
        "{}",
        run.stderr
    );
}

/// The documentation examples are silent by default and shown when asked for.
#[test]
fn examples_only_when_asked() {
    let d = near_miss_tree();
    let run = d.run(&["scan", "--format", "jsonl", "--include-examples", "-q"]);
    assert_eq!(run.code, 1);
    let got: Vec<(String, bool, bool)> = run
        .findings()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["example"] == true,
                f["aws"]["paired_secret"] == true,
            )
        })
        .collect();
    // The example id and the example secret beside it are one (paired) finding.
    assert_eq!(got, vec![("aws-access-key-id".to_string(), true, true)]);
}
