//! The provider block and the connection every resource shares.
//!
//! The block accepts every argument of the official provider ([`settings`]); values resolve
//! from the block, the environment and a config-file profile ([`resolve`], [`profile`]).

use crate::{data_sources, resources};
use ironbrick_api::client::{Client, ClientOptions, Credentials, RateLimiter};
use std::sync::{Arc, RwLock};
use tf_framework::{
    async_trait, Block, DataSource, Diagnostics, Obj, Path, Resource, Schema, Value,
};

mod profile;
mod resolve;
mod settings;

use resolve::{AuthType, Problem, Resolved};
use settings::{Role, SETTINGS};

/// The provider: `provider "databricks" { host, token, account_id, ... }`.
#[derive(Debug, Default)]
pub struct Databricks {
    conn: Arc<Conn>,
}

/// The configured connection. Values may stay unknown through `plan` (for example `host` taken
/// from a workspace created in the same apply); an error is reported only when a resource
/// needs a value that is still missing.
#[derive(Debug, Default)]
pub struct Conn {
    settings: RwLock<Settings>,
    /// Paces every request of this provider process (`rate_limit`), whichever client makes it.
    limiter: Arc<RateLimiter>,
}

#[derive(Debug, Clone)]
struct Settings {
    host: Value<String>,
    account_id: Value<String>,
    workspace_id: Value<String>,
    client: Option<Client>,
    /// Why there is no client, when the host is known.
    no_client: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            host: Value::Null,
            account_id: Value::Null,
            workspace_id: Value::Null,
            client: None,
            no_client: String::new(),
        }
    }
}

fn normalize_host(host: &str) -> String {
    let host = host.trim().trim_end_matches('/');
    if host.contains("://") {
        host.to_owned()
    } else {
        format!("https://{host}")
    }
}

fn missing(what: &str, v: &Value<String>, env: &str) -> String {
    match v {
        Value::Unknown => format!(
            "The provider's {what} is not known yet (it depends on a resource that is still to be \
             created or replaced). Apply that resource first, or read this through an \
             account-level provider with `provider_config {{ workspace_id }}`."
        ),
        _ => format!("Set {what} in the provider block or the {env} environment variable."),
    }
}

impl Conn {
    fn read(&self) -> Settings {
        self.settings
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// The HTTP client, or why there is none.
    pub fn client(&self) -> Result<Client, String> {
        let s = self.read();
        if let Some(c) = s.client {
            return Ok(c);
        }
        if !matches!(s.host, Value::Known(_)) {
            return Err(missing("host", &s.host, "DATABRICKS_HOST"));
        }
        Err(s.no_client)
    }

    /// The account id to use: the resource's own when set, else the provider's.
    pub fn account_id(&self, own: Option<String>) -> Result<String, String> {
        if let Some(id) = own {
            return Ok(id);
        }
        match self.read().account_id {
            Value::Known(id) => Ok(id),
            other => Err(missing("account_id", &other, "DATABRICKS_ACCOUNT_ID")),
        }
    }

    /// The provider-level `workspace_id`: the workspace of workspace-level objects whose
    /// `provider_config` names none.
    pub fn default_workspace_id(&self) -> Value<String> {
        self.read().workspace_id
    }

    /// Whether the provider is configured for the account: its host is the server itself (not
    /// a `/w/{id}` workspace URL), `account_id` is set and no provider-level `workspace_id`
    /// names a workspace. Account-or-workspace types (users, groups, ...) then use the
    /// account API, as the official provider does with an account host.
    pub fn account_level(&self) -> bool {
        let s = self.read();
        let host_is_root = match &s.host {
            Value::Known(h) => !normalize_host(h).contains("/w/"),
            _ => false,
        };
        let no_workspace = !matches!(&s.workspace_id, Value::Known(w) if !w.is_empty());
        host_is_root && no_workspace && matches!(s.account_id, Value::Known(_))
    }

    /// A connection with these settings and no client (unit tests of level decisions).
    #[cfg(test)]
    pub fn with_settings(host: &str, account_id: Option<&str>, workspace_id: Option<&str>) -> Conn {
        let known = |v: Option<&str>| v.map_or(Value::Null, |s| Value::Known(s.to_owned()));
        let conn = Conn::default();
        *conn.settings.write().unwrap_or_else(|p| p.into_inner()) = Settings {
            host: Value::Known(host.to_owned()),
            account_id: known(account_id),
            workspace_id: known(workspace_id),
            ..Settings::default()
        };
        conn
    }

    /// The account API base URL and client.
    pub fn account(&self, own: Option<String>) -> Result<(Client, String), String> {
        let client = self.client()?;
        let base = client.account_base(&self.account_id(own)?);
        Ok((client, base))
    }

    /// The workspace API base URL and client: of `workspace_id` on the provider's host when
    /// given, else of the provider's host (which must then be a workspace URL).
    pub fn workspace(&self, workspace_id: Option<i64>) -> Result<(Client, String), String> {
        let client = self.client()?;
        let base = client.workspace_base(workspace_id);
        Ok((client, base))
    }
}

#[async_trait]
impl tf_framework::Provider for Databricks {
    fn type_name(&self) -> &'static str {
        "databricks"
    }

