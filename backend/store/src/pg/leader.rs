//! [`Leadership`] on PostgreSQL: a session-level advisory lock held on a dedicated connection
//! (never a pooled one, whose session outlives its borrower). The lock lives exactly as long
//! as that session: when the replica dies or its connection breaks, PostgreSQL releases it and
//! the next replica to ask takes it.

use super::bridge::{blocking, Bridge};
use super::errors::classify;
use crate::{Leadership, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::{Client, Config, NoTls};

/// How long one check may take before the session is deemed lost.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// One replica's handle on a named advisory lock.
pub(crate) struct PgLeadership {
    bridge: Bridge,
    config: Config,
    key: i64,
    session: Arc<tokio::sync::Mutex<Option<Session>>>,
}

struct Session {
    client: Client,
    held: bool,
}

impl std::fmt::Debug for PgLeadership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgLeadership")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl PgLeadership {
    /// A handle on the lock for `name`, connecting (lazily) with `config`.
    pub(crate) fn new(config: Config, name: &str) -> Result<Self, StoreError> {
        Ok(Self {
            bridge: Bridge::start(1)?,
            config,
            key: lock_key(name),
            session: Arc::default(),
        })
    }
}

/// The advisory lock's 64-bit key: FNV-1a of `ironbrick:<name>` (stable across builds).
pub(super) fn lock_key(name: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in "ironbrick:".bytes().chain(name.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(h.to_ne_bytes())
}

impl Leadership for PgLeadership {
    fn try_lead(&self) -> Result<bool, StoreError> {
        let (session, config, key) = (self.session.clone(), self.config.clone(), self.key);
        blocking(|| {
            self.bridge.run(async move {
                let mut guard = session.lock().await;
                if guard.as_ref().is_some_and(|s| s.client.is_closed()) {
                    *guard = None;
                }
                if guard.is_none() {
                    let (client, connection) =
                        config.connect(NoTls).await.map_err(|e| classify(&e))?;
                    tokio::spawn(connection);
                    *guard = Some(Session {
                        client,
                        held: false,
                    });
                }
                let Some(s) = guard.as_mut() else {
                    return Ok(false);
                };
                let check = async {
                    if s.held {
                        // The lock lives as long as the session: a live session still holds it.
                        s.client.query_one("SELECT true", &[]).await
                    } else {
                        s.client
                            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                            .await
                    }
                };
                match tokio::time::timeout(CHECK_TIMEOUT, check).await {
                    Ok(Ok(row)) => {
                        s.held = row.get(0);
                        Ok(s.held)
                    }
                    Ok(Err(e)) => {
                        *guard = None;
                        Err(classify(&e))
                    }
                    Err(_) => {
                        *guard = None;
                        Err(StoreError::Unavailable(
                            "the leadership session did not answer in time".into(),
                        ))
                    }
                }
            })
        })
    }

    fn resign(&self) {
        let (session, key) = (self.session.clone(), self.key);
        // Unlock explicitly, so that the lock is free when this returns (closing the session
        // releases it too, but PostgreSQL notices the closed connection a little later); then
        // close the session.
        let _ = blocking(|| {
            self.bridge.run(async move {
                if let Some(s) = session.lock().await.take() {
                    if s.held {
                        let unlock = "SELECT pg_advisory_unlock($1)";
                        let _ = tokio::time::timeout(
                            CHECK_TIMEOUT,
                            s.client.query_one(unlock, &[&key]),
                        )
                        .await;
                    }
                }
                Ok(())
            })
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lock_keys_are_stable_and_distinct() {
        assert_eq!(super::lock_key("a"), super::lock_key("a"));
        assert_ne!(super::lock_key("a"), super::lock_key("b"));
    }
}
