//! First start: create the account and its admin, and write `bootstrap.json`. Every start:
//! make sure the admin and the built-in workspace groups exist (upgrading older data).
//!
//! # Replicas on one database
//! Whether the admin token was issued is recorded in the store ([`trees::SHARED`]), in the
//! same transaction that stores the token, so that of several replicas starting on one
//! database exactly one mints it and writes it to its own `bootstrap.json`; the others write a
//! `bootstrap.json` with the host and account id only. Data dirs from before the marker
//! existed (a `bootstrap.json` and no marker) get the marker and no new token. The generated
//! admin password is likewise set only while none is stored. Shared configuration, to be
//! given alike to every replica: `--store`, `--account-id`, `--admin-token` and
//! `--admin-password` when used, `--kms`/`--kms-endpoint`, `--public-url` and
//! `--workspace-domain` (the load balancer's address), `--trusted-proxies`.

use crate::error::ApiError;
use crate::model::{AccountRecord, Principal, PrincipalKind, TokenScope};
use crate::passwords::{self, Password};
use crate::repo::{self, trees};
use crate::time::now_ms;
use crate::tokens::{self, NewToken};
use anyhow::Context;
use ironbrick_api::tokens::TokenValue;
use ironbrick_store::{Store, StoreError};
use serde::Serialize;
use std::path::Path;

/// The account record's key in [`trees::META`].
pub(crate) const ACCOUNT_KEY: &str = "account";

/// Present in [`trees::SHARED`] once the admin token was issued.
const TOKEN_ISSUED: &[u8] = b"bootstrap_admin_token_issued";

/// The admin's user name.
pub const ADMIN_USER: &str = "admin@ironbrick.local";

/// Contents of `<data-dir>/bootstrap.json` (mode 0600).
#[derive(Serialize)]
struct BootstrapFile<'a> {
    host: &'a str,
    account_id: &'a str,
    token: &'a str,
}

/// Loads the account, creating it (with its admin token) on first start.
///
/// `admin_token`, when given, becomes (or is added as) the admin's token. Returns the account id.
pub fn ensure_account(
    store: &Store,
    data_dir: &Path,
    host: &str,
    account_id: Option<&str>,
    admin_token: Option<&str>,
) -> anyhow::Result<String> {
    let existing: Option<AccountRecord> =
        repo::get(store, trees::META, ACCOUNT_KEY).map_err(anyhow_of)?;
    let account = match existing {
        Some(a) => {
            if let Some(wanted) = account_id.filter(|w| *w != a.account_id) {
                anyhow::bail!(
                    "the data dir holds account {} but --account-id is {wanted}; use a fresh data dir",
                    a.account_id
                );
            }
            a
        }
        None => create(store, account_id)?,
    };
    crate::identity::seed::ensure_account_admin(store, &account.admin).map_err(anyhow_of)?;
    let upgraded = crate::identity::seed::backfill(store).map_err(anyhow_of)?;
    if upgraded > 0 {
        tracing::info!(upgraded, "stored workspaces now have identities");
    }
    store.kv().flush().map_err(anyhow_of)?;
    let given = admin_token.map(|t| TokenValue(t.to_string()));
    if let Some(t) = &given {
        if tokens::authenticate(store, &t.0).is_ok() {
            mark_issued(store)?;
            refresh_host(data_dir, host, &account.account_id)?;
            return Ok(account.account_id);
        }
        validate_admin_token(&t.0)?;
    } else if data_dir.join("bootstrap.json").exists() && !issued(store)? {
        // A data dir from before the marker: its token was issued already.
        mark_issued(store)?;
    }
    let value = given.clone().unwrap_or_else(tokens::generate_value);
    let record = tokens::record_for(
        &value,
        NewToken {
            scope: TokenScope::Account,
            owner: account.admin.clone(),
            created_by: account.admin.clone(),
            comment: "account admin token (bootstrap)".into(),
            lifetime_seconds: None,
        },
    );
    let fixed = given.is_some();
    let minted = store
        .transact(|tx| -> Result<bool, StoreError> {
            let present = if fixed {
                tx.get(trees::TOKEN_HASHES, record.digest.as_bytes())?
                    .is_some()
            } else {
                tx.get(trees::SHARED, TOKEN_ISSUED)?.is_some()
            };
            if present {
                return Ok(false);
            }
            tokens::tx_insert(tx, &record)?;
            tx.put(trees::SHARED, TOKEN_ISSUED, b"1")?;
            Ok(true)
        })
        .map_err(anyhow_of)?;
    store.kv().flush().map_err(anyhow_of)?;
    if minted {
        write_bootstrap(data_dir, host, &account.account_id, &value)?;
    } else {
        refresh_host(data_dir, host, &account.account_id)?;
    }
    Ok(account.account_id)
}