    fn schema(&self) -> Schema {
        Schema::new(Block::new(
            "Ironbrick / Databricks account and workspace security configuration. Accepts every \
             argument of the official provider; settings for other clouds and other \
             authentication types are refused, settings without meaning here are ignored.",
            settings::attrs(),
        ))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        if let Value::Known(h) = config.string("host") {
            if !h.is_empty() && reqwest_like_url(&normalize_host(&h)).is_none() {
                diags.error_at(
                    Path::attr("host"),
                    "Invalid host",
                    format!("{h:?} is not a URL such as http://127.0.0.1:8420."),
                );
            }
        }
        let other_clouds: Vec<&str> = SETTINGS
            .iter()
            .filter(|s| s.role == Role::OtherCloud)
            .map(|s| s.name)
            .collect();
        crate::validate::aws_only(config, &other_clouds, diags);
        if let Value::Known(c) = config.string("cloud") {
            if !c.is_empty() && !c.eq_ignore_ascii_case("aws") {
                diags.error_at(
                    Path::attr("cloud"),
                    "cloud is not supported",
                    format!("cloud = {c:?} is not supported: Ironbrick serves AWS workspaces."),
                );
            }
        }
        if let Value::Known(t) = config.string("auth_type") {
            if !t.is_empty() && !resolve::AUTH_TYPES.iter().any(|(name, _)| *name == t) {
                diags.error_at(
                    Path::attr("auth_type"),
                    format!("auth_type {t:?} is not supported"),
                    format!(
                        "auth_type {t:?} is not supported. {}",
                        resolve::SUPPORTED_AUTH
                    ),
                );
            }
        }
        for p in resolve::check_block_numbers(config) {
            report(diags, p, false);
        }
    }

    async fn configure(&self, config: Obj, diags: &mut Diagnostics) {
        let mut r = resolve::resolve(&config, &|k| std::env::var(k).ok());
        for p in std::mem::take(&mut r.warnings) {
            report(diags, p, true);
        }
        let ok = r.errors.is_empty();
        for p in std::mem::take(&mut r.errors) {
            report(diags, p, false);
        }
        self.conn.limiter.set_rate(r.wire.rate_limit);
        let options = ClientOptions {
            http_timeout: r.wire.http_timeout,
            retry_timeout: r.wire.retry_timeout,
            limiter: Arc::clone(&self.conn.limiter),
            skip_verify: r.wire.skip_verify,
            debug_truncate_bytes: r.wire.debug_truncate_bytes,
            debug_headers: r.wire.debug_headers,
            ..ClientOptions::default()
        };
        let (client, no_client) = match (&r.host, credentials(&r)) {
            (Value::Known(h), Ok(creds)) if ok => {
                match Client::with_credentials(&normalize_host(h), creds, options) {
                    Ok(c) => (Some(c), String::new()),
                    Err(e) => {
                        diags.error("Cannot configure the Databricks client", e.to_string());
                        (None, e.to_string())
                    }
                }
            }
            (_, Err(why)) => (None, why),
            _ => (None, "The provider configuration has errors.".to_owned()),
        };
        let mut s = self
            .conn
            .settings
            .write()
            .unwrap_or_else(|p| p.into_inner());
        *s = Settings {
            host: r.host,
            account_id: r.account_id,
            workspace_id: r.workspace_id,
            client,
            no_client,
        };
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        resources::all(&self.conn)
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        data_sources::all(&self.conn)
    }
}

