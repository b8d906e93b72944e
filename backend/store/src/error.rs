use thiserror::Error;

/// Errors of the storage layer. Messages describe the failure, never the stored data.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The engine failed (I/O, corruption).
    #[error("storage engine failure: {0}")]
    Engine(String),
    /// A concurrent transaction conflicted; the engine retries the body.
    #[error("transaction conflict")]
    Conflict,
    /// A stored record could not be decoded.
    #[error("stored record is unreadable: {0}")]
    Corrupt(String),
}
