//! The repositories a forge lists for an organisation, a user or a group, through its REST
//! API: GitHub (and GitHub Enterprise Server) and GitLab (gitlab.com or self-hosted). The
//! `org` command calls [`list_repositories`] for each `--github-org`, `--github-user` and
//! `--gitlab-group` it is given, then clones what it gets; this module reads nothing but
//! the API and never prints (what it has to say goes to the caller's `note`).
//!
//! ```text
//! list_repositories(&ForgeQuery::GithubOrg("acme".into()), &ForgeOptions::new(), &mut |n| eprintln!("{n}"))
//!     -> Vec<ForgeRepo { full_name: "acme/api", clone_url: "https://github.com/acme/api.git", .. }>
//! ```
//!
//! What it asks:
//! - GitHub organisation: `GET {api}/orgs/{org}/repos?per_page=100&type=all`.
//! - GitHub user: `GET {api}/users/{user}/repos?per_page=100&type=owner`, the user's
//!   public repositories. When the token is that user's own (`GET {api}/user` names
//!   them), `GET {api}/user/repos?per_page=100&affiliation=owner` instead, which adds
//!   their private ones.
//! - GitLab group: `GET {api}/groups/{id or url-encoded path}/projects?include_subgroups=true&with_shared=false&per_page=100&order_by=id&sort=asc`,
//!   with `&archived=false` unless archived projects are asked for. Projects shared
//!   *into* the group from elsewhere are not its own and are left out.
//!
//! The API: `https://api.github.com` and `https://gitlab.com/api/v4` by default, or
//! [`ForgeOptions::base_url`]: for GitHub Enterprise Server `https://HOST/api/v3` (a URL
//! with no path gets `/api/v3`); for GitLab the instance's URL (`/api/v4` is added unless
//! present). Requests go to that origin only: a pagination link or redirect to another
//! host is refused, no proxy is taken from the environment.
//!
//! The token: `GITHUB_TOKEN` or `GITLAB_TOKEN` ([`TokenSource::Environment`], the
//! default), sent as `Authorization: Bearer` (GitHub) or `PRIVATE-TOKEN` (GitLab); without
//! one, public repositories only. It is never printed, and blanked out of any text a
//! server sends back.
//!
//! Pagination follows `Link: <…>; rel="next"` (both forges) or GitLab's `X-Next-Page`
//! (also when its `Link` names another external URL of the instance than the one given).
//! Rate limits ([`Limits`]): a 403 or 429 with `Retry-After` waits that long; one with no
//! requests remaining (`X-RateLimit-Remaining: 0`, GitLab `RateLimit-Remaining: 0`) waits
//! until `X-RateLimit-Reset`/`RateLimit-Reset` (epoch seconds); a secondary limit naming no
//! time waits a minute, doubled on each retry. Each wait is a note saying how long and until when; a wait longer
//! than [`Limits::max_wait`] is an error saying when to try again, and a request is retried
//! at most [`Limits::max_retries`] times (500/502/503/504 too, after 1, 2, 4… s). Ctrl-C
//! ([`Limits::stop`]) ends a wait at once, as an error. A bad
//! token (401), a denial (403) or an unknown organisation (404) is an error naming the
//! forge, what was listed and the status; a 403 from an organisation that enforces SAML
//! single sign-on says where to authorize the token (`X-GitHub-SSO: required; url=…`).
//!
//! What may make a listing short is a note: no token (public repositories only), a
//! classic GitHub token without the `repo` scope (`X-OAuth-Scopes`), organisations GitHub
//! left out for SAML single sign-on (`X-GitHub-SSO: partial-results`), nothing listed.
//!
//! Forks (GitHub `fork`, GitLab `forked_from_project`) and archived repositories are left
//! out unless [`ForgeOptions::include_forks`] / [`ForgeOptions::include_archived`]; how
//! many were left out is a note. A repository listed twice (offset pages shift when one is
//! created during the listing) is kept once.

mod github;
mod gitlab;
mod http;

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{Result, bail};

pub use http::{Limits, Token};

/// What to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForgeQuery {
    /// A GitHub organisation's repositories (`--github-org`).
    GithubOrg(String),
    /// A GitHub user's repositories (`--github-user`).
    GithubUser(String),
    /// A GitLab group's projects, its subgroups' included (`--gitlab-group`): its path
    /// (`parent/child`) or numeric id.
    GitlabGroup(String),
}

impl ForgeQuery {
    /// The environment variable the token comes from.
    pub fn token_var(&self) -> &'static str {
        match self {
            ForgeQuery::GithubOrg(_) | ForgeQuery::GithubUser(_) => github::FORGE.token_var,
            ForgeQuery::GitlabGroup(_) => gitlab::FORGE.token_var,
        }
    }
}

