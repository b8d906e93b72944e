use thiserror::Error;

/// Failures of a KMS call. Messages name the key, never key material.
#[derive(Debug, Clone, Error)]
pub enum KmsError {
    /// KMS refuses to use the key: disabled, pending deletion, or access revoked.
    #[error("KMS refused key {key}: {reason}")]
    Refused { key: String, reason: String },
    /// The key does not exist.
    #[error("KMS key {0} does not exist")]
    NotFound(String),
    /// KMS could not be reached or did not answer in time.
    #[error("KMS is unavailable: {0}")]
    Unavailable(String),
    /// The request was not valid (bad ARN, corrupt wrapped key, wrong context).
    #[error("invalid KMS request: {0}")]
    Invalid(String),
}

/// Failures of sealing or opening data.
#[derive(Debug, Clone, Error)]
pub enum EnvelopeError {
    /// The workspace key could not be unwrapped (see [`KmsError`]); the data is intact but
    /// inaccessible until KMS accepts the key again.
    #[error("the workspace's encryption key is unavailable: {0}")]
    KeyUnavailable(KmsError),
    /// The ciphertext failed authentication: tampered with, truncated, or bound to another
    /// workspace or object.
    #[error("ciphertext failed authentication")]
    Integrity,
}
