//! [`PgStore`]: the PostgreSQL engine, the shared store of many Ironbrick replicas.
//!
//! # Layout
//! One table, `ironbrick_kv (tree, key, value)` with primary key `(tree, key)`, holds every
//! tree. A transaction spans trees for free, no DDL ever runs outside start-up migrations
//! (trees appear by being written, as on sled), and a prefix or range scan is one index range
//! scan of the primary key: `tree = $1 AND key >= prefix AND key < successor(prefix)`.
//!
//! # Transactions
//! Each [`KvStore::transaction`] runs at SERIALIZABLE on one pooled connection, one round trip
//! per operation. A serialization failure (40001) or deadlock (40P01), whether raised by an
//! operation or by COMMIT, rolls back and runs the body again after a jittered exponential
//! back-off (2 ms doubling to 100 ms, at most [`tx::MAX_ATTEMPTS`] runs); then
//! [`StoreError::Conflict`] reaches the caller. A body that swallows an operation's error
//! still cannot commit: the engine remembers the failure.
//!
//! # Durability and the flush contract
//! [`KvStore::flush`] promises that a committed transaction is durable once it returns. Here a
//! transaction counts as committed only when PostgreSQL acknowledged COMMIT, and sessions run
//! with `synchronous_commit` on (forced on at connect when the server's default is `off`),
//! so the commit record is already flushed to the WAL: `flush` has nothing left to do.
//!
//! # Availability
//! When PostgreSQL cannot be reached, operations fail with [`StoreError::Unavailable`] within
//! the connect and pool timeouts; the pool drops closed connections and opens new ones, so
//! the engine recovers by itself when the database is back.
//!
//! # Change feed
//! Announced writes bump a per-tree version and `NOTIFY` in the writing transaction, and
//! [`KvStore::follow`] keeps a `LISTEN` session per replica: see [`follow`].
//!
//! # Sync seam
//! See [`bridge`] for how the synchronous trait drives the asynchronous client safely from any
//! thread.

mod bridge;
mod errors;
mod follow;
mod leader;
mod schema;
mod tx;

#[cfg(any(test, feature = "test-cluster"))]
pub(crate) mod cluster;
#[cfg(test)]
mod tests;

use crate::{ChangeFeed, Entries, KvStore, StoreError, TxBody};
use bridge::{blocking, Bridge};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use errors::classify;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::{Config, NoTls};

/// The default number of pooled connections per replica (`--store-pool-size`).
pub const DEFAULT_POOL_SIZE: usize = 16;

/// How long opening a connection may take when the URL sets no `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an operation waits for a free pooled connection.
const POOL_WAIT: Duration = Duration::from_secs(10);
/// Threads of the private runtime that drives the connections.
const IO_THREADS: usize = 2;

const GET: &str = "SELECT value FROM ironbrick_kv WHERE tree = $1 AND key = $2";
const SCAN_RANGE: &str = "SELECT key, value FROM ironbrick_kv \
     WHERE tree = $1 AND key >= $2 AND key < $3 ORDER BY key";
const SCAN_OPEN: &str =
    "SELECT key, value FROM ironbrick_kv WHERE tree = $1 AND key >= $2 ORDER BY key";
const SCAN_FROM: &str =
    "SELECT key, value FROM ironbrick_kv WHERE tree = $1 AND key >= $2 ORDER BY key LIMIT $3";
const COUNT_RANGE: &str =
    "SELECT count(*) FROM ironbrick_kv WHERE tree = $1 AND key >= $2 AND key < $3";
