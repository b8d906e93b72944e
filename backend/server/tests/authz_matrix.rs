//! The authorization matrix: every endpoint × every kind of caller → allowed or denied, written
//! as one table and exercised over HTTP, one fresh server per cell (so a cell that deletes
//! something cannot change the next one).
//!
//! Callers: the account admin, a workspace admin, a user, a user without CAN_USE on tokens
//! (token permissions are set), a deactivated user, a service principal, and a user of another
//! workspace. "Allowed" means a 2xx answer; "denied" means 401 or 403 with a Databricks error
//! code.
#![allow(clippy::unwrap_used)]

mod support;

use ironbrick::identity::{Kind, WorkspacePermission};
use reqwest::Method;
use serde_json::{json, Value};
use support::{Server, ADMIN};

/// Callers, in table column order.
#[derive(Debug, Clone, Copy)]
enum Caller {
    AccountAdmin,
    WorkspaceAdmin,
    User,
    NoTokenUse,
    Deactivated,
    ServicePrincipal,
    OtherWorkspace,
}

const CALLERS: [Caller; 7] = [
    Caller::AccountAdmin,
    Caller::WorkspaceAdmin,
    Caller::User,
    Caller::NoTokenUse,
    Caller::Deactivated,
    Caller::ServicePrincipal,
    Caller::OtherWorkspace,
];

const USER: &str = "user@example.com";
const ADMIN_HOME: &str = "/Users/admin@ironbrick.local";
const NOTEBOOK: &str = "# Databricks notebook source\nprint(1)\n";

/// One server with two workspaces, a principal of every kind, their tokens, and objects owned
/// by the admin (`/Users/admin@ironbrick.local/private`, scope `admin-scope`) and by the user
/// (`/Users/user@example.com/mine`, scope `user-scope`).
struct World {
    s: Server,
    w1: i64,
    tokens: [String; 7],
    admin_notebook: i64,
    user_notebook: i64,
}

impl World {
    async fn new() -> Self {
        let s = Server::start().await;
        let w1 = s.workspace("one").await;
        let w2 = s.workspace("two").await;
        let assign = |perm| Some((w1, perm));
        let ws_admin = s.principal(
            Kind::User,
            "wsadmin@example.com",
            true,
            assign(WorkspacePermission::Admin),
        );
        let user = s.principal(Kind::User, USER, true, assign(WorkspacePermission::User));
        let no_tokens = s.principal(
            Kind::User,
            "notokens@example.com",
            true,
            assign(WorkspacePermission::User),
        );
        let deactivated = s.principal(
            Kind::User,
            "gone@example.com",
            true,
            assign(WorkspacePermission::User),
        );
        let sp = s.principal(
            Kind::ServicePrincipal,
            "5f0c6a37-61a3-4d57-9b0a-0f5c7c1f2d11",
            true,
            assign(WorkspacePermission::User),
        );
        let outsider = s.principal(
            Kind::User,
            "other@example.com",
            true,
            Some((w2, WorkspacePermission::User)),
        );
        let tokens = [
            ADMIN.to_string(),
            s.token(ws_admin, w1),
            s.token(user, w1),
            s.token(no_tokens, w1),
            s.token(deactivated, w1),
            s.token(sp, w1),
            s.token(outsider, w2),
        ];
        let post = |url: String, token: &str, body: Value| {
            let s = &s;
            let token = token.to_string();
            async move {
                let a = s.send(Method::POST, &url, &token, Some(&body)).await;
                assert!(
                    (200..300).contains(&a.status),
                    "{url}: {} {}",
                    a.status,
                    a.body
                );
                a.body
            }
        };
        let content = base64(NOTEBOOK);
        post(
            s.ws(w1, "/workspace/mkdirs"),
            ADMIN,
            json!({"path": ADMIN_HOME}),
        )
        .await;
        post(s.ws(w1, "/workspace/import"), ADMIN, json!({
            "path": format!("{ADMIN_HOME}/private"), "format": "SOURCE", "language": "PYTHON", "content": content
        })).await;
        post(
            s.ws(w1, "/workspace/mkdirs"),
            ADMIN,
            json!({"path": format!("/Users/{USER}")}),
        )
        .await;
        post(s.ws(w1, "/workspace/import"), &tokens[2], json!({
            "path": format!("/Users/{USER}/mine"), "format": "SOURCE", "language": "PYTHON", "content": content
        })).await;
        post(
            s.ws(w1, "/secrets/scopes/create"),
            ADMIN,
            json!({"scope": "admin-scope"}),
        )
        .await;
        post(
            s.ws(w1, "/secrets/put"),
            ADMIN,
            json!({"scope": "admin-scope", "key": "k", "string_value": "v"}),
        )
        .await;
        post(
            s.ws(w1, "/secrets/scopes/create"),
            &tokens[2],
            json!({"scope": "user-scope"}),
        )
        .await;
        post(
            s.ws(w1, "/secrets/put"),
            &tokens[2],
            json!({"scope": "user-scope", "key": "k", "string_value": "v"}),
        )
        .await;
        s.ok(Method::PUT, &s.ws(w1, "/permissions/authorization/tokens"), json!({
            "access_control_list": [
                {"user_name": USER, "permission_level": "CAN_USE"},
                {"user_name": "gone@example.com", "permission_level": "CAN_USE"},
                {"service_principal_name": "5f0c6a37-61a3-4d57-9b0a-0f5c7c1f2d11", "permission_level": "CAN_USE"}
            ]
        })).await;
        s.ok(
            Method::PATCH,
            &s.acct(&format!("/scim/v2/Users/{deactivated}")),
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": false}]
            }),
        )
        .await;
        let id_of = |path: String| {
            let s = &s;
            async move {
                let url = format!("{}?path={}", s.ws(w1, "/workspace/get-status"), path);
                s.ok(Method::GET, &url, json!({})).await["object_id"]
                    .as_i64()
                    .unwrap()
            }
        };
        let admin_notebook = id_of(format!("{ADMIN_HOME}/private")).await;
        let user_notebook = id_of(format!("/Users/{USER}/mine")).await;
        Self {
            s,
            w1,
            tokens,
            admin_notebook,
            user_notebook,
        }
    }
}

