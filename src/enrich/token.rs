//! Provider tokens: what a token is, read from its own bytes (its prefix names the
//! provider and the kind, its checksum, where it has one, is recomputed), and how the
//! provider revokes it. Never asks the provider anything.

use crate::finding::{Severity, TokenFacts};
use crate::rules::Validator;
use crate::scan::token;

/// One kind of token: its prefix, provider, kind, and the revocation step.
struct Kind {
    /// The prefix, written with a NUL after it ([`Kind::prefix`] leaves it out): string
    /// literals sit back to back in the binary, and a bare `sk_live_` there ran on into
    /// the next literals (`sk_live_TooLargeoriginalSlimAVX2`), a token to a scan of a
    /// folder where keysweep is installed.
    prefix_nul: &'static str,
    provider: &'static str,
    kind: &'static str,
    mode: Option<&'static str>,
    revoke: &'static str,
}

impl Kind {
    fn prefix(&self) -> &'static str {
        self.prefix_nul.trim_end_matches('\0')
    }
}

const KINDS: &[Kind] = &[
    Kind {
        prefix_nul: "ghp_\0",
        provider: "github",
        kind: "personal access token (classic)",
        mode: None,
        revoke: "delete it now (its owner: github.com → Settings → Developer settings → Personal access tokens; an organisation owner can revoke its access under the organisation's Personal access tokens), then read the audit log for its use",
    },
    Kind {
        prefix_nul: "github_pat_\0",
        provider: "github",
        kind: "fine-grained personal access token",
        mode: None,
        revoke: "delete it now (its owner: github.com → Settings → Developer settings → Personal access tokens → Fine-grained tokens; an organisation owner can revoke it under the organisation's Personal access tokens), then read the audit log for its use",
    },
    Kind {
        prefix_nul: "gho_\0",
        provider: "github",
        kind: "OAuth access token",
        mode: None,
        revoke: "revoke it: the user removes the OAuth app under Settings → Applications → Authorized OAuth Apps, or the app's owner revokes its tokens (Developer settings → OAuth Apps → Revoke all user tokens)",
    },
    Kind {
        prefix_nul: "ghu_\0",
        provider: "github",
        kind: "GitHub App user access token",
        mode: None,
        revoke: "revoke it: the user revokes the GitHub App under Settings → Applications → Authorized GitHub Apps; it expires within 8 hours, but its refresh token (ghr_) may sit beside it",
    },
    Kind {
        prefix_nul: "ghr_\0",
        provider: "github",
        kind: "GitHub App refresh token",
        mode: None,
        revoke: "revoke it: the user revokes the GitHub App under Settings → Applications → Authorized GitHub Apps; a refresh token mints new user tokens for six months",
    },
    Kind {
        prefix_nul: "ghs_\0",
        provider: "github",
        kind: "GitHub App installation access token",
        mode: None,
        revoke: "it expires within an hour; revoke it now (gh api -X DELETE /installation/token, authenticated with it), and if the app's private key leaked with it, generate a new one and delete the old",
    },
    Kind {
        prefix_nul: "npm_\0",
        provider: "npm",
        kind: "access token",
        mode: None,
        revoke: "revoke it: npm token list, then npm token revoke <id> (or npmjs.com → Access Tokens); check the packages it could publish for versions nobody released",
    },
    Kind {
        prefix_nul: "glpat-\0",
        provider: "gitlab",
        kind: "personal, project or group access token",
        mode: None,
        revoke: "revoke it: User settings → Access tokens (or the project's or group's Access tokens), or with the token itself: curl --request DELETE --header \"PRIVATE-TOKEN: <token>\" https://<gitlab>/api/v4/personal_access_tokens/self",
    },
    Kind {
        prefix_nul: "dckr_pat_\0",
        provider: "docker-hub",
        kind: "personal access token",
        mode: None,
        revoke: "delete it: hub.docker.com → Account settings → Personal access tokens; check the repositories it could push to for images nobody pushed",
    },
    Kind {
        prefix_nul: "sk_live_\0",
        provider: "stripe",
        kind: "secret key",
        mode: Some("live"),
        revoke: "roll it now: Stripe Dashboard → Developers → API keys → Roll key; then read Developers → Logs for requests nobody made",
    },
    Kind {
        prefix_nul: "rk_live_\0",
        provider: "stripe",
        kind: "restricted key",
        mode: Some("live"),
        revoke: "roll it now: Stripe Dashboard → Developers → API keys → Restricted keys → Roll key; then read Developers → Logs for requests nobody made",
    },
    Kind {
        prefix_nul: "AIza\0",
        provider: "google",
        kind: "API key",
        mode: None,
        revoke: "restrict or delete it: Google Cloud console → APIs & Services → Credentials (or gcloud services api-keys list, then gcloud services api-keys delete <key id>), make a new key restricted to the APIs and apps that need it, and read the project's API metrics and billing for use nobody made",
    },
    Kind {
        prefix_nul: "xoxb-\0",
        provider: "slack",
        kind: "bot token",
        mode: None,
        revoke: "revoke it: api.slack.com/apps → the app → OAuth & Permissions → Revoke Tokens (or call auth.revoke with the token), reinstall the app for a new one, and read the workspace's access logs for the bot's use",
    },
    Kind {
        prefix_nul: "sk-ant-api03-\0",
        provider: "anthropic",
        kind: "API key",
        mode: None,
        revoke: "delete it: console.anthropic.com → Settings → API keys, then read Usage for requests nobody made",
    },
    Kind {
        prefix_nul: "sk-ant-admin01-\0",
        provider: "anthropic",
        kind: "Admin API key",
        mode: None,
        revoke: "delete it now: console.anthropic.com → Settings → Admin keys (an organisation admin), then check the organisation's members, workspaces and API keys for changes nobody made",
    },
    Kind {
        prefix_nul: "sk-proj-\0",
        provider: "openai",
        kind: "project API key",
        mode: None,
        revoke: "revoke it: platform.openai.com → the project → API keys (Settings → Project → API keys), then read Usage for requests nobody made",
    },
    Kind {
        prefix_nul: "sk-svcacct-\0",
        provider: "openai",
        kind: "service account key",
        mode: None,
        revoke: "revoke it: platform.openai.com → the project → Settings → Service accounts (or API keys), delete the key, then read Usage for requests nobody made",
    },
    Kind {
        prefix_nul: "sk-admin-\0",
        provider: "openai",
        kind: "Admin API key",
        mode: None,
        revoke: "delete it now: platform.openai.com → Organization settings → Admin keys, then check the organisation's members, projects and keys for changes nobody made",
    },
    Kind {
        prefix_nul: "xoxp-\0",
        provider: "slack",
        kind: "user token",
        mode: None,
        revoke: "revoke it: the user (or a workspace admin) removes the app under the workspace's Manage apps, or call auth.revoke with the token; then read the workspace's access logs for the user's sessions and the app's use",
    },
    Kind {
        prefix_nul: "hooks.slack.com/services/\0",
        provider: "slack",
        kind: "incoming webhook URL",
        mode: None,
        revoke: "delete it: api.slack.com/apps → the app → Incoming Webhooks → Remove (or remove the legacy Incoming WebHooks integration under the workspace's Manage apps), then make a new one and keep it in a secret store",
    },
    Kind {
        prefix_nul: "hooks.slack.com/workflows/\0",
        provider: "slack",
        kind: "workflow webhook URL",
        mode: None,
        revoke: "turn the workflow's webhook trigger off or make a new one: Workflow Builder → the workflow → its webhook step, then read the workflow's activity for runs nobody started",
    },
    Kind {
        prefix_nul: "pypi-AgEIcHlwaS5vcmc\0",
        provider: "pypi",
        kind: "API token",
        mode: None,
        revoke: "remove it now: pypi.org → Account settings → API tokens → Options → Remove token (a token of a trusted publisher expires within 15 minutes); then check the release history of every project it could upload to for files nobody uploaded, and yank them",
    },
    Kind {
        prefix_nul: "pypi-AgENdGVzdC5weXBpLm9yZw\0",
        provider: "pypi",
        kind: "TestPyPI API token",
        mode: Some("test"),
        revoke: "remove it: test.pypi.org → Account settings → API tokens → Options → Remove token",
    },
    // After the longer `sk-` prefixes above: the first that fits names the kind.
    Kind {
        prefix_nul: "sk-\0",
        provider: "openai",
        kind: "user API key",
        mode: None,
        revoke: "revoke it: platform.openai.com → API keys (its owner), then read Usage for requests nobody made",
    },
];

