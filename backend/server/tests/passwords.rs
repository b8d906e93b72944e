//! Native authentication over HTTP: passwords set through SCIM, HTTP Basic on the account and
//! workspace APIs, password permissions, deactivation, throttling and its audit trail.
#![allow(clippy::unwrap_used)]

mod support;

use ironbrick::identity::{Kind, WorkspacePermission};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;
use support::{Answer, Server, ADMIN};

const ANN: &str = "ann@example.com";
const ANN_PW: &str = "ann's correct horse";
const ADMIN_USER: &str = "admin@ironbrick.local";
const ADMIN_PW: &str = "admin correct horse battery";

async fn basic(
    s: &Server,
    method: Method,
    url: &str,
    user: &str,
    pw: &str,
) -> (Answer, Option<String>) {
    let resp = s
        .http
        .request(method, url)
        .basic_auth(user, Some(pw))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let text = resp.text().await.unwrap();
    (
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        },
        retry,
    )
}

/// A server whose admin has a password, a workspace, and Ann (a plain user of it) with a
/// password set through the workspace SCIM API and a PAT.
async fn world(backoff: Duration) -> (Server, i64, i64, String) {
    let s = Server::start_with(Duration::from_secs(3600), backoff).await;
    ironbrick::bootstrap::ensure_admin_password(
        s.state.store(),
        std::path::Path::new("/nonexistent"),
        &s.host,
        &s.account,
        Some(ADMIN_PW),
    )
    .unwrap();
    let ws = s.workspace("pw").await;
    let ann = s
        .ok(
            Method::POST,
            &s.ws(ws, "/preview/scim/v2/Users"),
            json!({"userName": ANN, "password": ANN_PW}),
        )
        .await;
    assert!(ann.get("password").is_none(), "{ann}");
    assert!(!ann.to_string().contains(ANN_PW));
    let id: i64 = ann["id"].as_str().unwrap().parse().unwrap();
    let pat = s.token(id, ws);
    (s, ws, id, pat)
}

