//! Storage seam of Ironbrick.
//!
//! [`KvStore`] is a small, object-safe, byte-level key-value trait with named trees, point
//! reads, prefix scans and closure transactions. [`SledStore`] (the default, embedded engine),
//! [`PgStore`] (PostgreSQL, shared by many replicas) and [`MemStore`] (tests) implement it, and
//! [`suite::run`] is the one behavioural test suite every engine must pass. On top, [`Store`]
//! is the concrete handle the server uses: typed transactions with domain errors
//! ([`Store::transact`]) and versioned records ([`record`]). The [`changes`] feed tells a
//! process's caches about writes, its own and (on PostgreSQL) other replicas'. [`copy`] moves a
//! whole store from one engine to another and checks the copy.

pub mod changes;
pub mod copy;
mod error;
mod flush;
mod leader;
mod mem;
mod pg;
pub mod record;
mod sled_store;
mod store;
pub mod suite;

pub use changes::{Change, ChangeFeed};
#[cfg(feature = "test-cluster")]
pub use pg::cluster::TempCluster;

pub use error::StoreError;
pub use leader::{Leadership, Solo};
pub use mem::MemStore;
pub use pg::{redacted_url, PgStore, DEFAULT_POOL_SIZE};
pub use sled_store::{SledOptions, SledStore, DEFAULT_CACHE_BYTES};

/// Implements [`KvStore`]'s scans (`scan_prefix`, `scan_from`, `count_prefix`, `trees`) by
/// handing them to the engine in field `$inner`: for engines that wrap another to change its
/// writes, transactions or flushes (test engines that fail or count on purpose).
#[macro_export]
macro_rules! delegate_scans {
    ($inner:ident) => {
        fn scan_prefix(
            &self,
            tree: &str,
            prefix: &[u8],
        ) -> Result<$crate::Entries, $crate::StoreError> {
            self.$inner.scan_prefix(tree, prefix)
        }
        fn scan_from(
            &self,
            tree: &str,
            start: &[u8],
            limit: usize,
        ) -> Result<$crate::Entries, $crate::StoreError> {
            self.$inner.scan_from(tree, start, limit)
        }
        fn count_prefix(&self, tree: &str, prefix: &[u8]) -> Result<usize, $crate::StoreError> {
            self.$inner.count_prefix(tree, prefix)
        }
        fn trees(&self) -> Result<Vec<String>, $crate::StoreError> {
            self.$inner.trees()
        }
    };
}
pub use store::Store;

