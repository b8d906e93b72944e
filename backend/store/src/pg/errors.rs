//! Mapping PostgreSQL and pool failures onto [`StoreError`].
//!
//! Messages come from the client library (`tokio_postgres::Error`'s display), which names the
//! failure but never the connection string, so no password can leak through them.

use crate::StoreError;
use deadpool_postgres::PoolError;
use tokio_postgres::error::SqlState;

/// Classifies a PostgreSQL error:
/// - serialization failures (40001) and deadlocks (40P01) are [`StoreError::Conflict`]: the
///   transaction is re-run;
/// - a lost or refused connection, a server shutting down or starting up (class 08, 57P01-3),
///   or too many connections (53300) are [`StoreError::Unavailable`];
/// - anything else is [`StoreError::Engine`].
pub(crate) fn classify(e: &tokio_postgres::Error) -> StoreError {
    let Some(code) = e.code() else {
        // No SQLSTATE: I/O, a closed connection, a timeout, a protocol failure.
        return StoreError::Unavailable(format!("PostgreSQL: {e}"));
    };
    if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED {
        return StoreError::Conflict;
    }
    let unavailable = code.code().starts_with("08")
        || *code == SqlState::ADMIN_SHUTDOWN
        || *code == SqlState::CRASH_SHUTDOWN
        || *code == SqlState::CANNOT_CONNECT_NOW
        || *code == SqlState::TOO_MANY_CONNECTIONS;
    if unavailable {
        StoreError::Unavailable(format!("PostgreSQL: {e}"))
    } else {
        StoreError::Engine(format!("PostgreSQL: {e}"))
    }
}

/// Classifies a failure to get a pooled connection: a timeout or a failed connect means the
/// database is unreachable.
pub(crate) fn pool(e: PoolError) -> StoreError {
    match e {
        PoolError::Backend(e) => classify(&e),
        PoolError::Timeout(t) => {
            StoreError::Unavailable(format!("PostgreSQL: no connection ({t:?} timed out)"))
        }
        PoolError::Closed => StoreError::Unavailable("PostgreSQL: the pool is closed".into()),
        other => StoreError::Engine(format!("PostgreSQL pool: {other}")),
    }
}