const TREES: &str = "SELECT DISTINCT tree FROM ironbrick_kv ORDER BY tree";
const COUNT_OPEN: &str = "SELECT count(*) FROM ironbrick_kv WHERE tree = $1 AND key >= $2";

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// The PostgreSQL engine: a pool of connections to one database (see the module docs).
pub struct PgStore {
    bridge: Bridge,
    pool: Pool,
    /// How sessions connect (for the dedicated connections of [`leader`]).
    config: Config,
    /// `postgres://user@host:port/dbname`, without the password: for logs and Debug.
    target: String,
    /// Random name of this engine in change notices ([`follow`]).
    origin: String,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.target)
            .field("pool_size", &self.pool.status().max_size)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to the database at `url` (a `postgres://` URL or a libpq key=value string)
    /// with at most `pool_size` connections, then creates or migrates the schema.
    ///
    /// Fails with [`StoreError::Unavailable`] when the database cannot be reached. Errors never
    /// contain the URL's password.
    pub fn connect(url: &str, pool_size: usize) -> Result<Self, StoreError> {
        Self::open(url, pool_size, None)
    }

    /// [`PgStore::connect`], with every session named `application_name` whatever the URL
    /// says (tools such as `ironbrick migrate` tell their sessions from the servers' this way:
    /// see [`PgStore::sessions_named`]).
    pub fn connect_as(
        url: &str,
        pool_size: usize,
        application_name: &str,
    ) -> Result<Self, StoreError> {
        Self::open(url, pool_size, Some(application_name))
    }

    /// How many sessions named `application_name` are connected to this store's database
    /// (servers name theirs `ironbrick` unless their URL names them otherwise).
    pub fn sessions_named(&self, application_name: &str) -> Result<u64, StoreError> {
        let name = application_name.to_string();
        let n: i64 = self.read(move |c| {
            let name = name.clone();
            Box::pin(async move {
                let row = c
                    .query_one(
                        "SELECT count(*) FROM pg_stat_activity \
                         WHERE datname = current_database() AND application_name = $1",
                        &[&name],
                    )
                    .await?;
                Ok(row.get(0))
            })
        })?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn open(
        url: &str,
        pool_size: usize,
        application_name: Option<&str>,
    ) -> Result<Self, StoreError> {
        let mut config: Config = url
            .parse()
            .map_err(|e| StoreError::Engine(format!("invalid PostgreSQL URL: {e}")))?;
        if config.get_ssl_mode() == SslMode::Require {
            return Err(StoreError::Engine(
                "sslmode=require: TLS to PostgreSQL is not supported yet (use a trusted network)"
                    .into(),
            ));
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        match application_name {
            Some(name) => {
                config.application_name(name);
            }
            None if config.get_application_name().is_none() => {
                config.application_name("ironbrick");
            }
            None => {}
        }
        let target = describe(&config);
        let bridge = Bridge::start(IO_THREADS)?;
        let first = config.clone();
        let (migrated, sync_commit, fsync) = blocking(|| {
            bridge.run(async move {
                let (mut client, connection) =
                    first.connect(NoTls).await.map_err(|e| classify(&e))?;
                let connection = tokio::spawn(connection);
                let migrated = schema::migrate(&mut client).await?;
                let show = |name: &'static str| {
                    let client = &client;
                    async move {
                        client
                            .query_one(&format!("SHOW {name}"), &[])
                            .await
                            .map(|row| row.get::<_, String>(0))
                            .map_err(|e| classify(&e))
                    }
                };
                let sync_commit = show("synchronous_commit").await?;
                let fsync = show("fsync").await?;
                drop(client);
                let _ = connection.await;
                Ok((migrated, sync_commit, fsync))
            })
        })?;
        if sync_commit == "off" {
            let options = match config.get_options() {
                Some(o) if !o.is_empty() => format!("{o} -c synchronous_commit=on"),
                _ => "-c synchronous_commit=on".to_string(),
            };
            config.options(&options);
        }
        if fsync != "on" {
            tracing::warn!(%target, "PostgreSQL runs with fsync off: commits are not durable");
        }
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Engine(format!("building the PostgreSQL pool: {e}")))?;
        tracing::info!(%target, pool_size, migrated, schema_version = schema::CURRENT, "PostgreSQL store is ready");
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        Ok(Self {
            bridge,
            pool,
            config,
            target,
            origin: format!("{:016x}", h.finish()),
        })
    }

    /// Where this store connects, without credentials.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The value of setting `name` in a pooled session (tests check what sessions run with).
    #[cfg(test)]
    fn show(&self, name: &'static str) -> Result<String, StoreError> {
        self.read(move |c| {
            Box::pin(async move { Ok(c.query_one(&format!("SHOW {name}"), &[]).await?.get(0)) })
        })
    }

    /// Runs `query` on a pooled connection outside any transaction (one autocommit statement).
    ///
    /// Reads are idempotent, so one that failed because its pooled connection was lost (the
    /// server restarted since) runs once more on a fresh connection; when the server is still
    /// down, opening that one fails at once.
    fn read<T: Send + 'static>(
        &self,
        query: impl Fn(Object) -> BoxFuture<Result<T, tokio_postgres::Error>> + Send + 'static,
    ) -> Result<T, StoreError> {
        let pool = self.pool.clone();
        blocking(|| {
            self.bridge.run(async move {
                let mut stale = stale_connections(&pool);
                loop {
                    let client = pool.get().await.map_err(errors::pool)?;
                    match query(client).await.map_err(|e| classify(&e)) {
                        Err(StoreError::Unavailable(_)) if stale > 0 => stale -= 1,
                        outcome => return outcome,
                    }
                }
            })
        })
    }

    fn scan(&self, tree: &str, prefix: &[u8]) -> Result<Entries, StoreError> {
        let (tree, start, end) = (tree.to_string(), prefix.to_vec(), successor(prefix));
        self.read(move |c| {
            let (tree, start, end) = (tree.clone(), start.clone(), end.clone());
            Box::pin(async move {
                let rows = match &end {
                    Some(end) => {
                        let st = c.prepare_cached(SCAN_RANGE).await?;
                        c.query(&st, &[&tree, &start, end]).await?
                    }
                    None => {
                        let st = c.prepare_cached(SCAN_OPEN).await?;
                        c.query(&st, &[&tree, &start]).await?
                    }
                };
                Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
            })
        })
    }
}