/// The credentials of the resolved authentication type, or why they are not (yet) complete.
fn credentials(r: &Resolved) -> Result<Credentials, String> {
    let value = |v: &Value<String>, name: &str, env: &str| match v {
        Value::Known(v) => Ok(v.clone()),
        other => Err(missing(name, other, env)),
    };
    match r.auth_type {
        None => Err(format!(
            "Set token (or DATABRICKS_TOKEN), username and password, or client_id and \
             client_secret in the provider block, the environment or a config-file profile. {}",
            resolve::SUPPORTED_AUTH
        )),
        Some(AuthType::Pat) => Ok(Credentials::Token(value(
            &r.token,
            "token",
            "DATABRICKS_TOKEN",
        )?)),
        Some(AuthType::Basic) => Ok(Credentials::Basic {
            username: value(&r.username, "username", "DATABRICKS_USERNAME")?,
            password: value(&r.password, "password", "DATABRICKS_PASSWORD")?,
        }),
        Some(AuthType::OAuthM2M) => {
            let id = value(&r.client_id, "client_id", "DATABRICKS_CLIENT_ID")?;
            let secret = value(
                &r.client_secret,
                "client_secret",
                "DATABRICKS_CLIENT_SECRET",
            )?;
            let host = normalize_host(&value(&r.host, "host", "DATABRICKS_HOST")?);
            let token_url = match &r.account_id {
                Value::Known(account) if !host.contains("/w/") => {
                    format!("{host}/oidc/accounts/{account}/v1/token")
                }
                Value::Unknown if !host.contains("/w/") => {
                    return Err(missing(
                        "account_id",
                        &r.account_id,
                        "DATABRICKS_ACCOUNT_ID",
                    ))
                }
                _ => format!("{host}/oidc/v1/token"),
            };
            Ok(Credentials::oauth_m2m(&id, &secret, &token_url))
        }
    }
}

/// A resolution problem as a diagnostic, on its attribute when the block set it.
fn report(diags: &mut Diagnostics, p: Problem, warning: bool) {
    match (warning, p.attr) {
        (true, _) => diags.warning(p.summary, p.detail),
        (false, Some(a)) => diags.error_at(Path::attr(a), p.summary, p.detail),
        (false, None) => diags.error(p.summary, p.detail),
    }
}

