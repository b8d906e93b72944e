use crate::changes::{Change, ChangeFeed};
use crate::flush::GroupFlush;
use crate::{KvStore, StoreError, Tx};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The concrete storage handle: a shared [`KvStore`] with typed helpers.
#[derive(Debug, Clone)]
pub struct Store {
    kv: Arc<dyn KvStore>,
    flusher: Arc<GroupFlush>,
    feed: Arc<ChangeFeed>,
}

/// Watched keys a transaction wrote, by tree.
type Touched = BTreeMap<String, Vec<Vec<u8>>>;

impl Store {
    /// Wraps an engine.
    pub fn new(kv: Arc<dyn KvStore>) -> Self {
        Self {
            kv,
            flusher: Arc::default(),
            feed: Arc::default(),
        }
    }

    /// Watches the writes `filter` selects, from now on: committed through this handle they
    /// are published to [`Store::changes`] and announced to other processes, and the engine
    /// delivers other processes' announcements (see [`crate::changes`]). Call once, before
    /// anything is cached.
    pub fn watch(&self, filter: impl Fn(&str, &[u8]) -> bool + Send + Sync + 'static) {
        self.feed.set_filter(Arc::new(filter));
        self.kv.follow(self.feed.clone());
    }

    /// The change feed: subscribe caches here.
    pub fn changes(&self) -> &ChangeFeed {
        &self.feed
    }

    /// The engine.
    pub fn kv(&self) -> &dyn KvStore {
        self.kv.as_ref()
    }

    /// Runs `f` in a transaction; commits when it returns `Ok`, aborts (writing nothing) when it
    /// returns `Err`. The domain error `E` comes back unchanged; storage failures arrive as `E`
    /// through `From<StoreError>`. `f` may run more than once.
    ///
    /// Watched writes ([`Store::watch`]) are announced inside the transaction and, once it
    /// committed, published to [`Store::changes`] before this returns.
    pub fn transact<R, E>(&self, f: impl Fn(&mut dyn Tx) -> Result<R, E>) -> Result<R, E>
    where
        E: From<StoreError>,
    {
        self.transact_under(None, f)
    }

    /// [`Store::transact`], one after another with every other transaction under `lock`, in
    /// every process sharing the store ([`KvStore::transaction_serialized`]).
    pub fn transact_serialized<R, E>(
        &self,
        lock: &str,
        f: impl Fn(&mut dyn Tx) -> Result<R, E>,
    ) -> Result<R, E>
    where
        E: From<StoreError>,
    {
        self.transact_under(Some(lock), f)
    }

    fn transact_under<R, E>(
        &self,
        lock: Option<&str>,
        f: impl Fn(&mut dyn Tx) -> Result<R, E>,
    ) -> Result<R, E>
    where
        E: From<StoreError>,
    {
        let outcome: RefCell<Option<Result<R, E>>> = RefCell::new(None);
        let touched: RefCell<Touched> = RefCell::default();
        let watching = self.feed.watching();
        let body = |tx: &mut dyn Tx| {
            let result = if watching {
                let mut recorder = Recorder {
                    inner: &mut *tx,
                    feed: &self.feed,
                    touched: Touched::new(),
                };
                let result = f(&mut recorder);
                let written = std::mem::take(&mut recorder.touched);
                let result = match result {
                    Ok(r) => announce(tx, &written).map(|()| r).map_err(E::from),
                    Err(e) => Err(e),
                };
                *touched.borrow_mut() = written;
                result
            } else {
                f(tx)
            };
            let commit = result.is_ok();
            *outcome.borrow_mut() = Some(result);
            commit
        };
        let committed = match lock {
            Some(lock) => self.kv.transaction_serialized(lock, &body)?,
            None => self.kv.transaction(&body)?,
        };
        if committed {
            for (tree, keys) in touched.into_inner() {
                for key in keys {
                    self.feed.publish(&Change::Key {
                        tree: tree.clone(),
                        key,
                    });
                }
            }
        }
        outcome
            .into_inner()
            .unwrap_or_else(|| Err(StoreError::Engine("transaction body never ran".into()).into()))
    }

    /// Makes every write committed before the call durable (on a blocking thread). Concurrent
    /// callers share flushes ([`GroupFlush`]).
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.flusher.flush(&self.kv).await
    }

    /// The engine's current generation ([`KvStore::generation`]): take it before writing,
    /// and flush with [`Store::flush_since`].
    pub fn generation(&self) -> u64 {
        self.kv.generation()
    }

    /// [`Store::flush`] for writes committed since `generation` was taken: fails with
    /// [`StoreError::Full`] when the engine was reopened in between, because the writes it
    /// held unflushed were lost with the failed engine and no flush can make them durable.
    pub async fn flush_since(&self, generation: u64) -> Result<(), StoreError> {
        self.flush().await?;
        if self.kv.generation() != generation {
            return Err(StoreError::Full(
                "the store was reopened after a write failure; writes it had not flushed \
                 were lost"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// Announces every tree's watched writes.
fn announce(tx: &mut dyn Tx, touched: &Touched) -> Result<(), StoreError> {
    touched
        .iter()
        .try_for_each(|(tree, keys)| tx.announce(tree, keys))
}

/// A [`Tx`] that notes the watched keys written through it.
struct Recorder<'a> {
    inner: &'a mut dyn Tx,
    feed: &'a ChangeFeed,
    touched: Touched,
}

impl Recorder<'_> {
    fn note(&mut self, tree: &str, key: &[u8]) {
        if self.feed.watches(tree, key) {
            let keys = self.touched.entry(tree.to_string()).or_default();
            if !keys.iter().any(|k| k == key) {
                keys.push(key.to_vec());
            }
        }
    }
}

impl Tx for Recorder<'_> {
    fn get(&mut self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(tree, key)
    }

    fn put(&mut self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.inner.put(tree, key, value)?;
        self.note(tree, key);
        Ok(())
    }

    fn delete(&mut self, tree: &str, key: &[u8]) -> Result<(), StoreError> {
        self.inner.delete(tree, key)?;
        self.note(tree, key);
        Ok(())
    }

    fn announce(&mut self, tree: &str, keys: &[Vec<u8>]) -> Result<(), StoreError> {
        self.inner.announce(tree, keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemStore;
    use std::sync::Mutex;

    /// Committed watched writes are published once per key, after the commit; aborted
    /// transactions and unwatched writes publish nothing.
    #[test]
    fn publishes_committed_watched_writes() {
        let store = Store::new(Arc::new(MemStore::new()));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        store
            .changes()
            .subscribe(move |c| sink.lock().unwrap().push(c.clone()));
        store
            .transact(|tx| tx.put("conf", b"a", b"1"))
            .expect("before watching");
        assert!(seen.lock().unwrap().is_empty(), "nothing is watched yet");
        store.watch(|tree, _| tree == "conf");
        store
            .transact(|tx| {
                tx.put("conf", b"a", b"2")?;
                tx.put("conf", b"a", b"3")?;
                tx.delete("conf", b"b")?;
                tx.put("other", b"a", b"1")
            })
            .expect("commit");
        let key = |k: &[u8]| Change::Key {
            tree: "conf".into(),
            key: k.to_vec(),
        };
        assert_eq!(*seen.lock().unwrap(), vec![key(b"a"), key(b"b")]);
        seen.lock().unwrap().clear();
        let aborted: Result<(), StoreError> = store.transact(|tx| {
            tx.put("conf", b"c", b"1")?;
            Err(StoreError::Conflict)
        });
        assert!(aborted.is_err());
        assert!(
            seen.lock().unwrap().is_empty(),
            "an abort publishes nothing"
        );
    }
}
