//! Mutual exclusion of read-check-write sequences, across replicas too.
//!
//! Some changes read the current state, decide, and write in a later transaction (a SCIM PATCH
//! renders the stored document, applies its operations and writes the result). Inside one
//! process an async mutex serializes them. Replicas sharing one database
//! ([`KvStore::shared`](ironbrick_store::KvStore::shared)) also take a **lease** in the store:
//! an entry of [`trees::SHARED`] naming the holder and when the lease expires, taken in a
//! transaction only when it is absent, expired or already this process's. Without it, two
//! PATCHes adding different members to one group through two replicas would each write a
//! member list lacking the other's member.
//!
//! The lease is given back when the guard drops. A holder that dies keeps it until it expires
//! ([`LEASE`]); a waiter gives up after [`WAIT`] with 503 TEMPORARILY_UNAVAILABLE.

use crate::error::{ApiError, ApiResult};
use crate::repo::trees;
use crate::time::now_ms;
use ironbrick_store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// How long a lease lasts unless given back (a dead holder's lease frees itself after it).
const LEASE: Duration = Duration::from_secs(30);
/// How long a waiter waits for the lease.
const WAIT: Duration = Duration::from_secs(20);
/// The first pause between attempts; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(2);
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// One named exclusion (see the module docs).
#[derive(Debug)]
pub struct Exclusive {
    key: Vec<u8>,
    /// This process, as lease holder.
    holder: String,
    local: tokio::sync::Mutex<()>,
}

/// The lease as stored.
#[derive(Debug, Serialize, Deserialize)]
struct Lease {
    holder: String,
    expires_ms: i64,
}

/// Held while the exclusion is held; dropping it gives the lease back.
#[derive(Debug)]
pub struct ExclusiveGuard<'a> {
    _local: tokio::sync::MutexGuard<'a, ()>,
    lease: Option<(&'a Exclusive, Store)>,
}

impl Exclusive {
    /// The exclusion called `name`.
    pub fn new(name: &str) -> Self {
        Self {
            key: format!("lease/{name}").into_bytes(),
            holder: crate::ids::uuid(),
            local: tokio::sync::Mutex::new(()),
        }
    }

    /// Waits for the exclusion: this process's mutex, then, on a shared store, the lease.
    pub async fn lock(&self, store: &Store) -> ApiResult<ExclusiveGuard<'_>> {
        let local = self.local.lock().await;
        if !store.kv().shared() {
            return Ok(ExclusiveGuard {
                _local: local,
                lease: None,
            });
        }
        let deadline = Instant::now() + WAIT;
        let mut pause = FIRST_PAUSE;
        while !self.try_take(store)? {
            if Instant::now() >= deadline {
                tracing::warn!(lease = %String::from_utf8_lossy(&self.key), "gave up waiting for a lease");
                return Err(ApiError::from(StoreError::Conflict));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_PAUSE);
        }
        Ok(ExclusiveGuard {
            _local: local,
            lease: Some((self, store.clone())),
        })
    }

    fn try_take(&self, store: &Store) -> Result<bool, StoreError> {
        store.transact(|tx| -> Result<bool, StoreError> {
            let now = now_ms();
            if let Some(bytes) = tx.get(trees::SHARED, &self.key)? {
                // An unreadable lease is treated as expired.
                if let Ok(held) = serde_json::from_slice::<Lease>(&bytes) {
                    if held.holder != self.holder && held.expires_ms > now {
                        return Ok(false);
                    }
                }
            }
            let lease = Lease {
                holder: self.holder.clone(),
                expires_ms: now + LEASE.as_millis() as i64,
            };
            let bytes = serde_json::to_vec(&lease)
                .map_err(|e| StoreError::Engine(format!("encoding a lease: {e}")))?;
            tx.put(trees::SHARED, &self.key, &bytes)?;
            Ok(true)
        })
    }

    fn give_back(&self, store: &Store) -> Result<(), StoreError> {
        store.transact(|tx| -> Result<(), StoreError> {
            if let Some(bytes) = tx.get(trees::SHARED, &self.key)? {
                let ours = serde_json::from_slice::<Lease>(&bytes)
                    .is_ok_and(|held| held.holder == self.holder);
                if ours {
                    tx.delete(trees::SHARED, &self.key)?;
                }
            }
            Ok(())
        })
    }
}

impl Drop for ExclusiveGuard<'_> {
    fn drop(&mut self) {
        if let Some((exclusive, store)) = self.lease.take() {
            if let Err(e) = exclusive.give_back(&store) {
                // It expires by itself.
                tracing::warn!(error = %e, "could not give a lease back");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SharedMem;
    use ironbrick_store::MemStore;
    use std::sync::Arc;

    /// Two "replicas" (two exclusions of one name) on one shared store: one at a time; the
    /// lease is given back on drop; an expired lease of a dead holder is taken over.
    #[tokio::test]
    async fn replicas_take_turns_through_the_store() {
        let store = Store::new(Arc::new(SharedMem::default()));
        let (a, b) = (Exclusive::new("identity"), Exclusive::new("identity"));
        let held = a.lock(&store).await.unwrap();
        assert!(!b.try_take(&store).unwrap(), "b waits while a holds");
        drop(held);
        assert!(b.try_take(&store).unwrap(), "given back on drop");
        b.give_back(&store).unwrap();

        // A dead holder's lease: present, expired.
        let dead = Lease {
            holder: "dead".into(),
            expires_ms: now_ms() - 1,
        };
        store
            .transact(|tx| {
                tx.put(
                    trees::SHARED,
                    b"lease/identity",
                    &serde_json::to_vec(&dead).unwrap(),
                )
            })
            .unwrap();
        let _taken = b
            .lock(&store)
            .await
            .expect("an expired lease is taken over");
        assert!(!a.try_take(&store).unwrap());
    }

    #[tokio::test]
    async fn an_embedded_store_needs_no_lease() {
        let store = Store::new(Arc::new(MemStore::new()));
        let e = Exclusive::new("identity");
        let _g = e.lock(&store).await.unwrap();
        assert!(store.kv().trees().unwrap().is_empty(), "nothing written");
    }
}
