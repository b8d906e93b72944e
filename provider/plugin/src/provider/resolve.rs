//! Resolution of the provider settings, as the official provider resolves them: the provider
//! block, else the setting's environment variable, else the config-file profile (see
//! [`super::profile`]). Values are typed and checked here; unsupported authentication and
//! clouds are refused with diagnostics that say what Ironbrick supports.

use super::profile::{self, Profile};
use super::settings::{setting, Kind, Role, Setting, SETTINGS};
use ironbrick_api::client::{
    DEFAULT_DEBUG_TRUNCATE_BYTES, DEFAULT_HTTP_TIMEOUT_SECONDS, DEFAULT_RATE_LIMIT,
    DEFAULT_RETRY_TIMEOUT_SECONDS,
};
use std::fmt;
use std::time::Duration;
use tf_framework::{Dyn, Obj, Value};

/// Reads an environment variable (the process environment, or a map in tests).
pub(crate) type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// What Ironbrick supports, for diagnostics about other authentication.
pub(crate) const SUPPORTED_AUTH: &str = "Ironbrick supports the authentication types `pat` \
    (`token`), `basic` (`username` and `password`) and `oauth-m2m` (`client_id` and \
    `client_secret` of a service principal), from the provider block, the DATABRICKS_* \
    environment variables or a config-file profile.";

/// The authentication types Ironbrick implements, with the settings of each.
pub(crate) const AUTH_TYPES: [(&str, &[&str]); 3] = [
    ("pat", &["token"]),
    ("basic", &["username", "password"]),
    ("oauth-m2m", &["client_id", "client_secret"]),
];

/// How the provider authenticates, once resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthType {
    Pat,
    Basic,
    OAuthM2M,
}

impl AuthType {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "pat" => Some(Self::Pat),
            "basic" => Some(Self::Basic),
            "oauth-m2m" => Some(Self::OAuthM2M),
            _ => None,
        }
    }

    /// The `auth_type` value.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Pat => "pat",
            Self::Basic => "basic",
            Self::OAuthM2M => "oauth-m2m",
        }
    }
}

/// The authentication type a credential setting belongs to (supported or not).
fn auth_type_of(name: &str) -> Option<&'static str> {
    if let Some((t, _)) = AUTH_TYPES.iter().find(|(_, names)| names.contains(&name)) {
        return Some(t);
    }
    match name {
        "metadata_service_url" => Some("metadata-service"),
        "oidc_token_env" | "databricks_id_token_filepath" => Some("OIDC token federation"),
        _ => None,
    }
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    Block,
    Env(&'static str),
    Profile(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Block => f.write_str("the provider block"),
            Source::Env(var) => write!(f, "environment variable {var}"),
            Source::Profile(origin) => f.write_str(origin),
        }
    }
}

/// A configuration problem: a diagnostic, attached to the attribute when the block set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub attr: Option<&'static str>,
    pub summary: String,
    pub detail: String,
}

/// The wire behaviour the settings ask for (see `ironbrick_api::client::ClientOptions`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Wire {
    pub http_timeout: Duration,
    pub rate_limit: u32,
    /// `None`: retry without end.
    pub retry_timeout: Option<Duration>,
    pub skip_verify: bool,
    pub debug_truncate_bytes: usize,
    pub debug_headers: bool,
}

impl Default for Wire {
    fn default() -> Self {
        Self {
            http_timeout: Duration::from_secs(DEFAULT_HTTP_TIMEOUT_SECONDS),
            rate_limit: DEFAULT_RATE_LIMIT,
            retry_timeout: Some(Duration::from_secs(DEFAULT_RETRY_TIMEOUT_SECONDS)),
            skip_verify: false,
            debug_truncate_bytes: DEFAULT_DEBUG_TRUNCATE_BYTES,
            debug_headers: false,
        }
    }
}

