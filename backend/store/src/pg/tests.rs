//! The PostgreSQL engine against a real server started by the test ([`TempCluster`]).

use super::cluster::TempCluster;
use super::{successor, PgStore};
use crate::{Change, KvStore, MemStore, Store, StoreError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[test]
fn successors_bound_prefix_ranges() {
    assert_eq!(successor(b"p/"), Some(b"p0".to_vec()));
    assert_eq!(successor(&[0x01, 0xFF]), Some(vec![0x02]));
    assert_eq!(successor(&[0x01, 0xFE, 0xFF, 0xFF]), Some(vec![0x01, 0xFF]));
    assert_eq!(successor(&[0xFF, 0xFF]), None);
    assert_eq!(successor(b""), None);
}

/// The shared suite, byte-edge scans checked against the in-memory engine, conflicting writers,
/// callers on every kind of runtime, and a panicking body: one server, a database each.
#[test]
fn passes_the_engine_suite_and_more() {
    let pg = TempCluster::start();
    crate::suite::run(&PgStore::connect(&pg.create_database("suite"), 4).expect("connect"));
    scans_agree_with_memory_at_byte_edges(
        &PgStore::connect(&pg.create_database("edges"), 2).unwrap(),
    );
    let counter = Arc::new(PgStore::connect(&pg.create_database("counter"), 8).unwrap());
    conflicting_increments_all_land(&counter);
    let serial = pg.create_database("serial");
    serialized_increments_never_conflict(&[
        Arc::new(PgStore::connect(&serial, 4).unwrap()),
        Arc::new(PgStore::connect(&serial, 4).unwrap()),
    ]);
    works_from_every_kind_of_caller(counter);
    a_panicking_body_leaves_the_pool_clean(
        &PgStore::connect(&pg.create_database("panic"), 1).unwrap(),
    );
}

fn scans_agree_with_memory_at_byte_edges(kv: &PgStore) {
    let mem = MemStore::new();
    let keys: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x00],
        vec![0x01],
        vec![0x01, 0xFF],
        vec![0x01, 0xFF, 0xFF],
        vec![0x02],
        vec![0xFE, 0xFF],
        vec![0xFF],
        vec![0xFF, 0x00],
        vec![0xFF, 0xFF],
        vec![0xFF, 0xFF, 0xFF, 0x07],
    ];
    for store in [kv as &dyn KvStore, &mem] {
        store
            .transaction(&|tx| {
                keys.iter()
                    .all(|k| tx.put("e", k, k).is_ok() && tx.put("e\u{1}", k, b"next").is_ok())
            })
            .expect("fill");
    }
    for prefix in &keys {
        assert_eq!(
            kv.scan_prefix("e", prefix).unwrap(),
            mem.scan_prefix("e", prefix).unwrap(),
            "scan_prefix {prefix:?}"
        );
        assert_eq!(
            kv.count_prefix("e", prefix).unwrap(),
            mem.count_prefix("e", prefix).unwrap(),
            "count_prefix {prefix:?}"
        );
        for limit in [0, 1, 3, 100] {
            assert_eq!(
                kv.scan_from("e", prefix, limit).unwrap(),
                mem.scan_from("e", prefix, limit).unwrap(),
                "scan_from {prefix:?} {limit}"
            );
        }
    }
}

/// Read-modify-write of one key from many threads: serialization failures are retried, so no
/// increment is lost.
/// Adds one to `n/count` (a transaction body).
fn increment(tx: &mut dyn crate::Tx) -> bool {
    let Ok(now) = tx.get("n", b"count") else {
        return false;
    };
    let n = now.map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()));
    tx.put("n", b"count", &(n + 1).to_be_bytes()).is_ok()
}

