use crate::{
    DataKey, EncryptionContext, EnvelopeError, KeyRef, KeyWrapper, KmsError, Metrics, WrappedKey,
};
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zeroize::Zeroize;

/// The format marker of sealed data. DO NOT CHANGE for existing data: add a new version.
const FORMAT_V1: u8 = 1;
const NONCE: usize = 12;
const TAG: usize = 16;

/// Whose data is sealed, under which key.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The workspace the data belongs to (bound into every ciphertext).
    pub workspace_id: i64,
    /// The customer-managed key wrapping the workspace's DMK; `None` means the platform key.
    pub key: Option<KeyRef>,
    /// The workspace's DMK, wrapped (from [`Envelope::new_dmk`]).
    pub wrapped_dmk: WrappedKey,
}

/// The cached, unwrapped DMK of one workspace.
struct Entry {
    wrapped_id: [u8; 32],
    dmk: DataKey,
    fetched: Instant,
}

type Slot = Arc<tokio::sync::Mutex<Option<Entry>>>;

/// Envelope encryption of workspace data (notebooks, secrets) with AES-256-GCM.
///
/// Each sealed value is `version || nonce (96 bits, random) || ciphertext+tag`, with associated
/// data binding it to its workspace, object class and object id: a ciphertext copied to another
/// object, or altered in any way, fails to open with [`EnvelopeError::Integrity`].
///
/// Unwrapped DMKs are cached per workspace for the TTL, counted from the KMS call that
/// produced them. Concurrent misses for the same workspace wait for one KMS call. Failures are
/// not cached: the next call asks KMS again, so access returns as soon as the key does.
pub struct Envelope {
    cmk: Arc<dyn KeyWrapper>,
    platform: Arc<dyn KeyWrapper>,
    platform_key: KeyRef,
    ttl: Duration,
    slots: std::sync::Mutex<HashMap<i64, Slot>>,
    metrics: Metrics,
}

impl std::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Envelope")
            .field("cmk", &self.cmk.kind())
            .field("platform_key", &self.platform_key)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

fn context(workspace_id: i64) -> EncryptionContext {
    vec![(
        "ironbrick:workspace_id".to_string(),
        workspace_id.to_string(),
    )]
}

fn aad(workspace_id: i64, class: &str, object_id: &str) -> Vec<u8> {
    let mut a = b"ironbrick/v1\0".to_vec();
    a.extend_from_slice(&workspace_id.to_be_bytes());
    a.extend_from_slice(class.as_bytes());
    a.push(0);
    a.extend_from_slice(object_id.as_bytes());
    a
}

fn cipher(dmk: &DataKey, class: &str) -> Aes256Gcm {
    let mut dek = [0u8; 32];
    let info = format!("ironbrick/v1/dek/{class}");
    // 32 bytes is always a valid HKDF-SHA256 output length.
    let _ = Hkdf::<Sha256>::new(Some(b"ironbrick-envelope"), dmk.bytes())
        .expand(info.as_bytes(), &mut dek);
    let c = Aes256Gcm::new(&dek.into());
    dek.zeroize();
    c
}

impl Envelope {
    /// An envelope over `cmk` (customer keys) and `platform` (the key of workspaces without a
    /// CMK, `platform_key`), caching unwrapped keys for `ttl`.
    pub fn new(
        cmk: Arc<dyn KeyWrapper>,
        platform: Arc<dyn KeyWrapper>,
        platform_key: KeyRef,
        ttl: Duration,
    ) -> Self {
        Self {
            cmk,
            platform,
            platform_key,
            ttl,
            slots: std::sync::Mutex::new(HashMap::new()),
            metrics: Metrics::default(),
        }
    }

