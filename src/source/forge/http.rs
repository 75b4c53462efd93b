//! The one HTTP client the forge sources share: GET a page of JSON from a forge's API,
//! with its token in the forge's header, following that API's redirects and rate limits,
//! and turning every other answer into an error that names what was asked and never the
//! token. Requests go to the API's origin (scheme, host, port) alone: a `Link` or a
//! redirect that points elsewhere is refused, so the token is never sent anywhere else.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};

/// A forge token. Its `Debug` shows nothing of it; only the client reads it, to put it in
/// a header, and every error the client builds has it blanked out.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// A token, or `None` for an empty one (an empty `GITHUB_TOKEN` means none).
    pub fn new(value: impl Into<String>) -> Option<Token> {
        let value = value.into();
        let trimmed = value.trim();
        if trimmed.is_empty() {
            None
        } else {
            Some(Token(trimmed.to_string()))
        }
    }

    pub(super) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// How long and how often the client waits for a forge before it gives up.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The longest one wait for a rate limit may be; a limit that resets later is an
    /// error that says when to try again.
    pub max_wait: Duration,
    /// How many times one request is retried after a rate limit or a server error.
    pub max_retries: u32,
    /// The whole of one request, connection to last byte.
    pub timeout: Duration,
    /// Whether the run was asked to stop (Ctrl-C: `interrupt::requested`), checked
    /// before each request and through every wait, so that an hour's wait ends at once.
    pub stop: fn() -> bool,
}

/// What a forge is, for the client: its name in messages, the variable its token comes
/// from, the header that carries the token, and the headers every request has.
pub(crate) struct Forge {
    pub name: &'static str,
    pub token_var: &'static str,
    pub auth: fn(&str) -> (&'static str, String),
    pub headers: &'static [(&'static str, &'static str)],
}

/// One page of an answer: its body, and where the next page is (if the API says).
pub(crate) struct Page {
    pub body: String,
    /// `Link: <…>; rel="next"`.
    pub link_next: Option<String>,
    /// GitLab's `X-Next-Page` (empty on the last page).
    pub next_page: Option<String>,
    /// GitHub's `X-OAuth-Scopes`: a classic token's scopes.
    pub oauth_scopes: Option<String>,
    /// GitHub's `X-GitHub-SSO` (`partial-results; organizations=…` when organisations
    /// that enforce SAML single sign-on were left out).
    pub sso: Option<String>,
}

/// The bytes one page may have (a page of 100 GitHub repositories is about 600 KiB).
const MAX_PAGE: u64 = 64 << 20;
/// The bytes of an error body read for its message.
const MAX_ERROR_BODY: u64 = 64 << 10;
/// Redirects followed for one request (GitHub answers 301 for a renamed organisation).
const MAX_REDIRECTS: u32 = 5;
/// How long to wait on a secondary limit that names no time (GitHub: "at least one minute").
const DEFAULT_LIMIT_WAIT: Duration = Duration::from_secs(60);

pub(crate) struct Client<'a> {
    agent: ureq::Agent,
    forge: &'a Forge,
    /// `scheme://host[:port]` of the API, lower-cased: the only place requests go.
    origin: String,
    token: Option<&'a Token>,
    limits: Limits,
}

impl<'a> Client<'a> {
    pub fn new(
        forge: &'a Forge,
        base: &str,
        token: Option<&'a Token>,
        limits: Limits,
    ) -> Result<Self> {
        let origin = origin(base)
            .ok_or_else(|| anyhow!("{} URL `{base}` is not an http(s) URL", forge.name))?;
        let config = ureq::Agent::config_builder()
            // Every status comes back as a response, for its headers and message.
            .http_status_as_error(false)
            // Redirects are followed here, and only within the API's origin.
            .max_redirects(0)
            // No request but to the URL the user gave: no proxy picked up from the
            // environment either.
            .proxy(None)
            .user_agent(concat!("keysweep/", env!("CARGO_PKG_VERSION")))
            .timeout_global(Some(limits.timeout))
            .build();
        Ok(Client {
            agent: config.into(),
            forge,
            origin,
            token,
            limits,
        })
    }

