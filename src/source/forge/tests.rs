//! The forge sources against the stand-in API server (`tests/integration/forge_stand_in.rs`):
//! real HTTP on 127.0.0.1, the documented answers, real waits.

use std::time::{Duration, Instant};

use super::stand_in::{Reply, StandIn, epoch, github_repo, gitlab_project};
use super::*;

/// A made-up token; that it never shows is part of what is tested.
const TOKEN: &str = "forge-test-token-7c1e5a90b2d4";

const ORG: &str = "/api/v3/orgs/acme/repos?per_page=100&type=all";
const GROUP: &str = "/api/v4/groups/acme%2Fplatform/projects?include_subgroups=true&with_shared=false&per_page=100&order_by=id&sort=asc&archived=false";

fn options(server: &StandIn, token: Option<&str>) -> ForgeOptions {
    ForgeOptions {
        base_url: Some(server.url()),
        token: match token {
            Some(t) => TokenSource::Given(Token::new(t).unwrap()),
            None => TokenSource::Anonymous,
        },
        ..ForgeOptions::new()
    }
}

/// The listing, and the notes it gave.
fn list(query: &ForgeQuery, options: &ForgeOptions) -> (Result<Vec<ForgeRepo>>, Vec<String>) {
    let mut notes = Vec::new();
    let result = list_repositories(query, options, &mut |n| notes.push(n.to_string()));
    (result, notes)
}

fn names(repos: &[ForgeRepo]) -> Vec<&str> {
    repos.iter().map(|r| r.full_name.as_str()).collect()
}

fn org() -> ForgeQuery {
    ForgeQuery::GithubOrg("acme".into())
}

/// Three pages of acme's repositories, linked as GitHub links them; a fork on page 2 and
/// an archived one on page 3.
fn three_pages(server: &StandIn) {
    let next =
        |p: u32| format!("{{url}}/api/v3/organizations/9919/repos?per_page=100&type=all&page={p}");
    let target =
        |p: u32| format!("/api/v3/organizations/9919/repos?per_page=100&type=all&page={p}");
    server.route(
        ORG,
        vec![
            Reply::page(
                vec![
                    github_repo(1, "acme/api", false, false),
                    github_repo(2, "acme/web", false, false),
                ],
                &[("next", &next(2)), ("last", &next(3))],
            )
            .github_quota(4999),
        ],
    );
    server.route(
        &target(2),
        vec![
            Reply::page(
                vec![
                    github_repo(3, "acme/openssl", true, false),
                    github_repo(4, "acme/infra", false, false),
                ],
                &[
                    ("prev", &next(1)),
                    ("next", &next(3)),
                    ("last", &next(3)),
                    ("first", &next(1)),
                ],
            )
            .github_quota(4998),
        ],
    );
    server.route(
        &target(3),
        vec![
            Reply::page(
                vec![
                    github_repo(5, "acme/legacy", false, true),
                    github_repo(6, "acme/tools", false, false),
                ],
                &[("prev", &next(2)), ("first", &next(1))],
            )
            .github_quota(4997),
        ],
    );
}

#[test]
fn github_org_follows_three_pages_and_leaves_out_forks_and_archived() {
    let server = StandIn::start();
    three_pages(&server);
    let (repos, notes) = list(&org(), &options(&server, Some(TOKEN)));
    let repos = repos.unwrap();
    assert_eq!(
        names(&repos),
        ["acme/api", "acme/web", "acme/infra", "acme/tools"]
    );
    assert_eq!(
        server.targets(),
        [
            ORG,
            "/api/v3/organizations/9919/repos?per_page=100&type=all&page=2",
            "/api/v3/organizations/9919/repos?per_page=100&type=all&page=3"
        ]
    );
    let api = &repos[0];
    assert_eq!(api.clone_url, "https://github.com/acme/api.git");
    assert_eq!(api.default_branch.as_deref(), Some("main"));
    assert_eq!(api.size_kb, Some(109));
    assert_eq!(api.pushed_at.as_deref(), Some("2026-11-30T10:00:00Z"));
    assert!(!api.fork && !api.archived);
    assert!(
        notes.iter().any(|n| n.contains("4 of 6 repositories kept")
            && n.contains("1 fork (--include-forks)")
            && n.contains("1 archived (--include-archived)")),
        "{notes:?}"
    );
}

