//! What the benchmarks share: an in-process server on a sled store in a tempdir, served over
//! loopback TCP, and a checked JSON call.

// Each benchmark binary compiles this module and uses a different part of it.
#![allow(dead_code)]

use ironbrick::state::{AppState, Settings};
use ironbrick_store::{SledStore, Store};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The account admin's token.
pub const ADMIN_TOKEN: &str = "dapi-bench-admin-token-0123456789";

/// A running server.
pub struct Server {
    pub host: String,
    pub account: String,
    /// The data dir (database, local KMS, bootstrap.json).
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub task: tokio::task::JoinHandle<()>,
}

/// Starts a server with a local KMS whose data keys stay cached for `dek_ttl`.
pub async fn start(dek_ttl: Duration) -> Server {
    start_trusting(dek_ttl, Vec::new()).await
}

/// Like [`start`], trusting `X-Forwarded-For` from `trusted_proxies`.
pub async fn start_trusting(dek_ttl: Duration, trusted_proxies: Vec<ipnet::IpNet>) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::new(Arc::new(
        SledStore::open(&dir.path().join("db")).expect("open"),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let host = format!("http://{}", listener.local_addr().expect("addr"));
    let account =
        ironbrick::bootstrap::ensure_account(&store, dir.path(), &host, None, Some(ADMIN_TOKEN))
            .expect("bootstrap");
    let settings = Settings {
        public_url: host.clone(),
        provisioning_delay: Duration::ZERO,
        trusted_proxies,
        workspace_domain: None,
        oauth_token_ttl: Duration::from_secs(3600),
        password_backoff: ironbrick::passwords::DEFAULT_BACKOFF,
        cluster_transition: std::time::Duration::from_millis(200),
    };
    let envelope = ironbrick::keys::local_envelope(dir.path(), dek_ttl).expect("kms");
    let app = ironbrick::app(AppState::with_limits(
        store.clone(),
        account.clone(),
        settings,
        envelope,
        ironbrick::limits::Limits::unthrottled(),
    ))
    .into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    Server {
        host,
        account,
        dir,
        store,
        task,
    }
}

/// Sends a request and returns its JSON answer (null when empty); panics on a non-2xx answer.
pub async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> Value {
    call_as(http, method, url, &format!("Bearer {token}"), body).await
}

/// Like [`call`], with `authorization` as the whole `Authorization` header.
pub async fn call_as(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    authorization: &str,
    body: Option<Value>,
) -> Value {
    let mut req = http
        .request(method, url)
        .header(reqwest::header::AUTHORIZATION, authorization);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("send");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    assert!(status.is_success(), "{url}: {status} {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("json")
    }
}

/// Creates the credential and storage configurations a workspace needs; returns their ids.
pub async fn account_objects(http: &reqwest::Client, s: &Server) -> (Value, Value) {
    let acct = format!("{}/api/2.0/accounts/{}", s.host, s.account);
    let post = reqwest::Method::POST;
    let cred = call(http, post.clone(), &format!("{acct}/credentials"), ADMIN_TOKEN, Some(json!({
        "credentials_name": "bench", "aws_credentials": {"sts_role": {"role_arn": "arn:aws:iam::123456789012:role/bench"}}
    }))).await;
    let storage = call(http, post, &format!("{acct}/storage-configurations"), ADMIN_TOKEN, Some(json!({
        "storage_configuration_name": "bench", "root_bucket_info": {"bucket_name": "bench-bucket"}
    }))).await;
    (
        cred["credentials_id"].clone(),
        storage["storage_configuration_id"].clone(),
    )
}

/// Throughput and latency of one measured case.
pub struct Figures {
    pub rps: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// CPU time (user + system, every thread of the process: server and clients) per request;
    /// `None` where `/proc/self/stat` is unavailable. Less sensitive to other load on the
    /// machine than the wall-clock figures.
    pub cpu_per_request: Option<Duration>,
}

/// CPU time this process has used so far (Linux `/proc/self/stat`; clock ticks of 10 ms, the
/// `USER_HZ` of every mainstream Linux build).
pub fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Sends the same request from `concurrency` clients in a loop for `seconds`; every answer
/// must be a success.
pub async fn drive(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: String,
    body: Option<Value>,
    seconds: u64,
    concurrency: usize,
) -> Figures {
    let authorization = format!("Bearer {token}");
    drive_as(http, method, url, authorization, body, seconds, concurrency).await
}

/// Like [`drive`], with `authorization` as the whole `Authorization` header.
pub async fn drive_as(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    authorization: String,
    body: Option<Value>,
    seconds: u64,
    concurrency: usize,
) -> Figures {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let cpu_before = process_cpu();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, method, url, authorization, body) = (
            http.clone(),
            method.clone(),
            url.clone(),
            authorization.clone(),
            body.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                call_as(&http, method.clone(), &url, &authorization, body.clone()).await;
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    let elapsed = started.elapsed();
    let cpu = process_cpu()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    figures(all, elapsed, cpu)
}

/// Throughput and latency percentiles of `latencies` measured over `elapsed`.
pub fn figures(mut all: Vec<Duration>, elapsed: Duration, cpu: Option<Duration>) -> Figures {
    let elapsed = elapsed.as_secs_f64();
    all.sort();
    assert!(!all.is_empty(), "no request completed");
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    Figures {
        rps: all.len() as f64 / elapsed,
        p50: pct(0.50),
        p99: pct(0.99),
        cpu_per_request: cpu.map(|c| c / all.len().max(1) as u32),
    }
}
