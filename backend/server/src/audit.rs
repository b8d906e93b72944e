//! The append-only audit log: every mutating request, every denied or throttled request, and
//! every request that found stored data corrupt (`DATA_LOSS`).
//!
//! The entry of a mutating request is flushed before its answer leaves, so an acknowledged
//! change always has its entry after a crash (`scripts/crash-test` checks it).
//!
//! # One flush per change
//! A mutating request costs one store flush, not two. [`record`] runs the handler of a
//! mutating request with a task-local marker set, and there [`AppState::flush`] returns at
//! once ([`flush_deferred`]); the middleware then appends the request's entry and flushes,
//! and that flush makes every write committed before it durable: the handler's change and its
//! entry are both on disk before the answer, which waits for that one flush (shared with
//! concurrent requests: [`ironbrick_store::Store::flush`] is a group commit). What a crash
//! leaves:
//! - an acknowledged (2xx) change, and its entry;
//! - for a request not acknowledged: nothing, its change alone, or its change and its entry;
//!   never an entry without its change. The change is written before the entry, and sled
//!   recovers a prefix of its log (recovery reads the log in order and stops at the first
//!   torn message; this is also what keeps a multi-key transaction, one sled batch,
//!   all-or-nothing). Until the flush was shared, the change was flushed before its entry was
//!   written, which did not rest on that property, for a second fsync per request.
//!
//! When that flush fails (a full disk), a 2xx answer becomes the store's error, as when the
//! handler flushed for itself; the entry, already written, says what the handler answered,
//! and whether change and entry survive is then as for any 5xx (unknown, but never the entry
//! alone). Writes outside a request (workers, start-up, tasks a handler spawns, which do not
//! inherit the marker) flush for themselves; reads refused (401, 403, 429) or found corrupt
//! are recorded without a flush. On PostgreSQL every commit is durable and the flush does
//! nothing: the change and its entry are two commits, the entry's after the change's, as
//! before.
//!
//! Writing the entry in the change's own transaction (one sled batch) was the alternative:
//! it would need the answer (status, error code) before the handler commits, a sequence
//! number (so the audit lock) held across every handler's transaction, and handlers that
//! commit more than once to stage their writes; the deferred flush needs none of it.
//!
//! Entries are keyed by a big-endian sequence number in their own tree; nothing in the server
//! deletes or rewrites them. Bodies, tokens and secret values are never recorded: parameters
//! come from the path and query only, through [`crate::redact`].
//!
//! Sequence numbers are assigned and written under one lock, and a number is used only once
//! its entry is committed, so committed entries are contiguous and in order: a reader that has
//! seen entry `n` has seen every entry before it (log delivery relies on this to advance its
//! cursor without skipping an entry still being written).
//!
//! # Replicas on one database
//! On a store other processes write too ([`KvStore::shared`](ironbrick_store::KvStore::shared)),
//! a number held in one process's memory would be handed out again by another. There the
//! next number is a counter in the store ([`trees::SHARED`]), read and advanced in the same
//! serializable transaction that writes the entry: numbers are never reused, and entry `n + 1`
//! can only be written by a transaction that saw entry `n` committed, so committed entries stay
//! contiguous and in order for every reader. Appends run one after another across replicas
//! ([`Store::transact_serialized`], an advisory lock taken before the transaction begins): two
//! replicas appending at once would otherwise both read the counter, one would fail to commit
//! and retry, and under a steady stream of writes through two replicas an append could lose
//! every retry and answer 503 for a change already made (`scripts/bench-store` saw it). The
//! in-process lock still orders one replica's own appends. An embedded store has one writer
//! and keeps the counter in memory only (no extra read and write per entry).

use crate::client_ip::ClientIp;
use crate::error::{ApiError, ApiResult};
use crate::model::AuditRecord;
use crate::repo::trees;
use crate::state::AppState;
use crate::time::now_ms;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ironbrick_api::ErrorCode;
use ironbrick_store::record::{decode, encode};
use ironbrick_store::{Store, StoreError};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::Mutex;

