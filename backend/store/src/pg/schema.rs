//! The schema, created and migrated at start.
//!
//! Migrations are numbered statements applied in order inside one transaction that first takes
//! a transaction-scoped advisory lock, so replicas starting together apply each migration
//! exactly once: the others wait on the lock, then find the schema current. The transaction
//! runs at READ COMMITTED on purpose: each statement after the lock sees what the previous
//! holder committed (a serializable snapshot would be taken before the wait). A database whose
//! schema is newer than this binary knows is refused rather than written with an old layout.

use super::errors::classify;
use crate::StoreError;
use tokio_postgres::IsolationLevel;

/// Advisory lock key of schema migrations ("ironbric" in ASCII).
const MIGRATION_LOCK: i64 = 0x6972_6f6e_6272_6963;

/// Migration `i` brings the schema to version `i + 1`. Append only; never edit one that
/// shipped.
const MIGRATIONS: &[&str] = &[
    // 1: every tree in one table. The tree name is compared bytewise (collation "C"); keys
    // and values are opaque bytes, and bytea sorts bytewise, as the seam requires.
    r#"CREATE TABLE ironbrick_kv (
        tree text COLLATE "C" NOT NULL,
        key bytea NOT NULL,
        value bytea NOT NULL,
        PRIMARY KEY (tree, key)
    )"#,
    // 2: per-tree change versions, bumped by every transaction that announces a change of the
    // tree (see `follow`): followers compare them with the notices they heard.
    r#"CREATE TABLE ironbrick_tree_versions (
        tree text COLLATE "C" PRIMARY KEY,
        version bigint NOT NULL
    )"#,
];

/// The schema version this binary writes.
pub(crate) const CURRENT: i32 = MIGRATIONS.len() as i32;

/// Brings the schema to [`CURRENT`]; returns how many migrations ran.
pub(crate) async fn migrate(client: &mut tokio_postgres::Client) -> Result<usize, StoreError> {
    let db = |e: tokio_postgres::Error| classify(&e);
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .await
        .map_err(db)?;
    tx.batch_execute(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        .await
        .map_err(db)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS ironbrick_schema_version (
            version integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(db)?;
    let found: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM ironbrick_schema_version",
            &[],
        )
        .await
        .map_err(db)?
        .get(0);
    if found > CURRENT {
        return Err(StoreError::Engine(format!(
            "the database schema is at version {found}, newer than this Ironbrick's {CURRENT}: \
             upgrade Ironbrick"
        )));
    }
    let mut ran = 0;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.batch_execute(sql).await.map_err(db)?;
        tx.execute(
            "INSERT INTO ironbrick_schema_version (version) VALUES ($1)",
            &[&(i as i32 + 1)],
        )
        .await
        .map_err(db)?;
        ran += 1;
    }
    tx.commit().await.map_err(db)?;
    Ok(ran)
}
