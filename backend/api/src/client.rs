//! A typed async HTTP client over the wire types (feature `client`).
//!
//! The client knows two bases: the account API (`{host}/api/2.0/accounts/{account_id}`) and a
//! workspace API (`{workspace_url}/api/2.0`). Non-2xx answers become [`ClientError::Api`] carrying
//! the parsed [`ErrorCode`], so callers can match `ResourceDoesNotExist` (for example to drop a
//! vanished object from Terraform state).

use crate::{ErrorBody, ErrorCode};
use serde::{de::DeserializeOwned, Serialize};
use std::fmt;
use std::time::Duration;

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
    /// True for a 404 answer: the object does not exist (any more).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Api { status: 404, .. })
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

/// An authenticated client for one host. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    host: String,
    token: String,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("host", &self.host)
            .field("token", &"***")
            .finish()
    }
}

impl Client {
    /// A client for `host` (scheme + authority, optionally a `/w/{id}` workspace path) that
    /// authenticates with the bearer `token`.
    pub fn new(host: &str, token: &str) -> ClientResult<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("ironbrick-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        Ok(Self {
            http,
            host: host.trim_end_matches('/').to_string(),
            token: token.to_string(),
        })
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
        self.send(self.http.get(url)).await
    }

    /// `GET url?query`.
    pub async fn get_query<T: DeserializeOwned>(
        &self,
        url: &str,
        query: &[(&str, &str)],
    ) -> ClientResult<T> {
        self.send(self.http.get(url).query(query)).await
    }

    /// `POST url` with a JSON body.
    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        url: &str,
        body: &B,
    ) -> ClientResult<T> {
        self.send(self.http.post(url).json(body)).await
    }

    /// `PATCH url` with a JSON body.
    pub async fn patch<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        url: &str,
        body: &B,
    ) -> ClientResult<T> {
        self.send(self.http.patch(url).json(body)).await
    }

    /// `PUT url` with a JSON body.
    pub async fn put<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        url: &str,
        body: &B,
    ) -> ClientResult<T> {
        self.send(self.http.put(url).json(body)).await
    }

    /// `DELETE url`.
    pub async fn delete(&self, url: &str) -> ClientResult<()> {
        self.send::<serde_json::Value>(self.http.delete(url))
            .await
            .map(drop)
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> ClientResult<T> {
        let resp = req
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| ClientError::Transport(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        if !(200..300).contains(&status) {
            return Err(api_error(status, &bytes));
        }
        let bytes: &[u8] = if bytes.is_empty() { b"{}" } else { &bytes };
        serde_json::from_slice(bytes).map_err(|e| ClientError::Decode(e.to_string()))
    }
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