#[test]
fn github_sends_the_token_as_bearer_with_the_documented_headers_and_never_prints_it() {
    let server = StandIn::start();
    three_pages(&server);
    let (repos, notes) = list(&org(), &options(&server, Some(TOKEN)));
    repos.unwrap();
    for request in server.requests() {
        assert_eq!(request.method, "GET");
        assert_eq!(
            request.header("Authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(
            request.header("Accept"),
            Some("application/vnd.github+json")
        );
        let accepts = request
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("accept"));
        assert_eq!(accepts.count(), 1, "{:?}", request.headers);
        assert_eq!(request.header("X-GitHub-Api-Version"), Some("2022-11-28"));
        assert!(
            request
                .header("User-Agent")
                .unwrap()
                .starts_with("keysweep/")
        );
        assert_eq!(request.header("PRIVATE-TOKEN"), None);
    }
    assert!(notes.iter().all(|n| !n.contains(TOKEN)), "{notes:?}");
    // Over plain http, the token's trip is noted (by its variable's name).
    assert!(
        notes
            .iter()
            .any(|n| n.contains("sending GITHUB_TOKEN over plain http")),
        "{notes:?}"
    );
}

#[test]
fn forks_and_archived_are_kept_when_asked() {
    let server = StandIn::start();
    three_pages(&server);
    let mut o = options(&server, None);
    o.include_forks = true;
    o.include_archived = true;
    let (repos, notes) = list(&org(), &o);
    let repos = repos.unwrap();
    assert_eq!(
        names(&repos),
        [
            "acme/api",
            "acme/web",
            "acme/openssl",
            "acme/infra",
            "acme/legacy",
            "acme/tools"
        ]
    );
    assert!(repos[2].fork && repos[4].archived);
    assert_eq!(
        notes,
        [
            "GitHub organisation `acme`: listed without a token (GITHUB_TOKEN), so public repositories only"
        ]
    );
    // No token, no header.
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.header("Authorization").is_none())
    );
}

#[test]
fn a_repository_listed_twice_is_kept_once() {
    let server = StandIn::start();
    server.route(
        ORG,
        vec![Reply::page(
            vec![github_repo(1, "acme/api", false, false)],
            &[(
                "next",
                "{url}/api/v3/orgs/acme/repos?per_page=100&type=all&page=2",
            )],
        )],
    );
    server.route(
        "/api/v3/orgs/acme/repos?per_page=100&type=all&page=2",
        vec![Reply::page(
            vec![
                github_repo(1, "acme/api", false, false),
                github_repo(2, "acme/web", false, false),
            ],
            &[],
        )],
    );
    let (repos, _) = list(&org(), &options(&server, None));
    assert_eq!(names(&repos.unwrap()), ["acme/api", "acme/web"]);
}

#[test]
fn github_user_without_a_token_lists_their_public_repositories() {
    let server = StandIn::start();
    server.route(
        "/api/v3/users/alice/repos?per_page=100&type=owner",
        vec![Reply::page(
            vec![github_repo(1, "alice/dotfiles", false, false)],
            &[],
        )],
    );
    let (repos, _) = list(
        &ForgeQuery::GithubUser("alice".into()),
        &options(&server, None),
    );
    assert_eq!(names(&repos.unwrap()), ["alice/dotfiles"]);
    assert_eq!(
        server.targets(),
        ["/api/v3/users/alice/repos?per_page=100&type=owner"]
    );
}

