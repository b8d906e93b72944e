use crate::{DataKey, EncryptionContext, KeyRef, KeyWrapper, KmsError, WrappedKey};
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use async_trait::async_trait;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

/// The embedded KMS: a **development key store**.
///
/// Master keys are kept in plaintext in `<dir>/keys.json` (mode 0600) — good enough to try
/// customer-managed keys and revocation without AWS, never a substitute for a real KMS. Keys are
/// addressed by ARN-shaped strings. Generating a data key under an unknown ARN creates that key
/// (so the quick start needs no setup); unwrapping under an unknown key fails with NotFound.
///
/// The file is re-read whenever it changes on disk, so `ironbrick kms disable <arn>` run in
/// another process revokes a key for a running server.
#[derive(Debug)]
pub struct LocalKms {
    path: PathBuf,
    state: Mutex<Loaded>,
}

#[derive(Debug, Default)]
struct Loaded {
    stamp: Option<(SystemTime, u64)>,
    file: KeyFile,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct KeyFile {
    keys: BTreeMap<String, StoredKey>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredKey {
    material: String,
    enabled: bool,
    created: u64,
}

/// A key of the local store, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalKey {
    pub arn: String,
    pub enabled: bool,
}

const NONCE: usize = 12;

impl LocalKms {
    /// Opens (creating if needed) the store in directory `dir`.
    pub fn open(dir: &Path) -> Result<Self, KmsError> {
        std::fs::create_dir_all(dir).map_err(|e| io("creating the local KMS directory", &e))?;
        Ok(Self {
            path: dir.join("keys.json"),
            state: Mutex::new(Loaded::default()),
        })
    }

    /// Creates a new enabled key in `region` and returns its ARN.
    pub fn create_key(&self, region: &str) -> Result<String, KmsError> {
        let arn = format!(
            "arn:aws:kms:{region}:000000000000:key/{}",
            uuid::Uuid::new_v4()
        );
        self.update(|file| {
            file.keys.insert(arn.clone(), fresh_key());
            Ok(())
        })?;
        Ok(arn)
    }

    /// Every key with its state.
    pub fn list(&self) -> Result<Vec<LocalKey>, KmsError> {
        self.read(|file| {
            Ok(file
                .keys
                .iter()
                .map(|(arn, k)| LocalKey {
                    arn: arn.clone(),
                    enabled: k.enabled,
                })
                .collect())
        })
    }

    /// Disables a key: unwrapping under it fails until it is enabled again.
    pub fn disable(&self, arn: &str) -> Result<(), KmsError> {
        self.set_enabled(arn, false)
    }

    /// Enables a key again.
    pub fn enable(&self, arn: &str) -> Result<(), KmsError> {
        self.set_enabled(arn, true)
    }

