//! Throttling of failed password sign-ins, checked before any password is hashed.
//!
//! Failures are counted under three keys, each with its own allowance of free failures before
//! an exponential back-off (`base · 2^(failures − free)`, capped at [`MAX_BACKOFF`]) starts:
//!
//! - **(user, address)**: [`PER_PAIR_FREE`] failures. This is what stops a guesser: from one
//!   address, each user name gets a few tries and then waits longer and longer.
//! - **address** (whatever the user name): [`PER_ADDRESS_FREE`] failures. Stops one address
//!   spraying guesses over many user names.
//! - **user** (whatever the address): [`PER_USER_FREE`], a much higher ceiling. Only a guesser
//!   spread over many addresses reaches it.
//!
//! Why not plain per-user throttling: an attacker who floods a user name with wrong passwords
//! from one address would lock the real user out everywhere. Here such a flood only ever
//! throttles the attacker's own (user, address) pair and address; attempts refused by the
//! throttle are not counted (they are not verified), so a flood from one address adds only a
//! handful of failures to the user's count, far below its ceiling, and the real user signs in
//! from another address unhindered. The per-user ceiling still bounds a distributed guesser
//! to [`PER_USER_FREE`] guesses before it too must wait.
//!
//! A success clears the (user, address) pair only (clearing the address or the user on a
//! success would let an attacker reset its counts by signing in to an account of its own).
//! Counts are forgotten [`FORGET_AFTER`] after the last failure, or once the back-off has run
//! out that long ago.
//!
//! # One process, or replicas sharing a store
//! On an embedded store ([`Throttle::new`]) the counts live in this process's memory, as
//! before: each table holds at most `capacity` keys and evicts the key whose last failure is
//! oldest when full. Nothing touches the store.
//!
//! When replicas share the store ([`KvStore::shared`](ironbrick_store::KvStore::shared),
//! [`Throttle::for_store`]), counting per process would give a guesser one allowance per
//! replica behind a round-robin balancer. There the counts live in the store, in [`TREE`]:
//!
//! - **a failure** is one transaction that reads the three counts, adds one and writes them
//!   back (serializable: concurrent failures on several replicas are all counted), with the
//!   times in wall-clock milliseconds so that every replica reads the same back-off;
//! - **a check** reads the three entries through a per-replica cache (absent entries
//!   included), which the store's change feed empties as [`crate::invalidation`] does for the
//!   policy cache: a failure counted anywhere drops the entry on every replica (at commit on
//!   the failing replica, within milliseconds elsewhere, within a second whatever happens to
//!   notices). So a sign-in that succeeds reads nothing from the store once its keys are
//!   cached, and writes nothing unless its pair had failures to clear;
//! - dead entries are swept from the store a page at a time after each failure
//!   ([`SWEEP_PAGE`]), so the tree holds about the keys that failed in the last
//!   [`FORGET_AFTER`].
//!
//! The count in the store is exact; what a replica may miss for a few milliseconds is the
//! latest failure counted by another one, which lets through no more attempts than were
//! already in flight (a single process has the same window: attempts that passed the check
//! are still being hashed).

use crate::time::now_ms;
use ironbrick_store::record::{decode, encode, Record};
use ironbrick_store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Free failures per (user, address) pair.
pub const PER_PAIR_FREE: u32 = 3;
/// Free failures per address, over every user name.
pub const PER_ADDRESS_FREE: u32 = 30;
/// Free failures per user name, over every address.
pub const PER_USER_FREE: u32 = 100;
/// The longest back-off.
pub const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);
/// How long counts are kept after the last failure (or the end of its back-off).
pub const FORGET_AFTER: Duration = Duration::from_secs(30 * 60);
/// Keys per table by default (and cached entries per replica on a shared store).
pub const DEFAULT_CAPACITY: usize = 100_000;
/// The tree of failure counts on a shared store: `p/{address}/{user}`, `a/{address}`,
/// `u/{user}` → [`Entry`].
pub const TREE: &str = "password_throttle";
/// Entries of [`TREE`] looked at by the sweep after each failure.
pub const SWEEP_PAGE: usize = 64;
/// User names longer than this are keyed by their SHA-256 (keys stay short).
const LONG_NAME: usize = 128;

