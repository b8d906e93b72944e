//! Cluster policies: `/api/2.0/policies/clusters/create|edit|delete|get|list`, and the
//! built-in families at `/api/2.0/policy-families[/{id}]`.
//!
//! A policy either has its own `definition` or inherits a family's
//! (`policy_family_id`), with `policy_family_definition_overrides` laid over it; `get` and
//! `list` show the effective definition. Every definition is parsed on the way in, and a
//! malformed one is refused with each rule's path and reason. Editing a policy does not touch
//! the clusters that use it: their next create or edit is checked against the new definition.

use super::families;
use super::rules::Definition;
use crate::auth::WorkspaceCtx;
use crate::error::{ApiError, ApiResult};
use crate::json::Body;
use crate::repo::{self, ws_key};
use crate::state::AppState;
use crate::time::now_ms;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use ironbrick_api::compute::{
    CreatePolicyResponse, ListPoliciesResponse, ListPolicyFamiliesResponse, Policy, PolicyFamily,
    PolicyId, PolicyRequest,
};
use ironbrick_api::Empty;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The tree of policies: `{ws}{policy_id}` → [`PolicyRecord`].
pub const TREE: &str = "cluster_policies";

crate::model::wire_record!(PolicyRecord, Policy);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/policies/clusters/create", post(create))
        .route("/policies/clusters/edit", post(edit))
        .route("/policies/clusters/delete", post(delete))
        .route("/policies/clusters/get", get(fetch))
        .route("/policies/clusters/list", get(list))
        .route("/policy-families", get(list_families))
        .route("/policy-families/{policy_family_id}", get(get_family))
}

fn key(ws: i64, id: &str) -> String {
    format!("{}{id}", ws_key(ws))
}

fn missing(id: &str) -> ApiError {
    ApiError::not_found(format!("Cluster policy {id} does not exist."))
}

/// The stored policy `id` of workspace `ws`.
pub fn find(state: &AppState, ws: i64, id: &str) -> ApiResult<Policy> {
    repo::get::<PolicyRecord>(state.store(), TREE, &key(ws, id))?
        .map(|r| r.0)
        .ok_or_else(|| missing(id))
}

/// Parsed definitions by their text: parsing compiles every `regex` rule, and clusters are
/// created under the same few policies again and again. Bounded: cleared when full.
static PARSED: std::sync::LazyLock<Mutex<HashMap<String, Arc<Definition>>>> =
    std::sync::LazyLock::new(Mutex::default);
const PARSED_MAX: usize = 1024;

/// The parsed definition of a stored policy.
pub fn definition(policy: &Policy) -> ApiResult<Arc<Definition>> {
    let text = policy.definition.as_deref().unwrap_or_default();
    if let Some(hit) = PARSED.lock().map_err(|_| poisoned())?.get(text) {
        return Ok(hit.clone());
    }
    let parsed =
        Arc::new(Definition::parse(text).map_err(|e| {
            ApiError::Internal(format!("stored policy {}: {e:?}", policy.policy_id))
        })?);
    let mut cache = PARSED.lock().map_err(|_| poisoned())?;
    if cache.len() >= PARSED_MAX {
        cache.clear();
    }
    cache.insert(text.to_owned(), parsed.clone());
    Ok(parsed)
}

fn poisoned() -> ApiError {
    ApiError::Internal("the definition cache lock is poisoned".into())
}

fn parse(what: &str, text: &str) -> ApiResult<Definition> {
    Definition::parse(text).map_err(|problems| {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        ApiError::invalid(format!("Invalid {what}: {}", list.join("; ")))
    })
}

/// Checks a request and makes the policy it describes (without id and creation stamps).
fn shape(req: &PolicyRequest) -> ApiResult<Policy> {
    let name = crate::validate::required("name", req.name.as_deref().unwrap_or_default())?;
    if name.chars().count() > 100 {
        return Err(ApiError::invalid("name must be at most 100 characters."));
    }
    if let Some(n) = req.max_clusters_per_user.filter(|n| *n < 1) {
        return Err(ApiError::invalid(format!(
            "max_clusters_per_user must be at least 1, not {n}."
        )));
    }
    let definition = match (&req.policy_family_id, &req.definition) {
        (Some(_), Some(d)) if !d.trim().is_empty() => return Err(ApiError::invalid(
            "A policy of a policy family takes policy_family_definition_overrides, not definition.",
        )),
        (Some(family), _) => {
            let fam = families::find(family).ok_or_else(|| {
                ApiError::invalid(format!(
                    "policy_family_id {family:?} is not a policy family."
                ))
            })?;
            let overrides = req
                .policy_family_definition_overrides
                .as_deref()
                .unwrap_or_default();
            parse("policy_family_definition_overrides", overrides)?;
            merged(&fam.definition, overrides)
        }
        (None, d) => {
            if req.policy_family_definition_overrides.is_some() {
                return Err(ApiError::invalid(
                    "policy_family_definition_overrides needs policy_family_id.",
                ));
            }
            let d = d.clone().unwrap_or_else(|| "{}".to_owned());
            parse("definition", &d)?;
            d
        }
    };
    for lib in req.libraries.iter().flatten() {
        super::libraries::check_library(lib)?;
    }
    Ok(Policy {
        name: name.to_owned(),
        description: req.description.clone(),
        definition: Some(definition),
        max_clusters_per_user: req.max_clusters_per_user,
        policy_family_id: req.policy_family_id.clone(),
        policy_family_definition_overrides: req.policy_family_definition_overrides.clone(),
        libraries: req.libraries.clone(),
        ..Policy::default()
    })
}

