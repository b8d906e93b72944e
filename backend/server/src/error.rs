//! The server's one error type and its mapping to HTTP status + Databricks `error_code`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ironbrick_api::{ErrorBody, ErrorCode};
use ironbrick_store::StoreError;

/// An error answered to a client.
///
/// `Client` errors carry a code and a message safe to show. `Internal` errors carry details for
/// the log only: the client sees a generic message.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A refusal the client can act on.
    #[error("{code:?}: {message}")]
    Client { code: ErrorCode, message: String },
    /// A failure inside the server.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result of handlers and services.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// A refusal with `code`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Client {
            code,
            message: message.into(),
        }
    }

    /// 400 INVALID_PARAMETER_VALUE.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameterValue, message)
    }

    /// 404 RESOURCE_DOES_NOT_EXIST.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ResourceDoesNotExist, message)
    }

    /// 403 PERMISSION_DENIED.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::PermissionDenied, message)
    }

    /// 401 UNAUTHENTICATED.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, message)
    }

    /// 409 RESOURCE_ALREADY_EXISTS.
    pub fn exists(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ResourceAlreadyExists, message)
    }

    /// 400 INVALID_STATE.
    pub fn invalid_state(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidState, message)
    }

    /// The message a client sees (internal details are never part of it).
    pub fn message(&self) -> &str {
        match self {
            Self::Client { message, .. } => message,
            Self::Internal(_) => "Internal error.",
        }
    }

    /// The error code answered.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Client { code, .. } => *code,
            Self::Internal(_) => ErrorCode::InternalError,
        }
    }
}

/// The one place storage failures become HTTP answers: a transient one (the database is
/// unreachable, or a transaction kept conflicting past the engine's retries) is 503
/// TEMPORARILY_UNAVAILABLE, which clients retry; any other is a 500 whose detail stays in the
/// log.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if let StoreError::Full(detail) = &e {
            tracing::warn!(%detail, "store refused a request: disk full");
            return Self::new(
                ErrorCode::TemporarilyUnavailable,
                "The control plane's disk is full; retry once space is freed.",
            );
        }
        if e.is_transient() {
            tracing::warn!(detail = %e, "store temporarily unavailable");
            return Self::new(
                ErrorCode::TemporarilyUnavailable,
                "The control plane's store is temporarily unavailable; retry later.",
            );
        }
        Self::Internal(e.to_string())
    }
}

impl ApiError {
    /// The answer with `status` instead of the code's own (431 for oversized headers, whose
    /// code is REQUEST_LIMIT_EXCEEDED like 413's).
    pub fn into_response_with_status(self, status: StatusCode) -> Response {
        let mut resp = self.into_response();
        *resp.status_mut() = status;
        resp
    }
}

/// 429 REQUEST_LIMIT_EXCEEDED with `Retry-After: secs` (whole seconds), as Databricks throttles:
/// the SDKs raise `TooManyRequests` and retry after that long.
pub fn throttled(message: String, secs: u64) -> Response {
    let code = ErrorCode::RequestLimitExceeded;
    let body = ErrorBody {
        error_code: code.as_str().to_string(),
        message,
    };
    let mut resp = (
        StatusCode::TOO_MANY_REQUESTS,
        [(axum::http::header::RETRY_AFTER, secs.to_string())],
        Json(body),
    )
        .into_response();
    resp.extensions_mut().insert(code);
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (code, message) = match self {
            Self::Client { code, message } => (code, message),
            Self::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (
                    ErrorCode::InternalError,
                    "Internal error; see the server log.".to_string(),
                )
            }
        };
        let status =
            StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorBody {
            error_code: code.as_str().to_string(),
            message,
        };
        let mut resp = (status, Json(body)).into_response();
        resp.extensions_mut().insert(code);
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_store_failures_and_a_full_disk_answer_503_and_others_500() {
        for e in [StoreError::Unavailable("down".into()), StoreError::Conflict] {
            let api = ApiError::from(e);
            assert_eq!(api.code(), ErrorCode::TemporarilyUnavailable);
            assert_eq!(api.code().http_status(), 503);
        }
        let full = ApiError::from(StoreError::Full("12 bytes available".into()));
        assert_eq!(full.code().http_status(), 503);
        assert!(full.message().contains("disk is full"));
        assert!(!full.message().contains("12 bytes"));
        let api = ApiError::from(StoreError::Engine("disk".into()));
        assert_eq!(api.code(), ErrorCode::InternalError);
        assert!(!api.message().contains("disk"));
    }
}