/// A point in time, in milliseconds: since the throttle was made (in memory) or since the
/// epoch (in a shared store).
pub type Millis = u64;

fn millis(d: Duration) -> Millis {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The failures counted under one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    failures: u32,
    /// The last failure.
    last: Millis,
    /// Attempts are refused until then.
    until: Millis,
}

impl Record for Entry {}

impl Entry {
    /// Whether the count still matters at `now` (else it is forgotten).
    fn live(&self, now: Millis) -> bool {
        now < self
            .last
            .max(self.until)
            .saturating_add(millis(FORGET_AFTER))
    }

    /// How long an attempt at `now` must still wait, if at all.
    fn wait(&self, now: Millis) -> Option<Duration> {
        (self.live(now) && self.until > now).then(|| Duration::from_millis(self.until - now))
    }

    /// The entry after one more failure at `now`.
    fn failed(previous: Option<&Entry>, now: Millis, base: Duration, free: u32) -> Entry {
        let failures = previous
            .filter(|e| e.live(now))
            .map_or(0, |e| e.failures)
            .saturating_add(1);
        Entry {
            failures,
            last: now,
            until: now.saturating_add(millis(backoff(base, failures, free))),
        }
    }
}

/// The back-off after `failures` failures with `free` of them free.
pub fn backoff(base: Duration, failures: u32, free: u32) -> Duration {
    if failures < free.max(1) {
        return Duration::ZERO;
    }
    let doublings = (failures - free.max(1)).min(30);
    base.saturating_mul(1u32 << doublings).min(MAX_BACKOFF)
}

/// The three kinds of key a failure is counted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pair,
    Address,
    User,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Pair, Kind::Address, Kind::User];

    fn free(self) -> u32 {
        match self {
            Kind::Pair => PER_PAIR_FREE,
            Kind::Address => PER_ADDRESS_FREE,
            Kind::User => PER_USER_FREE,
        }
    }

    /// The key of this kind for a sign-in of `user` (lowercased) from `ip`.
    fn key(self, user: &str, ip: IpAddr) -> String {
        match self {
            Kind::Pair => format!("p/{ip}/{user}"),
            Kind::Address => format!("a/{ip}"),
            Kind::User => format!("u/{user}"),
        }
    }

    fn of(key: &[u8]) -> Option<Kind> {
        match key.get(..2)? {
            b"p/" => Some(Kind::Pair),
            b"a/" => Some(Kind::Address),
            b"u/" => Some(Kind::User),
            _ => None,
        }
    }
}

/// The user name as counted: lowercased, and a digest when it is long.
fn user_key(user: &str) -> String {
    let user = user.to_lowercase();
    if user.len() <= LONG_NAME {
        return user;
    }
    format!("#{}", hex::encode(Sha256::digest(user.as_bytes())))
}

/// Failure counts under one kind of key, bounded, oldest evicted first.
#[derive(Debug)]
struct Table {
    free: u32,
    capacity: usize,
    entries: HashMap<String, Entry>,
    /// (last failure, key) of every entry: the first is the one to evict.
    by_age: BTreeSet<(Millis, String)>,
}

impl Table {
    fn new(free: u32, capacity: usize) -> Self {
        Self {
            free,
            capacity: capacity.max(1),
            entries: HashMap::new(),
            by_age: BTreeSet::new(),
        }
    }

    fn wait(&self, key: &str, now: Millis) -> Option<Duration> {
        self.entries.get(key).and_then(|e| e.wait(now))
    }

    fn fail(&mut self, key: String, now: Millis, base: Duration) {
        let next = Entry::failed(self.entries.get(&key), now, base, self.free);
        self.remove(&key);
        while self.entries.len() >= self.capacity {
            match self.by_age.pop_first() {
                Some((_, old)) => {
                    self.entries.remove(&old);
                }
                None => break,
            }
        }
        self.by_age.insert((now, key.clone()));
        self.entries.insert(key, next);
    }

