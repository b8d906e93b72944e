use crate::{Entries, KvStore, StoreError, Tx, TxBody};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

/// The durable default engine, on sled.
///
/// All named trees live in one sled tree, each key prefixed by its tree name and a NUL byte, so
/// a transaction can span trees. Tree names must not contain NUL.
#[derive(Debug)]
pub struct SledStore {
    db: sled::Db,
    tree: sled::Tree,
    /// Held by each transaction from its first read to its commit.
    writer: Mutex<()>,
}

impl SledStore {
    /// Opens (creating if needed) the database in directory `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .path(path)
            .mode(sled::Mode::HighThroughput)
            .open()
            .map_err(engine)?;
        let tree = db.open_tree("ironbrick").map_err(engine)?;
        Ok(Self {
            db,
            tree,
            writer: Mutex::new(()),
        })
    }
}

fn engine(e: sled::Error) -> StoreError {
    StoreError::Engine(e.to_string())
}

fn full_key(tree: &str, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(tree.len() + 1 + key.len());
    k.extend_from_slice(tree.as_bytes());
    k.push(0);
    k.extend_from_slice(key);
    k
}

/// A transaction's view: reads go to the tree through the transaction's own writes, which are
/// buffered until the body commits.
struct SledTx<'a> {
    tree: &'a sled::Tree,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl Tx for SledTx<'_> {
    fn get(&mut self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let key = full_key(tree, key);
        if let Some(staged) = self.writes.get(&key) {
            return Ok(staged.clone());
        }
        self.tree
            .get(key)
            .map(|v| v.map(|v| v.to_vec()))
            .map_err(engine)
    }

    fn put(&mut self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.writes
            .insert(full_key(tree, key), Some(value.to_vec()));
        Ok(())
    }

    fn delete(&mut self, tree: &str, key: &[u8]) -> Result<(), StoreError> {
        self.writes.insert(full_key(tree, key), None);
        Ok(())
    }
}

impl KvStore for SledStore {
    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.tree
            .get(full_key(tree, key))
            .map(|v| v.map(|v| v.to_vec()))
            .map_err(engine)
    }

    fn scan_prefix(&self, tree: &str, prefix: &[u8]) -> Result<Entries, StoreError> {
        let skip = tree.len() + 1;
        self.tree
            .scan_prefix(full_key(tree, prefix))
            .map(|r| {
                r.map(|(k, v)| (k[skip..].to_vec(), v.to_vec()))
                    .map_err(engine)
            })
            .collect()
    }

    fn scan_from(&self, tree: &str, start: &[u8], limit: usize) -> Result<Entries, StoreError> {
        let skip = tree.len() + 1;
        let mut end = tree.as_bytes().to_vec();
        end.push(1);
        self.tree
            .range(full_key(tree, start)..end)
            .take(limit)
            .map(|r| {
                r.map(|(k, v)| (k[skip..].to_vec(), v.to_vec()))
                    .map_err(engine)
            })
            .collect()
    }

    fn count_prefix(&self, tree: &str, prefix: &[u8]) -> Result<usize, StoreError> {
        let mut n = 0;
        for r in self.tree.scan_prefix(full_key(tree, prefix)).keys() {
            r.map_err(engine)?;
            n += 1;
        }
        Ok(n)
    }

    /// Transactions are serialized by the store's writer lock (every write goes through here),
    /// so the body reads committed data plus its own writes and nothing can change under it.
    /// On commit, one write is a plain insert or remove, and several are one atomic sled batch.
    /// This is cheaper than a sled transaction, which seals the log buffer twice per commit
    /// (four log writes and syncs for a request's write, its audit entry and its flush).
    fn transaction(&self, body: &TxBody<'_>) -> Result<bool, StoreError> {
        let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let mut tx = SledTx {
            tree: &self.tree,
            writes: BTreeMap::new(),
        };
        if !body(&mut tx) {
            return Ok(false);
        }
        let mut writes = tx.writes.into_iter();
        match (writes.next(), writes.len()) {
            (None, _) => {}
            (Some((key, Some(value))), 0) => drop(self.tree.insert(key, value).map_err(engine)?),
            (Some((key, None)), 0) => drop(self.tree.remove(key).map_err(engine)?),
            (Some(first), _) => {
                let mut batch = sled::Batch::default();
                for (key, value) in std::iter::once(first).chain(writes) {
                    match value {
                        Some(value) => batch.insert(key, value),
                        None => batch.remove(key),
                    }
                }
                self.tree.apply_batch(batch).map_err(engine)?;
            }
        }
        Ok(true)
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(drop).map_err(engine)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_the_engine_suite() {
        let dir = tempfile::tempdir().unwrap();
        crate::suite::run(&SledStore::open(dir.path()).unwrap());
    }

    #[test]
    fn flushed_writes_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = SledStore::open(dir.path()).unwrap();
            s.transaction(&|tx| tx.put("t", b"k", b"v").is_ok())
                .unwrap();
            s.flush().unwrap();
        }
        let s = SledStore::open(dir.path()).unwrap();
        assert_eq!(s.get("t", b"k").unwrap().as_deref(), Some(&b"v"[..]));
    }
}
