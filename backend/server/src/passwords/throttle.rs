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
//! out that long ago. Memory is bounded: each table holds at most `capacity` keys and evicts
//! the key whose last failure is oldest when full.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;
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
/// Keys per table by default.
pub const DEFAULT_CAPACITY: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last: Instant,
    /// Attempts are refused until then.
    until: Instant,
}

/// Failure counts under one kind of key, bounded, oldest evicted first.
#[derive(Debug)]
struct Table<K> {
    free: u32,
    capacity: usize,
    entries: HashMap<K, Entry>,
    /// (last failure, key) of every entry: the first is the one to evict.
    by_age: BTreeSet<(Instant, K)>,
}

impl<K: Hash + Eq + Ord + Clone> Table<K> {
    fn new(free: u32, capacity: usize) -> Self {
        Self {
            free,
            capacity: capacity.max(1),
            entries: HashMap::new(),
            by_age: BTreeSet::new(),
        }
    }

    fn live(&self, key: &K, now: Instant) -> Option<&Entry> {
        self.entries
            .get(key)
            .filter(|e| now < e.last.max(e.until) + FORGET_AFTER)
    }

    /// How long `key` must still wait, if at all.
    fn wait(&self, key: &K, now: Instant) -> Option<Duration> {
        self.live(key, now)
            .and_then(|e| e.until.checked_duration_since(now))
            .filter(|d| !d.is_zero())
    }

    fn fail(&mut self, key: K, now: Instant, base: Duration) {
        let failures = self.live(&key, now).map_or(0, |e| e.failures) + 1;
        self.remove(&key);
        while self.entries.len() >= self.capacity {
            match self.by_age.pop_first() {
                Some((_, old)) => {
                    self.entries.remove(&old);
                }
                None => break,
            }
        }
        let until = now + backoff(base, failures, self.free);
        self.entries.insert(
            key.clone(),
            Entry {
                failures,
                last: now,
                until,
            },
        );
        self.by_age.insert((now, key));
    }

