//! In-process tests of OAuth M2M: the secrets API, the token endpoints, how OAuth access
//! tokens are stored (out of token lists, cleaned up when expired) and discovery in both
//! workspace URL forms.
#![allow(clippy::unwrap_used)]

mod support;

use ironbrick::identity::{Kind, WorkspacePermission};
use ironbrick::model::TokenRecord;
use ironbrick::oauth::{access_token_prefix, secrets};
use ironbrick::repo::{self, trees};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;
use support::{Server, ADMIN};

/// Creates a service principal (assigned to `ws` when given) with one secret; returns its
/// id, application id and secret value.
async fn sp_with_secret(s: &Server, ws: Option<i64>) -> (i64, String, String) {
    let app_id = uuid::Uuid::new_v4().to_string();
    let id = s.principal(
        Kind::ServicePrincipal,
        &app_id,
        true,
        ws.map(|w| (w, WorkspacePermission::User)),
    );
    let created = s
        .ok(
            Method::POST,
            &s.acct(&format!("/servicePrincipals/{id}/credentials/secrets")),
            json!({"lifetime": "3600s"}),
        )
        .await;
    (id, app_id, created["secret"].as_str().unwrap().to_string())
}

/// Posts a token request with `form`; returns status and body.
async fn token(s: &Server, url: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = s.http.post(url).form(form).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn client_form<'a>(app_id: &'a str, secret: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("scope", "all-apis"),
        ("client_id", app_id),
        ("client_secret", secret),
    ]
}

fn oauth_tokens(s: &Server, sp: i64) -> Vec<TokenRecord> {
    repo::scan(s.state.store(), trees::TOKENS, &access_token_prefix(sp)).unwrap()
}

