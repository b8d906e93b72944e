//! Every argument of the official provider block (`databricks/databricks` 1.138), what it means
//! for Ironbrick, where else it can come from, and its documentation. The schema, plan-time
//! checks and resolution (block > environment > `~/.databrickscfg` profile) all read this table.

use tf_framework::{Attr, Ty};

/// The Terraform type of a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Str,
    Num,
    Bool,
    StrList,
}

/// What Ironbrick does with a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Implemented.
    Used,
    /// Selects an authentication method Ironbrick does not support: refused at configure
    /// unless `auth_type` names a supported one.
    OtherAuth,
    /// Azure or GCP only: refused at plan time when set.
    OtherCloud,
    /// Meaningless for Ironbrick and harmless: accepted and ignored.
    Ignored,
}

/// One provider argument.
#[derive(Debug)]
pub(crate) struct Setting {
    pub name: &'static str,
    pub kind: Kind,
    /// The environment variable the official provider reads, when Ironbrick reads it too.
    pub env: Option<&'static str>,
    /// Whether a `~/.databrickscfg` profile may supply it.
    pub in_profile: bool,
    pub sensitive: bool,
    pub role: Role,
    pub doc: &'static str,
}

const fn s(
    name: &'static str,
    kind: Kind,
    env: Option<&'static str>,
    role: Role,
    doc: &'static str,
) -> Setting {
    Setting {
        name,
        kind,
        env,
        in_profile: matches!(role, Role::Used | Role::OtherAuth),
        sensitive: false,
        role,
        doc,
    }
}

const fn secret(mut setting: Setting) -> Setting {
    setting.sensitive = true;
    setting
}

const fn no_profile(mut setting: Setting) -> Setting {
    setting.in_profile = false;
    setting
}

use Kind::{Bool, Num, Str, StrList};
use Role::{Ignored, OtherAuth, OtherCloud, Used};