    fn remove(&mut self, key: &K) {
        if let Some(e) = self.entries.remove(key) {
            self.by_age.remove(&(e.last, key.clone()));
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

#[derive(Debug)]
struct Tables {
    pairs: Table<(String, IpAddr)>,
    addresses: Table<IpAddr>,
    users: Table<String>,
}

/// The throttle of password sign-ins.
#[derive(Debug)]
pub struct Throttle {
    base: Duration,
    tables: Mutex<Tables>,
}

impl Throttle {
    /// A throttle whose first back-off lasts `base`, each table holding up to `capacity` keys.
    pub fn new(base: Duration, capacity: usize) -> Self {
        Self {
            base,
            tables: Mutex::new(Tables {
                pairs: Table::new(PER_PAIR_FREE, capacity),
                addresses: Table::new(PER_ADDRESS_FREE, capacity),
                users: Table::new(PER_USER_FREE, capacity),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long a sign-in of `user` from `ip` must still wait (`None`: it may go ahead).
    pub fn check(&self, user: &str, ip: IpAddr, now: Instant) -> Option<Duration> {
        let user = user.to_lowercase();
        let t = self.lock();
        [
            t.pairs.wait(&(user.clone(), ip), now),
            t.addresses.wait(&ip, now),
            t.users.wait(&user, now),
        ]
        .into_iter()
        .flatten()
        .max()
    }

    /// Counts a failed sign-in of `user` from `ip`.
    pub fn fail(&self, user: &str, ip: IpAddr, now: Instant) {
        let user = user.to_lowercase();
        let mut t = self.lock();
        t.pairs.fail((user.clone(), ip), now, self.base);
        t.addresses.fail(ip, now, self.base);
        t.users.fail(user, now, self.base);
    }

    /// A successful sign-in of `user` from `ip`: clears that pair's count.
    pub fn succeed(&self, user: &str, ip: IpAddr) {
        self.lock().pairs.remove(&(user.to_lowercase(), ip));
    }

    /// Keys held (pairs, addresses, users), for tests.
    pub fn sizes(&self) -> (usize, usize, usize) {
        let t = self.lock();
        (
            t.pairs.entries.len(),
            t.addresses.entries.len(),
            t.users.entries.len(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_secs(1);

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[test]
    fn backoff_doubles_after_the_free_failures_and_is_capped() {
        assert_eq!(backoff(BASE, 2, 3), Duration::ZERO);
        assert_eq!(backoff(BASE, 3, 3), BASE);
        assert_eq!(backoff(BASE, 4, 3), 2 * BASE);
        assert_eq!(backoff(BASE, 6, 3), 8 * BASE);
        assert_eq!(backoff(BASE, 60, 3), MAX_BACKOFF);
    }

    #[test]
    fn a_pair_waits_after_its_free_failures_and_then_may_try_again() {
        let t = Throttle::new(BASE, 100);
        let now = Instant::now();
        for _ in 0..PER_PAIR_FREE - 1 {
            t.fail("Ann", ip(1), now);
            assert_eq!(t.check("ann", ip(1), now), None);
        }
        t.fail("ann", ip(1), now);
        assert_eq!(t.check("ANN", ip(1), now), Some(BASE));
        assert_eq!(t.check("ann", ip(1), now + BASE), None);
        t.fail("ann", ip(1), now + BASE);
        assert_eq!(t.check("ann", ip(1), now + BASE), Some(2 * BASE));
        t.succeed("ann", ip(1));
        assert_eq!(t.check("ann", ip(1), now + BASE), None);
    }

    #[test]
    fn a_flood_from_one_address_does_not_lock_the_user_out_elsewhere() {
        let t = Throttle::new(BASE, 100);
        let now = Instant::now();
        let mut counted = 0;
        for i in 0..1000 {
            // The attacker retries as soon as allowed; refused attempts are not counted.
            let at = now + Duration::from_millis(i);
            if t.check("ann", ip(66), at).is_none() {
                t.fail("ann", ip(66), at);
                counted += 1;
            }
        }
        assert!(counted < PER_USER_FREE, "{counted} failures counted");
        assert!(t
            .check("ann", ip(66), now + Duration::from_secs(1))
            .is_some());
        assert_eq!(t.check("ann", ip(1), now + Duration::from_secs(1)), None);
    }

    #[test]
    fn one_address_spraying_user_names_is_throttled() {
        let t = Throttle::new(BASE, 1000);
        let now = Instant::now();
        for i in 0..PER_ADDRESS_FREE {
            t.fail(&format!("user{i}"), ip(66), now);
        }
        assert!(t.check("someone-else", ip(66), now).is_some());
        assert_eq!(t.check("someone-else", ip(2), now), None);
    }

    #[test]
    fn many_addresses_reach_the_user_ceiling() {
        let t = Throttle::new(BASE, 1000);
        let now = Instant::now();
        for i in 0..PER_USER_FREE {
            t.fail(
                "ann",
                IpAddr::from([10, 0, (i / 256) as u8, (i % 256) as u8]),
                now,
            );
        }
        assert!(t.check("ann", ip(1), now).is_some());
    }

    #[test]
    fn counts_are_forgotten_and_tables_are_bounded() {
        let t = Throttle::new(BASE, 10);
        let now = Instant::now();
        for _ in 0..PER_PAIR_FREE {
            t.fail("ann", ip(1), now);
        }
        assert!(t.check("ann", ip(1), now).is_some());
        let later = now + BASE + FORGET_AFTER;
        assert_eq!(t.check("ann", ip(1), later), None);
        for i in 0..50u8 {
            t.fail(
                &format!("u{i}"),
                ip(i),
                now + Duration::from_millis(u64::from(i)),
            );
        }
        let (pairs, addresses, users) = t.sizes();
        assert!(pairs <= 10 && addresses <= 10 && users <= 10);
        // The newest keys survive, the oldest were evicted.
        assert!(t
            .check("u49", ip(49), now + Duration::from_millis(50))
            .is_none());
        t.fail("u49", ip(49), now + Duration::from_millis(60));
        t.fail("u49", ip(49), now + Duration::from_millis(61));
        assert!(t
            .check("u49", ip(49), now + Duration::from_millis(61))
            .is_some());
    }
}
