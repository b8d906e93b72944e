//! The server's view of envelope encryption: workspace data keys and sealing of notebooks and
//! secrets, with KMS failures mapped to API errors.
//!
//! When the workspace's customer-managed key is refused by KMS (disabled, revoked, deleted),
//! protected reads and writes answer 403 PERMISSION_DENIED once the cached key expires; when KMS
//! cannot be reached they answer 503 TEMPORARILY_UNAVAILABLE. Stored data is never touched, and
//! access returns as soon as KMS accepts the key again.
//!
//! # Tampered or corrupted ciphertext
//! A stored ciphertext that fails AES-GCM authentication (altered, truncated, or moved to
//! another workspace or object) is answered **500 `DATA_LOSS`** ("Stored data failed its
//! integrity check..."), logged at error level with the workspace, object class and id (never
//! the ciphertext, plaintext or any key), counted in
//! `ironbrick_ciphertext_integrity_failures_total` on `/metrics`, and recorded in the audit log
//! with that error code. Why a 5xx and not a 4xx: AWS KMS answers `InvalidCiphertextException`
//! with HTTP 400 because there the caller sent the ciphertext; here the ciphertext is the
//! server's own data at rest, and the request that found it corrupt was well-formed, so the
//! fault is the server's. `DATA_LOSS` is the canonical (gRPC / `google.rpc.Code`) code for
//! "unrecoverable data loss or corruption", mapped to HTTP 500, and the Databricks SDKs know
//! it (`DataLoss`, a subclass of `InternalError`). The object stays as it is, for forensics; it
//! can be overwritten or deleted.

use crate::error::{ApiError, ApiResult};
use crate::model::{StoredDmk, WorkspaceRecord};
use ironbrick_api::ErrorCode;
use ironbrick_kms::{Envelope, EnvelopeError, KeyRef, KmsError, Scope};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Seals and opens workspace data.
#[derive(Debug, Clone)]
pub struct Vault {
    envelope: Arc<Envelope>,
    /// Ciphertexts that failed authentication (see the module docs).
    integrity_failures: Arc<AtomicU64>,
}

fn kms_error(e: KmsError) -> ApiError {
    match e {
        KmsError::Refused { .. } | KmsError::NotFound(_) => ApiError::forbidden(format!(
            "The workspace's customer-managed key is unavailable ({e}). Notebooks and secrets cannot be \
             read or written until KMS accepts the key again; no data is lost."
        )),
        KmsError::Unavailable(_) => ApiError::new(
            ErrorCode::TemporarilyUnavailable,
            format!("KMS is unavailable ({e}); retry later. No data is lost."),
        ),
        KmsError::Invalid(_) => ApiError::Internal(e.to_string()),
    }
}

impl Vault {
    /// A vault over `envelope`.
    pub fn new(envelope: Arc<Envelope>) -> Self {
        Self {
            envelope,
            integrity_failures: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Ciphertexts that failed authentication since start.
    pub fn integrity_failures(&self) -> u64 {
        self.integrity_failures.load(Ordering::Relaxed)
    }

    /// Prometheus text lines of the vault's own counters.
    pub fn render_metrics(&self) -> String {
        format!(
            "# HELP ironbrick_ciphertext_integrity_failures_total Stored ciphertexts that failed authentication (tampered or corrupt).\n\
             # TYPE ironbrick_ciphertext_integrity_failures_total counter\n\
             ironbrick_ciphertext_integrity_failures_total {}\n",
            self.integrity_failures()
        )
    }

    /// The envelope (for metrics).
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// Generates the data key of a new workspace under `key_arn` (or the platform key). A key
    /// KMS refuses is an invalid parameter of the workspace creation.
    pub async fn new_dmk(&self, workspace_id: i64, key_arn: Option<&str>) -> ApiResult<StoredDmk> {
        let key = key_arn.map(|a| KeyRef(a.to_string()));
        let wrapped = self
            .envelope
            .new_dmk(workspace_id, key.as_ref())
            .await
            .map_err(|e| match e {
                KmsError::Refused { .. } | KmsError::NotFound(_) => ApiError::invalid(format!(
                    "managed_services_customer_managed_key_id: the key cannot be used: {e}"
                )),
                other => kms_error(other),
            })?;
        Ok(StoredDmk {
            key_arn: key_arn.map(str::to_string),
            wrapped,
        })
    }

    fn scope(ws: &WorkspaceRecord) -> ApiResult<Scope> {
        let dmk = ws.dmk.as_ref().ok_or_else(|| {
            ApiError::Internal(format!("workspace {} has no data key", ws.workspace_id))
        })?;
        Ok(Scope {
            workspace_id: ws.workspace_id,
            key: dmk.key_arn.clone().map(KeyRef),
            wrapped_dmk: dmk.wrapped.clone(),
        })
    }

    fn envelope_error(e: EnvelopeError, ws: i64, class: &str, id: &str) -> ApiError {
        match e {
            EnvelopeError::KeyUnavailable(k) => kms_error(k),
            EnvelopeError::Integrity => ApiError::Internal(format!(
                "sealing {class} {id} of workspace {ws} failed: {e}"
            )),
        }
    }

    /// The answer to a stored ciphertext that failed authentication: logged, counted, and
    /// 500 DATA_LOSS (the audit layer records the request with that code).
    fn integrity_failure(&self, ws: i64, class: &str, id: &str) -> ApiError {
        self.integrity_failures.fetch_add(1, Ordering::Relaxed);
        tracing::error!(
            workspace_id = ws,
            class,
            object = id,
            "stored ciphertext failed authentication (tampered or corrupt)"
        );
        ApiError::new(
            ErrorCode::DataLoss,
            format!(
                "Stored data failed its integrity check and cannot be read ({class} in workspace {ws}); \
                 it may have been tampered with. The incident is logged and audited."
            ),
        )
    }

    /// Seals `plaintext` as object `id` of `class` in workspace `ws`.
    pub async fn seal(
        &self,
        ws: &WorkspaceRecord,
        class: &str,
        id: &str,
        plaintext: &[u8],
    ) -> ApiResult<Vec<u8>> {
        self.envelope
            .seal(&Self::scope(ws)?, class, id, plaintext)
            .await
            .map_err(|e| Self::envelope_error(e, ws.workspace_id, class, id))
    }

    /// Opens what [`Vault::seal`] sealed for the same workspace, class and id.
    pub async fn open(
        &self,
        ws: &WorkspaceRecord,
        class: &str,
        id: &str,
        sealed: &[u8],
    ) -> ApiResult<Vec<u8>> {
        self.envelope
            .open(&Self::scope(ws)?, class, id, sealed)
            .await
            .map_err(|e| match e {
                EnvelopeError::Integrity => self.integrity_failure(ws.workspace_id, class, id),
                other => Self::envelope_error(other, ws.workspace_id, class, id),
            })
    }
}
