//! The token endpoints: `POST {workspace_url}/oidc/v1/token` and
//! `POST {host}/oidc/accounts/{account_id}/v1/token`.
//!
//! They take `grant_type=client_credentials` and `scope=all-apis` as a form body. The client
//! (a service principal: `client_id` is its application id) authenticates with one of its
//! OAuth secrets, either with HTTP Basic (`client_secret_basic`, what the SDKs send) or with
//! `client_id`/`client_secret` form fields (`client_secret_post`). Answers and errors follow
//! RFC 6749 §5: `{"access_token","token_type":"Bearer","expires_in","scope"}`, or
//! `{"error","error_description"}` with 401 for `invalid_client` and 400 otherwise.
//!
//! A workspace token needs the principal to be able to use the workspace; an account token
//! needs the account admin role.

use super::{access_token_prefix, secrets, ALL_APIS};
use crate::audit::Actor;
use crate::error::ApiError;
use crate::identity::{directory, subject, Kind, PrincipalRecord, Scope};
use crate::model::{OAuthGrant, TokenRecord, TokenScope, WorkspaceRecord};
use crate::repo::{self, trees, ws_key};
use crate::state::AppState;
use crate::time::now_ms;
use crate::tokens::{self, NewToken};
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::Engine;
use ironbrick_api::oauth::{OAuthErrorBody, TokenResponse};
use ironbrick_api::tokens::TokenValue;
use rand::RngCore;
use serde::Deserialize;

/// The form fields of a token request. Unknown fields are ignored. Debug hides the secret.
#[derive(Deserialize, Default)]
pub struct TokenForm {
    grant_type: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    assume_group: Option<String>,
}

impl std::fmt::Debug for TokenForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenForm")
            .field("grant_type", &self.grant_type)
            .field("scope", &self.scope)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("assume_group", &self.assume_group)
            .finish()
    }
}

/// An RFC 6749 §5.2 error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// Whether the client tried HTTP Basic (a 401 then names the scheme).
    basic: bool,
}

impl OAuthError {
    fn new(error: &'static str, description: impl Into<String>) -> Self {
        let status = if error == "invalid_client" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        };
        Self {
            status,
            error,
            description: description.into(),
            basic: false,
        }
    }

    /// The RFC 6749 error code.
    pub fn error(&self) -> &'static str {
        self.error
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            Json(OAuthErrorBody {
                error: self.error.to_string(),
                error_description: self.description,
            }),
        )
            .into_response();
        let headers = resp.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == StatusCode::UNAUTHORIZED && self.basic {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"ironbrick\""),
            );
        }
        resp
    }
}

impl From<ApiError> for OAuthError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Client { message, .. } => Self::new("invalid_request", message),
            other => Self {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                error: "server_error",
                description: other.to_string(),
                basic: false,
            },
        }
    }
}

/// Where the requested token is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    Account,
    Workspace(i64),
}

/// `POST {workspace_url}/oidc/v1/token`.
pub async fn workspace(
    State(state): State<AppState>,
    Path(ws): Path<String>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let audience = match ws.parse::<i64>() {
        Ok(id) => match repo::get::<WorkspaceRecord>(state.store(), trees::WORKSPACES, &ws_key(id))
        {
            Ok(Some(_)) => Audience::Workspace(id),
            Ok(None) => {
                return OAuthError::new(
                    "invalid_request",
                    format!("Workspace {ws} does not exist."),
                )
                .into_response()
            }
            Err(e) => return OAuthError::from(e).into_response(),
        },
        Err(_) => {
            return OAuthError::new("invalid_request", format!("Workspace {ws} does not exist."))
                .into_response()
        }
    };
    issue(&state, audience, &headers, form).await
}

/// `POST {host}/oidc/accounts/{account_id}/v1/token`.
pub async fn account(
    State(state): State<AppState>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    if account_id != state.account_id() {
        return OAuthError::new(
            "invalid_request",
            format!("Account {account_id} does not exist."),
        )
        .into_response();
    }
    issue(&state, Audience::Account, &headers, form).await
}

