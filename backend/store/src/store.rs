use crate::flush::GroupFlush;
use crate::{KvStore, StoreError, Tx};
use std::cell::RefCell;
use std::sync::Arc;

/// The concrete storage handle: a shared [`KvStore`] with typed helpers.
#[derive(Debug, Clone)]
pub struct Store {
    kv: Arc<dyn KvStore>,
    flusher: Arc<GroupFlush>,
}

impl Store {
    /// Wraps an engine.
    pub fn new(kv: Arc<dyn KvStore>) -> Self {
        Self {
            kv,
            flusher: Arc::default(),
        }
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

    /// Makes every write committed before the call durable (on a blocking thread). Concurrent
    /// callers share flushes ([`GroupFlush`]).
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.flusher.flush(&self.kv).await
    }
}