/// Gives the account admin a password for HTTP Basic sign-in.
///
/// With `given` (`--admin-password`), that password is checked against the policy and stored
/// unless it is already the admin's (a stale generated `password` in bootstrap.json is then
/// removed). Without it, an admin who has no password yet (first start, or a data dir from
/// before passwords existed) gets a random one, written to bootstrap.json as `password`; an
/// existing password is never overwritten.
pub fn ensure_admin_password(
    store: &Store,
    data_dir: &Path,
    host: &str,
    account_id: &str,
    given: Option<&str>,
) -> anyhow::Result<()> {
    let admin = crate::scim::write::BOOTSTRAP_ADMIN;
    let stored = passwords::get(store, admin).map_err(anyhow_of)?;
    let (password, write_file) = match given {
        Some(p) => {
            let p = Password::new(p.to_string());
            passwords::check_policy(ADMIN_USER, &p)
                .map_err(|e| anyhow::anyhow!("--admin-password: {}", message_of(e)))?;
            if stored
                .as_ref()
                .is_some_and(|r| passwords::verify_now(&r.phc, &p))
            {
                return drop_generated_password(data_dir);
            }
            (p, false)
        }
        None if stored.is_some() => return Ok(()),
        None => (passwords::generate(), true),
    };
    let record = passwords::hash_now(&password).map_err(anyhow_of)?;
    // A generated password is set only while none is stored (another replica may have set one
    // meanwhile); a given one always is.
    let set = store
        .transact(|tx| -> Result<bool, StoreError> {
            if write_file
                && tx
                    .get(passwords::TREE, passwords::key(admin).as_bytes())?
                    .is_some()
            {
                return Ok(false);
            }
            passwords::tx_set(tx, admin, &record)?;
            Ok(true)
        })
        .map_err(anyhow_of)?;
    store.kv().flush().map_err(anyhow_of)?;
    if !set {
        return Ok(());
    }
    if !write_file {
        return drop_generated_password(data_dir);
    }
    let path = data_dir.join("bootstrap.json");
    let mut doc = match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).context("reading bootstrap.json")?,
        Err(_) => serde_json::json!({"host": host, "account_id": account_id}),
    };
    doc["password"] = serde_json::Value::String(password.expose().to_string());
    let tmp = data_dir.join("bootstrap.json.tmp");
    write_private(&tmp, &serde_json::to_vec_pretty(&doc)?)?;
    std::fs::rename(&tmp, &path).context("updating bootstrap.json")?;
    Ok(())
}

/// Removes a generated `password` from bootstrap.json (it no longer works).
fn drop_generated_password(data_dir: &Path) -> anyhow::Result<()> {
    let path = data_dir.join("bootstrap.json");
    let Ok(bytes) = std::fs::read(&path) else {
        return Ok(());
    };
    let mut doc: serde_json::Value =
        serde_json::from_slice(&bytes).context("reading bootstrap.json")?;
    if doc
        .as_object_mut()
        .and_then(|o| o.remove("password"))
        .is_none()
    {
        return Ok(());
    }
    let tmp = data_dir.join("bootstrap.json.tmp");
    write_private(&tmp, &serde_json::to_vec_pretty(&doc)?)?;
    std::fs::rename(&tmp, &path).context("updating bootstrap.json")?;
    Ok(())
}