#[test]
fn github_user_with_their_own_token_lists_their_private_repositories_too() {
    let server = StandIn::start();
    server.route(
        "/api/v3/user",
        vec![Reply::json(
            200,
            serde_json::json!({"login": "Alice", "id": 1, "type": "User"}),
        )],
    );
    let mut private = github_repo(2, "alice/secrets", false, false);
    private["private"] = true.into();
    server.route(
        "/api/v3/user/repos?per_page=100&affiliation=owner",
        vec![Reply::page(
            vec![github_repo(1, "alice/dotfiles", false, false), private],
            &[],
        )],
    );
    let (repos, notes) = list(
        &ForgeQuery::GithubUser("alice".into()),
        &options(&server, Some(TOKEN)),
    );
    assert_eq!(names(&repos.unwrap()), ["alice/dotfiles", "alice/secrets"]);
    assert_eq!(
        server.targets(),
        [
            "/api/v3/user",
            "/api/v3/user/repos?per_page=100&affiliation=owner"
        ]
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("private repositories are listed too")),
        "{notes:?}"
    );
}

#[test]
fn github_user_with_someone_elses_token_lists_the_public_ones() {
    let server = StandIn::start();
    server.route(
        "/api/v3/user",
        vec![Reply::json(200, serde_json::json!({"login": "bob"}))],
    );
    server.route(
        "/api/v3/users/alice/repos?per_page=100&type=owner",
        vec![Reply::page(
            vec![github_repo(1, "alice/dotfiles", false, false)],
            &[],
        )],
    );
    let (repos, _) = list(
        &ForgeQuery::GithubUser("alice".into()),
        &options(&server, Some(TOKEN)),
    );
    assert_eq!(names(&repos.unwrap()), ["alice/dotfiles"]);
}

#[test]
fn gitlab_group_with_subgroups_follows_link_then_x_next_page_and_leaves_out_forks() {
    let server = StandIn::start();
    // Page 1 has both headers, page 2 only X-Next-Page (GitLab leaves Link out past
    // 10,000 rows), page 3 is the last.
    server.route(
        GROUP,
        vec![
            Reply::page(
                vec![
                    gitlab_project(11, "acme/platform/api", false, None),
                    gitlab_project(12, "acme/platform/infra/terraform", false, None),
                ],
                &[("next", &format!("{{url}}{GROUP}&page=2"))],
            )
            .gitlab_pages(1, 3, 2, 6),
        ],
    );
    server.route(
        &format!("{GROUP}&page=2"),
        vec![
            Reply::page(
                vec![
                    gitlab_project(13, "acme/platform/infra/ansible", false, None),
                    gitlab_project(14, "acme/platform/openssh", false, Some("upstream/openssh")),
                ],
                &[],
            )
            .gitlab_pages(2, 3, 2, 6),
        ],
    );
    server.route(
        &format!("{GROUP}&page=3"),
        vec![
            Reply::page(
                vec![gitlab_project(15, "acme/platform/data/etl", false, None)],
                &[],
            )
            .gitlab_pages(3, 3, 2, 6),
        ],
    );
    let query = ForgeQuery::GitlabGroup("acme/platform".into());
    let (repos, notes) = list(&query, &options(&server, Some(TOKEN)));
    let repos = repos.unwrap();
    assert_eq!(
        names(&repos),
        [
            "acme/platform/api",
            "acme/platform/infra/terraform",
            "acme/platform/infra/ansible",
            "acme/platform/data/etl"
        ]
    );
    assert_eq!(
        repos[1].clone_url,
        "https://gitlab.example.com/acme/platform/infra/terraform.git"
    );
    assert_eq!(
        repos[0].pushed_at.as_deref(),
        Some("2026-11-30T10:00:00.000Z")
    );
    assert_eq!(repos[0].size_kb, None);
    assert_eq!(
        server.targets(),
        [
            GROUP.to_string(),
            format!("{GROUP}&page=2"),
            format!("{GROUP}&page=3")
        ]
    );
    for request in server.requests() {
        assert_eq!(request.header("PRIVATE-TOKEN"), Some(TOKEN));
        assert_eq!(request.header("Authorization"), None);
    }
    assert!(notes.iter().any(|n| n.contains("1 fork")), "{notes:?}");
    assert!(notes.iter().all(|n| !n.contains(TOKEN)));
}

