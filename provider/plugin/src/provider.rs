//! The provider block and the connection every resource shares.

use crate::{data_sources, resources};
use ironbrick_api::client::Client;
use std::sync::{Arc, RwLock};
use tf_framework::{
    async_trait, Attr, Block, DataSource, Diagnostics, Obj, Path, Resource, Schema, Ty, Value,
};

/// The provider: `provider "databricks" { host, token, account_id }`.
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
}

#[derive(Debug, Clone)]
struct Settings {
    host: Value<String>,
    token: Value<String>,
    account_id: Value<String>,
    workspace_id: Value<String>,
    client: Option<Client>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            host: Value::Null,
            token: Value::Null,
            account_id: Value::Null,
            workspace_id: Value::Null,
            client: None,
        }
    }
}

/// A setting from the provider block, else its environment variable, else the profile.
fn setting(config: &Obj, name: &str, env: &str, profile: &Profile) -> Value<String> {
    match config.string(name) {
        Value::Known(v) if !v.is_empty() => Value::Known(v),
        Value::Unknown => Value::Unknown,
        _ => std::env::var(env)
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| profile.get(name).cloned())
            .map_or(Value::Null, Value::Known),
    }
}

type Profile = std::collections::BTreeMap<String, String>;

/// One section of a `~/.databrickscfg`-style INI file (`DATABRICKS_CONFIG_FILE` overrides the
/// path). A missing file or section is an empty profile.
fn read_profile(text: &str, name: &str) -> Profile {
    let mut current = String::new();
    let mut out = Profile::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = section.trim().to_owned();
        } else if current == name {
            if let Some((k, v)) = line.split_once('=') {
                out.insert(k.trim().to_owned(), v.trim().to_owned());
            }
        }
    }
    out
}

fn profile(config: &Obj) -> Profile {
    let name = config
        .opt_str("profile")
        .or_else(|| std::env::var("DATABRICKS_CONFIG_PROFILE").ok())
        .unwrap_or_else(|| "DEFAULT".to_owned());
    let path = std::env::var("DATABRICKS_CONFIG_FILE").ok().or_else(|| {
        std::env::var("HOME")
            .ok()
            .map(|h| format!("{h}/.databrickscfg"))
    });
    path.and_then(|p| std::fs::read_to_string(p).ok())
        .map(|text| read_profile(&text, &name))
        .unwrap_or_default()
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
            "The provider's {what} is not known yet (it depends on a resource that has not been \
             created). Apply the resources it depends on first, or use workspace_id on the \
             resource with an account-level provider."
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
        Err(missing("token", &s.token, "DATABRICKS_TOKEN"))
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
            "Ironbrick / Databricks account and workspace security configuration.",
            vec![
                Attr::optional(
                    "host",
                    Ty::String,
                    "Account host (`http://127.0.0.1:8420`) or workspace URL (`{host}/w/{id}`). \
                     Env: `DATABRICKS_HOST`.",
                ),
                Attr::optional(
                    "token",
                    Ty::String,
                    "Personal access token. Env: `DATABRICKS_TOKEN`.",
                )
                .sensitive(),
                Attr::optional(
                    "account_id",
                    Ty::String,
                    "Account id for account-level (`databricks_mws_*`) resources. Env: \
                     `DATABRICKS_ACCOUNT_ID`.",
                ),
                Attr::optional(
                    "workspace_id",
                    Ty::String,
                    "Workspace of workspace-level resources and data sources whose \
                     `provider_config` names none, when `host` is the account host. Env: \
                     `DATABRICKS_WORKSPACE_ID`.",
                ),
                Attr::optional(
                    "profile",
                    Ty::String,
                    "Profile of `~/.databrickscfg` (or `DATABRICKS_CONFIG_FILE`) supplying values \
                     not set here or in the environment. Env: `DATABRICKS_CONFIG_PROFILE`; \
                     default `DEFAULT`.",
                ),
            ],
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
    }

    async fn configure(&self, config: Obj, diags: &mut Diagnostics) {
        let profile = profile(&config);
        let host = setting(&config, "host", "DATABRICKS_HOST", &profile);
        let token = setting(&config, "token", "DATABRICKS_TOKEN", &profile);
        let account_id = setting(&config, "account_id", "DATABRICKS_ACCOUNT_ID", &profile);
        let workspace_id = setting(&config, "workspace_id", "DATABRICKS_WORKSPACE_ID", &profile);
        let client = match (&host, &token) {
            (Value::Known(h), Value::Known(t)) => match Client::new(&normalize_host(h), t) {
                Ok(c) => Some(c),
                Err(e) => {
                    diags.error("Cannot configure the Databricks client", e.to_string());
                    None
                }
            },
            _ => None,
        };
        let mut s = self
            .conn
            .settings
            .write()
            .unwrap_or_else(|p| p.into_inner());
        *s = Settings {
            host,
            token,
            account_id,
            workspace_id,
            client,
        };
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        resources::all(&self.conn)
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        data_sources::all(&self.conn)
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

    #[test]
    fn profiles_come_from_their_own_section() {
        let text = "[DEFAULT]\nhost = http://a\n\n[acct]\n# c\nhost=http://b\ntoken = dapi1\n";
        assert_eq!(read_profile(text, "DEFAULT")["host"], "http://a");
        let p = read_profile(text, "acct");
        assert_eq!(
            (p["host"].as_str(), p["token"].as_str()),
            ("http://b", "dapi1")
        );
        assert!(read_profile(text, "none").is_empty());
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
