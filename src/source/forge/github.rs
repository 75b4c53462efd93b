//! GitHub's REST API (github.com and GitHub Enterprise Server): an organisation's or a
//! user's repositories, as `GET /orgs/{org}/repos` and `GET /users/{user}/repos` (or
//! `GET /user/repos` when the token is that user's own) document them.

use anyhow::{Result, bail};
use serde::Deserialize;

use super::http::{Client, Forge, Token};
use super::{ForgeOptions, ForgeQuery, ForgeRepo, clean_base, paginate};

fn bearer(token: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {token}"))
}

pub(crate) const FORGE: Forge = Forge {
    name: "GitHub",
    token_var: "GITHUB_TOKEN",
    auth: bearer,
    headers: &[
        ("Accept", "application/vnd.github+json"),
        ("X-GitHub-Api-Version", "2022-11-28"),
    ],
};

pub(crate) const DEFAULT_API: &str = "https://api.github.com";

/// The API's URL: github.com's by default; `https://github.com` means it too; a URL with
/// no path is a GitHub Enterprise Server's host and gets `/api/v3`.
pub(crate) fn api_base(given: Option<&str>) -> Result<String> {
    let Some(given) = given else {
        return Ok(DEFAULT_API.to_string());
    };
    let base = clean_base(FORGE.name, given)?;
    let path = base
        .split_once("://")
        .map_or("", |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
    if path.is_empty() {
        let host = base
            .split_once("://")
            .map_or("", |(_, h)| h)
            .to_ascii_lowercase();
        if host == "github.com" || host == "www.github.com" {
            return Ok(DEFAULT_API.to_string());
        }
        if host != "api.github.com" {
            return Ok(format!("{base}/api/v3"));
        }
    }
    Ok(base)
}

/// A login as GitHub allows them (letters, digits, `-`; `_` and `.` on Enterprise
/// Server), so that it is one path segment.
pub(crate) fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !ok {
        bail!("`{name}` is not a GitHub organisation or user name");
    }
    Ok(())
}

/// A repository as the API lists it (the fields used; the rest are ignored).
#[derive(Deserialize)]
struct Repo {
    full_name: String,
    clone_url: String,
    #[serde(default)]
    fork: bool,
    #[serde(default)]
    archived: bool,
    default_branch: Option<String>,
    size: Option<u64>,
    pushed_at: Option<String>,
}

#[derive(Deserialize)]
struct User {
    login: String,
}

pub(crate) fn list(
    query: &ForgeQuery,
    name: &str,
    base: &str,
    token: Option<&Token>,
    options: &ForgeOptions,
    note: &mut dyn FnMut(&str),
) -> Result<Vec<ForgeRepo>> {
    let client = Client::new(&FORGE, base, token, options.limits)?;
    // Errors name the forge already; notes name it through the query.
    let subject = query.what();
    let first = match query {
        ForgeQuery::GithubOrg(_) => format!("{base}/orgs/{name}/repos?per_page=100&type=all"),
        _ if token.is_some() && is_token_owner(&client, base, name, &subject, note) => {
            note(&format!(
                "{query}: the token is theirs, so their private repositories are listed too"
            ));
            format!("{base}/user/repos?per_page=100&affiliation=owner")
        }
        _ => format!("{base}/users/{name}/repos?per_page=100&type=owner"),
    };
    let listing = paginate::<Repo>(&client, FORGE.name, first, &subject, note)?;
    if let Some(scopes) = &listing.oauth_scopes {
        let has_repo = scopes.split(',').any(|s| s.trim() == "repo");
        if !has_repo {
            let scopes = if scopes.is_empty() { "none" } else { scopes };
            note(&format!(
                "{query}: the token in {} has no `repo` scope (it has: {scopes}), so private repositories are not listed",
                FORGE.token_var
            ));
        }
    }
    if let Some(sso) = listing
        .sso
        .as_deref()
        .filter(|s| s.starts_with("partial-results"))
    {
        note(&format!(
            "{query}: GitHub left out what belongs to organisations that enforce SAML single sign-on the token is not authorized for ({sso}); authorize it for them to list those"
        ));
    }
    Ok(listing
        .items
        .into_iter()
        .map(|r| ForgeRepo {
            full_name: r.full_name,
            clone_url: r.clone_url,
            fork: r.fork,
            archived: r.archived,
            default_branch: r.default_branch,
            size_kb: r.size,
            pushed_at: r.pushed_at,
        })
        .collect())
}

/// Whether `GET /user` says the token belongs to `name`. Any failure (an app's token
/// has no user) says no, and the public listing is used.
fn is_token_owner(
    client: &Client,
    base: &str,
    name: &str,
    subject: &str,
    note: &mut dyn FnMut(&str),
) -> bool {
    client
        .get(&format!("{base}/user"), subject, note)
        .ok()
        .and_then(|page| serde_json::from_str::<User>(&page.body).ok())
        .is_some_and(|u| u.login.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(api_base(None).unwrap(), "https://api.github.com");
        assert_eq!(
            api_base(Some("https://github.com/")).unwrap(),
            "https://api.github.com"
        );
        assert_eq!(
            api_base(Some("https://api.github.com")).unwrap(),
            "https://api.github.com"
        );
        assert_eq!(
            api_base(Some("https://ghe.example.com")).unwrap(),
            "https://ghe.example.com/api/v3"
        );
        assert_eq!(
            api_base(Some("https://ghe.example.com/api/v3/")).unwrap(),
            "https://ghe.example.com/api/v3"
        );
        assert_eq!(
            api_base(Some("http://127.0.0.1:8080/")).unwrap(),
            "http://127.0.0.1:8080/api/v3"
        );
        assert_eq!(
            api_base(Some("http://127.0.0.1:8080/gh")).unwrap(),
            "http://127.0.0.1:8080/gh"
        );
        assert!(api_base(Some("ghe.example.com")).is_err());
        assert!(api_base(Some("https://user:pw@ghe.example.com")).is_err());
        assert!(api_base(Some("https://ghe.example.com/api/v3?x=1")).is_err());
    }

    #[test]
    fn names_are_one_path_segment() {
        for ok in ["acme", "Acme-Corp", "a", "ghe_user.name"] {
            check_name(ok).unwrap();
        }
        for bad in ["", "acme/../x", "a b", "acme?x=1", ".hidden", "é"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