    /// KMS and cache counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    fn wrapper(&self, key: Option<&KeyRef>) -> (&dyn KeyWrapper, KeyRef) {
        match key {
            Some(k) => (self.cmk.as_ref(), k.clone()),
            None => (self.platform.as_ref(), self.platform_key.clone()),
        }
    }

    /// Generates a workspace's DMK under `key` (or the platform key) and returns it wrapped,
    /// the only form in which it is stored.
    pub async fn new_dmk(
        &self,
        workspace_id: i64,
        key: Option<&KeyRef>,
    ) -> Result<WrappedKey, KmsError> {
        let (wrapper, key) = self.wrapper(key);
        let result = wrapper
            .generate_data_key(&key, &context(workspace_id))
            .await;
        self.metrics.generated(result.is_ok());
        result.map(|(_, wrapped)| wrapped)
    }

    /// Drops the cached key of a workspace (after it is deleted).
    pub fn forget(&self, workspace_id: i64) {
        if let Ok(mut slots) = self.slots.lock() {
            slots.remove(&workspace_id);
        }
    }

    fn slot(&self, workspace_id: i64) -> Slot {
        let mut slots = match self.slots.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        slots.entry(workspace_id).or_default().clone()
    }

    async fn dmk(&self, scope: &Scope) -> Result<DataKey, EnvelopeError> {
        let wrapped_id: [u8; 32] = Sha256::digest(&scope.wrapped_dmk.0).into();
        let slot = self.slot(scope.workspace_id);
        let mut entry = slot.lock().await;
        if let Some(e) = entry.as_ref() {
            if e.wrapped_id == wrapped_id && e.fetched.elapsed() < self.ttl {
                self.metrics.cache(true);
                return Ok(e.dmk.clone());
            }
        }
        self.metrics.cache(false);
        *entry = None;
        let (wrapper, key) = self.wrapper(scope.key.as_ref());
        let result = wrapper
            .unwrap(&key, &scope.wrapped_dmk, &context(scope.workspace_id))
            .await;
        self.metrics.unwrapped(result.is_ok());
        let dmk = result.map_err(|e| {
            tracing::warn!(workspace_id = scope.workspace_id, error = %e, "workspace key unavailable");
            EnvelopeError::KeyUnavailable(e)
        })?;
        *entry = Some(Entry {
            wrapped_id,
            dmk: dmk.clone(),
            fetched: Instant::now(),
        });
        Ok(dmk)
    }

    /// Seals `plaintext` as object `object_id` of `class` in the scope's workspace.
    pub async fn seal(
        &self,
        scope: &Scope,
        class: &str,
        object_id: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, EnvelopeError> {
        let dmk = self.dmk(scope).await?;
        let mut nonce = [0u8; NONCE];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
        let aad = aad(scope.workspace_id, class, object_id);
        let ct = cipher(&dmk, class)
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| EnvelopeError::Integrity)?;
        let mut out = Vec::with_capacity(1 + NONCE + ct.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Opens what [`Envelope::seal`] produced for the same scope, class and object id.
    pub async fn open(
        &self,
        scope: &Scope,
        class: &str,
        object_id: &str,
        sealed: &[u8],
    ) -> Result<Vec<u8>, EnvelopeError> {
        if sealed.len() < 1 + NONCE + TAG || sealed[0] != FORMAT_V1 {
            return Err(EnvelopeError::Integrity);
        }
        let dmk = self.dmk(scope).await?;
        let (nonce, ct) = sealed[1..].split_at(NONCE);
        let aad = aad(scope.workspace_id, class, object_id);
        cipher(&dmk, class)
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| EnvelopeError::Integrity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LocalKms;
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// A wrapper over a local store with a switch that makes KMS unreachable and a call counter.
    #[derive(Debug)]
    struct Flaky {
        inner: LocalKms,
        down: AtomicBool,
        unwraps: AtomicUsize,
    }

    #[async_trait]
    impl KeyWrapper for Flaky {
        async fn generate_data_key(
            &self,
            key: &KeyRef,
            c: &EncryptionContext,
        ) -> Result<(DataKey, WrappedKey), KmsError> {
            self.inner.generate_data_key(key, c).await
        }
        async fn unwrap(
            &self,
            key: &KeyRef,
            w: &WrappedKey,
            c: &EncryptionContext,
        ) -> Result<DataKey, KmsError> {
            self.unwraps.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            if self.down.load(Ordering::SeqCst) {
                return Err(KmsError::Unavailable("switched off".into()));
            }
            self.inner.unwrap(key, w, c).await
        }
        fn kind(&self) -> &'static str {
            "flaky"
        }
    }

    struct Fixture {
        _dir: tempfile::TempDir,
        kms: Arc<Flaky>,
        env: Envelope,
        scope: Scope,
        key: KeyRef,
    }

    async fn fixture(ttl: Duration) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let kms = Arc::new(Flaky {
            inner: LocalKms::open(dir.path()).unwrap(),
            down: AtomicBool::new(false),
            unwraps: AtomicUsize::new(0),
        });
        let key = KeyRef(kms.inner.create_key("us-east-1").unwrap());
        let platform = KeyRef(kms.inner.create_key("us-east-1").unwrap());
        let env = Envelope::new(kms.clone(), kms.clone(), platform, ttl);
        let wrapped_dmk = env.new_dmk(7, Some(&key)).await.unwrap();
        let scope = Scope {
            workspace_id: 7,
            key: Some(key.clone()),
            wrapped_dmk,
        };
        Fixture {
            _dir: dir,
            kms,
            env,
            scope,
            key,
        }
    }

    #[tokio::test]
    async fn round_trip_and_binding() {
        let f = fixture(Duration::from_secs(60)).await;
        let sealed = f
            .env
            .seal(&f.scope, "notebook", "1", b"print('hi')")
            .await
            .unwrap();
        assert!(!sealed.windows(5).any(|w| w == b"print"));
        assert_eq!(
            f.env
                .open(&f.scope, "notebook", "1", &sealed)
                .await
                .unwrap(),
            b"print('hi')"
        );
        assert!(matches!(
            f.env.open(&f.scope, "notebook", "2", &sealed).await,
            Err(EnvelopeError::Integrity)
        ));
        assert!(matches!(
            f.env.open(&f.scope, "secret", "1", &sealed).await,
            Err(EnvelopeError::Integrity)
        ));
        let mut other = f.scope.clone();
        other.workspace_id = 8;
        assert!(f.env.open(&other, "notebook", "1", &sealed).await.is_err());
        for i in 0..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 1;
            assert!(
                f.env.open(&f.scope, "notebook", "1", &t).await.is_err(),
                "flip at {i}"
            );
        }
        let again = f
            .env
            .seal(&f.scope, "notebook", "1", b"print('hi')")
            .await
            .unwrap();
        assert_ne!(again, sealed, "nonces must be fresh");
    }

    #[tokio::test]
    async fn revocation_fails_closed_after_the_ttl_and_recovers() {
        let f = fixture(Duration::from_millis(200)).await;
        let sealed = f
            .env
            .seal(&f.scope, "notebook", "1", b"data")
            .await
            .unwrap();
        f.kms.inner.disable(&f.key.0).unwrap();
        assert!(
            f.env.open(&f.scope, "notebook", "1", &sealed).await.is_ok(),
            "cached key still valid"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(matches!(
            f.env.open(&f.scope, "notebook", "1", &sealed).await,
            Err(EnvelopeError::KeyUnavailable(KmsError::Refused { .. }))
        ));
        assert!(f.env.seal(&f.scope, "notebook", "2", b"x").await.is_err());
        f.kms.inner.enable(&f.key.0).unwrap();
        assert_eq!(
            f.env
                .open(&f.scope, "notebook", "1", &sealed)
                .await
                .unwrap(),
            b"data"
        );
        f.kms.down.store(true, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(matches!(
            f.env.open(&f.scope, "notebook", "1", &sealed).await,
            Err(EnvelopeError::KeyUnavailable(KmsError::Unavailable(_)))
        ));
        f.kms.down.store(false, Ordering::SeqCst);
        assert!(f.env.open(&f.scope, "notebook", "1", &sealed).await.is_ok());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_misses_make_one_kms_call() {
        let f = Arc::new(fixture(Duration::from_secs(60)).await);
        let sealed = f
            .env
            .seal(&f.scope, "notebook", "1", b"data")
            .await
            .unwrap();
        f.env.forget(7);
        let before = f.kms.unwraps.load(Ordering::SeqCst);
        let tasks: Vec<_> = (0..1000)
            .map(|_| {
                let (f, sealed) = (f.clone(), sealed.clone());
                tokio::spawn(
                    async move { f.env.open(&f.scope, "notebook", "1", &sealed).await.is_ok() },
                )
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap());
        }
        assert_eq!(f.kms.unwraps.load(Ordering::SeqCst) - before, 1);
        assert!(f
            .env
            .metrics()
            .render()
            .contains("ironbrick_kms_requests_total{op=\"unwrap\",result=\"ok\"}"));
    }
}