/// A family's definition with `overrides` laid over it, rule by rule, as JSON text.
fn merged(family: &str, overrides: &str) -> String {
    let mut base = super::rules::as_object(family).unwrap_or_default();
    base.extend(super::rules::as_object(overrides).unwrap_or_default());
    serde_json::Value::Object(base).to_string()
}

fn new_id() -> String {
    format!("{:016X}", rand::random::<u64>())
}

fn check_unique_name(state: &AppState, ws: i64, name: &str, except: &str) -> ApiResult<()> {
    let taken = repo::scan::<PolicyRecord>(state.store(), TREE, &ws_key(ws))?
        .into_iter()
        .any(|p| p.0.name == name && p.0.policy_id != except);
    if taken {
        return Err(ApiError::invalid(format!(
            "A cluster policy named {name:?} already exists."
        )));
    }
    Ok(())
}

async fn save(state: &AppState, ws: i64, policy: &Policy) -> ApiResult<()> {
    let k = key(ws, &policy.policy_id);
    state.store().transact(|tx| {
        repo::tx_put(tx, TREE, &k, &PolicyRecord(policy.clone())).map_err(ApiError::from)
    })?;
    state.flush().await
}

async fn create(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<PolicyRequest>,
) -> ApiResult<Json<CreatePolicyResponse>> {
    let _guard = state.identity_writes().await?;
    let mut policy = shape(&req)?;
    check_unique_name(&state, ctx.id(), &policy.name, "")?;
    policy.policy_id = new_id();
    policy.created_at_timestamp = now_ms();
    policy.creator_user_name = Some(ctx.principal.name.clone());
    save(&state, ctx.id(), &policy).await?;
    Ok(Json(CreatePolicyResponse {
        policy_id: policy.policy_id,
    }))
}

async fn edit(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<PolicyRequest>,
) -> ApiResult<Json<Empty>> {
    let _guard = state.identity_writes().await?;
    let id = crate::validate::required("policy_id", req.policy_id.as_deref().unwrap_or_default())?
        .to_owned();
    let old = find(&state, ctx.id(), &id)?;
    let mut policy = shape(&req)?;
    check_unique_name(&state, ctx.id(), &policy.name, &id)?;
    policy.policy_id = id;
    policy.created_at_timestamp = old.created_at_timestamp;
    policy.creator_user_name = old.creator_user_name;
    save(&state, ctx.id(), &policy).await?;
    Ok(Json(Empty {}))
}

async fn delete(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<PolicyId>,
) -> ApiResult<Json<Empty>> {
    let _guard = state.identity_writes().await?;
    find(&state, ctx.id(), &req.policy_id)?;
    let k = key(ctx.id(), &req.policy_id);
    let acl = format!("cluster-policies/{}", req.policy_id);
    state.store().transact(|tx| {
        repo::tx_delete(tx, TREE, &k)?;
        crate::authz::store::tx_delete(tx, ctx.id(), &acl)?;
        Ok::<_, ApiError>(())
    })?;
    state.flush().await?;
    Ok(Json(Empty {}))
}

#[derive(Debug, Deserialize)]
struct GetQuery {
    #[serde(default)]
    policy_id: String,
}

async fn fetch(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Query(q): Query<GetQuery>,
) -> ApiResult<Json<Policy>> {
    let id = crate::validate::required("policy_id", &q.policy_id)?;
    Ok(Json(find(&state, ctx.id(), id)?))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    sort_column: Option<String>,
    sort_order: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<ListPoliciesResponse>> {
    let mut policies: Vec<Policy> =
        repo::scan::<PolicyRecord>(state.store(), TREE, &ws_key(ctx.id()))?
            .into_iter()
            .map(|r| r.0)
            .collect();
    match q.sort_column.as_deref() {
        None | Some("POLICY_CREATION_TIME") => {
            policies.sort_by_key(|p| (p.created_at_timestamp, p.policy_id.clone()))
        }
        Some("POLICY_NAME") => policies.sort_by(|a, b| a.name.cmp(&b.name)),
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "sort_column {other:?} must be POLICY_CREATION_TIME or POLICY_NAME."
            )))
        }
    }
    match q.sort_order.as_deref() {
        None | Some("DESC") if q.sort_column.as_deref() != Some("POLICY_NAME") => {
            policies.reverse()
        }
        Some("DESC") => policies.reverse(),
        None | Some("ASC") => {}
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "sort_order {other:?} must be ASC or DESC."
            )))
        }
    }
    Ok(Json(ListPoliciesResponse { policies }))
}

async fn list_families() -> Json<ListPolicyFamiliesResponse> {
    Json(ListPolicyFamiliesResponse {
        policy_families: families::all(),
        next_page_token: None,
    })
}

async fn get_family(Path((_, id)): Path<(i64, String)>) -> ApiResult<Json<PolicyFamily>> {
    families::find(&id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("Policy family {id} does not exist.")))
}
