//! Native authentication: user passwords, set through SCIM and presented with
//! `Authorization: Basic`.
//!
//! - A password is held in memory as a [`Password`] (zeroized on drop, never printed) and
//!   stored only as an argon2id hash in PHC form ([`PasswordRecord`]), with the OWASP
//!   parameters (19 MiB of memory, 2 passes, 1 lane), in its own tree keyed by principal id,
//!   removed with the principal. Only users have passwords.
//! - The policy ([`check_policy`]) refuses passwords shorter than [`MIN_LENGTH`], longer than
//!   [`MAX_LENGTH`], or equal to the user name.
//! - Sign-in ([`Passwords::sign_in`]) asks the [`throttle`] first, then the [`cache`] of
//!   recently verified passwords, and only then runs argon2, on a blocking thread, at most
//!   [`hashing_permits`] at a time and within a CPU budget ([`HASHING_REST`]: after each hash
//!   its permit rests seven times as long as the hash took, so hashing uses at most an eighth
//!   of the cores it may run on), so a flood of sign-ins can neither starve the async runtime
//!   nor take the CPU from other requests. At most [`MAX_WAITING`] sign-ins wait for a permit;
//!   beyond that they are answered 429 at once, without hashing. An unknown user name, or a user without a password, is
//!   verified against a dummy hash, so timing does not tell which names exist.

pub mod cache;
pub mod throttle;

use crate::error::{ApiError, ApiResult};
use crate::identity::directory::{self, Scope};
use crate::identity::{Kind, PrincipalRecord};
use crate::time::now_ms;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use ironbrick_store::record::Record;
use ironbrick_store::{Store, StoreError, Tx};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The tree of password hashes: `{principal id:020}` → [`PasswordRecord`].
pub const TREE: &str = "passwords";
/// The shortest password accepted.
pub const MIN_LENGTH: usize = 12;
/// The longest password accepted (longer ones are refused before any hashing).
pub const MAX_LENGTH: usize = 256;
/// The default first back-off of the throttle.
pub const DEFAULT_BACKOFF: Duration = Duration::from_secs(1);

/// A password in clear, as received. Its `Debug` shows nothing and it is zeroized on drop.
#[derive(Clone, Default)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps a received password.
    pub fn new(s: String) -> Self {
        Self(Zeroizing::new(s))
    }

    /// The password itself (to hash or verify; never to print).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The stored password of a principal: its argon2id hash in PHC form.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PasswordRecord {
    pub phc: String,
    /// When the password was set (ms since the epoch).
    pub set_at: i64,
}

impl Record for PasswordRecord {}

impl std::fmt::Debug for PasswordRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordRecord")
            .field("set_at", &self.set_at)
            .finish_non_exhaustive()
    }
}

/// The key of `principal`'s password.
pub fn key(principal: i64) -> String {
    format!("{principal:020}")
}

/// The stored password of `principal`, if any.
pub fn get(store: &Store, principal: i64) -> ApiResult<Option<PasswordRecord>> {
    crate::repo::get(store, TREE, &key(principal))
}

/// Stores `record` as `principal`'s password inside a transaction.
pub fn tx_set(tx: &mut dyn Tx, principal: i64, record: &PasswordRecord) -> Result<(), StoreError> {
    crate::repo::tx_put(tx, TREE, &key(principal), record)
}

/// The (tree, key) that removes `principal`'s password along with the principal.
pub fn removal_key(principal: i64) -> (&'static str, String) {
    (TREE, key(principal))
}

/// Refuses a password that breaks the policy; the message says why and never holds the
/// password.
pub fn check_policy(user_name: &str, password: &Password) -> ApiResult<()> {
    let p = password.expose();
    let chars = p.chars().count();
    if chars < MIN_LENGTH {
        return Err(ApiError::invalid(format!(
            "The password is too short: it needs at least {MIN_LENGTH} characters."
        )));
    }
    if chars > MAX_LENGTH {
        return Err(ApiError::invalid(format!(
            "The password is too long: it may have at most {MAX_LENGTH} characters."
        )));
    }
    if p.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "The password must not contain control characters.",
        ));
    }
    if p.trim().eq_ignore_ascii_case(user_name.trim()) {
        return Err(ApiError::invalid("The password must not be the user name."));
    }
    Ok(())
}

