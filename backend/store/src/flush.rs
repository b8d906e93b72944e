//! Group commit: concurrent callers of [`Store::flush`](crate::Store::flush) share fsyncs.
//!
//! A caller takes a ticket after its writes are committed. A flush covers every ticket issued
//! before it started, so callers that arrive while a flush runs wait for the next one, and that
//! single flush serves all of them. Under load, N writers cost one or two fsyncs instead of N;
//! alone, a writer pays exactly one, as before.

use crate::{KvStore, StoreError};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

#[derive(Debug, Default)]
struct Tickets {
    /// The last ticket handed out.
    issued: u64,
    /// Whether a flush is running.
    running: bool,
    /// The highest ticket whose flush failed, with the error: tickets up to it get the error
    /// (a later success does not clear it for them; they were covered by the failure).
    failed: Option<(u64, StoreError)>,
}

/// The shared flusher of one store.
#[derive(Debug)]
pub struct GroupFlush {
    tickets: Mutex<Tickets>,
    /// The highest ticket known durable (or failed).
    done: watch::Sender<u64>,
}

impl Default for GroupFlush {
    fn default() -> Self {
        Self {
            tickets: Mutex::new(Tickets::default()),
            done: watch::channel(0).0,
        }
    }
}

impl GroupFlush {
    fn lock(&self) -> std::sync::MutexGuard<'_, Tickets> {
        self.tickets.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes every write committed before the call durable.
    pub async fn flush(self: &Arc<Self>, kv: &Arc<dyn KvStore>) -> Result<(), StoreError> {
        let ticket = {
            let mut t = self.lock();
            t.issued += 1;
            t.issued
        };
        let mut done = self.done.subscribe();
        loop {
            if *done.borrow_and_update() >= ticket {
                return match &self.lock().failed {
                    Some((upto, why)) if *upto >= ticket => Err(why.clone()),
                    _ => Ok(()),
                };
            }
            let target = {
                let mut t = self.lock();
                if t.running {
                    None
                } else {
                    t.running = true;
                    Some(t.issued)
                }
            };
            let Some(target) = target else {
                if done.changed().await.is_err() {
                    return Err(StoreError::Engine("the flusher is gone".into()));
                }
                continue;
            };
            // The flush ends on its blocking thread, whatever becomes of this caller: a caller
            // can be cancelled here (a request whose client hung up is dropped), and had it
            // been the one to end the flush, `running` would stay set and no flush would ever
            // run again. The guard also ends a flush that panicked or never started.
            let running = Running {
                flusher: self.clone(),
                target,
                result: None,
            };
            let engine = kv.clone();
            let _ = tokio::task::spawn_blocking(move || running.end(engine.flush())).await;
        }
    }
}

/// A flush under way: dropped when it ended (or failed to run), it records the outcome and
/// wakes the callers it covered.
struct Running {
    flusher: Arc<GroupFlush>,
    target: u64,
    result: Option<Result<(), StoreError>>,
}

impl Running {
    fn end(mut self, result: Result<(), StoreError>) {
        self.result = Some(result);
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let result = self
            .result
            .take()
            .unwrap_or_else(|| Err(StoreError::Engine("flush task failed".into())));
        {
            let mut t = self.flusher.lock();
            t.running = false;
            if let Err(e) = result {
                t.failed = Some((self.target, e));
            }
        }
        self.flusher.done.send_replace(self.target);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemStore, TxBody};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Duration;

    /// A store whose flush takes 20 ms, counts calls (begun and ended) and can fail.
    #[derive(Debug, Default)]
    struct Slow {
        inner: MemStore,
        started: AtomicUsize,
        flushes: AtomicUsize,
        fail: AtomicBool,
    }

    impl KvStore for Slow {
        fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
            self.inner.get(tree, key)
        }
        crate::delegate_scans!(inner);
        fn transaction(&self, body: &TxBody<'_>) -> Result<bool, StoreError> {
            self.inner.transaction(body)
        }
        fn flush(&self) -> Result<(), StoreError> {
            self.started.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(20));
            self.flushes.fetch_add(1, Ordering::SeqCst);
            if self.fail.load(Ordering::SeqCst) {
                return Err(StoreError::Full("disk full".into()));
            }
            Ok(())
        }
    }

    async fn burst(flusher: &Arc<GroupFlush>, kv: &Arc<dyn KvStore>, n: usize) -> Vec<bool> {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let (f, kv) = (flusher.clone(), kv.clone());
                tokio::spawn(async move { f.flush(&kv).await.is_ok() })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.expect("task"));
        }
        out
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_callers_share_flushes() {
        let slow = Arc::new(Slow::default());
        let kv: Arc<dyn KvStore> = slow.clone();
        let flusher = Arc::new(GroupFlush::default());
        let ok = burst(&flusher, &kv, 50).await;
        assert!(ok.iter().all(|x| *x));
        let n = slow.flushes.load(Ordering::SeqCst);
        assert!((1..=3).contains(&n), "50 callers shared {n} flushes");
        flusher.flush(&kv).await.expect("alone");
        assert_eq!(
            slow.flushes.load(Ordering::SeqCst),
            n + 1,
            "a lone caller flushes once"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_cancelled_caller_does_not_stop_later_flushes() {
        let slow = Arc::new(Slow::default());
        let kv: Arc<dyn KvStore> = slow.clone();
        let flusher = Arc::new(GroupFlush::default());
        let (f, k) = (flusher.clone(), kv.clone());
        // The caller that runs the flush is dropped while it runs (a client hung up).
        let first = tokio::spawn(async move { f.flush(&k).await });
        while slow.started.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        first.abort();
        let later = tokio::time::timeout(Duration::from_secs(5), flusher.flush(&kv)).await;
        assert!(
            matches!(later, Ok(Ok(()))),
            "a later caller is flushed: {later:?}"
        );
        assert_eq!(slow.flushes.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_failed_flush_fails_every_caller_it_covered() {
        let slow = Arc::new(Slow::default());
        let kv: Arc<dyn KvStore> = slow.clone();
        let flusher = Arc::new(GroupFlush::default());
        slow.fail.store(true, Ordering::SeqCst);
        let ok = burst(&flusher, &kv, 10).await;
        assert!(
            ok.iter().all(|x| !*x),
            "nobody is told a failed flush succeeded"
        );
        assert!(
            matches!(flusher.flush(&kv).await, Err(StoreError::Full(_))),
            "callers get the engine's error as it was (a full disk stays a full disk)"
        );
        slow.fail.store(false, Ordering::SeqCst);
        assert!(flusher.flush(&kv).await.is_ok(), "the next flush succeeds");
    }
}