    fn remove(&mut self, key: &str) {
        if let Some(e) = self.entries.remove(key) {
            self.by_age.remove(&(e.last, key.to_string()));
        }
    }
}

#[derive(Debug)]
struct Tables {
    pairs: Table,
    addresses: Table,
    users: Table,
}

impl Tables {
    fn table(&mut self, kind: Kind) -> &mut Table {
        match kind {
            Kind::Pair => &mut self.pairs,
            Kind::Address => &mut self.addresses,
            Kind::User => &mut self.users,
        }
    }
}

/// The counts in a shared store, read through this replica's cache.
#[derive(Debug)]
struct Shared {
    store: Store,
    cache: Mutex<Cache>,
    /// Where the next sweep starts.
    sweep_from: Mutex<Vec<u8>>,
}

#[derive(Debug)]
struct Cache {
    /// Entries as stored (`None`: no entry), by key.
    entries: HashMap<String, Option<Entry>>,
    capacity: usize,
    /// Bumped by every drop: a load started before a drop does not insert after it.
    generation: u64,
}

impl Shared {
    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The stored entry of `key`, from the cache or the store.
    fn entry(&self, key: &str) -> Result<Option<Entry>, StoreError> {
        let generation = {
            let c = self.cache();
            if let Some(e) = c.entries.get(key) {
                return Ok(*e);
            }
            c.generation
        };
        let loaded = self.load(key)?;
        self.remember(generation, key, loaded);
        Ok(loaded)
    }

    /// The stored entry of `key`, from the store.
    fn load(&self, key: &str) -> Result<Option<Entry>, StoreError> {
        Ok(self
            .store
            .kv()
            .get(TREE, key.as_bytes())?
            .as_deref()
            .and_then(read))
    }

    /// Caches `loaded` as `key`'s entry, unless something was dropped since `generation`
    /// (the load may predate that change).
    fn remember(&self, generation: u64, key: &str, loaded: Option<Entry>) {
        let mut c = self.cache();
        if c.generation == generation {
            if c.entries.len() >= c.capacity {
                c.entries.clear();
            }
            c.entries.insert(key.to_string(), loaded);
        }
    }

    fn fail(&self, keys: &[(Kind, String)], now: Millis, base: Duration) -> Result<(), StoreError> {
        self.store.transact(|tx| -> Result<(), StoreError> {
            for (kind, key) in keys {
                let previous = tx.get(TREE, key.as_bytes())?.as_deref().and_then(read);
                let next = Entry::failed(previous.as_ref(), now, base, kind.free());
                tx.put(TREE, key.as_bytes(), &encode(&next)?)?;
            }
            Ok(())
        })?;
        if let Err(e) = self.sweep(now) {
            // The next failure sweeps again.
            tracing::warn!(error = %e, "sweeping the password throttle");
        }
        Ok(())
    }

    /// Removes the dead entries of the next [`SWEEP_PAGE`] entries of the tree.
    fn sweep(&self, now: Millis) -> Result<(), StoreError> {
        let start = self
            .sweep_from
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default();
        let page = self.store.kv().scan_from(TREE, &start, SWEEP_PAGE)?;
        let next = match page.last() {
            Some((key, _)) if page.len() == SWEEP_PAGE => {
                let mut k = key.clone();
                k.push(0);
                k
            }
            _ => Vec::new(),
        };
        if let Ok(mut s) = self.sweep_from.lock() {
            *s = next;
        }
        let dead: Vec<Vec<u8>> = page
            .into_iter()
            .filter(|(_, v)| read(v).is_none_or(|e| !e.live(now)))
            .map(|(k, _)| k)
            .collect();
        if dead.is_empty() {
            return Ok(());
        }
        self.store.transact(|tx| -> Result<(), StoreError> {
            for key in &dead {
                // Counted again since the scan: keep it.
                let current = tx.get(TREE, key)?;
                if current.is_some_and(|b| read(&b).is_none_or(|e| !e.live(now))) {
                    tx.delete(TREE, key)?;
                }
            }
            Ok(())
        })
    }

