//! The bridge between the synchronous [`KvStore`](crate::KvStore) seam and the asynchronous
//! PostgreSQL client.
//!
//! The seam is synchronous and is called from inside tokio tasks (axum handlers), from
//! `spawn_blocking` threads, from the server's `block_on` thread at start-up, and from
//! `current_thread` runtimes in tests. Two things are forbidden there: starting or blocking on
//! a runtime from a thread that already drives one (`Handle::block_on`, the sync `postgres`
//! crate and `oneshot::Receiver::blocking_recv` all panic), and `block_in_place` on a
//! `current_thread` runtime (it panics too).
//!
//! So the engine owns a private multi-threaded runtime. Every database call is spawned onto it
//! and the calling thread waits on a plain [`std::sync::mpsc`] channel, which is legal on any
//! thread. The I/O is driven by the private runtime's own workers, never by the waiting thread,
//! so waiting cannot deadlock however many callers wait at once, and whatever runtime (if
//! any) the caller is on. On a multi-threaded caller runtime the wait is wrapped in
//! [`tokio::task::block_in_place`] ([`blocking`]) so that runtime moves its other tasks to
//! another worker instead of stalling them behind a database round trip.

use crate::StoreError;
use std::future::Future;
use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

/// The private runtime that drives every connection of one engine.
pub(crate) struct Bridge {
    /// `Some` until drop.
    rt: Option<Runtime>,
}

impl Bridge {
    /// Starts the private runtime with `workers` threads.
    pub(crate) fn start(workers: usize) -> Result<Self, StoreError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .thread_name("ironbrick-pg")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Engine(format!("starting the PostgreSQL runtime: {e}")))?;
        Ok(Self { rt: Some(rt) })
    }

    fn handle(&self) -> &Handle {
        self.rt.as_ref().expect("runtime lives until drop").handle()
    }

    /// Runs `fut` on the private runtime and waits for its output on the calling thread.
    ///
    /// Callers that may be on a tokio worker wrap the whole operation in [`blocking`] first.
    pub(crate) fn run<T, F>(&self, fut: F) -> Result<T, StoreError>
    where
        F: Future<Output = Result<T, StoreError>> + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.handle().spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().unwrap_or_else(|_| {
            Err(StoreError::Engine(
                "the PostgreSQL runtime dropped an operation".into(),
            ))
        })
    }
}

impl Bridge {
    /// Runs `fut` in the background on the private runtime, until it ends or the engine goes.
    pub(crate) fn spawn(&self, fut: impl Future<Output = ()> + Send + 'static) {
        drop(self.handle().spawn(fut));
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        // Dropping a runtime inside an async context panics; shutting it down in the
        // background is allowed anywhere.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge").finish_non_exhaustive()
    }
}

/// Runs `f`, which blocks on database round trips, telling a multi-threaded caller runtime to
/// hand this worker's other tasks to another thread meanwhile. On a `current_thread` runtime
/// (where `block_in_place` panics) or off any runtime, `f` just runs.
pub(crate) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}
