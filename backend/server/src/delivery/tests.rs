//! The worker's cursor logic against an in-memory sink that can be made to fail.

use super::*;
use crate::model::{AuditRecord, LogDeliveryRecord};
use crate::state::Settings;
use async_trait::async_trait;
use ironbrick_api::account::{
    AwsCredentials, Credential, RootBucketInfo, StorageConfiguration, StsRole,
};
use ironbrick_store::{MemStore, Store};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Objects by key, and every put in order.
#[derive(Debug, Default)]
struct MemSink {
    objects: Mutex<BTreeMap<String, Vec<u8>>>,
    puts: Mutex<Vec<String>>,
    down: AtomicBool,
}

#[async_trait]
impl Sink for MemSink {
    async fn put(
        &self,
        dest: &Destination,
        key: &str,
        body: Vec<u8>,
        _: &str,
    ) -> Result<(), DeliveryError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(DeliveryError::system("S3 is down"));
        }
        assert_eq!(dest.bucket, "logs-bucket");
        assert_eq!(dest.external_id, "acct-ext");
        self.puts.lock().unwrap().push(key.to_owned());
        self.objects.lock().unwrap().insert(key.to_owned(), body);
        Ok(())
    }
}

impl MemSink {
    /// Request ids of every delivered line, in key order.
    fn delivered(&self) -> Vec<String> {
        self.objects
            .lock()
            .unwrap()
            .values()
            .flat_map(|b| {
                String::from_utf8(b.clone())
                    .unwrap()
                    .lines()
                    .map(|l| {
                        let v: serde_json::Value = serde_json::from_str(l).unwrap();
                        v["requestId"].as_str().unwrap().to_owned()
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

struct World {
    state: AppState,
    sink: Arc<MemSink>,
    worker: Worker,
    _dir: tempfile::TempDir,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(Arc::new(MemStore::new()));
    let settings = Settings {
        public_url: "http://127.0.0.1:1".into(),
        provisioning_delay: Duration::ZERO,
        trusted_proxies: Vec::new(),
        workspace_domain: None,
        oauth_token_ttl: Duration::from_secs(3600),
        password_backoff: Duration::from_secs(1),
        cluster_transition: Duration::from_secs(1),
    };
    let envelope = crate::keys::local_envelope(dir.path(), Duration::from_secs(60)).unwrap();
    let state = AppState::new(store, "acct".into(), settings, envelope);
    let cred = CredentialRecord(Credential {
        credentials_id: "cred".into(),
        credentials_name: "c".into(),
        aws_credentials: AwsCredentials {
            sts_role: Some(StsRole {
                role_arn: Some("arn:aws:iam::123456789012:role/logs".into()),
                external_id: Some("acct-ext".into()),
            }),
        },
        account_id: "acct".into(),
        creation_time: 0,
    });
    let storage = StorageRecord(StorageConfiguration {
        storage_configuration_id: "store".into(),
        storage_configuration_name: "s".into(),
        root_bucket_info: RootBucketInfo {
            bucket_name: Some("logs-bucket".into()),
        },
        role_arn: None,
        account_id: "acct".into(),
        creation_time: 0,
    });
    state
        .store()
        .transact(|tx| {
            repo::tx_put(tx, trees::CREDENTIALS, "cred", &cred)?;
            repo::tx_put(tx, trees::STORAGE, "store", &storage)
        })
        .map_err(ApiError::from)
        .unwrap();
    let sink = Arc::new(MemSink::default());
    let worker = Worker::new(state.clone(), sink.clone(), Sources::default());
    World {
        state,
        sink,
        worker,
        _dir: dir,
    }
}

fn config(id: &str, log_type: LogType, filter: &[i64]) -> LogDeliveryConfiguration {
    LogDeliveryConfiguration {
        config_id: id.into(),
        config_name: String::new(),
        log_type,
        output_format: log_type.output_format(),
        account_id: "acct".into(),
        credentials_id: "cred".into(),
        storage_configuration_id: "store".into(),
        workspace_ids_filter: filter.to_vec(),
        delivery_path_prefix: Some("audit".into()),
        delivery_start_time: "2020-01-01".into(),
        status: LogDeliveryConfigStatus::Enabled,
        creation_time: 0,
        update_time: 0,
        log_delivery_status: LogDeliveryStatus::default(),
    }
}

impl World {
    fn save(&self, c: &LogDeliveryConfiguration) {
        let rec = LogDeliveryRecord(c.clone());
        self.state
            .store()
            .transact(|tx| repo::tx_put(tx, trees::LOG_DELIVERY, &c.config_id, &rec))
            .map_err(ApiError::from)
            .unwrap();
    }

    fn get(&self, id: &str) -> LogDeliveryConfiguration {
        object::find::<LogDelivery>(&self.state, id).unwrap()
    }

    fn events(&self, n: usize, ws: Option<i64>) {
        for _ in 0..n {
            self.state
                .audit()
                .append(AuditRecord {
                    seq: 0,
                    timestamp: now_ms(),
                    principal: Some("admin@ironbrick.local".into()),
                    principal_id: Some(1),
                    method: "POST".into(),
                    path: "/w/1/api/2.0/clusters/create".into(),
                    workspace_id: ws,
                    source_ip: "127.0.0.1".into(),
                    status: 200,
                    error_code: None,
                    request_id: Some(crate::ids::uuid()),
                    user_agent: None,
                    request_params: BTreeMap::new(),
                })
                .unwrap();
        }
    }

    fn all_ids(&self) -> Vec<String> {
        self.state
            .audit()
            .read(0, 100_000)
            .unwrap()
            .iter()
            .map(audit_line::request_id)
            .collect()
    }
}

#[tokio::test]
async fn delivers_once_and_moves_the_cursor() {
    let w = world();
    w.save(&config("c1", LogType::AuditLogs, &[]));
    w.events(3, Some(1));
    w.events(2, None);
    w.worker.pass().await;
    let mut delivered = w.sink.delivered();
    delivered.sort();
    let mut expected = w.all_ids();
    expected.sort();
    assert_eq!(delivered, expected);
    assert_eq!(Cursor::load(&w.state, "c1").unwrap().position, 5);
    let status = w.get("c1").log_delivery_status;
    assert_eq!(status.status, DeliveryStatus::Succeeded);
    assert!(status.last_successful_attempt_time.is_some());
    // Nothing new: nothing written again.
    let puts = w.sink.puts.lock().unwrap().len();
    w.worker.pass().await;
    assert_eq!(w.sink.puts.lock().unwrap().len(), puts);
}

#[tokio::test]
async fn an_outage_keeps_the_cursor_and_loses_nothing() {
    let w = world();
    w.save(&config("c1", LogType::AuditLogs, &[]));
    w.events(2, Some(1));
    w.worker.pass().await;
    w.sink.down.store(true, Ordering::SeqCst);
    w.events(3, Some(1));
    w.worker.pass().await;
    assert_eq!(Cursor::load(&w.state, "c1").unwrap().position, 2);
    let status = w.get("c1").log_delivery_status;
    assert_eq!(status.status, DeliveryStatus::SystemFailure);
    assert_eq!(status.message, "S3 is down");
    w.sink.down.store(false, Ordering::SeqCst);
    w.events(1, Some(1));
    w.worker.pass().await;
    let delivered = w.sink.delivered();
    assert_eq!(delivered, w.all_ids(), "every entry once, in order");
    assert_eq!(
        w.get("c1").log_delivery_status.status,
        DeliveryStatus::Succeeded
    );
}

#[tokio::test]
async fn a_redelivered_step_overwrites_its_objects() {
    let w = world();
    let c = config("c1", LogType::AuditLogs, &[]);
    w.save(&c);
    w.events(2, Some(1));
    w.worker.pass().await;
    // As after a crash between S3's acknowledgement and the cursor's persistence.
    Cursor::default().store(&w.state, "c1").unwrap();
    w.events(1, Some(1));
    w.worker.pass().await;
    assert_eq!(
        w.sink.objects.lock().unwrap().len(),
        1,
        "same key rewritten"
    );
    assert_eq!(w.sink.delivered(), w.all_ids());
}

#[tokio::test]
async fn disabled_configurations_keep_their_cursor_and_catch_up() {
    let w = world();
    let mut c = config("c1", LogType::AuditLogs, &[7]);
    w.save(&c);
    w.events(1, Some(7));
    w.worker.pass().await;
    c.status = LogDeliveryConfigStatus::Disabled;
    w.save(&c);
    w.events(2, Some(7));
    w.events(2, Some(8));
    w.events(1, None);
    w.worker.pass().await;
    assert_eq!(w.sink.delivered().len(), 1);
    c.status = LogDeliveryConfigStatus::Enabled;
    w.save(&c);
    w.worker.pass().await;
    assert_eq!(
        w.sink.delivered().len(),
        3,
        "workspace 7 only, no account-level events"
    );
    assert!(w
        .sink
        .objects
        .lock()
        .unwrap()
        .keys()
        .all(|k| k.starts_with("audit/workspaceId=7/date=")));
}

#[tokio::test]
async fn missing_credentials_are_a_user_failure_and_usage_without_clusters_writes_nothing() {
    let w = world();
    let mut c = config("c1", LogType::AuditLogs, &[]);
    c.credentials_id = "gone".into();
    w.save(&c);
    w.save(&config("u1", LogType::BillableUsage, &[]));
    w.events(1, Some(1));
    w.worker.pass().await;
    let status = w.get("c1").log_delivery_status;
    assert_eq!(status.status, DeliveryStatus::UserFailure);
    assert!(status.message.contains("gone"));
    assert_eq!(Cursor::load(&w.state, "c1").unwrap().position, 0);
    assert_eq!(
        w.get("u1").log_delivery_status.status,
        DeliveryStatus::Succeeded
    );
    assert!(w.sink.delivered().is_empty());
}
