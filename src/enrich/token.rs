//! Provider tokens: what a token is, read from its own bytes (its prefix names the
//! provider and the kind, its checksum, where it has one, is recomputed), and how the
//! provider revokes it. Never asks the provider anything.

use std::ops::Range;

use crate::finding::{Severity, TokenFacts};
use crate::rules::Validator;
use crate::scan::token;

/// Where the text that names a kind stands, relative to the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// The secret starts with it (`ghp_`; a URL's scheme left out).
    Prefix,
    /// The secret holds it: Terraform's `.atlasv1.`, after the token's first 14
    /// characters.
    Inside,
    /// It stands just before the secret: an Azure account key is the bare key after
    /// `AccountKey=`.
    Label,
    /// The secret's line names the provider before it, and the secret starts with the
    /// text: a Twilio API key's id (`SK…`) on a line naming `twilio`.
    PrefixOnLine,
    /// The secret's line, before it, holds the provider's name and the text (both in any
    /// case): a Twilio auth token (32 bare hex characters) after `TWILIO_AUTH_TOKEN=`.
    Line,
}

/// One kind of token: the text that names it, provider, kind, and the revocation step.
struct Kind {
    /// The text, written with a NUL after it ([`Kind::text`] leaves it out): string
    /// literals sit back to back in the binary, and a bare `sk_live_` there ran on into
    /// the next literals (`sk_live_TooLargeoriginalSlimAVX2`), a token to a scan of a
    /// folder where keysweep is installed.
    text_nul: &'static str,
    /// Where the text stands.
    at: At,
    provider: &'static str,
    kind: &'static str,
    mode: Option<&'static str>,
    revoke: &'static str,
}

impl Kind {
    fn text(&self) -> &'static str {
        self.text_nul.trim_end_matches('\0')
    }

    /// Whether this kind names the secret at `at` in `hay`.
    fn names(&self, hay: &[u8], at: &Range<usize>) -> bool {
        let secret = &hay[at.clone()];
        let text = self.text().as_bytes();
        match self.at {
            At::Prefix => secret
                .strip_prefix(b"https://")
                .or_else(|| secret.strip_prefix(b"http://"))
                .unwrap_or(secret)
                .starts_with(text),
            At::Inside => memchr::memmem::find(secret, text).is_some(),
            At::Label => hay[..at.start].ends_with(text),
            At::PrefixOnLine => {
                secret.starts_with(text) && line_holds(hay, at.start, self.provider.as_bytes())
            }
            At::Line => {
                line_holds(hay, at.start, self.provider.as_bytes())
                    && line_holds(hay, at.start, text)
            }
        }
    }
}

