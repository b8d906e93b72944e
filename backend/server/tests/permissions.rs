//! The Permissions API, what notebook/directory ACLs enforce, secret scope ACLs and token
//! permissions, exercised over HTTP as admins and as non-admin principals created in the
//! identity store.
#![allow(clippy::unwrap_used)]

mod support;

use ironbrick::identity::{Kind, WorkspacePermission};
use reqwest::Method;
use serde_json::{json, Value};
use support::{Answer, Server, ADMIN};

const ANN: &str = "ann@example.com";
const BOB: &str = "bob@example.com";
const NOTEBOOK: &str = "# Databricks notebook source\nprint(1)\n";

/// A workspace with two plain users, Ann and Bob, and their tokens.
struct World {
    s: Server,
    ws: i64,
    ann: String,
    bob: String,
    bob_id: i64,
}

impl World {
    async fn new() -> Self {
        let s = Server::start().await;
        let ws = s.workspace("acl").await;
        let user = Some((ws, WorkspacePermission::User));
        let ann_id = s.principal(Kind::User, ANN, true, user);
        let bob_id = s.principal(Kind::User, BOB, true, user);
        let ann = s.token(ann_id, ws);
        let bob = s.token(bob_id, ws);
        Self {
            s,
            ws,
            ann,
            bob,
            bob_id,
        }
    }

    async fn call(&self, token: &str, method: Method, rest: &str, body: Option<Value>) -> Answer {
        self.s
            .send(method, &self.s.ws(self.ws, rest), token, body.as_ref())
            .await
    }

    async fn ok(&self, token: &str, method: Method, rest: &str, body: Option<Value>) -> Value {
        let a = self.call(token, method.clone(), rest, body).await;
        assert!(
            (200..300).contains(&a.status),
            "{method} {rest}: {} {}",
            a.status,
            a.body
        );
        a.body
    }

    async fn import(&self, token: &str, path: &str) -> Answer {
        let body = json!({"path": path, "format": "SOURCE", "language": "PYTHON",
            "content": b64(NOTEBOOK), "overwrite": true});
        self.call(token, Method::POST, "/workspace/import", Some(body))
            .await
    }