#[test]
fn gitlab_archived_projects_are_asked_for_only_when_wanted() {
    let server = StandIn::start();
    let all = GROUP.trim_end_matches("&archived=false");
    server.route(
        all,
        vec![Reply::page(
            vec![
                gitlab_project(11, "acme/platform/api", false, None),
                gitlab_project(12, "acme/platform/old", true, None),
            ],
            &[],
        )],
    );
    let mut o = options(&server, None);
    o.include_archived = true;
    let (repos, _) = list(&ForgeQuery::GitlabGroup("acme/platform".into()), &o);
    let repos = repos.unwrap();
    assert_eq!(names(&repos), ["acme/platform/api", "acme/platform/old"]);
    assert!(repos[1].archived);
    assert_eq!(server.targets(), [all]);
}

#[test]
fn github_secondary_limit_403_with_retry_after_is_waited_out_and_retried() {
    let server = StandIn::start();
    server.route(
        ORG,
        vec![
            Reply::github_secondary_limit(1),
            Reply::page(vec![github_repo(1, "acme/api", false, false)], &[]),
        ],
    );
    let started = Instant::now();
    let (repos, notes) = list(&org(), &options(&server, Some(TOKEN)));
    let waited = started.elapsed();
    assert_eq!(names(&repos.unwrap()), ["acme/api"]);
    assert!(waited >= Duration::from_secs(1), "{waited:?}");
    assert_eq!(server.targets(), [ORG, ORG]);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("secondary rate limit") && n.contains("waiting 1 s")),
        "{notes:?}"
    );
}

#[test]
fn github_primary_limit_waits_until_the_reset() {
    let server = StandIn::start();
    let reset = epoch() + 1;
    server.route(
        ORG,
        vec![
            Reply::github_primary_limit(reset),
            Reply::page(vec![github_repo(1, "acme/api", false, false)], &[]),
        ],
    );
    let (repos, notes) = list(&org(), &options(&server, Some(TOKEN)));
    assert_eq!(names(&repos.unwrap()), ["acme/api"]);
    // Not asked again before the reset.
    assert!(epoch() > reset, "retried before the reset");
    assert_eq!(server.targets(), [ORG, ORG]);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("GitHub rate limit reached") && n.contains("UTC")),
        "{notes:?}"
    );
}

#[test]
fn a_limit_that_lifts_later_than_the_longest_wait_is_an_error_at_once() {
    let server = StandIn::start();
    server.route(ORG, vec![Reply::github_primary_limit(epoch() + 3000)]);
    let mut o = options(&server, Some(TOKEN));
    o.limits.max_wait = Duration::from_secs(30);
    let started = Instant::now();
    let (repos, _) = list(&org(), &o);
    let err = format!("{:#}", repos.unwrap_err());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        err.contains("longer than the longest wait allowed (30 s)"),
        "{err}"
    );
    assert!(err.contains("try again after"), "{err}");
    assert!(!err.contains(TOKEN));
}

#[test]
fn retries_are_bounded() {
    let server = StandIn::start();
    server.route(ORG, vec![Reply::github_secondary_limit(1)]);
    let mut o = options(&server, None);
    o.limits.max_retries = 1;
    let (repos, _) = list(&org(), &o);
    let err = format!("{:#}", repos.unwrap_err());
    assert!(
        err.contains("still answers 403") && err.contains("after 1 retry"),
        "{err}"
    );
    assert_eq!(server.targets().len(), 2);
}

#[test]
fn gitlab_429_with_retry_after_is_waited_out() {
    let server = StandIn::start();
    server.route(
        GROUP,
        vec![
            Reply::gitlab_limit(1),
            Reply::page(
                vec![gitlab_project(11, "acme/platform/api", false, None)],
                &[],
            )
            .gitlab_pages(1, 1, 100, 1),
        ],
    );
    let started = Instant::now();
    let (repos, notes) = list(
        &ForgeQuery::GitlabGroup("acme/platform".into()),
        &options(&server, None),
    );
    assert_eq!(names(&repos.unwrap()), ["acme/platform/api"]);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(
        notes
            .iter()
            .any(|n| n.contains("GitLab secondary rate limit")),
        "{notes:?}"
    );
}

