//! A typed async HTTP client over the wire types (feature `client`).
//!
//! The client knows two bases: the account API (`{host}/api/2.0/accounts/{account_id}`) and a
//! workspace API (`{workspace_url}/api/2.0`). Non-2xx answers become [`ClientError::Api`] carrying
//! the parsed [`ErrorCode`], so callers can match `ResourceDoesNotExist` (for example to drop a
//! vanished object from Terraform state).
//!
//! Every attempt waits for the shared [`RateLimiter`], runs under the per-request timeout, and
//! is logged at DEBUG (secrets redacted, see [`debug`]). Failures that say the request was not
//! acted on (429, 503, a connection that could not be opened) are retried with back-off until
//! the retry timeout; a connection lost after sending is retried only for idempotent methods
//! (GET, HEAD, PUT, DELETE), never for a POST or PATCH the server may have applied. See
//! [`ClientOptions`] for the knobs and their defaults.

use crate::{ErrorBody, ErrorCode};
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use reqwest::Method;
use serde::{de::DeserializeOwned, Serialize};
use std::fmt;
use std::time::Duration;
use tokio::time::Instant;

mod credentials;
pub mod debug;
mod limiter;
mod options;
mod retry;
#[cfg(test)]
mod tests;

pub use credentials::{Credentials, OAuthM2M};
pub use limiter::RateLimiter;
pub use options::{
    Backoff, ClientOptions, DEFAULT_DEBUG_TRUNCATE_BYTES, DEFAULT_HTTP_TIMEOUT_SECONDS,
    DEFAULT_RATE_LIMIT, DEFAULT_RETRY_TIMEOUT_SECONDS,
};

/// Errors of the HTTP client.
#[derive(Debug)]
pub enum ClientError {
    /// The server answered with a Databricks error body (or a bare status).
    Api {
        status: u16,
        code: Option<ErrorCode>,
        message: String,
    },
    /// The request did not reach the server or the answer could not be read.
    Transport(String),
    /// The answer was not the JSON expected.
    Decode(String),
}

impl ClientError {
    /// True for a 404 answer about an object: it does not exist (any more). A 404 saying the
    /// server has no such API (`ENDPOINT_NOT_FOUND`: a wrong host, such as an account host where
    /// a workspace URL was needed) is not, so a misconfigured provider reports an error instead
    /// of dropping objects from state.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Self::Api { status: 404, code, .. } if *code != Some(ErrorCode::EndpointNotFound)
        )
    }

    /// The Databricks error code, when the server gave one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Api { code, .. } => *code,
            _ => None,
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Api {
                status,
                code,
                message,
            } => {
                let code = code.map_or("HTTP_ERROR", ErrorCode::as_str);
                write!(f, "{code} ({status}): {message}")
            }
            Self::Transport(m) => write!(f, "request failed: {m}"),
            Self::Decode(m) => write!(f, "unexpected answer: {m}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// Result of client calls.
pub type ClientResult<T> = Result<T, ClientError>;

/// An authenticated client for one host. Cheap to clone; clones share the rate limiter.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    host: String,
    credentials: Credentials,
    opts: ClientOptions,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("host", &self.host)
            .field("credentials", &self.credentials)
            .field("opts", &self.opts)
            .finish()
    }
}

impl Client {
    /// A client for `host` (scheme + authority, optionally a `/w/{id}` workspace path) that
    /// authenticates with the bearer `token`, with the default [`ClientOptions`].
    pub fn new(host: &str, token: &str) -> ClientResult<Self> {
        Self::with_options(host, token, ClientOptions::default())
    }

    /// [`Client::new`] with explicit timeouts, retries, rate limiter, TLS and logging options.
    pub fn with_options(host: &str, token: &str, opts: ClientOptions) -> ClientResult<Self> {
        Self::with_credentials(host, Credentials::Token(token.to_owned()), opts)
    }

