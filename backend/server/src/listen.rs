//! Serving connections: HTTP/1.1 through hyper, with the connection-level limits of
//! [`crate::limits::Limits`], and a graceful drain on shutdown.
//!
//! - **Slow clients.** A connection must deliver each request head within
//!   `--header-read-timeout` of the server starting to wait for it, or hyper closes it. The
//!   clock runs from the moment the connection is accepted (or the previous response was sent),
//!   so the same timeout bounds how long a kept-alive connection may sit idle and how long a
//!   slowloris client that drips a header a byte at a time holds its connection. A body must
//!   arrive within `--body-read-timeout` ([`crate::limits::body`]). Each connection is one task
//!   that sleeps while it waits: a slow client never ties up a worker thread.
//! - **Connections.** At most `--max-connections` are served at once. The limit is a semaphore
//!   taken *before* `accept`: while it is exhausted, new connections are not accepted and wait
//!   in the kernel's listen backlog (1024), where they are served as soon as another closes;
//!   beyond the backlog the kernel drops the SYNs and clients retry. Behind the PROXY protocol
//!   the permit is taken before the header is read, so connections that never send one count
//!   too (and are dropped after its 5 s deadline).
//! - **Header size.** hyper reads a request head into a buffer of at most twice
//!   `--max-header-bytes` plus 64 KiB for the request line; a head that does not fit, or has
//!   more than 100 headers, is answered by hyper itself with 431 and an empty body, and the
//!   connection closed. Smaller heads whose header lines exceed `--max-header-bytes` reach the
//!   application, which answers 431 in Databricks' JSON ([`crate::limits::header_size`]). A
//!   request target over 64 KiB is refused 414 by hyper.
//! - **Memory.** An idle connection costs its task, hyper's connection state and an 8 KiB read
//!   buffer (`scripts/bench-connections` measures it).

use crate::limits::body::DeadlineBody;
use crate::limits::Limits;
use crate::proxy_protocol::{Origin, ProxyListener};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

/// Bytes of the request line hyper's buffer leaves room for (its request target limit).
const REQUEST_LINE: usize = 64 * 1024;
/// File descriptors kept for everything but client connections (store, KMS, S3, PostgreSQL).
const RESERVED_FILES: u64 = 256;

/// Where connections come from.
#[derive(Debug)]
pub enum Incoming {
    /// Plain TCP: the peer is the client.
    Plain(TcpListener),
    /// TCP with PROXY protocol headers from trusted load balancers.
    Proxy(ProxyListener),
}

/// What a served connection knows of its origin.
#[derive(Debug, Clone)]
enum Peer {
    Plain(SocketAddr),
    Proxy(Origin),
}

/// The connection permits of a server: `max_connections` of them.
pub fn permits(limits: &Limits) -> Arc<Semaphore> {
    Arc::new(Semaphore::new(
        limits.max_connections.min(Semaphore::MAX_PERMITS),
    ))
}

/// hyper's largest read buffer for `max_header_bytes` (see the module docs).
fn read_buffer(max_header_bytes: usize) -> usize {
    max_header_bytes
        .saturating_mul(2)
        .saturating_add(REQUEST_LINE)
        .max(8192)
}

/// Serves `app` on `incoming` until `shutdown` completes, then stops accepting, lets every
/// connection finish the request it is serving (idle ones close at once) and returns when all
/// are closed.
pub async fn serve(
    mut incoming: Incoming,
    permits: Arc<Semaphore>,
    app: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(read_buffer(limits.max_header_bytes))
        .keep_alive(true);
    let body_timeout = limits.body_read_timeout;
    let (stop_tx, stop_rx) = watch::channel(false);
    // Every connection task holds a clone of `open_rx`; `open_tx.closed()` completes when the
    // last one has ended.
    let (open_tx, open_rx) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            c = next(&mut incoming, &permits) => c,
            () = &mut shutdown => break,
        };
        let Some((stream, peer, permit)) = accepted else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (http, app, mut stop, open) =
            (http.clone(), app.clone(), stop_rx.clone(), open_rx.clone());
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let mut req =
                        req.map(|b| Body::new(DeadlineBody::new(Body::new(b), body_timeout)));
                    match &peer {
                        Peer::Plain(addr) => {
                            req.extensions_mut().insert(ConnectInfo(*addr));
                        }
                        Peer::Proxy(origin) => {
                            req.extensions_mut().insert(ConnectInfo(origin.clone()));
                        }
                    }
                    app.clone().oneshot(req)
                });
            let conn = http.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            // The watch guard is dropped inside this future, never held across an await.
            let stopping = async move {
                let _ = stop.wait_for(|stopping| *stopping).await;
            };
            let result = tokio::select! {
                r = conn.as_mut() => r,
                () = stopping => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
            drop(open);
        });
    }
    drop(incoming);
    drop(open_rx);
    let _ = stop_tx.send(true);
    open_tx.closed().await;
}

/// The next connection with its permit; `None` after a failed accept (retried by the caller).
async fn next(
    incoming: &mut Incoming,
    permits: &Arc<Semaphore>,
) -> Option<(TcpStream, Peer, OwnedSemaphorePermit)> {
    match incoming {
        Incoming::Plain(listener) => {
            let permit = permits.clone().acquire_owned().await.ok()?;
            match listener.accept().await {
                Ok((stream, addr)) => Some((stream, Peer::Plain(addr), permit)),
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    None
                }
            }
        }
        Incoming::Proxy(listener) => {
            let (stream, origin, permit) = listener.accept().await?;
            Some((stream, Peer::Proxy(origin), permit))
        }
    }
}

/// Raises this process's open-file limit to its hard limit and returns the soft limit now in
/// force (`None` where it cannot be read), so that `--max-connections` clients fit.
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
        let now = getrlimit(Resource::Nofile);
        if now.current != now.maximum && now.maximum.is_some() {
            let raised = Rlimit {
                current: now.maximum,
                maximum: now.maximum,
            };
            if let Err(e) = setrlimit(Resource::Nofile, raised) {
                tracing::warn!(error = %e, "could not raise the open-file limit");
            }
        }
        Some(getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX))
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// `max_connections`, lowered to fit an open-file limit of `open_files` (with room for the
/// server's own files).
pub fn fit_connections(max_connections: usize, open_files: Option<u64>) -> usize {
    let Some(files) = open_files else {
        return max_connections;
    };
    let room = files.saturating_sub(RESERVED_FILES).max(files / 2).max(1);
    let room = usize::try_from(room).unwrap_or(usize::MAX);
    max_connections.min(room)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_fit_the_open_file_limit() {
        assert_eq!(fit_connections(16_384, Some(1_048_576)), 16_384);
        assert_eq!(fit_connections(16_384, Some(20_000)), 16_384);
        assert_eq!(fit_connections(16_384, Some(4096)), 4096 - 256);
        assert_eq!(fit_connections(16_384, Some(300)), 150);
        assert_eq!(fit_connections(16_384, None), 16_384);
    }

    #[test]
    fn the_read_buffer_holds_twice_the_headers_and_a_request_line() {
        assert_eq!(read_buffer(64 * 1024), 192 * 1024);
        assert_eq!(read_buffer(0), REQUEST_LINE);
        assert!(read_buffer(0) >= 8192);
    }
}
