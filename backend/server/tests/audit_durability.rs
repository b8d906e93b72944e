//! A change is acknowledged only with its audit entry: when the entry cannot be written (a full
//! disk), the answer is the store's 503, not a 2xx. Both are made durable by one flush, after
//! the entry is written.

use ironbrick::repo::trees;
use ironbrick::state::{AppState, Settings};
use ironbrick_store::{Entries, KvStore, MemStore, Store, StoreError, Tx, TxBody};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ADMIN: &str = "dapi-test-admin-token-000000000000";

/// An in-memory engine whose audit tree is full while `full` is set.
#[derive(Debug, Default)]
struct AuditFull {
    inner: MemStore,
    full: AtomicBool,
}

struct Guarded<'a> {
    inner: &'a mut dyn Tx,
    full: bool,
}

impl Tx for Guarded<'_> {
    fn get(&mut self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(tree, key)
    }
    fn put(&mut self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        if self.full && tree == trees::AUDIT {
            return Err(StoreError::Full("test".into()));
        }
        self.inner.put(tree, key, value)
    }
    fn delete(&mut self, tree: &str, key: &[u8]) -> Result<(), StoreError> {
        self.inner.delete(tree, key)
    }
}

impl KvStore for AuditFull {
    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(tree, key)
    }
    ironbrick_store::delegate_scans!(inner);
    fn transaction(&self, body: &TxBody<'_>) -> Result<bool, StoreError> {
        let full = self.full.load(Ordering::SeqCst);
        self.inner
            .transaction(&|tx: &mut dyn Tx| body(&mut Guarded { inner: tx, full }))
    }
    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// An in-memory engine with a disk: each flush copies what is committed there, and counts.
/// Flushes fail while `fail` is set.
#[derive(Debug, Default)]
struct Disk {
    inner: MemStore,
    disk: Mutex<Vec<(String, Entries)>>,
    flushes: AtomicUsize,
    fail: AtomicBool,
}

impl Disk {
    /// Whether an entry of `tree` on disk holds `needle`.
    fn holds(&self, tree: &str, needle: &str) -> bool {
        let disk = self.disk.lock().expect("disk");
        disk.iter().filter(|(t, _)| t == tree).any(|(_, entries)| {
            entries
                .iter()
                .any(|(_, v)| String::from_utf8_lossy(v).contains(needle))
        })
    }
}

impl KvStore for Disk {
    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(tree, key)
    }
    ironbrick_store::delegate_scans!(inner);
    fn transaction(&self, body: &TxBody<'_>) -> Result<bool, StoreError> {
        self.inner.transaction(body)
    }
    fn flush(&self) -> Result<(), StoreError> {
        self.flushes.fetch_add(1, Ordering::SeqCst);
        if self.fail.load(Ordering::SeqCst) {
            return Err(StoreError::Full("test".into()));
        }
        let mut copy = Vec::new();
        for tree in self.inner.trees()? {
            let entries = self.inner.scan_prefix(&tree, b"")?;
            copy.push((tree, entries));
        }
        *self.disk.lock().expect("disk") = copy;
        Ok(())
    }
}

/// A server on `store` (bootstrapped): its URL, account id and task.
async fn serve(store: Store) -> (String, String, tokio::task::JoinHandle<()>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let host = format!("http://{}", listener.local_addr().expect("addr"));
    let account =
        ironbrick::bootstrap::ensure_account(&store, dir.path(), &host, None, Some(ADMIN))
            .expect("account");
    let settings = Settings {
        public_url: host.clone(),
        provisioning_delay: Duration::ZERO,
        trusted_proxies: Vec::new(),
        workspace_domain: None,
        oauth_token_ttl: Duration::from_secs(3600),
        password_backoff: ironbrick::passwords::DEFAULT_BACKOFF,
        cluster_transition: Duration::from_millis(200),
    };
    let envelope =
        ironbrick::keys::local_envelope(dir.path(), Duration::from_secs(300)).expect("kms");
    let state = AppState::new(store, account.clone(), settings, envelope);
    let app = ironbrick::app(state).into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        let _dir = dir;
        axum::serve(listener, app).await.expect("serve");
    });
    (host, account, task)
}

/// A credential configuration create request.
fn create_credentials(
    http: &reqwest::Client,
    host: &str,
    account: &str,
    name: &str,
) -> reqwest::RequestBuilder {
    http.post(format!("{host}/api/2.0/accounts/{account}/credentials"))
        .bearer_auth(ADMIN)
        .json(&json!({
            "credentials_name": name,
            "aws_credentials": {"sts_role": {"role_arn": "arn:aws:iam::123456789012:role/x"}}
        }))
}

#[tokio::test]
async fn a_change_whose_audit_entry_cannot_be_written_is_not_acknowledged() {
    let engine = Arc::new(AuditFull::default());
    let (host, account, task) = serve(Store::new(engine.clone())).await;
    let http = reqwest::Client::new();
    let create = |name: &str| create_credentials(&http, &host, &account, name);

    let ok = create("audited").send().await.expect("send");
    assert_eq!(ok.status(), 200);

    engine.full.store(true, Ordering::SeqCst);
    let refused = create("unaudited").send().await.expect("send");
    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error_code"], "TEMPORARILY_UNAVAILABLE");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("disk is full"),
        "{body}"
    );

    engine.full.store(false, Ordering::SeqCst);
    let log: Value = http
        .get(format!("{host}/api/2.0/accounts/{account}/audit-logs"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let entries = log["entries"].as_array().cloned().unwrap_or_default();
    assert!(entries.iter().any(|e| e["path"]
        .as_str()
        .is_some_and(|p| p.ends_with("/credentials"))
        && e["status"] == 200));
    task.abort();
}

#[tokio::test]
async fn one_flush_makes_a_change_and_its_entry_durable() {
    let engine = Arc::new(Disk::default());
    let (host, account, task) = serve(Store::new(engine.clone())).await;
    let http = reqwest::Client::new();
    let before = engine.flushes.load(Ordering::SeqCst);
    let ok = create_credentials(&http, &host, &account, "durable-one")
        .send()
        .await
        .expect("send");
    assert_eq!(ok.status(), 200);
    assert_eq!(
        engine.flushes.load(Ordering::SeqCst) - before,
        1,
        "a mutating request costs one flush"
    );
    assert!(
        engine.holds(trees::CREDENTIALS, "durable-one"),
        "the change"
    );
    assert!(
        engine.holds(trees::AUDIT, "/credentials") && engine.holds(trees::AUDIT, r#""status":200"#),
        "its audit entry"
    );

    // When that flush fails, the change is not acknowledged.
    engine.fail.store(true, Ordering::SeqCst);
    let refused = create_credentials(&http, &host, &account, "durable-two")
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error_code"], "TEMPORARILY_UNAVAILABLE");
    assert!(!engine.holds(trees::CREDENTIALS, "durable-two"));
    task.abort();
}
