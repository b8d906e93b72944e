use crate::{DataKey, KeyRef, KmsError, WrappedKey};
use async_trait::async_trait;

/// Name/value pairs bound to a wrapped key (an AWS KMS encryption context): the same pairs must
/// be presented to unwrap it.
pub type EncryptionContext = Vec<(String, String)>;

/// The KMS seam: creates data keys under a customer key and unwraps them again.
///
/// Implementations must be cheap to share (`Arc<dyn KeyWrapper>`) and must never log or format
/// key material.
#[async_trait]
pub trait KeyWrapper: Send + Sync + std::fmt::Debug {
    /// A fresh random 256-bit data key, in plaintext and wrapped under `key`.
    async fn generate_data_key(
        &self,
        key: &KeyRef,
        context: &EncryptionContext,
    ) -> Result<(DataKey, WrappedKey), KmsError>;

    /// Unwraps a data key wrapped under `key` with the same `context`.
    async fn unwrap(
        &self,
        key: &KeyRef,
        wrapped: &WrappedKey,
        context: &EncryptionContext,
    ) -> Result<DataKey, KmsError>;

    /// Short name for logs and metrics (`aws`, `local`).
    fn kind(&self) -> &'static str;
}