fn base64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Where a request goes.
enum Api {
    Account,
    Workspace,
}

/// One row of the table: a request (path may use `{admin_nb}`, `{user_nb}`, `{user_id}`) and,
/// per caller in [`CALLERS`] order, whether it is allowed.
struct Row {
    api: Api,
    method: Method,
    path: &'static str,
    body: Option<fn() -> Value>,
    allowed: [bool; 7],
}

const Y: bool = true;
const N: bool = false;

fn rows() -> Vec<Row> {
    use Api::{Account as A, Workspace as W};
    let get = Method::GET;
    let post = Method::POST;
    let patch = Method::PATCH;
    let put = Method::PUT;
    let del = Method::DELETE;
    let row = |api, method, path, body: Option<fn() -> Value>, allowed| Row {
        api,
        method,
        path,
        body,
        allowed,
    };
    vec![
        //                                                                                acct  wsadm user  notok deact sp    other
        row(A, get.clone(), "/workspaces", None, [Y, N, N, N, N, N, N]),
        row(A, get.clone(), "/log-delivery", None, [Y, N, N, N, N, N, N]),
        row(
            A,
            get.clone(),
            "/scim/v2/Users",
            None,
            [Y, N, N, N, N, N, N],
        ),
        row(
            A,
            get.clone(),
            "/workspaces/{w1}/permissionassignments",
            None,
            [Y, N, N, N, N, N, N],
        ),
        row(
            W,
            get.clone(),
            "/workspace-conf?keys=enableTokensConfig",
            None,
            [Y, Y, N, N, N, N, N],
        ),
        row(
            W,
            patch.clone(),
            "/workspace-conf",
            Some(|| json!({"maxTokenLifetimeDays": "90"})),
            [Y, Y, N, N, N, N, N],
        ),
        row(
            W,
            get.clone(),
            "/ip-access-lists",
            None,
            [Y, Y, N, N, N, N, N],
        ),
        row(
            W,
            get.clone(),
            "/token-management/tokens",
            None,
            [Y, Y, N, N, N, N, N],
        ),
        row(
            W,
            post.clone(),
            "/token/create",
            Some(|| json!({"comment": "m", "lifetime_seconds": 600})),
            [Y, Y, Y, N, N, Y, N],
        ),
        row(W, get.clone(), "/token/list", None, [Y, Y, Y, N, N, Y, N]),
        row(
            W,
            get.clone(),
            "/preview/scim/v2/Me",
            None,
            [Y, Y, Y, N, N, Y, N],
        ),
        row(
            W,
            get.clone(),
            "/preview/scim/v2/Users",
            None,
            [Y, Y, Y, N, N, Y, N],
        ),
        row(
            W,
            get.clone(),
            "/preview/scim/v2/Groups",
            None,
            [Y, Y, Y, N, N, Y, N],
        ),
        row(
            W,
            post.clone(),
            "/preview/scim/v2/Users",
            Some(|| json!({"userName": "new@example.com"})),
            [Y, Y, N, N, N, N, N],
        ),
        row(
            W,
            post.clone(),
            "/preview/scim/v2/Groups",
            Some(|| json!({"displayName": "team"})),
            [Y, Y, N, N, N, N, N],
        ),
        row(
            W,
            del.clone(),
            "/preview/scim/v2/Users/{user_id}",
            None,
            [Y, Y, N, N, N, N, N],
        ),
        row(
            W,
            get.clone(),
            "/permissions/authorization/tokens",
            None,
            [Y, Y, N, N, N, N, N],
        ),
        row(
            W,
            put.clone(),
            "/permissions/authorization/tokens",
            Some(|| json!({"access_control_list": []})),
            [Y, Y, N, N, N, N, N],
        ),
        row(
            W,
            get.clone(),
            "/workspace/list?path=/",
            None,
            [Y, Y, Y, N, N, Y, N],
        ),
        row(
            W,
            get.clone(),
            "/workspace/export?path=/Users/admin@ironbrick.local/private&format=SOURCE",
            None,
            [Y, Y, N, N, N, N, N],
        ),
        row(
            W,
            get.clone(),
            "/workspace/export?path=/Users/user@example.com/mine&format=SOURCE",
            None,
            [Y, Y, Y, N, N, N, N],
        ),
        row(
            W,
            post.clone(),
            "/workspace/import",
            Some(
                || json!({"path": "/Shared/new", "format": "SOURCE", "language": "PYTHON", "content": base64(NOTEBOOK)}),
            ),
            [Y, Y, Y, N, N, Y, N],
        ),
        row(
            W,
            post.clone(),
            "/workspace/delete",
            Some(|| json!({"path": "/Users/admin@ironbrick.local/private"})),
            [Y, Y, N, N, N, N, N],
        ),
        row(
            W,
            get.clone(),
            "/permissions/notebooks/{admin_nb}",
            None,
            [Y, Y, N, N, N, N, N],
        ),
        row(
            W,
            get.clone(),
            "/permissions/notebooks/{user_nb}",
            None,
            [Y, Y, Y, N, N, N, N],
        ),
        row(
            W,
            patch.clone(),
            "/permissions/notebooks/{user_nb}",
            Some(
                || json!({"access_control_list": [{"group_name": "users", "permission_level": "CAN_READ"}]}),
            ),
            [Y, Y, Y, N, N, N, N],
        ),
        row(
            W,
            post.clone(),
            "/secrets/scopes/create",
            Some(|| json!({"scope": "fresh"})),
            [Y, Y, Y, N, N, Y, N],
        ),
        row(
            W,
            get.clone(),
            "/secrets/get?scope=admin-scope&key=k",
            None,
            [Y, Y, N, N, N, N, N],
        ),
        row(
            W,
            get.clone(),
            "/secrets/get?scope=user-scope&key=k",
            None,
            [Y, Y, Y, N, N, N, N],
        ),
        row(
            W,
            post.clone(),
            "/secrets/put",
            Some(|| json!({"scope": "admin-scope", "key": "x", "string_value": "y"})),
            [Y, Y, N, N, N, N, N],
        ),
        row(
            W,
            post.clone(),
            "/secrets/acls/put",
            Some(|| json!({"scope": "user-scope", "principal": "users", "permission": "READ"})),
            [Y, Y, Y, N, N, N, N],
        ),
        row(
            W,
            get.clone(),
            "/secrets/acls/list?scope=admin-scope",
            None,
            [Y, Y, N, N, N, N, N],
        ),
        row(
            W,
            post.clone(),
            "/secrets/scopes/delete",
            Some(|| json!({"scope": "admin-scope"})),
            [Y, Y, N, N, N, N, N],
        ),
    ]
}

