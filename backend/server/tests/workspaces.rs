//! In-process tests of workspace provisioning: deployment names, host-based workspace URLs
//! (`--workspace-domain`), the AWS fields of the create and update requests, and the refusal of
//! other clouds' fields.
#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use ironbrick::hosts::WorkspaceDomain;
use ironbrick::model::WorkspaceRecord;
use ironbrick::state::{AppState, Settings};
use ironbrick_store::record::Record;
use ironbrick_store::{MemStore, Store};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const ADMIN: &str = "dapi-test-admin-token-000000000000";
const DOMAIN: &str = "ironbrick.test";

struct Api {
    state: AppState,
    account: String,
    _dir: tempfile::TempDir,
}

impl Api {
    /// A server at `http://accounts.ironbrick.test:8420`, with the workspace domain when asked.
    fn new(with_domain: bool) -> Self {
        Self::over(Store::new(Arc::new(MemStore::new())), with_domain)
    }

    fn over(store: Store, with_domain: bool) -> Self {
        let public_url = "http://accounts.ironbrick.test:8420";
        let dir = tempfile::tempdir().unwrap();
        let account =
            ironbrick::bootstrap::ensure_account(&store, dir.path(), public_url, None, Some(ADMIN))
                .unwrap();
        let settings = Settings {
            public_url: public_url.into(),
            provisioning_delay: Duration::ZERO,
            trusted_proxies: Vec::new(),
            workspace_domain: with_domain
                .then(|| WorkspaceDomain::new(DOMAIN, public_url).unwrap()),
            oauth_token_ttl: Duration::from_secs(3600),
            password_backoff: ironbrick::passwords::DEFAULT_BACKOFF,
            cluster_transition: std::time::Duration::from_millis(200),
        };
        let envelope =
            ironbrick::keys::local_envelope(dir.path(), Duration::from_secs(300)).unwrap();
        Self {
            state: AppState::new(store, account.clone(), settings, envelope),
            account,
            _dir: dir,
        }
    }

    async fn send(
        &self,
        host: &str,
        method: Method,
        path: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", host)
            .header("authorization", format!("Bearer {ADMIN}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let resp = ironbrick::app(self.state.clone())
            .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))))
            .oneshot(req)
            .await
            .unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }

    async fn call(&self, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
        self.send("accounts.ironbrick.test:8420", method, path, body)
            .await
    }

    async fn ok(&self, method: Method, path: &str, body: Value) -> Value {
        let (status, v) = self.call(method, path, body).await;
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    fn acct(&self, rest: &str) -> String {
        format!("/api/2.0/accounts/{}{rest}", self.account)
    }

    /// A create body with fresh credentials and storage, extended by `extra`.
    async fn body(&self, extra: Value) -> Value {
        let cred = self
            .ok(
                Method::POST,
                &self.acct("/credentials"),
                json!({"credentials_name": "c",
                "aws_credentials": {"sts_role": {"role_arn": "arn:aws:iam::123456789012:role/r"}}}),
            )
            .await;
        let storage = self
            .ok(Method::POST, &self.acct("/storage-configurations"), json!({
                "storage_configuration_name": "s", "root_bucket_info": {"bucket_name": "root-bucket"}}))
            .await;
        let mut body = json!({"workspace_name": "w", "aws_region": "us-east-1",
            "credentials_id": cred["credentials_id"], "storage_configuration_id": storage["storage_configuration_id"]});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    }

    async fn create(&self, extra: Value) -> (StatusCode, Value) {
        let body = self.body(extra).await;
        self.call(Method::POST, &self.acct("/workspaces"), body)
            .await
    }

    async fn workspace(&self, extra: Value) -> Value {
        let (status, v) = self.create(extra).await;
        assert!(status.is_success(), "{status} {v}");
        v
    }
}

