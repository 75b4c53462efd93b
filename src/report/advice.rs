//! What to do about a finding: the steps and exact commands every report format shows
//! (human, html), written once.

use crate::finding::shell_quote;
use crate::finding::{AwsFacts, AwsKind as Kind};
use crate::finding::{Category, KeyFacts, TokenFacts};

/// What a provider token is, on one line: `github · personal access token (classic) ·
/// checksum holds`.
pub fn token_facts(t: &TokenFacts) -> String {
    let mut line = format!("{} · {}", t.provider, t.kind);
    if let Some(mode) = t.mode {
        line.push_str(&format!(" · {mode} mode"));
    }
    if let Some(scope) = &t.scope {
        line.push_str(&format!(" · scope: {scope}"));
    }
    match t.checksum {
        Some(true) => line.push_str(" · checksum holds"),
        Some(false) => line.push_str(" · checksum fails"),
        None => line.push_str(" · no checksum in this format"),
    }
    line
}

/// A private key's steps.
pub fn key(key: &KeyFacts) -> Vec<String> {
    if let Some(sa) = &key.gcp {
        let account = format!(
            "--iam-account={}{}",
            shell_quote(&sa.client_email),
            sa.project_id
                .as_deref()
                .map(|p| format!(" --project={}", shell_quote(p)))
                .unwrap_or_default()
        );
        let mut out =
            vec!["what to do: disable this service-account key now, then delete it:".to_string()];
        match &sa.private_key_id {
            Some(id) => {
                out.push(format!("  gcloud iam service-accounts keys disable {id} {account}"));
                out.push(format!("  gcloud iam service-accounts keys delete {id} {account}"));
            }
            None => out.push(format!(
                "  gcloud iam service-accounts keys list {account}   (then disable and delete the key this file holds)"
            )),
        }
        out.push(format!(
            "read the audit logs for what it did (principalEmail={}), and move to workload identity federation: no key files.",
            sa.client_email
        ));
        return out;
    }
    if key.format == crate::enrich::key_file::JCEKS_SECRET_FORMAT {
        return vec![
            "what to do: treat this secret key as leaked: make a new one (keytool -genseckey) under a new alias, move what it protects to it (re-encrypt the data it encrypts, re-sign or revoke what it signs: sessions, tokens, MACs), then delete this entry (keytool -delete -alias <alias>);".into(),
            "the keystore's password protects it only as long as the password is strong and not stored beside it (a properties or YAML file, a CI variable);".into(),
            "if it was ever committed, purge it from history too, and still treat it as leaked.".into(),
        ];
    }
    if matches!(key.format, "pkcs12" | "jks" | "jceks") {
        let mut out = vec![
            "what to do: treat the key and its certificate as leaked: revoke the certificate with the CA that issued it, make a new key pair and certificate, and replace this file everywhere it is deployed;".to_string(),
        ];
        if key.empty_password == Some(true) {
            out.push(
                "this file opens with the empty password: its keys are as good as unencrypted;"
                    .into(),
            );
        } else if key.encrypted {
            out.push("its password protects it only as long as the password is strong and not stored beside it (a properties or YAML file, a CI variable);".into());
        }
        out.push(
            "if it was ever committed, purge it from history too, and still treat it as leaked."
                .into(),
        );
        return out;
    }
    if key.format == "jwk" {
        return vec![
            "what to do: make a new signing or encryption key, publish its public half in your JWKS and take this key's kid out of it;".into(),
            "until then anyone holding this key can sign tokens your services accept (or read what was encrypted to it): revoke the sessions and tokens it signed.".into(),
        ];
    }
    if key.format == "wireguard" {
        return vec![
            "what to do: make a new key pair (wg genkey | tee privatekey | wg pubkey), put the new public key in place of this one in every peer's [Peer] PublicKey, and restart the tunnels;".into(),
            "until then anyone holding this key can impersonate this interface to its peers.".into(),
        ];
    }
    if key.format == "age" {
        return vec![
            "what to do: make a new identity (age-keygen), re-encrypt what was encrypted to this one's recipient to the new one, and remove this recipient everywhere it is listed (.sops.yaml, recipients files);".into(),
            "treat whatever was ever encrypted to it as disclosed: re-encrypting does not protect copies already taken.".into(),
        ];
    }
    // Trusted through Terraform: an `aws_key_pair`, which EC2 writes into the instances'
    // authorized_keys only when they launch.
    let terraform = key.authorized_in.iter().any(|p| {
        let p = p.path.as_str();
        p.ends_with(".tf") || p.ends_with(".tf.json")
    });
    if terraform {
        let mut out = vec![
            "what to do: rotate the key pair: put a new key's public half in the aws_key_pair above (ssh-keygen -t ed25519) and apply;".into(),
            "then replace the key on every instance that used it (EC2 writes a key pair into authorized_keys only at launch: replace those instances, or remove the old public half from their authorized_keys);".into(),
        ];
        let elsewhere = key.authorized_in.iter().any(|p| {
            let p = p.path.as_str();
            !(p.ends_with(".tf") || p.ends_with(".tf.json"))
        });
        if elsewhere {
            out.push("remove its public half from the other places above (authorized_keys, cloud-init user data) too;".into());
        }
        out.push(
            "if it was ever committed, purge it from history too, and still treat it as leaked."
                .into(),
        );
        return out;
    }
    let revoke = if key.authorized_in.is_empty() {
        "remove its public half from authorized_keys on every server that trusts it"
    } else {
        "remove its public half from the authorized_keys above and any other server"
    };
    vec![
        format!("what to do: {revoke};"),
        "replace it (ssh-keygen -t ed25519, or keyless access: SSO, short-lived certificates);"
            .into(),
        "if it was ever committed, purge it from history too, and still treat it as leaked.".into(),
    ]
}