impl ForgeQuery {
    /// What is listed, without the forge's name: "organisation `acme`".
    pub fn what(&self) -> String {
        match self {
            ForgeQuery::GithubOrg(o) => format!("organisation `{o}`"),
            ForgeQuery::GithubUser(u) => format!("user `{u}`"),
            ForgeQuery::GitlabGroup(g) => format!("group `{g}`"),
        }
    }
}

/// The forge and what is listed: "GitHub organisation `acme`".
impl std::fmt::Display for ForgeQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ForgeQuery::GithubOrg(o) => write!(f, "GitHub organisation `{o}`"),
            ForgeQuery::GithubUser(u) => write!(f, "GitHub user `{u}`"),
            ForgeQuery::GitlabGroup(g) => write!(f, "GitLab group `{g}`"),
        }
    }
}

/// Where the token comes from.
#[derive(Debug, Clone, Default)]
pub enum TokenSource {
    /// `GITHUB_TOKEN` or `GITLAB_TOKEN`, as the query's forge needs; unset or empty is
    /// no token.
    #[default]
    Environment,
    /// This one (tests; a caller that read it elsewhere).
    Given(Token),
    /// None: public repositories only.
    Anonymous,
}

/// How to list.
#[derive(Debug, Clone)]
pub struct ForgeOptions {
    /// The API's URL (see the module's doc); `None` for github.com or gitlab.com.
    pub base_url: Option<String>,
    /// Keep forks.
    pub include_forks: bool,
    /// Keep archived repositories.
    pub include_archived: bool,
    pub token: TokenSource,
    pub limits: Limits,
}

impl ForgeOptions {
    /// The defaults: the public API, forks and archived repositories left out, the token
    /// from the environment, waits of up to an hour (GitHub's primary limit resets
    /// hourly, so a run never fails on it), 5 retries, 2 minutes a request, Ctrl-C heeded.
    pub fn new() -> ForgeOptions {
        ForgeOptions {
            base_url: None,
            include_forks: false,
            include_archived: false,
            token: TokenSource::Environment,
            limits: Limits {
                max_wait: Duration::from_secs(3600),
                max_retries: 5,
                timeout: Duration::from_secs(120),
                stop: crate::interrupt::requested,
            },
        }
    }
}

impl ForgeOptions {
    /// The token `query` is listed with, if any.
    pub fn token_for(&self, query: &ForgeQuery) -> Option<Token> {
        match &self.token {
            TokenSource::Environment => std::env::var(query.token_var()).ok().and_then(Token::new),
            TokenSource::Given(t) => Some(t.clone()),
            TokenSource::Anonymous => None,
        }
    }
}

/// How git authenticates to a clone URL a forge listed: the forge's token as an HTTP
/// `Authorization` header, for URLs under `scope` only. It is handed to git through its
/// environment (`GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`), so it is never
/// in a command line, a URL, a clone's config or a message; its `Debug` shows the scope
/// alone.
#[derive(Clone, PartialEq, Eq)]
pub struct GitAuth {
    /// `scheme://host[:port]/`: git sends the header to URLs under it only.
    pub scope: String,
    header: String,
}

impl GitAuth {
    /// The header's `name: value`, for git's `http.<scope>.extraHeader`.
    pub fn header(&self) -> &str {
        &self.header
    }
}

impl std::fmt::Debug for GitAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GitAuth({}, <redacted>)", self.scope)
    }
}

/// (scheme, host without port, `scheme://host[:port]`) of a URL.
fn origin(url: &str) -> Option<(String, String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match hostport.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => hostport.split(':').next()?,
    };
    if host.is_empty() {
        return None;
    }
    let scheme = scheme.to_ascii_lowercase();
    Some((
        scheme.clone(),
        host.to_ascii_lowercase(),
        format!("{scheme}://{}", hostport.to_ascii_lowercase()),
    ))
}

/// How git is to authenticate to `clone_url`, which `query` listed: with the token the
/// listing used, when there is one and the URL is on the forge's own host (the API's host,
/// or the host under `api.`: `api.github.com` serves `github.com`), over https (or over
/// http when the API was named on plain http too). A clone URL anywhere else gets no
/// token: it is cloned with git's own credentials.
pub fn git_auth(query: &ForgeQuery, options: &ForgeOptions, clone_url: &str) -> Option<GitAuth> {
    let token = options.token_for(query)?;
    let (base, user) = match query {
        ForgeQuery::GithubOrg(_) | ForgeQuery::GithubUser(_) => (
            github::api_base(options.base_url.as_deref()).ok()?,
            // What GitHub takes for a token over https, whatever the token's kind.
            "x-access-token",
        ),
        ForgeQuery::GitlabGroup(_) => (
            gitlab::api_base(options.base_url.as_deref()).ok()?,
            // What GitLab takes for a personal, group or OAuth token over https.
            "oauth2",
        ),
    };
    let (api_scheme, api_host, _) = origin(&base)?;
    let (scheme, host, scope) = origin(clone_url)?;
    let secure = scheme == "https" || (scheme == "http" && api_scheme == "http");
    let same_host = host == api_host || api_host.strip_prefix("api.") == Some(host.as_str());
    if !secure || !same_host {
        return None;
    }
    use base64::Engine as _;
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", token.expose()));
    Some(GitAuth {
        scope: format!("{scope}/"),
        header: format!("Authorization: Basic {basic}"),
    })
}