fn assert_error(got: &(StatusCode, Value), status: StatusCode, code: &str, needle: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["error_code"], code, "{}", got.1);
    assert!(
        got.1["message"].as_str().unwrap().contains(needle),
        "{} does not mention {needle}",
        got.1
    );
}

#[tokio::test]
async fn deployment_names_are_validated_unique_defaulted_and_freed() {
    let api = Api::new(false);
    let ws = api.workspace(json!({})).await;
    let name = ws["deployment_name"].as_str().unwrap();
    assert!(name.starts_with("dbc-") && name.len() == 17, "{name}");
    ironbrick_api::validate::deployment_name(name).unwrap();
    let id = ws["workspace_id"].as_i64().unwrap();
    assert_eq!(
        ws["workspace_url"],
        format!("http://accounts.ironbrick.test:8420/w/{id}")
    );

    let team = api.workspace(json!({"deployment_name": "team-a"})).await;
    assert_eq!(team["deployment_name"], "team-a");
    let dup = api.create(json!({"deployment_name": "team-a"})).await;
    assert_error(
        &dup,
        StatusCode::CONFLICT,
        "RESOURCE_ALREADY_EXISTS",
        "team-a",
    );
    for bad in ["Team", "-a", "a_b", "a.b", "EMPTY", &"x".repeat(64)] {
        let got = api.create(json!({"deployment_name": bad})).await;
        assert_error(
            &got,
            StatusCode::BAD_REQUEST,
            "INVALID_PARAMETER_VALUE",
            "deployment_name",
        );
    }
    let listed = api
        .ok(Method::GET, &api.acct("/workspaces"), json!({}))
        .await;
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["deployment_name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"team-a") && names.contains(&name),
        "{names:?}"
    );

    let team_id = team["workspace_id"].as_i64().unwrap();
    api.ok(
        Method::DELETE,
        &api.acct(&format!("/workspaces/{team_id}")),
        json!({}),
    )
    .await;
    let again = api.workspace(json!({"deployment_name": "team-a"})).await;
    assert_eq!(again["deployment_name"], "team-a");
    let got = api
        .call(
            Method::PATCH,
            &api.acct(&format!("/workspaces/{id}?update_mask=deployment_name")),
            json!({"deployment_name": "other"}),
        )
        .await;
    assert_error(
        &got,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
        "cannot be updated",
    );
}