/// The resolved settings Ironbrick uses.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub host: Value<String>,
    /// The authentication type: `auth_type`, else the one whose settings are given; `None`
    /// when nothing is set or `auth_type` is not known yet.
    pub auth_type: Option<AuthType>,
    pub token: Value<String>,
    pub username: Value<String>,
    pub password: Value<String>,
    pub client_id: Value<String>,
    pub client_secret: Value<String>,
    pub account_id: Value<String>,
    pub workspace_id: Value<String>,
    pub wire: Wire,
    /// Errors: configuration fails.
    pub errors: Vec<Problem>,
    /// Warnings (settings ignored).
    pub warnings: Vec<Problem>,
}

/// A raw value before typing: from the block (any Terraform value, possibly unknown) or text
/// from the environment or a profile.
#[derive(Debug, Clone)]
enum Raw {
    Block(Dyn),
    Text(String),
}

struct Sources<'a> {
    block: &'a Obj,
    env: Env<'a>,
    profile: Profile,
}

impl Sources<'_> {
    fn raw(&self, s: &'static Setting) -> Option<(Raw, Source)> {
        match self.block.get(s.name) {
            Dyn::Null => {}
            Dyn::String(v) if v.is_empty() => {}
            Dyn::List(v) if v.is_empty() => {}
            v => return Some((Raw::Block(v.clone()), Source::Block)),
        }
        if matches!(s.role, Role::Used | Role::OtherAuth) {
            if let Some(var) = s.env {
                if let Some(v) = (self.env)(var).filter(|v| !v.is_empty()) {
                    return Some((Raw::Text(v), Source::Env(var)));
                }
            }
        }
        if s.in_profile {
            if let Some(v) = self.profile.values.get(s.name).filter(|v| !v.is_empty()) {
                return Some((
                    Raw::Text(v.clone()),
                    Source::Profile(self.profile.origin.clone()),
                ));
            }
        }
        None
    }

    fn string(&self, name: &str) -> (Value<String>, Option<Source>) {
        match self.raw(setting(name)) {
            None => (Value::Null, None),
            Some((Raw::Text(v), src)) => (Value::Known(v), Some(src)),
            Some((Raw::Block(v), src)) => {
                let v = match v {
                    Dyn::String(s) => Value::Known(s),
                    Dyn::Int(i) => Value::Known(i.to_string()),
                    Dyn::Unknown => Value::Unknown,
                    _ => Value::Null,
                };
                (v, Some(src))
            }
        }
    }

    /// A number; `Ok(None)` when unset or unknown.
    fn number(&self, name: &'static str) -> Result<Option<f64>, Problem> {
        let Some((raw, src)) = self.raw(setting(name)) else {
            return Ok(None);
        };
        let v = match raw {
            Raw::Block(Dyn::Int(i)) => i as f64,
            Raw::Block(Dyn::Float(x)) => x,
            Raw::Block(_) => return Ok(None),
            Raw::Text(t) => t
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| invalid(name, &src, format!("{t:?} is not a number.")))?,
        };
        check_number(name, v).map_err(|why| invalid(name, &src, why))?;
        Ok(Some(v))
    }

    /// A boolean; `Ok(None)` when unset or unknown. Text takes Go's spellings (`true`, `1`, `t`).
    fn boolean(&self, name: &'static str) -> Result<Option<bool>, Problem> {
        let Some((raw, src)) = self.raw(setting(name)) else {
            return Ok(None);
        };
        match raw {
            Raw::Block(Dyn::Bool(b)) => Ok(Some(b)),
            Raw::Block(_) => Ok(None),
            Raw::Text(t) => match t.trim() {
                "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(Some(true)),
                "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(Some(false)),
                other => Err(invalid(
                    name,
                    &src,
                    format!("{other:?} is not true or false."),
                )),
            },
        }
    }
}

fn invalid(name: &'static str, src: &Source, why: String) -> Problem {
    Problem {
        attr: (*src == Source::Block).then_some(name),
        summary: format!("Invalid {name}"),
        detail: format!("{name} from {src}: {why}"),
    }
}