fn conflicting_increments_all_land(kv: &Arc<PgStore>) {
    let (threads, each) = (6, 15);
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let kv = kv.clone();
            std::thread::spawn(move || {
                for _ in 0..each {
                    let committed = kv.transaction(&increment).expect("transaction");
                    assert!(committed);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let n = kv.get("n", b"count").unwrap().unwrap();
    assert_eq!(u64::from_be_bytes(n.try_into().unwrap()), threads * each);
}

/// Increments of one counter through two stores on one database (two replicas), under one
/// serialization lock: every body runs once (no conflict, no retry), none is lost, and the
/// lock is given back (the counter's other lock name is not held up).
fn serialized_increments_never_conflict(replicas: &[Arc<PgStore>]) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (threads, each) = (4, 25);
    let runs = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..threads)
        .flat_map(|_| replicas.iter().cloned())
        .map(|kv| {
            let runs = runs.clone();
            std::thread::spawn(move || {
                for _ in 0..each {
                    let committed = kv
                        .transaction_serialized("counter", &|tx| {
                            runs.fetch_add(1, Ordering::SeqCst);
                            increment(tx)
                        })
                        .expect("transaction");
                    assert!(committed);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let total = threads * each * replicas.len();
    let n = replicas[0].get("n", b"count").unwrap().unwrap();
    assert_eq!(u64::from_be_bytes(n.try_into().unwrap()), total as u64);
    assert_eq!(
        runs.load(Ordering::SeqCst),
        total,
        "a serialized body ran twice"
    );
    let other = replicas[1]
        .transaction_serialized("another", &|tx| tx.put("n", b"x", b"1").is_ok())
        .expect("another lock");
    assert!(other);
}

/// The sync seam is called from multi-threaded runtime workers, from `spawn_blocking`, and from
/// a `current_thread` runtime (where `block_in_place` would panic): all work.
fn works_from_every_kind_of_caller(kv: Arc<PgStore>) {
    let bump = |kv: &PgStore| {
        kv.transaction(&|tx| {
            let n = tx
                .get("n", b"count")
                .ok()
                .flatten()
                .map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()));
            tx.put("n", b"count", &(n + 1).to_be_bytes()).is_ok()
        })
        .expect("transaction")
    };
    let before = kv
        .get("n", b"count")
        .unwrap()
        .map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()));
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    multi.block_on(async {
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let kv = kv.clone();
                tokio::spawn(async move { bump(&kv) })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap());
        }
        let kv2 = kv.clone();
        assert!(tokio::task::spawn_blocking(move || bump(&kv2))
            .await
            .unwrap());
        assert!(bump(&kv), "on the block_on thread");
    });
    drop(multi);
    let single = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    single.block_on(async {
        assert!(bump(&kv));
        assert!(kv.get("n", b"count").unwrap().is_some());
    });
    let after = kv
        .get("n", b"count")
        .unwrap()
        .map_or(0, |v| u64::from_be_bytes(v.try_into().unwrap()));
    assert_eq!(after, before + 11);
    // Dropping the engine inside a runtime must not panic either.
    single.block_on(async move { drop(kv) });
}

/// A body that panics mid-transaction: nothing it wrote commits, and the only pooled connection
/// is not handed back inside the open transaction.
fn a_panicking_body_leaves_the_pool_clean(kv: &PgStore) {
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        kv.transaction(&|tx| {
            tx.put("p", b"half", b"written").unwrap();
            panic!("body fails");
        })
    }));
    assert!(panicked.is_err());
    assert!(kv.get("p", b"half").unwrap().is_none());
    assert!(kv
        .transaction(&|tx| tx.put("p", b"after", b"ok").is_ok())
        .unwrap());
    assert!(kv.get("p", b"after").unwrap().is_some());
    assert!(!kv
        .transaction(&|tx| {
            tx.put("p", b"aborted", b"no").expect("put");
            false
        })
        .unwrap());
    assert!(kv.get("p", b"aborted").unwrap().is_none());
}

/// Replicas starting together migrate once; the password never shows; a stopped server gives
/// `Unavailable` and the pool reconnects when it is back.
#[test]
fn migrates_once_hides_secrets_and_survives_restarts() {
    let mut pg = TempCluster::start();
    let url = pg.create_database("shared");
    let starters: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || PgStore::connect(&url, 2).map(drop))
        })
        .collect();
    for s in starters {
        s.join().unwrap().expect("concurrent start");
    }
    assert_eq!(
        pg.psql("shared", "SELECT count(*) FROM ironbrick_schema_version"),
        super::schema::CURRENT.to_string()
    );
    pg.psql(
        "shared",
        "INSERT INTO ironbrick_schema_version (version) VALUES (999)",
    );
    let newer = PgStore::connect(&url, 1).expect_err("a newer schema is refused");
    assert!(newer.to_string().contains("newer"), "{newer}");
    pg.psql(
        "shared",
        "DELETE FROM ironbrick_schema_version WHERE version = 999",
    );

    // trust authentication accepts any password: it must show nowhere.
    let secret_url = format!(
        "postgres://ironbrick:s3cr3t-pw@127.0.0.1:{}/shared",
        pg.port()
    );
    let kv = PgStore::connect(&secret_url, 2).expect("connect");
    assert!(!format!("{kv:?}").contains("s3cr3t-pw"), "{kv:?}");
    assert!(format!("{kv:?}").contains("127.0.0.1"), "{kv:?}");
    let closed = format!(
        "postgres://ironbrick:s3cr3t-pw@127.0.0.1:{}/shared",
        free_closed_port()
    );
    let err = PgStore::connect(&closed, 1).expect_err("nothing listens");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("s3cr3t-pw"));

    assert_eq!(kv.show("synchronous_commit").unwrap(), "on");
    // A server whose default gives up durability: the engine's sessions still commit durably.
    pg.psql("postgres", "ALTER SYSTEM SET synchronous_commit = off");
    pg.psql("postgres", "SELECT pg_reload_conf()");
    let careless = PgStore::connect(&url, 1).expect("connect");
    assert_eq!(careless.show("synchronous_commit").unwrap(), "on");
    assert_eq!(pg.psql("shared", "SHOW synchronous_commit"), "off");
    drop(careless);

    kv.transaction(&|tx| tx.put("t", b"k", b"v").is_ok())
        .unwrap();
    pg.stop();
    let started = Instant::now();
    let down = kv.get("t", b"k").expect_err("server down");
    assert!(matches!(down, StoreError::Unavailable(_)), "{down:?}");
    let down = kv
        .transaction(&|tx| tx.put("t", b"k2", b"v").is_ok())
        .expect_err("server down");
    assert!(matches!(down, StoreError::Unavailable(_)), "{down:?}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "failing took {:?}",
        started.elapsed()
    );
    pg.resume();
    assert_eq!(
        kv.get("t", b"k").expect("reconnected").as_deref(),
        Some(&b"v"[..])
    );
    assert!(kv
        .transaction(&|tx| tx.put("t", b"k2", b"v").is_ok())
        .expect("writes again"));

    // Sessions killed under the pool (a failover, an admin): the next calls go through.
    let killed = pg.psql(
        "postgres",
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE application_name = 'ironbrick'",
    );
    assert_ne!(killed, "0");
    assert!(kv.get("t", b"k").expect("read after kill").is_some());
    assert!(kv
        .transaction(&|tx| tx.put("t", b"k3", b"v").is_ok())
        .expect("write after kill"));
}