fn fill(path: &str, w: &World, user_id: &str) -> String {
    path.replace("{w1}", &w.w1.to_string())
        .replace("{admin_nb}", &w.admin_notebook.to_string())
        .replace("{user_nb}", &w.user_notebook.to_string())
        .replace("{user_id}", user_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_allows_exactly_the_callers_in_the_table() {
    let mut failures = Vec::new();
    let mut cells = 0;
    for row in rows() {
        for (i, caller) in CALLERS.iter().enumerate() {
            let w = World::new().await;
            let user_id = user_id(&w).await;
            let path = fill(row.path, &w, &user_id);
            let url = match row.api {
                Api::Account => w.s.acct(&path),
                Api::Workspace => w.s.ws(w.w1, &path),
            };
            let body = row.body.map(|b| b());
            let a =
                w.s.send(row.method.clone(), &url, &w.tokens[i], body.as_ref())
                    .await;
            cells += 1;
            let allowed = (200..300).contains(&a.status);
            let denied = matches!(a.status, 401 | 403)
                && matches!(
                    a.error_code(),
                    Some("PERMISSION_DENIED" | "UNAUTHENTICATED")
                );
            let ok = if row.allowed[i] { allowed } else { denied };
            if !ok {
                failures.push(format!(
                    "{} {} as {caller:?}: expected {}, got {} {}",
                    row.method,
                    row.path,
                    if row.allowed[i] { "allowed" } else { "denied" },
                    a.status,
                    a.body
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cells} cells disagree with the table:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The workspace SCIM id of the plain user.
async fn user_id(w: &World) -> String {
    let url = format!(
        "{}?filter=userName%20eq%20%22{USER}%22",
        w.s.ws(w.w1, "/preview/scim/v2/Users")
    );
    let found = w.s.ok(Method::GET, &url, json!({})).await;
    found["Resources"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}