#[tokio::test]
async fn workspace_hosts_route_to_their_workspace_and_the_path_form_stays() {
    let api = Api::new(true);
    let ws = api.workspace(json!({"deployment_name": "team-a"})).await;
    let id = ws["workspace_id"].as_i64().unwrap();
    assert_eq!(ws["workspace_url"], "http://team-a.ironbrick.test:8420");
    let other = api.workspace(json!({})).await;
    let other_host = format!("{}.{DOMAIN}", other["deployment_name"].as_str().unwrap());
    assert_eq!(other["workspace_url"], format!("http://{other_host}:8420"));

    // a token minted through the host form works there and in the path form, not elsewhere
    let host = "team-a.ironbrick.test:8420";
    let (status, minted) = api
        .send(
            host,
            Method::POST,
            "/api/2.0/token/create",
            json!({"comment": "h"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{minted}");
    let listed = api
        .call(
            Method::GET,
            &format!("/w/{id}/api/2.0/token/list"),
            json!({}),
        )
        .await;
    assert!(
        listed.1.to_string().contains("\"comment\":\"h\""),
        "{}",
        listed.1
    );
    let (status, meta) = api
        .send(
            host,
            Method::GET,
            "/.well-known/databricks-config",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(meta["workspace_id"], id.to_string());
    let (status, conf) = api
        .send(
            "TEAM-A.ironbrick.test",
            Method::GET,
            "/api/2.0/workspace-conf?keys=enableIpAccessLists",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{conf}");

    // the account API stays on the public host; unknown workspace hosts are 404s
    let (status, _) = api
        .send(host, Method::GET, &api.acct("/workspaces"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let unknown = api
        .send(
            "nobody.ironbrick.test:8420",
            Method::GET,
            "/api/2.0/preview/scim/v2/Me",
            json!({}),
        )
        .await;
    assert_error(
        &unknown,
        StatusCode::NOT_FOUND,
        "RESOURCE_DOES_NOT_EXIST",
        "nobody",
    );
    let posted = api
        .send(
            "nobody.ironbrick.test",
            Method::POST,
            "/api/2.0/token/create",
            json!({}),
        )
        .await;
    assert_eq!(posted.0, StatusCode::NOT_FOUND);
    // other hosts (IP addresses, names outside the domain) are the account host
    let (status, _) = api
        .send(
            "127.0.0.1:8420",
            Method::GET,
            &api.acct("/workspaces"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // a deleted workspace's host stops answering
    api.ok(
        Method::DELETE,
        &api.acct(&format!("/workspaces/{id}")),
        json!({}),
    )
    .await;
    let gone = api
        .send(host, Method::GET, "/api/2.0/preview/scim/v2/Me", json!({}))
        .await;
    assert_error(
        &gone,
        StatusCode::NOT_FOUND,
        "RESOURCE_DOES_NOT_EXIST",
        "team-a",
    );

    // the public host's own label cannot be a deployment name
    let reserved = api.create(json!({"deployment_name": "accounts"})).await;
    assert_error(
        &reserved,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
        "reserved",
    );
}

#[tokio::test]
async fn workspaces_stored_without_a_deployment_name_get_one_and_a_host() {
    let store = Store::new(Arc::new(MemStore::new()));
    let seed = Api::over(store.clone(), true);
    let ws = seed.workspace(json!({})).await;
    let id = ws["workspace_id"].as_i64().unwrap();
    // rewrite it as format 1 stored it: no deployment name, no index entry
    let key = format!("w{id:020}/");
    let raw = store
        .kv()
        .get("workspaces", key.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(raw[0], WorkspaceRecord::VERSION);
    let mut old: Value = serde_json::from_slice(&raw[1..]).unwrap();
    let name = old["deployment_name"].as_str().unwrap().to_string();
    old["deployment_name"] = Value::Null;
    for newer in [
        "compute_mode",
        "is_no_public_ip_enabled",
        "network_connectivity_config_id",
        "expected_workspace_status",
        "external_customer_info",
    ] {
        old.as_object_mut().unwrap().remove(newer);
    }
    let mut v1 = vec![1u8];
    v1.extend(serde_json::to_vec(&old).unwrap());
    store
        .kv()
        .transaction(&|tx| {
            tx.put("workspaces", key.as_bytes(), &v1).unwrap();
            tx.delete("deployment_names", name.as_bytes()).unwrap();
            true
        })
        .unwrap();

    // it reads with a stable derived name before the migration runs...
    let legacy = ironbrick::account::legacy_deployment_name(id);
    let read = seed
        .ok(
            Method::GET,
            &seed.acct(&format!("/workspaces/{id}")),
            json!({}),
        )
        .await;
    assert_eq!(read["deployment_name"], legacy);
    // ...and the start-up migration stores and indexes it, so its host answers
    assert_eq!(
        ironbrick::account::backfill_deployment_names(&store).unwrap(),
        1
    );
    assert_eq!(
        ironbrick::account::backfill_deployment_names(&store).unwrap(),
        0
    );
    let raw = store
        .kv()
        .get("workspaces", key.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(raw[0], WorkspaceRecord::VERSION);
    let (status, me) = seed
        .send(
            &format!("{legacy}.{DOMAIN}"),
            Method::GET,
            "/api/2.0/preview/scim/v2/Me",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
}

#[tokio::test]
async fn aws_fields_are_stored_returned_and_updated() {
    let api = Api::new(false);
    let ws = api
        .workspace(json!({
            "custom_tags": {"team": "data", "empty": ""},
            "is_no_public_ip_enabled": false,
            "pricing_tier": "PREMIUM",
            "network_connectivity_config_id": "ncc-1",
            "cloud": "aws",
            "external_customer_info": {"customer_name": "Acme", "authoritative_user_email": "a@acme.test",
                "authoritative_user_full_name": "A. Admin"},
        }))
        .await;
    assert_eq!(ws["custom_tags"], json!({"team": "data", "empty": ""}));
    assert_eq!(ws["is_no_public_ip_enabled"], false);
    assert_eq!(ws["pricing_tier"], "PREMIUM");
    assert_eq!(ws["compute_mode"], "HYBRID");
    assert_eq!(ws["storage_mode"], "CUSTOMER_HOSTED");
    assert_eq!(ws["cloud"], "aws");
    assert_eq!(ws["network_connectivity_config_id"], "ncc-1");
    assert_eq!(ws["external_customer_info"]["customer_name"], "Acme");
    let id = ws["workspace_id"].as_i64().unwrap();
    let path = api.acct(&format!("/workspaces/{id}"));

    let classic = api
        .ok(Method::PATCH, &path, json!({"custom_tags": {"team": "ml"}}))
        .await;
    assert_eq!(classic["custom_tags"], json!({"team": "ml"}));
    let masked = api
        .ok(
            Method::PATCH,
            &format!("{path}?update_mask=custom_tags,network_connectivity_config_id"),
            json!({"custom_tags": {"cost-center": "42"}, "workspace_name": "ignored",
                "network_connectivity_config_id": "ncc-2"}),
        )
        .await;
    assert_eq!(masked["custom_tags"], json!({"cost-center": "42"}));
    assert_eq!(masked["network_connectivity_config_id"], "ncc-2");
    assert_eq!(masked["workspace_name"], "w");
    let bad_tag = api
        .call(Method::PATCH, &path, json!({"custom_tags": {"aws:x": "1"}}))
        .await;
    assert_error(
        &bad_tag,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
        "aws:",
    );
    let got = api.ok(Method::GET, &path, json!({})).await;
    assert_eq!(got["custom_tags"], json!({"cost-center": "42"}));

    let bad_mode = api.create(json!({"compute_mode": "TURBO"})).await;
    assert_error(
        &bad_mode,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
        "compute_mode",
    );
    let serverless_with_creds = api.create(json!({"compute_mode": "SERVERLESS"})).await;
    assert_error(
        &serverless_with_creds,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
        "SERVERLESS",
    );
    let serverless = api
        .ok(
            Method::POST,
            &api.acct("/workspaces"),
            json!({"workspace_name": "sl", "aws_region": "us-east-1", "compute_mode": "SERVERLESS"}),
        )
        .await;
    assert_eq!(serverless["compute_mode"], "SERVERLESS");
    assert_eq!(serverless["storage_mode"], "DEFAULT_STORAGE");
    assert_eq!(serverless["workspace_status"], "RUNNING");
    let missing = api
        .call(
            Method::POST,
            &api.acct("/workspaces"),
            json!({"workspace_name": "x", "aws_region": "us-east-1"}),
        )
        .await;
    assert_error(
        &missing,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
        "credentials_id",
    );
}

#[tokio::test]
async fn expected_status_provisioning_holds_the_workspace_until_released() {
    let api = Api::new(false);
    let ws = api
        .workspace(json!({"expected_workspace_status": "PROVISIONING"}))
        .await;
    assert_eq!(ws["workspace_status"], "PROVISIONING");
    assert_eq!(ws["expected_workspace_status"], "PROVISIONING");
    let id = ws["workspace_id"].as_i64().unwrap();
    let path = api.acct(&format!("/workspaces/{id}"));
    assert_eq!(
        api.ok(Method::GET, &path, json!({})).await["workspace_status"],
        "PROVISIONING"
    );
    let released = api
        .ok(
            Method::PATCH,
            &format!("{path}?update_mask=expected_workspace_status"),
            json!({"expected_workspace_status": "RUNNING"}),
        )
        .await;
    assert_eq!(released["workspace_status"], "RUNNING");
    let back = api
        .call(
            Method::PATCH,
            &path,
            json!({"expected_workspace_status": "PROVISIONING"}),
        )
        .await;
    assert_error(&back, StatusCode::BAD_REQUEST, "INVALID_STATE", "RUNNING");
    let bad = api
        .create(json!({"expected_workspace_status": "BANNED"}))
        .await;
    assert_error(
        &bad,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
        "expected_workspace_status",
    );
}

#[tokio::test]
async fn other_clouds_fields_are_refused_by_name() {
    let api = Api::new(false);
    for (field, value) in [
        ("location", json!("us-east4")),
        (
            "cloud_resource_container",
            json!({"gcp": {"project_id": "p"}}),
        ),
        (
            "gcp_managed_network_config",
            json!({"subnet_cidr": "10.0.0.0/16"}),
        ),
        (
            "gke_config",
            json!({"connectivity_type": "PRIVATE_NODE_PUBLIC_MASTER"}),
        ),
        ("azure_workspace_info", json!({"resource_group": "rg"})),
    ] {
        let got = api.create(json!({ field: value })).await;
        assert_error(
            &got,
            StatusCode::BAD_REQUEST,
            "INVALID_PARAMETER_VALUE",
            &format!("{field} not supported: Ironbrick serves AWS workspaces"),
        );
    }
    let gcp = api.create(json!({"cloud": "gcp"})).await;
    assert_error(
        &gcp,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
        "Ironbrick serves AWS",
    );
    let id = api.workspace(json!({})).await["workspace_id"]
        .as_i64()
        .unwrap();
    let patched = api
        .call(
            Method::PATCH,
            &api.acct(&format!("/workspaces/{id}")),
            json!({"gke_config": {"master_ip_range": "10.0.0.0/28"}}),
        )
        .await;
    assert_error(
        &patched,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
        "gke_config",
    );

    let network = api
        .call(
            Method::POST,
            &api.acct("/networks"),
            json!({"network_name": "n", "gcp_network_info": {"network_project_id": "p"}}),
        )
        .await;
    assert_error(
        &network,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
        "gcp_network_info not supported",
    );
    for field in ["gcp_key_info", "azure_key_info"] {
        let got = api
            .call(
                Method::POST,
                &api.acct("/customer-managed-keys"),
                json!({ field: {"kms_key_id": "k"}, "use_cases": ["STORAGE"] }),
            )
            .await;
        assert_error(
            &got,
            StatusCode::BAD_REQUEST,
            "INVALID_PARAMETER_VALUE",
            &format!("{field} not supported"),
        );
    }
}

#[tokio::test]
async fn credentials_keep_a_chosen_external_id() {
    let api = Api::new(false);
    let body = |ext: Value| {
        json!({"credentials_name": "c", "aws_credentials": {"sts_role": {
            "role_arn": "arn:aws:iam::123456789012:role/r", "external_id": ext}}})
    };
    let chosen = api
        .ok(
            Method::POST,
            &api.acct("/credentials"),
            body(json!("acme-ext-1")),
        )
        .await;
    assert_eq!(
        chosen["aws_credentials"]["sts_role"]["external_id"],
        "acme-ext-1"
    );
    let default = api
        .ok(Method::POST, &api.acct("/credentials"), body(Value::Null))
        .await;
    assert_eq!(
        default["aws_credentials"]["sts_role"]["external_id"],
        api.account
    );
    let bad = api
        .call(
            Method::POST,
            &api.acct("/credentials"),
            body(json!("no spaces")),
        )
        .await;
    assert_error(
        &bad,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
        "external_id",
    );
}
