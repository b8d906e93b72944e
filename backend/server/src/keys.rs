//! Building the envelope from the configuration, and the `ironbrick kms` commands that manage
//! the embedded development key store.

use crate::config::{KmsArgs, KmsCommand, KmsKind, ServeArgs};
use anyhow::Context;
use ironbrick_kms::{AwsKms, Envelope, KeyRef, KeyWrapper, LocalKms};
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

/// The envelope for `serve`: customer keys through the configured KMS, the platform key in the
/// local store.
pub fn envelope(args: &ServeArgs) -> anyhow::Result<Arc<Envelope>> {
    if args.kms == KmsKind::Local {
        return local_envelope(&args.data_dir, args.dek_cache_ttl);
    }
    let local = Arc::new(local_store(&args.data_dir)?);
    let cmk: Arc<dyn KeyWrapper> = Arc::new(AwsKms::new(args.kms_endpoint.clone()));
    Ok(Arc::new(Envelope::new(
        cmk,
        local,
        KeyRef(PLATFORM_KEY.into()),
        args.dek_cache_ttl,
    )))
}

/// Runs an `ironbrick kms ...` command against the data dir's local key store.
pub fn run(args: KmsArgs) -> anyhow::Result<()> {
    let store = local_store(&args.data_dir)?;
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