/// `Some(())` when `url` has an http(s) scheme and a non-empty authority.
fn reqwest_like_url(url: &str) -> Option<()> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let authority = rest.split('/').next()?;
    (!authority.is_empty() && !authority.contains(' ')).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_get_a_scheme_and_lose_trailing_slashes() {
        assert_eq!(normalize_host("h.example/"), "https://h.example");
        assert_eq!(
            normalize_host("http://127.0.0.1:1/w/5"),
            "http://127.0.0.1:1/w/5"
        );
        assert!(reqwest_like_url("http://127.0.0.1:8420").is_some());
        assert!(reqwest_like_url("https:///x").is_none());
    }

    fn obj(pairs: &[(&str, tf_framework::Dyn)]) -> Obj {
        let mut o = Obj::new();
        for (k, v) in pairs {
            o.set(k, v.clone());
        }
        o
    }

    fn validated(pairs: &[(&str, tf_framework::Dyn)]) -> String {
        let mut diags = Diagnostics::default();
        tf_framework::Provider::validate(&Databricks::default(), &obj(pairs), &mut diags);
        format!("{diags:?}")
    }

    #[test]
    fn plan_refuses_other_clouds_and_other_auth_types_and_bad_numbers() {
        use tf_framework::Dyn;
        for (name, v) in [
            ("azure_workspace_resource_id", Dyn::from("/subscriptions/x")),
            ("azure_use_msi", Dyn::Bool(true)),
            ("google_service_account", Dyn::from("sa@p.iam")),
        ] {
            let out = validated(&[(name, v)]);
            assert!(
                out.contains(&format!(
                    "{name} is not supported: Ironbrick serves AWS workspaces."
                )),
                "{out}"
            );
        }
        let out = validated(&[("cloud", "gcp".into())]);
        assert!(out.contains("cloud is not supported"), "{out}");
        assert!(
            out.contains("gcp") && out.contains("Ironbrick serves AWS workspaces"),
            "{out}"
        );
        let out = validated(&[("auth_type", "azure-cli".into())]);
        assert!(
            out.contains("azure-cli") && out.contains("is not supported"),
            "{out}"
        );
        for t in ["pat", "basic", "oauth-m2m"] {
            let out = validated(&[("auth_type", t.into())]);
            assert!(!out.contains("error: true"), "{t}: {out}");
        }
        let out = validated(&[("rate_limit", Dyn::Int(-1))]);
        assert!(out.contains("Invalid rate_limit"), "{out}");
        let fine = validated(&[
            ("cloud", "aws".into()),
            ("auth_type", "pat".into()),
            ("cluster_id", "0123-abc".into()),
            ("warehouse_id", "w".into()),
            ("scopes", Dyn::from(vec!["all-apis".to_owned()])),
            ("rate_limit", Dyn::Unknown),
            ("azure_client_id", Dyn::Null),
        ]);
        assert!(!fine.contains("error: true"), "{fine}");
    }

    #[tokio::test]
    async fn configure_builds_one_client_with_the_settings_and_the_shared_limiter() {
        use tf_framework::Dyn;
        let p = Databricks::default();
        let mut diags = Diagnostics::default();
        let config = obj(&[
            ("host", "http://127.0.0.1:1/".into()),
            ("token", "dapi-configure-test".into()),
            ("rate_limit", Dyn::Int(7)),
            ("http_timeout_seconds", Dyn::Int(3)),
            ("retry_timeout_seconds", Dyn::Int(-1)),
            ("debug_headers", Dyn::Bool(true)),
            ("skip_verify", Dyn::Bool(true)),
            ("cluster_id", "ignored".into()),
        ]);
        tf_framework::Provider::configure(&p, config, &mut diags).await;
        assert!(!diags.has_errors(), "{diags:?}");
        let c = p.conn.client().expect("client");
        assert_eq!(c.host(), "http://127.0.0.1:1");
        let o = c.options();
        assert_eq!(o.http_timeout, std::time::Duration::from_secs(3));
        assert_eq!(o.retry_timeout, None);
        assert!(o.debug_headers && o.skip_verify);
        assert!(
            Arc::ptr_eq(&o.limiter, &p.conn.limiter),
            "one limiter per process"
        );
        assert_eq!(p.conn.limiter.rate(), 7);
        assert!(!format!("{c:?}").contains("dapi-configure-test"));
    }

    #[tokio::test]
    async fn configure_refuses_unsupported_authentication() {
        let p = Databricks::default();
        let mut diags = Diagnostics::default();
        let config = obj(&[
            ("host", "http://127.0.0.1:1".into()),
            (
                "metadata_service_url",
                "http://127.0.0.1:2/secret-path".into(),
            ),
        ]);
        tf_framework::Provider::configure(&p, config, &mut diags).await;
        let out = format!("{diags:?}");
        assert!(diags.has_errors());
        assert!(
            out.contains("metadata_service_url is not supported"),
            "{out}"
        );
        assert!(!out.contains("secret-path"), "values are not echoed: {out}");
        assert!(p.conn.client().is_err());
    }

    fn resolved(pairs: &[(&str, tf_framework::Dyn)]) -> Resolved {
        resolve::resolve(&obj(pairs), &|_| None)
    }

    #[test]
    fn oauth_token_endpoints_follow_the_host_and_the_account() {
        let m2m = [
            ("client_id", "app".into()),
            ("client_secret", "dose-s".into()),
        ];
        let with = |extra: &[(&str, tf_framework::Dyn)]| {
            let mut pairs = m2m.to_vec();
            pairs.extend_from_slice(extra);
            format!("{:?}", credentials(&resolved(&pairs)))
        };
        let account = with(&[("host", "http://h:1".into()), ("account_id", "acc".into())]);
        assert!(
            account.contains("http://h:1/oidc/accounts/acc/v1/token"),
            "{account}"
        );
        assert!(!account.contains("dose-s"), "{account}");
        let ws = with(&[
            ("host", "http://h:1/w/7/".into()),
            ("account_id", "acc".into()),
        ]);
        assert!(ws.contains("http://h:1/w/7/oidc/v1/token"), "{ws}");
        let host_form = with(&[("host", "https://dep.example.com".into())]);
        assert!(
            host_form.contains("https://dep.example.com/oidc/v1/token"),
            "{host_form}"
        );
        let later = with(&[
            ("host", "http://h:1".into()),
            ("account_id", tf_framework::Dyn::Unknown),
        ]);
        assert!(later.contains("account_id is not known yet"), "{later}");
        let r = resolved(&[("host", "http://h:1".into()), ("client_id", "app".into())]);
        let err = credentials(&r).unwrap_err();
        assert!(err.contains("DATABRICKS_CLIENT_SECRET"), "{err}");
        let r = resolved(&[
            ("host", "http://h:1".into()),
            ("username", "u".into()),
            ("password", "pw-basic".into()),
        ]);
        let basic = format!("{:?}", credentials(&r));
        assert!(
            basic.contains("Basic(u:***)") && !basic.contains("pw-basic"),
            "{basic}"
        );
    }

    #[test]
    fn missing_values_explain_themselves() {
        let conn = Conn::default();
        assert!(conn.client().unwrap_err().contains("DATABRICKS_HOST"));
        *conn.settings.write().unwrap() = Settings {
            host: Value::Unknown,
            ..Settings::default()
        };
        assert!(conn.client().unwrap_err().contains("not known yet"));
        assert_eq!(conn.account_id(Some("a".into())).unwrap(), "a");
    }
}
