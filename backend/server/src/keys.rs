//! Building the envelope from the configuration, and the `ironbrick kms` commands that manage
//! the embedded development key store.
//!
//! Where the local key store lives: with `--store sled`, in `<data-dir>/kms/keys.json` as it
//! always did; with a `postgres://` store, in the database ([`crate::key_store`]), shared by
//! every replica (a `keys.json` found in the data dir is imported on the first start against an
//! empty database).

use crate::config::{KmsArgs, KmsCommand, KmsKind, ServeArgs};
use crate::key_store::StoreKeyDocument;
use crate::storage::{unreserved, StoreChoice};
use anyhow::Context;
use ironbrick_kms::{AwsKms, Envelope, KeyRef, KeyWrapper, LocalKms};
use ironbrick_store::Store;
use std::path::Path;
use std::sync::Arc;

/// The key of workspaces without a customer-managed key, kept in the local store.
pub const PLATFORM_KEY: &str = "arn:aws:kms:local:000000000000:key/ironbrick-platform";

fn local_store(data_dir: &Path) -> anyhow::Result<LocalKms> {
    LocalKms::open(&data_dir.join("kms")).context("opening the local KMS in the data dir")
}

/// An envelope with customer and platform keys both in the local store of `data_dir`.
pub fn local_envelope(data_dir: &Path, ttl: std::time::Duration) -> anyhow::Result<Arc<Envelope>> {
    let local = Arc::new(local_store(data_dir)?);
    Ok(Arc::new(Envelope::new(
        local.clone(),
        local,
        KeyRef(PLATFORM_KEY.into()),
        ttl,
    )))
}

/// The local key store of an installation: the data dir's file on sled, the database's
/// document (importing the data dir's file into an empty database) on PostgreSQL.
pub fn installation_store(
    choice: &StoreChoice,
    data_dir: &Path,
    store: &Store,
) -> anyhow::Result<LocalKms> {
    match choice {
        StoreChoice::Sled => local_store(data_dir),
        StoreChoice::Postgres(_) => {
            let doc = StoreKeyDocument::new(store.clone());
            if doc.import_file(&data_dir.join("kms"))? {
                tracing::info!("the data dir's local key store now lives in the database");
            }
            Ok(LocalKms::with_document(Arc::new(doc)))
        }
    }
}

/// The envelope for `serve`: customer keys through the configured KMS, the platform key in the
/// local store ([`installation_store`]).
pub fn envelope(args: &ServeArgs, store: &Store) -> anyhow::Result<Arc<Envelope>> {
    let local = Arc::new(installation_store(&args.store, &args.data_dir, store)?);
    if args.kms == KmsKind::Local {
        return Ok(Arc::new(Envelope::new(
            local.clone(),
            local,
            KeyRef(PLATFORM_KEY.into()),
            args.dek_cache_ttl,
        )));
    }
    let cmk: Arc<dyn KeyWrapper> = Arc::new(AwsKms::new(args.kms_endpoint.clone()));
    Ok(Arc::new(Envelope::new(
        cmk,
        local,
        KeyRef(PLATFORM_KEY.into()),
        args.dek_cache_ttl,
    )))
}

/// Runs an `ironbrick kms ...` command against the installation's local key store.
pub fn run(args: KmsArgs) -> anyhow::Result<()> {
    let store = match &args.store {
        StoreChoice::Sled => local_store(&args.data_dir)?,
        StoreChoice::Postgres(_) => {
            let db = crate::storage::open(&args.store, &args.data_dir, 1, unreserved())?;
            installation_store(&args.store, &args.data_dir, &db)?
        }
    };
    match args.command {
        KmsCommand::List => {
            for key in store.list()? {
                let state = if key.enabled { "enabled" } else { "disabled" };
                println!("{}\t{state}", key.arn);
            }
        }
        KmsCommand::CreateKey { region } => println!("{}", store.create_key(&region)?),
        KmsCommand::Disable { arn } => {
            store.disable(&arn)?;
            println!("disabled {arn}");
        }
        KmsCommand::Enable { arn } => {
            store.enable(&arn)?;
            println!("enabled {arn}");
        }
    }
    Ok(())
}