#[test]
fn a_server_error_is_retried() {
    let server = StandIn::start();
    server.route(
        ORG,
        vec![
            Reply::json(502, serde_json::json!({"message": "Server Error"})),
            Reply::page(vec![github_repo(1, "acme/api", false, false)], &[]),
        ],
    );
    let (repos, notes) = list(&org(), &options(&server, None));
    assert_eq!(names(&repos.unwrap()), ["acme/api"]);
    assert!(
        notes.iter().any(|n| n.contains("answered 502")),
        "{notes:?}"
    );
}

#[test]
fn a_bad_token_is_an_error_that_names_the_variable_not_the_token() {
    let server = StandIn::start();
    server.route(ORG, vec![Reply::github_bad_credentials()]);
    let (repos, notes) = list(&org(), &options(&server, Some(TOKEN)));
    let err = format!("{:#}", repos.unwrap_err());
    assert!(
        err.contains("GitHub refused the token in GITHUB_TOKEN listing organisation `acme` (401: Bad credentials)"),
        "{err}"
    );
    assert!(!err.contains(TOKEN) && notes.iter().all(|n| !n.contains(TOKEN)));
    // Asked once: a 401 is not retried.
    assert_eq!(server.targets(), [ORG]);
}

#[test]
fn a_token_a_server_echoes_is_blanked_out() {
    let server = StandIn::start();
    server.route(
        ORG,
        vec![Reply::json(
            401,
            serde_json::json!({"message": format!("token {TOKEN} is revoked")}),
        )],
    );
    let (repos, _) = list(&org(), &options(&server, Some(TOKEN)));
    let err = format!("{:#}", repos.unwrap_err());
    assert!(err.contains("token <token> is revoked"), "{err}");
    assert!(!err.contains(TOKEN));
}

#[test]
fn no_token_on_a_401_says_which_variable_to_set() {
    let server = StandIn::start();
    server.route(
        "/api/v4/groups/secret/projects?include_subgroups=true&with_shared=false&per_page=100&order_by=id&sort=asc&archived=false",
        vec![Reply::gitlab_unauthorized()],
    );
    let (repos, _) = list(
        &ForgeQuery::GitlabGroup("secret".into()),
        &options(&server, None),
    );
    let err = format!("{:#}", repos.unwrap_err());
    assert!(
        err.contains(
            "GitLab needs a token to list group `secret` (401: 401 Unauthorized); set GITLAB_TOKEN"
        ),
        "{err}"
    );
}

#[test]
fn an_unknown_organisation_is_an_error_naming_it_and_the_status() {
    let server = StandIn::start();
    server.route(
        "/api/v3/orgs/nosuch/repos?per_page=100&type=all",
        vec![Reply::github_not_found()],
    );
    let (repos, _) = list(
        &ForgeQuery::GithubOrg("nosuch".into()),
        &options(&server, Some(TOKEN)),
    );
    let err = format!("{:#}", repos.unwrap_err());
    assert!(
        err.contains("GitHub has no organisation `nosuch` (404: Not Found), or the token in GITHUB_TOKEN cannot see it"),
        "{err}"
    );
    let server = StandIn::start();
    server.route(
        "/api/v4/groups/nosuch/projects?include_subgroups=true&with_shared=false&per_page=100&order_by=id&sort=asc&archived=false",
        vec![Reply::gitlab_group_not_found()],
    );
    let (repos, _) = list(
        &ForgeQuery::GitlabGroup("nosuch".into()),
        &options(&server, None),
    );
    let err = format!("{:#}", repos.unwrap_err());
    assert!(err.contains("GitLab has no group `nosuch` (404"), "{err}");
}

#[test]
fn a_forbidden_listing_is_an_error_not_a_wait() {
    let server = StandIn::start();
    server.route(
        ORG,
        vec![
            Reply::json(
                403,
                serde_json::json!({"message": "Although you appear to have the correct authorization credentials, the `acme` organization has enabled OAuth App access restrictions."}),
            )
            .github_quota(4000),
        ],
    );
    let started = Instant::now();
    let (repos, _) = list(&org(), &options(&server, Some(TOKEN)));
    let err = format!("{:#}", repos.unwrap_err());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        err.contains("GitHub denied access to organisation `acme` (403: Although"),
        "{err}"
    );
}