tokio::task_local! {
    /// Set while the handler of a mutating request runs, in its task (see [`flush_deferred`]).
    static DEFERRED_FLUSH: ();
}

/// Whether the caller runs in the handler of a mutating request, whose flush [`record`] does
/// after appending the request's entry: then [`AppState::flush`] has nothing to do. Tasks the
/// handler spawns, workers and start-up run outside and flush for themselves.
pub fn flush_deferred() -> bool {
    DEFERRED_FLUSH.try_with(|()| ()).is_ok()
}

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
    /// The next sequence number, held while an entry is written. On a shared store, a lower
    /// bound only, used until the store's counter exists.
    next: Mutex<u64>,
}

/// The shared next-sequence counter's key in [`trees::SHARED`] (big-endian `u64`).
const COUNTER: &[u8] = b"audit_next_seq";

fn counter_value(bytes: &[u8]) -> Result<u64, StoreError> {
    <[u8; 8]>::try_from(bytes)
        .map(u64::from_be_bytes)
        .map_err(|_| StoreError::Engine("the audit sequence counter is corrupt".into()))
}

impl Audit {
    /// Opens the log, continuing after its last entry.
    ///
    /// Entries written before numbers were assigned under a lock may have gaps (a failed
    /// write used to consume its number), so the count of entries is only a lower bound of
    /// the next number: the entries at or above it are read to find the true end, lest a new
    /// entry overwrite an old one.
    pub fn new(store: Store) -> Self {
        let count = store.kv().count_prefix(trees::AUDIT, b"").unwrap_or(0) as u64;
        let last_above = store
            .kv()
            .scan_from(trees::AUDIT, &count.to_be_bytes(), usize::MAX)
            .unwrap_or_default()
            .last()
            .and_then(|(k, _)| <[u8; 8]>::try_from(k.as_slice()).ok())
            .map(u64::from_be_bytes);
        let next = last_above.map_or(count, |last| last.max(count) + 1);
        Self {
            store,
            next: Mutex::new(next),
        }
    }

    /// Appends one entry (its `seq` is assigned here, once it is committed).
    pub fn append(&self, mut record: AuditRecord) -> ApiResult<()> {
        let mut next = self
            .next
            .lock()
            .map_err(|_| crate::error::ApiError::Internal("audit lock poisoned".into()))?;
        if self.store.kv().shared() {
            let floor = *next;
            let assigned = Cell::new(floor);
            self.store.transact_serialized(
                "audit",
                |tx| -> Result<(), crate::error::ApiError> {
                    let seq = match tx.get(trees::SHARED, COUNTER)? {
                        Some(b) => counter_value(&b)?.max(floor),
                        None => floor,
                    };
                    let mut entry = record.clone();
                    entry.seq = seq;
                    tx.put(trees::AUDIT, &seq.to_be_bytes(), &encode(&entry)?)?;
                    tx.put(trees::SHARED, COUNTER, &(seq + 1).to_be_bytes())?;
                    assigned.set(seq);
                    Ok(())
                },
            )?;
            *next = assigned.get() + 1;
            return Ok(());
        }
        record.seq = *next;
        let key = record.seq.to_be_bytes();
        let bytes = encode(&record)?;
        self.store
            .transact(|tx| tx.put(trees::AUDIT, &key, &bytes))?;
        *next += 1;
        Ok(())
    }

    /// Entries with `seq >= since`, at most `limit` (a key-range scan from `since`).
    pub fn read(&self, since: u64, limit: usize) -> ApiResult<Vec<AuditRecord>> {
        self.store
            .kv()
            .scan_from(trees::AUDIT, &since.to_be_bytes(), limit)?
            .into_iter()
            .map(|(_, v)| decode(&v).map_err(Into::into))
            .collect()
    }

