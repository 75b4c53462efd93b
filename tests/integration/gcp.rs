//! Google Cloud service-account key files (issue 21): the PKCS#8 key inside is a private
//! key as before, now with the account, project and key id the file names beside it, and
//! the `gcloud` commands that disable and delete exactly that key. The key is a fixture
//! generated for keysweep's tests; the account and project are made up.

use crate::util::{self, TestDir};

const EMAIL: &str = "deployer@acme-prod-4711.iam.gserviceaccount.com";
const KEY_ID: &str = "6f1e0c9a2b3d4e5f60718293a4b5c6d7e8f90a1b";

fn key_file(key: &str, email: &str) -> String {
    format!(
        "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"acme-prod-4711\",\n  \"private_key_id\": \"{KEY_ID}\",\n  \"private_key\": \"{}\",\n  \"client_email\": \"{email}\",\n  \"client_id\": \"104729000000000000000\",\n  \"auth_uri\": \"https://accounts.google.com/o/oauth2/auth\",\n  \"token_uri\": \"https://oauth2.googleapis.com/token\"\n}}\n",
        key.replace('\n', "\\n")
    )
}

#[test]
fn a_service_account_key_names_its_account_project_and_key_id() {
    let key = util::key("openssl_pkcs8_rsa.pem");
    let d = TestDir::new();
    d.write("sa.json", key_file(&key, EMAIL));
    // The same file pasted into a CI variable file, minified onto one line.
    let one_line: String = key_file(&key, EMAIL).split('\n').collect();
    d.write("ci/vars.env", format!("GOOGLE_CREDENTIALS='{one_line}'\n"));
    let run = d.run(&[
        "scan",
        "--format",
        "jsonl",
        "-q",
        "--skip-rule",
        "insecure-permissions",
        ".",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = run.secrets();
    assert_eq!(found.len(), 2, "{found:#?}");
    for f in &found {
        assert_eq!(f["category"], "private-key");
        let gcp = &f["key"]["gcp"];
        assert_eq!(gcp["client_email"], EMAIL, "{f:#}");
        assert_eq!(gcp["project_id"], "acme-prod-4711");
        assert_eq!(gcp["private_key_id"], KEY_ID);
        assert_eq!(f["key"]["algorithm"], "rsa");
        assert_eq!(f["key"]["valid"], true);
    }
    let human = d.run(&["scan", "--skip-rule", "insecure-permissions", "sa.json"]);
    assert_eq!(human.code, 1);
    assert!(
        human.stdout.contains(&format!(
            "gcloud iam service-accounts keys disable {KEY_ID} --iam-account='{EMAIL}' --project='acme-prod-4711'"
        )),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains(&format!(
        "gcp · service account {EMAIL} · project acme-prod-4711 · key id {KEY_ID}"
    )));
    assert!(
        !human.stdout.contains("authorized_keys"),
        "{}",
        human.stdout
    );
}

/// A key beside JSON that is not a service-account file has no account; an account that
/// could break out of the printed command is not taken.
#[test]
fn only_a_service_account_file_names_an_account() {
    let key = util::key("openssl_pkcs8_rsa.pem");
    let d = TestDir::new();
    d.write(
        "other.json",
        format!(
            "{{\"type\": \"tls\", \"private_key\": \"{}\", \"client_email\": \"{EMAIL}\"}}\n",
            key.replace('\n', "\\n")
        ),
    );
    d.write("evil.json", key_file(&key, "x@y.z$(touch pwned)"));
    let run = d.run(&[
        "scan",
        "--format",
        "jsonl",
        "-q",
        "--skip-rule",
        "insecure-permissions",
        ".",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = run.secrets();
    assert_eq!(found.len(), 2, "{found:#?}");
    for f in &found {
        assert!(f["key"]["gcp"].is_null(), "{f:#}");
    }
}
