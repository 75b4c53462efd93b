//! The facts a finding carries beside its secret: what a private key is, what an AWS
//! credential is and what sits beside it, where the bytes came from (a file, a commit),
//! and what makes a key at rest weaker. Data only: the sources and `enrich` fill them in.

use serde::Serialize;

/// Where a finding's bytes came from: one type for every source, saved as it is.
#[derive(Debug, Clone, Serialize)]
pub enum Origin {
    /// A file on disk, or an entry of an archive file (the archive's facts: it is what is
    /// on disk to fix).
    #[serde(rename = "file")]
    File(FileFacts),
    /// A blob in a repository's history.
    #[serde(rename = "git")]
    Git(GitFacts),
}

/// A file's facts: who owns it and who else may read it.
#[derive(Debug, Clone, Serialize)]
pub struct FileFacts {
    /// Permission bits as four octal digits, `"0644"`.
    pub mode: String,
    pub owner: String,
    pub uid: u32,
}

/// Where in a repository's history a secret came in.
#[derive(Debug, Clone, Serialize)]
pub struct GitFacts {
    pub repository: String,
    /// The oldest commit that brought this blob to this path; null for a blob no commit
    /// reaches (found with `--all-objects`).
    pub commit: Option<String>,
    pub author: Option<String>,
    pub email: Option<String>,
    pub date: Option<String>,
    pub blob: String,
    /// The secret is still in the tree of HEAD (at this path or any other).
    pub present_at_head: bool,
}

/// A place where a key's public half was found (`authorized_keys`, `.pub`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    pub path: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyFacts {
    /// `openssh`, `pkcs1`, `sec1`, `pkcs8`, `pkcs8-encrypted`, `dsa-openssl`, `putty-v2`,
    /// `putty-v3`, `pgp`, `ssh2`; containers: `pkcs12`, `jks`, `jceks`; `jwk`.
    pub format: &'static str,
    /// `rsa`, `dsa`, `ecdsa`, `ed25519`, `sk-ecdsa`, `sk-ed25519`, or the key-type string
    /// the file names; null when the file does not say without its passphrase.
    pub algorithm: Option<String>,
    /// For ECDSA keys: `nistp256`, `nistp384`, `nistp521`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
    pub bits: Option<u32>,
    pub encrypted: bool,
    /// `SHA256:…`, or null where the public half cannot be had without the passphrase.
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// False when the body did not parse (truncated, corrupted) or its numbers are not a
    /// key's (a point off its curve, `n != p*q`).
    pub valid: bool,
    /// Why `valid` is false, in a few words that never hold key material ("RSA: n != p*q",
    /// "DER: unexpected tag at byte 12").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid_reason: Option<String>,
    /// `authorized_keys` and `.pub` files in the scan that hold this key's public half.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorized_in: Vec<Place>,
    /// What the key opens, from the infrastructure code scanned with it: "opens
    /// aws_instance.web, SSH open to 0.0.0.0/0 via aws_security_group.web".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub opens: Vec<String>,
    /// A Google Cloud service-account key file's account, project and key id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gcp: Option<GcpServiceAccount>,
    /// A PKCS#12 file's integrity MAC verifies with the empty password (true: anyone can
    /// open it, its keys as good as unencrypted) or not (false); absent without a MAC, and
    /// for other formats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub empty_password: Option<bool>,
    /// A container's count of private keys (a Java keystore's private-key entries, a
    /// PKCS#12 file's key bags, a JWK set's private keys): each is a finding of its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_keys: Option<usize>,
}

/// What a Google Cloud service-account key file says beside its key: who the key is, in
/// which project, and its id (what `gcloud iam service-accounts keys disable` takes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GcpServiceAccount {
    pub client_email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_key_id: Option<String>,
}

impl KeyFacts {
    /// The facts of a key in `format`, before anything is parsed.
    pub fn new(format: &'static str) -> KeyFacts {
        KeyFacts {
            format,
            algorithm: None,
            curve: None,
            bits: None,
            encrypted: false,
            sha256: None,
            comment: None,
            valid: false,
            invalid_reason: None,
            authorized_in: Vec::new(),
            opens: Vec::new(),
            gcp: None,
            empty_password: None,
            private_keys: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AwsKind {
    /// `AKIA`: an IAM user's access key; valid until someone deletes it.
    LongTerm,
    /// `ASIA`: temporary credentials from STS; they expire.
    Temporary,
    /// `ABIA`: an STS service bearer token.
    ServiceBearer,
    /// `ACCA`: a context-specific credential.
    ContextSpecific,
}

/// A paired secret or session token: where it sits, and the secret as the report shows
/// secrets (redacted unless `--show-secrets`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Paired {
    pub line: usize,
    pub column: usize,
    pub secret: String,
    /// Where it is, when that is another file than the key id's (`sweep` pairs a secret
    /// with its id across the files of one home).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwsFacts {
    /// The key id in full: AWS logs ids in CloudTrail and needs them to deactivate a key;
    /// without its secret an id opens nothing. Null for a secret or token found alone.
    pub access_key_id: Option<String>,
    pub account_id: Option<String>,
    pub kind: Option<AwsKind>,
    pub paired_secret: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<Paired>,
    pub session_token: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<Paired>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
    /// The `~/.aws/credentials` or `config` profile the key is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// A root user's access key (the console's `rootkey.csv`): root should have no access
    /// keys at all, and this one can do anything in the account, billing and closing it
    /// included.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub root: bool,
    /// `sweep`: days since the file holding a long-term key last changed (in
    /// `~/.aws/credentials`, about when the key was put there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_days: Option<u64>,
}

/// What a provider token is, as far as its own bytes tell (no provider is ever asked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenFacts {
    /// `github`, `npm`, `gitlab`, `docker-hub`, `stripe`, `google`, `slack`, `anthropic`,
    /// `openai`, `pypi`.
    pub provider: &'static str,
    /// What kind of token of that provider: `personal access token (classic)`, …
    pub kind: &'static str,
    /// `true`: the format's checksum was recomputed and holds; absent: the format has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<bool>,
    /// Live or test mode, where the token says (`stripe`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<&'static str>,
    /// What the token may do, where its bytes say (`pypi`: `every project of the
    /// account`, `projects: a, b`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// What makes a key at rest weaker.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AtRest {
    /// `no passphrase`, `DSA`, `RSA under 2048 bits`.
    pub weaknesses: Vec<String>,
    /// Days since the key file last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_days: Option<u64>,
}