    /// Clears the pair `key` if it holds a count.
    fn succeed(&self, key: &str) -> Result<(), StoreError> {
        if self.entry(key)?.is_none() {
            return Ok(());
        }
        self.store
            .transact(|tx| -> Result<(), StoreError> { tx.delete(TREE, key.as_bytes()) })
    }

    fn forget(&self, key: &[u8]) {
        let mut c = self.cache();
        if let Ok(key) = std::str::from_utf8(key) {
            c.entries.remove(key);
        } else {
            c.entries.clear();
        }
        c.generation += 1;
    }

    fn forget_all(&self) {
        let mut c = self.cache();
        c.entries.clear();
        c.generation += 1;
    }
}

/// A stored entry; an unreadable one counts as absent.
fn read(bytes: &[u8]) -> Option<Entry> {
    match decode::<Entry>(bytes) {
        Ok(e) => Some(e),
        Err(e) => {
            tracing::warn!(error = %e, "unreadable password throttle entry");
            None
        }
    }
}

#[derive(Debug)]
enum Counts {
    /// This process's memory, times since `origin`.
    Local {
        origin: Instant,
        tables: Mutex<Tables>,
    },
    /// A store shared with other replicas, wall-clock times.
    Shared(Shared),
}

/// The throttle of password sign-ins.
#[derive(Debug)]
pub struct Throttle {
    base: Duration,
    counts: Counts,
}

impl Throttle {
    /// A throttle counting in memory, whose first back-off lasts `base`, each table holding up
    /// to `capacity` keys.
    pub fn new(base: Duration, capacity: usize) -> Self {
        Self {
            base,
            counts: Counts::Local {
                origin: Instant::now(),
                tables: Mutex::new(Tables {
                    pairs: Table::new(PER_PAIR_FREE, capacity),
                    addresses: Table::new(PER_ADDRESS_FREE, capacity),
                    users: Table::new(PER_USER_FREE, capacity),
                }),
            },
        }
    }

