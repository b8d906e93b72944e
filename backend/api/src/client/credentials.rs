//! How a [`super::Client`] authenticates: a personal access token, HTTP Basic, or OAuth
//! machine-to-machine (a service principal's client id and secret, exchanged for short-lived
//! access tokens).
//!
//! OAuth access tokens are fetched on first use, cached, and fetched again shortly before they
//! expire (a quarter of their lifetime, at most a minute, ahead). One fetch runs at a time: the
//! cache is behind an async mutex, so concurrent requests needing a fresh token wait for the one
//! fetch and share its answer. A request answered 401 with a cached token drops that token and is
//! sent once more with a new one (the server may have revoked it early, for example when the
//! secret was deleted and recreated).

use super::{ClientError, ClientOptions, ClientResult};
use crate::oauth::{OAuthErrorBody, TokenResponse};
use crate::ErrorCode;
use base64::Engine;
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// The credential a client sends. Debug output never shows the secret parts.
#[derive(Clone)]
pub enum Credentials {
    /// `Authorization: Bearer {token}` (the `pat` authentication type).
    Token(String),
    /// `Authorization: Basic base64(username:password)` (the `basic` authentication type).
    Basic { username: String, password: String },
    /// `Authorization: Bearer {access token}` from the OAuth token endpoint (`oauth-m2m`).
    OAuthM2M(Arc<OAuthM2M>),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token(_) => f.write_str("Token(***)"),
            Self::Basic { username, .. } => write!(f, "Basic({username}:***)"),
            Self::OAuthM2M(m) => m.fmt(f),
        }
    }
}

impl Credentials {
    /// OAuth M2M credentials that fetch access tokens from `token_url`
    /// (`{workspace_url}/oidc/v1/token` or `{host}/oidc/accounts/{account_id}/v1/token`).
    pub fn oauth_m2m(client_id: &str, client_secret: &str, token_url: &str) -> Self {
        Self::OAuthM2M(Arc::new(OAuthM2M {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            token_url: token_url.to_owned(),
            cached: Mutex::new(None),
        }))
    }

    /// The secret strings to scrub from logs.
    pub(crate) fn secrets(&self) -> Vec<&str> {
        match self {
            Self::Token(t) => vec![t],
            Self::Basic { password, .. } => vec![password],
            Self::OAuthM2M(m) => vec![&m.client_secret],
        }
    }

    /// The `Authorization` header for the next request (fetching an access token if needed).
    pub(crate) async fn header(
        &self,
        http: &reqwest::Client,
        opts: &ClientOptions,
    ) -> ClientResult<HeaderValue> {
        let value = match self {
            Self::Token(t) => format!("Bearer {t}"),
            Self::Basic { username, password } => {
                let raw = format!("{username}:{password}");
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                )
            }
            Self::OAuthM2M(m) => format!("Bearer {}", m.access_token(http, opts).await?),
        };
        let mut header = HeaderValue::from_str(&value).map_err(|_| {
            ClientError::Transport(
                "the credentials contain characters not allowed in an HTTP header".into(),
            )
        })?;
        header.set_sensitive(true);
        Ok(header)
    }

    /// After a 401 answer to `sent`: whether a retry with a new credential can help (an OAuth
    /// access token that the server no longer accepts is dropped so the next call fetches one).
    pub(crate) async fn rejected(&self, sent: &HeaderValue) -> bool {
        match self {
            Self::OAuthM2M(m) => m.forget(sent).await,
            _ => false,
        }
    }
}

/// A service principal's OAuth client credentials and its cached access token.
pub struct OAuthM2M {
    client_id: String,
    client_secret: String,
    token_url: String,
    cached: Mutex<Option<Cached>>,
}

impl fmt::Debug for OAuthM2M {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthM2M")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("token_url", &self.token_url)
            .finish()
    }
}

struct Cached {
    access_token: String,
    /// When to fetch a new one (ahead of the real expiry).
    refresh_at: Instant,
}

impl OAuthM2M {
    async fn access_token(
        &self,
        http: &reqwest::Client,
        opts: &ClientOptions,
    ) -> ClientResult<String> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| Instant::now() < c.refresh_at) {
            return Ok(c.access_token.clone());
        }
        let fetched = self.fetch(http, opts).await?;
        let lifetime = Duration::from_secs(fetched.expires_in.max(0) as u64);
        let margin = (lifetime / 4).min(Duration::from_secs(60));
        let token = fetched.access_token;
        *cached = Some(Cached {
            access_token: token.clone(),
            refresh_at: Instant::now() + lifetime - margin,
        });
        Ok(token)
    }

    async fn forget(&self, sent: &HeaderValue) -> bool {
        let mut cached = self.cached.lock().await;
        let same = cached.as_ref().is_some_and(|c| {
            sent.to_str()
                .is_ok_and(|s| s.strip_prefix("Bearer ") == Some(c.access_token.as_str()))
        });
        if same {
            *cached = None;
        }
        same
    }

    /// `POST {token_url}` with the client credentials grant, retried while the endpoint is
    /// unreachable or asks to slow down, within the client's retry timeout.
    async fn fetch(
        &self,
        http: &reqwest::Client,
        opts: &ClientOptions,
    ) -> ClientResult<TokenResponse> {
        let start = Instant::now();
        let mut attempt = 0;
        loop {
            opts.limiter.acquire().await;
            let sent = self.exchange(http).await;
            let retry = match &sent {
                Err(ClientError::Transport(_)) => true,
                Err(ClientError::Api { status, .. }) => *status == 429 || *status == 503,
                _ => false,
            };
            let wait = opts.backoff.wait(attempt, rand::random());
            attempt += 1;
            let out_of_time = opts
                .retry_timeout
                .is_some_and(|t| start.elapsed() + wait > t);
            if !retry || out_of_time {
                return sent;
            }
            tracing::debug!(url = %self.token_url, attempt, "retrying the OAuth token request");
            tokio::time::sleep(wait).await;
        }
    }

    async fn exchange(&self, http: &reqwest::Client) -> ClientResult<TokenResponse> {
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.client_id, self.client_secret));
        let mut auth = HeaderValue::from_str(&format!("Basic {basic}")).map_err(|_| {
            ClientError::Transport("the client id or secret is not valid in an HTTP header".into())
        })?;
        auth.set_sensitive(true);
        let resp = http
            .post(&self.token_url)
            .header(AUTHORIZATION, auth)
            .header(USER_AGENT, super::UA)
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials&scope=all-apis")
            .send()
            .await
            .map_err(|e| {
                ClientError::Transport(format!(
                    "OAuth token request to {}: {}",
                    self.token_url,
                    e.without_url()
                ))
            })?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| {
            ClientError::Transport(format!("OAuth token answer: {}", e.without_url()))
        })?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&bytes).map_err(|e| {
                ClientError::Decode(format!("OAuth token answer from {}: {e}", self.token_url))
            });
        }
        let message = match serde_json::from_slice::<OAuthErrorBody>(&bytes) {
            Ok(b) => format!(
                "OAuth token request for client {} to {} failed: {}: {}",
                self.client_id, self.token_url, b.error, b.error_description
            ),
            Err(_) => format!(
                "OAuth token request for client {} to {} failed with HTTP {status}",
                self.client_id, self.token_url
            ),
        };
        Err(ClientError::Api {
            status,
            code: Some(match status {
                401 => ErrorCode::Unauthenticated,
                403 => ErrorCode::PermissionDenied,
                404 => ErrorCode::EndpointNotFound,
                _ => ErrorCode::InvalidParameterValue,
            }),
            message,
        })
    }
}
