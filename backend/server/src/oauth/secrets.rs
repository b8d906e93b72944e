//! OAuth secrets of service principals: minting, hashed storage, verification and removal.
//!
//! A secret value is `dose` + 64 hex digits (256 random bits), shown once in the create
//! answer. Like personal access tokens, only its SHA-256 digest is stored: the value is
//! high-entropy, so a slow password hash would add latency and no strength. Secrets are keyed
//! `{service_principal_id:020}/{secret_id}` in [`SP_SECRETS`], so the token endpoint compares
//! the presented value (in constant time) against the few secrets of one service principal,
//! and an access token's secret is checked with one point read.

use crate::error::{ApiError, ApiResult};
use crate::repo::{self, tx_delete, tx_put};
use crate::time::now_ms;
use ironbrick_api::oauth::{SecretInfo, SecretValue};
use ironbrick_store::record::Record;
use ironbrick_store::Store;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::{Duration, UNIX_EPOCH};
use subtle::ConstantTimeEq;

/// Tree of OAuth secrets, keyed by [`key`].
pub const SP_SECRETS: &str = "sp_secrets";

/// Default and maximum lifetime of a secret: 730 days, as Databricks documents.
pub const MAX_LIFETIME_SECONDS: i64 = 730 * 24 * 3600;

/// How many secrets one service principal may hold (Databricks allows five).
pub const MAX_SECRETS_PER_PRINCIPAL: usize = 5;

/// A stored secret: its digest and times (milliseconds since the Unix epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRecord {
    pub id: String,
    pub service_principal_id: i64,
    /// Hex SHA-256 of the secret value.
    pub digest: String,
    pub create_time: i64,
    pub update_time: i64,
    pub expire_time: i64,
}

impl Record for SecretRecord {}

impl SecretRecord {
    /// Whether the secret is past its expiry at `now` (ms).
    pub fn expired_at(&self, now: i64) -> bool {
        now >= self.expire_time
    }

    /// The listed view of the secret.
    pub fn info(&self) -> SecretInfo {
        SecretInfo {
            id: self.id.clone(),
            secret_hash: self.digest.clone(),
            status: if self.expired_at(now_ms()) {
                "EXPIRED"
            } else {
                "ACTIVE"
            }
            .into(),
            create_time: rfc3339(self.create_time),
            update_time: rfc3339(self.update_time),
            expire_time: Some(rfc3339(self.expire_time)),
        }
    }
}

/// The key of secret `id` of service principal `sp`.
pub fn key(sp: i64, id: &str) -> String {
    format!("{}{id}", prefix(sp))
}

fn prefix(sp: i64) -> String {
    format!("{sp:020}/")
}

/// Keys of every secret of `sp` (for deleting the principal).
pub fn keys_of(store: &Store, sp: i64) -> ApiResult<Vec<String>> {
    Ok(list(store, sp)?.iter().map(|s| key(sp, &s.id)).collect())
}

/// `ms` since the epoch as RFC 3339 UTC with seconds (`2025-01-31T12:00:00Z`).
pub fn rfc3339(ms: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_seconds(t).to_string()
}