#[tokio::test]
async fn basic_works_on_both_apis_and_wrong_passwords_are_401() {
    let (s, ws, _, _) = world(Duration::from_secs(1)).await;
    let (a, _) = basic(
        &s,
        Method::GET,
        &s.acct("/workspaces"),
        ADMIN_USER,
        ADMIN_PW,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let me = s.ws(ws, "/preview/scim/v2/Me");
    let (a, _) = basic(&s, Method::GET, &me, ANN, ANN_PW).await;
    assert_eq!((a.status, a.body["userName"].as_str()), (200, Some(ANN)));
    // Twice: the second answer comes from the cache of verified passwords.
    let (a, _) = basic(&s, Method::GET, &me, "ANN@example.com", ANN_PW).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(s.state.passwords().cache().len(), 2);
    let (a, _) = basic(&s, Method::GET, &me, ANN, "ann's wrong horse").await;
    assert_eq!((a.status, a.error_code()), (401, Some("UNAUTHENTICATED")));
    assert!(!a.body.to_string().contains("wrong horse"));
    let (a, _) = basic(&s, Method::GET, &me, "nobody@example.com", ANN_PW).await;
    assert_eq!(a.status, 401);
    // Ann is no account admin: the account API refuses her password as it would her token.
    let (a, _) = basic(&s, Method::GET, &s.acct("/workspaces"), ANN, ANN_PW).await;
    assert_eq!((a.status, a.error_code()), (403, Some("PERMISSION_DENIED")));
    // Tokens work as before.
    let a = s.send(Method::GET, &me, ADMIN, None).await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn policy_and_kinds_are_checked_and_passwords_change_and_go_with_the_user() {
    let (s, ws, id, _) = world(Duration::from_secs(1)).await;
    let users = s.acct("/scim/v2/Users");
    for (pw, why) in [("short", "at least 12"), ("bob@example.com", "user name")] {
        let a = s
            .send(
                Method::POST,
                &users,
                ADMIN,
                Some(&json!({"userName": "bob@example.com", "password": pw})),
            )
            .await;
        assert_eq!(
            a.error_code(),
            Some("INVALID_PARAMETER_VALUE"),
            "{}",
            a.body
        );
        let msg = a.body["message"].as_str().unwrap();
        assert!(
            msg.contains(why) && !msg.contains(&format!("\"{pw}\"")),
            "{msg}"
        );
    }
    let a = s
        .send(
            Method::POST,
            &s.acct("/scim/v2/ServicePrincipals"),
            ADMIN,
            Some(&json!({"displayName": "bot", "password": "a long enough one"})),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    let a = s
        .send(
            Method::POST,
            &s.acct("/scim/v2/Groups"),
            ADMIN,
            Some(&json!({"displayName": "g", "password": "a long enough one"})),
        )
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    // PATCH changes the password: the old one (cached) stops working at once.
    let me = s.ws(ws, "/preview/scim/v2/Me");
    assert_eq!(basic(&s, Method::GET, &me, ANN, ANN_PW).await.0.status, 200);
    let patched = s
        .ok(
            Method::PATCH,
            &format!("{users}/{id}"),
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                   "Operations": [{"op": "replace", "path": "password", "value": "a brand new password"}]}),
        )
        .await;
    assert!(patched.get("password").is_none());
    assert_eq!(basic(&s, Method::GET, &me, ANN, ANN_PW).await.0.status, 401);
    assert_eq!(
        basic(&s, Method::GET, &me, ANN, "a brand new password")
            .await
            .0
            .status,
        200
    );
    // PUT too.
    s.ok(
        Method::PUT,
        &format!("{users}/{id}"),
        json!({"userName": ANN, "password": "the third password"}),
    )
    .await;
    assert_eq!(
        basic(&s, Method::GET, &me, ANN, "the third password")
            .await
            .0
            .status,
        200
    );
    // Deleting the user deletes its password.
    assert!(ironbrick::passwords::get(s.state.store(), id)
        .unwrap()
        .is_some());
    let a = s
        .send(Method::DELETE, &format!("{users}/{id}"), ADMIN, None)
        .await;
    assert_eq!(a.status, 204);
    assert!(ironbrick::passwords::get(s.state.store(), id)
        .unwrap()
        .is_none());
    assert_eq!(
        basic(&s, Method::GET, &me, ANN, "the third password")
            .await
            .0
            .status,
        401
    );
}

#[tokio::test]
async fn password_permissions_gate_sign_in_but_not_tokens() {
    let (s, ws, id, pat) = world(Duration::from_secs(1)).await;
    let me = s.ws(ws, "/preview/scim/v2/Me");
    let perms = s.ws(ws, "/permissions/authorization/passwords");
    let got = s.ok(Method::GET, &perms, json!({})).await;
    assert_eq!(got["object_id"], "/authorization/passwords");
    assert_eq!(got["object_type"], "passwords");
    // Only admins (always) once the default grant to users is replaced by nothing.
    s.ok(Method::PUT, &perms, json!({"access_control_list": []}))
        .await;
    let (a, _) = basic(&s, Method::GET, &me, ANN, ANN_PW).await;
    assert_eq!((a.status, a.error_code()), (403, Some("PERMISSION_DENIED")));
    let msg = a.body["message"].as_str().unwrap();
    assert!(
        msg.contains(&format!("Password sign-in is not permitted for {ANN}")),
        "{msg}"
    );
    assert_eq!(s.send(Method::GET, &me, &pat, None).await.status, 200);
    // Admins keep password sign-in.
    let (a, _) = basic(&s, Method::GET, &me, ADMIN_USER, ADMIN_PW).await;
    assert_eq!(a.status, 200, "{}", a.body);
    // CAN_USE granted to Ann.
    s.ok(
        Method::PATCH,
        &perms,
        json!({"access_control_list": [{"user_name": ANN, "permission_level": "CAN_USE"}]}),
    )
    .await;
    assert_eq!(basic(&s, Method::GET, &me, ANN, ANN_PW).await.0.status, 200);
    // Plain users cannot change password permissions.
    let a = s.send(Method::GET, &perms, &pat, None).await;
    assert_eq!(a.status, 403);
    // Deactivated: refused at once, even with the password cached.
    s.ok(
        Method::PATCH,
        &s.acct(&format!("/scim/v2/Users/{id}")),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
               "Operations": [{"op": "replace", "path": "active", "value": false}]}),
    )
    .await;
    let (a, _) = basic(&s, Method::GET, &me, ANN, ANN_PW).await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(a.body["message"].as_str().unwrap().contains("deactivated"));
}