async fn issue(
    state: &AppState,
    audience: Audience,
    headers: &HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let basic = headers.contains_key(header::AUTHORIZATION);
    let answer = match form {
        Ok(Form(form)) => grant(state, audience, headers, form).await,
        Err(e) => Err(OAuthError::new(
            "invalid_request",
            format!("The token request must be an application/x-www-form-urlencoded form: {e}"),
        )),
    };
    match answer {
        Ok((body, actor)) => {
            let mut resp = (
                [
                    (header::CACHE_CONTROL, "no-store"),
                    (header::PRAGMA, "no-cache"),
                ],
                Json(body),
            )
                .into_response();
            resp.extensions_mut().insert(actor);
            resp
        }
        Err(mut e) => {
            e.basic = basic;
            e.into_response()
        }
    }
}

/// The client credentials of a request: HTTP Basic, or the form fields (not both).
fn client_credentials(
    headers: &HeaderMap,
    form: &TokenForm,
) -> Result<(String, String), OAuthError> {
    let invalid = |d: &str| OAuthError::new("invalid_client", d);
    match headers.get(header::AUTHORIZATION) {
        Some(value) => {
            if form.client_secret.is_some() {
                return Err(OAuthError::new(
                    "invalid_request",
                    "Use one client authentication method: HTTP Basic or client_secret, not both.",
                ));
            }
            let encoded = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Basic "))
                .ok_or_else(|| invalid("Client authentication must use HTTP Basic."))?;
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| invalid("Malformed HTTP Basic credentials."))?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(|| invalid("Malformed HTTP Basic credentials."))?;
            if form.client_id.as_deref().is_some_and(|f| f != id) {
                return Err(OAuthError::new(
                    "invalid_request",
                    "client_id in the form differs from the HTTP Basic user.",
                ));
            }
            Ok((id.to_string(), secret.to_string()))
        }
        None => match (&form.client_id, &form.client_secret) {
            (Some(id), Some(secret)) => Ok((id.clone(), secret.clone())),
            _ => Err(invalid(
                "Client authentication is required: HTTP Basic or client_id and client_secret.",
            )),
        },
    }
}

/// The service principal `client_id` names, authenticated by `secret`: the secret's record.
fn authenticate_client(
    state: &AppState,
    client_id: &str,
    secret: &str,
) -> Result<(PrincipalRecord, secrets::SecretRecord), OAuthError> {
    let failed = || OAuthError::new("invalid_client", "Client authentication failed.");
    let sp = directory::by_name(
        state.store(),
        Scope::Account,
        Kind::ServicePrincipal,
        client_id.trim(),
    )?
    .ok_or_else(failed)?;
    let record = secrets::verify(state.store(), sp.id, secret)?.ok_or_else(failed)?;
    if !sp.active {
        return Err(OAuthError::new(
            "invalid_client",
            format!("Service principal {} is deactivated.", sp.name),
        ));
    }
    Ok((sp, record))
}

fn check_scope(scope: Option<&str>) -> Result<(), OAuthError> {
    let scope = scope.unwrap_or(ALL_APIS);
    let mut any = false;
    for s in scope.split_ascii_whitespace() {
        any = true;
        if s != ALL_APIS {
            return Err(OAuthError::new(
                "invalid_scope",
                format!("Scope {s:?} is not supported; request scope={ALL_APIS}."),
            ));
        }
    }
    if !any {
        return Err(OAuthError::new(
            "invalid_scope",
            format!("Request scope={ALL_APIS}."),
        ));
    }
    Ok(())
}