    /// The page at `url`, waiting out rate limits; `subject` names what is listed
    /// ("organisation `acme`") in errors, after the forge's name.
    pub fn get(&self, url: &str, subject: &str, note: &mut dyn FnMut(&str)) -> Result<Page> {
        let mut url = url.to_string();
        let mut retries = 0u32;
        let mut redirects = 0u32;
        loop {
            if (self.limits.stop)() {
                bail!("listing {subject} on {} interrupted", self.forge.name);
            }
            self.check_origin(&url)?;
            let mut request = self.agent.get(&url);
            for (name, value) in self.forge.headers {
                request = request.header(*name, *value);
            }
            if let Some(token) = self.token {
                let (name, value) = (self.forge.auth)(token.expose());
                request = request.header(name, value);
            }
            let mut response = request.call().map_err(|e| {
                anyhow!(
                    "could not reach {} at {url} (listing {subject}): {}",
                    self.forge.name,
                    self.redact(&e.to_string())
                )
            })?;
            let status = response.status().as_u16();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.trim().to_string())
            };
            match status {
                200..=299 => {
                    let link_next = header("link")
                        .and_then(|l| link_next(&l))
                        .map(|l| self.resolve(&l));
                    let next_page = header("x-next-page");
                    let oauth_scopes = header("x-oauth-scopes");
                    let sso = header("x-github-sso");
                    let body = response
                        .body_mut()
                        .with_config()
                        .limit(MAX_PAGE)
                        .read_to_string()
                        .map_err(|e| {
                            anyhow!(
                                "{} answered {url} but its body could not be read: {}",
                                self.forge.name,
                                self.redact(&e.to_string())
                            )
                        })?;
                    return Ok(Page {
                        body,
                        link_next,
                        next_page,
                        oauth_scopes,
                        sso,
                    });
                }
                301 | 302 | 303 | 307 | 308 => {
                    let location = header("location").ok_or_else(|| {
                        anyhow!(
                            "{} answered {status} without a Location for {url}",
                            self.forge.name
                        )
                    })?;
                    redirects += 1;
                    if redirects > MAX_REDIRECTS {
                        bail!(
                            "{} redirected {url} more than {MAX_REDIRECTS} times",
                            self.forge.name
                        );
                    }
                    let next = self.resolve(&location);
                    note(&format!("{} redirected {url} to {next}", self.forge.name));
                    url = next;
                    continue;
                }
                _ => {}
            }
            let limit = RateLimit::read(status, &header);
            let sso = header("x-github-sso");
            let body = response
                .body_mut()
                .with_config()
                .limit(MAX_ERROR_BODY)
                .lossy_utf8(true)
                .read_to_string()
                .unwrap_or_default();
            let message = self.redact(&server_message(&body));
            if let Some(wait) = limit.wait(status, &message, now(), retries) {
                retries += 1;
                let kind = if limit.remaining == Some(0) && limit.retry_after.is_none() {
                    "rate limit"
                } else {
                    "secondary rate limit"
                };
                if retries > self.limits.max_retries {
                    bail!(
                        "{} still answers {status} ({kind}) listing {subject} after {} retr{}; try again later",
                        self.forge.name,
                        self.limits.max_retries,
                        if self.limits.max_retries == 1 {
                            "y"
                        } else {
                            "ies"
                        }
                    );
                }
                if wait > self.limits.max_wait {
                    bail!(
                        "{}'s {kind} for listing {subject} lifts in {}, longer than the longest wait allowed ({}); try again after {}",
                        self.forge.name,
                        human(wait),
                        human(self.limits.max_wait),
                        clock(now() + wait.as_secs())
                    );
                }
                note(&format!(
                    "{} {kind} reached listing {subject}: waiting {} (until {}), retry {} of {}",
                    self.forge.name,
                    human(wait),
                    clock(now() + wait.as_secs()),
                    retries,
                    self.limits.max_retries
                ));
                self.pause(wait, subject)?;
                continue;
            }
            if matches!(status, 500 | 502 | 503 | 504) && retries < self.limits.max_retries {
                retries += 1;
                let wait = Duration::from_secs(1 << (retries - 1).min(5));
                note(&format!(
                    "{} answered {status} listing {subject}: retrying in {} ({} of {})",
                    self.forge.name,
                    human(wait),
                    retries,
                    self.limits.max_retries
                ));
                self.pause(wait, subject)?;
                continue;
            }
            let mut err = self.status_error(status, &message, subject, &url);
            if let Some(sso) = sso.as_deref().and_then(sso_url) {
                err = anyhow!(
                    "{err}; the organisation enforces SAML single sign-on: authorize the token for it at {sso} (the link lasts an hour)"
                );
            }
            return Err(err);
        }
    }

    /// Sleeps `wait`, or less if the run is asked to stop (then an error).
    fn pause(&self, wait: Duration, subject: &str) -> Result<()> {
        let until = Instant::now() + wait;
        loop {
            if (self.limits.stop)() {
                bail!(
                    "listing {subject} on {} interrupted while waiting for its rate limit",
                    self.forge.name
                );
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            std::thread::sleep(left.min(Duration::from_millis(100)));
        }
    }

    fn status_error(&self, status: u16, message: &str, subject: &str, url: &str) -> anyhow::Error {
        let forge = self.forge.name;
        let var = self.forge.token_var;
        let said = if message.is_empty() {
            String::new()
        } else {
            format!(": {message}")
        };
        match (status, self.token.is_some()) {
            (401, true) => anyhow!(
                "{forge} refused the token in {var} listing {subject} ({status}{said}); check that it is valid and not expired"
            ),
            (401, false) => {
                anyhow!("{forge} needs a token to list {subject} ({status}{said}); set {var}")
            }
            (403, _) => anyhow!(
                "{forge} denied access to {subject} ({status}{said}); the token in {var} may lack the scope or the organisation's approval"
            ),
            (404, true) => anyhow!(
                "{forge} has no {subject} ({status}{said}), or the token in {var} cannot see it"
            ),
            (404, false) => anyhow!(
                "{forge} has no {subject} ({status}{said}), or it is private: set {var} to a token that can see it"
            ),
            _ => anyhow!("{forge} answered {status}{said} listing {subject} ({url})"),
        }
    }

    /// Whether `url` is on the API's origin.
    pub fn same_origin(&self, url: &str) -> bool {
        origin(url).is_some_and(|o| o == self.origin)
    }

    /// An error naming `url` unless it is on the API's origin.
    fn check_origin(&self, url: &str) -> Result<()> {
        if !self.same_origin(url) {
            bail!(
                "{} pointed to {url}, outside its API at {}; not followed, so that the token goes nowhere else",
                self.forge.name,
                self.origin
            );
        }
        Ok(())
    }

    /// An absolute URL for a `Location`, which may be a path on the same origin.
    fn resolve(&self, location: &str) -> String {
        if location.starts_with('/') && !location.starts_with("//") {
            format!("{}{location}", self.origin)
        } else {
            location.to_string()
        }
    }

    /// `text` with the token blanked out, should a server or a library have echoed it.
    fn redact(&self, text: &str) -> String {
        match self.token {
            Some(t) => text.replace(t.expose(), "<token>"),
            None => text.to_string(),
        }
    }
}

