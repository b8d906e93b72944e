//! `ironbrick migrate --from <store> --to <store>`: copies a whole installation from one store
//! to another (sled to PostgreSQL, back, or sled to sled), then checks the copy.
//!
//! # What is copied
//! Every entry of every tree ([`ironbrick_store::copy`]), byte for byte: records, sealed
//! notebooks and secrets, wrapped data keys (which stay wrapped: nothing is decrypted), token
//! digests, audit entries and their sequence counters, and the shared tree (the bootstrap
//! marker, the local key store's document). An installation is its store plus, on sled, the
//! local key store's file `<data-dir>/kms/keys.json`: that file counts as the entry
//! [`key_store::KEY`] of [`trees::SHARED`], where a PostgreSQL installation keeps the document
//! (see [`crate::keys`]). So the key material moves with the data, and the target unwraps
//! what the source wrapped: a sled target gets the file written (mode 0600) as well as the
//! entry; from sled to sled, `bootstrap.json` is copied too. With `--kms aws` the customer keys
//! stay in AWS and only their wrapped data keys move.
//!
//! # Safety
//! - The source is only read. A sled store held by a running server is refused (sled's lock),
//!   and so is a PostgreSQL database that Ironbrick servers are connected to, source or
//!   target: stop every server first, so the copy is a consistent snapshot.
//! - A target that holds anything is refused unless `--overwrite` says to empty it first
//!   (the result is then an exact copy, not a merge).
//! - The copy is verified: source and target are walked side by side and every entry must be
//!   present with identical bytes, with nothing extra; per-tree counts and SHA-256 digests are
//!   printed for both, and any difference makes the command fail.

use crate::key_store;
use crate::repo::trees;
use crate::storage::StoreLocation;
use anyhow::Context;
use ironbrick_store::copy::{self, Verification, View};
use ironbrick_store::{KvStore, PgStore, SledStore, StoreError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// PostgreSQL connections the migration uses.
const POOL: usize = 2;
/// Entries written per transaction.
const BATCH: usize = 256;
/// The PostgreSQL sessions of a migration are named so, to tell them from servers' sessions.
const SESSION_NAME: &str = "ironbrick-migrate";
/// What servers name their PostgreSQL sessions.
const SERVER_SESSION_NAME: &str = "ironbrick";

/// Flags of `ironbrick migrate`.
#[derive(Debug, Clone, clap::Args)]
pub struct MigrateArgs {
    /// The installation to copy: a sled data dir (`PATH` or `sled:PATH`, as given to
    /// `--data-dir`) or a postgres:// URL. It is only read.
    #[arg(long = "from", value_name = "STORE")]
    pub from: StoreLocation,

    /// Where to copy it: a sled data dir (created when missing) or a postgres:// URL (the
    /// schema is created). It must be empty unless --overwrite is given.
    #[arg(long = "to", value_name = "STORE")]
    pub to: StoreLocation,

    /// Empty a target that already holds data before copying (its previous contents are
    /// lost), instead of refusing.
    #[arg(long)]
    pub overwrite: bool,
}

/// An opened side of the migration.
struct Side {
    location: StoreLocation,
    kv: Arc<dyn KvStore>,
    /// With sled: where the local key store's file is.
    key_file: Option<PathBuf>,
}

impl Side {
    /// The installation's contents: the store, plus the key file on sled.
    fn view(&self) -> anyhow::Result<View<'_>> {
        let view = View::new(self.kv.as_ref());
        let Some(file) = &self.key_file else {
            return Ok(view);
        };
        match std::fs::read(file) {
            Ok(doc) => Ok(view.with_entry(trees::SHARED, key_store::KEY, doc)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(view),
            Err(e) => Err(e).with_context(|| format!("reading {}", file.display())),
        }
    }
}

/// Runs the command, writing its report to `out`: copies, verifies, and fails unless the
/// target holds exactly the source's contents.
pub fn run(args: &MigrateArgs, out: &mut dyn Write) -> anyhow::Result<Verification> {
    if same_store(&args.from, &args.to) {
        anyhow::bail!("--from and --to name the same store");
    }
    writeln!(out, "migrating {} -> {}", args.from, args.to)?;
    let source = open(&args.from, Role::Source)?;
    let source_view = source.view()?;
    if source_view
        .get(trees::META, crate::bootstrap::ACCOUNT_KEY.as_bytes())
        .map_err(store)?
        .is_none()
    {
        anyhow::bail!(
            "{} holds no Ironbrick installation (no account): nothing to migrate",
            args.from
        );
    }
    let target = open(&args.to, Role::Target)?;
    let held = copy::summarize(&target.view()?).map_err(store)?;
    if held.entries() > 0 {
        if !args.overwrite {
            anyhow::bail!(
                "{} already holds {} entries in {} trees: refusing to overwrite them (pass \
                 --overwrite to empty it first)",
                args.to,
                held.entries(),
                held.trees.len()
            );
        }
        let removed = copy::clear(target.kv.as_ref()).map_err(store)?;
        if let Some(file) = &target.key_file {
            remove_if_present(file)?;
        }
        writeln!(out, "emptied the target ({removed} entries)")?;
    }

    let copied = copy::copy(&source_view, target.kv.as_ref(), BATCH).map_err(store)?;
    if let (StoreLocation::Sled(to), Some(file)) = (&args.to, &target.key_file) {
        if let Some(doc) = source_view
            .get(trees::SHARED, key_store::KEY)
            .map_err(store)?
        {
            let dir = file.parent().unwrap_or(to);
            crate::serve::create_private_dir(dir)?;
            crate::bootstrap::write_private(file, &doc)?;
        }
        if let StoreLocation::Sled(from) = &args.from {
            let (boot_from, boot_to) = (from.join("bootstrap.json"), to.join("bootstrap.json"));
            if boot_from.exists() {
                let bytes = std::fs::read(&boot_from)
                    .with_context(|| format!("reading {}", boot_from.display()))?;
                crate::bootstrap::write_private(&boot_to, &bytes)?;
            }
        }
    }
    writeln!(out, "copied {copied} entries")?;

    let check = copy::verify(&source_view, &target.view()?).map_err(store)?;
    report(&check, out)?;
    if !check.identical() {
        let listed: Vec<String> = check.differences.iter().map(|d| d.to_string()).collect();
        anyhow::bail!(
            "verification failed: {} entries differ between {} and {}:\n  {}",
            check.different,
            args.from,
            args.to,
            listed.join("\n  ")
        );
    }
    writeln!(
        out,
        "verified: {} holds exactly the {} entries of {}",
        args.to,
        check.source.entries(),
        args.from
    )?;
    Ok(check)
}

fn report(check: &Verification, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "{:<28} {:>9} {:>9}  sha-256 of the tree's entries",
        "tree", "source", "target"
    )?;
    let mut names: Vec<&str> = check
        .source
        .trees
        .iter()
        .chain(&check.target.trees)
        .map(|t| t.tree.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let (s, t) = (check.source.tree(name), check.target.tree(name));
        let digest = match (s, t) {
            (Some(s), Some(t)) if s.digest == t.digest => copy::hex(&s.digest),
            (Some(s), _) => format!("{} (target differs)", copy::hex(&s.digest)),
            (None, Some(t)) => format!("{} (target only)", copy::hex(&t.digest)),
            (None, None) => String::new(),
        };
        writeln!(
            out,
            "{name:<28} {:>9} {:>9}  {digest}",
            s.map_or(0, |s| s.entries),
            t.map_or(0, |t| t.entries)
        )?;
    }
    writeln!(
        out,
        "total: source {} entries in {} trees, digest {}",
        check.source.entries(),
        check.source.trees.len(),
        copy::hex(&check.source.digest())
    )?;
    writeln!(
        out,
        "total: target {} entries in {} trees, digest {}",
        check.target.entries(),
        check.target.trees.len(),
        copy::hex(&check.target.digest())
    )?;
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Source,
    Target,
}

