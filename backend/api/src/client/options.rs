//! How a [`Client`](super::Client) behaves on the wire: timeouts, retries, rate limit, TLS and
//! debug logging. The defaults are the official Databricks SDKs' (and so the official Terraform
//! provider's), except the rate limit (see [`DEFAULT_RATE_LIMIT`]).

use super::limiter::RateLimiter;
use std::sync::Arc;
use std::time::Duration;

/// Per-request timeout when none is configured (`http_timeout_seconds`).
pub const DEFAULT_HTTP_TIMEOUT_SECONDS: u64 = 60;
/// Requests per second when no rate is configured (`rate_limit`): 0, not paced. The official
/// SDKs pace at 15 per second to stay within Databricks' cloud quotas; an Ironbrick server
/// answers 429 with `Retry-After` when it wants a client to slow down, and the client honours
/// it, so pacing is left to those who ask for it.
pub const DEFAULT_RATE_LIMIT: u32 = 0;
/// How long retryable failures are retried when nothing is configured (`retry_timeout_seconds`).
pub const DEFAULT_RETRY_TIMEOUT_SECONDS: u64 = 300;
/// Bytes of each JSON string (and of a non-JSON body) kept in debug logs
/// (`debug_truncate_bytes`).
pub const DEFAULT_DEBUG_TRUNCATE_BYTES: usize = 96;

/// Client behaviour. `Default` gives the official defaults and a limiter of its own.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Timeout of one HTTP request, from sending it to reading the whole answer.
    pub http_timeout: Duration,
    /// How long to keep retrying retryable failures, measured from the first attempt; `None`
    /// retries without end (the official provider's negative `retry_timeout_seconds`).
    pub retry_timeout: Option<Duration>,
    /// Waits between retries when the server gives no `Retry-After`.
    pub backoff: Backoff,
    /// Paces every attempt. Share one limiter between clients (clones of a client share theirs)
    /// to bound the rate of the whole process.
    pub limiter: Arc<RateLimiter>,
    /// Accept any TLS certificate (self-signed, expired, wrong name). For tests only.
    pub skip_verify: bool,
    /// Bytes kept of each JSON string field (and of a non-JSON body) in debug logs.
    pub debug_truncate_bytes: usize,
    /// Log request and response headers (secrets redacted) in debug logs.
    pub debug_headers: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            http_timeout: Duration::from_secs(DEFAULT_HTTP_TIMEOUT_SECONDS),
            retry_timeout: Some(Duration::from_secs(DEFAULT_RETRY_TIMEOUT_SECONDS)),
            backoff: Backoff::default(),
            limiter: Arc::new(RateLimiter::default()),
            skip_verify: false,
            debug_truncate_bytes: DEFAULT_DEBUG_TRUNCATE_BYTES,
            debug_headers: false,
        }
    }
}

/// Exponential back-off with jitter: the n-th retry waits between half and all of
/// `min * 2^n`, capped at `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait before the first retry (before jitter).
    pub min: Duration,
    /// The longest wait (before jitter).
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            min: Duration::from_secs(1),
            max: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    /// The wait before retry number `retry` (0-based); `unit` in `[0, 1)` picks the jitter.
    pub(crate) fn wait(&self, retry: u32, unit: f64) -> Duration {
        let full = self
            .min
            .saturating_mul(2u32.saturating_pow(retry.min(31)))
            .min(self.max);
        let half = full / 2;
        half + half.mul_f64(unit.clamp(0.0, 1.0))
    }
}
