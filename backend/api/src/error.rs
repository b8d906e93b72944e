//! The Databricks error body and its stable error codes.

use serde::{Deserialize, Serialize};

/// The JSON body of every non-2xx answer: `{"error_code": "...", "message": "..."}`.
///
/// The official SDKs map the HTTP status together with `error_code` to typed exceptions
/// (`InvalidParameterValue`, `ResourceDoesNotExist`, `PermissionDenied`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine-readable code, one of [`ErrorCode`]'s spellings.
    pub error_code: String,
    /// Human-readable explanation; never contains secrets or internal details.
    pub message: String,
}

/// The Databricks error codes Ironbrick answers with, each with its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 400: a parameter is missing, malformed or not allowed.
    InvalidParameterValue,
    /// 400: the body is not valid JSON or not of the expected shape.
    MalformedRequest,
    /// 400: a per-workspace or per-account limit would be exceeded.
    QuotaExceeded,
    /// 400: the object is in a state that does not allow the operation.
    InvalidState,
    /// 400: a directory with children was deleted without `recursive`.
    DirectoryNotEmpty,
    /// 401: no credentials, or credentials that are not valid.
    Unauthenticated,
    /// 403: the caller is authenticated but not allowed to do this (or not from this address).
    PermissionDenied,
    /// 404: the object does not exist.
    ResourceDoesNotExist,
    /// 404: no such API endpoint.
    EndpointNotFound,
    /// 409: an object with this identity already exists.
    ResourceAlreadyExists,
    /// 409: the object is in use by another object.
    ResourceConflict,
    /// 413: the request body (or, with 431, its header) exceeds the size limit; also the code of
    /// 429 answers to throttled callers, which carry `Retry-After` (see the server's limits).
    RequestLimitExceeded,
    /// 405: the HTTP method is not supported on this path.
    MethodNotAllowed,
    /// 503: a dependency (such as the customer's KMS key) is unavailable.
    TemporarilyUnavailable,
    /// 500: an internal error; details are logged on the server, never sent.
    InternalError,
    /// 500: data the server holds is corrupt or lost (gRPC's DATA_LOSS, "unrecoverable data
    /// loss or corruption", which Google's canonical codes and Databricks answer as 500; the
    /// SDKs raise `DataLoss`, a subclass of `InternalError`). Ironbrick answers it when a
    /// stored ciphertext fails authentication: the fault is in the server's data at rest, not
    /// in the request, so unlike AWS KMS's `InvalidCiphertextException` (400, for ciphertext
    /// the caller sent) it is not a client error.
    DataLoss,
}

impl ErrorCode {
    /// The code as spelled in `error_code`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidParameterValue => "INVALID_PARAMETER_VALUE",
            Self::MalformedRequest => "MALFORMED_REQUEST",
            Self::QuotaExceeded => "QUOTA_EXCEEDED",
            Self::InvalidState => "INVALID_STATE",
            Self::DirectoryNotEmpty => "DIRECTORY_NOT_EMPTY",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::PermissionDenied => "PERMISSION_DENIED",
            Self::ResourceDoesNotExist => "RESOURCE_DOES_NOT_EXIST",
            Self::EndpointNotFound => "ENDPOINT_NOT_FOUND",
            Self::ResourceAlreadyExists => "RESOURCE_ALREADY_EXISTS",
            Self::ResourceConflict => "RESOURCE_CONFLICT",
            Self::RequestLimitExceeded => "REQUEST_LIMIT_EXCEEDED",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::TemporarilyUnavailable => "TEMPORARILY_UNAVAILABLE",
            Self::InternalError => "INTERNAL_ERROR",
            Self::DataLoss => "DATA_LOSS",
        }
    }

    /// The HTTP status the code is answered with.
    pub fn http_status(self) -> u16 {
        match self {
            Self::InvalidParameterValue
            | Self::MalformedRequest
            | Self::QuotaExceeded
            | Self::InvalidState
            | Self::DirectoryNotEmpty => 400,
            Self::Unauthenticated => 401,
            Self::PermissionDenied => 403,
            Self::ResourceDoesNotExist | Self::EndpointNotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::ResourceAlreadyExists | Self::ResourceConflict => 409,
            Self::RequestLimitExceeded => 413,
            Self::InternalError | Self::DataLoss => 500,
            Self::TemporarilyUnavailable => 503,
        }
    }

    /// Parses an `error_code` string; unknown codes give `None`.
    pub fn parse(code: &str) -> Option<Self> {
        ALL.iter().copied().find(|c| c.as_str() == code)
    }
}

const ALL: [ErrorCode; 16] = [
    ErrorCode::InvalidParameterValue,
    ErrorCode::MalformedRequest,
    ErrorCode::QuotaExceeded,
    ErrorCode::InvalidState,
    ErrorCode::DirectoryNotEmpty,
    ErrorCode::Unauthenticated,
    ErrorCode::PermissionDenied,
    ErrorCode::ResourceDoesNotExist,
    ErrorCode::EndpointNotFound,
    ErrorCode::ResourceAlreadyExists,
    ErrorCode::ResourceConflict,
    ErrorCode::RequestLimitExceeded,
    ErrorCode::MethodNotAllowed,
    ErrorCode::TemporarilyUnavailable,
    ErrorCode::InternalError,
    ErrorCode::DataLoss,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_parses_back() {
        for code in ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::parse("NOPE"), None);
    }
}
