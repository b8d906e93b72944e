//! In-process API tests: the router driven with `oneshot` on the in-memory store.
#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use ironbrick::state::{AppState, Settings};
use ironbrick_store::{MemStore, Store};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const ADMIN: &str = "dapi-test-admin-token-000000000000";

struct Api {
    state: AppState,
    account: String,
    _dir: tempfile::TempDir,
}

impl Api {
    fn new() -> Self {
        let store = Store::new(Arc::new(MemStore::new()));
        let dir = tempfile::tempdir().unwrap();
        let account = ironbrick::bootstrap::ensure_account(
            &store,
            dir.path(),
            "http://test",
            None,
            Some(ADMIN),
        )
        .unwrap();
        let settings = Settings {
            public_url: "http://test".into(),
            provisioning_delay: Duration::ZERO,
            trusted_proxies: Vec::new(),
            workspace_domain: None,
            oauth_token_ttl: Duration::from_secs(3600),
            password_backoff: ironbrick::passwords::DEFAULT_BACKOFF,
            cluster_transition: std::time::Duration::from_millis(200),
        };
        Self {
            state: AppState::new(
                store,
                account.clone(),
                settings,
                ironbrick::keys::local_envelope(dir.path(), Duration::from_secs(300)).unwrap(),
            ),
            account,
            _dir: dir,
        }
    }

    fn router(&self, from: [u8; 4]) -> Router {
        ironbrick::app(self.state.clone()).layer(MockConnectInfo(SocketAddr::from((from, 40000))))
    }

    async fn raw(
        &self,
        from: [u8; 4],
        method: Method,
        path: &str,
        token: &str,
        body: Body,
    ) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(body)
            .unwrap();
        let resp = self.router(from).oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, value)
    }

    async fn call(&self, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
        self.raw(
            [127, 0, 0, 1],
            method,
            path,
            ADMIN,
            Body::from(body.to_string()),
        )
        .await
    }

    fn acct(&self, rest: &str) -> String {
        format!("/api/2.0/accounts/{}{rest}", self.account)
    }

    async fn ok(&self, method: Method, path: &str, body: Value) -> Value {
        let (status, v) = self.call(method, path, body).await;
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    async fn key(&self, region: &str, use_cases: &[&str]) -> String {
        let arn =
            format!("arn:aws:kms:{region}:123456789012:key/11111111-2222-3333-4444-555555555555");
        let v = self
            .ok(
                Method::POST,
                &self.acct("/customer-managed-keys"),
                json!({"aws_key_info": {"key_arn": arn}, "use_cases": use_cases}),
            )
            .await;
        v["customer_managed_key_id"].as_str().unwrap().to_string()
    }

    async fn workspace(&self, extra: Value) -> Value {
        let cred = self
            .ok(Method::POST, &self.acct("/credentials"), json!({"credentials_name": "c", "aws_credentials": {"sts_role": {"role_arn": "arn:aws:iam::123456789012:role/r"}}}))
            .await;
        let storage = self
            .ok(Method::POST, &self.acct("/storage-configurations"), json!({"storage_configuration_name": "s", "root_bucket_info": {"bucket_name": "root-bucket"}}))
            .await;
        let mut body = json!({"workspace_name": "w", "aws_region": "us-east-1",
            "credentials_id": cred["credentials_id"], "storage_configuration_id": storage["storage_configuration_id"]});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        self.ok(Method::POST, &self.acct("/workspaces"), body).await
    }
}