impl Default for ForgeOptions {
    fn default() -> Self {
        ForgeOptions::new()
    }
}

/// One repository a forge listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeRepo {
    /// `owner/name` (GitHub `full_name`), `group/sub/name` (GitLab `path_with_namespace`).
    pub full_name: String,
    /// The https clone URL (GitHub `clone_url`, GitLab `http_url_to_repo`).
    pub clone_url: String,
    pub fork: bool,
    pub archived: bool,
    /// `None` for an empty repository on GitLab.
    pub default_branch: Option<String>,
    /// The repository's size in KiB (GitHub `size`; GitLab's `statistics.repository_size`
    /// when the token may see statistics, else `None`).
    pub size_kb: Option<u64>,
    /// When it last changed: GitHub `pushed_at`, GitLab `last_activity_at` (ISO 8601).
    pub pushed_at: Option<String>,
}

/// Every repository `query` names, in the order the forge lists them, forks and archived
/// ones left out unless `options` keep them. Notes (rate-limit waits, what was left out)
/// go to `note`. An error names the forge, what was listed and why, never the token.
pub fn list_repositories(
    query: &ForgeQuery,
    options: &ForgeOptions,
    note: &mut dyn FnMut(&str),
) -> Result<Vec<ForgeRepo>> {
    let token = options.token_for(query);
    if token.is_none() {
        note(&format!(
            "{query}: listed without a token ({}), so public repositories only",
            query.token_var()
        ));
    }
    let listed = match query {
        ForgeQuery::GithubOrg(name) | ForgeQuery::GithubUser(name) => {
            github::check_name(name)?;
            let base = github::api_base(options.base_url.as_deref())?;
            warn_plain_http(&base, token.as_ref(), query, note);
            github::list(query, name, &base, token.as_ref(), options, note)?
        }
        ForgeQuery::GitlabGroup(group) => {
            gitlab::check_group(group)?;
            let base = gitlab::api_base(options.base_url.as_deref())?;
            warn_plain_http(&base, token.as_ref(), query, note);
            gitlab::list(query, group, &base, token.as_ref(), options, note)?
        }
    };
    Ok(keep(listed, options, query, note))
}