/// The rate-limit headers of an answer, GitHub's (`X-RateLimit-*`) or GitLab's
/// (`RateLimit-*`), and `Retry-After`.
#[derive(Debug, Default)]
pub(crate) struct RateLimit {
    pub retry_after: Option<u64>,
    pub remaining: Option<u64>,
    pub reset: Option<u64>,
}

impl RateLimit {
    pub fn read(status: u16, header: &dyn Fn(&str) -> Option<String>) -> RateLimit {
        if !matches!(status, 403 | 429) {
            return RateLimit::default();
        }
        let number = |names: &[&str]| names.iter().find_map(|n| header(n)?.parse::<u64>().ok());
        RateLimit {
            retry_after: number(&["retry-after"]),
            remaining: number(&["x-ratelimit-remaining", "ratelimit-remaining"]),
            reset: number(&["x-ratelimit-reset", "ratelimit-reset"]),
        }
    }

    /// How long to wait before asking again, or `None` if the answer is no rate limit.
    /// As GitHub documents it: `Retry-After` seconds if given; else, with no requests
    /// remaining, until the reset time (epoch seconds) and one second more for the
    /// clocks' difference; else, for a 429 or a 403 whose message says it is a rate
    /// limit, a minute, doubled for each retry already made (`retries`).
    pub fn wait(&self, status: u16, message: &str, now: u64, retries: u32) -> Option<Duration> {
        if !matches!(status, 403 | 429) {
            return None;
        }
        if let Some(secs) = self.retry_after {
            return Some(Duration::from_secs(secs.max(1)));
        }
        if self.remaining == Some(0) {
            let reset = self.reset?;
            return Some(Duration::from_secs(reset.saturating_sub(now) + 1));
        }
        if status == 429 || message.to_ascii_lowercase().contains("rate limit") {
            return Some(DEFAULT_LIMIT_WAIT * (1 << retries.min(6)));
        }
        None
    }
}

/// The `rel="next"` target of a `Link` header (RFC 8288): `<url>; rel="next", <url>;
/// rel="last"`. A comma inside `<…>` belongs to the URL; `rel` may list several
/// relation types and may be unquoted.
pub(crate) fn link_next(header: &str) -> Option<String> {
    let mut rest = header;
    loop {
        let start = rest.find('<')?;
        let end = start + rest[start..].find('>')?;
        let target = &rest[start + 1..end];
        let after = &rest[end + 1..];
        // The parameters run to the next link (a comma, then `<`).
        let params_end = after
            .char_indices()
            .find(|&(i, c)| c == ',' && after[i + 1..].trim_start().starts_with('<'))
            .map_or(after.len(), |(i, _)| i);
        let params = &after[..params_end];
        for param in params.split(';') {
            let Some((name, value)) = param.split_once('=') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
            {
                return Some(target.trim().to_string());
            }
        }
        rest = &after[params_end..];
    }
}