#[tokio::test]
async fn secrets_are_admin_only_and_shown_once() {
    let s = Server::start().await;
    let ws = s.workspace("w").await;
    let (sp, _, secret) = sp_with_secret(&s, Some(ws)).await;
    let url = s.acct(&format!("/servicePrincipals/{sp}/credentials/secrets"));
    let listed = s.ok(Method::GET, &url, json!({})).await;
    assert_eq!(listed["secrets"].as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(&secret));
    assert_eq!(listed["secrets"][0]["status"], "ACTIVE");
    // only the digest is stored
    let stored = secrets::list(s.state.store(), sp).unwrap();
    assert!(!format!("{stored:?}").contains(&secret));
    // a workspace user's token does not reach the account API; a user is no service principal
    let user = s.principal(
        Kind::User,
        "u@corp.example",
        true,
        Some((ws, WorkspacePermission::User)),
    );
    let user_token = s.token(user, ws);
    assert_eq!(
        s.send(Method::GET, &url, &user_token, None).await.status,
        403
    );
    let not_sp = s
        .send(
            Method::POST,
            &s.acct(&format!("/servicePrincipals/{user}/credentials/secrets")),
            ADMIN,
            Some(&json!({})),
        )
        .await;
    assert_eq!(not_sp.status, 404, "{:?}", not_sp.body);
    let bad = s
        .send(
            Method::POST,
            &url,
            ADMIN,
            Some(&json!({"lifetime": "99999999999s"})),
        )
        .await;
    assert_eq!(bad.error_code(), Some("INVALID_PARAMETER_VALUE"));
    // the workspace proxy is for workspace admins
    let proxy = s.ws(
        ws,
        &format!("/accounts/servicePrincipals/{sp}/credentials/secrets"),
    );
    assert_eq!(
        s.send(Method::GET, &proxy, &user_token, None).await.status,
        403
    );
    let listed = s.send(Method::GET, &proxy, ADMIN, None).await;
    assert_eq!(listed.body["secrets"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn access_tokens_work_stay_out_of_token_lists_and_cannot_be_revoked_there() {
    let s = Server::start().await;
    let ws = s.workspace("w").await;
    let (sp, app_id, secret) = sp_with_secret(&s, Some(ws)).await;
    let (status, body) = token(
        &s,
        &format!("{}/w/{ws}/oidc/v1/token", s.host),
        &client_form(&app_id, &secret),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let access = body["access_token"].as_str().unwrap();
    let me = s
        .send(Method::GET, &s.ws(ws, "/preview/scim/v2/Me"), access, None)
        .await;
    assert_eq!(me.body["id"], sp.to_string());
    let own = s
        .send(Method::GET, &s.ws(ws, "/token/list"), access, None)
        .await;
    assert_eq!(own.body["token_infos"], json!([]));
    let all = s
        .send(
            Method::GET,
            &s.ws(ws, "/token-management/tokens"),
            ADMIN,
            None,
        )
        .await;
    assert!(
        !all.body.to_string().contains(&sp.to_string()),
        "{}",
        all.body
    );
    let stored = oauth_tokens(&s, sp);
    assert_eq!(stored.len(), 1);
    assert!(!format!("{stored:?}").contains(access));
    let id = &stored[0].token_id;
    for method in [Method::GET, Method::DELETE] {
        let a = s
            .send(
                method,
                &s.ws(ws, &format!("/token-management/tokens/{id}")),
                ADMIN,
                None,
            )
            .await;
        assert_eq!(a.status, 404);
    }
    let del = s
        .send(
            Method::POST,
            &s.ws(ws, "/token/delete"),
            access,
            Some(&json!({"token_id": id})),
        )
        .await;
    assert_eq!(del.status, 404);
    let me = s
        .send(Method::GET, &s.ws(ws, "/preview/scim/v2/Me"), access, None)
        .await;
    assert_eq!(me.status, 200);
}

#[tokio::test]
async fn expired_access_tokens_are_refused_and_cleaned_up() {
    let s = Server::start_with_oauth_ttl(Duration::from_millis(300)).await;
    let ws = s.workspace("w").await;
    let (sp, app_id, secret) = sp_with_secret(&s, Some(ws)).await;
    let url = format!("{}/w/{ws}/oidc/v1/token", s.host);
    let (_, first) = token(&s, &url, &client_form(&app_id, &secret)).await;
    let (_, second) = token(&s, &url, &client_form(&app_id, &secret)).await;
    assert_eq!(first["expires_in"], 1);
    assert_eq!(oauth_tokens(&s, sp).len(), 2);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let me = s
        .send(
            Method::GET,
            &s.ws(ws, "/preview/scim/v2/Me"),
            first["access_token"].as_str().unwrap(),
            None,
        )
        .await;
    assert_eq!(me.status, 401);
    assert!(me.body["message"].as_str().unwrap().contains("expired"));
    // the presented one is gone; a new token sweeps the other expired one
    assert_eq!(oauth_tokens(&s, sp).len(), 1);
    let (_, third) = token(&s, &url, &client_form(&app_id, &secret)).await;
    let left = oauth_tokens(&s, sp);
    assert_eq!(left.len(), 1);
    assert_ne!(second["access_token"], third["access_token"]);
}

#[tokio::test]
async fn account_tokens_need_the_role_and_deleting_the_principal_drops_its_secrets() {
    let s = Server::start().await;
    let (sp, app_id, secret) = sp_with_secret(&s, None).await;
    let url = format!("{}/oidc/accounts/{}/v1/token", s.host, s.account);
    let (status, body) = token(&s, &url, &client_form(&app_id, &secret)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "roles", "value": [{"value": "account_admin"}]}]});
    s.ok(
        Method::PATCH,
        &s.acct(&format!("/scim/v2/ServicePrincipals/{sp}")),
        patch,
    )
    .await;
    let (status, body) = token(&s, &url, &client_form(&app_id, &secret)).await;
    assert_eq!(status, 200, "{body}");
    let access = body["access_token"].as_str().unwrap();
    let listed = s
        .send(Method::GET, &s.acct("/workspaces"), access, None)
        .await;
    assert_eq!(listed.status, 200);
    let other = format!("{}/oidc/accounts/{}/v1/token", s.host, uuid::Uuid::new_v4());
    let (status, _) = token(&s, &other, &client_form(&app_id, &secret)).await;
    assert_eq!(status, 400);
    s.ok(
        Method::DELETE,
        &s.acct(&format!("/scim/v2/ServicePrincipals/{sp}")),
        json!({}),
    )
    .await;
    assert!(secrets::list(s.state.store(), sp).unwrap().is_empty());
    let gone = s
        .send(Method::GET, &s.acct("/workspaces"), access, None)
        .await;
    assert_eq!(gone.status, 401);
    assert!(oauth_tokens(&s, sp).is_empty());
}

#[tokio::test]
async fn token_requests_are_checked_in_oauth_format() {
    let s = Server::start().await;
    let ws = s.workspace("w").await;
    let (_, app_id, secret) = sp_with_secret(&s, Some(ws)).await;
    let url = format!("{}/w/{ws}/oidc/v1/token", s.host);
    let json_body = s
        .http
        .post(&url)
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body.status().as_u16(), 400);
    let body: Value = json_body.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    let basic = s
        .http
        .post(&url)
        .basic_auth(&app_id, Some("dose-wrong"))
        .form(&[("grant_type", "client_credentials"), ("scope", "all-apis")])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 401);
    assert!(basic.headers().contains_key("www-authenticate"));
    let both = s
        .http
        .post(&url)
        .basic_auth(&app_id, Some(&secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(both.status().as_u16(), 400);
    let (status, body) = token(
        &s,
        &format!("{}/w/12345/oidc/v1/token", s.host),
        &client_form(&app_id, &secret),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let mut no_grant = client_form(&app_id, &secret);
    no_grant.remove(0);
    let (status, body) = token(&s, &url, &no_grant).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

#[tokio::test]
async fn token_permissions_govern_personal_tokens_not_oauth_tokens() {
    let s = Server::start().await;
    let ws = s.workspace("w").await;
    let (sp, app_id, secret) = sp_with_secret(&s, Some(ws)).await;
    s.principal(
        Kind::User,
        "someone@corp.example",
        true,
        Some((ws, WorkspacePermission::User)),
    );
    s.ok(
        Method::PUT,
        &s.ws(ws, "/permissions/authorization/tokens"),
        json!({"access_control_list": [
            {"user_name": "someone@corp.example", "permission_level": "CAN_USE"}
        ]}),
    )
    .await;
    let pat = s.token(sp, ws);
    let me = s.ws(ws, "/preview/scim/v2/Me");
    assert_eq!(s.send(Method::GET, &me, &pat, None).await.status, 403);
    let (_, body) = token(
        &s,
        &format!("{}/w/{ws}/oidc/v1/token", s.host),
        &client_form(&app_id, &secret),
    )
    .await;
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(s.send(Method::GET, &me, access, None).await.status, 200);
    // the issuance is audited under the service principal, without the secret
    let log = s
        .ok(Method::GET, &s.acct("/audit-logs"), json!({}))
        .await
        .to_string();
    assert!(log.contains(&format!("/w/{ws}/oidc/v1/token")), "{log}");
    assert!(log.contains(&app_id));
    assert!(!log.contains(&secret) && !log.contains(access));
}
