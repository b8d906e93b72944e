//! The JSON body extractor: rejections answer in the Databricks error format.

use crate::error::ApiError;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use bytes::Bytes;
use ironbrick_api::ErrorCode;
use serde::de::DeserializeOwned;

/// A JSON request body. An empty body reads as `{}`.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    ErrorCode::RequestLimitExceeded,
                    "Request body exceeds the size limit.",
                )
            } else {
                ApiError::new(
                    ErrorCode::MalformedRequest,
                    "Request body could not be read.",
                )
            }
        })?;
        parse(&bytes).map(Body)
    }
}

/// Parses a JSON body, mapping syntax errors to MALFORMED_REQUEST and shape errors to
/// INVALID_PARAMETER_VALUE.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            ApiError::invalid(format!("Invalid request body: {e}"))
        }
        _ => ApiError::new(
            ErrorCode::MalformedRequest,
            format!(
                "Malformed JSON request body at line {} column {}.",
                e.line(),
                e.column()
            ),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::parse;
    use serde_json::Value;

    /// Found by the `json_requests` fuzz target: numbers read from a body must be the nearest
    /// double (serde_json's `float_roundtrip`), so what the server stores and echoes is what
    /// the client sent, and serializing then reading again changes nothing.
    #[test]
    fn floats_are_read_exactly_and_round_trip() {
        let v: Value = parse(br#"{"n": 9.999999e+38}"#).unwrap_or_default();
        assert_eq!(v["n"].as_f64(), Some(9.999999e38));
        let wire = serde_json::to_vec(&v).unwrap_or_default();
        assert_eq!(parse::<Value>(&wire).unwrap_or_default(), v);
    }
}