#[tokio::test]
async fn cmk_is_fixed_at_creation_and_in_use_keys_stay() {
    let api = Api::new();
    let key = api.key("us-east-1", &["MANAGED_SERVICES"]).await;
    let other = api.key("us-east-1", &["MANAGED_SERVICES"]).await;
    let ws = api
        .workspace(json!({"managed_services_customer_managed_key_id": key}))
        .await;
    assert_eq!(ws["workspace_status"], "RUNNING");
    let id = ws["workspace_id"].as_i64().unwrap();
    assert_eq!(ws["workspace_url"], format!("http://test/w/{id}"));

    let path = api.acct(&format!("/workspaces/{id}"));
    let (status, err) = api
        .call(
            Method::PATCH,
            &path,
            json!({"managed_services_customer_managed_key_id": other}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error_code"], "INVALID_PARAMETER_VALUE");
    let masked = format!("{path}?update_mask=storage_customer_managed_key_id");
    let (status, _) = api
        .call(
            Method::PATCH,
            &masked,
            json!({"storage_customer_managed_key_id": other}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let renamed = api
        .ok(
            Method::PATCH,
            &format!("{path}?update_mask=workspace_name"),
            json!({"workspace_name": "renamed", "managed_services_customer_managed_key_id": key}),
        )
        .await;
    assert_eq!(renamed["workspace_name"], "renamed");

    let (status, err) = api
        .call(
            Method::DELETE,
            &api.acct(&format!("/customer-managed-keys/{key}")),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error_code"], "INVALID_STATE");
    api.ok(Method::DELETE, &path, json!({})).await;
    api.ok(
        Method::DELETE,
        &api.acct(&format!("/customer-managed-keys/{key}")),
        json!({}),
    )
    .await;
}

#[tokio::test]
async fn notebook_keys_must_be_in_supported_regions() {
    let api = Api::new();
    let key = api.key("eu-west-1", &["MANAGED_SERVICES"]).await;
    let cred = api
        .ok(Method::POST, &api.acct("/credentials"), json!({"credentials_name": "c", "aws_credentials": {"sts_role": {"role_arn": "arn:aws:iam::123456789012:role/r"}}}))
        .await;
    let storage = api
        .ok(Method::POST, &api.acct("/storage-configurations"), json!({"storage_configuration_name": "s", "root_bucket_info": {"bucket_name": "root-bucket"}}))
        .await;
    let (status, err) = api
        .call(Method::POST, &api.acct("/workspaces"), json!({"workspace_name": "w", "aws_region": "eu-west-1",
            "credentials_id": cred["credentials_id"], "storage_configuration_id": storage["storage_configuration_id"],
            "managed_services_customer_managed_key_id": key}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert!(err["message"].as_str().unwrap().contains("us-east-1"));
}

#[tokio::test]
async fn ip_lists_are_enforced_and_lockout_is_refused() {
    let api = Api::new();
    let id = api.workspace(json!({})).await["workspace_id"]
        .as_i64()
        .unwrap();
    let base = format!("/w/{id}/api/2.0");
    api.ok(
        Method::PATCH,
        &format!("{base}/workspace-conf"),
        json!({"enableIpAccessLists": "true"}),
    )
    .await;
    let (status, err) = api
        .call(
            Method::POST,
            &format!("{base}/ip-access-lists"),
            json!({"label": "me", "list_type": "BLOCK", "ip_addresses": ["127.0.0.1"]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    let (status, _) = api
        .call(
            Method::POST,
            &format!("{base}/ip-access-lists"),
            json!({"label": "bad", "list_type": "BLOCK", "ip_addresses": ["10.0.0.1/8"]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    api.ok(
        Method::POST,
        &format!("{base}/ip-access-lists"),
        json!({"label": "other", "list_type": "BLOCK", "ip_addresses": ["127.0.0.2"]}),
    )
    .await;
    let me = format!("{base}/preview/scim/v2/Me");
    let (status, _) = api
        .raw([127, 0, 0, 1], Method::GET, &me, ADMIN, Body::empty())
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, err) = api
        .raw([127, 0, 0, 2], Method::GET, &me, ADMIN, Body::empty())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(err["error_code"], "PERMISSION_DENIED");
}

#[tokio::test]
async fn workspace_tokens_stay_in_their_workspace() {
    let api = Api::new();
    let a = api.workspace(json!({})).await["workspace_id"]
        .as_i64()
        .unwrap();
    let b = api.workspace(json!({})).await["workspace_id"]
        .as_i64()
        .unwrap();
    let minted = api
        .ok(
            Method::POST,
            &format!("/w/{a}/api/2.0/token/create"),
            json!({"comment": "t"}),
        )
        .await;
    let token = minted["token_value"].as_str().unwrap();
    assert!(token.starts_with("dapi"));
    let (status, _) = api
        .raw(
            [127, 0, 0, 1],
            Method::GET,
            &format!("/w/{a}/api/2.0/preview/scim/v2/Me"),
            token,
            Body::empty(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = api
        .raw(
            [127, 0, 0, 1],
            Method::GET,
            &format!("/w/{b}/api/2.0/preview/scim/v2/Me"),
            token,
            Body::empty(),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = api
        .raw(
            [127, 0, 0, 1],
            Method::GET,
            &api.acct("/workspaces"),
            token,
            Body::empty(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn bad_bodies_get_databricks_errors() {
    let api = Api::new();
    let path = api.acct("/credentials");
    let (status, err) = api
        .raw(
            [127, 0, 0, 1],
            Method::POST,
            &path,
            ADMIN,
            Body::from("{nope"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error_code"], "MALFORMED_REQUEST");
    let huge = format!(
        "{{\"credentials_name\": \"{}\"}}",
        "x".repeat(ironbrick::limits::DEFAULT_MAX_BODY_BYTES)
    );
    let (status, err) = api
        .raw([127, 0, 0, 1], Method::POST, &path, ADMIN, Body::from(huge))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(err["error_code"], "REQUEST_LIMIT_EXCEEDED");
    let (status, err) = api
        .raw(
            [127, 0, 0, 1],
            Method::GET,
            "/api/2.0/nothing",
            ADMIN,
            Body::empty(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(err["error_code"], "ENDPOINT_NOT_FOUND");
    let (status, _) = api
        .raw(
            [127, 0, 0, 1],
            Method::GET,
            &api.acct("/workspaces"),
            "dapinope",
            Body::empty(),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn scim_principals_assignments_and_deactivation_through_the_router() {
    let api = Api::new();
    let ws = api.workspace(json!({})).await["workspace_id"]
        .as_i64()
        .unwrap();
    let scim = |rest: &str| format!("/w/{ws}/api/2.0/preview/scim/v2{rest}");

    // An account service principal, assigned through a nested account group.
    let sp = api
        .ok(
            Method::POST,
            &api.acct("/scim/v2/ServicePrincipals"),
            json!({"displayName": "bot"}),
        )
        .await;
    let (sp_id, app_id) = (
        sp["id"].as_str().unwrap(),
        sp["applicationId"].as_str().unwrap(),
    );
    let inner = api
        .ok(
            Method::POST,
            &api.acct("/scim/v2/Groups"),
            json!({"displayName": "inner", "members": [{"value": sp_id}]}),
        )
        .await;
    let outer = api
        .ok(
            Method::POST,
            &api.acct("/scim/v2/Groups"),
            json!({"displayName": "outer", "members": [{"value": inner["id"]}]}),
        )
        .await;
    let (status, _) = api
        .call(
            Method::GET,
            &scim(&format!("/ServicePrincipals/{sp_id}")),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let assign = api.acct(&format!(
        "/workspaces/{ws}/permissionassignments/principals/{}",
        outer["id"].as_str().unwrap()
    ));
    let a = api
        .ok(Method::PUT, &assign, json!({"permissions": ["USER"]}))
        .await;
    assert_eq!(a["principal"]["group_name"], "outer");
    let seen = api
        .ok(
            Method::GET,
            &scim(&format!("/ServicePrincipals/{sp_id}")),
            json!({}),
        )
        .await;
    assert_eq!(seen["applicationId"], app_id);

    // Its token works until it is deactivated, at once.
    let obo = api
        .ok(
            Method::POST,
            &format!("/w/{ws}/api/2.0/token-management/on-behalf-of/tokens"),
            json!({"application_id": app_id}),
        )
        .await;
    let token = obo["token_value"].as_str().unwrap();
    let me_path = scim("/Me");
    let me = || api.raw([127, 0, 0, 1], Method::GET, &me_path, token, Body::empty());
    let (status, body) = me().await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["userName"], app_id);
    api.ok(
        Method::PATCH,
        &api.acct(&format!("/scim/v2/ServicePrincipals/{sp_id}")),
        json!({"Operations": [{"op": "replace", "path": "active"}]}),
    )
    .await;
    let (status, body) = me().await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::FORBIDDEN, Some("PERMISSION_DENIED"))
    );
    api.ok(
        Method::PATCH,
        &api.acct(&format!("/scim/v2/ServicePrincipals/{sp_id}")),
        json!({"Operations": [{"op": "replace", "path": "active", "value": true}]}),
    )
    .await;
    assert_eq!(me().await.0, StatusCode::OK);
    api.ok(Method::DELETE, &assign, json!({})).await;
    assert_eq!(me().await.0, StatusCode::FORBIDDEN);

    // Paging past the end answers an empty page with the total, so clients stop.
    let page = api
        .ok(
            Method::GET,
            &api.acct("/scim/v2/Groups?startIndex=3&count=5"),
            json!({}),
        )
        .await;
    assert_eq!(
        (
            page["totalResults"].as_i64(),
            page["Resources"].as_array().map(Vec::len)
        ),
        (Some(2), Some(0))
    );
    let (status, err) = api
        .call(
            Method::GET,
            &api.acct("/scim/v2/Users?filter=userName%20eq"),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, err["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("INVALID_PARAMETER_VALUE"))
    );
}
