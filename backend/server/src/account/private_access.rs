//! Private access settings: whether the workspaces that name them stay reachable from the
//! public internet, and which registered VPC endpoints may reach them privately (any of the
//! account's in the region at the `ACCOUNT` level, the listed ones at the `ENDPOINT` level).
//! Settings are specific to a region; settings in use by a workspace cannot be deleted.
//! `PUT /private-access-settings/{id}` replaces them, for every workspace that uses them.

use super::object::{self, AccountObject, Fresh};
use super::refs::Kind;
use super::vpc_endpoints::VpcEndpoints;
use crate::error::{ApiError, ApiResult};
use crate::json::Body;
use crate::model::PrivateAccessRecord;
use crate::state::AppState;
use crate::validate;
use axum::extract::{Path, State};
use axum::routing::put;
use axum::{Json, Router};
use ironbrick_api::private_link::{
    PrivateAccessSettings, PrivateAccessSettingsRequest, PRIVATE_ACCESS_LEVELS,
};

/// Private access settings (`/private-access-settings`).
#[derive(Debug)]
pub struct PrivateAccess;

/// The settings a request describes, checked.
fn shape(
    state: &AppState,
    req: PrivateAccessSettingsRequest,
    fresh: Fresh,
) -> ApiResult<PrivateAccessSettings> {
    let name = validate::required(
        "private_access_settings_name",
        &req.private_access_settings_name,
    )?
    .to_owned();
    let region = validate::region("region", req.region.as_deref().unwrap_or_default())?;
    let level = req
        .private_access_level
        .unwrap_or_else(|| "ACCOUNT".to_owned());
    if !PRIVATE_ACCESS_LEVELS.contains(&level.as_str()) {
        return Err(ApiError::invalid(format!(
            "private_access_level {level:?} is not one of {}.",
            PRIVATE_ACCESS_LEVELS.join(", ")
        )));
    }
    let allowed = req.allowed_vpc_endpoint_ids.unwrap_or_default();
    for id in &allowed {
        let endpoint = object::find::<VpcEndpoints>(state, id).map_err(|_| {
            ApiError::invalid(format!(
                "allowed_vpc_endpoint_ids: VPC endpoint registration {id} does not exist."
            ))
        })?;
        if endpoint.region != region {
            return Err(ApiError::invalid(format!(
                "allowed_vpc_endpoint_ids: VPC endpoint registration {id} is in {}, not {region}.",
                endpoint.region
            )));
        }
    }
    Ok(PrivateAccessSettings {
        private_access_settings_id: fresh.id,
        private_access_settings_name: name,
        region,
        public_access_enabled: req.public_access_enabled.unwrap_or(false),
        private_access_level: level,
        allowed_vpc_endpoint_ids: allowed,
        account_id: fresh.account_id,
    })
}

impl AccountObject for PrivateAccess {
    type Wire = PrivateAccessSettings;
    type Stored = PrivateAccessRecord;
    type Create = PrivateAccessSettingsRequest;
    const KIND: Kind = Kind::PrivateAccess;
    const SEGMENT: &'static str = "private-access-settings";
    const ID: &'static str = "private_access_settings_id";

    fn id(o: &PrivateAccessSettings) -> &str {
        &o.private_access_settings_id
    }

    fn make(
        state: &AppState,
        req: PrivateAccessSettingsRequest,
        fresh: Fresh,
    ) -> ApiResult<PrivateAccessSettings> {
        shape(state, req, fresh)
    }
}

/// The replace route, beside the derived ones.
pub fn routes() -> Router<AppState> {
    object::routes::<PrivateAccess>().route(
        "/private-access-settings/{private_access_settings_id}",
        put(replace),
    )
}

async fn replace(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Body(req): Body<PrivateAccessSettingsRequest>,
) -> ApiResult<Json<PrivateAccessSettings>> {
    let old = object::find::<PrivateAccess>(&state, &id)?;
    let fresh = Fresh {
        id: old.private_access_settings_id.clone(),
        account_id: old.account_id.clone(),
        now: 0,
    };
    let new = shape(&state, req, fresh)?;
    if new.region != old.region {
        return Err(ApiError::invalid(format!(
            "region cannot change ({} to {}): private access settings belong to one region.",
            old.region, new.region
        )));
    }
    object::save::<PrivateAccess>(&state, &new).await?;
    Ok(Json(new))
}