fn open(location: &StoreLocation, role: Role) -> anyhow::Result<Side> {
    let side = match location {
        StoreLocation::Sled(dir) => {
            let db = dir.join("db");
            if role == Role::Source && !db.is_dir() {
                anyhow::bail!(
                    "{} has no sled store ({} is missing): is it an Ironbrick data dir?",
                    location,
                    db.display()
                );
            }
            if role == Role::Target {
                crate::serve::create_private_dir(dir)?;
            }
            let kv = SledStore::open(&db).map_err(|e| sled_open(location, &e))?;
            Side {
                location: location.clone(),
                kv: Arc::new(kv),
                key_file: Some(dir.join("kms").join("keys.json")),
            }
        }
        StoreLocation::Postgres(url) => {
            let kv = PgStore::connect_as(url, POOL, SESSION_NAME)
                .with_context(|| format!("opening {location}"))?;
            let servers = kv.sessions_named(SERVER_SESSION_NAME).map_err(store)?;
            if servers > 0 {
                anyhow::bail!(
                    "{location} has {servers} session(s) of running Ironbrick servers: stop \
                     every server using it first"
                );
            }
            Side {
                location: location.clone(),
                kv: Arc::new(kv),
                key_file: None,
            }
        }
    };
    tracing::debug!(location = %side.location, "opened");
    Ok(side)
}

/// sled refuses a second opener with an I/O error naming its lock.
fn sled_open(location: &StoreLocation, e: &StoreError) -> anyhow::Error {
    if e.to_string().contains("could not acquire lock") {
        anyhow::anyhow!("{location} is in use (is a server running on it?): stop it first")
    } else {
        anyhow::anyhow!("opening {location}: {e}")
    }
}

fn same_store(a: &StoreLocation, b: &StoreLocation) -> bool {
    match (a, b) {
        (StoreLocation::Sled(a), StoreLocation::Sled(b)) => canonical(a) == canonical(b),
        (StoreLocation::Postgres(a), StoreLocation::Postgres(b)) => {
            ironbrick_store::redacted_url(a) == ironbrick_store::redacted_url(b)
        }
        _ => false,
    }
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn remove_if_present(file: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(file) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("removing {}", file.display())),
    }
}

fn store(e: StoreError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

#[cfg(test)]
mod tests;