    fn set_enabled(&self, arn: &str, enabled: bool) -> Result<(), KmsError> {
        self.update(|file| {
            let key = file
                .keys
                .get_mut(arn)
                .ok_or_else(|| KmsError::NotFound(arn.to_string()))?;
            key.enabled = enabled;
            Ok(())
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Loaded>, KmsError> {
        self.state
            .lock()
            .map_err(|_| KmsError::Unavailable("local KMS lock poisoned".into()))
    }

    fn refresh(&self, loaded: &mut Loaded) -> Result<(), KmsError> {
        let stamp = match std::fs::metadata(&self.path) {
            Ok(m) => Some((m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io("reading the local KMS", &e)),
        };
        if stamp != loaded.stamp {
            loaded.file = match stamp {
                Some(_) => {
                    let bytes =
                        std::fs::read(&self.path).map_err(|e| io("reading the local KMS", &e))?;
                    serde_json::from_slice(&bytes).map_err(|e| {
                        KmsError::Unavailable(format!("local KMS file is corrupt: {e}"))
                    })?
                }
                None => KeyFile::default(),
            };
            loaded.stamp = stamp;
        }
        Ok(())
    }

    fn read<T>(&self, f: impl FnOnce(&KeyFile) -> Result<T, KmsError>) -> Result<T, KmsError> {
        let mut loaded = self.lock()?;
        self.refresh(&mut loaded)?;
        f(&loaded.file)
    }

    fn update(&self, f: impl FnOnce(&mut KeyFile) -> Result<(), KmsError>) -> Result<(), KmsError> {
        let mut loaded = self.lock()?;
        self.refresh(&mut loaded)?;
        f(&mut loaded.file)?;
        let bytes = serde_json::to_vec_pretty(&loaded.file)
            .map_err(|e| KmsError::Invalid(e.to_string()))?;
        write_private(&self.path, &bytes)?;
        loaded.stamp = None;
        self.refresh(&mut loaded)
    }

    fn master(&self, key: &KeyRef, create: bool) -> Result<Aes256Gcm, KmsError> {
        let mut stored = self.read(|file| Ok(file.keys.get(&key.0).cloned()))?;
        if stored.is_none() && create {
            self.update(|file| {
                file.keys.entry(key.0.clone()).or_insert_with(fresh_key);
                Ok(())
            })?;
            stored = self.read(|file| Ok(file.keys.get(&key.0).cloned()))?;
        }
        let stored = stored.ok_or_else(|| KmsError::NotFound(key.0.clone()))?;
        if !stored.enabled {
            return Err(KmsError::Refused {
                key: key.0.clone(),
                reason: "key is disabled".into(),
            });
        }
        let material = base64::engine::general_purpose::STANDARD
            .decode(&stored.material)
            .map_err(|_| KmsError::Unavailable("local KMS key material is corrupt".into()))?;
        Aes256Gcm::new_from_slice(&material)
            .map_err(|_| KmsError::Unavailable("local KMS key material is corrupt".into()))
    }
}

fn fresh_key() -> StoredKey {
    StoredKey {
        material: base64::engine::general_purpose::STANDARD.encode(DataKey::random().bytes()),
        enabled: true,
        created: SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    }
}

fn aad(key: &KeyRef, context: &EncryptionContext) -> Vec<u8> {
    let mut out = key.0.as_bytes().to_vec();
    for (k, v) in context {
        out.push(0);
        out.extend_from_slice(k.as_bytes());
        out.push(b'=');
        out.extend_from_slice(v.as_bytes());
    }
    out
}

fn io(what: &str, e: &std::io::Error) -> KmsError {
    KmsError::Unavailable(format!("{what}: {e}"))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), KmsError> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("json.tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts
        .open(&tmp)
        .map_err(|e| io("writing the local KMS", &e))?;
    f.write_all(bytes)
        .map_err(|e| io("writing the local KMS", &e))?;
    f.sync_all().map_err(|e| io("writing the local KMS", &e))?;
    std::fs::rename(&tmp, path).map_err(|e| io("writing the local KMS", &e))
}

#[async_trait]
impl KeyWrapper for LocalKms {
    async fn generate_data_key(
        &self,
        key: &KeyRef,
        context: &EncryptionContext,
    ) -> Result<(DataKey, WrappedKey), KmsError> {
        let master = self.master(key, true)?;
        let dek = DataKey::random();
        let mut nonce = [0u8; NONCE];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
        let aad = aad(key, context);
        let ct = master
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: dek.bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| KmsError::Invalid("wrapping failed".into()))?;
        let mut wrapped = nonce.to_vec();
        wrapped.extend_from_slice(&ct);
        Ok((dek, WrappedKey(wrapped)))
    }

    async fn unwrap(
        &self,
        key: &KeyRef,
        wrapped: &WrappedKey,
        context: &EncryptionContext,
    ) -> Result<DataKey, KmsError> {
        let master = self.master(key, false)?;
        if wrapped.0.len() <= NONCE {
            return Err(KmsError::Invalid("wrapped key is truncated".into()));
        }
        let (nonce, ct) = wrapped.0.split_at(NONCE);
        let aad = aad(key, context);
        let mut plain = master
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| {
                KmsError::Invalid("wrapped key does not belong to this key or context".into())
            })?;
        let dek = DataKey::from_slice(&plain)
            .ok_or_else(|| KmsError::Invalid("unwrapped key has the wrong size".into()));
        zeroize::Zeroize::zeroize(&mut plain);
        dek
    }

    fn kind(&self) -> &'static str {
        "local"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> EncryptionContext {
        vec![("workspace".into(), "1".into())]
    }

    #[tokio::test]
    async fn wraps_unwraps_and_honours_disable() {
        let dir = tempfile::tempdir().unwrap();
        let kms = LocalKms::open(dir.path()).unwrap();
        let arn = KeyRef(kms.create_key("us-east-1").unwrap());
        let (dek, wrapped) = kms.generate_data_key(&arn, &ctx()).await.unwrap();
        assert_eq!(
            kms.unwrap(&arn, &wrapped, &ctx()).await.unwrap().bytes(),
            dek.bytes()
        );
        assert!(kms.unwrap(&arn, &wrapped, &vec![]).await.is_err());
        kms.disable(&arn.0).unwrap();
        assert!(matches!(
            kms.unwrap(&arn, &wrapped, &ctx()).await,
            Err(KmsError::Refused { .. })
        ));
        kms.enable(&arn.0).unwrap();
        assert!(kms.unwrap(&arn, &wrapped, &ctx()).await.is_ok());
        let mode = std::fs::metadata(dir.path().join("keys.json")).unwrap();
        #[cfg(unix)]
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o600
        );
    }

    #[tokio::test]
    async fn another_process_can_revoke_and_unknown_keys_are_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let server = LocalKms::open(dir.path()).unwrap();
        let arn = KeyRef("arn:aws:kms:us-west-2:123456789012:key/auto".into());
        let (_, wrapped) = server.generate_data_key(&arn, &ctx()).await.unwrap();
        let cli = LocalKms::open(dir.path()).unwrap();
        assert_eq!(
            cli.list().unwrap(),
            vec![LocalKey {
                arn: arn.0.clone(),
                enabled: true
            }]
        );
        cli.disable(&arn.0).unwrap();
        assert!(server.unwrap(&arn, &wrapped, &ctx()).await.is_err());
        let unknown = KeyRef("arn:aws:kms:us-west-2:123456789012:key/none".into());
        assert!(matches!(
            server.unwrap(&unknown, &wrapped, &ctx()).await,
            Err(KmsError::NotFound(_))
        ));
    }
}