/// The authorization URL of a `X-GitHub-SSO: required; url=…` header.
fn sso_url(header: &str) -> Option<&str> {
    let mut parts = header.split(';').map(str::trim);
    if parts.next()? != "required" {
        return None;
    }
    parts.find_map(|p| p.strip_prefix("url="))
}

/// `scheme://host[:port]` of an http(s) URL, lower-cased, with the default port dropped;
/// `None` for anything else.
pub(crate) fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let mut authority = authority.to_ascii_lowercase();
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    if authority.ends_with(default_port) {
        authority.truncate(authority.len() - default_port.len());
    }
    Some(format!("{scheme}://{authority}"))
}

/// `url` with its `name` query parameter set to `value` (for GitLab's `X-Next-Page`).
pub(crate) fn with_query(url: &str, name: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some(name))
        .map(str::to_string)
        .collect();
    pairs.push(format!("{name}={value}"));
    format!("{base}?{}", pairs.join("&"))
}

/// The `message` (or `error`) a forge's JSON error body carries, printable and short;
/// nothing for a body that is not JSON (an HTML error page says nothing useful).
fn server_message(body: &str) -> String {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(body) else {
        return String::new();
    };
    let text = match value.get("message").or_else(|| value.get("error")) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => return String::new(),
    };
    let mut clean: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
    if text.chars().count() > 200 {
        clean.push('…');
    }
    clean
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `75 s` → `1 min 15 s`.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

/// Epoch seconds as a UTC time of day, `HH:MM:SS UTC`.
fn clock(epoch: u64) -> String {
    let day = epoch % 86_400;
    format!(
        "{:02}:{:02}:{:02} UTC",
        day / 3600,
        day % 3600 / 60,
        day % 60
    )
}

