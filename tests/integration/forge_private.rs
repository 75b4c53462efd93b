//! Private repositories a forge lists, cloned and fetched over HTTP with the forge's token:
//! the API stand-in (`forge_stand_in`) lists a repository whose clone URL is on a real
//! smart-HTTP git server (`git_http`: `git http-backend`) that refuses any request without
//! the token. The token reaches git through its environment alone: never its command
//! line (a `git` in front of the real one records every command line), the stored URL,
//! the clone's config, the store, a message or the report.

use std::path::{Path, PathBuf};

use base64::Engine as _;

use crate::forge_stand_in::{Reply, StandIn, github_repo};
use crate::git_http::{GitHttp, bare_repo};
use crate::util::{Run, TestDir, git, key, write_at};

/// A made-up token; that it never shows is part of what is tested.
const TOKEN: &str = "ghp_privateRepoTestToken0123456789abcd";

const ORG: &str = "/api/v3/orgs/acme/repos?per_page=100&type=all";

/// What GitHub takes over https for a token: Basic, `x-access-token` and the token.
fn basic() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{TOKEN}"))
}

struct Fixture {
    d: TestDir,
    api: StandIn,
    git: GitHttp,
    /// The work tree `secret.git` was made from.
    work: PathBuf,
}

/// acme lists one private repository, `secret`, with a key, served by a git server that
/// wants the token.
fn fixture() -> Fixture {
    let d = TestDir::new();
    let served = d.path().join("served");
    bare_repo(
        &served.join("acme"),
        &d.path().join("work"),
        "secret",
        &[("deploy/id_ed25519", &key("openssh_ed25519"))],
    );
    let git = GitHttp::start(&served, &format!("Basic {}", basic()));
    let api = StandIn::start();
    let mut r = github_repo(1, "acme/secret", false, false);
    r["private"] = true.into();
    r["clone_url"] = format!("{}/acme/secret.git", git.url()).into();
    api.route(ORG, vec![Reply::page(vec![r], &[]).github_quota(4999)]);
    // A `git` in front of the real one, recording each command line keysweep gives it.
    let real = String::from_utf8(
        std::process::Command::new("sh")
            .args(["-c", "command -v git"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let log = d.path().join("git-argv.log");
    write_at(
        d.path(),
        "bin/git",
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            real.trim()
        ),
    );
    d.chmod("bin/git", 0o755);
    let work = d.path().join("work/secret");
    Fixture { d, api, git, work }
}

fn org_scan(f: &Fixture, token: Option<&str>) -> Run {
    let url = f.api.url();
    let store = f.d.path().join("store.db");
    let cache = f.d.path().join("cache");
    let mut cmd = f.d.cmd(&[
        "org",
        "scan",
        "--github-org",
        "acme",
        "--github-url",
        &url,
        "--store",
        store.to_str().unwrap(),
        "--cache",
        cache.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    let path = format!(
        "{}:{}",
        f.d.path().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    cmd.env("PATH", path)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GIT_CONFIG_COUNT")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITLAB_TOKEN");
    if let Some(t) = token {
        cmd.env("GITHUB_TOKEN", t);
    }
    Run::from(cmd.output().unwrap())
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Neither the token nor the header made of it is in the run's output, nor in any file
/// under the test's folder: the store, the cache (the clone's config), the command lines
/// git was given.
fn no_token_anywhere(run: &Run, d: &Path) {
    let b = basic();
    for s in [TOKEN, b.as_str()] {
        assert!(
            !run.stdout.contains(s) && !run.stderr.contains(s),
            "{}\n{}",
            run.stdout,
            run.stderr
        );
        for file in walk(d) {
            let bytes = std::fs::read(&file).unwrap_or_default();
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                "token in {}",
                file.display()
            );
        }
    }
}

#[test]
fn a_private_repository_is_cloned_and_fetched_with_the_token_and_it_goes_nowhere_else() {
    let f = fixture();
    let run = org_scan(&f, Some(TOKEN));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("deploy/id_ed25519"), "{}", run.stdout);
    // Every request git made carried the token, and the server answered them.
    let seen = f.git.seen();
    assert!(
        seen.iter().any(|s| s.target.contains("git-upload-pack")),
        "{seen:?}"
    );
    assert!(seen.iter().all(|s| s.authorised), "{seen:?}");
    let argv = std::fs::read_to_string(f.d.path().join("git-argv.log")).unwrap();
    assert!(argv.lines().any(|l| l.contains("clone --bare")), "{argv}");
    no_token_anywhere(&run, f.d.path());

    // A new commit on the server: fetched (not cloned again) with the token, and its key
    // is what is new.
    write_at(&f.work, "ops/second_key", key("openssh_ecdsa256"));
    git(&f.work, &["add", "-A"]);
    git(&f.work, &["commit", "-qm", "second"]);
    let bare = f.d.path().join("served/acme/secret.git");
    git(&f.work, &["push", "-q", bare.to_str().unwrap(), "main"]);
    let before = f.git.seen().len();
    let again = org_scan(&f, Some(TOKEN));
    assert_eq!(again.code, 1, "{}", again.stderr);
    let new: Vec<_> = again.findings();
    assert_eq!(new.len(), 1, "{}", again.stdout);
    assert_eq!(new[0]["path"], "ops/second_key");
    let argv = std::fs::read_to_string(f.d.path().join("git-argv.log")).unwrap();
    assert!(argv.lines().any(|l| l.contains(" fetch ")), "{argv}");
    let seen = f.git.seen();
    assert!(seen.len() > before);
    assert!(seen.iter().all(|s| s.authorised), "{seen:?}");
    no_token_anywhere(&again, f.d.path());
}

#[test]
fn without_the_right_token_the_private_repository_fails_to_authenticate() {
    let f = fixture();
    // No token: listed (the stand-in lists it anyway), refused by the git server.
    let run = org_scan(&f, None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("authentication failed"),
        "{}",
        run.stderr
    );
    assert!(f.git.seen().iter().all(|s| !s.authorised));
    assert!(f.git.seen().iter().all(|s| !s.had_authorization));
    // Another token: sent, refused, and not shown either.
    let wrong = "ghp_someOtherToken9876543210zyxwvu";
    let run = org_scan(&f, Some(wrong));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("authentication failed"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(wrong) && !run.stdout.contains(wrong));
    assert!(
        f.git
            .seen()
            .iter()
            .any(|s| s.had_authorization && !s.authorised)
    );
}
