use thiserror::Error;

/// Errors of the storage layer. Messages describe the failure, never the stored data nor a
/// credential (a database URL's password never appears in one).
#[derive(Debug, Error)]
pub enum StoreError {
    /// The engine failed (I/O, corruption).
    #[error("storage engine failure: {0}")]
    Engine(String),
    /// A concurrent transaction conflicted; the engine retries the body. It reaches callers
    /// only when an engine gave up after its bounded retries: a retry later may succeed.
    #[error("transaction conflict")]
    Conflict,
    /// The engine cannot be reached right now (a database server that is down, restarting or
    /// refusing connections). Transient: the same request may succeed later.
    #[error("storage engine unavailable: {0}")]
    Unavailable(String),
    /// A stored record could not be decoded.
    #[error("stored record is unreadable: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether retrying later may succeed ([`StoreError::Conflict`] and
    /// [`StoreError::Unavailable`]).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Conflict | Self::Unavailable(_))
    }
}