#[tokio::test]
async fn failures_are_throttled_audited_and_the_right_password_works_after_the_back_off() {
    let (s, ws, _, _) = world(Duration::from_millis(300)).await;
    let me = s.ws(ws, "/preview/scim/v2/Me");
    for _ in 0..ironbrick::passwords::throttle::PER_PAIR_FREE {
        let (a, _) = basic(&s, Method::GET, &me, ANN, "not the password").await;
        assert_eq!(a.status, 401);
    }
    // Throttled before any verification: even the right password waits.
    let (a, retry) = basic(&s, Method::GET, &me, ANN, ANN_PW).await;
    assert_eq!(
        (a.status, a.error_code()),
        (429, Some("REQUEST_LIMIT_EXCEEDED"))
    );
    assert_eq!(retry.as_deref(), Some("1"));
    tokio::time::sleep(Duration::from_millis(350)).await;
    let (a, _) = basic(&s, Method::GET, &me, ANN, ANN_PW).await;
    assert_eq!(a.status, 200, "{}", a.body);
    // Every failure is in the audit log under the attempted user name, never the password.
    let log = s.ok(Method::GET, &s.acct("/audit-logs"), json!({})).await;
    let entries = log["entries"].as_array().unwrap();
    let failures: Vec<&Value> = entries
        .iter()
        .filter(|e| e["status"] == 401 || e["status"] == 429)
        .collect();
    assert_eq!(failures.len(), 4, "{entries:?}");
    assert!(failures
        .iter()
        .all(|e| e["principal"] == ANN && e["workspace_id"] == ws));
    assert!(!log.to_string().contains("not the password") && !log.to_string().contains(ANN_PW));
    // A user name from the directory with no password, and account principals: all 401.
    let bob = s.principal(
        Kind::User,
        "bob@example.com",
        true,
        Some((ws, WorkspacePermission::User)),
    );
    assert!(bob > 0);
    let (a, _) = basic(&s, Method::GET, &me, "bob@example.com", "anything at all").await;
    assert_eq!(a.status, 401);
}

#[tokio::test]
async fn admin_password_is_generated_into_bootstrap_json_once() {
    let s = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bootstrap.json"),
        json!({"host": s.host, "account_id": s.account, "token": ADMIN}).to_string(),
    )
    .unwrap();
    let store = s.state.store();
    ironbrick::bootstrap::ensure_admin_password(store, dir.path(), &s.host, &s.account, None)
        .unwrap();
    let read = || -> Value {
        serde_json::from_slice(&std::fs::read(dir.path().join("bootstrap.json")).unwrap()).unwrap()
    };
    let first = read();
    let pw = first["password"].as_str().unwrap().to_string();
    assert!(pw.len() >= ironbrick::passwords::MIN_LENGTH);
    assert_eq!(first["token"], ADMIN);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("bootstrap.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The next start keeps it.
    ironbrick::bootstrap::ensure_admin_password(store, dir.path(), &s.host, &s.account, None)
        .unwrap();
    assert_eq!(read()["password"], pw.as_str());
    let (a, _) = basic(&s, Method::GET, &s.acct("/workspaces"), ADMIN_USER, &pw).await;
    assert_eq!(a.status, 200, "{}", a.body);
    // A given password replaces it, and the generated one leaves bootstrap.json.
    ironbrick::bootstrap::ensure_admin_password(
        store,
        dir.path(),
        &s.host,
        &s.account,
        Some(ADMIN_PW),
    )
    .unwrap();
    assert!(read().get("password").is_none());
    let err = ironbrick::bootstrap::ensure_admin_password(
        store,
        dir.path(),
        &s.host,
        &s.account,
        Some("short"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("at least 12") && !err.to_string().contains("short\""));
}