async fn grant(
    state: &AppState,
    audience: Audience,
    headers: &HeaderMap,
    form: TokenForm,
) -> Result<(TokenResponse, Actor), OAuthError> {
    let (client_id, secret) = client_credentials(headers, &form)?;
    let (sp, secret) = authenticate_client(state, &client_id, &secret)?;
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        Some(other) => {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                format!("Grant type {other:?} is not supported; use client_credentials."),
            ))
        }
        None => {
            return Err(OAuthError::new(
                "invalid_request",
                "grant_type is required.",
            ))
        }
    }
    check_scope(form.scope.as_deref())?;
    if form.assume_group.as_deref().is_some_and(|g| !g.is_empty()) {
        return Err(OAuthError::new(
            "invalid_request",
            "assume_group is not supported.",
        ));
    }
    let unauthorized = |e: ApiError| match e {
        ApiError::Client { message, .. } => OAuthError::new("unauthorized_client", message),
        other => OAuthError::from(other),
    };
    let scope = match audience {
        Audience::Workspace(ws) => {
            subject::resolve(state.store(), sp.id, ws).map_err(unauthorized)?;
            TokenScope::Workspace(ws)
        }
        Audience::Account => {
            if !sp.is_account_admin() {
                return Err(OAuthError::new(
                    "unauthorized_client",
                    format!(
                        "Service principal {} is not an account admin: account tokens need the account_admin role.",
                        sp.name
                    ),
                ));
            }
            TokenScope::Account
        }
    };
    let ttl_ms = i64::try_from(state.settings().oauth_token_ttl.as_millis())
        .unwrap_or(i64::MAX)
        .max(1);
    let value = access_token_value();
    let mut record = tokens::record_for(
        &value,
        NewToken {
            scope,
            owner: sp.reference(),
            created_by: sp.reference(),
            comment: "OAuth access token".into(),
            lifetime_seconds: None,
        },
    );
    record.expiry_time = record.creation_time.saturating_add(ttl_ms);
    record.oauth = Some(OAuthGrant {
        service_principal_id: sp.id,
        secret_id: secret.id,
    });
    let now = now_ms();
    let expired: Vec<TokenRecord> =
        repo::scan::<TokenRecord>(state.store(), trees::TOKENS, &access_token_prefix(sp.id))?
            .into_iter()
            .filter(|t| t.expiry_time >= 0 && t.expiry_time <= now)
            .collect();
    state.store().transact(|tx| {
        for t in &expired {
            tokens::tx_remove(tx, t)?;
        }
        tokens::tx_insert(tx, &record).map_err(ApiError::from)
    })?;
    state.flush().await?;
    let actor = Actor {
        name: sp.name.clone(),
        id: sp.id,
        workspace_id: match audience {
            Audience::Workspace(ws) => Some(ws),
            Audience::Account => None,
        },
    };
    let body = TokenResponse {
        access_token: value.0,
        token_type: "Bearer".into(),
        expires_in: (ttl_ms + 999) / 1000,
        scope: ALL_APIS.into(),
    };
    Ok((body, actor))
}

/// A fresh access token value: `doa_` + 64 hex digits (256 random bits).
fn access_token_value() -> TokenValue {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    TokenValue(format!("doa_{}", hex::encode(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(id: Option<&str>, secret: Option<&str>) -> TokenForm {
        TokenForm {
            client_id: id.map(str::to_string),
            client_secret: secret.map(str::to_string),
            ..TokenForm::default()
        }
    }

    fn basic(user: &str, pass: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let v = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {v}")).unwrap(),
        );
        h
    }

    #[test]
    fn credentials_come_from_basic_or_the_form() {
        let (id, secret) = client_credentials(&basic("app", "s:3"), &form(None, None)).unwrap();
        assert_eq!((id.as_str(), secret.as_str()), ("app", "s:3"));
        let (id, secret) =
            client_credentials(&HeaderMap::new(), &form(Some("app"), Some("s"))).unwrap();
        assert_eq!((id.as_str(), secret.as_str()), ("app", "s"));
        let e = client_credentials(&HeaderMap::new(), &form(Some("app"), None)).unwrap_err();
        assert_eq!(
            (e.error(), e.status),
            ("invalid_client", StatusCode::UNAUTHORIZED)
        );
        let e = client_credentials(&basic("app", "s"), &form(None, Some("s"))).unwrap_err();
        assert_eq!(e.error(), "invalid_request");
        let e = client_credentials(&basic("app", "s"), &form(Some("other"), None)).unwrap_err();
        assert_eq!(e.error(), "invalid_request");
        let mut bearer = HeaderMap::new();
        bearer.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        let e = client_credentials(&bearer, &form(None, None)).unwrap_err();
        assert_eq!(e.error(), "invalid_client");
    }

    #[test]
    fn only_all_apis_is_granted() {
        assert!(check_scope(None).is_ok());
        assert!(check_scope(Some("all-apis")).is_ok());
        for bad in ["sql", "all-apis offline_access", "", "  "] {
            let e = check_scope(Some(bad)).unwrap_err();
            assert_eq!(
                (e.error(), e.status),
                ("invalid_scope", StatusCode::BAD_REQUEST)
            );
        }
    }

    #[test]
    fn access_tokens_are_long_and_distinct() {
        let a = access_token_value().0;
        assert!(a.starts_with("doa_") && a.len() == 68);
        assert_ne!(a, access_token_value().0);
    }
}
