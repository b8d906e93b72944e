//! `GET /preview/scim/v2/Me`: who the caller is.

use crate::auth::WorkspaceCtx;
use crate::model::PrincipalKind;
use axum::routing::get;
use axum::{Extension, Json, Router};
use ironbrick_api::scim::{ComplexValue, User, USER_SCHEMA};

pub fn routes() -> Router<crate::state::AppState> {
    Router::new().route("/preview/scim/v2/Me", get(me))
}

async fn me(Extension(ctx): Extension<WorkspaceCtx>) -> Json<User> {
    let p = &ctx.principal;
    let group = |name: &str| ComplexValue {
        value: Some(name.into()),
        display: Some(name.into()),
        ..ComplexValue::default()
    };
    let mut groups = vec![group("users")];
    if p.admin {
        groups.push(group("admins"));
    }
    let emails = match p.kind {
        PrincipalKind::User => vec![ComplexValue {
            value: Some(p.name.clone()),
            kind: Some("work".into()),
            primary: Some(true),
            ..ComplexValue::default()
        }],
        PrincipalKind::ServicePrincipal => Vec::new(),
    };
    Json(User {
        id: p.id.to_string(),
        user_name: p.name.clone(),
        display_name: p.name.clone(),
        active: Some(true),
        emails,
        groups,
        schemas: vec![USER_SCHEMA.into()],
        ..User::default()
    })
}