/// Key-value pairs answered by a prefix scan, in key order.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// A read-write view inside a transaction. Writes become visible to later reads of the same
/// transaction and to everyone else only when the transaction commits.
///
/// Operations return [`StoreError`]; propagate them with `?` (an engine may report a conflict
/// this way and then run the transaction body again).
pub trait Tx {
    /// Reads `key` in `tree`.
    fn get(&mut self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Writes `value` at `key` in `tree`.
    fn put(&mut self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), StoreError>;
    /// Removes `key` from `tree`; removing a missing key is not an error.
    fn delete(&mut self, tree: &str, key: &[u8]) -> Result<(), StoreError>;

    /// Tells the other processes sharing the store that `keys` of `tree` changed, if and only
    /// if this transaction commits ([`Store::transact`] calls it for watched writes: see
    /// [`changes`]). An engine only one process uses has nobody to tell: the default does
    /// nothing.
    fn announce(&mut self, tree: &str, keys: &[Vec<u8>]) -> Result<(), StoreError> {
        let _ = (tree, keys);
        Ok(())
    }
}

/// The transaction body handed to [`KvStore::transaction`]: returns `true` to commit and
/// `false` to abort. It may be called more than once (an engine retries on conflicts), so it
/// must not have side effects outside the transaction.
pub type TxBody<'a> = dyn Fn(&mut dyn Tx) -> bool + 'a;

/// A byte-level key-value engine with named trees.
///
/// Keys sort bytewise inside a tree. Implementations must be safe to share between threads.
/// Durability: a committed transaction is durable once [`KvStore::flush`] has returned.
///
/// The methods block the calling thread and may be called from any thread, including tokio
/// workers of either runtime flavour (engines that do network I/O must not panic or deadlock
/// there: see how [`PgStore`] bridges to its async client). Besides
/// [`StoreError::Engine`], a networked engine answers [`StoreError::Unavailable`] while its
/// database is unreachable, and [`StoreError::Conflict`] when a transaction still conflicted
/// after the engine's bounded retries.
pub trait KvStore: Send + Sync + std::fmt::Debug {
    /// Reads `key` in `tree` (outside any transaction).
    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// All entries of `tree` whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, tree: &str, prefix: &[u8]) -> Result<Entries, StoreError>;
    /// At most `limit` entries of `tree` whose key is `>= start`, in key order (a key-range
    /// scan: engines seek to `start` rather than reading the tree from its first key).
    fn scan_from(&self, tree: &str, start: &[u8], limit: usize) -> Result<Entries, StoreError>;
    /// Number of entries of `tree` whose key starts with `prefix`.
    fn count_prefix(&self, tree: &str, prefix: &[u8]) -> Result<usize, StoreError>;
    /// The names of every tree that holds at least one entry, in bytewise order (a tree whose
    /// last entry was deleted is not listed). With [`KvStore::scan_from`] this walks the whole
    /// store ([`copy`] does, to migrate an installation from one engine to another).
    fn trees(&self) -> Result<Vec<String>, StoreError>;
    /// Runs `body` atomically and in isolation; commits when it returns `true`.
    /// Returns whether the transaction committed.
    fn transaction(&self, body: &TxBody<'_>) -> Result<bool, StoreError>;
    /// Runs `body` atomically, one after another with every other transaction under the same
    /// `lock`, in every process: for records that only such transactions write (a sequence
    /// counter and what it numbers), where concurrent serializable transactions would mostly
    /// fail, retry and, under load, give up. The body sees every transaction committed before
    /// it began; it is isolated from the transactions under its lock, but not necessarily
    /// from others (PostgreSQL runs it at READ COMMITTED: serializable snapshots conflict
    /// falsely with unrelated writers on shared index pages). Embedded engines already run
    /// one transaction at a time.
    fn transaction_serialized(&self, lock: &str, body: &TxBody<'_>) -> Result<bool, StoreError> {
        let _ = lock;
        self.transaction(body)
    }
    /// Makes every committed transaction durable (fsync).
    fn flush(&self) -> Result<(), StoreError>;

    /// Whether other processes may write this store concurrently (replicas sharing one
    /// database). Then state kept in memory (counters, "already done" flags) must live in the
    /// store instead. Embedded engines are exclusive to one process: `false`.
    fn shared(&self) -> bool {
        false
    }

    /// A handle on the leadership called `name` (see [`Leadership`]). Embedded engines
    /// answer [`Solo`]: their one process always leads.
    fn leadership(&self, name: &str) -> Result<Box<dyn Leadership>, StoreError> {
        let _ = name;
        Ok(Box::new(Solo))
    }

    /// Starts delivering other processes' announcements ([`Tx::announce`]) to `feed`, in
    /// the background and for as long as the engine lives, within the staleness bound
    /// documented in [`changes`]. Embedded engines serve one process: they only publish
    /// [`Change::All`] when their state goes back to what was durable (sled reopened after
    /// a write failure), so nothing cached from the lost state is served.
    fn follow(&self, feed: std::sync::Arc<ChangeFeed>) {
        let _ = feed;
    }

    /// Changes whenever the engine's state may have gone back to what was durable (sled
    /// reopened after a write failure, dropping what it had not flushed). A flush after a
    /// change does not cover writes committed before it: see [`Store::flush_since`].
    /// Engines whose every commit is durable answer 0 forever.
    fn generation(&self) -> u64 {
        0
    }
}
