//! Identifier generation.

use rand::Rng;

/// A random UUID string, the id format of account objects and IP access lists.
pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A random 16-digit workspace id, like Databricks' numeric workspace ids.
pub fn workspace_id() -> i64 {
    rand::thread_rng().gen_range(1_000_000_000_000_000..9_000_000_000_000_000)
}

/// A random 64-hex-digit token id.
pub fn token_id() -> String {
    hex::encode(rand::thread_rng().gen::<[u8; 32]>())
}