    /// The sequence number the next entry will get (on a shared store, as far as this replica
    /// knows: another may append first).
    pub fn next_seq(&self) -> u64 {
        let local = self.next.lock().map_or(0, |n| *n);
        if !self.store.kv().shared() {
            return local;
        }
        match self.store.kv().get(trees::SHARED, COUNTER) {
            Ok(Some(b)) => counter_value(&b).map_or(local, |n| n.max(local)),
            _ => local,
        }
    }
}

/// The workspace of a path-form workspace URL (`/w/{id}/...`), for requests refused before
/// the caller was known.
fn path_workspace(path: &str) -> Option<i64> {
    path.strip_prefix("/w/")?.split('/').next()?.parse().ok()
}

/// Path parameters by route name (`/clusters/{cluster_id}` matched against the path) and query
/// parameters, through [`crate::redact::param`].
fn request_params(
    route: Option<&str>,
    path: &str,
    query: Option<&str>,
) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    if let Some(route) = route {
        for (name, value) in route.split('/').zip(path.split('/')) {
            if let Some(name) = name.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
                let name = name.trim_start_matches('*');
                params.insert(name.to_owned(), crate::redact::param(name, value));
            }
        }
    }
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = crate::redact::scrub(&percent_decode(name));
        let value = crate::redact::param(&name, &percent_decode(value));
        params.insert(name, value);
    }
    params
}