/// Whether the line holding `at`, up to `at` (at most 256 bytes of it), holds `word` in
/// any case.
fn line_holds(hay: &[u8], at: usize, word: &[u8]) -> bool {
    let from = at.saturating_sub(256);
    let start = hay[from..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(from, |i| from + i + 1);
    hay[start..at]
        .windows(word.len())
        .any(|w| w.eq_ignore_ascii_case(word))
}

/// How to revoke a GitLab runner authentication token, whichever way its runner was
/// registered (`glrt-`, `glrtr-`).
const GITLAB_RUNNER_REVOKE: &str = "reset it: the runner's page (the project's or group's Settings → CI/CD → Runners, or Admin → CI/CD → Runners) → Edit → reset the authentication token, or with the token itself: curl --request POST --form \"token=<token>\" https://<gitlab>/api/v4/runners/reset_authentication_token; then read the jobs the runner took for ones nobody started, and rotate the CI/CD variables of the projects it serves";

const KINDS: &[Kind] = &[
    // Kinds not named by a prefix first: their secrets' first characters are random, and
    // may spell another kind's prefix (`AIza…`).
    Kind {
        text_nul: token::AZURE_KEY_LABEL_NUL,
        at: At::Label,
        provider: "azure",
        kind: "storage account key",
        mode: None,
        revoke: "rotate both keys now: Azure portal → the storage account → Security + networking → Access keys → Rotate key (or az storage account keys renew --account-name <account> --key key1, then key2), update what used them, then read the account's logs (Monitoring → Insights, or the diagnostic logs) for requests nobody made; shared access signatures signed with the old key stop working",
    },
    Kind {
        text_nul: ".atlasv1.\0",
        at: At::Inside,
        provider: "terraform-cloud",
        kind: "API token",
        mode: None,
        revoke: "delete it now: app.terraform.io (or your Terraform Enterprise) → User settings → Tokens (a team's or the organisation's token: the team's or the organisation's API token settings); then read the organisation's audit trail for runs and state reads nobody made, and rotate the secrets its workspaces' state holds",
    },
    Kind {
        text_nul: "ghp_\0",
        at: At::Prefix,
        provider: "github",
        kind: "personal access token (classic)",
        mode: None,
        revoke: "delete it now (its owner: github.com → Settings → Developer settings → Personal access tokens; an organisation owner can revoke its access under the organisation's Personal access tokens), then read the audit log for its use",
    },
    Kind {
        text_nul: "github_pat_\0",
        at: At::Prefix,
        provider: "github",
        kind: "fine-grained personal access token",
        mode: None,
        revoke: "delete it now (its owner: github.com → Settings → Developer settings → Personal access tokens → Fine-grained tokens; an organisation owner can revoke it under the organisation's Personal access tokens), then read the audit log for its use",
    },
    Kind {
        text_nul: "gho_\0",
        at: At::Prefix,
        provider: "github",
        kind: "OAuth access token",
        mode: None,
        revoke: "revoke it: the user removes the OAuth app under Settings → Applications → Authorized OAuth Apps, or the app's owner revokes its tokens (Developer settings → OAuth Apps → Revoke all user tokens)",
    },
    Kind {
        text_nul: "ghu_\0",
        at: At::Prefix,
        provider: "github",
        kind: "GitHub App user access token",
        mode: None,
        revoke: "revoke it: the user revokes the GitHub App under Settings → Applications → Authorized GitHub Apps; it expires within 8 hours, but its refresh token (ghr_) may sit beside it",
    },
    Kind {
        text_nul: "ghr_\0",
        at: At::Prefix,
        provider: "github",
        kind: "GitHub App refresh token",
        mode: None,
        revoke: "revoke it: the user revokes the GitHub App under Settings → Applications → Authorized GitHub Apps; a refresh token mints new user tokens for six months",
    },
    Kind {
        text_nul: "ghs_\0",
        at: At::Prefix,
        provider: "github",
        kind: "GitHub App installation access token",
        mode: None,
        revoke: "it expires within an hour; revoke it now (gh api -X DELETE /installation/token, authenticated with it), and if the app's private key leaked with it, generate a new one and delete the old",
    },
    Kind {
        text_nul: "npm_\0",
        at: At::Prefix,
        provider: "npm",
        kind: "access token",
        mode: None,
        revoke: "revoke it: npm token list, then npm token revoke <id> (or npmjs.com → Access Tokens); check the packages it could publish for versions nobody released",
    },
    Kind {
        text_nul: "glpat-\0",
        at: At::Prefix,
        provider: "gitlab",
        kind: "personal, project or group access token",
        mode: None,
        revoke: "revoke it: User settings → Access tokens (or the project's or group's Access tokens), or with the token itself: curl --request DELETE --header \"PRIVATE-TOKEN: <token>\" https://<gitlab>/api/v4/personal_access_tokens/self",
    },
    Kind {
        text_nul: "dckr_pat_\0",
        at: At::Prefix,
        provider: "docker-hub",
        kind: "personal access token",
        mode: None,
        revoke: "delete it: hub.docker.com → Account settings → Personal access tokens; check the repositories it could push to for images nobody pushed",
    },
    Kind {
        text_nul: "sk_live_\0",
        at: At::Prefix,
        provider: "stripe",
        kind: "secret key",
        mode: Some("live"),
        revoke: "roll it now: Stripe Dashboard → Developers → API keys → Roll key; then read Developers → Logs for requests nobody made",
    },
    Kind {
        text_nul: "rk_live_\0",
        at: At::Prefix,
        provider: "stripe",
        kind: "restricted key",
        mode: Some("live"),
        revoke: "roll it now: Stripe Dashboard → Developers → API keys → Restricted keys → Roll key; then read Developers → Logs for requests nobody made",
    },
    Kind {
        text_nul: "AIza\0",
        at: At::Prefix,
        provider: "google",
        kind: "API key",
        mode: None,
        revoke: "restrict or delete it: Google Cloud console → APIs & Services → Credentials (or gcloud services api-keys list, then gcloud services api-keys delete <key id>), make a new key restricted to the APIs and apps that need it, and read the project's API metrics and billing for use nobody made",
    },
    Kind {
        text_nul: "xoxb-\0",
        at: At::Prefix,
        provider: "slack",
        kind: "bot token",
        mode: None,
        revoke: "revoke it: api.slack.com/apps → the app → OAuth & Permissions → Revoke Tokens (or call auth.revoke with the token), reinstall the app for a new one, and read the workspace's access logs for the bot's use",
    },
    Kind {
        text_nul: "sk-ant-api03-\0",
        at: At::Prefix,
        provider: "anthropic",
        kind: "API key",
        mode: None,
        revoke: "delete it: console.anthropic.com → Settings → API keys, then read Usage for requests nobody made",
    },
    Kind {
        text_nul: "sk-ant-admin01-\0",
        at: At::Prefix,
        provider: "anthropic",
        kind: "Admin API key",
        mode: None,
        revoke: "delete it now: console.anthropic.com → Settings → Admin keys (an organisation admin), then check the organisation's members, workspaces and API keys for changes nobody made",
    },
    Kind {
        text_nul: "sk-proj-\0",
        at: At::Prefix,
        provider: "openai",
        kind: "project API key",
        mode: None,
        revoke: "revoke it: platform.openai.com → the project → API keys (Settings → Project → API keys), then read Usage for requests nobody made",
    },
    Kind {
        text_nul: "sk-svcacct-\0",
        at: At::Prefix,
        provider: "openai",
        kind: "service account key",
        mode: None,
        revoke: "revoke it: platform.openai.com → the project → Settings → Service accounts (or API keys), delete the key, then read Usage for requests nobody made",
    },
    Kind {
        text_nul: "sk-admin-\0",
        at: At::Prefix,
        provider: "openai",
        kind: "Admin API key",
        mode: None,
        revoke: "delete it now: platform.openai.com → Organization settings → Admin keys, then check the organisation's members, projects and keys for changes nobody made",
    },
    Kind {
        text_nul: "xoxp-\0",
        at: At::Prefix,
        provider: "slack",
        kind: "user token",
        mode: None,
        revoke: "revoke it: the user (or a workspace admin) removes the app under the workspace's Manage apps, or call auth.revoke with the token; then read the workspace's access logs for the user's sessions and the app's use",
    },
    Kind {
        text_nul: "hooks.slack.com/services/\0",
        at: At::Prefix,
        provider: "slack",
        kind: "incoming webhook URL",
        mode: None,
        revoke: "delete it: api.slack.com/apps → the app → Incoming Webhooks → Remove (or remove the legacy Incoming WebHooks integration under the workspace's Manage apps), then make a new one and keep it in a secret store",
    },
    Kind {
        text_nul: "hooks.slack.com/workflows/\0",
        at: At::Prefix,
        provider: "slack",
        kind: "workflow webhook URL",
        mode: None,
        revoke: "turn the workflow's webhook trigger off or make a new one: Workflow Builder → the workflow → its webhook step, then read the workflow's activity for runs nobody started",
    },
    Kind {
        text_nul: "pypi-AgEIcHlwaS5vcmc\0",
        at: At::Prefix,
        provider: "pypi",
        kind: "API token",
        mode: None,
        revoke: "remove it now: pypi.org → Account settings → API tokens → Options → Remove token (a token of a trusted publisher expires within 15 minutes); then check the release history of every project it could upload to for files nobody uploaded, and yank them",
    },
    Kind {
        text_nul: "pypi-AgENdGVzdC5weXBpLm9yZw\0",
        at: At::Prefix,
        provider: "pypi",
        kind: "TestPyPI API token",
        mode: Some("test"),
        revoke: "remove it: test.pypi.org → Account settings → API tokens → Options → Remove token",
    },
    Kind {
        text_nul: "PMAK-\0",
        at: At::Prefix,
        provider: "postman",
        kind: "API key",
        mode: None,
        revoke: "delete it: Postman → your avatar → Settings → API keys → Delete (on Enterprise plans a team admin can revoke members' keys in the team's settings); then check its workspaces' collections, environments and monitors for changes nobody made, and rotate the tokens its environments held",
    },
    Kind {
        text_nul: "xapp-\0",
        at: At::Prefix,
        provider: "slack",
        kind: "app-level token",
        mode: None,
        revoke: "revoke it: api.slack.com/apps → the app → Basic Information → App-Level Tokens → the token → Revoke, and make a new one for the app's Socket Mode connection; then read the workspace's access logs for the app's use",
    },
    Kind {
        text_nul: "xoxe.xoxp-\0",
        at: At::Prefix,
        provider: "slack",
        kind: "rotating user token (or app configuration token)",
        mode: None,
        revoke: "revoke it: call auth.revoke with it (an app configuration token: api.slack.com/apps → Your App Configuration Tokens → Revoke); it expires within 12 hours, but its refresh token (xoxe-1-) may sit beside it: revoke the app's tokens (api.slack.com/apps → the app → OAuth & Permissions → Revoke Tokens)",
    },
    Kind {
        text_nul: "xoxe.xoxb-\0",
        at: At::Prefix,
        provider: "slack",
        kind: "rotating bot token",
        mode: None,
        revoke: "revoke it: call auth.revoke with it, or api.slack.com/apps → the app → OAuth & Permissions → Revoke Tokens; it expires within 12 hours, but its refresh token (xoxe-1-) may sit beside it",
    },
    Kind {
        text_nul: "xoxe-\0",
        at: At::Prefix,
        provider: "slack",
        kind: "refresh token of rotating tokens",
        mode: None,
        revoke: "revoke the tokens it refreshes: api.slack.com/apps → the app → OAuth & Permissions → Revoke Tokens (app configuration tokens: api.slack.com/apps → Your App Configuration Tokens → Revoke); it works only with the app's client secret: if that leaked too, regenerate it (Basic Information → App Credentials)",
    },
    Kind {
        text_nul: "xoxa-\0",
        at: At::Prefix,
        provider: "slack",
        kind: "workspace-app token (legacy)",
        mode: None,
        revoke: "revoke it: call auth.revoke with it, or remove the app under the workspace's Manage apps; then read the workspace's access logs for the app's use",
    },
    Kind {
        text_nul: "xoxr-\0",
        at: At::Prefix,
        provider: "slack",
        kind: "workspace-app refresh token (legacy)",
        mode: None,
        revoke: "remove the app under the workspace's Manage apps (its tokens go with it); the refresh token works only with the app's client secret: if that leaked too, regenerate it (api.slack.com/apps → the app → Basic Information → App Credentials)",
    },
    Kind {
        text_nul: "glrt-\0",
        at: At::Prefix,
        provider: "gitlab",
        kind: "runner authentication token",
        mode: None,
        revoke: GITLAB_RUNNER_REVOKE,
    },
    Kind {
        text_nul: "glrtr-\0",
        at: At::Prefix,
        provider: "gitlab",
        kind: "runner authentication token (of a runner registered with a registration token)",
        mode: None,
        revoke: GITLAB_RUNNER_REVOKE,
    },
    Kind {
        text_nul: "glcbt-\0",
        at: At::Prefix,
        provider: "gitlab",
        kind: "CI/CD job token",
        mode: None,
        revoke: "it stops working when its job ends: cancel the job if it still runs (the pipeline's page → Cancel), then read the project's audit events for requests the job's user did not make; if the job log or artifacts leaked it, check them for the CI/CD variables they may hold too",
    },
    Kind {
        text_nul: "glimt-\0",
        at: At::Prefix,
        provider: "gitlab",
        kind: "incoming email token",
        mode: None,
        revoke: "reset it: User settings → Access tokens → Incoming email token → reset this token (the issue- and merge-request-by-email addresses holding the old one stop working); then check the user's recent issues, merge requests and comments for ones they did not write",
    },
    Kind {
        text_nul: "glagent-\0",
        at: At::Prefix,
        provider: "gitlab",
        kind: "agent for Kubernetes token",
        mode: None,
        revoke: "revoke it: the agent's project → Operate → Kubernetes clusters → the agent → Access tokens → Revoke (or DELETE /projects/:id/cluster_agents/:agent_id/tokens/:token_id); give the agent in the cluster a new token, then read the agent's activity for connections nobody made",
    },
    Kind {
        text_nul: "glffct-\0",
        at: At::Prefix,
        provider: "gitlab",
        kind: "feature flags client token",
        mode: None,
        revoke: "reset it: the project → Deploy → Feature flags → Configure → reset the instance ID (POST /projects/:id/feature_flags_client/reset_token); give the applications' Unleash clients the new one",
    },
    Kind {
        text_nul: "GR1348941\0",
        at: At::Prefix,
        provider: "gitlab",
        kind: "runner registration token (deprecated)",
        mode: None,
        revoke: "reset it: the project's or group's Settings → CI/CD → Runners (or Admin → CI/CD → Runners) → the registration token's menu → Reset registration token; then remove the runners nobody registered, and move to runner authentication tokens (glrt-): registration tokens are deprecated",
    },
    Kind {
        text_nul: "glsoat-\0",
        at: At::Prefix,
        provider: "gitlab",
        kind: "SCIM token",
        mode: None,
        revoke: "reset it: the top-level group → Settings → SAML SSO → SCIM token → Reset (self-managed: Admin → Settings → General → SCIM token); update the identity provider, then check the group's members for accounts nobody provisioned or removed",
    },
    Kind {
        text_nul: "gloas-\0",
        at: At::Prefix,
        provider: "gitlab",
        kind: "OAuth application secret",
        mode: None,
        revoke: "renew it: User settings (or the group's Settings, or Admin → Applications) → Applications → the application → Renew secret; give the application the new one, then check the application's authorized users for grants nobody made",
    },
    Kind {
        text_nul: "glptt-\0",
        at: At::Prefix,
        provider: "gitlab",
        kind: "pipeline trigger token",
        mode: None,
        revoke: "revoke it: the project → Settings → CI/CD → Pipeline trigger tokens → Revoke (or DELETE /projects/:id/triggers/:trigger_id); then read the project's pipelines for triggered runs nobody started",
    },
    Kind {
        text_nul: "glft-\0",
        at: At::Prefix,
        provider: "gitlab",
        kind: "feed token",
        mode: None,
        revoke: "reset it: User settings → Access tokens → Feed token → reset this token (feed and calendar URLs holding the old one stop working)",
    },
    Kind {
        text_nul: "gldt-\0",
        at: At::Prefix,
        provider: "gitlab",
        kind: "deploy token",
        mode: None,
        revoke: "revoke it: the project's (or group's) Settings → Repository → Deploy tokens → Revoke (or DELETE /projects/:id/deploy_tokens/:token_id); then check the registries it could write to for images and packages nobody pushed",
    },
    Kind {
        text_nul: "hvs.\0",
        at: At::Prefix,
        provider: "hashicorp-vault",
        kind: "service token",
        mode: None,
        revoke: "revoke it now: vault token revoke <token> (or vault token revoke -accessor <accessor>, the accessor from Vault's audit log), which revokes the tokens it made too; then read the audit log for its use and rotate every secret its policies could read",
    },
    Kind {
        text_nul: "hvb.\0",
        at: At::Prefix,
        provider: "hashicorp-vault",
        kind: "batch token",
        mode: None,
        revoke: "a batch token cannot be revoked alone: revoke its parent token (vault token revoke -accessor <parent accessor>), or, for an orphan, wait out its TTL (or revoke its auth method's leases: vault lease revoke -prefix auth/<method>/); then read the audit log for its use and rotate every secret its policies could read",
    },
    Kind {
        text_nul: "dop_v1_\0",
        at: At::Prefix,
        provider: "digitalocean",
        kind: "personal access token",
        mode: None,
        revoke: "delete it now: cloud.digitalocean.com → API → Tokens → the token → Delete; then check the team's droplets, databases, Kubernetes clusters, DNS records and Spaces keys for changes nobody made",
    },
    Kind {
        text_nul: "doo_v1_\0",
        at: At::Prefix,
        provider: "digitalocean",
        kind: "OAuth access token",
        mode: None,
        revoke: "revoke it: curl -X POST https://cloud.digitalocean.com/v1/oauth/revoke -d token=<token> (or the user removes the application under Settings → Applications & API → Authorized applications); then check the team's resources for changes nobody made",
    },
    Kind {
        text_nul: "dor_v1_\0",
        at: At::Prefix,
        provider: "digitalocean",
        kind: "OAuth refresh token",
        mode: None,
        revoke: "revoke it: curl -X POST https://cloud.digitalocean.com/v1/oauth/revoke -d token=<token> (or the user removes the application under Settings → Applications & API → Authorized applications), which ends the tokens it minted too",
    },
    Kind {
        text_nul: "dapi\0",
        at: At::Prefix,
        provider: "databricks",
        kind: "personal access token",
        mode: None,
        revoke: "revoke it: the workspace → your user → Settings → Developer → Access tokens → Revoke (a workspace admin: DELETE /api/2.0/token-management/tokens/<token id>); then read the workspace's audit logs for its use",
    },
    Kind {
        text_nul: "ATATT3\0",
        at: At::Prefix,
        provider: "atlassian",
        kind: "API token",
        mode: None,
        revoke: "revoke it: id.atlassian.com → Security → API tokens → Revoke (an organisation admin can revoke users' tokens at admin.atlassian.com → Security); then read the sites' audit logs for its use",
    },
    Kind {
        text_nul: "shpat_\0",
        at: At::Prefix,
        provider: "shopify",
        kind: "Admin API access token",
        mode: None,
        revoke: "revoke it: uninstall the app from the store (Settings → Apps and sales channels → the app → Uninstall; a custom app made in the admin: Develop apps → the app → API credentials, then uninstall and reinstall for a new token); then read the store's orders, customers and staff for changes nobody made",
    },
    Kind {
        text_nul: "shpca_\0",
        at: At::Prefix,
        provider: "shopify",
        kind: "custom app access token",
        mode: None,
        revoke: "revoke it: Settings → Apps and sales channels → Develop apps → the app → uninstall it (reinstalling gives a new token); then read the store's orders, customers and staff for changes nobody made",
    },
    Kind {
        text_nul: "shppa_\0",
        at: At::Prefix,
        provider: "shopify",
        kind: "private app password",
        mode: None,
        revoke: "revoke it: delete the private app (Settings → Apps and sales channels → Develop apps, where private apps now live) and make a new app; then read the store's orders, customers and staff for changes nobody made",
    },
    Kind {
        text_nul: "shpss_\0",
        at: At::Prefix,
        provider: "shopify",
        kind: "app shared secret",
        mode: None,
        revoke: "rotate it: the app's API credentials (Partner Dashboard or the store's Develop apps → the app) → Rotate client secret, deploy the new one, then revoke the old; webhooks signed with the old one stop being trusted",
    },
    Kind {
        text_nul: "lin_api_\0",
        at: At::Prefix,
        provider: "linear",
        kind: "API key",
        mode: None,
        revoke: "revoke it: linear.app → Settings → Account → Security & access → Personal API keys → Revoke; then read the workspace's issues and audit log for changes nobody made",
    },
    Kind {
        text_nul: "hf_\0",
        at: At::Prefix,
        provider: "huggingface",
        kind: "access token",
        mode: None,
        revoke: "revoke it: huggingface.co → Settings → Access Tokens → the token → Invalidate and refresh (or Delete); then read the user's and organisations' models, datasets and Spaces for commits nobody made",
    },
    Kind {
        text_nul: "api_org_\0",
        at: At::Prefix,
        provider: "huggingface",
        kind: "organisation API token",
        mode: None,
        revoke: "revoke it: the organisation's settings on huggingface.co → API token → rotate it (legacy tokens: replace them with a user's fine-grained token); then read the organisation's repositories for commits nobody made",
    },
    Kind {
        text_nul: "SG.\0",
        at: At::Prefix,
        provider: "sendgrid",
        kind: "API key",
        mode: None,
        revoke: "revoke it: app.sendgrid.com → Settings → API Keys → the key → Delete; then read Activity and the sender reputation for mail nobody sent, and the account's API keys and teammates for ones nobody made",
    },
    // Twilio's: named by the line they stand on (their rules, opt-in, ask for `twilio` in
    // the key's name there). After every prefix, so that a token of another provider on a
    // line naming Twilio keeps its own name.
    Kind {
        text_nul: "SK\0",
        at: At::PrefixOnLine,
        provider: "twilio",
        kind: "API key (its id, SK…)",
        mode: None,
        revoke: "delete the key now: console.twilio.com → Account → API keys & tokens → the key → Delete (or twilio api:core:keys:remove --sid <SK…>), which ends its secret (32 characters, usually beside it) too; give the applications a new key, then read Monitor → Logs and the usage records for messages and calls nobody made",
    },
    Kind {
        text_nul: "secret\0",
        at: At::Line,
        provider: "twilio",
        kind: "API key secret",
        mode: None,
        revoke: "delete its key now: console.twilio.com → Account → API keys & tokens → the key whose id (SK…) stands beside this secret → Delete (or twilio api:core:keys:remove --sid <SK…>); give the applications a new key, then read Monitor → Logs and the usage records for messages and calls nobody made",
    },
    Kind {
        text_nul: "auth\0",
        at: At::Line,
        provider: "twilio",
        kind: "auth token",
        mode: None,
        revoke: "rotate it now: console.twilio.com → Account → API keys & tokens → Auth tokens → request a secondary token, move every application to it, then promote it (the old token stops working); then read Monitor → Logs and the usage records for messages and calls nobody made, and the account's API keys and subaccounts for ones nobody made",
    },
    // After the longer `sk-` prefixes above: the first that fits names the kind.
    Kind {
        text_nul: "sk-\0",
        at: At::Prefix,
        provider: "openai",
        kind: "user API key",
        mode: None,
        revoke: "revoke it: platform.openai.com → API keys (its owner), then read Usage for requests nobody made",
    },
];

/// A token's facts and its revocation step, for the secret at `at` in `hay` found by a
/// token rule (`validator`); `None` for any other secret. The kind is named by the
/// secret's prefix (a URL's scheme left out: `hooks.slack.com/…`), by a marker inside it
/// (Terraform's `.atlasv1.`) or by the label just before it (Azure's `AccountKey=`). The
/// severity, where the token's own bytes make it other than its rule's: a PyPI token with
/// no project caveat (critical: every project of the account), a TestPyPI one (low).
pub fn analyse(
    validator: Option<Validator>,
    hay: &[u8],
    at: Range<usize>,
) -> Option<(TokenFacts, String, Option<Severity>)> {
    let secret = &hay[at.clone()];
    let checksum = match validator? {
        Validator::GithubToken => Some(token::github_checksum_holds(secret)),
        Validator::ProviderToken | Validator::PypiToken => None,
        _ => return None,
    };
    let k = KINDS.iter().find(|k| k.names(hay, &at))?;
    let (mut scope, mut severity) = (None, None);
    let mut checksum = checksum;
    if validator == Some(Validator::ProviderToken)
        && token::is_gitlab_routable_shape(secret)
        && let Some(r) = token::gitlab_routable(secret)
    {
        checksum = Some(true);
        scope = gitlab_scope(&r);
    }
    if k.text_nul == token::AZURE_KEY_LABEL_NUL {
        scope = azure_account(hay, &at).map(|a| format!("account: {a}"));
    }
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

/// What a GitLab routable token's routing fields name, in the token's order
/// (`organization 1, user 42`); `None` when it has none GitLab documents.
fn gitlab_scope(r: &token::GitlabRoutable) -> Option<String> {
    let named: Vec<String> = r
        .fields
        .iter()
        .map(|&(k, v)| {
            let what = match k {
                'o' => "organization",
                'u' => "user",
                'g' => "group",
                'p' => "project",
                'c' => "cell",
                _ => "runner type",
            };
            format!("{what} {v}")
        })
        .collect();
    (!named.is_empty()).then(|| named.join(", "))
}

/// The storage account an Azure account key opens: the `AccountName=` of the connection
/// string around the key (the run of bytes with no whitespace, quote, comma or bracket,
/// within 1 KiB either side, split at `;`), when its value is a storage account's name
/// (3 to 24 lower-case letters and digits).
fn azure_account(hay: &[u8], at: &Range<usize>) -> Option<String> {
    let outside =
        |b: &u8| b.is_ascii_whitespace() || b"\"'`,<>()[]{}".contains(b) || !b.is_ascii_graphic();
    let from = at.start.saturating_sub(1 << 10);
    let to = at.end.saturating_add(1 << 10).min(hay.len());
    let start = hay[from..at.start]
        .iter()
        .rposition(outside)
        .map_or(from, |i| from + i + 1);
    let end = hay[at.end..to]
        .iter()
        .position(outside)
        .map_or(to, |i| at.end + i);
    hay[start..end].split(|&b| b == b';').find_map(|part| {
        let name = part.strip_prefix(b"AccountName=")?;
        ((3..=24).contains(&name.len())
            && name
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        .then(|| String::from_utf8_lossy(name).into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    /// The built-in rules and the opt-in ones (`signatures/more`).
    fn all_rules() -> RuleSet {
        let more = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("signatures/more");
        RuleSet::load(&[more]).unwrap()
    }

    fn is_token_rule(v: Option<Validator>) -> bool {
        matches!(
            v,
            Some(Validator::GithubToken | Validator::ProviderToken | Validator::PypiToken)
        )
    }

    /// Each token rule's pattern has a kind: one whose prefix the pattern's literal head
    /// starts with (or starts with the head), whose label the pattern reads just before
    /// its capture group, or whose marker the pattern holds.
    #[test]
    fn every_prefix_of_a_token_rule_has_a_kind() {
        let rules = all_rules();
        for r in rules.rules.iter().filter(|r| is_token_rule(r.validator)) {
            let unescaped = r.pattern.replace("\\.", ".");
            let prefix = unescaped
                .trim_start_matches('(')
                .trim_start_matches("https?://");
            // The pattern's literal head (up to its first group or class).
            let head = &prefix[..prefix.find(['(', '[', '{']).unwrap_or(prefix.len())];
            assert!(
                KINDS.iter().any(|k| match k.at {
                    At::Prefix =>
                        prefix.starts_with(k.text())
                            || (head.len() >= 4 && k.text().starts_with(head)),
                    At::Label => unescaped.starts_with(&format!("{}(", k.text())),
                    At::Inside => unescaped.starts_with('(') && unescaped.contains(k.text()),
                    At::PrefixOnLine =>
                        unescaped.contains(k.provider)
                            && unescaped.contains(&format!("({}", k.text())),
                    At::Line => unescaped.contains(k.provider) && unescaped.contains(k.text()),
                }),
                "rule {} has no kind",
                r.id
            );
        }
    }

    /// What each token rule finds in its own examples is named, by a kind of the rule's
    /// provider (the provider its signature file is named after, or the one its id starts
    /// with: `terraform-cloud-api-token` in hashicorp.toml).
    #[test]
    fn every_example_of_a_token_rule_is_named_by_its_provider() {
        use crate::finding::Disclosure;
        use crate::pipeline::blob::BlobScanner;
        use crate::scan::{ScanOptions, Scanner};
        let rules = all_rules();
        let mut named = 0;
        for r in rules.rules.iter().filter(|r| is_token_rule(r.validator)) {
            let alone = RuleSet {
                rules: vec![r.clone()],
            };
            let scanner = Scanner::new(&alone, ScanOptions::default()).unwrap();
            let mut blobs = BlobScanner::new(&scanner, Disclosure::Redacted);
            let file = std::path::Path::new(r.source.trim_start_matches("builtin:"));
            let stem = file.file_stem().unwrap().to_str().unwrap();
            for ex in &r.examples {
                let matches = blobs.matches(ex.as_bytes()).to_vec();
                assert!(!matches.is_empty(), "{}: {ex}", r.id);
                for m in matches {
                    let (facts, advice, _) = analyse(r.validator, ex.as_bytes(), m.secret)
                        .unwrap_or_else(|| panic!("{}: no kind for {ex}", r.id));
                    assert!(
                        facts.provider.starts_with(stem) || r.id.starts_with(facts.provider),
                        "{}: named {} ({})",
                        r.id,
                        facts.provider,
                        facts.kind
                    );
                    assert!(advice.len() > 40, "{}", r.id);
                    named += 1;
                }
            }
        }
        assert!(named >= 80, "{named}");
    }

    fn kind(s: &str) -> Option<(&'static str, &'static str)> {
        analyse(Some(Validator::ProviderToken), s.as_bytes(), 0..s.len())
            .map(|(f, ..)| (f.provider, f.kind))
    }

    #[test]
    fn the_longest_sk_prefix_names_the_kind() {
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

    /// A Terraform token is named by its marker even when its random start spells another
    /// kind's prefix; an Azure key by the label before it, whatever it starts with, with
    /// its account from the connection string around it.
    #[test]
    fn markers_and_labels_name_what_prefixes_cannot() {
        let tf =
            "AIzaT3n57ZL8ab.atlasv1.svZyQIS9m6b4tO-2JkCtjloCPblEHBNfPYYblbp1DKs-7mumomxh7uJ5xkKIw0";
        assert_eq!(kind(tf), Some(("terraform-cloud", "API token")));
        let key = "AIzaXHARqglvRmiSu29Nvpj5X4IJi1oSpkKwninmLPicOrmbALa9lZ4Z8V67+c/xCnjSjgEHNn76cgtthYoG9g==";
        let facts = |hay: &str| {
            let at = hay.find(key).unwrap();
            analyse(
                Some(Validator::ProviderToken),
                hay.as_bytes(),
                at..at + key.len(),
            )
            .map(|(f, ..)| (f.provider, f.kind, f.scope))
        };
        let scope = |s: &str| Some(("azure", "storage account key", Some(s.to_string())));
        assert_eq!(
            facts(&format!(
                "X=\"DefaultEndpointsProtocol=https;AccountName=acme01;AccountKey={key};EndpointSuffix=core.windows.net\""
            )),
            scope("account: acme01")
        );
        // The account after the key, in the same connection string.
        assert_eq!(
            facts(&format!("AccountKey={key};AccountName=acme02")),
            scope("account: acme02")
        );
        // Another connection string's account (past a quote), or a name no account can
        // have: no scope.
        let (_, _, none) = facts(&format!(
            "a = \"AccountName=other\"\nb = \"AccountKey={key}\""
        ))
        .unwrap();
        assert_eq!(none, None);
        let (_, _, none) = facts(&format!("AccountName=Not_A_Name;AccountKey={key}")).unwrap();
        assert_eq!(none, None);
    }
}
