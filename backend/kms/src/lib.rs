//! Key management for Ironbrick: the [`KeyWrapper`] seam over a KMS ([`AwsKms`] through
//! aws-sdk-kms, or the embedded development [`LocalKms`]) and [`Envelope`], which seals
//! workspace data with AES-256-GCM under data keys that live only in memory, in a cache with a
//! bounded lifetime.
//!
//! Key hierarchy, per workspace: the customer's key (CMK) in KMS wraps a random 256-bit
//! Databricks-managed key (DMK), which is stored only wrapped. Unwrapped, the DMK stays in the
//! [`Envelope`]'s cache for the TTL; the data encryption key (DEK) for each object class is
//! derived from it with HKDF-SHA256. When KMS refuses the CMK (disabled, revoked, deleted) or
//! cannot be reached, nothing can be sealed or opened once the cached DMK expires: the
//! envelope fails closed, and works again as soon as KMS does.

mod aws;
mod envelope;
mod error;
mod keys;
mod local;
mod metrics;
mod wrapper;

pub use aws::AwsKms;
pub use envelope::{Envelope, Scope};
pub use error::{EnvelopeError, KmsError};
pub use keys::{DataKey, KeyRef, WrappedKey};
pub use local::{DocumentEdit, KeyDocument, LocalKey, LocalKms};
pub use metrics::Metrics;
pub use wrapper::{EncryptionContext, KeyWrapper};