/// The range rules of numeric settings (0 means the default, as in the official provider).
pub(crate) fn check_number(name: &str, v: f64) -> Result<(), String> {
    let whole = v.fract() == 0.0;
    match name {
        "http_timeout_seconds" if v < 0.0 => Err(format!("{v} is negative.")),
        "rate_limit" | "debug_truncate_bytes" if v < 0.0 || !whole || v > f64::from(u32::MAX) => {
            Err(format!("{v} is not a whole number of at least 0."))
        }
        _ => Ok(()),
    }
}

/// Resolves every setting from `block`, the environment and the config file.
pub(crate) fn resolve(block: &Obj, env: Env<'_>) -> Resolved {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut sources = Sources {
        block,
        env,
        profile: Profile::default(),
    };
    if let Some(req) = profile_request(&sources) {
        match profile::load(&req) {
            Ok(p) => sources.profile = p,
            Err(why) => errors.push(Problem {
                attr: None,
                summary: "Cannot read the Databricks config file".to_owned(),
                detail: why,
            }),
        }
    }

    let auth_type = resolve_auth_type(&sources, &mut errors, &mut warnings);

    if let (Value::Known(c), Some(src)) = sources.string("cloud") {
        if !c.eq_ignore_ascii_case("aws") {
            errors.push(Problem {
                attr: (src == Source::Block).then_some("cloud"),
                summary: "cloud is not supported".to_owned(),
                detail: format!(
                    "cloud = {c:?} (from {src}) is not supported: Ironbrick serves AWS \
                     workspaces. Leave cloud unset or set it to \"aws\"."
                ),
            });
        }
    }

    let mut wire = Wire::default();
    let mut take = |r: Result<Option<f64>, Problem>| match r {
        Ok(v) => v.filter(|v| *v != 0.0),
        Err(p) => {
            errors.push(p);
            None
        }
    };
    if let Some(v) = take(sources.number("http_timeout_seconds")) {
        wire.http_timeout = Duration::from_secs_f64(v);
    }
    if let Some(v) = take(sources.number("rate_limit")) {
        wire.rate_limit = v as u32;
    }
    if let Some(v) = take(sources.number("retry_timeout_seconds")) {
        wire.retry_timeout = (v > 0.0).then(|| Duration::from_secs_f64(v));
    }
    if let Some(v) = take(sources.number("debug_truncate_bytes")) {
        wire.debug_truncate_bytes = v as usize;
    }
    for (name, slot) in [
        ("skip_verify", &mut wire.skip_verify),
        ("debug_headers", &mut wire.debug_headers),
    ] {
        match sources.boolean(name) {
            Ok(Some(b)) => *slot = b,
            Ok(None) => {}
            Err(p) => errors.push(p),
        }
    }

    Resolved {
        host: sources.string("host").0,
        auth_type,
        token: sources.string("token").0,
        username: sources.string("username").0,
        password: sources.string("password").0,
        client_id: sources.string("client_id").0,
        client_secret: sources.string("client_secret").0,
        account_id: sources.string("account_id").0,
        workspace_id: sources.string("workspace_id").0,
        wire,
        errors,
        warnings,
    }
}