/// A token's facts and its revocation step, for a secret found by a token rule
/// (`validator`); `None` for any other secret.
/// A URL's scheme is left out of the prefix (`hooks.slack.com/…`). The severity, where the
/// token's own bytes make it other than its rule's: a PyPI token with no project caveat
/// (critical: every project of the account), a TestPyPI one (low).
pub fn analyse(
    validator: Option<Validator>,
    secret: &[u8],
) -> Option<(TokenFacts, String, Option<Severity>)> {
    let checksum = match validator? {
        Validator::GithubToken => Some(token::github_checksum_holds(secret)),
        Validator::ProviderToken | Validator::PypiToken => None,
        _ => return None,
    };
    let bare = secret
        .strip_prefix(b"https://")
        .or_else(|| secret.strip_prefix(b"http://"))
        .unwrap_or(secret);
    let k = KINDS
        .iter()
        .find(|k| bare.starts_with(k.prefix().as_bytes()))?;
    let (mut scope, mut severity) = (None, None);
    if validator == Some(Validator::PypiToken)
        && let Some(p) = token::pypi_macaroon(secret)
    {
        scope = Some(if p.trusted_publisher {
            "a trusted publisher's (expires within 15 minutes)".to_string()
        } else if !p.projects.is_empty() {
            let what = if p.by_id { "project ids" } else { "projects" };
            format!("{what}: {}", p.projects.join(", "))
        } else if p.unread {
            "not read (a caveat is not JSON)".to_string()
        } else {
            "every project of the account".to_string()
        });
        severity = if p.test {
            Some(Severity::Low)
        } else if p.projects.is_empty() && !p.unread && !p.trusted_publisher {
            Some(Severity::Critical)
        } else {
            None
        };
    }
    Some((
        TokenFacts {
            provider: k.provider,
            kind: k.kind,
            checksum,
            mode: k.mode,
            scope,
        },
        k.revoke.to_string(),
        severity,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prefix_of_a_token_rule_has_a_kind() {
        let rules = crate::rules::RuleSet::builtin().unwrap();
        for r in &rules.rules {
            if matches!(
                r.validator,
                Some(Validator::GithubToken | Validator::ProviderToken | Validator::PypiToken)
            ) {
                let prefix = r
                    .pattern
                    .trim_start_matches('(')
                    .trim_start_matches("https?://")
                    .replace("\\.", ".");
                // The pattern's literal head (up to its first group or class).
                let head = &prefix[..prefix.find(['(', '[', '{']).unwrap_or(prefix.len())];
                assert!(
                    KINDS.iter().any(|k| prefix.starts_with(k.prefix())
                        || (head.len() >= 4 && k.prefix().starts_with(head))),
                    "rule {} has no kind",
                    r.id
                );
            }
        }
    }

    #[test]
    fn the_longest_sk_prefix_names_the_kind() {
        let kind = |s: &str| {
            analyse(Some(Validator::ProviderToken), s.as_bytes())
                .map(|(f, ..)| (f.provider, f.kind))
        };
        assert_eq!(
            kind("sk-ant-admin01-x"),
            Some(("anthropic", "Admin API key"))
        );
        assert_eq!(kind("sk-ant-api03-x"), Some(("anthropic", "API key")));
        assert_eq!(kind("sk-admin-x"), Some(("openai", "Admin API key")));
        assert_eq!(kind("sk-proj-x"), Some(("openai", "project API key")));
        assert_eq!(kind("sk-abT3BlbkFJ"), Some(("openai", "user API key")));
        assert_eq!(kind("sk_live_x"), Some(("stripe", "secret key")));
    }
}
