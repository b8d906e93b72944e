use crate::{KvStore, StoreError, Tx};
use std::cell::RefCell;
use std::sync::Arc;

/// The concrete storage handle: a shared [`KvStore`] with typed helpers.
#[derive(Debug, Clone)]
pub struct Store {
    kv: Arc<dyn KvStore>,
}

impl Store {
    /// Wraps an engine.
    pub fn new(kv: Arc<dyn KvStore>) -> Self {
        Self { kv }
    }

    /// The engine.
    pub fn kv(&self) -> &dyn KvStore {
        self.kv.as_ref()
    }

    /// Runs `f` in a transaction; commits when it returns `Ok`, aborts (writing nothing) when it
    /// returns `Err`. The domain error `E` comes back unchanged; storage failures arrive as `E`
    /// through `From<StoreError>`. `f` may run more than once.
    pub fn transact<R, E>(&self, f: impl Fn(&mut dyn Tx) -> Result<R, E>) -> Result<R, E>
    where
        E: From<StoreError>,
    {
        let outcome: RefCell<Option<Result<R, E>>> = RefCell::new(None);
        let body = |tx: &mut dyn Tx| {
            let result = f(tx);
            let commit = result.is_ok();
            *outcome.borrow_mut() = Some(result);
            commit
        };
        self.kv.transaction(&body)?;
        outcome
            .into_inner()
            .unwrap_or_else(|| Err(StoreError::Engine("transaction body never ran".into()).into()))
    }

    /// Flushes committed writes to disk on a blocking thread.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let kv = self.kv.clone();
        match tokio_blocking(move || kv.flush()).await {
            Some(r) => r,
            None => Err(StoreError::Engine("flush task failed".into())),
        }
    }
}

async fn tokio_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}
