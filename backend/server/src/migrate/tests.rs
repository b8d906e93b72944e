//! `ironbrick migrate` between sled data dirs and a real PostgreSQL server ([`TempCluster`]).

use super::*;
use crate::keys::{installation_store, PLATFORM_KEY};
use crate::storage::unreserved;
use crate::storage::StoreChoice;
use ironbrick_kms::{EncryptionContext, KeyRef, KeyWrapper, WrappedKey};
use ironbrick_store::{Store, TempCluster};

/// Entries of a bulk tree: more than a page, so the copy pages.
const BULK: u32 = 1300;

fn ctx() -> EncryptionContext {
    vec![("workspace".into(), "7".into())]
}

fn args(from: &StoreLocation, to: &StoreLocation, overwrite: bool) -> MigrateArgs {
    MigrateArgs {
        from: from.clone(),
        to: to.clone(),
        overwrite,
    }
}

fn migrate(from: &StoreLocation, to: &StoreLocation, overwrite: bool) -> anyhow::Result<String> {
    let mut out = Vec::new();
    run(&args(from, to, overwrite), &mut out)?;
    Ok(String::from_utf8(out).expect("utf-8 report"))
}

/// Runs `f` until it stops failing on a sled store "in use": sled's I/O threads (shared by every
/// store of the process) may hold the file, and the lock, of a store this test just dropped a
/// moment longer. A separate `ironbrick migrate` process never meets this.
fn released<T>(mut f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<T> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match f() {
            Err(e)
                if (e.to_string().contains("in use") || format!("{e:#}").contains("lock"))
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// A sled installation: bootstrapped account, a data key wrapped under the local platform key
/// (stored as the server stores wrapped keys: opaque bytes) and a bulk tree. Returns the open
/// store (the caller drops it to release sled's lock).
async fn sled_installation(dir: &Path) -> Store {
    crate::serve::create_private_dir(dir).unwrap();
    let store =
        released(|| crate::storage::open(&StoreChoice::Sled, dir, 1, unreserved())).unwrap();
    crate::bootstrap::ensure_account(&store, dir, "http://127.0.0.1:1", None, None).unwrap();
    let kms = installation_store(&StoreChoice::Sled, dir, &store).unwrap();
    let (_, wrapped) = kms
        .generate_data_key(&KeyRef(PLATFORM_KEY.into()), &ctx())
        .await
        .unwrap();
    store
        .kv()
        .transaction(&|tx| {
            tx.put("wrapped_keys", b"ws-7", &wrapped.0).is_ok()
                && (0..BULK).all(|i| tx.put("bulk", &i.to_be_bytes(), &[i as u8; 40]).is_ok())
        })
        .unwrap();
    store.kv().flush().unwrap();
    store
}

/// The installation's local key store unwraps the stored data key (AES-GCM: success means the
/// same master key).
async fn unwraps(choice: &StoreChoice, dir: &Path, store: &Store) {
    let wrapped = store
        .kv()
        .get("wrapped_keys", b"ws-7")
        .unwrap()
        .expect("the wrapped key was copied");
    let kms = installation_store(choice, dir, store).unwrap();
    kms.unwrap(&KeyRef(PLATFORM_KEY.into()), &WrappedKey(wrapped), &ctx())
        .await
        .expect("the migrated installation unwraps its data keys");
}

#[tokio::test]
async fn sled_to_sled_copies_the_installation_and_its_key_file() {
    let root = tempfile::tempdir().unwrap();
    let (a, b) = (root.path().join("a"), root.path().join("b"));
    let (from, to) = (
        StoreLocation::Sled(a.clone()),
        StoreLocation::Sled(b.clone()),
    );

    let held = sled_installation(&a).await;
    let busy = migrate(&from, &to, false).expect_err("a server holds the store");
    assert!(busy.to_string().contains("in use"), "{busy:#}");
    drop(held);

    let report = released(|| migrate(&from, &to, false)).expect("migrates");
    assert!(report.contains("verified"), "{report}");
    assert!(
        report.lines().any(|l| l.starts_with("bulk ")
            && l.contains(&format!(" {BULK} "))
            && !l.contains("differs")),
        "{report}"
    );
    assert!(b.join("kms/keys.json").is_file(), "the key file moved");
    assert_eq!(
        std::fs::read(a.join("bootstrap.json")).unwrap(),
        std::fs::read(b.join("bootstrap.json")).unwrap()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(b.join("kms/keys.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the key file is private");
    }
    {
        let store =
            released(|| crate::storage::open(&StoreChoice::Sled, &b, 1, unreserved())).unwrap();
        unwraps(&StoreChoice::Sled, &b, &store).await;
    }

    let again = released(|| migrate(&from, &to, false)).expect_err("the target is not empty");
    assert!(again.to_string().contains("--overwrite"), "{again:#}");
    // --overwrite empties first: an entry only the target had is gone afterwards.
    {
        let store =
            released(|| crate::storage::open(&StoreChoice::Sled, &b, 1, unreserved())).unwrap();
        store
            .kv()
            .transaction(&|tx| tx.put("stray", b"k", b"v").is_ok())
            .unwrap();
        store.kv().flush().unwrap();
    }
    let report = released(|| migrate(&from, &to, true)).expect("overwrites");
    assert!(report.contains("emptied the target"), "{report}");
    let store = released(|| crate::storage::open(&StoreChoice::Sled, &b, 1, unreserved())).unwrap();
    assert!(store.kv().get("stray", b"k").unwrap().is_none());
    drop(store);

    let same = migrate(
        &from,
        &StoreLocation::Sled(root.path().join("a/../a")),
        true,
    );
    assert!(same.is_err(), "a store is not migrated onto itself");
    let empty = migrate(&StoreLocation::Sled(root.path().join("none")), &to, true)
        .expect_err("no installation there");
    assert!(empty.to_string().contains("no sled store"), "{empty:#}");
    assert!(
        !root.path().join("none").exists(),
        "a missing source is not created"
    );
}

#[tokio::test]
async fn sled_to_postgres_and_back_keeps_every_byte_and_key() {
    let pg = TempCluster::start();
    let root = tempfile::tempdir().unwrap();
    let (a, c) = (root.path().join("a"), root.path().join("c"));
    drop(sled_installation(&a).await);
    let url = pg.create_database("migrated");
    let (from, via, back) = (
        StoreLocation::Sled(a.clone()),
        StoreLocation::Postgres(url.clone()),
        StoreLocation::Sled(c.clone()),
    );

    let there =
        released(|| run(&args(&from, &via, false), &mut Vec::new())).expect("sled to PostgreSQL");
    assert!(there.identical());
    // The key file became the shared tree's document: a replica with an empty data dir unwraps.
    let fresh = root.path().join("replica");
    crate::serve::create_private_dir(&fresh).unwrap();
    {
        let store = Store::new(Arc::new(
            PgStore::connect_as(&url, 2, "migrate-test").unwrap(),
        ));
        let doc = store.kv().get(trees::SHARED, key_store::KEY).unwrap();
        assert_eq!(doc, Some(std::fs::read(a.join("kms/keys.json")).unwrap()));
        unwraps(&StoreChoice::Postgres(url.clone()), &fresh, &store).await;
        assert!(store
            .kv()
            .get("bulk", &(BULK - 1).to_be_bytes())
            .unwrap()
            .is_some());
    }

    let mut out = Vec::new();
    let home = run(&args(&via, &back, false), &mut out).expect("PostgreSQL to sled");
    assert_eq!(
        home.source.digest(),
        there.source.digest(),
        "the same contents all the way"
    );
    assert!(c.join("kms/keys.json").is_file(), "sled keeps the key file");
    {
        let store =
            released(|| crate::storage::open(&StoreChoice::Sled, &c, 1, unreserved())).unwrap();
        unwraps(&StoreChoice::Sled, &c, &store).await;
    }

    // Refusals: a non-empty database target, and a database servers are connected to.
    let full = migrate(&from, &via, false).expect_err("the database holds data");
    assert!(full.to_string().contains("refusing"), "{full:#}");
    let server = PgStore::connect(&url, 1).unwrap();
    assert!(server.get(trees::SHARED, key_store::KEY).unwrap().is_some());
    let live = migrate(&via, &StoreLocation::Sled(root.path().join("d")), false)
        .expect_err("a server is connected");
    assert!(
        live.to_string().contains("running Ironbrick servers"),
        "{live:#}"
    );
}
