//! The behavioural test suite every [`KvStore`] engine must pass.

use crate::KvStore;

/// Runs the whole suite against `kv`, which must be empty. Panics on the first failure.
pub fn run(kv: &dyn KvStore) {
    reads_what_was_committed(kv);
    aborted_transactions_write_nothing(kv);
    trees_are_separate_and_scans_are_ordered(kv);
    transactions_see_their_own_writes(kv);
    deletes_remove(kv);
    range_scans_start_at_a_key_and_stop_at_the_tree(kv);
    every_tree_with_entries_is_listed(kv);
}

fn reads_what_was_committed(kv: &dyn KvStore) {
    assert!(kv.get("a", b"k1").expect("get").is_none());
    let committed = kv
        .transaction(&|tx| tx.put("a", b"k1", b"v1").is_ok())
        .expect("transaction");
    assert!(committed);
    assert_eq!(
        kv.get("a", b"k1").expect("get").as_deref(),
        Some(&b"v1"[..])
    );
    kv.flush().expect("flush");
}

fn aborted_transactions_write_nothing(kv: &dyn KvStore) {
    let committed = kv
        .transaction(&|tx| {
            tx.put("a", b"k2", b"v2").expect("put");
            tx.delete("a", b"k1").expect("delete");
            false
        })
        .expect("transaction");
    assert!(!committed);
    assert!(kv.get("a", b"k2").expect("get").is_none());
    assert!(kv.get("a", b"k1").expect("get").is_some());
}

fn trees_are_separate_and_scans_are_ordered(kv: &dyn KvStore) {
    kv.transaction(&|tx| {
        tx.put("b", b"p/2", b"two").is_ok()
            && tx.put("b", b"p/1", b"one").is_ok()
            && tx.put("b", b"q/1", b"other").is_ok()
            && tx.put("bb", b"p/3", b"other tree").is_ok()
    })
    .expect("transaction");
    let rows = kv.scan_prefix("b", b"p/").expect("scan");
    let keys: Vec<&[u8]> = rows.iter().map(|(k, _)| k.as_slice()).collect();
    assert_eq!(keys, vec![&b"p/1"[..], &b"p/2"[..]]);
    assert_eq!(rows[0].1, b"one");
    assert_eq!(kv.count_prefix("b", b"").expect("count"), 3);
    assert_eq!(kv.count_prefix("bb", b"p/").expect("count"), 1);
    assert!(kv.get("b", b"p/3").expect("get").is_none());
}

fn transactions_see_their_own_writes(kv: &dyn KvStore) {
    kv.transaction(&|tx| {
        tx.put("c", b"x", b"1").expect("put");
        let seen = tx.get("c", b"x").expect("get");
        assert_eq!(seen.as_deref(), Some(&b"1"[..]));
        tx.delete("c", b"x").expect("delete");
        assert!(tx.get("c", b"x").expect("get").is_none());
        tx.put("c", b"y", b"2").is_ok()
    })
    .expect("transaction");
    assert!(kv.get("c", b"x").expect("get").is_none());
    assert_eq!(kv.get("c", b"y").expect("get").as_deref(), Some(&b"2"[..]));
}

fn deletes_remove(kv: &dyn KvStore) {
    kv.transaction(&|tx| tx.delete("c", b"y").is_ok() && tx.delete("c", b"missing").is_ok())
        .expect("transaction");
    assert!(kv.get("c", b"y").expect("get").is_none());
}

fn range_scans_start_at_a_key_and_stop_at_the_tree(kv: &dyn KvStore) {
    kv.transaction(&|tx| {
        (0u64..5).all(|i| tx.put("r", &i.to_be_bytes(), &[i as u8]).is_ok())
            && tx.put("r2", &0u64.to_be_bytes(), b"next tree").is_ok()
            && tx.put("q", &9u64.to_be_bytes(), b"previous tree").is_ok()
    })
    .expect("transaction");
    let rows = kv.scan_from("r", &2u64.to_be_bytes(), 10).expect("scan");
    let values: Vec<u8> = rows.iter().map(|(_, v)| v[0]).collect();
    assert_eq!(values, vec![2, 3, 4]);
    assert_eq!(rows[0].0, 2u64.to_be_bytes());
    let rows = kv.scan_from("r", &0u64.to_be_bytes(), 2).expect("scan");
    assert_eq!(rows.len(), 2);
    assert!(kv.scan_from("r", &[0xff; 9], 10).expect("scan").is_empty());
    assert!(kv.scan_from("none", b"", 10).expect("scan").is_empty());
}

fn every_tree_with_entries_is_listed(kv: &dyn KvStore) {
    // "c" was emptied by `deletes_remove`: a tree without entries is not listed.
    assert_eq!(
        kv.trees().expect("trees"),
        vec!["a", "b", "bb", "q", "r", "r2"],
        "trees in bytewise order"
    );
    kv.transaction(&|tx| {
        tx.put("c", b"back", b"1").is_ok() && tx.put("\u{e9}t\u{e9}", b"", b"").is_ok()
    })
    .expect("transaction");
    assert_eq!(
        kv.trees().expect("trees"),
        vec!["a", "b", "bb", "c", "q", "r", "r2", "\u{e9}t\u{e9}"]
    );
    kv.transaction(&|tx| {
        tx.delete("c", b"back").is_ok() && tx.delete("\u{e9}t\u{e9}", b"").is_ok()
    })
    .expect("transaction");
    assert_eq!(kv.trees().expect("trees").len(), 6);
}
