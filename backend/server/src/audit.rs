//! The append-only audit log: every mutating request and every denied or throttled request.
//!
//! Entries are keyed by a big-endian sequence number in their own tree; nothing in the server
//! deletes or rewrites them. Bodies, tokens and secret values are never recorded.

use crate::client_ip::ClientIp;
use crate::error::ApiResult;
use crate::model::AuditRecord;
use crate::repo::trees;
use crate::state::AppState;
use crate::time::now_ms;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use ironbrick_api::ErrorCode;
use ironbrick_store::record::{decode, encode};
use ironbrick_store::Store;
use std::sync::atomic::{AtomicU64, Ordering};

/// Who made a request, attached to the response by the auth layers for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    pub name: String,
    pub id: i64,
    pub workspace_id: Option<i64>,
}

/// The audit log writer.
#[derive(Debug)]
pub struct Audit {
    store: Store,
    next: AtomicU64,
}

impl Audit {
    /// Opens the log, continuing after its last entry.
    pub fn new(store: Store) -> Self {
        let next = store.kv().count_prefix(trees::AUDIT, b"").unwrap_or(0) as u64;
        Self {
            store,
            next: AtomicU64::new(next),
        }
    }

    /// Appends one entry (its `seq` is assigned here).
    pub fn append(&self, mut record: AuditRecord) -> ApiResult<()> {
        record.seq = self.next.fetch_add(1, Ordering::SeqCst);
        let key = record.seq.to_be_bytes();
        let bytes = encode(&record)?;
        Ok(self
            .store
            .transact(|tx| tx.put(trees::AUDIT, &key, &bytes))?)
    }

    /// Entries with `seq >= since`, at most `limit`.
    pub fn read(&self, since: u64, limit: usize) -> ApiResult<Vec<AuditRecord>> {
        let rows = self.store.kv().scan_prefix(trees::AUDIT, b"")?;
        rows.into_iter()
            .skip_while(|(k, _)| k.as_slice() < since.to_be_bytes().as_slice())
            .take(limit)
            .map(|(_, v)| decode(&v).map_err(Into::into))
            .collect()
    }
}

/// Middleware: records mutating and denied requests after they are answered.
pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let source_ip = req
        .extensions()
        .get::<ClientIp>()
        .map(|c| c.0.to_string())
        .unwrap_or_default();
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    let mutating = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    if mutating || matches!(status, 401 | 403 | 429) {
        let actor = resp.extensions().get::<Actor>();
        let entry = AuditRecord {
            seq: 0,
            timestamp: now_ms(),
            principal: actor.map(|a| a.name.clone()),
            principal_id: actor.map(|a| a.id),
            method: method.to_string(),
            path,
            workspace_id: actor.and_then(|a| a.workspace_id),
            source_ip,
            status,
            error_code: resp
                .extensions()
                .get::<ErrorCode>()
                .map(|c| c.as_str().to_string()),
        };
        if let Err(e) = state.audit().append(entry) {
            tracing::error!(error = %e, "audit log write failed");
        }
    }
    resp
}
