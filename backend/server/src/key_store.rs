//! The local key store's document kept in the [`Store`], so that replicas sharing one
//! PostgreSQL database wrap and unwrap under the same platform and local customer keys.
//!
//! The document is the one `<data-dir>/kms/keys.json` holds on sled installs, byte for byte in
//! format and protection: key material base64-encoded, not wrapped again (the local KMS is a
//! development key store; the database's access control plays the part the file's mode 0600
//! plays on disk). It is read on every use, so a key disabled through any replica (or with
//! `ironbrick kms disable --store ...`) is refused by every replica once cached data keys
//! expire.

use crate::repo::trees;
use ironbrick_kms::{DocumentEdit, KeyDocument, KmsError};
use ironbrick_store::{Store, StoreError};
use std::cell::RefCell;
use std::path::Path;

/// The document's key in [`trees::SHARED`].
pub(crate) const KEY: &[u8] = b"local_kms_keys";

/// [`KeyDocument`] in a [`Store`].
#[derive(Debug, Clone)]
pub struct StoreKeyDocument {
    store: Store,
}

impl StoreKeyDocument {
    /// The document in `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Copies the key file of an existing data dir (`<kms_dir>/keys.json`) into the store when
    /// the store holds no key document yet (a sled installation moving to a shared database).
    /// The file is left in place. Returns whether a document was imported.
    pub fn import_file(&self, kms_dir: &Path) -> anyhow::Result<bool> {
        let path = kms_dir.join("keys.json");
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => anyhow::bail!("reading {}: {e}", path.display()),
        };
        let imported = self
            .store
            .transact(|tx| -> Result<bool, StoreError> {
                if tx.get(trees::SHARED, KEY)?.is_some() {
                    return Ok(false);
                }
                tx.put(trees::SHARED, KEY, &bytes)?;
                Ok(true)
            })
            .map_err(|e| anyhow::anyhow!("importing the local key store: {e}"))?;
        self.store
            .kv()
            .flush()
            .map_err(|e| anyhow::anyhow!("importing the local key store: {e}"))?;
        Ok(imported)
    }
}

fn unavailable(e: &StoreError) -> KmsError {
    KmsError::Unavailable(format!("local key store: {e}"))
}

impl KeyDocument for StoreKeyDocument {
    fn load(&self) -> Result<Option<Vec<u8>>, KmsError> {
        self.store
            .kv()
            .get(trees::SHARED, KEY)
            .map_err(|e| unavailable(&e))
    }

    fn update(&self, edit: &DocumentEdit<'_>) -> Result<(), KmsError> {
        // The edit's own error (not a storage one) is kept aside and returned as it is.
        let refused: RefCell<Option<KmsError>> = RefCell::new(None);
        let result = self.store.transact(|tx| -> Result<(), StoreError> {
            let current = tx.get(trees::SHARED, KEY)?;
            match edit(current.as_deref()) {
                Ok(next) => tx.put(trees::SHARED, KEY, &next),
                Err(e) => {
                    *refused.borrow_mut() = Some(e);
                    Err(StoreError::Engine("edit refused".into()))
                }
            }
        });
        if let Some(e) = refused.into_inner() {
            return Err(e);
        }
        result.map_err(|e| unavailable(&e))?;
        self.store.kv().flush().map_err(|e| unavailable(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironbrick_kms::{EncryptionContext, KeyRef, KeyWrapper, LocalKms};
    use std::sync::Arc;

    #[tokio::test]
    async fn two_handles_on_one_store_share_keys_and_their_state() {
        let store = Store::new(Arc::new(ironbrick_store::MemStore::new()));
        let a = LocalKms::with_document(Arc::new(StoreKeyDocument::new(store.clone())));
        let b = LocalKms::with_document(Arc::new(StoreKeyDocument::new(store.clone())));
        let ctx: EncryptionContext = vec![("workspace".into(), "1".into())];
        let key = KeyRef("arn:aws:kms:local:000000000000:key/p".into());
        // Unwrapping is authenticated (AES-GCM): success means the same master key.
        let (_, wrapped) = a.generate_data_key(&key, &ctx).await.unwrap();
        assert!(b.unwrap(&key, &wrapped, &ctx).await.is_ok());
        b.disable(&key.0).unwrap();
        assert!(a.unwrap(&key, &wrapped, &ctx).await.is_err());
        assert!(matches!(b.disable("nope"), Err(KmsError::NotFound(_))));
    }

    #[tokio::test]
    async fn an_existing_key_file_is_imported_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = LocalKms::open(dir.path()).unwrap();
        let key = KeyRef(file.create_key("us-east-1").unwrap());
        let ctx: EncryptionContext = vec![];
        let (_, wrapped) = file.generate_data_key(&key, &ctx).await.unwrap();
        let store = Store::new(Arc::new(ironbrick_store::MemStore::new()));
        let doc = StoreKeyDocument::new(store);
        assert!(doc.import_file(dir.path()).unwrap());
        assert!(!doc.import_file(dir.path()).unwrap());
        let shared = LocalKms::with_document(Arc::new(doc));
        assert!(shared.unwrap(&key, &wrapped, &ctx).await.is_ok());
    }
}
