//! GitLab's REST API (gitlab.com and self-hosted): a group's projects with its
//! subgroups', as `GET /groups/{id}/projects` documents them.

use anyhow::{Result, bail};
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::http::{Client, Forge, Token};
use super::{ForgeOptions, ForgeQuery, ForgeRepo, clean_base, encode, paginate};

fn private_token(token: &str) -> (&'static str, String) {
    ("PRIVATE-TOKEN", token.to_string())
}

pub(crate) const FORGE: Forge = Forge {
    name: "GitLab",
    token_var: "GITLAB_TOKEN",
    auth: private_token,
    headers: &[("Accept", "application/json")],
};

pub(crate) const DEFAULT_API: &str = "https://gitlab.com/api/v4";

/// The API's URL: gitlab.com's by default; an instance's URL gets `/api/v4` unless it
/// ends with it.
pub(crate) fn api_base(given: Option<&str>) -> Result<String> {
    let Some(given) = given else {
        return Ok(DEFAULT_API.to_string());
    };
    let base = clean_base(FORGE.name, given)?;
    if base.ends_with("/api/v4") {
        Ok(base)
    } else {
        Ok(format!("{base}/api/v4"))
    }
}

/// A group's numeric id or its full path (`parent/child`), each segment of letters,
/// digits, `-`, `_`, `.`.
pub(crate) fn check_group(group: &str) -> Result<()> {
    let ok = !group.is_empty()
        && group.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        });
    if !ok {
        bail!("`{group}` is not a GitLab group path (parent/child) or id");
    }
    Ok(())
}

/// A project as the API lists it (the fields used; the rest are ignored).
#[derive(Deserialize)]
struct Project {
    path_with_namespace: String,
    http_url_to_repo: String,
    #[serde(default)]
    archived: bool,
    default_branch: Option<String>,
    last_activity_at: Option<String>,
    /// Present only for a fork (and only when its source is visible to the token, so a
    /// fork of a project the token cannot see reads as no fork).
    forked_from_project: Option<IgnoredAny>,
    statistics: Option<Statistics>,
}

#[derive(Deserialize)]
struct Statistics {
    repository_size: Option<u64>,
}

pub(crate) fn list(
    query: &ForgeQuery,
    group: &str,
    base: &str,
    token: Option<&Token>,
    options: &ForgeOptions,
    note: &mut dyn FnMut(&str),
) -> Result<Vec<ForgeRepo>> {
    let client = Client::new(&FORGE, base, token, options.limits)?;
    // Errors name the forge already; notes name it through the query.
    let subject = query.what();
    let mut first = format!(
        "{base}/groups/{}/projects?include_subgroups=true&with_shared=false&per_page=100&order_by=id&sort=asc",
        encode(group)
    );
    if !options.include_archived {
        first.push_str("&archived=false");
    }
    let listing = paginate::<Project>(&client, FORGE.name, first, &subject, note)?;
    Ok(listing
        .items
        .into_iter()
        .map(|p| ForgeRepo {
            full_name: p.path_with_namespace,
            clone_url: p.http_url_to_repo,
            fork: p.forked_from_project.is_some(),
            archived: p.archived,
            default_branch: p.default_branch,
            size_kb: p
                .statistics
                .and_then(|s| s.repository_size)
                .map(|b| b.div_ceil(1024)),
            pushed_at: p.last_activity_at,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(api_base(None).unwrap(), "https://gitlab.com/api/v4");
        assert_eq!(
            api_base(Some("https://git.example.org/")).unwrap(),
            "https://git.example.org/api/v4"
        );
        assert_eq!(
            api_base(Some("https://example.org/gitlab/api/v4")).unwrap(),
            "https://example.org/gitlab/api/v4"
        );
        assert!(api_base(Some("git.example.org")).is_err());
    }

    #[test]
    fn groups_are_paths_or_ids() {
        for ok in ["acme", "acme/platform/infra", "1234", "my.group_x-y"] {
            check_group(ok).unwrap();
        }
        for bad in [
            "",
            "/acme",
            "acme/",
            "acme//x",
            "acme/../x",
            "a b",
            "acme?x",
        ] {
            assert!(check_group(bad).is_err(), "{bad}");
        }
        assert_eq!(encode("acme/platform"), "acme%2Fplatform");
    }
}