/// The repositories `options` keep, each once, with a note of what was left out.
fn keep(
    listed: Vec<ForgeRepo>,
    options: &ForgeOptions,
    query: &ForgeQuery,
    note: &mut dyn FnMut(&str),
) -> Vec<ForgeRepo> {
    let total = listed.len();
    let mut seen = HashSet::new();
    let (mut forks, mut archived) = (0usize, 0usize);
    let mut kept = Vec::with_capacity(total);
    for repo in listed {
        if !seen.insert(repo.full_name.clone()) {
            continue;
        }
        if repo.fork && !options.include_forks {
            forks += 1;
        } else if repo.archived && !options.include_archived {
            archived += 1;
        } else {
            kept.push(repo);
        }
    }
    if total == 0 {
        note(&format!("{query}: the forge lists no repositories"));
    }
    let mut left_out = Vec::new();
    if forks > 0 {
        left_out.push(format!("{forks} fork{} (--include-forks)", plural(forks)));
    }
    if archived > 0 {
        left_out.push(format!("{archived} archived (--include-archived)"));
    }
    if !left_out.is_empty() {
        note(&format!(
            "{query}: {} of {} repositories kept; left out: {}",
            kept.len(),
            seen.len(),
            left_out.join(", ")
        ));
    }
    kept
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn warn_plain_http(
    base: &str,
    token: Option<&Token>,
    query: &ForgeQuery,
    note: &mut dyn FnMut(&str),
) {
    if token.is_some()
        && base
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
    {
        note(&format!(
            "{query}: sending {} over plain http to {base}",
            query.token_var()
        ));
    }
}

/// What a paginated list holds, and what GitHub's headers said about it.
struct Listing<T> {
    items: Vec<T>,
    /// `X-OAuth-Scopes` of the first page (a classic token's scopes).
    oauth_scopes: Option<String>,
    /// `X-GitHub-SSO` of a page that has one.
    sso: Option<String>,
}

/// Every item of a paginated list, from `first` on: `Link: rel="next"` first, GitLab's
/// `X-Next-Page` else; an empty page ends it too. A link that comes back to a page
/// already read is an error, not a loop.
fn paginate<T: serde::de::DeserializeOwned>(
    client: &http::Client,
    forge: &str,
    first: String,
    subject: &str,
    note: &mut dyn FnMut(&str),
) -> Result<Listing<T>> {
    /// A million repositories at 100 a page.
    const MAX_PAGES: usize = 10_000;
    let mut url = first;
    let mut seen = HashSet::new();
    let mut warned_link = false;
    let mut listing = Listing {
        items: Vec::new(),
        oauth_scopes: None,
        sso: None,
    };
    loop {
        if !seen.insert(url.clone()) {
            bail!("{forge}'s pages for {subject} lead back to {url}; stopped there");
        }
        if seen.len() > MAX_PAGES {
            bail!("{forge} lists more than {MAX_PAGES} pages for {subject}; stopped there");
        }
        let page = client.get(&url, subject, note)?;
        let items: Vec<T> = http::parse_page(forge, &url, &page.body)?;
        let empty = items.is_empty();
        listing.items.extend(items);
        if seen.len() == 1 {
            listing.oauth_scopes = page.oauth_scopes;
        }
        listing.sso = listing.sso.or(page.sso);
        let next_page = page
            .next_page
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .map(|n| http::with_query(&url, "page", &n));
        let next = match (page.link_next, next_page) {
            // A GitLab whose external URL is not the one given (a proxy in front, http
            // behind https) links to the other; its page number, on the URL given, is
            // the same page.
            (Some(link), Some(numbered)) if !client.same_origin(&link) => {
                if !warned_link {
                    warned_link = true;
                    note(&format!(
                        "{forge}'s pages for {subject} link to {link}, not to the URL given; following its X-Next-Page on the URL given instead (is the instance's external URL another?)"
                    ));
                }
                Some(numbered)
            }
            (Some(link), _) => Some(link),
            (None, numbered) => numbered,
        };
        match next {
            Some(next) if !empty => url = next,
            _ => return Ok(listing),
        }
    }
}

/// `s` with every byte but RFC 3986's unreserved ones percent-encoded.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A base URL given by the user: http(s), no trailing slash, no query or credentials.
fn clean_base(forge: &str, given: &str) -> Result<String> {
    let base = given.trim().trim_end_matches('/');
    if http::origin(base).is_none() || base.contains(['?', '#']) {
        bail!(
            "{forge} URL `{given}` is not an http(s) URL of the API (credentials in it are refused too)"
        );
    }
    Ok(base.to_string())
}

#[cfg(test)]
#[path = "../../../tests/integration/forge_stand_in.rs"]
mod stand_in;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod git_auth_tests {
    use super::*;

    fn opts(base: Option<&str>) -> ForgeOptions {
        ForgeOptions {
            base_url: base.map(str::to_string),
            token: TokenSource::Given(Token::new("t0k3n").unwrap()),
            ..ForgeOptions::new()
        }
    }

    #[test]
    fn the_token_goes_to_the_forges_own_host_over_https_only() {
        let org = ForgeQuery::GithubOrg("acme".into());
        let gh = opts(None);
        let a = git_auth(&org, &gh, "https://github.com/acme/api.git").unwrap();
        assert_eq!(a.scope, "https://github.com/");
        // x-access-token:t0k3n
        assert_eq!(
            a.header(),
            "Authorization: Basic eC1hY2Nlc3MtdG9rZW46dDBrM24="
        );
        assert!(!format!("{a:?}").contains("eC1h"));
        assert!(git_auth(&org, &gh, "http://github.com/acme/api.git").is_none());
        assert!(git_auth(&org, &gh, "https://evil.example/acme/api.git").is_none());
        assert!(git_auth(&org, &gh, "ssh://git@github.com/acme/api.git").is_none());
        assert!(git_auth(&org, &gh, "https://github.com.evil.example/x.git").is_none());
        // Enterprise: the API's own host, its port kept in the scope.
        let ghe = opts(Some("https://ghe.example.com:8443"));
        let a = git_auth(&org, &ghe, "https://ghe.example.com:8443/acme/api.git").unwrap();
        assert_eq!(a.scope, "https://ghe.example.com:8443/");
        // GitLab: oauth2 and the token.
        let group = ForgeQuery::GitlabGroup("acme".into());
        let a = git_auth(&group, &opts(None), "https://gitlab.com/acme/api.git").unwrap();
        assert_eq!(a.header(), "Authorization: Basic b2F1dGgyOnQwazNu");
        // No token, no header.
        let anon = ForgeOptions {
            token: TokenSource::Anonymous,
            ..ForgeOptions::new()
        };
        assert!(git_auth(&org, &anon, "https://github.com/acme/api.git").is_none());
    }
}