fn free_closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn redacted_urls_keep_the_target_and_drop_the_password() {
    let shown =
        super::redacted_url("postgres://app:hunter2@db.internal:6432/ironbrick?sslmode=disable");
    assert_eq!(shown, "postgres://app@db.internal:6432/ironbrick");
    let shown = super::redacted_url("host=db user=app password=hunter2 dbname=x");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(!super::redacted_url("postgres://app:hunter2@[bad").contains("hunter2"));
}

#[test]
fn tls_requirements_are_refused_plainly() {
    let err = PgStore::connect("postgres://app:hunter2@127.0.0.1:1/x?sslmode=require", 1)
        .expect_err("no TLS connector");
    assert!(matches!(err, StoreError::Engine(_)), "{err:?}");
    assert!(err.to_string().contains("sslmode"), "{err}");
    assert!(!err.to_string().contains("hunter2"));
    for bad in [
        "postgres://app:hunter2@127.0.0.1:port/x",
        "postgres://app:hunter2@127.0.0.1/x?nonsense=hunter2",
    ] {
        let err = PgStore::connect(bad, 1).expect_err("invalid URL");
        assert!(!format!("{err} {err:?}").contains("hunter2"), "{err}");
    }
}

/// Two replicas on one database: one leads; resigning, dropping the handle or killing the
/// leader's session hands the leadership over.
#[test]
fn one_replica_leads_and_another_takes_over() {
    let pg = TempCluster::start();
    let url = pg.create_database("leader");
    let a = PgStore::connect(&url, 1).unwrap();
    let b = PgStore::connect(&url, 1).unwrap();
    let la = a.leadership("delivery").unwrap();
    let lb = b.leadership("delivery").unwrap();
    assert!(la.try_lead().unwrap());
    assert!(la.try_lead().unwrap(), "a leader keeps leading");
    assert!(!lb.try_lead().unwrap());
    assert!(
        b.leadership("other").unwrap().try_lead().unwrap(),
        "leaderships of other names are independent"
    );
    la.resign();
    assert!(lb.try_lead().unwrap(), "b takes over when a resigns");
    assert!(!la.try_lead().unwrap());
    drop(lb);
    // The session closes in the background: b's lock is released shortly after the drop.
    leads_within_5s(&*la, "a never took over after b's handle dropped");
    // The leader's session is killed (as when its replica dies): another handle takes over,
    // and the former leader learns it no longer leads.
    let lc = b.leadership("delivery").unwrap();
    assert!(!lc.try_lead().unwrap());
    pg.psql(
        "leader",
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted",
    );
    leads_within_5s(&*lc, "no takeover after the leader's session was killed");
    assert!(
        !matches!(la.try_lead(), Ok(true)),
        "the killed leader still thinks it leads"
    );
    assert!(!la.try_lead().unwrap());
}

/// What a store's subscribers received.
type Heard = Arc<Mutex<Vec<Change>>>;

/// A store over `url` watching tree `conf`, with what its feed publishes.
fn watching(url: &str) -> (Store, Heard) {
    let store = Store::new(Arc::new(PgStore::connect(url, 2).expect("connect")));
    let heard = Heard::default();
    let sink = heard.clone();
    store
        .changes()
        .subscribe(move |c| sink.lock().unwrap().push(c.clone()));
    store.watch(|tree, _| tree == "conf");
    (store, heard)
}