#[test]
fn an_unreachable_api_is_a_clear_error() {
    // A port nothing listens on: bound, then let go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o = ForgeOptions {
        base_url: Some(format!("http://127.0.0.1:{port}")),
        token: TokenSource::Given(Token::new(TOKEN).unwrap()),
        ..ForgeOptions::new()
    };
    let (repos, _) = list(&org(), &o);
    let err = format!("{:#}", repos.unwrap_err());
    assert!(
        err.contains(&format!(
            "could not reach GitHub at http://127.0.0.1:{port}{ORG} (listing organisation `acme`)"
        )),
        "{err}"
    );
    assert!(!err.contains(TOKEN));
}

#[test]
fn a_link_to_another_host_is_not_followed() {
    let server = StandIn::start();
    let other = StandIn::start();
    server.route(
        ORG,
        vec![Reply::page(
            vec![github_repo(1, "acme/api", false, false)],
            &[("next", &format!("{}/collect?page=2", other.url()))],
        )],
    );
    let (repos, _) = list(&org(), &options(&server, Some(TOKEN)));
    let err = format!("{:#}", repos.unwrap_err());
    assert!(
        err.contains("outside its API") && err.contains("token goes nowhere else"),
        "{err}"
    );
    assert!(other.requests().is_empty());
}

#[test]
fn a_redirect_within_the_api_is_followed_and_one_elsewhere_is_not() {
    // GitHub answers 301 for a renamed organisation.
    let server = StandIn::start();
    server.route(
        ORG,
        vec![
            Reply::json(301, serde_json::json!({"message": "Moved Permanently"})).header(
                "Location",
                "{url}/api/v3/organizations/9919/repos?per_page=100&type=all",
            ),
        ],
    );
    server.route(
        "/api/v3/organizations/9919/repos?per_page=100&type=all",
        vec![Reply::page(
            vec![github_repo(1, "acme-renamed/api", false, false)],
            &[],
        )],
    );
    let (repos, notes) = list(&org(), &options(&server, Some(TOKEN)));
    assert_eq!(names(&repos.unwrap()), ["acme-renamed/api"]);
    assert!(notes.iter().any(|n| n.contains("redirected")), "{notes:?}");

    let other = StandIn::start();
    let server = StandIn::start();
    server.route(
        ORG,
        vec![
            Reply::json(302, serde_json::json!({}))
                .header("Location", format!("{}/x", other.url())),
        ],
    );
    let (repos, _) = list(&org(), &options(&server, Some(TOKEN)));
    assert!(format!("{:#}", repos.unwrap_err()).contains("outside its API"));
    assert!(other.requests().is_empty());
}

#[test]
fn pages_that_link_back_are_an_error_not_a_loop() {
    let server = StandIn::start();
    server.route(
        ORG,
        vec![Reply::page(
            vec![github_repo(1, "acme/api", false, false)],
            &[("next", &format!("{{url}}{ORG}"))],
        )],
    );
    let (repos, _) = list(&org(), &options(&server, None));
    assert!(format!("{:#}", repos.unwrap_err()).contains("lead back to"));
}

#[test]
fn an_answer_that_is_not_a_list_is_an_error() {
    let server = StandIn::start();
    server.route(
        ORG,
        vec![Reply::json(200, serde_json::json!({"message": "hello"}))],
    );
    let (repos, _) = list(&org(), &options(&server, None));
    assert!(
        format!("{:#}", repos.unwrap_err()).contains("is not the documented list of repositories")
    );
}

#[test]
fn names_that_are_not_one_path_segment_are_refused_before_any_request() {
    let server = StandIn::start();
    for q in [
        ForgeQuery::GithubOrg("acme/../admin".into()),
        ForgeQuery::GithubUser("a?b".into()),
        ForgeQuery::GitlabGroup("acme/../x".into()),
    ] {
        assert!(list(&q, &options(&server, None)).0.is_err(), "{q}");
    }
    assert!(server.requests().is_empty());
}