/// The authentication type, as the official SDKs choose it: `auth_type` when set (settings of
/// other types are then ignored, with a warning), else the one type whose settings are given
/// (settings of more than one type are an error, as are settings of unsupported types).
fn resolve_auth_type(
    sources: &Sources<'_>,
    errors: &mut Vec<Problem>,
    warnings: &mut Vec<Problem>,
) -> Option<AuthType> {
    let given: Vec<(&'static Setting, Source, &'static str)> = SETTINGS
        .iter()
        .filter_map(|s| Some((s, auth_type_of(s.name)?)))
        .filter_map(|(s, t)| sources.raw(s).map(|(_, src)| (s, src, t)))
        .collect();
    let attr = |s: &'static Setting, src: &Source| (*src == Source::Block).then_some(s.name);
    match sources.string("auth_type") {
        (Value::Unknown, _) => None,
        (Value::Known(t), Some(src)) => {
            let Some(chosen) = AuthType::parse(&t) else {
                errors.push(Problem {
                    attr: (src == Source::Block).then_some("auth_type"),
                    summary: format!("auth_type {t:?} is not supported"),
                    detail: format!(
                        "auth_type {t:?} (from {src}) is not supported. {SUPPORTED_AUTH}"
                    ),
                });
                return None;
            };
            for (s, src, _) in given.iter().filter(|(_, _, of)| *of != chosen.name()) {
                warnings.push(Problem {
                    attr: attr(s, src),
                    summary: format!("{} is ignored", s.name),
                    detail: format!("{} (from {src}) is ignored: auth_type is {t:?}.", s.name),
                });
            }
            Some(chosen)
        }
        _ => {
            let mut used: Vec<&'static str> = Vec::new();
            for (s, src, t) in &given {
                if AuthType::parse(t).is_none() {
                    errors.push(Problem {
                        attr: attr(s, src),
                        summary: format!("{} is not supported", s.name),
                        detail: format!(
                            "{} (from {src}) selects {t} authentication, which Ironbrick does \
                             not support. {SUPPORTED_AUTH}",
                            s.name
                        ),
                    });
                } else if !used.contains(t) {
                    used.push(t);
                }
            }
            if used.len() > 1 {
                used.sort_unstable();
                errors.push(Problem {
                    attr: None,
                    summary: "More than one authentication type configured".to_owned(),
                    detail: format!(
                        "Settings of more than one authentication type are given ({}). Set \
                         auth_type to the one to use, or remove the others.",
                        used.join(" and ")
                    ),
                });
                return None;
            }
            used.first().and_then(|t| AuthType::parse(t))
        }
    }
}

/// Which profile to read, if any: always when one is named; otherwise only when neither the
/// host nor any credential is set in the block or the environment (the official rule).
fn profile_request(sources: &Sources<'_>) -> Option<profile::Request> {
    let (named, _) = sources.string("profile");
    let (path, path_src) = sources.string("config_file");
    if named.is_unknown() || path.is_unknown() {
        return None;
    }
    let named = named.known().filter(|p| !p.is_empty());
    if named.is_none() {
        let configured = SETTINGS
            .iter()
            .filter(|s| {
                s.name == "host" || auth_type_of(s.name).is_some() || s.role == Role::OtherCloud
            })
            .any(|s| sources.raw(s).is_some());
        if configured {
            return None;
        }
    }
    Some(profile::Request {
        path: path
            .known()
            .unwrap_or_else(|| "~/.databrickscfg".to_owned()),
        explicit_path: path_src.is_some(),
        profile: named,
        home: (sources.env)("HOME"),
    })
}