/// Waits until `count` change sessions have read their baseline (they listen).
fn listening(pg: &TempCluster, db: &str, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n = pg.psql(
            db,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE '% changes %' \
             AND query LIKE 'SELECT tree, version%'",
        );
        if n == count.to_string() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{n} change sessions listen, not {count}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits at most `within` for `heard` to hold a change `wanted` accepts; returns how long it
/// took.
fn hears(heard: &Heard, within: Duration, wanted: impl Fn(&Change) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        if heard.lock().unwrap().iter().any(&wanted) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "not heard within {within:?}: {:?}",
            heard.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn key(k: &[u8]) -> Change {
    Change::Key {
        tree: "conf".into(),
        key: k.to_vec(),
    }
}

/// Two replicas: a committed watched write reaches the other one's subscribers as a notice;
/// an aborted one or an unwatched one does not; a lost notice is caught by the version check;
/// a killed session flushes everything and is replaced; racing announcers all get through.
#[test]
fn replicas_hear_each_others_changes() {
    let pg = TempCluster::start();
    let url = pg.create_database("feed");
    let (a, heard_a) = watching(&url);
    let (b, heard_b) = watching(&url);
    listening(&pg, "feed", 2);
    heard_a.lock().unwrap().clear();
    heard_b.lock().unwrap().clear();

    let k1_heard_by_a = || {
        heard_a
            .lock()
            .unwrap()
            .iter()
            .filter(|c| **c == key(b"k1"))
            .count()
    };
    a.transact(|tx| tx.put("conf", b"k1", b"v"))
        .expect("commit");
    assert_eq!(k1_heard_by_a(), 1, "the writer publishes at commit");
    let took = hears(&heard_b, Duration::from_secs(1), |c| *c == key(b"k1"));
    eprintln!("a notice took {took:?}");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        k1_heard_by_a(),
        1,
        "the writer does not publish its own notice again"
    );

    // Aborted and unwatched writes announce nothing.
    let aborted: Result<(), StoreError> = a.transact(|tx| {
        tx.put("conf", b"k2", b"v")?;
        Err(StoreError::Conflict)
    });
    assert!(aborted.is_err());
    a.transact(|tx| tx.put("other", b"k3", b"v"))
        .expect("commit");
    a.transact(|tx| tx.put("conf", b"k4", b"v"))
        .expect("commit");
    hears(&heard_b, Duration::from_secs(1), |c| *c == key(b"k4"));
    assert!(
        !heard_b
            .lock()
            .unwrap()
            .iter()
            .any(|c| *c == key(b"k2") || matches!(c, Change::Key { tree, .. } if tree == "other")),
        "{:?}",
        heard_b.lock().unwrap()
    );

    // A change whose notice never came (only its version moved): the version check.
    heard_b.lock().unwrap().clear();
    pg.psql(
        "feed",
        "UPDATE ironbrick_tree_versions SET version = version + 1 WHERE tree = 'conf'",
    );
    let took = hears(&heard_b, Duration::from_secs(1), |c| {
        *c == Change::Tree("conf".into())
    });
    eprintln!("the version check took {took:?}");

    // Killed sessions: everything is flushed, new sessions listen, notices flow again.
    heard_b.lock().unwrap().clear();
    let killed = pg.psql(
        "feed",
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE application_name LIKE '% changes %'",
    );
    assert_eq!(killed, "2");
    hears(&heard_b, Duration::from_secs(1), |c| *c == Change::All);
    listening(&pg, "feed", 2);
    a.transact(|tx| tx.put("conf", b"k5", b"v"))
        .expect("commit");
    hears(&heard_b, Duration::from_secs(1), |c| *c == key(b"k5"));

    // Writers racing on one tree's version: every transaction commits (conflicts are
    // retried) and every key is heard on the other side.
    heard_a.lock().unwrap().clear();
    let writers: Vec<_> = (0..4u8)
        .map(|i| {
            let b = b.clone();
            std::thread::spawn(move || {
                for j in 0..5u8 {
                    b.transact(|tx| tx.put("conf", &[b'r', i, j], b"v"))
                        .expect("racing commit");
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    for i in 0..4u8 {
        for j in 0..5u8 {
            hears(&heard_a, Duration::from_secs(1), |c| {
                *c == key(&[b'r', i, j])
            });
        }
    }
    assert_eq!(
        pg.psql(
            "feed",
            "SELECT version FROM ironbrick_tree_versions WHERE tree = 'conf'"
        ),
        "24"
    );
}

/// Polls `handle` until it leads, failing with `what` after 5 s (a session released in the
/// background frees its lock shortly after).
fn leads_within_5s(handle: &dyn crate::Leadership, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !handle.try_lead().unwrap() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
