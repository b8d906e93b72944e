use crate::{DataKey, EncryptionContext, KeyRef, KeyWrapper, KmsError, WrappedKey};
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use async_trait::async_trait;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
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
///
/// The same document can live elsewhere instead of the file: [`LocalKms::with_document`] keeps
/// it in a [`KeyDocument`] (the server keeps it in its shared store when replicas share a
/// database, so that every replica unwraps under the same keys). The document's format and
/// protection are the file's: key material base64-encoded, not wrapped again.
#[derive(Debug)]
pub struct LocalKms {
    source: Source,
}

#[derive(Debug)]
enum Source {
    File { path: PathBuf, state: Mutex<Loaded> },
    Document(Arc<dyn KeyDocument>),
}

/// Where the local key store's document (the JSON of `keys.json`) lives when it is not a file.
///
/// Implementations read it fresh on every [`KeyDocument::load`] (so a key disabled through any
/// handle is refused by every handle), and replace it atomically in [`KeyDocument::update`].
pub trait KeyDocument: Send + Sync + std::fmt::Debug {
    /// The current document, or `None` when no key was ever stored.
    fn load(&self) -> Result<Option<Vec<u8>>, KmsError>;
    /// Atomically replaces the document with what `edit` makes of the current one. `edit` may
    /// run more than once (the implementation may retry on conflicts) and has no side effects.
    fn update(&self, edit: &DocumentEdit<'_>) -> Result<(), KmsError>;
}

/// The edit handed to [`KeyDocument::update`]: current document in, new document out.
pub type DocumentEdit<'a> = dyn Fn(Option<&[u8]>) -> Result<Vec<u8>, KmsError> + 'a;

#[derive(Debug, Default)]
struct Loaded {
    stamp: Option<(SystemTime, u64)>,
    file: KeyFile,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct KeyFile {
    keys: BTreeMap<String, StoredKey>,
}

#[derive(Clone, Serialize, Deserialize)]
struct StoredKey {
    material: String,
    enabled: bool,
    created: u64,
}

/// Never shows the key material.
impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("enabled", &self.enabled)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
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
            source: Source::File {
                path: dir.join("keys.json"),
                state: Mutex::new(Loaded::default()),
            },
        })
    }

    /// A store whose document lives in `document` instead of a file.
    pub fn with_document(document: Arc<dyn KeyDocument>) -> Self {
        Self {
            source: Source::Document(document),
        }
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

    fn read<T>(&self, f: impl FnOnce(&KeyFile) -> Result<T, KmsError>) -> Result<T, KmsError> {
        match &self.source {
            Source::File { path, state } => {
                let mut loaded = lock(state)?;
                refresh(path, &mut loaded)?;
                f(&loaded.file)
            }
            Source::Document(doc) => f(&parse(doc.load()?.as_deref())?),
        }
    }

    fn update(&self, f: impl Fn(&mut KeyFile) -> Result<(), KmsError>) -> Result<(), KmsError> {
        match &self.source {
            Source::File { path, state } => {
                let mut loaded = lock(state)?;
                refresh(path, &mut loaded)?;
                f(&mut loaded.file)?;
                write_private(path, &serialize(&loaded.file)?)?;
                loaded.stamp = None;
                refresh(path, &mut loaded)
            }
            Source::Document(doc) => doc.update(&|current| {
                let mut file = parse(current)?;
                f(&mut file)?;
                serialize(&file)
            }),
        }
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

fn lock(state: &Mutex<Loaded>) -> Result<std::sync::MutexGuard<'_, Loaded>, KmsError> {
    state
        .lock()
        .map_err(|_| KmsError::Unavailable("local KMS lock poisoned".into()))
}

/// Re-reads the file at `path` when it changed since `loaded` was read.
fn refresh(path: &Path, loaded: &mut Loaded) -> Result<(), KmsError> {
    let stamp = match std::fs::metadata(path) {
        Ok(m) => Some((m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io("reading the local KMS", &e)),
    };
    if stamp != loaded.stamp {
        loaded.file = match stamp {
            Some(_) => {
                let bytes = std::fs::read(path).map_err(|e| io("reading the local KMS", &e))?;
                parse(Some(&bytes))?
            }
            None => KeyFile::default(),
        };
        loaded.stamp = stamp;
    }
    Ok(())
}

/// The key document (no document: no keys). Errors never quote the document.
fn parse(bytes: Option<&[u8]>) -> Result<KeyFile, KmsError> {
    match bytes {
        None => Ok(KeyFile::default()),
        Some(b) => serde_json::from_slice(b).map_err(|e| {
            KmsError::Unavailable(format!(
                "local KMS document is corrupt (line {}, column {})",
                e.line(),
                e.column()
            ))
        }),
    }
}

fn serialize(file: &KeyFile) -> Result<Vec<u8>, KmsError> {
    serde_json::to_vec_pretty(file).map_err(|e| KmsError::Invalid(e.to_string()))
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
