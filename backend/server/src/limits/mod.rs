//! Request limits: rate limits per principal and per client address, body and header sizes,
//! and (applied where connections are served, [`crate::listen`]) read timeouts and the number of
//! connections.
//!
//! # Rate limits
//! - **Per principal**, after authentication ([`Limiters::admit_principal`], called by
//!   [`crate::auth::authenticate`]): every authenticated request takes a token from its
//!   principal's bucket (`--rate-limit` tokens a second, `--rate-limit-burst` at most), whichever
//!   credential it came with (personal access token, OAuth access token, password), from any
//!   address. One principal's flood never throttles another.
//! - **Per client address, for requests that fail authentication** ([`by_client_ip`]): every
//!   401 answer (a bad token, a wrong password, an OAuth client that fails to authenticate at
//!   the token endpoint) takes a token from the address's bucket (`--ip-rate-limit`,
//!   `--ip-rate-limit-burst`); while the bucket is empty, every request from that address
//!   (but `/healthz` and `/metrics`) is answered 429 before any work is done, which sheds a
//!   credential-guessing flood cheaply.
//!   IPv6 clients are keyed by their /64.
//!
//! Over a limit the answer is Databricks': 429 with `Retry-After` in whole seconds and
//! `{"error_code":"REQUEST_LIMIT_EXCEEDED","message":...}`, which the SDKs raise as
//! `TooManyRequests` and retry after the given wait. The defaults (1000 a second per principal
//! with bursts of 2000; 100 failed authentications a second per address with bursts of 200)
//! never throttle a Terraform apply of a thousand resources at `-parallelism=10` against a
//! local backend; 0 turns a limit off. Buckets that have refilled are dropped, so the limiters
//! hold only the keys active in the last couple of seconds ([`rate`]).
//!
//! Both are **per process**, as a load balancer's or Envoy's local rate limits are: replicas
//! sharing a store each keep their own buckets, so N replicas behind a balancer admit up to N
//! times the rate (set the flags to the share each replica should take). A shared bucket would
//! cost a store round trip on every request, which the hot path must not pay. What guards a
//! security property is shared: password guesses are throttled per user and address in the
//! store ([`crate::passwords::throttle`]), and the connection limit is one process's sockets.
//!
//! # Sizes
//! Bodies over `--max-body-bytes` are refused 413 REQUEST_LIMIT_EXCEEDED (from the
//! `Content-Length` before anything is read, or when a chunked body grows past it). Headers
//! over `--max-header-bytes` (the sum of the header lines) are refused 431
//! REQUEST_LIMIT_EXCEEDED in the same JSON form ([`header_size`]); a request head more than
//! twice that size, or with more than 100 headers, never reaches the application: hyper
//! answers 431 itself, with an empty body, and closes the connection.

pub mod body;
pub mod rate;

use crate::client_ip::ClientIp;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use ironbrick_api::ErrorCode;
use rate::{Rate, RateLimiter};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Default `--max-body-bytes`: 16 MiB. Databricks imports notebooks of up to 10 MB, which
/// arrive base64-encoded in JSON (4/3 of the size, plus the envelope).
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Default `--max-header-bytes`: 64 KiB of header lines.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 64 * 1024;

/// The limits of a server, from its flags ([`crate::config::ServeArgs`]).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Requests per principal.
    pub principal_rate: Rate,
    /// Failed authentications per client address.
    pub ip_rate: Rate,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Largest sum of header lines (name, value, separators) the application answers; hyper
    /// itself refuses a request head twice this size.
    pub max_header_bytes: usize,
    /// How long a client may take to send a request head, from the moment the server waits
    /// for one: it also bounds how long a connection may sit idle between requests.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request body, from the end of its head.
    pub body_read_timeout: Duration,
    /// Connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            principal_rate: Rate {
                per_second: 1000.0,
                burst: 2000,
            },
            ip_rate: Rate {
                per_second: 100.0,
                burst: 200,
            },
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(60),
            max_connections: 16_384,
        }
    }
}

impl Limits {
    /// The defaults without rate limits: for load generators (the benchmarks), which measure
    /// how many requests one principal gets through rather than how many it is allowed.
    pub fn unthrottled() -> Self {
        let off = Rate {
            per_second: 0.0,
            burst: 0,
        };
        Self {
            principal_rate: off,
            ip_rate: off,
            ..Self::default()
        }
    }
}

/// The rate limiters of a server and their refusal counters (for `/metrics`).
#[derive(Debug)]
pub struct Limiters {
    principals: Option<RateLimiter<i64>>,
    addresses: Option<RateLimiter<IpAddr>>,
    principal_refusals: AtomicU64,
    address_refusals: AtomicU64,
}

