//! Helpers for unit tests.

use ironbrick_store::{KvStore, MemStore, StoreError, TxBody};
use std::sync::atomic::{AtomicUsize, Ordering};

/// An in-memory engine that says it is shared, as replicas on one database see theirs. It
/// counts point reads and transactions, for tests of what a hot path costs.
#[derive(Debug, Default)]
pub struct SharedMem {
    inner: MemStore,
    reads: AtomicUsize,
    transactions: AtomicUsize,
}

impl SharedMem {
    /// Point reads ([`KvStore::get`]) so far.
    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }

    /// Transactions so far.
    pub fn transactions(&self) -> usize {
        self.transactions.load(Ordering::SeqCst)
    }
}

impl KvStore for SharedMem {
    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get(tree, key)
    }
    ironbrick_store::delegate_scans!(inner);
    fn transaction(&self, body: &TxBody<'_>) -> Result<bool, StoreError> {
        self.transactions.fetch_add(1, Ordering::SeqCst);
        self.inner.transaction(body)
    }
    fn flush(&self) -> Result<(), StoreError> {
        self.inner.flush()
    }
    fn shared(&self) -> bool {
        true
    }
}