#[test]
fn a_relative_link_is_followed_on_the_same_api() {
    let server = StandIn::start();
    server.route(
        ORG,
        vec![Reply::page(
            vec![github_repo(1, "acme/api", false, false)],
            &[(
                "next",
                "/api/v3/orgs/acme/repos?per_page=100&type=all&page=2",
            )],
        )],
    );
    server.route(
        "/api/v3/orgs/acme/repos?per_page=100&type=all&page=2",
        vec![Reply::page(
            vec![github_repo(2, "acme/web", false, false)],
            &[],
        )],
    );
    let (repos, _) = list(&org(), &options(&server, None));
    assert_eq!(names(&repos.unwrap()), ["acme/api", "acme/web"]);
}

#[test]
fn a_classic_token_without_the_repo_scope_is_noted() {
    for (scopes, noted) in [
        ("public_repo, read:org", true),
        ("", true),
        ("read:org, repo", false),
    ] {
        let server = StandIn::start();
        server.route(
            ORG,
            vec![
                Reply::page(vec![github_repo(1, "acme/api", false, false)], &[])
                    .header("X-OAuth-Scopes", scopes)
                    .header("X-Accepted-OAuth-Scopes", "repo"),
            ],
        );
        let (repos, notes) = list(&org(), &options(&server, Some(TOKEN)));
        repos.unwrap();
        let said = notes.iter().any(|n| n.contains("has no `repo` scope"));
        assert_eq!(said, noted, "{scopes}: {notes:?}");
    }
}

#[test]
fn saml_single_sign_on_says_where_to_authorize_the_token() {
    let server = StandIn::start();
    let sso = "https://github.com/orgs/acme/sso?authorization_request=A5RQ0KXMBHN3";
    server.route(
        ORG,
        vec![
            Reply::json(
                403,
                serde_json::json!({"message": "Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.", "documentation_url": "https://docs.github.com/articles/authenticating-to-a-github-organization-with-saml-single-sign-on/"}),
            )
            .header("X-GitHub-SSO", format!("required; url={sso}"))
            .github_quota(4990),
        ],
    );
    let (repos, _) = list(&org(), &options(&server, Some(TOKEN)));
    let err = format!("{:#}", repos.unwrap_err());
    assert!(
        err.starts_with("GitHub denied access to organisation `acme` (403"),
        "{err}"
    );
    assert!(
        err.contains(&format!("authorize the token for it at {sso}")),
        "{err}"
    );

    // A list with organisations left out says so.
    let server = StandIn::start();
    server.route(
        "/api/v3/user",
        vec![Reply::json(200, serde_json::json!({"login": "alice"}))],
    );
    server.route(
        "/api/v3/user/repos?per_page=100&affiliation=owner",
        vec![
            Reply::page(vec![github_repo(1, "alice/dotfiles", false, false)], &[]).header(
                "X-GitHub-SSO",
                "partial-results; organizations=21955855,20582480",
            ),
        ],
    );
    let (repos, notes) = list(
        &ForgeQuery::GithubUser("alice".into()),
        &options(&server, Some(TOKEN)),
    );
    repos.unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("SAML single sign-on") && n.contains("21955855,20582480")),
        "{notes:?}"
    );
}

#[test]
fn an_empty_listing_is_noted() {
    let server = StandIn::start();
    server.route(ORG, vec![Reply::page(vec![], &[])]);
    let (repos, notes) = list(&org(), &options(&server, Some(TOKEN)));
    assert!(repos.unwrap().is_empty());
    assert!(
        notes.iter().any(|n| n.contains("lists no repositories")),
        "{notes:?}"
    );
}

