use crate::{Entries, KvStore, StoreError, Tx, TxBody};
use sled::transaction::{
    ConflictableTransactionError, TransactionError, TransactionalTree, UnabortableTransactionError,
};
use std::cell::RefCell;
use std::path::Path;

/// The durable default engine, on sled.
///
/// All named trees live in one sled tree, each key prefixed by its tree name and a NUL byte, so
/// a transaction can span trees. Tree names must not contain NUL.
#[derive(Debug)]
pub struct SledStore {
    db: sled::Db,
    tree: sled::Tree,
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
        Ok(Self { db, tree })
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

struct SledTx<'a> {
    tree: &'a TransactionalTree,
    failure: &'a RefCell<Option<UnabortableTransactionError>>,
}

impl SledTx<'_> {
    fn note(&self, e: UnabortableTransactionError) -> StoreError {
        let err = match &e {
            UnabortableTransactionError::Conflict => StoreError::Conflict,
            UnabortableTransactionError::Storage(s) => StoreError::Engine(s.to_string()),
        };
        *self.failure.borrow_mut() = Some(e);
        err
    }
}

impl Tx for SledTx<'_> {
    fn get(&mut self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.tree
            .get(full_key(tree, key))
            .map(|v| v.map(|v| v.to_vec()))
            .map_err(|e| self.note(e))
    }

    fn put(&mut self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.tree
            .insert(full_key(tree, key), value)
            .map(drop)
            .map_err(|e| self.note(e))
    }

    fn delete(&mut self, tree: &str, key: &[u8]) -> Result<(), StoreError> {
        self.tree
            .remove(full_key(tree, key))
            .map(drop)
            .map_err(|e| self.note(e))
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

    /// One seek per tree: read the first key at or after the cursor, take its tree name (the
    /// bytes before the NUL), then jump past every key of that tree (`name` followed by 0x01).
    fn trees(&self) -> Result<Vec<String>, StoreError> {
        let mut names = Vec::new();
        let mut from: Vec<u8> = Vec::new();
        loop {
            let Some(first) = self.tree.range(from.clone()..).keys().next() else {
                return Ok(names);
            };
            let key = first.map_err(engine)?;
            let end = key.iter().position(|b| *b == 0).ok_or_else(|| {
                StoreError::Corrupt("a sled key without a tree name separator".into())
            })?;
            let name = std::str::from_utf8(&key[..end])
                .map_err(|_| StoreError::Corrupt("a tree name that is not UTF-8".into()))?;
            names.push(name.to_string());
            from = key[..end].to_vec();
            from.push(1);
        }
    }

    fn transaction(&self, body: &TxBody<'_>) -> Result<bool, StoreError> {
        let result = self.tree.transaction(|t| {
            let failure = RefCell::new(None);
            let mut tx = SledTx {
                tree: t,
                failure: &failure,
            };
            let commit = body(&mut tx);
            if let Some(e) = failure.into_inner() {
                return Err(ConflictableTransactionError::from(e));
            }
            if commit {
                Ok(())
            } else {
                Err(ConflictableTransactionError::Abort(()))
            }
        });
        match result {
            Ok(()) => Ok(true),
            Err(TransactionError::Abort(())) => Ok(false),
            Err(TransactionError::Storage(e)) => Err(engine(e)),
        }
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