/// `%XX` and `+` decoding of a query component (invalid escapes are kept as they are).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Middleware: records mutating and denied requests after they are answered. A mutating
/// request's handler runs with its flushes deferred, and the one flush after its entry makes
/// both durable before the answer leaves (see the module documentation).
pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_owned);
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(crate::redact::scrub);
    let source_ip = req
        .extensions()
        .get::<ClientIp>()
        .map(|c| c.0.to_string())
        .unwrap_or_default();
    let mutating = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    let generation = state.store().generation();
    let resp = if mutating {
        // The handler's flushes are left to the one below (see `flush_deferred`).
        DEFERRED_FLUSH.scope((), next.run(req)).await
    } else {
        next.run(req).await
    };
    let status = resp.status().as_u16();
    // Reads are recorded when refused, and when they found stored data corrupt (DATA_LOSS:
    // a possible tampering, see crate::vault).
    let corrupt = resp.extensions().get::<ErrorCode>() == Some(&ErrorCode::DataLoss);
    if mutating || corrupt || matches!(status, 401 | 403 | 429) {
        let actor = resp.extensions().get::<Actor>();
        let entry = AuditRecord {
            seq: 0,
            timestamp: now_ms(),
            principal: actor.map(|a| a.name.clone()),
            principal_id: actor.map(|a| a.id),
            method: method.to_string(),
            request_params: request_params(route.as_deref(), &path, query.as_deref()),
            workspace_id: actor
                .and_then(|a| a.workspace_id)
                .or_else(|| path_workspace(&path)),
            path: crate::redact::scrub(&path),
            source_ip,
            status,
            error_code: resp
                .extensions()
                .get::<ErrorCode>()
                .map(|c| c.as_str().to_string()),
            request_id: Some(crate::ids::uuid()),
            user_agent,
        };
        let appended = state.audit().append(entry);
        let written = if mutating {
            // One flush makes the change (its handler's flushes were deferred) and its entry
            // durable before the answer; concurrent requests share it (group commit). It runs
            // even when the entry failed: the handler's writes are flushed all the same.
            // A store reopened since the handler began lost what it held unflushed, the
            // handler's writes perhaps among it: then this fails (`flush_since`).
            let flushed = state
                .store()
                .flush_since(generation)
                .await
                .map_err(ApiError::from);
            appended.and(flushed)
        } else {
            appended
        };
        if let Err(e) = written {
            tracing::error!(error = %e, "audit log write failed");
            if mutating && resp.status().is_success() {
                // No acknowledged change without its entry: the answer becomes the failure
                // (the change may have been applied, as after any 5xx).
                return e.into_response();
            }
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_come_from_the_route_and_the_query_redacted() {
        let token = format!("dapi{}", "ab".repeat(16));
        let p = request_params(
            Some("/w/{workspace_id}/api/2.0/secrets/{scope}"),
            "/w/7/api/2.0/secrets/s1",
            Some(&format!("key=k%201&string_value=hunter2&x={token}&flag")),
        );
        assert_eq!(p["workspace_id"], "7");
        assert_eq!(p["scope"], "s1");
        assert_eq!(p["key"], "k 1");
        assert_eq!(p["string_value"], crate::redact::REDACTED);
        assert_eq!(p["x"], crate::redact::REDACTED);
        assert_eq!(p["flag"], "");
        assert!(request_params(None, "/a", None).is_empty());
    }

    #[test]
    fn workspace_from_the_path_form() {
        assert_eq!(path_workspace("/w/42/api/2.0/clusters/list"), Some(42));
        assert_eq!(path_workspace("/api/2.0/accounts/a/credentials"), None);
        assert_eq!(path_workspace("/w/x/api"), None);
    }

    #[test]
    fn percent_decoding_keeps_bad_escapes() {
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%é1"), "%é1");
    }

    #[test]
    fn entries_without_the_newer_fields_still_decode() {
        let mut old = vec![1u8];
        old.extend_from_slice(
            br#"{"seq":3,"timestamp":1,"principal":null,"principal_id":null,"method":"POST","path":"/x","workspace_id":null,"source_ip":"127.0.0.1","status":200,"error_code":null}"#,
        );
        let r: AuditRecord = decode(&old).unwrap();
        assert_eq!(r.seq, 3);
        assert!(r.request_id.is_none() && r.user_agent.is_none() && r.request_params.is_empty());
    }

    fn entry() -> AuditRecord {
        AuditRecord {
            seq: 99,
            timestamp: 0,
            principal: None,
            principal_id: None,
            method: "POST".into(),
            path: "/x".into(),
            workspace_id: None,
            source_ip: String::new(),
            status: 200,
            error_code: None,
            request_id: None,
            user_agent: None,
            request_params: BTreeMap::new(),
        }
    }

    #[test]
    fn replicas_on_a_shared_store_never_reuse_numbers() {
        let store = Store::new(std::sync::Arc::new(crate::testing::SharedMem::default()));
        // An older log (written before the counter existed) continues after its end.
        store
            .transact(|tx| tx.put(trees::AUDIT, &2u64.to_be_bytes(), b"\x01{}"))
            .unwrap();
        let a = Audit::new(store.clone());
        let b = Audit::new(store.clone());
        for _ in 0..3 {
            a.append(entry()).unwrap();
            b.append(entry()).unwrap();
        }
        assert_eq!(a.next_seq(), 9);
        assert_eq!(b.next_seq(), 9);
        let seqs: Vec<u64> = a.read(3, 100).unwrap().iter().map(|r| r.seq).collect();
        assert_eq!(seqs, (3..9).collect::<Vec<_>>());
        assert_eq!(Audit::new(store).next_seq(), 9);
    }

    #[test]
    fn sequence_numbers_are_contiguous_and_ranges_seek() {
        let store = Store::new(std::sync::Arc::new(ironbrick_store::MemStore::new()));
        let audit = Audit::new(store);
        for i in 0..5 {
            let r = AuditRecord {
                timestamp: i,
                ..entry()
            };
            audit.append(r).unwrap();
        }
        assert_eq!(audit.next_seq(), 5);
        let seqs: Vec<u64> = audit.read(2, 2).unwrap().iter().map(|r| r.seq).collect();
        assert_eq!(seqs, vec![2, 3]);
        assert!(audit.read(5, 10).unwrap().is_empty());
        // Reopened over a log with a gap (keys 0-4 and 9): numbering continues after 9.
        let store = audit.store.clone();
        store
            .transact(|tx| tx.put(trees::AUDIT, &9u64.to_be_bytes(), b"\x01{}"))
            .unwrap();
        assert_eq!(Audit::new(store).next_seq(), 10);
    }
}