    async fn object_id(&self, path: &str) -> i64 {
        let v = self
            .ok(
                ADMIN,
                Method::GET,
                &format!("/workspace/get-status?path={path}"),
                None,
            )
            .await;
        v["object_id"].as_i64().unwrap()
    }
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn denied(a: &Answer, needle: &str) {
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(a.error_code(), Some("PERMISSION_DENIED"), "{}", a.body);
    let msg = a.body["message"].as_str().unwrap();
    assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
}

fn invalid(a: &Answer, needle: &str) {
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(
        a.error_code(),
        Some("INVALID_PARAMETER_VALUE"),
        "{}",
        a.body
    );
    let msg = a.body["message"].as_str().unwrap();
    assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
}

/// Principal name → [(level, inherited_from)] of an answer.
fn entries(answer: &Value) -> Vec<(String, String, Option<String>)> {
    let mut out = Vec::new();
    for e in answer["access_control_list"].as_array().unwrap() {
        let who = ["user_name", "group_name", "service_principal_name"]
            .iter()
            .find_map(|k| e[k].as_str())
            .unwrap()
            .to_string();
        for p in e["all_permissions"].as_array().unwrap() {
            let from = p["inherited_from_object"][0].as_str().map(str::to_string);
            assert_eq!(p["inherited"].as_bool().unwrap(), from.is_some(), "{e}");
            out.push((
                who.clone(),
                p["permission_level"].as_str().unwrap().to_string(),
                from,
            ));
        }
    }
    out
}

fn has(answer: &Value, who: &str, level: &str, from: Option<&str>) -> bool {
    entries(answer)
        .iter()
        .any(|(w, l, f)| w == who && l == level && f.as_deref() == from)
}

#[tokio::test]
async fn token_permissions_default_to_users_and_are_enforced_once_set() {
    let w = World::new().await;
    let tokens = "/permissions/authorization/tokens";
    let got = w.ok(ADMIN, Method::GET, tokens, None).await;
    assert_eq!(got["object_id"], "/authorization/tokens");
    assert_eq!(got["object_type"], "tokens");
    assert!(has(&got, "admins", "CAN_MANAGE", None), "{got}");
    assert!(has(&got, "users", "CAN_USE", None), "{got}");
    // before anything is set every member may create tokens
    w.ok(
        &w.bob,
        Method::POST,
        "/token/create",
        Some(json!({"comment": "b"})),
    )
    .await;
    // only admins read or change token permissions
    denied(
        &w.call(&w.ann, Method::GET, tokens, None).await,
        "Only workspace admins can manage the permissions of authorization/tokens",
    );
    let levels = w
        .ok(
            &w.ann,
            Method::GET,
            &format!("{tokens}/permissionLevels"),
            None,
        )
        .await;
    let names: Vec<&str> = levels["permission_levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["permission_level"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["CAN_USE", "CAN_MANAGE"]);

    // mistakes are refused by name
    let put = |acl: Value| json!({ "access_control_list": acl });
    invalid(
        &w.call(
            ADMIN,
            Method::PUT,
            tokens,
            Some(put(
                json!([{"user_name": ANN, "permission_level": "CAN_READ"}]),
            )),
        )
        .await,
        "allowed levels: CAN_USE, CAN_MANAGE",
    );
    invalid(
        &w.call(
            ADMIN,
            Method::PUT,
            tokens,
            Some(put(
                json!([{"group_name": "admins", "permission_level": "CAN_USE"}]),
            )),
        )
        .await,
        "admins always keep CAN_MANAGE",
    );
    invalid(
        &w.call(
            ADMIN,
            Method::PUT,
            tokens,
            Some(put(
                json!([{"user_name": "nobody@example.com", "permission_level": "CAN_USE"}]),
            )),
        )
        .await,
        "nobody@example.com",
    );
    invalid(
        &w.call(
            ADMIN,
            Method::PUT,
            tokens,
            Some(put(
                json!([{"user_name": ANN, "group_name": "users", "permission_level": "CAN_USE"}]),
            )),
        )
        .await,
        "only one of",
    );
    invalid(
        &w.call(
            ADMIN,
            Method::PUT,
            tokens,
            Some(put(json!([{"permission_level": "CAN_USE"}]))),
        )
        .await,
        "needs one of",
    );

    // only Ann may use tokens now: Bob can neither create one nor use the one he has
    let set = w
        .ok(
            ADMIN,
            Method::PUT,
            tokens,
            Some(put(json!([
            {"user_name": ANN, "permission_level": "CAN_USE"},
            {"group_name": "admins", "permission_level": "CAN_MANAGE"}]))),
        )
        .await;
    assert!(has(&set, ANN, "CAN_USE", None), "{set}");
    assert!(!has(&set, "users", "CAN_USE", None), "{set}");
    denied(
        &w.call(&w.bob, Method::POST, "/token/create", Some(json!({})))
            .await,
        "does not have CAN_USE permission on tokens",
    );
    denied(
        &w.call(&w.bob, Method::GET, "/preview/scim/v2/Me", None)
            .await,
        "CAN_USE",
    );
    w.ok(
        &w.ann,
        Method::POST,
        "/token/create",
        Some(json!({"comment": "a"})),
    )
    .await;
    w.ok(
        ADMIN,
        Method::POST,
        "/token/create",
        Some(json!({"comment": "admin"})),
    )
    .await;
    // PATCH adds Bob back without dropping Ann
    let patched = w
        .ok(
            ADMIN,
            Method::PATCH,
            tokens,
            Some(put(
                json!([{"user_name": BOB, "permission_level": "CAN_USE"}]),
            )),
        )
        .await;
    assert!(has(&patched, ANN, "CAN_USE", None) && has(&patched, BOB, "CAN_USE", None));
    w.ok(&w.bob, Method::GET, "/preview/scim/v2/Me", None).await;

    // enableTokensConfig still stops non-admins, whatever the ACL says
    w.ok(
        ADMIN,
        Method::PATCH,
        "/workspace-conf",
        Some(json!({"enableTokensConfig": "false"})),
    )
    .await;
    denied(
        &w.call(&w.ann, Method::POST, "/token/create", Some(json!({})))
            .await,
        "enableTokensConfig",
    );
    w.ok(ADMIN, Method::POST, "/token/create", Some(json!({})))
        .await;
}

#[tokio::test]
async fn notebook_acls_inherit_and_are_enforced() {
    let w = World::new().await;
    let home = format!("/Users/{ANN}");
    w.ok(
        ADMIN,
        Method::POST,
        "/workspace/mkdirs",
        Some(json!({"path": home})),
    )
    .await;
    // Ann's home folder is hers: she creates a folder and a notebook in it
    w.ok(
        &w.ann,
        Method::POST,
        "/workspace/mkdirs",
        Some(json!({"path": format!("{home}/proj")})),
    )
    .await;
    let nb = format!("{home}/proj/etl");
    let a = w.import(&w.ann, &nb).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let nb_id = w.object_id(&nb).await;
    let proj_id = w.object_id(&format!("{home}/proj")).await;
    let home_id = w.object_id(&home).await;

    let path = format!("/permissions/notebooks/{nb_id}");
    let got = w.ok(&w.ann, Method::GET, &path, None).await;
    assert_eq!(got["object_id"], format!("/notebooks/{nb_id}"));
    assert_eq!(got["object_type"], "notebook");
    assert!(has(&got, ANN, "CAN_MANAGE", None), "creator: {got}");
    let from_home = format!("/directories/{home_id}");
    assert!(
        has(&got, ANN, "CAN_MANAGE", Some(&from_home)),
        "home: {got}"
    );
    assert!(
        has(&got, "admins", "CAN_MANAGE", Some("/directories/0")),
        "{got}"
    );

    // Bob sees nothing of it
    denied(
        &w.call(
            &w.bob,
            Method::GET,
            &format!("/workspace/export?path={nb}"),
            None,
        )
        .await,
        &format!("User {BOB} does not have CAN_READ permission on notebook {nb}"),
    );
    denied(
        &w.call(
            &w.bob,
            Method::GET,
            &format!("/workspace/get-status?path={nb}"),
            None,
        )
        .await,
        "CAN_READ",
    );
    denied(
        &w.call(&w.bob, Method::GET, &path, None).await,
        "CAN_MANAGE",
    );
    let users = w
        .ok(&w.bob, Method::GET, "/workspace/list?path=/Users", None)
        .await;
    assert!(
        users
            .get("objects")
            .is_none_or(|o| o.as_array().unwrap().is_empty()),
        "{users}"
    );
    let root = w
        .ok(&w.bob, Method::GET, "/workspace/list?path=/", None)
        .await;
    assert!(
        root["objects"].as_array().unwrap().len() >= 3,
        "built-ins are listable: {root}"
    );

    // a folder grant reaches the notebook, inherited
    let dir_path = format!("/permissions/directories/{proj_id}");
    let upd = w
        .ok(
            &w.ann,
            Method::PATCH,
            &dir_path,
            Some(json!({"access_control_list": [
            {"user_name": BOB, "permission_level": "CAN_READ"}]})),
        )
        .await;
    assert!(has(&upd, BOB, "CAN_READ", None), "{upd}");
    let got = w.ok(&w.ann, Method::GET, &path, None).await;
    assert!(
        has(
            &got,
            BOB,
            "CAN_READ",
            Some(&format!("/directories/{proj_id}"))
        ),
        "{got}"
    );
    w.ok(
        &w.bob,
        Method::GET,
        &format!("/workspace/export?path={nb}"),
        None,
    )
    .await;
    let listed = w
        .ok(
            &w.bob,
            Method::GET,
            &format!("/workspace/list?path={home}/proj"),
            None,
        )
        .await;
    assert_eq!(listed["objects"][0]["path"], nb.as_str());
    denied(&w.import(&w.bob, &nb).await, "CAN_EDIT");
    denied(
        &w.import(&w.bob, &format!("{home}/proj/new")).await,
        &format!("CAN_EDIT permission on directory {home}/proj"),
    );
    denied(
        &w.call(
            &w.bob,
            Method::POST,
            "/workspace/mkdirs",
            Some(json!({"path": format!("{home}/proj/sub/deeper")})),
        )
        .await,
        "CAN_EDIT",
    );
    // CAN_EDIT on the notebook lets Bob overwrite it, not delete it
    w.ok(
        &w.ann,
        Method::PATCH,
        &path,
        Some(json!({"access_control_list": [
        {"user_name": BOB, "permission_level": "CAN_EDIT"}]})),
    )
    .await;
    assert_eq!(w.import(&w.bob, &nb).await.status, 200);
    denied(
        &w.call(
            &w.bob,
            Method::POST,
            "/workspace/delete",
            Some(json!({"path": nb})),
        )
        .await,
        "CAN_MANAGE",
    );
    denied(
        &w.call(
            &w.bob,
            Method::PUT,
            &path,
            Some(json!({"access_control_list": []})),
        )
        .await,
        "CAN_MANAGE",
    );

    // PUT replaces the direct grants; the home folder keeps Ann in charge
    let set = w
        .ok(
            &w.ann,
            Method::PUT,
            &path,
            Some(json!({"access_control_list": [
            {"group_name": "users", "permission_level": "CAN_RUN"}]})),
        )
        .await;
    assert!(has(&set, "users", "CAN_RUN", None), "{set}");
    assert!(
        !has(&set, BOB, "CAN_EDIT", None) && !has(&set, ANN, "CAN_MANAGE", None),
        "{set}"
    );
    assert!(has(&set, ANN, "CAN_MANAGE", Some(&from_home)), "{set}");
    invalid(
        &w.call(
            &w.ann,
            Method::PUT,
            &path,
            Some(json!({"access_control_list": [
            {"user_name": BOB, "permission_level": "CAN_USE"}]})),
        )
        .await,
        "allowed levels: CAN_READ, CAN_RUN, CAN_EDIT, CAN_MANAGE",
    );

    // unknown objects, and ids of the other type, are 404
    for missing in [
        "/permissions/notebooks/999999".to_string(),
        format!("/permissions/directories/{nb_id}"),
        format!("/permissions/notebooks/{proj_id}"),
        "/permissions/notebooks/not-a-number".to_string(),
    ] {
        let a = w.call(ADMIN, Method::GET, &missing, None).await;
        assert_eq!(
            (a.status, a.error_code()),
            (404, Some("RESOURCE_DOES_NOT_EXIST")),
            "{missing}: {}",
            a.body
        );
    }
    let a = w
        .call(ADMIN, Method::GET, "/permissions/jobs/abc", None)
        .await;
    invalid(
        &a,
        "supported object types: authorization/tokens, authorization/passwords, notebooks, \
         directories, cluster-policies, clusters",
    );

    // deleting the notebook deletes its ACL
    w.ok(
        &w.ann,
        Method::POST,
        "/workspace/delete",
        Some(json!({"path": nb})),
    )
    .await;
    let store = w.s.state.store();
    let key = format!("notebooks/{nb_id}");
    assert_eq!(
        ironbrick::authz::store::get(store, w.ws, &key).unwrap(),
        None
    );
    let a = w.call(ADMIN, Method::GET, &path, None).await;
    assert_eq!(a.status, 404);
}

#[tokio::test]
async fn shared_is_everyones_and_grants_skip_vanished_principals() {
    let w = World::new().await;
    w.ok(
        &w.bob,
        Method::POST,
        "/workspace/mkdirs",
        Some(json!({"path": "/Shared/team"})),
    )
    .await;
    assert_eq!(w.import(&w.ann, "/Shared/team/nb").await.status, 200);
    let dir = w.object_id("/Shared/team").await;
    let got = w
        .ok(
            &w.ann,
            Method::GET,
            &format!("/permissions/directories/{dir}"),
            None,
        )
        .await;
    assert!(has(&got, BOB, "CAN_MANAGE", None), "creator: {got}");
    let shared = w.object_id("/Shared").await;
    assert!(
        has(
            &got,
            "users",
            "CAN_MANAGE",
            Some(&format!("/directories/{shared}"))
        ),
        "{got}"
    );
    // Bob goes away: his grant is no longer shown
    let bob_scim = w.s.acct(&format!("/scim/v2/Users/{}", w.bob_id));
    w.s.ok(Method::DELETE, &bob_scim, json!({})).await;
    let got = w
        .ok(
            ADMIN,
            Method::GET,
            &format!("/permissions/directories/{dir}"),
            None,
        )
        .await;
    assert!(!entries(&got).iter().any(|(who, _, _)| who == BOB), "{got}");
}

#[tokio::test]
async fn secret_acls_gate_every_secret_endpoint() {
    let w = World::new().await;
    let post = |rest: &'static str, body: Value| (Method::POST, rest, Some(body));
    let (m, r, b) = post("/secrets/scopes/create", json!({"scope": "app"}));
    w.ok(&w.ann, m, r, b).await;
    let (m, r, b) = post(
        "/secrets/put",
        json!({"scope": "app", "key": "k", "string_value": "s3cr3t"}),
    );
    w.ok(&w.ann, m, r, b).await;
    let listed = w
        .ok(&w.ann, Method::GET, "/secrets/acls/list?scope=app", None)
        .await;
    assert_eq!(
        listed,
        json!({"items": [{"principal": ANN, "permission": "MANAGE"}]})
    );

    // Bob holds nothing: no value, no listing, the scope is hidden
    let get_secret = "/secrets/get?scope=app&key=k";
    let a = w.call(&w.bob, Method::GET, get_secret, None).await;
    denied(
        &a,
        &format!("User {BOB} does not have READ permission on secret scope app"),
    );
    assert!(!a.body.to_string().contains("s3cr3t"));
    denied(
        &w.call(&w.bob, Method::GET, "/secrets/list?scope=app", None)
            .await,
        "READ",
    );
    let scopes = w
        .ok(&w.bob, Method::GET, "/secrets/scopes/list", None)
        .await;
    assert!(!scopes.to_string().contains("\"app\""), "{scopes}");
    denied(
        &w.call(&w.bob, Method::GET, "/secrets/acls/list?scope=app", None)
            .await,
        "MANAGE",
    );

    // READ: values and listing, but no writes
    w.ok(
        &w.ann,
        Method::POST,
        "/secrets/acls/put",
        Some(json!({"scope": "app", "principal": BOB, "permission": "READ"})),
    )
    .await;
    let v = w.ok(&w.bob, Method::GET, get_secret, None).await;
    assert_eq!(v["value"], b64("s3cr3t"));
    w.ok(&w.bob, Method::GET, "/secrets/list?scope=app", None)
        .await;
    let scopes = w
        .ok(&w.bob, Method::GET, "/secrets/scopes/list", None)
        .await;
    assert!(scopes.to_string().contains("\"app\""), "{scopes}");
    denied(
        &w.call(
            &w.bob,
            Method::POST,
            "/secrets/put",
            Some(json!({"scope": "app", "key": "x", "string_value": "y"})),
        )
        .await,
        "WRITE",
    );
    denied(
        &w.call(
            &w.bob,
            Method::POST,
            "/secrets/delete",
            Some(json!({"scope": "app", "key": "k"})),
        )
        .await,
        "WRITE",
    );
    denied(
        &w.call(
            &w.bob,
            Method::POST,
            "/secrets/scopes/delete",
            Some(json!({"scope": "app"})),
        )
        .await,
        "MANAGE",
    );
    // WRITE: puts and deletes
    w.ok(
        &w.ann,
        Method::POST,
        "/secrets/acls/put",
        Some(json!({"scope": "app", "principal": BOB, "permission": "WRITE"})),
    )
    .await;
    w.ok(
        &w.bob,
        Method::POST,
        "/secrets/put",
        Some(json!({"scope": "app", "key": "x", "string_value": "y"})),
    )
    .await;
    let got = w
        .ok(
            &w.ann,
            Method::GET,
            &format!("/secrets/acls/get?scope=app&principal={BOB}"),
            None,
        )
        .await;
    assert_eq!(got, json!({"principal": BOB, "permission": "WRITE"}));

    // errors as Databricks answers them
    let a = w
        .call(
            &w.ann,
            Method::POST,
            "/secrets/acls/put",
            Some(json!({"scope": "app", "principal": BOB, "permission": "OWN"})),
        )
        .await;
    assert_eq!(
        (a.status, a.error_code()),
        (400, Some("INVALID_PARAMETER_VALUE")),
        "{}",
        a.body
    );
    let a = w
        .call(&w.ann, Method::GET, "/secrets/acls/list?scope=nope", None)
        .await;
    assert_eq!(
        (a.status, a.error_code()),
        (404, Some("RESOURCE_DOES_NOT_EXIST"))
    );
    let a = w
        .call(
            &w.ann,
            Method::GET,
            "/secrets/acls/get?scope=app&principal=users",
            None,
        )
        .await;
    assert_eq!(
        (a.status, a.error_code()),
        (404, Some("RESOURCE_DOES_NOT_EXIST"))
    );
    let a = w
        .call(
            &w.ann,
            Method::POST,
            "/secrets/acls/put",
            Some(json!({"scope": "app", "principal": "ghost", "permission": "READ"})),
        )
        .await;
    assert_eq!(
        (a.status, a.error_code()),
        (404, Some("RESOURCE_DOES_NOT_EXIST")),
        "{}",
        a.body
    );
    w.ok(
        &w.ann,
        Method::POST,
        "/secrets/acls/delete",
        Some(json!({"scope": "app", "principal": BOB})),
    )
    .await;
    let a = w
        .call(
            &w.ann,
            Method::POST,
            "/secrets/acls/delete",
            Some(json!({"scope": "app", "principal": BOB})),
        )
        .await;
    assert_eq!(
        (a.status, a.error_code()),
        (404, Some("RESOURCE_DOES_NOT_EXIST"))
    );
    denied(&w.call(&w.bob, Method::GET, get_secret, None).await, "READ");

    // admins always manage; a scope with initial_manage_principal=users is everyone's
    w.ok(ADMIN, Method::GET, get_secret, None).await;
    w.ok(ADMIN, Method::GET, "/secrets/acls/list?scope=app", None)
        .await;
    w.ok(
        &w.ann,
        Method::POST,
        "/secrets/scopes/create",
        Some(json!({"scope": "open", "initial_manage_principal": "users"})),
    )
    .await;
    w.ok(&w.bob, Method::GET, "/secrets/acls/list?scope=open", None)
        .await;
    let a = w
        .call(
            &w.ann,
            Method::POST,
            "/secrets/scopes/create",
            Some(json!({"scope": "odd", "initial_manage_principal": BOB})),
        )
        .await;
    invalid(&a, "initial_manage_principal");

    // a scope stored before ACLs: its creator manages it
    let store = w.s.state.store();
    store
        .transact(|tx| ironbrick::authz::store::tx_delete(tx, w.ws, "secret-scopes/app"))
        .unwrap();
    let listed = w
        .ok(&w.ann, Method::GET, "/secrets/acls/list?scope=app", None)
        .await;
    assert_eq!(
        listed,
        json!({"items": [{"principal": ANN, "permission": "MANAGE"}]})
    );
    denied(&w.call(&w.bob, Method::GET, get_secret, None).await, "READ");

    // deleting the scope deletes its ACL
    w.ok(
        &w.ann,
        Method::POST,
        "/secrets/scopes/delete",
        Some(json!({"scope": "open"})),
    )
    .await;
    assert_eq!(
        ironbrick::authz::store::get(store, w.ws, "secret-scopes/open").unwrap(),
        None
    );
}

#[tokio::test]
async fn denials_are_audited_with_the_principal() {
    let w = World::new().await;
    w.ok(
        ADMIN,
        Method::POST,
        "/secrets/scopes/create",
        Some(json!({"scope": "locked"})),
    )
    .await;
    let a = w
        .call(&w.bob, Method::GET, "/secrets/list?scope=locked", None)
        .await;
    denied(&a, "READ");
    let log =
        w.s.ok(Method::GET, &w.s.acct("/audit-logs"), json!({}))
            .await;
    let entries = log["entries"].as_array().unwrap();
    let hit = entries
        .iter()
        .find(|e| e["status"] == 403 && e["path"].as_str().unwrap().ends_with("/secrets/list"))
        .unwrap_or_else(|| panic!("no denial in {log}"));
    assert_eq!(hit["principal"], BOB);
    assert_eq!(hit["error_code"], "PERMISSION_DENIED");
    assert_eq!(hit["workspace_id"], w.ws);
}