/// A random password meeting the policy (24 letters and digits, about 143 bits).
pub fn generate() -> Password {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    Password::new(
        (0..24)
            .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
            .collect(),
    )
}

fn argon2id() -> Argon2<'static> {
    // OWASP: argon2id, m = 19 MiB, t = 2, p = 1.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` (slow: call from a blocking thread).
pub fn hash_now(password: &Password) -> ApiResult<PasswordRecord> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let phc = argon2id()
        .hash_password(password.expose().as_bytes(), &salt)
        .map_err(|e| ApiError::Internal(format!("hashing a password: {e}")))?
        .to_string();
    Ok(PasswordRecord {
        phc,
        set_at: now_ms(),
    })
}

/// Whether `password` matches `phc` (slow: call from a blocking thread). The comparison is
/// the argon2 crate's, in constant time.
pub fn verify_now(phc: &str, password: &Password) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            argon2id()
                .verify_password(password.expose().as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of a random password nobody knows, verified against when the user has none.
fn dummy_phc() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_now(&generate()).map(|r| r.phc).unwrap_or_default())
}

/// How long a hashing permit rests after a hash, as a multiple of the hash's duration.
pub const HASHING_REST: f64 = 7.0;
/// Sign-ins that may wait for a hashing permit; more are throttled without hashing.
pub const MAX_WAITING: usize = 64;

/// How many passwords are hashed at once: half the cores, at least one, so that a burst of
/// sign-ins leaves CPU for every other request.
pub fn hashing_permits() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get() / 2)
        .max(1)
}

/// Why a sign-in failed.
#[derive(Debug)]
pub enum SignInFailure {
    /// Too many recent failures: try again after this long (nothing was verified).
    Throttled(Duration),
    /// Wrong user name or password (the user's id when it exists).
    Invalid(Option<i64>),
    /// A failure inside the server.
    Internal(ApiError),
}

impl From<ApiError> for SignInFailure {
    fn from(e: ApiError) -> Self {
        Self::Internal(e)
    }
}

impl From<StoreError> for SignInFailure {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.into())
    }
}

/// Password hashing and sign-in, with their throttle and cache.
#[derive(Debug)]
pub struct Passwords {
    throttle: throttle::Throttle,
    cache: cache::VerifiedCache,
    hashing: Arc<tokio::sync::Semaphore>,
    /// Sign-ins waiting for, or holding, a hashing permit.
    waiting: std::sync::atomic::AtomicUsize,
}

