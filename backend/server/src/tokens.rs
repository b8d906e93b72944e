//! Personal access tokens: minting, hashed storage, lookup and revocation.
//!
//! A token value is `dapi` + 32 hex digits (128 random bits). Only its SHA-256 digest is
//! stored: tokens are high-entropy, so a fast hash is the right tool (a password hash such as
//! argon2 adds nothing but latency), and the digest doubles as the lookup key, which keeps
//! authentication O(1) however many tokens exist. The stored digest is compared to the
//! presented one in constant time.

use crate::error::{ApiError, ApiResult};
use crate::model::{Principal, TokenRecord, TokenScope};
use crate::repo::{self, trees, tx_delete, tx_put};
use crate::time::now_ms;
use ironbrick_api::tokens::TokenValue;
use ironbrick_store::{Store, StoreError, Tx};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Default lifetime of a token created without one: two years.
pub const DEFAULT_LIFETIME_SECONDS: i64 = 2 * 365 * 24 * 3600;

/// Hex SHA-256 of a token value.
pub fn digest(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// A fresh random token value.
pub fn generate_value() -> TokenValue {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    TokenValue(format!("dapi{}", hex::encode(bytes)))
}

/// What a new token is for.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub scope: TokenScope,
    pub owner: Principal,
    pub created_by: Principal,
    pub comment: String,
    /// `None`: never expires.
    pub lifetime_seconds: Option<i64>,
}

/// Builds the record of a new token with `value` (nothing is written).
pub fn record_for(value: &TokenValue, new: NewToken) -> TokenRecord {
    let now = now_ms();
    TokenRecord {
        token_id: crate::ids::token_id(),
        digest: digest(&value.0),
        scope: new.scope,
        owner: new.owner,
        created_by: new.created_by,
        comment: new.comment,
        creation_time: now,
        expiry_time: new
            .lifetime_seconds
            .map_or(-1, |s| now.saturating_add(s.saturating_mul(1000))),
        oauth: None,
    }
}

fn key(record: &TokenRecord) -> String {
    match &record.oauth {
        Some(grant) => crate::oauth::access_token_key(grant.service_principal_id, &record.token_id),
        None => format!("{}{}", record.scope.key_prefix(), record.token_id),
    }
}

/// Writes a token record and its digest index inside a transaction.
pub fn tx_insert(tx: &mut dyn Tx, record: &TokenRecord) -> Result<(), StoreError> {
    let key = key(record);
    tx_put(tx, trees::TOKENS, &key, record)?;
    tx.put(
        trees::TOKEN_HASHES,
        record.digest.as_bytes(),
        key.as_bytes(),
    )
}

/// Removes a token record and its digest index inside a transaction.
pub fn tx_remove(tx: &mut dyn Tx, record: &TokenRecord) -> Result<(), StoreError> {
    tx_delete(tx, trees::TOKENS, &key(record))?;
    tx.delete(trees::TOKEN_HASHES, record.digest.as_bytes())
}

/// Mints a token: stores it and returns its value (shown once) and record.
pub fn mint(store: &Store, new: NewToken) -> ApiResult<(TokenValue, TokenRecord)> {
    let value = generate_value();
    let record = record_for(&value, new);
    store.transact(|tx| tx_insert(tx, &record).map_err(ApiError::from))?;
    Ok((value, record))
}

/// The live token whose value is `presented`; errors are UNAUTHENTICATED.
pub fn authenticate(store: &Store, presented: &str) -> ApiResult<TokenRecord> {
    let invalid = || ApiError::unauthenticated("Invalid access token.");
    let presented_digest = digest(presented);
    let key = store
        .kv()
        .get(trees::TOKEN_HASHES, presented_digest.as_bytes())?
        .ok_or_else(invalid)?;
    let key = String::from_utf8(key).map_err(|_| invalid())?;
    let record: TokenRecord = repo::get(store, trees::TOKENS, &key)?.ok_or_else(invalid)?;
    if !bool::from(record.digest.as_bytes().ct_eq(presented_digest.as_bytes())) {
        return Err(invalid());
    }
    if record.expiry_time >= 0 && now_ms() >= record.expiry_time {
        if record.oauth.is_some() {
            // Expired OAuth access tokens are useless: drop them on sight.
            store.transact(|tx| tx_remove(tx, &record).map_err(ApiError::from))?;
        }
        return Err(ApiError::unauthenticated("Token is expired."));
    }
    if let Some(grant) = &record.oauth {
        if let Err(e) = crate::oauth::check_grant(store, grant) {
            // Its secret is gone or expired: the token can never work again.
            store.transact(|tx| tx_remove(tx, &record).map_err(ApiError::from))?;
            return Err(e);
        }
    }
    Ok(record)
}

/// Every token of `scope`.
pub fn list(store: &Store, scope: TokenScope) -> ApiResult<Vec<TokenRecord>> {
    repo::scan(store, trees::TOKENS, &scope.key_prefix())
}

/// The token `token_id` of `scope`.
pub fn get(store: &Store, scope: TokenScope, token_id: &str) -> ApiResult<TokenRecord> {
    let key = format!("{}{token_id}", scope.key_prefix());
    repo::get(store, trees::TOKENS, &key)?
        .ok_or_else(|| ApiError::not_found(format!("Token with id {token_id} does not exist.")))
}

/// Revokes a token.
pub fn revoke(store: &Store, record: &TokenRecord) -> ApiResult<()> {
    store.transact(|tx| tx_remove(tx, record).map_err(ApiError::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_have_the_databricks_shape_and_are_unique() {
        let a = generate_value().0;
        let b = generate_value().0;
        assert_ne!(a, b);
        assert!(a.starts_with("dapi"));
        assert_eq!(a.len(), 36);
        assert!(a[4..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(digest(&a).len(), 64);
        assert_ne!(digest(&a), digest(&b));
    }
}
