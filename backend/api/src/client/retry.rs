//! Which failures are retried. The rule is safety first: retry only when the server cannot have
//! acted on the request, or when repeating it is harmless.
//!
//! - 429 (Too Many Requests) and 503 (Service Unavailable) mean the server did not act: any
//!   method is retried, after `Retry-After` seconds when the answer gives them.
//! - A connection that could not be opened means nothing was sent: any method is retried.
//! - A timeout or a connection lost after sending may come after the server acted: only
//!   idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) are retried; a POST or PATCH is not.

use super::{api_error, ClientError};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use std::time::Duration;

/// What one attempt produced.
pub(crate) enum Outcome {
    /// The request could not even be built (a malformed URL): nothing was sent.
    Invalid(String),
    /// An answer (status, headers, body) or a transport failure.
    Sent(Result<(StatusCode, HeaderMap, bytes::Bytes), Failure>),
}

impl Outcome {
    /// The HTTP status of the answer, when there was one.
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            Self::Sent(Ok((status, _, _))) => Some(status.as_u16()),
            _ => None,
        }
    }
}

/// A transport failure and whether the server may have seen the request.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: ClientError,
    /// True when the request may have reached the server (anything but a failed connect).
    pub(crate) maybe_acted: bool,
}

impl Failure {
    /// Classifies a reqwest error; `reading_body` when the headers had already arrived.
    pub(crate) fn from_reqwest(e: &reqwest::Error, reading_body: bool, timeout: Duration) -> Self {
        let causes = causes(e);
        let not_sent = e.is_connect() && !reading_body;
        let message = if e.is_timeout() && !e.is_connect() {
            format!(
                "no complete answer within {}s (http_timeout_seconds)",
                timeout.as_secs_f64()
            )
        } else if not_sent {
            format!("cannot connect: {causes}")
        } else if reading_body {
            format!("reading the answer failed: {causes}")
        } else {
            causes
        };
        Self {
            error: ClientError::Transport(message),
            maybe_acted: !not_sent,
        }
    }
}

/// The innermost explanations of an error (reqwest's own message names only the URL).
fn causes(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

/// What to do after an attempt.
pub(crate) enum Verdict {
    /// Return this to the caller.
    Done(Result<bytes::Bytes, ClientError>),
    /// Retry (unless the retry timeout forbids), after the server's wait when it named one.
    Retry(ClientError, Option<Duration>),
}

/// Whether `method` may be repeated without changing the outcome (RFC 9110 §9.2.2).
pub(crate) fn idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// Decides what to do with an attempt's outcome.
pub(crate) fn classify(method: &Method, outcome: Outcome) -> Verdict {
    match outcome {
        Outcome::Invalid(m) => Verdict::Done(Err(ClientError::Transport(m))),
        Outcome::Sent(Ok((status, headers, bytes))) => {
            if status.is_success() {
                Verdict::Done(Ok(bytes))
            } else if status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::SERVICE_UNAVAILABLE
            {
                Verdict::Retry(api_error(status.as_u16(), &bytes), retry_after(&headers))
            } else {
                Verdict::Done(Err(api_error(status.as_u16(), &bytes)))
            }
        }
        Outcome::Sent(Err(f)) => {
            if !f.maybe_acted || idempotent(method) {
                Verdict::Retry(f.error, None)
            } else {
                Verdict::Done(Err(f.error))
            }
        }
    }
}

/// The `Retry-After` wait, when given in seconds.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    v.parse::<u64>().ok().map(Duration::from_secs)
}

/// The last error, saying that retries ran out.
pub(crate) fn gave_up(err: ClientError, attempts: u32, elapsed: Duration) -> ClientError {
    let note = format!(
        " (gave up after {attempts} attempts in {:.1}s; see retry_timeout_seconds)",
        elapsed.as_secs_f64()
    );
    match err {
        ClientError::Api {
            status,
            code,
            message,
        } => ClientError::Api {
            status,
            code,
            message: message + &note,
        },
        ClientError::Transport(m) => ClientError::Transport(m + &note),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Backoff;
    use reqwest::header::HeaderValue;

    fn answer(status: u16) -> Outcome {
        let status = StatusCode::from_u16(status).expect("status");
        Outcome::Sent(Ok((status, HeaderMap::new(), bytes::Bytes::new())))
    }

    fn lost(maybe_acted: bool) -> Outcome {
        Outcome::Sent(Err(Failure {
            error: ClientError::Transport("x".into()),
            maybe_acted,
        }))
    }

    fn retries(method: Method, o: Outcome) -> bool {
        matches!(classify(&method, o), Verdict::Retry(..))
    }

    #[test]
    fn only_429_503_and_safe_transport_failures_are_retried() {
        assert!(retries(Method::POST, answer(429)));
        assert!(retries(Method::POST, answer(503)));
        for s in [200, 400, 404, 409, 500, 502, 504] {
            assert!(!retries(Method::GET, answer(s)), "{s}");
        }
        assert!(retries(Method::POST, lost(false)), "not sent: safe");
        assert!(!retries(Method::POST, lost(true)), "POST may have acted");
        assert!(!retries(Method::PATCH, lost(true)), "PATCH may have acted");
        assert!(retries(Method::GET, lost(true)));
        assert!(retries(Method::PUT, lost(true)));
        assert!(retries(Method::DELETE, lost(true)));
    }

    #[test]
    fn retry_after_seconds_are_read() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static(" 7 "));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None, "dates fall back to back-off");
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let b = Backoff {
            min: Duration::from_millis(100),
            max: Duration::from_millis(1000),
        };
        assert_eq!(b.wait(0, 0.0), Duration::from_millis(50));
        assert_eq!(b.wait(0, 1.0), Duration::from_millis(100));
        assert_eq!(b.wait(2, 1.0), Duration::from_millis(400));
        assert_eq!(b.wait(3, 0.5), Duration::from_millis(600));
        assert_eq!(b.wait(10, 1.0), Duration::from_millis(1000));
        assert_eq!(b.wait(u32::MAX, 1.0), Duration::from_millis(1000));
    }

    #[test]
    fn giving_up_keeps_the_error_and_says_so() {
        let e = gave_up(
            ClientError::Api {
                status: 503,
                code: None,
                message: "busy".into(),
            },
            4,
            Duration::from_millis(1500),
        );
        assert_eq!(
            e.to_string(),
            "HTTP_ERROR (503): busy (gave up after 4 attempts in 1.5s; see retry_timeout_seconds)"
        );
    }
}