impl Limiters {
    /// Limiters for `limits` (a rate of 0 is off).
    pub fn new(limits: &Limits) -> Self {
        Self {
            principals: RateLimiter::new(limits.principal_rate),
            addresses: RateLimiter::new(limits.ip_rate),
            principal_refusals: AtomicU64::new(0),
            address_refusals: AtomicU64::new(0),
        }
    }

    /// Takes a token from principal `id`'s bucket; when it is empty, how long to wait.
    pub fn admit_principal(&self, id: i64) -> Result<(), Duration> {
        let Some(l) = &self.principals else {
            return Ok(());
        };
        l.acquire(&id, Instant::now()).inspect_err(|_| {
            self.principal_refusals.fetch_add(1, Ordering::Relaxed);
        })
    }

    /// Prometheus text lines of the refusal counters.
    pub fn render(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "# HELP ironbrick_rate_limited_total Requests answered 429 by a rate limit, by key.\n\
             # TYPE ironbrick_rate_limited_total counter\n\
             ironbrick_rate_limited_total{{key=\"principal\"}} {}\n\
             ironbrick_rate_limited_total{{key=\"client_ip\"}} {}\n",
            get(&self.principal_refusals),
            get(&self.address_refusals)
        )
    }
}

/// The key of a client address: IPv4 addresses as they are, IPv6 ones by their /64 (the
/// smallest prefix a client is usually given).
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::from([s[0], s[1], s[2], s[3], 0, 0, 0, 0])
        }
    }
}

/// Middleware: the per-address limit on failed authentication (see the module docs). Runs
/// after [`crate::client_ip::resolve`].
pub async fn by_client_ip(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limiters = state.limiters();
    let Some(l) = &limiters.addresses else {
        return next.run(req).await;
    };
    // Health checks and metrics stay reachable during a flood (operators need them most then).
    if matches!(req.uri().path(), "/healthz" | "/metrics") {
        return next.run(req).await;
    }
    let key = address_key(
        req.extensions()
            .get::<ClientIp>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0),
    );
    if let Err(wait) = l.check(&key, Instant::now()) {
        limiters.address_refusals.fetch_add(1, Ordering::Relaxed);
        let secs = rate::retry_after_secs(wait);
        return crate::error::throttled(
            format!(
                "Too many requests with invalid credentials from this address; retry in {secs} seconds."
            ),
            secs,
        );
    }
    let resp = next.run(req).await;
    if resp.status() == StatusCode::UNAUTHORIZED {
        l.charge(&key, Instant::now());
    }
    resp
}

/// The size of a request's header lines as sent: each `name: value\r\n`.
fn header_bytes(headers: &axum::http::HeaderMap) -> usize {
    headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum()
}

/// Middleware: refuses requests whose header lines exceed `--max-header-bytes` with 431
/// REQUEST_LIMIT_EXCEEDED in the Databricks format.
pub async fn header_size(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let max = state.limits().max_header_bytes;
    let size = header_bytes(req.headers());
    if size > max {
        let mut resp = crate::error::ApiError::new(
            ErrorCode::RequestLimitExceeded,
            format!("Request headers of {size} bytes exceed the limit of {max} bytes."),
        )
        .into_response_with_status(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        resp.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
        return resp;
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        let v4 = IpAddr::from([192, 0, 2, 1]);
        assert_eq!(address_key(v4), v4);
    }

    #[test]
    fn header_lines_are_measured_as_sent() {
        let mut h = axum::http::HeaderMap::new();
        h.insert("host", axum::http::HeaderValue::from_static("a"));
        h.append("x-y", axum::http::HeaderValue::from_static("12"));
        assert_eq!(header_bytes(&h), (4 + 1 + 4) + (3 + 2 + 4));
    }

    #[test]
    fn principals_are_limited_apart_and_refusals_counted() {
        let limiters = Limiters::new(&Limits {
            principal_rate: Rate {
                per_second: 0.001,
                burst: 2,
            },
            ..Limits::default()
        });
        assert!(limiters.admit_principal(1).is_ok());
        assert!(limiters.admit_principal(1).is_ok());
        assert!(limiters.admit_principal(1).is_err());
        assert!(limiters.admit_principal(2).is_ok());
        assert!(limiters
            .render()
            .contains("ironbrick_rate_limited_total{key=\"principal\"} 1\n"));
        let off = Limiters::new(&Limits {
            principal_rate: Rate {
                per_second: 0.0,
                burst: 1,
            },
            ..Limits::default()
        });
        for _ in 0..10 {
            assert!(off.admit_principal(1).is_ok());
        }
    }
}
