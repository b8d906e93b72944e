//! Serializable transactions with bounded retries on conflicts.

use super::bridge::Bridge;
use super::errors::{self, classify};
use crate::{StoreError, Tx, TxBody};
use deadpool_postgres::{Object, Pool};
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// How many times a transaction body runs at most before [`StoreError::Conflict`] reaches the
/// caller.
pub(crate) const MAX_ATTEMPTS: u32 = 10;
/// The first back-off after a conflict; it doubles per attempt up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(2);
const MAX_BACKOFF: Duration = Duration::from_millis(100);

const PUT: &str = "INSERT INTO ironbrick_kv (tree, key, value) VALUES ($1, $2, $3) \
     ON CONFLICT (tree, key) DO UPDATE SET value = EXCLUDED.value";
const DELETE: &str = "DELETE FROM ironbrick_kv WHERE tree = $1 AND key = $2";

/// Runs `body` in a serializable transaction, again after a back-off on each serialization
/// failure or deadlock, at most [`MAX_ATTEMPTS`] times. Blocks the calling thread.
///
/// `origin` names this process in the notices of [`Tx::announce`] ([`super::follow`]). With
/// `lock`, each attempt holds that session-level advisory lock from before BEGIN to after its
/// end, so transactions under one lock run one after another across processes, at READ
/// COMMITTED ([`crate::KvStore::transaction_serialized`]).
pub(crate) fn run(
    bridge: &Bridge,
    pool: &Pool,
    origin: &str,
    lock: Option<i64>,
    body: &TxBody<'_>,
) -> Result<bool, StoreError> {
    let mut attempt = 1;
    loop {
        match begin(bridge, pool, origin, lock).and_then(|tx| attempt_once(tx, body)) {
            Err(StoreError::Conflict) if attempt < MAX_ATTEMPTS => {
                std::thread::sleep(backoff(attempt));
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// A jittered exponential back-off: between half and all of `2 ms * 2^(attempt-1)`, capped.
fn backoff(attempt: u32) -> Duration {
    let full = FIRST_BACKOFF
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    // A fresh RandomState is randomly keyed: enough entropy for jitter without a dependency.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(attempt);
    let jitter = (h.finish() % 1000) as u32; // 0..1000 thousandths
    full / 2 + full / 2 * jitter / 1000
}

/// Runs `body` once in the transaction `tx` just opened, and ends it.
fn attempt_once(mut tx: PgTx<'_>, body: &TxBody<'_>) -> Result<bool, StoreError> {
    let commit = body(&mut tx);
    if let Some(failure) = tx.failure.take() {
        tx.end("ROLLBACK").ok();
        return Err(failure);
    }
    let outcome = if commit { "COMMIT" } else { "ROLLBACK" };
    match tx.end(outcome) {
        Ok(()) => Ok(commit),
        Err(e) => {
            if !matches!(e, StoreError::Unavailable(_)) {
                tx.end("ROLLBACK").ok();
            }
            Err(e)
        }
    }
}

/// Takes a pooled connection, takes `lock` on it if any, and opens a transaction on it
/// (serializable, or read committed under a lock). Nothing has happened yet, so when that fails
/// because the pooled connection was lost (the server restarted since, or the session was
/// killed), it is tried again on the next one ([`super::stale_connections`]).
fn begin<'a>(
    bridge: &'a Bridge,
    pool: &Pool,
    origin: &'a str,
    lock: Option<i64>,
) -> Result<PgTx<'a>, StoreError> {
    let mut stale = super::stale_connections(pool);
    loop {
        let pool = pool.clone();
        let client = bridge.run(async move { pool.get().await.map_err(errors::pool) })?;
        let mut tx = PgTx {
            bridge,
            lease: Some(Lease::new(client)),
            failure: None,
            origin,
            lock: None,
        };
        let locked = match lock {
            Some(key) => tx.round(Op::Lock(key)).map(|_| tx.lock = Some(key)),
            None => Ok(()),
        };
        let isolation = match lock {
            Some(_) => "BEGIN ISOLATION LEVEL READ COMMITTED",
            None => "BEGIN ISOLATION LEVEL SERIALIZABLE",
        };
        match locked.and_then(|()| tx.round(Op::Batch(isolation))) {
            Ok(_) => return Ok(tx),
            Err(StoreError::Unavailable(_)) if stale > 0 => stale -= 1,
            Err(e) => return Err(e),
        }
    }
}

/// A pooled connection lent to one transaction. Until COMMIT or ROLLBACK succeeded on it (and
/// its advisory lock, if any, was given back), it is dirty: dropped then (a panicking body, a lost connection, an operation the private
/// runtime dropped), it is detached from the pool and closed instead of being handed, inside
/// an open transaction, to the next caller.
struct Lease {
    client: Option<Object>,
    dirty: bool,
}

impl Lease {
    fn new(client: Object) -> Self {
        Self {
            client: Some(client),
            dirty: true,
        }
    }

    fn client(&self) -> &Object {
        self.client.as_ref().expect("present until drop")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if self.dirty {
            if let Some(client) = self.client.take() {
                drop(Object::take(client));
            }
        }
    }
}

/// One statement of a transaction.
enum Op {
    /// A statement without parameters or rows (BEGIN, COMMIT, ROLLBACK).
    Batch(&'static str),
    Get(String, Vec<u8>),
    Put(String, Vec<u8>, Vec<u8>),
    Delete(String, Vec<u8>),
    /// Bump the tree's version and queue its notice (`origin`, tree, keys).
    Announce(String, String, Vec<Vec<u8>>),
    /// Wait for and take the session-level advisory lock with this key.
    Lock(i64),
    /// Give that lock back.
    Unlock(i64),
}

async fn perform(c: &Object, op: Op) -> Result<Option<Vec<u8>>, tokio_postgres::Error> {
    match op {
        Op::Batch(sql) => c.batch_execute(sql).await.map(|()| None),
        Op::Lock(key) => c
            .execute("SELECT pg_advisory_lock($1)", &[&key])
            .await
            .map(|_| None),
        Op::Unlock(key) => c
            .execute("SELECT pg_advisory_unlock($1)", &[&key])
            .await
            .map(|_| None),
        Op::Get(tree, key) => {
            let st = c.prepare_cached(super::GET).await?;
            Ok(c.query_opt(&st, &[&tree, &key]).await?.map(|r| r.get(0)))
        }
        Op::Put(tree, key, value) => {
            let st = c.prepare_cached(PUT).await?;
            c.execute(&st, &[&tree, &key, &value]).await.map(|_| None)
        }
        Op::Delete(tree, key) => {
            let st = c.prepare_cached(DELETE).await?;
            c.execute(&st, &[&tree, &key]).await.map(|_| None)
        }
        Op::Announce(origin, tree, keys) => {
            let st = c.prepare_cached(super::follow::BUMP).await?;
            let version: i64 = c.query_one(&st, &[&tree]).await?.get(0);
            let notice = super::follow::notice(&origin, &tree, version, &keys);
            let st = c.prepare_cached(super::follow::NOTIFY).await?;
            c.execute(&st, &[&super::follow::CHANNEL, &notice])
                .await
                .map(|_| None)
        }
    }
}

/// The [`Tx`] handed to a transaction body: one round trip per operation on the leased
/// connection. The first failure is remembered and answered to every later operation, and it
/// decides the outcome whatever the body returns.
struct PgTx<'a> {
    bridge: &'a Bridge,
    /// `None` only after the private runtime dropped an operation (with the connection).
    lease: Option<Lease>,
    failure: Option<StoreError>,
    /// This process, in notices.
    origin: &'a str,
    /// The advisory lock this transaction's connection holds ([`run`]'s `lock`).
    lock: Option<i64>,
}

impl PgTx<'_> {
    /// Runs `op` on the leased connection: the lease travels to the private runtime and back
    /// (dropped there, it closes the connection: see [`Lease`]).
    fn round(&mut self, op: Op) -> Result<Option<Vec<u8>>, StoreError> {
        let lease = self
            .lease
            .take()
            .ok_or_else(|| StoreError::Unavailable("PostgreSQL: connection lost".into()))?;
        let (lease, result) = self.bridge.run(async move {
            let result = perform(lease.client(), op).await;
            Ok((lease, result))
        })?;
        self.lease = Some(lease);
        result.map_err(|e| classify(&e))
    }

    /// Runs a body operation, refusing once a failure is remembered and remembering a new one.
    fn call(&mut self, op: Op) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(f) = &self.failure {
            return Err(f.clone());
        }
        self.round(op)
            .inspect_err(|e| self.failure = Some(e.clone()))
    }

    /// Sends COMMIT or ROLLBACK and gives the advisory lock back; once both succeeded the
    /// connection is clean again. When only the lock could not be given back, the outcome
    /// stands and the connection stays dirty: it is closed when dropped, which frees the lock.
    fn end(&mut self, sql: &'static str) -> Result<(), StoreError> {
        self.round(Op::Batch(sql))?;
        if let Some(key) = self.lock.take() {
            if self.round(Op::Unlock(key)).is_err() {
                return Ok(());
            }
        }
        if let Some(lease) = &mut self.lease {
            lease.dirty = false;
        }
        Ok(())
    }
}

impl Tx for PgTx<'_> {
    fn get(&mut self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.call(Op::Get(tree.to_string(), key.to_vec()))
    }

    fn put(&mut self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.call(Op::Put(tree.to_string(), key.to_vec(), value.to_vec()))
            .map(drop)
    }

    fn delete(&mut self, tree: &str, key: &[u8]) -> Result<(), StoreError> {
        self.call(Op::Delete(tree.to_string(), key.to_vec()))
            .map(drop)
    }

    /// Bumps the tree's row in `ironbrick_tree_versions` and queues a `NOTIFY`, which
    /// PostgreSQL sends only when the transaction commits ([`super::follow`]).
    fn announce(&mut self, tree: &str, keys: &[Vec<u8>]) -> Result<(), StoreError> {
        self.call(Op::Announce(
            self.origin.to_string(),
            tree.to_string(),
            keys.to_vec(),
        ))
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_grows_and_is_bounded() {
        for attempt in 1..=MAX_ATTEMPTS {
            let full = FIRST_BACKOFF
                .saturating_mul(1 << (attempt - 1))
                .min(MAX_BACKOFF);
            let d = backoff(attempt);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
        assert!(backoff(40) <= MAX_BACKOFF);
    }
}
