//! What the integration tests share: a server on the in-memory store served over loopback
//! TCP, JSON calls with any token, and principals created straight in the identity store
//! (with tokens minted for them), so tests can act as users who have no other way in.

// Each test binary compiles this module and uses a different part of it.
#![allow(dead_code, clippy::unwrap_used)]

use ironbrick::identity::{self, directory, Kind, Scope, WorkspacePermission};
use ironbrick::model::TokenScope;
use ironbrick::state::{AppState, Settings};
use ironbrick::tokens::{self, NewToken};
use ironbrick_store::{MemStore, Store};
use reqwest::Method;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The account admin's token.
pub const ADMIN: &str = "dapi-test-admin-token-000000000000";

/// A running server.
pub struct Server {
    pub host: String,
    pub account: String,
    pub state: AppState,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An answer: status and JSON body (null when empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    /// The Databricks error code, when the answer is an error.
    pub fn error_code(&self) -> Option<&str> {
        self.body.get("error_code").and_then(Value::as_str)
    }
}

impl Server {
    /// Starts a server on a fresh in-memory store with a local KMS.
    pub async fn start() -> Self {
        Self::start_with_oauth_ttl(Duration::from_secs(3600)).await
    }

    /// Like [`Server::start`], with OAuth access tokens living `oauth_token_ttl`.
    pub async fn start_with_oauth_ttl(oauth_token_ttl: Duration) -> Self {
        Self::start_with(oauth_token_ttl, ironbrick::passwords::DEFAULT_BACKOFF).await
    }

    /// Like [`Server::start`], with OAuth access tokens living `oauth_token_ttl` and a first
    /// password back-off of `password_backoff`.
    pub async fn start_with(oauth_token_ttl: Duration, password_backoff: Duration) -> Self {
        let store = Store::new(Arc::new(MemStore::new()));
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = format!("http://{}", listener.local_addr().unwrap());
        let account =
            ironbrick::bootstrap::ensure_account(&store, dir.path(), &host, None, Some(ADMIN))
                .unwrap();
        let settings = Settings {
            public_url: host.clone(),
            provisioning_delay: Duration::ZERO,
            trusted_proxies: Vec::new(),
            workspace_domain: None,
            oauth_token_ttl,
            password_backoff,
            cluster_transition: Duration::from_millis(200),
        };
        let envelope =
            ironbrick::keys::local_envelope(dir.path(), Duration::from_secs(300)).unwrap();
        let state = AppState::new(store, account.clone(), settings, envelope);
        let app = ironbrick::app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            host,
            account,
            state,
            http: reqwest::Client::new(),
            _dir: dir,
            task,
        }
    }

    /// The account API URL of `rest`.
    pub fn acct(&self, rest: &str) -> String {
        format!("{}/api/2.0/accounts/{}{rest}", self.host, self.account)
    }

    /// The workspace API URL of `rest` in workspace `ws`.
    pub fn ws(&self, ws: i64, rest: &str) -> String {
        format!("{}/w/{ws}/api/2.0{rest}", self.host)
    }

    /// Sends `method url` with `token` and an optional JSON body.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Answer {
        let mut req = self.http.request(method, url).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    /// Like [`Server::send`], as the account admin, panicking unless the answer is 2xx.
    pub async fn ok(&self, method: Method, url: &str, body: Value) -> Value {
        let a = self.send(method, url, ADMIN, Some(&body)).await;
        assert!(
            (200..300).contains(&a.status),
            "{url}: {} {}",
            a.status,
            a.body
        );
        a.body
    }

    /// Creates a running workspace; returns its id.
    pub async fn workspace(&self, name: &str) -> i64 {
        let cred = self.ok(Method::POST, &self.acct("/credentials"), json!({
            "credentials_name": name,
            "aws_credentials": {"sts_role": {"role_arn": "arn:aws:iam::123456789012:role/t"}}
        })).await;
        let storage = self
            .ok(
                Method::POST,
                &self.acct("/storage-configurations"),
                json!({
                    "storage_configuration_name": name,
                    "root_bucket_info": {"bucket_name": format!("{name}-bucket")}
                }),
            )
            .await;
        let ws = self
            .ok(
                Method::POST,
                &self.acct("/workspaces"),
                json!({
                    "workspace_name": name, "aws_region": "us-east-1",
                    "credentials_id": cred["credentials_id"],
                    "storage_configuration_id": storage["storage_configuration_id"]
                }),
            )
            .await;
        ws["workspace_id"].as_i64().unwrap()
    }

    /// Creates an account principal of `kind` called `name` (active or not), assigns it to
    /// `ws` with `permission` when given, and returns its id.
    pub fn principal(
        &self,
        kind: Kind,
        name: &str,
        active: bool,
        assign: Option<(i64, WorkspacePermission)>,
    ) -> i64 {
        let mut p = identity::seed::principal(directory::new_id(), kind, name, name);
        p.active = active;
        let store = self.state.store();
        store
            .transact(|tx| {
                directory::tx_insert(tx, Scope::Account, &p)?;
                if let Some((ws, perm)) = assign {
                    directory::tx_assign(tx, ws, p.id, &identity::seed::assignment_of(perm))?;
                }
                Ok::<_, ironbrick::error::ApiError>(())
            })
            .unwrap();
        p.id
    }

    /// Mints a personal access token of principal `id` valid in workspace `ws`.
    pub fn token(&self, id: i64, ws: i64) -> String {
        let store = self.state.store();
        let owner = directory::get(store, Scope::Account, id)
            .unwrap()
            .unwrap()
            .reference();
        let (value, _) = tokens::mint(
            store,
            NewToken {
                scope: TokenScope::Workspace(ws),
                owner: owner.clone(),
                created_by: owner,
                comment: "test".into(),
                lifetime_seconds: Some(3600),
            },
        )
        .unwrap();
        value.0
    }
}
