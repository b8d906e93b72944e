//! `GET /preview/scim/v2/Me`: the caller's own record as a SCIM user, with every group it
//! belongs to here (directly, nested, or implicitly: `users`, and `admins` for admins), its
//! entitlements in this workspace, e-mails, name and status.

use crate::auth::WorkspaceCtx;
use crate::error::ApiResult;
use crate::identity::{directory, Kind};
use crate::scim::query::Projection;
use crate::scim::{render, Level, USER_ATTRIBUTES};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use ironbrick_api::scim::{User, USER_SCHEMA};
use serde_json::Value;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/preview/scim/v2/Me", get(me))
}

async fn me(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let projection = Projection::parse(&q, &USER_ATTRIBUTES)?;
    let store = state.store();
    let level = Level::Workspace(ctx.id());
    let p = &ctx.subject.principal;
    let mut user = match p.kind {
        Kind::ServicePrincipal => {
            let sp = render::service_principal(store, level, p)?;
            User {
                id: sp.id,
                user_name: sp.application_id,
                display_name: sp.display_name,
                active: sp.active,
                external_id: sp.external_id,
                entitlements: sp.entitlements,
                schemas: vec![USER_SCHEMA.into()],
                ..User::default()
            }
        }
        _ => render::user(store, level, p)?,
    };
    let mut groups = Vec::new();
    for id in &ctx.subject.groups {
        if let Some(g) = directory::find(store, Some(ctx.id()), *id)? {
            let direct = user
                .groups
                .iter()
                .any(|d| d.value.as_deref() == Some(&g.id.to_string()));
            groups.push(render::reference(
                &g,
                Some(if direct { "direct" } else { "indirect" }),
            ));
        }
    }
    user.groups = groups;
    let doc =
        serde_json::to_value(user).map_err(|e| crate::error::ApiError::Internal(e.to_string()))?;
    Ok(Json(projection.apply(doc)))
}