/// A page's body as the list of `T` the API documents, or an error naming the URL.
pub(crate) fn parse_page<T: serde::de::DeserializeOwned>(
    forge: &str,
    url: &str,
    body: &str,
) -> Result<Vec<T>> {
    serde_json::from_str(body).with_context(|| {
        format!("{forge}'s answer to {url} is not the documented list of repositories")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_next_in_githubs_form() {
        let h = r#"<https://api.github.com/organizations/9919/repos?per_page=100&type=all&page=2>; rel="next", <https://api.github.com/organizations/9919/repos?per_page=100&type=all&page=4>; rel="last""#;
        assert_eq!(
            link_next(h).as_deref(),
            Some("https://api.github.com/organizations/9919/repos?per_page=100&type=all&page=2")
        );
    }

    #[test]
    fn link_next_anywhere_in_the_list() {
        let h = r#"<https://gitlab.example/api/v4/groups/7/projects?page=1>; rel="first", <https://gitlab.example/api/v4/groups/7/projects?page=3>; rel="next", <https://gitlab.example/api/v4/groups/7/projects?page=9>; rel="last""#;
        assert_eq!(
            link_next(h).as_deref(),
            Some("https://gitlab.example/api/v4/groups/7/projects?page=3")
        );
    }

    #[test]
    fn link_next_absent_on_the_last_page() {
        let h = r#"<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first""#;
        assert_eq!(link_next(h), None);
        assert_eq!(link_next(""), None);
        assert_eq!(link_next("garbage; rel=next"), None);
    }

    #[test]
    fn link_next_with_a_comma_in_the_url_unquoted_and_several_rels() {
        let h = "<https://h/x?a=1,2&page=2>; rel=next";
        assert_eq!(link_next(h).as_deref(), Some("https://h/x?a=1,2&page=2"));
        let h = r#"<https://h/p1>; rel="prev", <https://h/p3>; title="x"; REL="last next""#;
        assert_eq!(link_next(h).as_deref(), Some("https://h/p3"));
    }

    #[test]
    fn sso_urls() {
        assert_eq!(
            sso_url("required; url=https://github.com/orgs/acme/sso?authorization_request=AZ1"),
            Some("https://github.com/orgs/acme/sso?authorization_request=AZ1")
        );
        assert_eq!(
            sso_url("partial-results; organizations=21955855,20582480"),
            None
        );
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert_eq!(
            origin("https://API.github.com/orgs/x").as_deref(),
            Some("https://api.github.com")
        );
        assert_eq!(
            origin("https://api.github.com:443/x"),
            origin("https://api.github.com/y")
        );
        assert_eq!(
            origin("http://127.0.0.1:8080?x").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_ne!(
            origin("http://127.0.0.1:8080/"),
            origin("http://127.0.0.1:8081/")
        );
        assert_ne!(origin("http://h/"), origin("https://h/"));
        assert_eq!(origin("ftp://h/"), None);
        assert_eq!(origin("https://user@evil/"), None);
        assert_eq!(origin("/relative"), None);
    }

    #[test]
    fn next_page_sets_the_page_parameter_once() {
        assert_eq!(
            with_query(
                "https://h/api/v4/groups/a%2Fb/projects?per_page=100&page=1",
                "page",
                "2"
            ),
            "https://h/api/v4/groups/a%2Fb/projects?per_page=100&page=2"
        );
        assert_eq!(with_query("https://h/p", "page", "2"), "https://h/p?page=2");
    }

    fn limit(status: u16, headers: &[(&str, &str)]) -> RateLimit {
        let lookup = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.to_string())
        };
        RateLimit::read(status, &lookup)
    }

    #[test]
    fn primary_limit_waits_until_the_reset_and_a_second() {
        let l = limit(
            403,
            &[
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", "1000042"),
            ],
        );
        assert_eq!(
            l.wait(403, "API rate limit exceeded", 1_000_000, 0),
            Some(Duration::from_secs(43))
        );
        // A reset already past: one second.
        assert_eq!(l.wait(403, "", 2_000_000, 0), Some(Duration::from_secs(1)));
        // GitLab's names.
        let l = limit(
            429,
            &[("RateLimit-Remaining", "0"), ("RateLimit-Reset", "1000010")],
        );
        assert_eq!(l.wait(429, "", 1_000_000, 0), Some(Duration::from_secs(11)));
    }

    #[test]
    fn retry_after_comes_first() {
        let l = limit(
            403,
            &[
                ("Retry-After", "7"),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", "1000999"),
            ],
        );
        assert_eq!(l.wait(403, "", 1_000_000, 0), Some(Duration::from_secs(7)));
    }

    #[test]
    fn secondary_limit_without_a_time_waits_a_minute() {
        let l = limit(403, &[("X-RateLimit-Remaining", "4000")]);
        let msg = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.";
        assert_eq!(l.wait(403, msg, 0, 0), Some(Duration::from_secs(60)));
        assert_eq!(
            limit(429, &[]).wait(429, "", 0, 0),
            Some(Duration::from_secs(60))
        );
        // Doubled for each retry, as GitHub asks of a client that keeps hitting it.
        assert_eq!(
            limit(429, &[]).wait(429, "", 0, 2),
            Some(Duration::from_secs(240))
        );
    }

    #[test]
    fn a_plain_403_or_401_is_no_rate_limit() {
        let l = limit(
            403,
            &[
                ("X-RateLimit-Remaining", "4999"),
                ("X-RateLimit-Reset", "1000042"),
            ],
        );
        assert_eq!(
            l.wait(403, "Resource not accessible by integration", 1_000_000, 0),
            None
        );
        let l = limit(401, &[("Retry-After", "5")]);
        assert_eq!(l.wait(401, "Bad credentials", 0, 0), None);
    }

    #[test]
    fn server_messages_are_short_and_printable() {
        assert_eq!(
            server_message(r#"{"message":"Bad credentials","documentation_url":"x"}"#),
            "Bad credentials"
        );
        assert_eq!(
            server_message(r#"{"error":"invalid_token"}"#),
            "invalid_token"
        );
        assert_eq!(server_message("<html>oops</html>"), "");
        let long = format!(r#"{{"message":"{}\u0007"}}"#, "a".repeat(300));
        let m = server_message(&long);
        assert_eq!(m.chars().count(), 201);
        assert!(!m.contains('\u{7}'));
    }

    #[test]
    fn tokens_never_show_in_debug() {
        let t = Token::new("ghp_abcdefghijklmnopqrstuvwxyz0123456789").unwrap();
        assert!(!format!("{t:?}").contains("ghp_"));
        assert!(Token::new("  ").is_none());
    }

    #[test]
    fn times_read_well() {
        assert_eq!(human(Duration::from_secs(75)), "1 min 15 s");
        assert_eq!(human(Duration::from_secs(3)), "3 s");
        assert_eq!(human(Duration::from_secs(3725)), "1 h 2 min");
        assert_eq!(clock(86_400 * 3 + 3600 + 62), "01:01:02 UTC");
    }
}
