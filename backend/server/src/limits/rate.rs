//! A keyed token-bucket rate limiter with bounded memory.
//!
//! Each key has a bucket of at most `burst` tokens that refills at `per_second` tokens a
//! second; a request takes one token, and when none is left the caller is told how long until
//! one is. A bucket that has refilled completely is indistinguishable from a key never seen,
//! so such buckets are dropped: the map is swept whenever it has doubled since the last sweep,
//! which keeps only the keys active within the last `burst / per_second` seconds (two seconds
//! with the defaults) at an amortized constant cost per request, with no background task.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Below this many keys the map is never swept.
const MIN_SWEEP: usize = 1024;

/// A refill rate and a bucket size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Tokens added per second; 0 turns the limit off.
    pub per_second: f64,
    /// The most tokens a bucket holds (requests allowed at once after a quiet spell).
    pub burst: u32,
}

impl Rate {
    /// Whether this rate limits anything.
    pub fn enabled(&self) -> bool {
        self.per_second > 0.0 && self.per_second.is_finite()
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

#[derive(Debug)]
struct Buckets<K> {
    map: HashMap<K, Bucket>,
    sweep_at: usize,
}

/// Token buckets by key (a principal id, a client address).
#[derive(Debug)]
pub struct RateLimiter<K> {
    per_second: f64,
    burst: f64,
    buckets: Mutex<Buckets<K>>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// A limiter at `rate`, or `None` when the rate is off.
    pub fn new(rate: Rate) -> Option<Self> {
        rate.enabled().then(|| Self {
            per_second: rate.per_second,
            burst: f64::from(rate.burst.max(1)),
            buckets: Mutex::new(Buckets {
                map: HashMap::new(),
                sweep_at: MIN_SWEEP,
            }),
        })
    }

    fn level(&self, b: &Bucket, now: Instant) -> f64 {
        let refill = now.saturating_duration_since(b.at).as_secs_f64() * self.per_second;
        (b.tokens + refill).min(self.burst)
    }

    fn wait(&self, level: f64) -> Duration {
        Duration::try_from_secs_f64(((1.0 - level) / self.per_second).max(0.0))
            .unwrap_or(Duration::MAX)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Buckets<K>> {
        // A panic while holding the lock leaves only counters behind: keep using them.
        self.buckets.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sweep(&self, buckets: &mut Buckets<K>, now: Instant) {
        if buckets.map.len() < buckets.sweep_at {
            return;
        }
        buckets.map.retain(|_, b| self.level(b, now) < self.burst);
        buckets.sweep_at = (buckets.map.len() * 2).max(MIN_SWEEP);
    }

    /// Takes a token for `key` at `now`; when there is none, how long until there is one.
    pub fn acquire(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.lock();
        self.sweep(&mut buckets, now);
        let full = Bucket {
            tokens: self.burst,
            at: now,
        };
        let bucket = buckets.map.entry(key.clone()).or_insert(full);
        let level = self.level(bucket, now);
        *bucket = Bucket {
            tokens: if level >= 1.0 { level - 1.0 } else { level },
            at: now,
        };
        if level >= 1.0 {
            Ok(())
        } else {
            Err(self.wait(level))
        }
    }

    /// Whether `key` has a token at `now`, without taking it.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let buckets = self.lock();
        match buckets.map.get(key) {
            Some(b) if self.level(b, now) < 1.0 => Err(self.wait(self.level(b, now))),
            _ => Ok(()),
        }
    }

    /// Takes a token for `key` if there is one (a charge after the fact, such as a failed
    /// sign-in; [`RateLimiter::check`] refuses the next request once the bucket is empty).
    pub fn charge(&self, key: &K, now: Instant) {
        let _ = self.acquire(key, now);
    }

    /// Keys held (for tests and the memory bound).
    pub fn keys(&self) -> usize {
        self.lock().map.len()
    }
}

/// Whole seconds to put in `Retry-After` for a wait: rounded up, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0))
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_second: f64, burst: u32) -> RateLimiter<u32> {
        RateLimiter::new(Rate { per_second, burst }).expect("enabled")
    }

    #[test]
    fn a_burst_then_the_refill_rate() {
        let l = limiter(10.0, 5);
        let t0 = Instant::now();
        for _ in 0..5 {
            assert_eq!(l.acquire(&1, t0), Ok(()));
        }
        let wait = l.acquire(&1, t0).unwrap_err();
        assert!((wait.as_secs_f64() - 0.1).abs() < 1e-9, "{wait:?}");
        // One token every 100 ms.
        assert!(l.acquire(&1, t0 + Duration::from_millis(50)).is_err());
        assert_eq!(l.acquire(&1, t0 + Duration::from_millis(101)), Ok(()));
        assert!(l.acquire(&1, t0 + Duration::from_millis(102)).is_err());
        // A long quiet spell refills to the burst, not beyond.
        let later = t0 + Duration::from_secs(60);
        for _ in 0..5 {
            assert_eq!(l.acquire(&1, later), Ok(()));
        }
        assert!(l.acquire(&1, later).is_err());
    }

    #[test]
    fn keys_are_independent() {
        let l = limiter(1.0, 2);
        let t0 = Instant::now();
        assert!(l.acquire(&1, t0).is_ok());
        assert!(l.acquire(&1, t0).is_ok());
        assert!(l.acquire(&1, t0).is_err());
        assert!(l.acquire(&2, t0).is_ok(), "another key has its own bucket");
    }

    #[test]
    fn refusals_take_no_token() {
        let l = limiter(1.0, 1);
        let t0 = Instant::now();
        assert!(l.acquire(&1, t0).is_ok());
        for ms in [100, 200, 300, 900] {
            assert!(l.acquire(&1, t0 + Duration::from_millis(ms)).is_err());
        }
        // Hammering while empty does not push the next token further away.
        assert!(l.acquire(&1, t0 + Duration::from_millis(1000)).is_ok());
    }

    #[test]
    fn check_does_not_take_and_charge_does() {
        let l = limiter(1.0, 2);
        let t0 = Instant::now();
        assert!(l.check(&7, t0).is_ok(), "an unknown key may go");
        assert_eq!(l.keys(), 0, "checking remembers nothing");
        l.charge(&7, t0);
        assert!(l.check(&7, t0).is_ok());
        l.charge(&7, t0);
        let wait = l.check(&7, t0).unwrap_err();
        assert_eq!(retry_after_secs(wait), 1);
        l.charge(&7, t0); // an empty bucket stays empty, not negative
        assert!(l.check(&7, t0 + Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn idle_keys_are_evicted() {
        let l = limiter(100.0, 10);
        let t0 = Instant::now();
        for k in 0..5000 {
            let _ = l.acquire(&k, t0);
        }
        assert_eq!(
            l.keys(),
            5000,
            "every bucket is a token short: all are kept"
        );
        // A second later all of them are full again, so the next sweep (once the map has
        // doubled since the last one) drops them and keeps only the keys in use.
        let later = t0 + Duration::from_secs(1);
        for k in 5000..11_000 {
            let _ = l.acquire(&k, later);
        }
        assert_eq!(l.keys(), 6000);
    }

    #[test]
    fn memory_stays_bounded_under_many_distinct_keys() {
        let l = limiter(1000.0, 2000);
        let t0 = Instant::now();
        // 200k distinct keys, each seen once, spread over 20 s: keys refill in 1 ms, so the
        // map holds only the keys of the last sweep interval.
        for i in 0..200_000u32 {
            let now = t0 + Duration::from_micros(u64::from(i) * 100);
            let _ = l.acquire(&i, now);
        }
        assert!(l.keys() <= 2 * MIN_SWEEP, "{} keys held", l.keys());
    }

    #[test]
    fn zero_rate_is_off_and_retry_after_rounds_up() {
        assert!(RateLimiter::<u32>::new(Rate {
            per_second: 0.0,
            burst: 10
        })
        .is_none());
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