fn digest(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// Parses a requested lifetime: a protobuf duration in whole seconds (`"3600s"`) or a bare
/// number of seconds; absent means the maximum. Non-positive, malformed or longer than
/// [`MAX_LIFETIME_SECONDS`] is INVALID_PARAMETER_VALUE.
pub fn parse_lifetime(requested: Option<&str>) -> ApiResult<i64> {
    let Some(raw) = requested.map(str::trim) else {
        return Ok(MAX_LIFETIME_SECONDS);
    };
    let digits = raw.strip_suffix('s').unwrap_or(raw);
    let secs: i64 = digits.parse().map_err(|_| {
        ApiError::invalid(format!(
            "lifetime {raw:?} is not a duration in seconds such as \"3600s\"."
        ))
    })?;
    if secs <= 0 || secs > MAX_LIFETIME_SECONDS {
        return Err(ApiError::invalid(format!(
            "lifetime must be between 1 and {MAX_LIFETIME_SECONDS} seconds (730 days); got {secs}."
        )));
    }
    Ok(secs)
}

/// Mints a secret for `sp` valid for `lifetime_seconds`: stores its digest and returns the
/// value (shown once) and record.
pub fn create(
    store: &Store,
    sp: i64,
    lifetime_seconds: i64,
) -> ApiResult<(SecretValue, SecretRecord)> {
    if list(store, sp)?.len() >= MAX_SECRETS_PER_PRINCIPAL {
        return Err(ApiError::new(
            ironbrick_api::ErrorCode::QuotaExceeded,
            format!(
                "Service principal {sp} already has {MAX_SECRETS_PER_PRINCIPAL} OAuth secrets; delete one first."
            ),
        ));
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let value = SecretValue(format!("dose{}", hex::encode(bytes)));
    let now = now_ms();
    let record = SecretRecord {
        id: crate::ids::uuid(),
        service_principal_id: sp,
        digest: digest(&value.0),
        create_time: now,
        update_time: now,
        expire_time: now.saturating_add(lifetime_seconds.saturating_mul(1000)),
    };
    store.transact(|tx| {
        tx_put(tx, SP_SECRETS, &key(sp, &record.id), &record).map_err(ApiError::from)
    })?;
    Ok((value, record))
}

/// Every secret of `sp`, expired ones included.
pub fn list(store: &Store, sp: i64) -> ApiResult<Vec<SecretRecord>> {
    repo::scan(store, SP_SECRETS, &prefix(sp))
}

/// Secret `id` of `sp`, if it exists.
pub fn get(store: &Store, sp: i64, id: &str) -> ApiResult<Option<SecretRecord>> {
    repo::get(store, SP_SECRETS, &key(sp, id))
}

/// Deletes secret `id` of `sp` (404 when it does not exist). Access tokens issued for it stop
/// working at once: authenticating one reads its secret.
pub fn delete(store: &Store, sp: i64, id: &str) -> ApiResult<()> {
    if get(store, sp, id)?.is_none() {
        return Err(ApiError::not_found(format!(
            "Secret {id} of service principal {sp} does not exist."
        )));
    }
    store.transact(|tx| tx_delete(tx, SP_SECRETS, &key(sp, id)).map_err(ApiError::from))
}

/// The unexpired secret of `sp` whose value is `presented`, compared in constant time.
pub fn verify(store: &Store, sp: i64, presented: &str) -> ApiResult<Option<SecretRecord>> {
    let presented = digest(presented);
    let now = now_ms();
    Ok(list(store, sp)?.into_iter().find(|s| {
        bool::from(s.digest.as_bytes().ct_eq(presented.as_bytes())) && !s.expired_at(now)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironbrick_store::MemStore;
    use std::sync::Arc;

    #[test]
    fn lifetimes_are_bounded_and_parsed() {
        assert_eq!(parse_lifetime(None).unwrap(), MAX_LIFETIME_SECONDS);
        assert_eq!(parse_lifetime(Some("3600s")).unwrap(), 3600);
        assert_eq!(parse_lifetime(Some("60")).unwrap(), 60);
        for bad in ["0s", "-5s", "abc", "1.5s", "63072001s", ""] {
            assert!(parse_lifetime(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_verify_by_value_and_only_their_digest_is_stored() {
        let store = Store::new(Arc::new(MemStore::new()));
        let (value, record) = create(&store, 7, 3600).unwrap();
        assert!(value.0.starts_with("dose") && value.0.len() == 68);
        assert_eq!(record.digest, digest(&value.0));
        assert!(!format!("{record:?}").contains(&value.0));
        assert_eq!(verify(&store, 7, &value.0).unwrap(), Some(record.clone()));
        assert_eq!(verify(&store, 7, "dosewrong").unwrap(), None);
        assert_eq!(verify(&store, 8, &value.0).unwrap(), None);
        delete(&store, 7, &record.id).unwrap();
        assert_eq!(verify(&store, 7, &value.0).unwrap(), None);
        assert!(delete(&store, 7, &record.id).is_err());
    }

    #[test]
    fn at_most_five_secrets_per_principal() {
        let store = Store::new(Arc::new(MemStore::new()));
        for _ in 0..MAX_SECRETS_PER_PRINCIPAL {
            create(&store, 1, 60).unwrap();
        }
        assert!(create(&store, 1, 60).is_err());
        assert!(create(&store, 2, 60).is_ok());
    }

    #[test]
    fn times_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000_123), "2023-11-14T22:13:20Z");
    }
}
