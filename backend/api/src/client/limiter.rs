//! A shared async rate limiter: at most `rate` requests start per second, evenly spaced (a
//! burst of one, as the official SDKs' limiter). A rate of 0 does not pace.

use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Spaces request starts `1 / rate` seconds apart across every task that shares it. Waiters
/// are served in the order they asked.
#[derive(Debug)]
pub struct RateLimiter {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    per_second: u32,
    interval: Duration,
    /// The earliest start of the next request; `None` before the first.
    next: Option<Instant>,
}

impl Default for RateLimiter {
    /// [`DEFAULT_RATE_LIMIT`](super::options::DEFAULT_RATE_LIMIT) requests per second.
    fn default() -> Self {
        Self::new(super::options::DEFAULT_RATE_LIMIT)
    }
}

impl RateLimiter {
    /// At most `per_second` requests per second; 0 does not pace.
    pub fn new(per_second: u32) -> Self {
        Self {
            state: Mutex::new(State {
                per_second,
                interval: interval(per_second),
                next: None,
            }),
        }
    }

    /// Changes the rate; waiters already scheduled keep their slots.
    pub fn set_rate(&self, per_second: u32) {
        let mut s = self.lock();
        s.per_second = per_second;
        s.interval = interval(per_second);
        s.next = None;
    }

    /// The current rate, in requests per second.
    pub fn rate(&self) -> u32 {
        self.lock().per_second
    }

    /// Waits for the next free slot and takes it (at once when not paced).
    pub async fn acquire(&self) {
        let slot = {
            let mut s = self.lock();
            if s.per_second == 0 {
                return;
            }
            let now = Instant::now();
            let slot = s.next.map_or(now, |n| n.max(now));
            s.next = Some(slot + s.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn interval(per_second: u32) -> Duration {
    Duration::from_secs(1) / per_second.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn n_acquisitions_take_at_least_n_minus_one_intervals_across_tasks() {
        let limiter = Arc::new(RateLimiter::new(20));
        let start = Instant::now();
        let tasks: Vec<_> = (0..9)
            .map(|_| {
                let l = Arc::clone(&limiter);
                tokio::spawn(async move { l.acquire().await })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
        let took = start.elapsed();
        // 9 starts at 20/s: the last starts 8 intervals (400 ms) after the first.
        assert!(took >= Duration::from_millis(395), "took {took:?}");
        assert!(took < Duration::from_secs(3), "took {took:?}");
    }

    #[tokio::test]
    async fn the_rate_can_change_and_zero_does_not_pace() {
        let l = RateLimiter::new(0);
        assert_eq!(l.rate(), 0);
        let start = Instant::now();
        for _ in 0..100 {
            l.acquire().await;
        }
        assert!(start.elapsed() < Duration::from_millis(50), "unpaced");
        l.set_rate(50);
        assert_eq!(l.rate(), 50);
        let start = Instant::now();
        l.acquire().await;
        assert!(
            start.elapsed() < Duration::from_millis(50),
            "first is immediate"
        );
    }
}