#[test]
fn an_https_api_that_speaks_no_tls_is_a_clear_error() {
    // The TLS stack (rustls on ring) starts, and a failed handshake is an error.
    let server = StandIn::start();
    let https = server.url().replace("http://", "https://");
    let o = ForgeOptions {
        base_url: Some(https.clone()),
        ..options(&server, Some(TOKEN))
    };
    let (repos, _) = list(&org(), &o);
    let err = format!("{:#}", repos.unwrap_err());
    assert!(
        err.starts_with(&format!("could not reach GitHub at {https}{ORG}")),
        "{err}"
    );
    assert!(!err.contains(TOKEN));
}

#[test]
fn a_large_organisation_is_listed_whole() {
    // 2,500 repositories on 25 full pages of 100, every seventh a fork.
    let server = StandIn::start();
    let pages = 25;
    let target =
        |p: u32| format!("/api/v3/organizations/9919/repos?per_page=100&type=all&page={p}");
    for p in 1..=pages {
        let repos = (0..100)
            .map(|i| {
                let id = u64::from(p - 1) * 100 + i;
                github_repo(id, &format!("acme/repo-{id:04}"), id % 7 == 3, false)
            })
            .collect();
        let next = format!("{{url}}{}", target(p + 1));
        let last = format!("{{url}}{}", target(pages));
        let links: Vec<(&str, &str)> = if p < pages {
            vec![("next", &next), ("last", &last)]
        } else {
            vec![]
        };
        let route = if p == 1 { ORG.to_string() } else { target(p) };
        server.route(
            &route,
            vec![Reply::page(repos, &links).github_quota(5000 - u64::from(p))],
        );
    }
    let (repos, notes) = list(&org(), &options(&server, Some(TOKEN)));
    let repos = repos.unwrap();
    let forks = (0..2500).filter(|id| id % 7 == 3).count();
    assert_eq!(repos.len(), 2500 - forks);
    assert_eq!(server.targets().len(), pages as usize);
    assert!(repos.iter().all(|r| !r.fork));
    assert_eq!(repos.last().unwrap().full_name, "acme/repo-2499");
    assert!(
        notes
            .iter()
            .any(|n| n.contains(&format!("{} of 2500 repositories kept", 2500 - forks))),
        "{notes:?}"
    );
}

#[test]
fn ctrl_c_ends_a_long_wait_at_once() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static STOP: AtomicBool = AtomicBool::new(false);
    let server = StandIn::start();
    // Reset 30 min and a half from now: the note says "30 min" whatever second the
    // client reads its clock in.
    server.route(ORG, vec![Reply::github_primary_limit(epoch() + 1830)]);
    let mut o = options(&server, Some(TOKEN));
    o.limits.stop = || STOP.load(Ordering::SeqCst);
    let asked = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(300));
        STOP.store(true, Ordering::SeqCst);
    });
    let started = Instant::now();
    let (repos, notes) = list(&org(), &o);
    asked.join().unwrap();
    let err = format!("{:#}", repos.unwrap_err());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        err.contains("interrupted while waiting for its rate limit"),
        "{err}"
    );
    assert!(
        notes.iter().any(|n| n.contains("waiting 30 min")),
        "{notes:?}"
    );
}

#[test]
fn gitlab_links_to_another_external_url_fall_back_to_x_next_page() {
    // The instance believes it is https://gitlab.example.com; it was reached another way.
    let server = StandIn::start();
    server.route(
        GROUP,
        vec![
            Reply::page(
                vec![gitlab_project(11, "acme/platform/api", false, None)],
                &[("next", &format!("https://gitlab.example.com{GROUP}&page=2"))],
            )
            .gitlab_pages(1, 2, 1, 2),
        ],
    );
    server.route(
        &format!("{GROUP}&page=2"),
        vec![
            Reply::page(
                vec![gitlab_project(12, "acme/platform/web", false, None)],
                &[],
            )
            .gitlab_pages(2, 2, 1, 2),
        ],
    );
    let (repos, notes) = list(
        &ForgeQuery::GitlabGroup("acme/platform".into()),
        &options(&server, Some(TOKEN)),
    );
    assert_eq!(
        names(&repos.unwrap()),
        ["acme/platform/api", "acme/platform/web"]
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("link to https://gitlab.example.com")),
        "{notes:?}"
    );
}