    /// A client for `host` that authenticates with `credentials`.
    pub fn with_credentials(
        host: &str,
        credentials: Credentials,
        opts: ClientOptions,
    ) -> ClientResult<Self> {
        let http = reqwest::Client::builder()
            .timeout(opts.http_timeout)
            .connect_timeout(opts.http_timeout.min(Duration::from_secs(10)))
            .danger_accept_invalid_certs(opts.skip_verify)
            .build()
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        Ok(Self {
            http,
            host: host.trim_end_matches('/').to_string(),
            credentials,
            opts,
        })
    }

    /// The options this client was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.opts
    }

    /// The host this client talks to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The base URL of the account API of `account_id`.
    pub fn account_base(&self, account_id: &str) -> String {
        format!("{}/api/2.0/accounts/{account_id}", self.root())
    }

    /// The base URL of the workspace API: of `workspace_id` when given, else of the host itself
    /// (which must then be a workspace URL).
    pub fn workspace_base(&self, workspace_id: Option<i64>) -> String {
        match workspace_id {
            Some(id) => format!("{}/w/{id}/api/2.0", self.root()),
            None => format!("{}/api/2.0", self.host),
        }
    }

    /// The workspace URL of `workspace_id` on this host.
    pub fn workspace_url(&self, workspace_id: i64) -> String {
        format!("{}/w/{workspace_id}", self.root())
    }

    fn root(&self) -> &str {
        match self.host.find("/w/") {
            Some(i) => &self.host[..i],
            None => &self.host,
        }
    }

    /// `GET url`.
    pub async fn get<T: DeserializeOwned>(&self, url: &str) -> ClientResult<T> {
        self.send(Method::GET, url, &[], None).await
    }

    /// `GET url?query`.
    pub async fn get_query<T: DeserializeOwned>(
        &self,
        url: &str,
        query: &[(&str, &str)],
    ) -> ClientResult<T> {
        self.send(Method::GET, url, query, None).await
    }

    /// `POST url` with a JSON body.
    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        url: &str,
        body: &B,
    ) -> ClientResult<T> {
        self.send(Method::POST, url, &[], Some(json(body)?)).await
    }

    /// `PATCH url` with a JSON body.
    pub async fn patch<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        url: &str,
        body: &B,
    ) -> ClientResult<T> {
        self.send(Method::PATCH, url, &[], Some(json(body)?)).await
    }

    /// `PUT url` with a JSON body.
    pub async fn put<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        url: &str,
        body: &B,
    ) -> ClientResult<T> {
        self.send(Method::PUT, url, &[], Some(json(body)?)).await
    }

    /// `DELETE url`.
    pub async fn delete(&self, url: &str) -> ClientResult<()> {
        self.send::<serde_json::Value>(Method::DELETE, url, &[], None)
            .await
            .map(drop)
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> ClientResult<T> {
        let bytes = self.call(method, url, query, body).await?;
        let bytes: &[u8] = if bytes.is_empty() { b"{}" } else { &bytes };
        serde_json::from_slice(bytes).map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// Sends one request, retrying what [`retry::classify`] allows until the retry timeout;
    /// returns the body of a 2xx answer.
    async fn call(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> ClientResult<bytes::Bytes> {
        let start = Instant::now();
        let deadline = self.opts.retry_timeout.map(|t| start + t);
        let mut attempt: u32 = 0;
        let mut renewed = false;
        loop {
            self.opts.limiter.acquire().await;
            let auth = self.credentials.header(&self.http, &self.opts).await?;
            let outcome = self
                .attempt(&method, url, query, body.as_deref(), &auth)
                .await;
            if !renewed && outcome.status() == Some(401) && self.credentials.rejected(&auth).await {
                renewed = true;
                continue;
            }
            let (err, hint) = match retry::classify(&method, outcome) {
                retry::Verdict::Done(result) => return result,
                retry::Verdict::Retry(err, hint) => (err, hint),
            };
            let wait = hint.unwrap_or_else(|| self.opts.backoff.wait(attempt, rand::random()));
            attempt += 1;
            if deadline.is_some_and(|d| Instant::now() + wait > d) {
                return Err(retry::gave_up(err, attempt, start.elapsed()));
            }
            tracing::debug!(
                %method, url, attempt, wait_ms = wait.as_millis() as u64,
                "retrying after: {err}"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// One HTTP exchange, logged at DEBUG.
    async fn attempt(
        &self,
        method: &Method,
        url: &str,
        query: &[(&str, &str)],
        body: Option<&[u8]>,
        auth: &HeaderValue,
    ) -> retry::Outcome {
        let mut req = self
            .http
            .request(method.clone(), url)
            .query(query)
            .header(USER_AGENT, UA)
            .header(ACCEPT, "application/json")
            .header(AUTHORIZATION, auth.clone());
        if let Some(b) = body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(b.to_vec());
        }
        let req = match req.build() {
            Ok(r) => r,
            Err(e) => return retry::Outcome::Invalid(e.without_url().to_string()),
        };
        let logging = tracing::enabled!(tracing::Level::DEBUG);
        let request_log = logging.then(|| self.request_log(&req, body));
        let sent = Instant::now();
        let result = match self.http.execute(req).await {
            Ok(resp) => {
                let status = resp.status();
                let headers = resp.headers().clone();
                match resp.bytes().await {
                    Ok(bytes) => Ok((status, headers, bytes)),
                    Err(e) => Err(retry::Failure::from_reqwest(
                        &e,
                        true,
                        self.opts.http_timeout,
                    )),
                }
            }
            Err(e) => Err(retry::Failure::from_reqwest(
                &e,
                false,
                self.opts.http_timeout,
            )),
        };
        if let Some(request_log) = request_log {
            self.log_round_trip(method, url, request_log, sent.elapsed(), &result);
        }
        retry::Outcome::Sent(result)
    }

    fn request_log(&self, req: &reqwest::Request, body: Option<&[u8]>) -> String {
        let limit = self.opts.debug_truncate_bytes;
        let mut out = String::new();
        if self.opts.debug_headers {
            out.push_str(&debug::headers(">", req.headers(), limit));
        }
        if let Some(b) = body {
            out.push_str("\n> ");
            out.push_str(&debug::body(b, limit));
        }
        out
    }

    fn log_round_trip(
        &self,
        method: &Method,
        url: &str,
        request_log: String,
        elapsed: Duration,
        result: &Result<
            (
                reqwest::StatusCode,
                reqwest::header::HeaderMap,
                bytes::Bytes,
            ),
            retry::Failure,
        >,
    ) {
        let limit = self.opts.debug_truncate_bytes;
        let elapsed_ms = elapsed.as_millis() as u64;
        let mut text = format!("{method} {url}{request_log}");
        let status = match result {
            Ok((status, headers, bytes)) => {
                text.push_str(&format!("\n< {status}"));
                if self.opts.debug_headers {
                    text.push_str(&debug::headers("<", headers, limit));
                }
                if !bytes.is_empty() {
                    text.push_str("\n< ");
                    text.push_str(&debug::body(bytes, limit));
                }
                status.as_u16()
            }
            Err(f) => {
                text.push_str(&format!("\n< {}", f.error));
                0
            }
        };
        let text = self
            .credentials
            .secrets()
            .into_iter()
            .fold(text, debug::scrub);
        tracing::debug!(%method, url, status, elapsed_ms, "{text}");
    }
}

const UA: &str = concat!("ironbrick-client/", env!("CARGO_PKG_VERSION"));

/// A request body as JSON bytes.
fn json<B: Serialize + ?Sized>(body: &B) -> ClientResult<Vec<u8>> {
    serde_json::to_vec(body)
        .map_err(|e| ClientError::Decode(format!("cannot encode the request: {e}")))
}

fn api_error(status: u16, bytes: &[u8]) -> ClientError {
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(body) => ClientError::Api {
            status,
            code: ErrorCode::parse(&body.error_code),
            message: body.message,
        },
        Err(_) => ClientError::Api {
            status,
            code: None,
            message: String::from_utf8_lossy(bytes).chars().take(200).collect(),
        },
    }
}
