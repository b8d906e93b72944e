use thiserror::Error;

/// Errors of the storage layer. Messages describe the failure, never the stored data nor a
/// credential (a database URL's password never appears in one).
#[derive(Debug, Clone, Error)]
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
    /// The disk holding the store is (nearly) full: the write was refused before anything was
    /// written, or the engine ran out of space while writing (then it reopens itself once
    /// space returns; until then a read may be refused too). Requests succeed again once
    /// space is freed.
    #[error("storage is out of disk space: {0}")]
    Full(String),
    /// A stored record could not be decoded.
    #[error("stored record is unreadable: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether retrying later may succeed ([`StoreError::Conflict`],
    /// [`StoreError::Unavailable`] and [`StoreError::Full`]).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Conflict | Self::Unavailable(_) | Self::Full(_))
    }
}