/// The provider block, in documentation order.
#[rustfmt::skip]
pub(crate) const SETTINGS: &[Setting] = &[
    s("host", Str, Some("DATABRICKS_HOST"), Used,
      "Account host (`http://127.0.0.1:8420`) or workspace URL (`{host}/w/{id}` or a \
       `--workspace-domain` host). Env: `DATABRICKS_HOST`."),
    secret(s("token", Str, Some("DATABRICKS_TOKEN"), Used,
      "Personal access token (the `pat` authentication type). Env: `DATABRICKS_TOKEN`.")),
    s("account_id", Str, Some("DATABRICKS_ACCOUNT_ID"), Used,
      "Account id for account-level (`databricks_mws_*`) resources. Env: \
       `DATABRICKS_ACCOUNT_ID`."),
    s("workspace_id", Str, Some("DATABRICKS_WORKSPACE_ID"), Used,
      "Workspace of workspace-level resources and data sources whose `provider_config` names \
       none, when `host` is the account host. Env: `DATABRICKS_WORKSPACE_ID`."),
    no_profile(s("profile", Str, Some("DATABRICKS_CONFIG_PROFILE"), Used,
      "Profile (section) of the config file supplying settings not set here or in the \
       environment. Env: `DATABRICKS_CONFIG_PROFILE`. Default: `[__settings__] default_profile`, \
       else `DEFAULT`; without an explicit profile the file is read only when neither `host` \
       nor any credential is set here or in the environment.")),
    no_profile(s("config_file", Str, Some("DATABRICKS_CONFIG_FILE"), Used,
      "Path of the config file (`~` expands to the home directory). Env: \
       `DATABRICKS_CONFIG_FILE`. Default: `~/.databrickscfg`.")),
    s("auth_type", Str, Some("DATABRICKS_AUTH_TYPE"), Used,
      "Authentication type: `pat` (`token`), `basic` (`username`, `password`) or `oauth-m2m` \
       (`client_id`, `client_secret`); other types are refused. When unset, the type is the \
       one whose settings are given; settings of more than one type then need `auth_type`. \
       Settings of other types are ignored when it is set. Env: `DATABRICKS_AUTH_TYPE`."),
    s("http_timeout_seconds", Num, None, Used,
      "Timeout of one HTTP request to the API, in seconds. Default: 60."),
    s("rate_limit", Num, Some("DATABRICKS_RATE_LIMIT"), Used,
      "Most requests per second the provider makes to the API, across all its resources. Env: \
       `DATABRICKS_RATE_LIMIT`. Default: 0, not paced (the official provider paces at 15 per \
       second for Databricks' cloud quotas; an Ironbrick server answers 429 with `Retry-After` \
       when it wants clients to slow down, and the provider waits as told)."),
    s("retry_timeout_seconds", Num, None, Used,
      "How long to retry requests that failed with 429 or 503 (honouring `Retry-After`) or \
       could not connect, with exponential back-off; requests that may have been applied are \
       retried only when repeating them is harmless (never a POST). Negative: without end. \
       Default: 300."),
    s("skip_verify", Bool, None, Used,
      "Accept any TLS certificate of the host (self-signed, expired, wrong name). For tests \
       only. Default: false."),
    s("debug_truncate_bytes", Num, Some("DATABRICKS_DEBUG_TRUNCATE_BYTES"), Used,
      "With `TF_LOG=DEBUG`: bytes of each JSON string (and of other bodies) shown in the \
       request/response log. Secrets are always redacted. Env: \
       `DATABRICKS_DEBUG_TRUNCATE_BYTES`. Default: 96."),
    s("debug_headers", Bool, Some("DATABRICKS_DEBUG_HEADERS"), Used,
      "With `TF_LOG=DEBUG`: also log request and response headers (`Authorization` always \
       redacted). Env: `DATABRICKS_DEBUG_HEADERS`. Default: false."),
    s("cloud", Str, Some("DATABRICKS_CLOUD"), Used,
      "Cloud of the host. Only `aws` is accepted: Ironbrick serves AWS workspaces. Env: \
       `DATABRICKS_CLOUD`."),
    s("username", Str, Some("DATABRICKS_USERNAME"), Used,
      "User name for basic authentication (`auth_type = \"basic\"`): the user must be an \
       admin or hold CAN_USE on `authorization/passwords`. Env: `DATABRICKS_USERNAME`."),
    secret(s("password", Str, Some("DATABRICKS_PASSWORD"), Used,
      "Password for basic authentication. Env: `DATABRICKS_PASSWORD`.")),
    s("client_id", Str, Some("DATABRICKS_CLIENT_ID"), Used,
      "Application id of a service principal for OAuth machine-to-machine authentication \
       (`auth_type = \"oauth-m2m\"`): the provider exchanges it and `client_secret` for \
       access tokens at the workspace's `/oidc/v1/token` (workspace host) or the account's \
       `/oidc/accounts/{account_id}/v1/token` (account host), and fetches a new token before \
       the current one expires. Env: `DATABRICKS_CLIENT_ID`."),
    secret(s("client_secret", Str, Some("DATABRICKS_CLIENT_SECRET"), Used,
      "OAuth secret of the service principal (see `databricks_service_principal_secret`). \
       Env: `DATABRICKS_CLIENT_SECRET`.")),
    secret(s("metadata_service_url", Str, Some("DATABRICKS_METADATA_SERVICE_URL"), OtherAuth,
      "Metadata-service authentication: not supported by Ironbrick (use `token`). Env: \
       `DATABRICKS_METADATA_SERVICE_URL`.")),
    s("oidc_token_env", Str, Some("DATABRICKS_OIDC_TOKEN_ENV"), OtherAuth,
      "OIDC token federation: not supported by Ironbrick (use `token`). Env: \
       `DATABRICKS_OIDC_TOKEN_ENV`."),
    s("databricks_id_token_filepath", Str, Some("DATABRICKS_OIDC_TOKEN_FILEPATH"), OtherAuth,
      "OIDC token federation: not supported by Ironbrick (use `token`). Env: \
       `DATABRICKS_OIDC_TOKEN_FILEPATH`."),
    s("azure_workspace_resource_id", Str, None, OtherCloud, "Azure only: refused at plan time when set (Ironbrick serves AWS workspaces)."),
    s("azure_use_msi", Bool, None, OtherCloud, "Azure only: refused at plan time when set (Ironbrick serves AWS workspaces)."),
    secret(s("azure_client_secret", Str, None, OtherCloud, "Azure only: refused at plan time when set (Ironbrick serves AWS workspaces).")),
    s("azure_client_id", Str, None, OtherCloud, "Azure only: refused at plan time when set (Ironbrick serves AWS workspaces)."),
    s("azure_tenant_id", Str, None, OtherCloud, "Azure only: refused at plan time when set (Ironbrick serves AWS workspaces)."),
    s("azure_environment", Str, None, OtherCloud, "Azure only: refused at plan time when set (Ironbrick serves AWS workspaces)."),
    s("azure_login_app_id", Str, None, OtherCloud, "Azure only: refused at plan time when set (Ironbrick serves AWS workspaces)."),
    s("google_service_account", Str, None, OtherCloud, "GCP only: refused at plan time when set (Ironbrick serves AWS workspaces)."),
    secret(s("google_credentials", Str, None, OtherCloud, "GCP only: refused at plan time when set (Ironbrick serves AWS workspaces).")),
    s("cluster_id", Str, None, Ignored, "Accepted and ignored (no clusters in Ironbrick)."),
    s("warehouse_id", Str, None, Ignored, "Accepted and ignored (no SQL warehouses in Ironbrick)."),
    s("serverless_compute_id", Str, None, Ignored,
      "Accepted and ignored (no serverless compute in Ironbrick)."),
    s("group_id", Str, None, Ignored, "Accepted and ignored."),
    s("scopes", StrList, None, Ignored,
      "OAuth scopes: accepted and ignored (tokens are always requested with `all-apis`)."),
    s("audience", Str, None, Ignored,
      "OIDC token audience: accepted and ignored (OIDC is not supported)."),
    s("discovery_url", Str, None, Ignored,
      "OpenID Connect discovery URL: accepted and ignored (the token endpoint follows from `host` and `account_id`)."),
    s("databricks_cli_path", Str, None, Ignored,
      "Databricks CLI path for `databricks-cli` authentication: accepted and ignored."),
    s("oauth_callback_port", Num, None, Ignored,
      "OAuth user-to-machine callback port: accepted and ignored."),
    s("disable_oauth_refresh_token", Bool, None, Ignored,
      "OAuth user-to-machine refresh tokens: accepted and ignored."),
    s("actions_id_token_request_url", Str, None, Ignored,
      "GitHub Actions OIDC: accepted and ignored (OIDC is not supported)."),
    secret(s("actions_id_token_request_token", Str, None, Ignored,
      "GitHub Actions OIDC: accepted and ignored (OIDC is not supported).")),
];

