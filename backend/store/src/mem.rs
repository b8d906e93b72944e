use crate::{Entries, KvStore, StoreError, Tx, TxBody};
use std::collections::BTreeMap;
use std::sync::Mutex;

type Trees = BTreeMap<String, BTreeMap<Vec<u8>, Vec<u8>>>;

/// An in-memory engine for tests: transactions are serialized by one lock.
#[derive(Debug, Default)]
pub struct MemStore {
    trees: Mutex<Trees>,
}

impl MemStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Trees>, StoreError> {
        self.trees
            .lock()
            .map_err(|_| StoreError::Engine("memory store lock poisoned".into()))
    }
}

struct MemTx<'a> {
    base: &'a Trees,
    writes: BTreeMap<(String, Vec<u8>), Option<Vec<u8>>>,
}

impl Tx for MemTx<'_> {
    fn get(&mut self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(w) = self.writes.get(&(tree.to_string(), key.to_vec())) {
            return Ok(w.clone());
        }
        Ok(self.base.get(tree).and_then(|t| t.get(key)).cloned())
    }

    fn put(&mut self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.writes
            .insert((tree.to_string(), key.to_vec()), Some(value.to_vec()));
        Ok(())
    }

    fn delete(&mut self, tree: &str, key: &[u8]) -> Result<(), StoreError> {
        self.writes.insert((tree.to_string(), key.to_vec()), None);
        Ok(())
    }
}

impl KvStore for MemStore {
    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock()?.get(tree).and_then(|t| t.get(key)).cloned())
    }

    fn scan_prefix(&self, tree: &str, prefix: &[u8]) -> Result<Entries, StoreError> {
        let trees = self.lock()?;
        Ok(trees
            .get(tree)
            .map(|t| {
                t.range(prefix.to_vec()..)
                    .take_while(|(k, _)| k.starts_with(prefix))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }

    fn scan_from(&self, tree: &str, start: &[u8], limit: usize) -> Result<Entries, StoreError> {
        let trees = self.lock()?;
        Ok(trees
            .get(tree)
            .map(|t| {
                t.range(start.to_vec()..)
                    .take(limit)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }

    fn count_prefix(&self, tree: &str, prefix: &[u8]) -> Result<usize, StoreError> {
        let trees = self.lock()?;
        Ok(trees.get(tree).map_or(0, |t| {
            t.range(prefix.to_vec()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .count()
        }))
    }

    fn trees(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .lock()?
            .iter()
            .filter(|(_, t)| !t.is_empty())
            .map(|(name, _)| name.clone())
            .collect())
    }

    fn transaction(&self, body: &TxBody<'_>) -> Result<bool, StoreError> {
        let mut trees = self.lock()?;
        let mut tx = MemTx {
            base: &trees,
            writes: BTreeMap::new(),
        };
        if !body(&mut tx) {
            return Ok(false);
        }
        let writes = std::mem::take(&mut tx.writes);
        for ((tree, key), value) in writes {
            let t = trees.entry(tree).or_default();
            match value {
                Some(v) => t.insert(key, v),
                None => t.remove(&key),
            };
        }
        Ok(true)
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passes_the_engine_suite() {
        crate::suite::run(&super::MemStore::new());
    }
}