/// A key at rest where it belongs (`sweep`): what would make it stronger.
pub fn key_at_rest(path: &str, key: &KeyFacts) -> Vec<String> {
    let mut out = Vec::new();
    if !key.encrypted {
        out.push(format!(
            "to protect it if this machine is lost: ssh-keygen -p -f {}",
            shell_quote(path)
        ));
    }
    if matches!(key.algorithm.as_deref(), Some("dsa"))
        || (key.algorithm.as_deref() == Some("rsa") && key.bits.is_some_and(|b| b < 2048))
    {
        out.push("replace it with a modern key: ssh-keygen -t ed25519".into());
    }
    out
}

/// An AWS credential's steps, with the `aws` commands that shut it off.
pub fn aws(a: &AwsFacts) -> Vec<String> {
    match (&a.access_key_id, a.kind) {
        (Some(id), Some(Kind::LongTerm)) => vec![
            "what to do: deactivate it now, then delete it:".into(),
            format!("  aws iam update-access-key --access-key-id {id} --status Inactive"),
            format!("  aws iam delete-access-key --access-key-id {id}"),
            format!(
                "check CloudTrail for its use: aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={id}"
            ),
            "then move to roles or IAM Identity Center (SSO); a root user's key: delete it, root should have none.".into(),
        ],
        (Some(id), _) => vec![
            "what to do: these expire, but revoke the role's active sessions now (IAM console: role → Revoke active sessions),".into(),
            format!(
                "check CloudTrail for their use (AttributeKey=AccessKeyId,AttributeValue={id}) and find what issued them."
            ),
        ],
        (None, _) if a.session_token => vec![
            "what to do: revoke the issuing role's active sessions and find what wrote the token here.".into(),
        ],
        (None, _) => vec![
            "what to do: find its key id (this file's history, the owner's IAM user) and deactivate that key.".into(),
        ],
    }
}

/// How to get a secret out of a repository's history (after rotating it).
pub fn git(path: &str) -> Vec<String> {
    vec![
        format!(
            "rotate it first, then purge it: git filter-repo --invert-paths --path {} (or --replace-text),",
            shell_quote(path)
        ),
        "force-push every branch and tag, and ask clones to re-clone: purging never makes a leaked secret safe again.".into(),
    ]
}

/// A finding in a repository's history: how to get a secret out of it, or for a door (an
/// exposure finding: an open rule, a weak setting, not a secret) what its history means.
pub fn git_of(f: &crate::finding::Finding) -> Vec<String> {
    let door = matches!(
        f.category,
        Category::SshOpenToWorld | Category::SshdWeakSetting | Category::AwsKeyRisk
    );
    if !door {
        return git(&f.path);
    }
    if f.git().is_some_and(|g| g.present_at_head) {
        vec!["still at HEAD: fix it in the code (above); it is not a secret, so there is nothing to purge.".into()]
    } else {
        vec![
            "closed since: nothing to purge (it is not a secret), but it was open from this commit until the change that closed it;".into(),
            "check what it let in during that time (VPC flow logs, sshd's auth log, CloudTrail).".into(),
        ]
    }
}