fn message_of(e: ApiError) -> String {
    match e {
        ApiError::Client { message, .. } => message,
        ApiError::Internal(m) => m,
    }
}

/// Whether the admin token was issued (by this or another replica).
fn issued(store: &Store) -> anyhow::Result<bool> {
    Ok(store
        .kv()
        .get(trees::SHARED, TOKEN_ISSUED)
        .map_err(anyhow_of)?
        .is_some())
}

fn mark_issued(store: &Store) -> anyhow::Result<()> {
    store
        .transact(|tx| tx.put(trees::SHARED, TOKEN_ISSUED, b"1"))
        .map_err(anyhow_of)?;
    store.kv().flush().map_err(anyhow_of)
}

fn validate_admin_token(t: &str) -> anyhow::Result<()> {
    if t.len() < 16 || !t.chars().all(|c| c.is_ascii_graphic()) {
        anyhow::bail!("--admin-token must be at least 16 printable ASCII characters");
    }
    Ok(())
}

fn create(store: &Store, account_id: Option<&str>) -> anyhow::Result<AccountRecord> {
    let account_id = match account_id {
        Some(id) => uuid::Uuid::parse_str(id)
            .with_context(|| format!("--account-id {id:?} is not a UUID"))?
            .to_string(),
        None => crate::ids::uuid(),
    };
    let record = AccountRecord {
        account_id,
        admin: Principal {
            id: 1,
            name: ADMIN_USER.into(),
            kind: PrincipalKind::User,
            admin: true,
        },
        creation_time: now_ms(),
    };
    store
        .transact(|tx| repo::tx_put(tx, trees::META, ACCOUNT_KEY, &record).map_err(ApiError::from))
        .map_err(anyhow_of)?;
    Ok(record)
}

fn write_bootstrap(
    data_dir: &Path,
    host: &str,
    account_id: &str,
    token: &TokenValue,
) -> anyhow::Result<()> {
    let body = serde_json::to_vec_pretty(&BootstrapFile {
        host,
        account_id,
        token: &token.0,
    })?;
    let path = data_dir.join("bootstrap.json");
    let tmp = data_dir.join("bootstrap.json.tmp");
    write_private(&tmp, &body)?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Points an existing `bootstrap.json` at the current host (the listen address may change
/// between starts), or writes one with the host and account only (a replica whose token was
/// minted by another).
fn refresh_host(data_dir: &Path, host: &str, account_id: &str) -> anyhow::Result<()> {
    let path = data_dir.join("bootstrap.json");
    let Ok(bytes) = std::fs::read(&path) else {
        let doc = serde_json::json!({"host": host, "account_id": account_id});
        let tmp = data_dir.join("bootstrap.json.tmp");
        write_private(&tmp, &serde_json::to_vec_pretty(&doc)?)?;
        std::fs::rename(&tmp, &path).context("writing bootstrap.json")?;
        return Ok(());
    };
    let mut doc: serde_json::Value =
        serde_json::from_slice(&bytes).context("reading bootstrap.json")?;
    if doc.get("host").and_then(|h| h.as_str()) == Some(host) {
        return Ok(());
    }
    doc["host"] = serde_json::Value::String(host.to_string());
    let tmp = data_dir.join("bootstrap.json.tmp");
    write_private(&tmp, &serde_json::to_vec_pretty(&doc)?)?;
    std::fs::rename(&tmp, &path).context("updating bootstrap.json")?;
    Ok(())
}

/// Writes `bytes` to a new file readable only by its owner.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

fn anyhow_of(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}