/// Plan-time checks of numbers written in the block.
pub(crate) fn check_block_numbers(block: &Obj) -> Vec<Problem> {
    let sources = Sources {
        block,
        env: &|_| None,
        profile: Profile::default(),
    };
    SETTINGS
        .iter()
        .filter(|s| s.kind == Kind::Num && s.role == Role::Used)
        .filter_map(|s| sources.number(s.name).err())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn block(pairs: &[(&str, Dyn)]) -> Obj {
        let mut o = Obj::new();
        for (k, v) in pairs {
            o.set(k, v.clone());
        }
        o
    }

    fn cfg(text: &str) -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("databrickscfg");
        std::fs::write(&path, text).expect("write");
        let path = path.display().to_string();
        (dir, path)
    }

    fn known(v: &Value<String>) -> &str {
        match v {
            Value::Known(s) => s,
            _ => panic!("not known: {v:?}"),
        }
    }

    #[test]
    fn the_block_wins_over_the_environment_which_wins_over_the_profile() {
        let (_dir, path) = cfg(
            "[p]\nhost = http://profile\ntoken = dapiPROFILE\naccount_id = acct-profile\n\
             workspace_id = 3\nrate_limit = 3\nhttp_timeout_seconds = 7\n",
        );
        let e = env(&[
            ("DATABRICKS_CONFIG_FILE", &path),
            ("DATABRICKS_TOKEN", "dapiENV"),
            ("DATABRICKS_ACCOUNT_ID", "acct-env"),
            ("DATABRICKS_RATE_LIMIT", "5"),
        ]);
        let b = block(&[
            ("profile", "p".into()),
            ("host", "http://block".into()),
            ("rate_limit", Dyn::Int(9)),
        ]);
        let r = resolve(&b, &e);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(known(&r.host), "http://block", "block over env and profile");
        assert_eq!(known(&r.token), "dapiENV", "env over profile");
        assert_eq!(known(&r.account_id), "acct-env");
        assert_eq!(known(&r.workspace_id), "3", "profile when nothing else");
        assert_eq!(r.wire.rate_limit, 9);
        assert_eq!(r.wire.http_timeout, Duration::from_secs(7));

        let r = resolve(&block(&[("profile", "p".into())]), &e);
        assert_eq!(r.wire.rate_limit, 5, "env over profile");
        assert_eq!(known(&r.host), "http://profile");
    }

    #[test]
    fn defaults_are_the_official_ones_but_the_rate_limit() {
        let r = resolve(&Obj::new(), &env(&[]));
        assert_eq!(r.wire, Wire::default());
        assert_eq!(r.wire.http_timeout, Duration::from_secs(60));
        assert_eq!(
            r.wire.rate_limit, 0,
            "not paced (the official SDKs pace at 15/s)"
        );
        assert_eq!(r.wire.retry_timeout, Some(Duration::from_secs(300)));
        assert_eq!(r.wire.debug_truncate_bytes, 96);
        assert!(!r.wire.skip_verify && !r.wire.debug_headers);
        assert_eq!(r.host, Value::Null);
        let zeros = block(&[
            ("rate_limit", Dyn::Int(0)),
            ("http_timeout_seconds", Dyn::Int(0)),
            ("retry_timeout_seconds", Dyn::Int(0)),
        ]);
        assert_eq!(
            resolve(&zeros, &env(&[])).wire,
            Wire::default(),
            "0 means default"
        );
    }

    #[test]
    fn wire_settings_come_from_block_env_and_profile() {
        let b = block(&[
            ("http_timeout_seconds", Dyn::Float(2.5)),
            ("retry_timeout_seconds", Dyn::Int(-1)),
            ("skip_verify", Dyn::Bool(true)),
        ]);
        let e = env(&[
            ("DATABRICKS_DEBUG_TRUNCATE_BYTES", "200"),
            ("DATABRICKS_DEBUG_HEADERS", "true"),
        ]);
        let w = resolve(&b, &e).wire;
        assert_eq!(w.http_timeout, Duration::from_millis(2500));
        assert_eq!(w.retry_timeout, None, "negative: retry without end");
        assert!(w.skip_verify && w.debug_headers);
        assert_eq!(w.debug_truncate_bytes, 200);

        let (_dir, path) = cfg("[DEFAULT]\nskip_verify = 1\nretry_timeout_seconds = 12\n");
        let w = resolve(&Obj::new(), &env(&[("DATABRICKS_CONFIG_FILE", &path)])).wire;
        assert!(w.skip_verify);
        assert_eq!(w.retry_timeout, Some(Duration::from_secs(12)));
    }

    #[test]
    fn bad_values_are_reported_with_their_source() {
        let e = env(&[
            ("DATABRICKS_RATE_LIMIT", "fast"),
            ("DATABRICKS_DEBUG_HEADERS", "yes"),
        ]);
        let r = resolve(&block(&[("http_timeout_seconds", Dyn::Int(-5))]), &e);
        let details: Vec<_> = r.errors.iter().map(|p| p.detail.as_str()).collect();
        assert!(
            details.iter().any(|d| d
                .contains("environment variable DATABRICKS_RATE_LIMIT: \"fast\" is not a number")),
            "{details:?}"
        );
        assert!(
            details
                .iter()
                .any(|d| d.contains("DATABRICKS_DEBUG_HEADERS: \"yes\" is not true or false")),
            "{details:?}"
        );
        let timeout = r
            .errors
            .iter()
            .find(|p| p.summary == "Invalid http_timeout_seconds");
        assert_eq!(timeout.and_then(|p| p.attr), Some("http_timeout_seconds"));
        assert_eq!(
            check_block_numbers(&block(&[("rate_limit", Dyn::Float(1.5))])).len(),
            1
        );
        assert!(check_block_numbers(&block(&[("rate_limit", Dyn::Unknown)])).is_empty());
    }

    #[test]
    fn the_profile_is_read_only_when_named_or_nothing_is_configured() {
        let (_dir, path) = cfg("[DEFAULT]\nhost = http://default\ntoken = dapiDEFAULT\n");
        let file = ("DATABRICKS_CONFIG_FILE", path.as_str());
        let r = resolve(&Obj::new(), &env(&[file]));
        assert_eq!(
            known(&r.token),
            "dapiDEFAULT",
            "nothing configured: DEFAULT profile"
        );
        let r = resolve(&block(&[("host", "http://h".into())]), &env(&[file]));
        assert_eq!(
            r.token,
            Value::Null,
            "host set and no profile named: file not read"
        );
        let r = resolve(&Obj::new(), &env(&[file, ("DATABRICKS_TOKEN", "dapiENV")]));
        assert_eq!(r.host, Value::Null, "a credential set: file not read");
        let r = resolve(
            &block(&[
                ("config_file", path.clone().into()),
                ("profile", "DEFAULT".into()),
            ]),
            &env(&[("DATABRICKS_TOKEN", "dapiENV")]),
        );
        assert_eq!(
            known(&r.host),
            "http://default",
            "named profile always read"
        );
        assert_eq!(known(&r.token), "dapiENV");

        let r = resolve(&block(&[("profile", "nope".into())]), &env(&[file]));
        assert_eq!(r.errors.len(), 1);
        assert!(
            r.errors[0]
                .detail
                .contains("has no nope profile configured"),
            "{:?}",
            r.errors
        );
        let r = resolve(
            &block(&[("config_file", "/nonexistent/cfg".into())]),
            &env(&[]),
        );
        assert!(
            r.errors[0]
                .detail
                .contains("/nonexistent/cfg does not exist"),
            "{:?}",
            r.errors
        );
        let r = resolve(&block(&[("profile", Dyn::Unknown)]), &env(&[file]));
        assert!(
            r.errors.is_empty() && r.host == Value::Null,
            "unknown profile: wait"
        );
    }

    #[test]
    fn the_home_directory_config_file_is_the_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join(".databrickscfg"),
            "[DEFAULT]\nhost = http://home\n",
        )
        .expect("write");
        let home = dir.path().display().to_string();
        let r = resolve(&Obj::new(), &env(&[("HOME", &home)]));
        assert_eq!(known(&r.host), "http://home");
        let r = resolve(
            &block(&[("config_file", "~/.databrickscfg".into())]),
            &env(&[("HOME", &home)]),
        );
        assert_eq!(known(&r.host), "http://home", "~ expands");
    }

    #[test]
    fn the_auth_type_is_the_one_whose_settings_are_given() {
        let r = resolve(
            &block(&[("host", "http://h".into()), ("username", "admin".into())]),
            &env(&[("DATABRICKS_PASSWORD", "pw-from-env")]),
        );
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.auth_type, Some(AuthType::Basic));
        assert_eq!(known(&r.password), "pw-from-env");

        let r = resolve(
            &Obj::new(),
            &env(&[
                ("DATABRICKS_HOST", "http://h"),
                ("DATABRICKS_CLIENT_ID", "app"),
                ("DATABRICKS_CLIENT_SECRET", "dose-secret"),
            ]),
        );
        assert_eq!(r.auth_type, Some(AuthType::OAuthM2M));
        assert_eq!(known(&r.client_id), "app");

        let r = resolve(&block(&[("token", "dapiX".into())]), &env(&[]));
        assert_eq!(r.auth_type, Some(AuthType::Pat));
        let r = resolve(&block(&[("host", "http://h".into())]), &env(&[]));
        assert_eq!(r.auth_type, None);
        let r = resolve(&block(&[("client_secret", Dyn::Unknown)]), &env(&[]));
        assert_eq!(
            r.auth_type,
            Some(AuthType::OAuthM2M),
            "unknown values count"
        );
    }

    #[test]
    fn two_auth_types_need_auth_type_and_then_the_others_are_ignored() {
        let r = resolve(
            &block(&[("token", "dapiX".into()), ("client_id", "app".into())]),
            &env(&[("DATABRICKS_PASSWORD", "pw")]),
        );
        assert_eq!(r.auth_type, None);
        assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
        assert_eq!(
            r.errors[0].summary,
            "More than one authentication type configured"
        );
        assert!(
            r.errors[0].detail.contains("basic and oauth-m2m and pat"),
            "{}",
            r.errors[0].detail
        );
        assert!(!r.errors[0].detail.contains("pw"), "values are not echoed");

        let r = resolve(
            &block(&[("auth_type", "pat".into()), ("client_id", "app".into())]),
            &env(&[("DATABRICKS_TOKEN", "dapiX")]),
        );
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.auth_type, Some(AuthType::Pat));
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.warnings[0].attr, Some("client_id"));
        assert!(r.warnings[0]
            .detail
            .contains("ignored: auth_type is \"pat\""));
    }

    #[test]
    fn unsupported_auth_types_and_their_settings_are_refused() {
        let r = resolve(
            &block(&[("metadata_service_url", "http://m".into())]),
            &env(&[]),
        );
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].summary, "metadata_service_url is not supported");
        assert_eq!(r.errors[0].attr, Some("metadata_service_url"));
        assert!(r.errors[0].detail.contains("`oauth-m2m`"));
        assert!(
            !r.errors[0].detail.contains("http://m"),
            "values are not echoed"
        );

        for t in ["azure-cli", "databricks-cli", "github-oidc"] {
            let r = resolve(&block(&[("auth_type", t.into())]), &env(&[]));
            assert_eq!(r.errors.len(), 1, "{t}");
            assert_eq!(
                r.errors[0].summary,
                format!("auth_type {t:?} is not supported")
            );
        }
        let r = resolve(
            &Obj::new(),
            &env(&[("DATABRICKS_AUTH_TYPE", "databricks-cli")]),
        );
        assert!(r.errors[0]
            .detail
            .contains("environment variable DATABRICKS_AUTH_TYPE"));
    }

    #[test]
    fn profiles_supply_basic_and_oauth_credentials() {
        let (_dir, path) = cfg(
            "[basic]\nhost = http://p\nusername = u@example.com\npassword = pw-profile\n\
             [m2m]\nhost = http://p\naccount_id = a\nclient_id = app\nclient_secret = s\n",
        );
        let r = resolve(
            &block(&[
                ("config_file", path.clone().into()),
                ("profile", "basic".into()),
            ]),
            &env(&[]),
        );
        assert_eq!(r.auth_type, Some(AuthType::Basic));
        assert_eq!(known(&r.username), "u@example.com");
        assert_eq!(known(&r.password), "pw-profile");
        let r = resolve(
            &block(&[("config_file", path.into()), ("profile", "m2m".into())]),
            &env(&[]),
        );
        assert_eq!(r.auth_type, Some(AuthType::OAuthM2M));
        assert_eq!(known(&r.client_secret), "s");
    }

    #[test]
    fn other_clouds_variables_are_never_read_and_cloud_must_be_aws() {
        let r = resolve(
            &Obj::new(),
            &env(&[
                ("ARM_CLIENT_ID", "x"),
                ("GOOGLE_CREDENTIALS", "{}"),
                ("ACTIONS_ID_TOKEN_REQUEST_URL", "u"),
            ]),
        );
        assert!(
            r.errors.is_empty() && r.warnings.is_empty(),
            "{:?}",
            r.errors
        );
        assert!(resolve(&block(&[("cloud", "AWS".into())]), &env(&[]))
            .errors
            .is_empty());
        let r = resolve(&Obj::new(), &env(&[("DATABRICKS_CLOUD", "gcp")]));
        assert!(r.errors[0]
            .detail
            .contains("is not supported: Ironbrick serves AWS workspaces"));
    }
}