/// The setting called `name`.
pub(crate) fn setting(name: &str) -> &'static Setting {
    SETTINGS
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no provider setting {name}"))
}

/// The provider block's attributes.
pub(crate) fn attrs() -> Vec<Attr> {
    SETTINGS
        .iter()
        .map(|s| {
            let ty = match s.kind {
                Str => Ty::String,
                Num => Ty::Number,
                Bool => Ty::Bool,
                StrList => Ty::list_of_strings(),
            };
            let a = Attr::optional(s.name, ty, s.doc);
            if s.sensitive {
                a.sensitive()
            } else {
                a
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_docs_name_their_environment_variable() {
        let mut names: Vec<_> = SETTINGS.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SETTINGS.len());
        for s in SETTINGS {
            if let Some(env) = s.env {
                assert!(
                    s.doc.contains(&format!("`{env}`")),
                    "{} doc lacks {env}",
                    s.name
                );
            }
            if s.role == OtherCloud {
                assert!(
                    s.env.is_none(),
                    "{}: other clouds' variables are never read",
                    s.name
                );
            }
        }
    }

    #[test]
    fn secrets_are_sensitive() {
        for name in [
            "token",
            "password",
            "client_secret",
            "azure_client_secret",
            "google_credentials",
            "metadata_service_url",
            "actions_id_token_request_token",
        ] {
            assert!(setting(name).sensitive, "{name}");
        }
        assert!(!setting("host").sensitive);
    }

    #[test]
    fn the_readme_documents_every_setting() {
        let readme = include_str!("../../../../README.md");
        let section = readme
            .split("### Provider settings")
            .nth(1)
            .expect("README has a Provider settings section");
        let table: Vec<&str> = section
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .collect();
        for s in SETTINGS {
            let name = format!("`{}`", s.name);
            let row = table.iter().find(|l| {
                l.trim_start_matches('|')
                    .split('|')
                    .next()
                    .is_some_and(|first| first.split(", ").any(|n| n.trim() == name))
            });
            let row = row.unwrap_or_else(|| panic!("README's settings table lacks {name}"));
            if let (Some(env), Role::Used | Role::OtherAuth) = (s.env, s.role) {
                assert!(
                    row.contains(&format!("`{env}`")),
                    "README: {name} without {env}"
                );
            }
        }
    }
}
