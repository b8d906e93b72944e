//! `GET /preview/scim/v2/Me`: who the caller is.

use crate::auth::WorkspaceCtx;
use crate::model::PrincipalKind;
use axum::routing::get;
use axum::{Extension, Json, Router};
use ironbrick_api::scim::{Email, GroupRef, User};

pub fn routes() -> Router<crate::state::AppState> {
    Router::new().route("/preview/scim/v2/Me", get(me))
}

async fn me(Extension(ctx): Extension<WorkspaceCtx>) -> Json<User> {
    let p = &ctx.principal;
    let mut groups = vec![GroupRef {
        value: "users".into(),
        display: "users".into(),
    }];
    if p.admin {
        groups.push(GroupRef {
            value: "admins".into(),
            display: "admins".into(),
        });
    }
    let emails = match p.kind {
        PrincipalKind::User => vec![Email {
            value: p.name.clone(),
            kind: "work".into(),
            primary: true,
        }],
        PrincipalKind::ServicePrincipal => Vec::new(),
    };
    Json(User {
        id: p.id.to_string(),
        user_name: p.name.clone(),
        display_name: p.name.clone(),
        active: true,
        emails,
        groups,
        schemas: vec!["urn:ietf:params:scim:schemas:core:2.0:User".into()],
    })
}
