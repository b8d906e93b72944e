//! Request/response debug logging (tracing, DEBUG), as the official SDKs log round trips:
//! method, URL, status and elapsed time, bodies with long strings and lists truncated, headers
//! on request. Secrets never reach the log: the `Authorization` header, sensitive JSON fields
//! (tokens, passwords, secrets, secret values) and the client's own token wherever it appears
//! are replaced by [`REDACTED`].

use reqwest::header::HeaderMap;
use serde_json::Value;

/// What stands in for a secret in the log.
pub const REDACTED: &str = "**REDACTED**";

/// JSON fields whose values are secrets wherever they appear.
const SECRET_FIELDS: &[&str] = &[
    "token",
    "token_value",
    "string_value",
    "bytes_value",
    "value",
    "content",
    "password",
    "secret",
    "private_key",
    "authorization",
];

/// Whether a JSON field (or header) name holds a secret.
fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    SECRET_FIELDS.contains(&n.as_str())
        || n.ends_with("_token")
        || n.ends_with("_secret")
        || n.ends_with("password")
        || n.ends_with("_private_key")
}

/// Whether a header value must be hidden.
fn is_secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "authorization" | "cookie" | "set-cookie" | "proxy-authorization"
    ) || n.contains("token")
        || n.contains("secret")
}

/// One body for the log: JSON redacted and truncated, anything else truncated.
pub(crate) fn body(bytes: &[u8], limit: usize) -> String {
    if bytes.is_empty() {
        return String::new();
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(mut v) => {
            redact(&mut v);
            let mut budget = limit as i64;
            truncate(&mut v, limit, &mut budget);
            v.to_string()
        }
        Err(_) => cut(&String::from_utf8_lossy(bytes), limit),
    }
}

/// Replaces the values of secret fields, at any depth.
pub(crate) fn redact(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, field) in m.iter_mut() {
                if is_secret_name(k) && !field.is_null() {
                    *field = Value::String(REDACTED.to_owned());
                } else {
                    redact(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// Cuts strings to `limit` bytes and lists once `budget` bytes have been shown.
fn truncate(v: &mut Value, limit: usize, budget: &mut i64) {
    match v {
        Value::String(s) => *s = cut(s, limit),
        Value::Object(m) => {
            for field in m.values_mut() {
                truncate(field, limit, budget);
                *budget -= field.to_string().len() as i64;
            }
        }
        Value::Array(items) => {
            let total = items.len();
            let mut kept = 0;
            for item in items.iter_mut() {
                if kept > 0 && *budget <= 0 {
                    break;
                }
                truncate(item, limit, budget);
                *budget -= item.to_string().len() as i64;
                kept += 1;
            }
            if kept < total {
                items.truncate(kept);
                items.push(Value::String(format!(
                    "... ({} additional elements)",
                    total - kept
                )));
            }
        }
        _ => {}
    }
}

/// At most `limit` bytes of `s` (on a character boundary), saying how much was left out.
fn cut(s: &str, limit: usize) -> String {
    if s.len() <= limit {
        return s.to_owned();
    }
    let mut end = limit;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} more bytes)", &s[..end], s.len() - end)
}

/// Header lines (`{prefix} * name: value`), secrets redacted, values truncated.
pub(crate) fn headers(prefix: &str, h: &HeaderMap, limit: usize) -> String {
    let mut out = String::new();
    for (name, value) in h {
        let shown = if is_secret_header(name.as_str()) {
            REDACTED.to_owned()
        } else {
            cut(&String::from_utf8_lossy(value.as_bytes()), limit)
        };
        out.push_str(&format!("\n{prefix} * {name}: {shown}"));
    }
    out
}

/// Hides every occurrence of `secret` in `text` (belt and braces for the client's own token,
/// should a server echo it somewhere unexpected). Secrets shorter than 8 bytes are not searched
/// for, so that short common strings are not mangled.
pub(crate) fn scrub(text: String, secret: &str) -> String {
    if secret.len() >= 8 && text.contains(secret) {
        text.replace(secret, REDACTED)
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};

    #[test]
    fn secret_fields_are_redacted_at_any_depth() {
        let raw = br#"{"scope":"s","key":"k","string_value":"hunter2",
            "token_info":{"token_id":"t1","comment":"c"},"token_value":"dapiSECRET",
            "nested":[{"client_secret":"cs","password":"pw","name":"n"}],"token":{"x":"y"}}"#;
        let out = body(raw, 1000);
        for secret in ["hunter2", "dapiSECRET", "cs\"", "pw\"", "\"y\""] {
            assert!(!out.contains(secret), "{secret} leaked: {out}");
        }
        for kept in ["\"scope\":\"s\"", "\"token_id\":\"t1\"", "\"name\":\"n\""] {
            assert!(out.contains(kept), "{kept} missing: {out}");
        }
    }

    #[test]
    fn long_strings_and_lists_are_truncated() {
        let long = "x".repeat(200);
        let raw = serde_json::json!({ "comment": long }).to_string();
        let out = body(raw.as_bytes(), 96);
        assert!(
            out.contains(&format!("{}... (104 more bytes)", "x".repeat(96))),
            "{out}"
        );
        let list: Vec<_> = (0..100).map(|i| format!("item-{i}")).collect();
        let raw = serde_json::json!({ "ips": list }).to_string();
        let out = body(raw.as_bytes(), 32);
        assert!(out.contains("additional elements"), "{out}");
        assert!(out.len() < 200, "{out}");
        let out = body("é".repeat(10).as_bytes(), 5);
        assert_eq!(out, "éé... (16 more bytes)");
    }

    #[test]
    fn authorization_and_token_headers_are_redacted() {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer dapiSECRET"));
        h.insert("x-databricks-token", HeaderValue::from_static("dapiOTHER"));
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let out = headers(">", &h, 96);
        assert!(!out.contains("dapi"), "{out}");
        assert!(out.contains("> * authorization: **REDACTED**"), "{out}");
        assert!(out.contains("> * content-type: application/json"), "{out}");
    }

    #[test]
    fn the_clients_token_is_scrubbed_anywhere() {
        let text = "<html>bad token dapi0123456789 here</html>".to_owned();
        assert_eq!(
            scrub(text, "dapi0123456789"),
            "<html>bad token **REDACTED** here</html>"
        );
        assert_eq!(scrub("a b".to_owned(), "a"), "a b");
    }
}