    /// The throttle for `store`: counting in `store` when other replicas share it (then up to
    /// `capacity` entries are cached), in memory otherwise.
    pub fn for_store(base: Duration, capacity: usize, store: &Store) -> Self {
        if !store.kv().shared() {
            return Self::new(base, capacity);
        }
        Self {
            base,
            counts: Counts::Shared(Shared {
                store: store.clone(),
                cache: Mutex::new(Cache {
                    entries: HashMap::new(),
                    capacity: capacity.max(3),
                    generation: 0,
                }),
                sweep_from: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Whether the counts live in a shared store.
    pub fn shared(&self) -> bool {
        matches!(self.counts, Counts::Shared(_))
    }

    /// The time now, as this throttle counts it.
    pub fn now(&self) -> Millis {
        match &self.counts {
            Counts::Local { origin, .. } => millis(origin.elapsed()),
            Counts::Shared(_) => u64::try_from(now_ms()).unwrap_or(0),
        }
    }

    fn keys(user: &str, ip: IpAddr) -> [(Kind, String); 3] {
        let user = user_key(user);
        Kind::ALL.map(|kind| (kind, kind.key(&user, ip)))
    }

    /// How long a sign-in of `user` from `ip` must still wait at `now` (`None`: it may go
    /// ahead).
    pub fn check(
        &self,
        user: &str,
        ip: IpAddr,
        now: Millis,
    ) -> Result<Option<Duration>, StoreError> {
        let keys = Self::keys(user, ip);
        match &self.counts {
            Counts::Local { tables, .. } => {
                let mut t = lock(tables);
                Ok(keys
                    .iter()
                    .filter_map(|(kind, key)| t.table(*kind).wait(key, now))
                    .max())
            }
            Counts::Shared(s) => {
                let mut longest = None;
                for (_, key) in &keys {
                    let wait = s.entry(key)?.and_then(|e| e.wait(now));
                    longest = longest.max(wait);
                }
                Ok(longest)
            }
        }
    }

    /// Counts a failed sign-in of `user` from `ip` at `now`.
    pub fn fail(&self, user: &str, ip: IpAddr, now: Millis) -> Result<(), StoreError> {
        let keys = Self::keys(user, ip);
        match &self.counts {
            Counts::Local { tables, .. } => {
                let mut t = lock(tables);
                for (kind, key) in keys {
                    t.table(kind).fail(key, now, self.base);
                }
                Ok(())
            }
            Counts::Shared(s) => s.fail(&keys, now, self.base),
        }
    }

    /// A successful sign-in of `user` from `ip`: clears that pair's count (on a shared store,
    /// a write only when there is a count to clear).
    pub fn succeed(&self, user: &str, ip: IpAddr) -> Result<(), StoreError> {
        let key = Kind::Pair.key(&user_key(user), ip);
        match &self.counts {
            Counts::Local { tables, .. } => {
                lock(tables).pairs.remove(&key);
                Ok(())
            }
            Counts::Shared(s) => s.succeed(&key),
        }
    }

    /// Drops what this replica caches of `key` of [`TREE`] (it changed in the store).
    pub fn forget(&self, key: &[u8]) {
        if let Counts::Shared(s) = &self.counts {
            if Kind::of(key).is_some() {
                s.forget(key);
            } else {
                s.forget_all();
            }
        }
    }

    /// Drops everything this replica caches of the counts.
    pub fn forget_all(&self) {
        if let Counts::Shared(s) = &self.counts {
            s.forget_all();
        }
    }

    /// Keys held (pairs, addresses, users) in memory, for tests (zero on a shared store).
    pub fn sizes(&self) -> (usize, usize, usize) {
        match &self.counts {
            Counts::Local { tables, .. } => {
                let t = lock(tables);
                (
                    t.pairs.entries.len(),
                    t.addresses.entries.len(),
                    t.users.entries.len(),
                )
            }
            Counts::Shared(_) => (0, 0, 0),
        }
    }
}

fn lock(tables: &Mutex<Tables>) -> std::sync::MutexGuard<'_, Tables> {
    tables.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SharedMem;
    use ironbrick_store::{Change, KvStore, MemStore};
    use std::sync::Arc;

    const BASE: Duration = Duration::from_secs(1);
    const SEC: Millis = 1000;
    /// Some wall-clock time (tests pass their own).
    const T0: Millis = 1_800_000_000_000;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    fn local() -> Throttle {
        Throttle::new(BASE, 100)
    }

    #[test]
    fn backoff_doubles_after_the_free_failures_and_is_capped() {
        assert_eq!(backoff(BASE, 2, 3), Duration::ZERO);
        assert_eq!(backoff(BASE, 3, 3), BASE);
        assert_eq!(backoff(BASE, 4, 3), 2 * BASE);
        assert_eq!(backoff(BASE, 6, 3), 8 * BASE);
        assert_eq!(backoff(BASE, 60, 3), MAX_BACKOFF);
    }

    /// The behaviour every mode shares: a pair waits after its free failures, doubles, and a
    /// success clears it.
    fn a_pair_waits_and_a_success_clears_it(t: &Throttle) {
        let now = T0;
        for _ in 0..PER_PAIR_FREE - 1 {
            t.fail("Ann", ip(1), now).unwrap();
            assert_eq!(t.check("ann", ip(1), now).unwrap(), None);
        }
        t.fail("ann", ip(1), now).unwrap();
        assert_eq!(t.check("ANN", ip(1), now).unwrap(), Some(BASE));
        assert_eq!(t.check("ann", ip(1), now + SEC).unwrap(), None);
        t.fail("ann", ip(1), now + SEC).unwrap();
        assert_eq!(t.check("ann", ip(1), now + SEC).unwrap(), Some(2 * BASE));
        assert_eq!(t.check("ann", ip(2), now + SEC).unwrap(), None);
        t.succeed("ann", ip(1)).unwrap();
        assert_eq!(t.check("ann", ip(1), now + SEC).unwrap(), None);
    }

    #[test]
    fn a_pair_waits_after_its_free_failures_and_then_may_try_again() {
        a_pair_waits_and_a_success_clears_it(&local());
    }

    #[test]
    fn a_flood_from_one_address_does_not_lock_the_user_out_elsewhere() {
        let t = local();
        let now = T0;
        let mut counted = 0;
        for i in 0..1000 {
            // The attacker retries as soon as allowed; refused attempts are not counted.
            let at = now + i;
            if t.check("ann", ip(66), at).unwrap().is_none() {
                t.fail("ann", ip(66), at).unwrap();
                counted += 1;
            }
        }
        assert!(counted < PER_USER_FREE, "{counted} failures counted");
        assert!(t.check("ann", ip(66), now + SEC).unwrap().is_some());
        assert_eq!(t.check("ann", ip(1), now + SEC).unwrap(), None);
    }

    #[test]
    fn one_address_spraying_user_names_is_throttled() {
        let t = Throttle::new(BASE, 1000);
        for i in 0..PER_ADDRESS_FREE {
            t.fail(&format!("user{i}"), ip(66), T0).unwrap();
        }
        assert!(t.check("someone-else", ip(66), T0).unwrap().is_some());
        assert_eq!(t.check("someone-else", ip(2), T0).unwrap(), None);
    }

    #[test]
    fn many_addresses_reach_the_user_ceiling() {
        let t = Throttle::new(BASE, 1000);
        for i in 0..PER_USER_FREE {
            let from = IpAddr::from([10, 0, (i / 256) as u8, (i % 256) as u8]);
            t.fail("ann", from, T0).unwrap();
        }
        assert!(t.check("ann", ip(1), T0).unwrap().is_some());
    }

    #[test]
    fn counts_are_forgotten_and_tables_are_bounded() {
        let t = Throttle::new(BASE, 10);
        let now = T0;
        for _ in 0..PER_PAIR_FREE {
            t.fail("ann", ip(1), now).unwrap();
        }
        assert!(t.check("ann", ip(1), now).unwrap().is_some());
        let later = now + SEC + millis(FORGET_AFTER);
        assert_eq!(t.check("ann", ip(1), later).unwrap(), None);
        for i in 0..50u8 {
            t.fail(&format!("u{i}"), ip(i), now + u64::from(i)).unwrap();
        }
        let (pairs, addresses, users) = t.sizes();
        assert!(pairs <= 10 && addresses <= 10 && users <= 10);
        // The newest keys survive, the oldest were evicted.
        assert!(t.check("u49", ip(49), now + 50).unwrap().is_none());
        t.fail("u49", ip(49), now + 60).unwrap();
        t.fail("u49", ip(49), now + 61).unwrap();
        assert!(t.check("u49", ip(49), now + 61).unwrap().is_some());
    }

    #[test]
    fn long_user_names_are_keyed_by_their_digest() {
        let long = "A".repeat(10_000);
        let key = Kind::User.key(&user_key(&long), ip(1));
        assert!(key.len() < 80, "{key}");
        assert_eq!(key, Kind::User.key(&user_key(&long.to_lowercase()), ip(1)));
        assert_eq!(Kind::Pair.key(&user_key("Ann"), ip(1)), "p/127.0.0.1/ann");
        assert_eq!(Kind::of(b"a/127.0.0.1"), Some(Kind::Address));
        assert_eq!(Kind::of(b"x"), None);
    }

    #[test]
    fn an_embedded_store_keeps_the_counts_in_memory() {
        let store = Store::new(Arc::new(MemStore::new()));
        let t = Throttle::for_store(BASE, 100, &store);
        assert!(!t.shared());
        a_pair_waits_and_a_success_clears_it(&t);
        assert!(store.kv().trees().unwrap().is_empty(), "nothing stored");
    }

    /// `replicas` throttles on one shared store, each dropping its cache on the store's change
    /// feed as `crate::invalidation` does (in one process, the local publication stands for the
    /// notices other replicas would hear).
    fn replicas(n: usize) -> (Arc<SharedMem>, Store, Vec<Arc<Throttle>>) {
        let kv = Arc::new(SharedMem::default());
        let store = Store::new(kv.clone());
        let throttles: Vec<Arc<Throttle>> = (0..n)
            .map(|_| Arc::new(Throttle::for_store(BASE, 100, &store)))
            .collect();
        for t in &throttles {
            let t = t.clone();
            store.changes().subscribe(move |change| match change {
                Change::Key { tree, key } if tree == TREE => t.forget(key),
                _ => t.forget_all(),
            });
        }
        store.watch(|tree, _| tree == TREE);
        (kv, store, throttles)
    }

    #[test]
    fn on_a_shared_store_the_counts_are_the_replicas_together() {
        let (_, _, r) = replicas(3);
        assert!(r.iter().all(|t| t.shared()));
        a_pair_waits_and_a_success_clears_it(&r[0]);
        // Three failures spread over three replicas are three failures for each of them.
        let t1 = T0 + 10 * SEC;
        for (i, t) in r.iter().enumerate() {
            assert_eq!(
                t.check("bob", ip(1), t1 + i as u64).unwrap(),
                None,
                "replica {i}"
            );
            t.fail("bob", ip(1), t1 + i as u64).unwrap();
        }
        for t in &r {
            assert!(t.check("Bob", ip(1), t1 + 3).unwrap().is_some());
        }
        // A success through one replica clears the pair for all of them.
        r[1].succeed("bob", ip(1)).unwrap();
        for t in &r {
            assert_eq!(t.check("bob", ip(1), t1 + 3).unwrap(), None);
        }
    }

    #[test]
    fn on_a_shared_store_a_success_without_failures_writes_nothing_and_checks_are_cached() {
        let (kv, _, r) = replicas(2);
        let t = &r[0];
        for _ in 0..10 {
            assert_eq!(t.check("ann", ip(1), T0).unwrap(), None);
            t.succeed("ann", ip(1)).unwrap();
        }
        assert_eq!(kv.transactions(), 0, "no write");
        assert_eq!(kv.reads(), 3, "three keys read once");
        // A failure elsewhere drops the cached entries: they are read again.
        r[1].fail("ann", ip(1), T0).unwrap();
        assert_eq!(t.check("ann", ip(1), T0).unwrap(), None);
        assert_eq!(kv.reads(), 6);
        // Now there is a count to clear: one write.
        let before = kv.transactions();
        t.succeed("ann", ip(1)).unwrap();
        assert_eq!(kv.transactions(), before + 1);
    }

    #[test]
    fn a_load_racing_with_a_change_is_not_cached() {
        let (_, _, r) = replicas(2);
        let Counts::Shared(s) = &r[0].counts else {
            panic!("shared")
        };
        let key = Kind::Pair.key("ann", ip(1));
        // A miss loads "no entry"; meanwhile another replica counts failures; the load must
        // not then be cached, or the count would be missed until the next change.
        let generation = s.cache().generation;
        let loaded = s.load(&key).unwrap();
        assert_eq!(loaded, None);
        for _ in 0..PER_PAIR_FREE {
            r[1].fail("ann", ip(1), T0).unwrap();
        }
        s.remember(generation, &key, loaded);
        assert_eq!(r[0].check("ann", ip(1), T0).unwrap(), Some(BASE));
    }

    #[test]
    fn dead_entries_are_swept_from_the_shared_store() {
        let (kv, _, r) = replicas(1);
        let t = &r[0];
        for i in 0..40u8 {
            t.fail(&format!("u{i}"), ip(i), T0).unwrap();
        }
        assert_eq!(kv.count_prefix(TREE, b"").unwrap(), 120);
        // Long after, a few failures sweep every dead entry away.
        let later = T0 + millis(FORGET_AFTER) + 2 * SEC;
        for i in 0..3u64 {
            t.fail("late", ip(200), later + i).unwrap();
        }
        let left: Vec<String> = kv
            .scan_prefix(TREE, b"")
            .unwrap()
            .into_iter()
            .map(|(k, _)| String::from_utf8(k).unwrap())
            .collect();
        assert_eq!(left, ["a/127.0.0.200", "p/127.0.0.200/late", "u/late"]);
        assert_eq!(t.check("late", ip(200), later + 2).unwrap(), Some(BASE));
    }
}
