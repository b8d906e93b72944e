//! One audit entry as a line of Databricks' audit log schema (JSON).
//!
//! Fields: `version` ("2.0"), `auditLevel` (`WORKSPACE_LEVEL`, or `ACCOUNT_LEVEL` for events
//! of no workspace), `timestamp` (ms), `workspaceId` (0 for account-level events, as
//! Databricks delivers them), `accountId`, `serviceName`, `actionName`, `requestId`,
//! `requestParams`, `response {statusCode, errorMessage}`, `userIdentity {email}`,
//! `sourceIPAddress`, `userAgent`.
//!
//! `serviceName` and `actionName` are derived from the request ([`names`]). `errorMessage` is
//! the Databricks error code of a refused request (the message text is not recorded: it may
//! quote request values). `requestParams` are re-checked through [`crate::redact`] here as
//! well, so even an entry recorded before redaction existed cannot leak a token-shaped value.

use crate::model::AuditRecord;
use crate::redact;
use serde_json::{json, Map, Value};

/// The schema version written in every line.
pub const VERSION: &str = "2.0";

/// Words that end an RPC-style path (`/clusters/create`) and are taken as the action itself.
const RPC_VERBS: &[&str] = &[
    "create",
    "delete",
    "edit",
    "get",
    "list",
    "put",
    "update",
    "start",
    "restart",
    "resize",
    "permanent-delete",
    "pin",
    "unpin",
    "import",
    "export",
    "mkdirs",
    "revoke",
    "change-owner",
    "events",
    "install",
    "uninstall",
    "reset",
];

/// `(serviceName, actionName)` of a request. The service is the first segment after the API
/// version (`clusters`, `secrets`, `token`, ...; `accounts` for the account API, `oauth2` for
/// token endpoints). The action is the final segment of an RPC-style path (`create`,
/// `put`, ...), else the HTTP verb and the resource (`POST /credentials` →
/// `createCredentials`, `DELETE /credentials/{id}` → `deleteCredentials`).
pub fn names(method: &str, path: &str) -> (String, String) {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let api = segments
        .iter()
        .position(|s| *s == "api")
        .map(|i| i + 2)
        .filter(|i| *i <= segments.len());
    let Some(start) = api else {
        let service = if path.contains("/oidc/") {
            "oauth2"
        } else {
            "ironbrick"
        };
        let last = segments.last().copied().unwrap_or("request");
        return (service.to_owned(), camel(last));
    };
    let rest = &segments[start..];
    let (service, tail) = match rest {
        ["accounts", _account, tail @ ..] => ("accounts", tail),
        [service, tail @ ..] => (*service, tail),
        [] => ("ironbrick", rest),
    };
    let last_literal = tail
        .iter()
        .rev()
        .find(|s| !looks_like_id(s))
        .copied()
        .unwrap_or(service);
    let ends_with_literal = tail.last().is_some_and(|s| !looks_like_id(s));
    let action = if ends_with_literal && RPC_VERBS.contains(&last_literal) {
        camel(last_literal)
    } else {
        let verb = match method {
            "GET" => "get",
            "POST" => "create",
            "PUT" => "replace",
            "PATCH" => "update",
            "DELETE" => "delete",
            other => return (service.to_owned(), other.to_ascii_lowercase()),
        };
        format!("{verb}{}", pascal(last_literal))
    };
    (service.to_owned(), action)
}

/// Whether a path segment is an identifier rather than a word: it has a digit, or is long.
fn looks_like_id(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit()) || s.len() > 40 || s.contains('@')
}

