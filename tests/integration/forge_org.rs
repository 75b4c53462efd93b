//! `keysweep org scan --github-org/--gitlab-group` from the binary, against the forge
//! stand-in (`forge_stand_in`), whose clone URLs point at bare repositories made by the
//! test (`file://`), so that what the API lists is really cloned and scanned.

use std::path::{Path, PathBuf};

use crate::forge_stand_in::{Reply, StandIn, github_repo, gitlab_project};
use crate::util::{Run, TestDir, git, key, write_at};

/// A made-up token; that it never shows is part of what is tested.
const TOKEN: &str = "forge-org-test-token-3b8d61f0";

const ORG: &str = "/api/v3/orgs/acme/repos?per_page=100&type=all";

/// A bare repository `remotes/NAME.git` with one commit holding `files`; its `file://`
/// URL.
fn remote(d: &TestDir, name: &str, files: &[(&str, &str)]) -> String {
    let work = d.path().join("work").join(name);
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", "main"]);
    write_at(&work, "README", "hello\n");
    for (rel, content) in files {
        write_at(&work, rel, content);
    }
    git(&work, &["add", "."]);
    git(&work, &["commit", "-qm", "init"]);
    let bare: PathBuf = d.path().join("remotes").join(format!("{name}.git"));
    std::fs::create_dir_all(bare.parent().unwrap()).unwrap();
    git(
        d.path(),
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    format!("file://{}", bare.display())
}

/// acme's repositories on two pages: `api` with a key, `web` clean, `fork` (a fork) and
/// `old` (archived), both with a key.
fn acme(d: &TestDir, server: &StandIn) {
    let leaked = key("openssh_ed25519");
    let repo = |id, name: &str, fork, archived, files: &[(&str, &str)]| {
        let mut r = github_repo(id, &format!("acme/{name}"), fork, archived);
        r["clone_url"] = remote(d, name, files).into();
        r
    };
    let page1 = vec![
        repo(1, "api", false, false, &[("config/deploy_key", &leaked)]),
        repo(2, "web", false, false, &[]),
    ];
    let page2 = vec![
        repo(3, "fork", true, false, &[("fork_key", &leaked)]),
        repo(4, "old", false, true, &[("old_key", &leaked)]),
    ];
    let next = "{url}/api/v3/organizations/9919/repos?per_page=100&type=all&page=2";
    server.route(
        ORG,
        vec![Reply::page(page1, &[("next", next), ("last", next)]).github_quota(4999)],
    );
    server.route(
        "/api/v3/organizations/9919/repos?per_page=100&type=all&page=2",
        vec![Reply::page(page2, &[]).github_quota(4998)],
    );
}

fn org_scan(d: &TestDir, server: &StandIn, extra: &[&str], token: Option<&str>) -> Run {
    let url = server.url();
    let store = d.path().join("store.db");
    let cache = d.path().join("cache");
    let mut args = vec![
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
    ];
    args.extend_from_slice(extra);
    let mut cmd = d.cmd(&args);
    cmd.env_remove("GITHUB_TOKEN").env_remove("GITLAB_TOKEN");
    if let Some(t) = token {
        cmd.env("GITHUB_TOKEN", t).env("GITLAB_TOKEN", t);
    }
    Run::from(cmd.output().unwrap())
}

fn has_path(run: &Run, path: &str) -> bool {
    run.stdout.lines().any(|l| l.contains(path))
}

fn no_token_anywhere(run: &Run, d: &Path) {
    assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN));
    // Nor in the store or the cache.
    for entry in walk(d) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
            "token in {}",
            entry.display()
        );
    }
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

#[test]
fn github_org_scan_clones_what_the_api_lists_and_finds_the_key() {
    let d = TestDir::new();
    let server = StandIn::start();
    acme(&d, &server);
    let run = org_scan(&d, &server, &[], Some(TOKEN));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(has_path(&run, "config/deploy_key"), "{}", run.stdout);
    // The fork and the archived repository were left out, and said so.
    assert!(
        !has_path(&run, "fork_key") && !has_path(&run, "old_key"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("--include-forks"), "{}", run.stderr);
    assert_eq!(server.targets()[0], ORG);
    for request in server.requests() {
        assert_eq!(
            request.header("Authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
    no_token_anywhere(&run, d.path());
}

#[test]
fn forks_and_archived_are_scanned_when_asked() {
    let d = TestDir::new();
    let server = StandIn::start();
    acme(&d, &server);
    let run = org_scan(
        &d,
        &server,
        &["--include-forks", "--include-archived"],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    for path in ["config/deploy_key", "fork_key", "old_key"] {
        assert!(has_path(&run, path), "{path}: {}", run.stdout);
    }
}

#[test]
fn a_secondary_limit_is_waited_out() {
    let d = TestDir::new();
    let server = StandIn::start();
    let mut r = github_repo(1, "acme/api", false, false);
    r["clone_url"] = remote(&d, "api", &[("config/deploy_key", &key("openssh_ed25519"))]).into();
    server.route(
        ORG,
        vec![Reply::github_secondary_limit(1), Reply::page(vec![r], &[])],
    );
    let run = org_scan(&d, &server, &[], Some(TOKEN));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("waiting 1 s"), "{}", run.stderr);
    assert_eq!(server.targets(), [ORG, ORG]);
}

#[test]
fn a_bad_token_is_exit_2_naming_the_variable_never_the_token() {
    let d = TestDir::new();
    let server = StandIn::start();
    server.route(ORG, vec![Reply::github_bad_credentials()]);
    let run = org_scan(&d, &server, &[], Some(TOKEN));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("GITHUB_TOKEN") && run.stderr.contains("401"),
        "{}",
        run.stderr
    );
    no_token_anywhere(&run, d.path());
}

#[test]
fn an_unknown_organisation_is_exit_2() {
    let d = TestDir::new();
    let server = StandIn::start();
    let run = org_scan(&d, &server, &[], None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("`acme`") && run.stderr.contains("404"),
        "{}",
        run.stderr
    );
}

#[test]
fn gitlab_group_with_subgroups() {
    let d = TestDir::new();
    let server = StandIn::start();
    let mut p = gitlab_project(11, "acme/platform/infra/deploy", false, None);
    p["http_url_to_repo"] = remote(&d, "deploy", &[("id_ed25519", &key("openssh_ed25519"))]).into();
    server.route(
        "/api/v4/groups/acme%2Fplatform/projects?include_subgroups=true&with_shared=false&per_page=100&order_by=id&sort=asc&archived=false",
        vec![Reply::page(vec![p], &[]).gitlab_pages(1, 1, 100, 1)],
    );
    let url = server.url();
    let store = d.path().join("store.db");
    let cache = d.path().join("cache");
    let mut cmd = d.cmd(&[
        "org",
        "scan",
        "--gitlab-group",
        "acme/platform",
        "--gitlab-url",
        &url,
        "--store",
        store.to_str().unwrap(),
        "--cache",
        cache.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    cmd.env("GITLAB_TOKEN", TOKEN).env_remove("GITHUB_TOKEN");
    let run = Run::from(cmd.output().unwrap());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(has_path(&run, "id_ed25519"), "{}", run.stdout);
    assert_eq!(server.requests()[0].header("PRIVATE-TOKEN"), Some(TOKEN));
    no_token_anywhere(&run, d.path());
}