impl Passwords {
    /// Sign-in machinery whose first back-off after repeated failures lasts `backoff`. The
    /// throttle counts failures in `store` when other replicas share it
    /// ([`throttle::Throttle::for_store`]).
    pub fn new(backoff: Duration, store: &Store) -> Self {
        Self {
            throttle: throttle::Throttle::for_store(backoff, throttle::DEFAULT_CAPACITY, store),
            cache: cache::VerifiedCache::new(cache::DEFAULT_TTL, cache::DEFAULT_CAPACITY),
            hashing: Arc::new(tokio::sync::Semaphore::new(hashing_permits())),
            waiting: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The throttle.
    pub fn throttle(&self) -> &throttle::Throttle {
        &self.throttle
    }

    /// The cache of verified passwords.
    pub fn cache(&self) -> &cache::VerifiedCache {
        &self.cache
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> ApiResult<T> {
        let permit = self
            .hashing
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::Internal("password hashing stopped".into()))?;
        let started = Instant::now();
        let out = tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| ApiError::Internal(format!("password hashing task: {e}")));
        let rest = started.elapsed().mul_f64(HASHING_REST);
        tokio::spawn(async move {
            tokio::time::sleep(rest).await;
            drop(permit);
        });
        out
    }

    /// Checks `password` against the policy for `user_name` and hashes it.
    pub async fn hash(&self, user_name: &str, password: Password) -> ApiResult<PasswordRecord> {
        check_policy(user_name, &password)?;
        self.blocking(move || hash_now(&password)).await?
    }

    /// Signs `user_name` in with `password` from `ip`: the user (any state: whether it may
    /// still sign in is for the caller to decide), or why not. Failures are counted by the
    /// throttle, which is asked before anything else.
    pub async fn sign_in(
        &self,
        store: &Store,
        user_name: &str,
        password: Password,
        ip: IpAddr,
    ) -> Result<PrincipalRecord, SignInFailure> {
        let throttle = &self.throttle;
        if let Some(wait) = throttle.check(user_name, ip, throttle.now())? {
            return Err(SignInFailure::Throttled(wait));
        }
        let user = directory::by_name(store, Scope::Account, Kind::User, user_name)?;
        let stored = match &user {
            Some(u) => get(store, u.id)?,
            None => None,
        };
        let fail = |id: Option<i64>| {
            throttle.fail(user_name, ip, throttle.now())?;
            Err(SignInFailure::Invalid(id))
        };
        if password.expose().chars().count() > MAX_LENGTH {
            return fail(user.map(|u| u.id));
        }
        if let (Some(u), Some(r)) = (&user, &stored) {
            if self
                .cache
                .hit(u.id, &r.phc, password.expose(), Instant::now())
            {
                throttle.succeed(user_name, ip)?;
                return Ok(u.clone());
            }
        }
        let phc = stored.as_ref().map(|r| r.phc.clone());
        let checked = password.clone();
        let waiting = WaitingGuard::enter(&self.waiting);
        if waiting.ahead >= MAX_WAITING {
            return Err(SignInFailure::Throttled(Duration::from_secs(1)));
        }
        let verified = self
            .blocking(move || {
                let ok = verify_now(phc.as_deref().unwrap_or_else(|| dummy_phc()), &checked);
                ok && phc.is_some()
            })
            .await?;
        drop(waiting);
        match (user, stored) {
            (Some(u), Some(r)) if verified => {
                throttle.succeed(user_name, ip)?;
                self.cache
                    .remember(u.id, &r.phc, password.expose(), Instant::now());
                Ok(u)
            }
            (user, _) => fail(user.map(|u| u.id)),
        }
    }
}

/// Counts a sign-in among those waiting for a hashing permit while it lives.
struct WaitingGuard<'a> {
    count: &'a std::sync::atomic::AtomicUsize,
    /// How many were waiting before this one.
    ahead: usize,
}

impl<'a> WaitingGuard<'a> {
    fn enter(count: &'a std::sync::atomic::AtomicUsize) -> Self {
        let ahead = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Self { count, ahead }
    }
}

impl Drop for WaitingGuard<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_refuses_short_long_and_user_name_passwords_without_echoing_them() {
        let p = |s: &str| Password::new(s.to_string());
        let err = check_policy("ann@x.com", &p("short-pw"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("at least 12") && !err.contains("short-pw"),
            "{err}"
        );
        let err = check_policy("ann@example.com", &p("ANN@example.com"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("user name") && !err.contains("ANN@"), "{err}");
        assert!(check_policy("a", &p(&"x".repeat(MAX_LENGTH + 1))).is_err());
        assert!(check_policy("a", &p("twelve chars\n")).is_err());
        assert!(check_policy("ann@x.com", &p("correct horse battery")).is_ok());
        assert!(check_policy("ann@x.com", &generate()).is_ok());
        assert_ne!(generate().expose(), generate().expose());
    }

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let pw = Password::new("correct horse battery".into());
        let r = hash_now(&pw).unwrap();
        assert!(
            r.phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            r.phc
        );
        assert!(verify_now(&r.phc, &pw));
        assert!(!verify_now(
            &r.phc,
            &Password::new("correct horse batterz".into())
        ));
        assert!(!verify_now("not a hash", &pw));
        assert_ne!(hash_now(&pw).unwrap().phc, r.phc, "salted");
    }

    #[test]
    fn nothing_secret_in_debug() {
        let pw = Password::new("correct horse battery".into());
        let r = hash_now(&pw).unwrap();
        assert!(!format!("{pw:?}").contains("horse"));
        assert!(!format!("{r:?}").contains("argon2"));
    }
}