fn pascal(s: &str) -> String {
    s.split(['-', '_'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn camel(s: &str) -> String {
    let p = pascal(s);
    let mut c = p.chars();
    c.next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// The request id of `r`: its own, or one derived from its sequence number for entries
/// recorded before request ids were.
pub fn request_id(r: &AuditRecord) -> String {
    r.request_id
        .clone()
        .unwrap_or_else(|| format!("ironbrick-audit-{}", r.seq))
}

/// The JSON line (without the newline) of entry `r` of account `account_id`.
pub fn line(account_id: &str, r: &AuditRecord) -> Value {
    let (service, action) = names(&r.method, &r.path);
    let params: Map<String, Value> = r
        .request_params
        .iter()
        .map(|(k, v)| (redact::scrub(k), Value::String(redact::param(k, v))))
        .collect();
    let error = (r.status >= 400).then(|| {
        r.error_code
            .clone()
            .unwrap_or_else(|| format!("HTTP {}", r.status))
    });
    json!({
        "version": VERSION,
        "auditLevel": if r.workspace_id.is_some() { "WORKSPACE_LEVEL" } else { "ACCOUNT_LEVEL" },
        "timestamp": r.timestamp,
        "workspaceId": r.workspace_id.unwrap_or(0),
        "accountId": account_id,
        "serviceName": service,
        "actionName": action,
        "requestId": request_id(r),
        "requestParams": params,
        "response": { "statusCode": r.status, "errorMessage": error, "result": Value::Null },
        "userIdentity": { "email": r.principal.as_deref().map(redact::scrub) },
        "sourceIPAddress": r.source_ip,
        "userAgent": r.user_agent.as_deref().map(redact::scrub),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn record() -> AuditRecord {
        AuditRecord {
            seq: 7,
            timestamp: 1_796_320_247_000,
            principal: Some("admin@ironbrick.local".into()),
            principal_id: Some(1),
            method: "POST".into(),
            path: "/w/42/api/2.0/secrets/put".into(),
            workspace_id: Some(42),
            source_ip: "127.0.0.1".into(),
            status: 403,
            error_code: Some("PERMISSION_DENIED".into()),
            request_id: Some("r-1".into()),
            user_agent: Some("databricks-sdk-py/0.1".into()),
            request_params: BTreeMap::from([
                ("scope".to_owned(), "s".to_owned()),
                ("string_value".to_owned(), "hunter2".to_owned()),
            ]),
        }
    }

    #[test]
    fn lines_follow_the_databricks_schema() {
        let l = line("acct", &record());
        assert_eq!(l["version"], "2.0");
        assert_eq!(l["timestamp"], 1_796_320_247_000_i64);
        assert_eq!(l["workspaceId"], 42);
        assert_eq!(l["serviceName"], "secrets");
        assert_eq!(l["actionName"], "put");
        assert_eq!(l["requestId"], "r-1");
        assert_eq!(l["requestParams"]["scope"], "s");
        assert_eq!(l["requestParams"]["string_value"], redact::REDACTED);
        assert_eq!(l["response"]["statusCode"], 403);
        assert_eq!(l["response"]["errorMessage"], "PERMISSION_DENIED");
        assert_eq!(l["userIdentity"]["email"], "admin@ironbrick.local");
        assert_eq!(l["sourceIPAddress"], "127.0.0.1");
        assert_eq!(l["userAgent"], "databricks-sdk-py/0.1");
        assert!(!l.to_string().contains("hunter2"));
    }

    #[test]
    fn account_events_are_workspace_zero_and_old_entries_get_an_id() {
        let mut r = record();
        r.workspace_id = None;
        r.request_id = None;
        r.status = 200;
        r.path = "/api/2.0/accounts/a-1/credentials".into();
        let l = line("acct", &r);
        assert_eq!(l["workspaceId"], 0);
        assert_eq!(l["auditLevel"], "ACCOUNT_LEVEL");
        assert_eq!(l["requestId"], "ironbrick-audit-7");
        assert!(l["response"]["errorMessage"].is_null());
        assert_eq!(l["serviceName"], "accounts");
        assert_eq!(l["actionName"], "createCredentials");
    }

    #[test]
    fn service_and_action_names() {
        let n = |m, p| names(m, p);
        assert_eq!(
            n("POST", "/w/1/api/2.0/clusters/create"),
            ("clusters".into(), "create".into())
        );
        assert_eq!(
            n("POST", "/w/1/api/2.0/token/delete"),
            ("token".into(), "delete".into())
        );
        assert_eq!(
            n(
                "DELETE",
                "/api/2.0/accounts/0a1b2c3d-0000/credentials/5e6f7a8b-1111"
            ),
            ("accounts".into(), "deleteCredentials".into())
        );
        assert_eq!(
            n("PATCH", "/api/2.0/accounts/a1/log-delivery/c1d2"),
            ("accounts".into(), "updateLogDelivery".into())
        );
        assert_eq!(
            n("POST", "/w/1/api/2.0/secrets/scopes/create"),
            ("secrets".into(), "create".into())
        );
        assert_eq!(
            n("PATCH", "/w/1/api/2.0/preview/scim/v2/Users/123"),
            ("preview".into(), "updateUsers".into())
        );
        assert_eq!(n("POST", "/oidc/v1/token").0, "oauth2");
    }
}
