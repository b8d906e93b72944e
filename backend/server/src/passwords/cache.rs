//! Recently verified passwords, so that honest Basic traffic does not pay argon2 on every
//! request.
//!
//! After a password verifies, the cache keeps, per principal, an HMAC-SHA256 under a random
//! key drawn when the process starts, over the principal id, its stored password hash (the PHC
//! string, whose salt changes with every new password) and the password. A later request
//! presenting the same password computes the same digest and is accepted without argon2 while
//! the entry is younger than the cache's time to live. Nothing that could recover the password
//! is kept: without the per-process key the digest is useless, and the key never leaves memory.
//!
//! A changed password cannot hit the cache: the digest covers the stored hash, and the entry
//! is also dropped ([`VerifiedCache::forget`]) when the password is set or removed. The cache
//! says only that the password is right; whether the principal may still sign in (active,
//! member of the workspace, password access control) is decided afresh on every request.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// How long a verified password is remembered by default.
pub const DEFAULT_TTL: Duration = Duration::from_secs(5 * 60);
/// Principals remembered at most by default.
pub const DEFAULT_CAPACITY: usize = 100_000;

struct Entry {
    digest: [u8; 32],
    at: Instant,
}

/// Verified passwords by principal id.
pub struct VerifiedCache {
    key: Zeroizing<[u8; 32]>,
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<i64, Entry>>,
}

impl std::fmt::Debug for VerifiedCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedCache")
            .field("ttl", &self.ttl)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl VerifiedCache {
    /// An empty cache with a fresh random key.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::thread_rng().fill_bytes(key.as_mut());
        Self {
            key,
            ttl,
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn digest(&self, principal: i64, stored_hash: &str, password: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key.as_ref())
            .expect("HMAC accepts keys of any length");
        mac.update(&principal.to_be_bytes());
        mac.update(&(stored_hash.len() as u64).to_be_bytes());
        mac.update(stored_hash.as_bytes());
        mac.update(password.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `password` was verified for `principal` (holding `stored_hash`) recently.
    pub fn hit(&self, principal: i64, stored_hash: &str, password: &str, now: Instant) -> bool {
        let digest = self.digest(principal, stored_hash, password);
        let entries = self.lock();
        entries.get(&principal).is_some_and(|e| {
            now.saturating_duration_since(e.at) < self.ttl && bool::from(e.digest.ct_eq(&digest))
        })
    }

    /// Remembers that `password` verified for `principal`.
    pub fn remember(&self, principal: i64, stored_hash: &str, password: &str, now: Instant) {
        let digest = self.digest(principal, stored_hash, password);
        let mut entries = self.lock();
        if entries.len() >= self.capacity && !entries.contains_key(&principal) {
            let ttl = self.ttl;
            entries.retain(|_, e| now.saturating_duration_since(e.at) < ttl);
            if entries.len() >= self.capacity {
                if let Some(oldest) = entries.iter().min_by_key(|(_, e)| e.at).map(|(k, _)| *k) {
                    entries.remove(&oldest);
                }
            }
        }
        entries.insert(principal, Entry { digest, at: now });
    }

    /// Drops what is remembered of `principal` (its password changed or it is gone).
    pub fn forget(&self, principal: i64) {
        self.lock().remove(&principal);
    }

    /// Drops everything remembered.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Principals remembered, for tests.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_right_password_only_and_for_the_ttl() {
        let c = VerifiedCache::new(Duration::from_secs(60), 10);
        let now = Instant::now();
        assert!(!c.hit(7, "$argon2id$a", "correct horse", now));
        c.remember(7, "$argon2id$a", "correct horse", now);
        assert!(c.hit(7, "$argon2id$a", "correct horse", now));
        assert!(!c.hit(7, "$argon2id$a", "correct horsf", now));
        assert!(!c.hit(8, "$argon2id$a", "correct horse", now));
        assert!(!c.hit(
            7,
            "$argon2id$a",
            "correct horse",
            now + Duration::from_secs(60)
        ));
    }

    #[test]
    fn a_new_password_hash_or_forget_misses() {
        let c = VerifiedCache::new(Duration::from_secs(60), 10);
        let now = Instant::now();
        c.remember(7, "$argon2id$a", "correct horse", now);
        assert!(!c.hit(7, "$argon2id$b", "correct horse", now));
        c.forget(7);
        assert!(!c.hit(7, "$argon2id$a", "correct horse", now));
    }

    #[test]
    fn keys_differ_between_caches_and_size_is_bounded() {
        let a = VerifiedCache::new(Duration::from_secs(60), 3);
        let b = VerifiedCache::new(Duration::from_secs(60), 3);
        assert_ne!(a.digest(1, "h", "p"), b.digest(1, "h", "p"));
        let now = Instant::now();
        for i in 0..10 {
            a.remember(i, "h", "p", now + Duration::from_millis(i as u64));
        }
        assert_eq!(a.len(), 3);
        assert!(a.hit(9, "h", "p", now + Duration::from_millis(10)));
        assert!(!a.hit(0, "h", "p", now + Duration::from_millis(10)));
        assert!(format!("{a:?}").contains("ttl") && !format!("{a:?}").contains("key"));
    }
}