/// How many lost connections the pool may still hand out before it notices them, so how often
/// a call that failed on a lost connection (before anything happened on it) is tried again.
/// When sessions are killed under the pool (a failover, an administrator), each of its idle
/// connections fails once, and is dropped then; a retry takes the next. When the server is
/// down, opening a new connection fails and that error is returned at once.
pub(super) fn stale_connections(pool: &Pool) -> usize {
    pool.status().max_size
}

/// The smallest key greater than every key that starts with `prefix`, or `None` when there is
/// none (an empty prefix, or one of only 0xFF bytes): drop trailing 0xFF bytes, then add one to
/// the last byte.
fn successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let keep = prefix.iter().rposition(|b| *b != 0xFF)?;
    let mut end = prefix[..=keep].to_vec();
    end[keep] += 1;
    Some(end)
}

/// `postgres://user@host:port/dbname` of the connection string `url`, never its password (for
/// logs and Debug output of configuration).
pub fn redacted_url(url: &str) -> String {
    match url.parse::<Config>() {
        Ok(config) => describe(&config),
        Err(_) => "postgres://(unparseable URL)".to_string(),
    }
}

/// `postgres://user@host:port/dbname` of `config`, never its password.
fn describe(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let host = match h {
                Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                Host::Unix(path) => path.display().to_string(),
            };
            match config.get_ports().get(i).or(config.get_ports().first()) {
                Some(port) => format!("{host}:{port}"),
                None => host,
            }
        })
        .collect();
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    format!(
        "postgres://{user}{}/{}",
        hosts.join(","),
        config.get_dbname().unwrap_or("")
    )
}

impl KvStore for PgStore {
    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let (tree, key) = (tree.to_string(), key.to_vec());
        self.read(move |c| {
            let (tree, key) = (tree.clone(), key.clone());
            Box::pin(async move {
                let st = c.prepare_cached(GET).await?;
                Ok(c.query_opt(&st, &[&tree, &key]).await?.map(|r| r.get(0)))
            })
        })
    }

    fn scan_prefix(&self, tree: &str, prefix: &[u8]) -> Result<Entries, StoreError> {
        self.scan(tree, prefix)
    }

    fn scan_from(&self, tree: &str, start: &[u8], limit: usize) -> Result<Entries, StoreError> {
        let (tree, start) = (tree.to_string(), start.to_vec());
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let (tree, start) = (tree.clone(), start.clone());
            Box::pin(async move {
                let st = c.prepare_cached(SCAN_FROM).await?;
                let rows = c.query(&st, &[&tree, &start, &limit]).await?;
                Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
            })
        })
    }

    fn count_prefix(&self, tree: &str, prefix: &[u8]) -> Result<usize, StoreError> {
        let (tree, start, end) = (tree.to_string(), prefix.to_vec(), successor(prefix));
        let n: i64 = self.read(move |c| {
            let (tree, start, end) = (tree.clone(), start.clone(), end.clone());
            Box::pin(async move {
                let row = match &end {
                    Some(end) => {
                        let st = c.prepare_cached(COUNT_RANGE).await?;
                        c.query_one(&st, &[&tree, &start, end]).await?
                    }
                    None => {
                        let st = c.prepare_cached(COUNT_OPEN).await?;
                        c.query_one(&st, &[&tree, &start]).await?
                    }
                };
                Ok(row.get(0))
            })
        })?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// `SELECT DISTINCT tree`: tree names compare bytewise (collation "C"), as the seam wants.
    fn trees(&self) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            Box::pin(async move {
                let st = c.prepare_cached(TREES).await?;
                let rows = c.query(&st, &[]).await?;
                Ok(rows.into_iter().map(|r| r.get::<_, String>(0)).collect())
            })
        })
    }

    fn transaction(&self, body: &TxBody<'_>) -> Result<bool, StoreError> {
        blocking(|| tx::run(&self.bridge, &self.pool, &self.origin, None, body))
    }

    /// A session-level advisory lock on the transaction's connection, taken before BEGIN and
    /// given back after COMMIT or ROLLBACK; the transaction runs at READ COMMITTED, so it sees
    /// every earlier holder's commit and never fails on a serialization conflict.
    fn transaction_serialized(&self, lock: &str, body: &TxBody<'_>) -> Result<bool, StoreError> {
        let key = leader::lock_key(&format!("tx:{lock}"));
        blocking(|| tx::run(&self.bridge, &self.pool, &self.origin, Some(key), body))
    }

    /// Nothing to do: every commit was acknowledged with `synchronous_commit` on, so it is in
    /// the durable WAL already (see the module docs).
    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Replicas share the database.
    fn shared(&self) -> bool {
        true
    }

    /// An advisory lock on a dedicated connection ([`leader`]).
    fn leadership(&self, name: &str) -> Result<Box<dyn crate::Leadership>, StoreError> {
        Ok(Box::new(leader::PgLeadership::new(
            self.config.clone(),
            name,
        )?))
    }

    /// A `LISTEN` session with a version check, on the engine's runtime ([`follow`]).
    fn follow(&self, feed: Arc<ChangeFeed>) {
        self.bridge
            .spawn(follow::run(self.config.clone(), self.origin.clone(), feed));
    }
}
