//! Workspaces: create (PROVISIONING, then RUNNING), get, list, update in both request forms,
//! delete with everything the workspace owns.

use super::deployments;
use super::refs::{self, Kind};
use crate::error::{ApiError, ApiResult};
use crate::json::Body;
use crate::model::{KeyRecord, NetworkRecord, PrivateAccessRecord, WorkspaceRecord, HELD};
use crate::repo::{self, trees, ws_key};
use crate::state::AppState;
use crate::time::now_ms;
use crate::validate;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use ironbrick_api::account::{
    CreateWorkspaceRequest, OtherCloudFields, UpdateWorkspaceRequest, Workspace, COMPUTE_MODES,
    EXPECTED_WORKSPACE_STATUSES, PRICING_TIERS,
};
use ironbrick_api::validate as rules;
use ironbrick_api::Empty;
use ironbrick_store::{StoreError, Tx};
use serde::Deserialize;

const CMK_FIELDS: [&str; 2] = [
    "managed_services_customer_managed_key_id",
    "storage_customer_managed_key_id",
];
const UPDATABLE: [&str; 11] = [
    "workspace_name",
    "aws_region",
    "credentials_id",
    "storage_configuration_id",
    "network_id",
    "managed_services_customer_managed_key_id",
    "storage_customer_managed_key_id",
    "private_access_settings_id",
    "custom_tags",
    "network_connectivity_config_id",
    "expected_workspace_status",
];
const SERVERLESS: &str = "SERVERLESS";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/workspaces", get(list).post(create))
        .route(
            "/workspaces/{workspace_id}",
            get(fetch).patch(update).delete(delete),
        )
}

/// The wire form of a stored workspace, with its status as of now.
pub fn render(state: &AppState, w: &WorkspaceRecord) -> Workspace {
    let running = now_ms() >= w.ready_at;
    let serverless = w.compute_mode == SERVERLESS;
    Workspace {
        workspace_id: w.workspace_id,
        workspace_name: w.workspace_name.clone(),
        account_id: state.account_id().to_string(),
        aws_region: w.aws_region.clone(),
        deployment_name: Some(w.deployment_name.clone()),
        cloud: "aws".into(),
        workspace_status: if running { "RUNNING" } else { "PROVISIONING" }.into(),
        workspace_status_message: if running {
            "Workspace is running."
        } else {
            "Workspace resources are being set up."
        }
        .into(),
        pricing_tier: w.pricing_tier.clone(),
        creation_time: w.creation_time,
        credentials_id: w.credentials_id.clone(),
        storage_configuration_id: w.storage_configuration_id.clone(),
        network_id: w.network_id.clone(),
        managed_services_customer_managed_key_id: w
            .managed_services_customer_managed_key_id
            .clone(),
        storage_customer_managed_key_id: w.storage_customer_managed_key_id.clone(),
        private_access_settings_id: w.private_access_settings_id.clone(),
        custom_tags: w.custom_tags.clone(),
        compute_mode: w.compute_mode.clone(),
        storage_mode: if serverless {
            "DEFAULT_STORAGE"
        } else {
            "CUSTOMER_HOSTED"
        }
        .into(),
        is_no_public_ip_enabled: Some(w.is_no_public_ip_enabled),
        network_connectivity_config_id: w.network_connectivity_config_id.clone(),
        expected_workspace_status: w.expected_workspace_status.clone(),
        external_customer_info: w.external_customer_info.clone(),
        workspace_url: state.workspace_url(w),
    }
}

fn nonblank(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Refuses fields of other clouds by name.
fn refuse_other_clouds(other: &OtherCloudFields) -> ApiResult<()> {
    match other.set().as_slice() {
        [] => Ok(()),
        names => Err(ApiError::invalid(format!(
            "{} not supported: Ironbrick serves AWS workspaces.",
            names.join(", ")
        ))),
    }
}

fn check_tags(tags: Option<&std::collections::BTreeMap<String, String>>) -> ApiResult<()> {
    tags.map_or(Ok(()), |t| rules::custom_tags(t).map_err(ApiError::invalid))
}

fn check_expected_status(status: Option<&str>) -> ApiResult<()> {
    match status {
        Some(s) if !EXPECTED_WORKSPACE_STATUSES.contains(&s) => Err(ApiError::invalid(format!(
            "expected_workspace_status {s:?} is not one of {EXPECTED_WORKSPACE_STATUSES:?}."
        ))),
        _ => Ok(()),
    }
}

/// When a workspace released now turns RUNNING.
fn release_time(state: &AppState) -> i64 {
    let delay = i64::try_from(state.settings().provisioning_delay.as_millis()).unwrap_or(i64::MAX);
    now_ms().saturating_add(delay)
}

/// A serverless workspace has neither credentials nor a storage configuration.
fn check_compute_mode(w: &WorkspaceRecord) -> ApiResult<()> {
    if w.compute_mode != SERVERLESS {
        return Ok(());
    }
    for (field, set) in [
        ("credentials_id", w.credentials_id.is_some()),
        (
            "storage_configuration_id",
            w.storage_configuration_id.is_some(),
        ),
    ] {
        if set {
            return Err(ApiError::invalid(format!(
                "{field} must not be set on a SERVERLESS workspace (it uses serverless compute and default storage)."
            )));
        }
    }
    Ok(())
}

fn deployment_name(state: &AppState, requested: Option<String>) -> ApiResult<Option<String>> {
    let Some(name) = nonblank(requested) else {
        return Ok(None);
    };
    rules::deployment_name(&name).map_err(ApiError::invalid)?;
    if let Some(d) = &state.settings().workspace_domain {
        if d.is_public_host(&name) {
            return Err(ApiError::invalid(format!(
                "deployment_name {name} is reserved: {} is this server's own host.",
                d.host(&name)
            )));
        }
    }
    Ok(Some(name))
}

async fn create(
    State(state): State<AppState>,
    Body(req): Body<CreateWorkspaceRequest>,
) -> ApiResult<Json<Workspace>> {
    refuse_other_clouds(&req.other_clouds)?;
    if let Some(cloud) = req.cloud.as_deref().filter(|c| *c != "aws") {
        return Err(ApiError::invalid(format!(
            "cloud {cloud:?} not supported: Ironbrick serves AWS workspaces."
        )));
    }
    let name = validate::required("workspace_name", &req.workspace_name)?.to_string();
    let region = validate::region(
        "aws_region",
        req.aws_region
            .as_deref()
            .ok_or_else(|| ApiError::invalid("aws_region is required."))?,
    )?;
    let pricing_tier = req.pricing_tier.unwrap_or_else(|| "ENTERPRISE".into());
    if !PRICING_TIERS.contains(&pricing_tier.as_str()) {
        return Err(ApiError::invalid(format!(
            "pricing_tier {pricing_tier:?} is not one of {PRICING_TIERS:?}."
        )));
    }
    let compute_mode = req.compute_mode.unwrap_or_else(|| "HYBRID".into());
    if !COMPUTE_MODES.contains(&compute_mode.as_str()) {
        return Err(ApiError::invalid(format!(
            "compute_mode {compute_mode:?} is not one of {COMPUTE_MODES:?}."
        )));
    }
    let credentials_id = nonblank(req.credentials_id);
    let storage_configuration_id = nonblank(req.storage_configuration_id);
    if compute_mode != SERVERLESS {
        if credentials_id.is_none() {
            return Err(ApiError::invalid("credentials_id is required."));
        }
        if storage_configuration_id.is_none() {
            return Err(ApiError::invalid("storage_configuration_id is required."));
        }
    }
    let requested_name = deployment_name(&state, req.deployment_name)?;
    check_tags(req.custom_tags.as_ref())?;
    check_expected_status(req.expected_workspace_status.as_deref())?;
    if let Some(info) = &req.external_customer_info {
        for (field, v) in [
            ("customer_name", &info.customer_name),
            ("authoritative_user_email", &info.authoritative_user_email),
            (
                "authoritative_user_full_name",
                &info.authoritative_user_full_name,
            ),
        ] {
            validate::required(&format!("external_customer_info.{field}"), v)?;
        }
    }
    let now = now_ms();
    let held = req.expected_workspace_status.as_deref() == Some("PROVISIONING");
    let mut record = WorkspaceRecord {
        workspace_id: crate::ids::workspace_id(),
        workspace_name: name,
        aws_region: Some(region),
        deployment_name: requested_name.clone().unwrap_or_default(),
        pricing_tier,
        creation_time: now,
        ready_at: if held { HELD } else { release_time(&state) },
        credentials_id,
        storage_configuration_id,
        network_id: nonblank(req.network_id),
        managed_services_customer_managed_key_id: nonblank(
            req.managed_services_customer_managed_key_id,
        ),
        storage_customer_managed_key_id: nonblank(req.storage_customer_managed_key_id),
        private_access_settings_id: nonblank(req.private_access_settings_id),
        custom_tags: req.custom_tags,
        compute_mode,
        is_no_public_ip_enabled: req.is_no_public_ip_enabled.unwrap_or(true),
        network_connectivity_config_id: nonblank(req.network_connectivity_config_id),
        expected_workspace_status: req.expected_workspace_status,
        external_customer_info: req.external_customer_info,
        dmk: None,
    };
    check_compute_mode(&record)?;
    let key_arn = state
        .store()
        .transact(|tx| managed_services_key_arn(tx, &record))?;
    record.dmk = Some(
        state
            .vault()
            .new_dmk(record.workspace_id, key_arn.as_deref())
            .await?,
    );
    let record = state
        .store()
        .transact(|tx| insert(tx, &record, requested_name.as_deref()))?;
    state.flush().await?;
    Ok(Json(render(&state, &record)))
}

/// Validates the workspace's managed-services key (before any KMS call) and returns its ARN.
fn managed_services_key_arn(tx: &mut dyn Tx, w: &WorkspaceRecord) -> ApiResult<Option<String>> {
    let Some(key_id) = &w.managed_services_customer_managed_key_id else {
        return Ok(None);
    };
    let region = w.aws_region.clone().unwrap_or_default();
    check_key(tx, CMK_FIELDS[0], key_id, "MANAGED_SERVICES", &region)?;
    let key = repo::tx_get::<KeyRecord>(tx, trees::KEYS, key_id)?.ok_or_else(|| {
        ApiError::invalid(format!(
            "{}: customer-managed key {key_id} does not exist.",
            CMK_FIELDS[0]
        ))
    })?;
    Ok(Some(key.0.aws_key_info.key_arn))
}

/// Stores a new workspace under its requested deployment name, or a generated one.
fn insert(
    tx: &mut dyn Tx,
    w: &WorkspaceRecord,
    requested_name: Option<&str>,
) -> ApiResult<WorkspaceRecord> {
    let mut w = w.clone();
    w.deployment_name = match requested_name {
        Some(name) => {
            deployments::claim(tx, name, w.workspace_id)?;
            name.to_string()
        }
        None => deployments::claim_generated(tx, w.workspace_id)?,
    };
    attach_references(tx, &w, None)?;
    crate::workspace::objects::seed(tx, w.workspace_id)?;
    crate::identity::seed::tx_seed_workspace(tx, w.workspace_id)?;
    repo::tx_put(tx, trees::WORKSPACES, &ws_key(w.workspace_id), &w)?;
    Ok(w)
}

/// Checks and records the account objects `w` references. `prior` is the workspace before an
/// update; references it already held are released first.
fn attach_references(
    tx: &mut dyn Tx,
    w: &WorkspaceRecord,
    prior: Option<&WorkspaceRecord>,
) -> ApiResult<()> {
    let id = w.workspace_id;
    if let Some(p) = prior {
        for (kind, reference) in references(p) {
            refs::remove(tx, kind, &reference, id)?;
        }
    }
    for (kind, field, reference) in named_references(w) {
        refs::require_exists(tx, kind, field, &reference)?;
    }
    if let Some(network_id) = &w.network_id {
        attach_network(tx, network_id, id)?;
    }
    let region = w.aws_region.clone().unwrap_or_default();
    if let Some(pas) = &w.private_access_settings_id {
        check_private_access(tx, pas, &region)?;
    }
    if let Some(key_id) = &w.managed_services_customer_managed_key_id {
        check_key(
            tx,
            "managed_services_customer_managed_key_id",
            key_id,
            "MANAGED_SERVICES",
            &region,
        )?;
    }
    if let Some(key_id) = &w.storage_customer_managed_key_id {
        check_key(
            tx,
            "storage_customer_managed_key_id",
            key_id,
            "STORAGE",
            &region,
        )?;
    }
    for (kind, reference) in references(w) {
        refs::add(tx, kind, &reference, id)?;
    }
    Ok(())
}

/// Private access settings belong to one region: the workspace's.
fn check_private_access(tx: &mut dyn Tx, id: &str, region: &str) -> ApiResult<()> {
    let pas =
        repo::tx_get::<PrivateAccessRecord>(tx, trees::PRIVATE_ACCESS, id)?.ok_or_else(|| {
            ApiError::invalid(format!(
                "private_access_settings_id: private access settings {id} do not exist."
            ))
        })?;
    if pas.0.region != region {
        return Err(ApiError::invalid(format!(
            "private_access_settings_id: private access settings {id} are for {}, and the \
             workspace is in {region}.",
            pas.0.region
        )));
    }
    Ok(())
}

fn named_references(w: &WorkspaceRecord) -> Vec<(Kind, &'static str, String)> {
    [
        (Kind::Credentials, "credentials_id", &w.credentials_id),
        (
            Kind::Storage,
            "storage_configuration_id",
            &w.storage_configuration_id,
        ),
        (Kind::Network, "network_id", &w.network_id),
        (
            Kind::Key,
            CMK_FIELDS[0],
            &w.managed_services_customer_managed_key_id,
        ),
        (Kind::Key, CMK_FIELDS[1], &w.storage_customer_managed_key_id),
        (
            Kind::PrivateAccess,
            "private_access_settings_id",
            &w.private_access_settings_id,
        ),
    ]
    .into_iter()
    .filter_map(|(k, f, v)| v.clone().map(|v| (k, f, v)))
    .collect()
}

fn references(w: &WorkspaceRecord) -> Vec<(Kind, String)> {
    named_references(w)
        .into_iter()
        .map(|(k, _, v)| (k, v))
        .collect()
}

fn attach_network(tx: &mut dyn Tx, network_id: &str, workspace_id: i64) -> ApiResult<()> {
    let others: Vec<i64> = refs::users(tx, Kind::Network, network_id)?
        .into_iter()
        .filter(|w| *w != workspace_id)
        .collect();
    if let Some(other) = others.first() {
        return Err(ApiError::invalid(format!(
            "network_id: network {network_id} is already used by workspace {other}; subnets cannot be shared between workspaces."
        )));
    }
    set_network_status(tx, network_id, Some(workspace_id))
}

fn set_network_status(
    tx: &mut dyn Tx,
    network_id: &str,
    workspace_id: Option<i64>,
) -> ApiResult<()> {
    if let Some(mut n) = repo::tx_get::<NetworkRecord>(tx, trees::NETWORKS, network_id)? {
        n.0.workspace_id = workspace_id;
        n.0.vpc_status = if workspace_id.is_some() {
            "VALID"
        } else {
            "UNATTACHED"
        }
        .into();
        repo::tx_put(tx, trees::NETWORKS, network_id, &n)?;
    }
    Ok(())
}

fn check_key(
    tx: &mut dyn Tx,
    field: &str,
    key_id: &str,
    use_case: &str,
    region: &str,
) -> ApiResult<()> {
    let key = repo::tx_get::<KeyRecord>(tx, trees::KEYS, key_id)?
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "{field}: customer-managed key {key_id} does not exist."
            ))
        })?
        .0;
    if !key.use_cases.iter().any(|u| u == use_case) {
        return Err(ApiError::invalid(format!(
            "{field}: customer-managed key {key_id} is not registered for use case {use_case}."
        )));
    }
    let key_region = key.aws_key_info.key_region.unwrap_or_default();
    if use_case == "MANAGED_SERVICES"
        && !validate::MANAGED_SERVICES_REGIONS.contains(&key_region.as_str())
    {
        return Err(ApiError::invalid(format!(
            "{field}: keys for managed services (notebooks) must be in one of {:?}; key {key_id} is in {key_region}.",
            validate::MANAGED_SERVICES_REGIONS
        )));
    }
    if key_region != region {
        return Err(ApiError::invalid(format!(
            "{field}: key {key_id} is in {key_region} but the workspace is in {region}."
        )));
    }
    Ok(())
}

async fn list(State(state): State<AppState>) -> ApiResult<Json<Vec<Workspace>>> {
    let all = repo::scan::<WorkspaceRecord>(state.store(), trees::WORKSPACES, "")?;
    Ok(Json(all.iter().map(|w| render(&state, w)).collect()))
}

fn load(state: &AppState, id: i64) -> ApiResult<WorkspaceRecord> {
    repo::get(state.store(), trees::WORKSPACES, &ws_key(id))?
        .ok_or_else(|| ApiError::not_found(format!("Workspace {id} does not exist.")))
}

async fn fetch(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
) -> ApiResult<Json<Workspace>> {
    Ok(Json(render(&state, &load(&state, id)?)))
}

#[derive(Debug, Deserialize)]
struct UpdateQuery {
    update_mask: Option<String>,
}

/// The fields an update touches: those named by the mask, or those present in the body.
fn touched(mask: Option<&str>, req: &UpdateWorkspaceRequest) -> ApiResult<Vec<&'static str>> {
    let present = |f: &str| -> bool {
        match f {
            "workspace_name" => req.workspace_name.is_some(),
            "aws_region" => req.aws_region.is_some(),
            "credentials_id" => req.credentials_id.is_some(),
            "storage_configuration_id" => req.storage_configuration_id.is_some(),
            "network_id" => req.network_id.is_some(),
            "managed_services_customer_managed_key_id" => {
                req.managed_services_customer_managed_key_id.is_some()
            }
            "storage_customer_managed_key_id" => req.storage_customer_managed_key_id.is_some(),
            "private_access_settings_id" => req.private_access_settings_id.is_some(),
            "custom_tags" => req.custom_tags.is_some(),
            "network_connectivity_config_id" => req.network_connectivity_config_id.is_some(),
            "expected_workspace_status" => req.expected_workspace_status.is_some(),
            _ => false,
        }
    };
    match mask.map(str::trim) {
        None | Some("") => Ok(UPDATABLE.into_iter().filter(|f| present(f)).collect()),
        Some("*") => Ok(UPDATABLE.to_vec()),
        Some(mask) => mask
            .split(',')
            .map(|f| {
                UPDATABLE
                    .into_iter()
                    .find(|u| *u == f.trim())
                    .ok_or_else(|| {
                        ApiError::invalid(format!("update_mask: field {f:?} cannot be updated."))
                    })
            })
            .collect(),
    }
}

/// Applies the touched `fields` of `req` to `w`. A held workspace released by
/// `expected_workspace_status: RUNNING` turns RUNNING at `release_at`.
fn apply(
    w: &mut WorkspaceRecord,
    req: &UpdateWorkspaceRequest,
    fields: &[&str],
    release_at: i64,
) -> ApiResult<()> {
    for field in fields {
        match *field {
            "workspace_name" => {
                if let Some(n) = &req.workspace_name {
                    w.workspace_name = validate::required("workspace_name", n)?.to_string();
                }
            }
            "aws_region" => {
                if let Some(r) = req
                    .aws_region
                    .as_deref()
                    .filter(|r| Some(*r) != w.aws_region.as_deref())
                {
                    return Err(ApiError::invalid(format!(
                        "aws_region cannot be changed (from {:?} to {r:?}).",
                        w.aws_region
                    )));
                }
            }
            "credentials_id" => set(&mut w.credentials_id, &req.credentials_id, true),
            "storage_configuration_id" => set(
                &mut w.storage_configuration_id,
                &req.storage_configuration_id,
                true,
            ),
            "network_id" => set(&mut w.network_id, &req.network_id, false),
            "private_access_settings_id" => set(
                &mut w.private_access_settings_id,
                &req.private_access_settings_id,
                false,
            ),
            "custom_tags" => {
                check_tags(req.custom_tags.as_ref())?;
                w.custom_tags.clone_from(&req.custom_tags);
            }
            "network_connectivity_config_id" => set(
                &mut w.network_connectivity_config_id,
                &req.network_connectivity_config_id,
                false,
            ),
            "expected_workspace_status" => expect_status(w, req, release_at)?,
            cmk => {
                let (current, wanted) = if cmk == CMK_FIELDS[0] {
                    (
                        &w.managed_services_customer_managed_key_id,
                        &req.managed_services_customer_managed_key_id,
                    )
                } else {
                    (
                        &w.storage_customer_managed_key_id,
                        &req.storage_customer_managed_key_id,
                    )
                };
                if nonblank(wanted.clone()) != *current {
                    return Err(ApiError::invalid(format!(
                        "{cmk} is fixed when the workspace is created and cannot be set or changed (a new key needs a new workspace)."
                    )));
                }
            }
        }
    }
    Ok(())
}

/// `expected_workspace_status` on update: `RUNNING` (or absent under a mask) releases a held
/// workspace; `PROVISIONING` holds one that is still provisioning.
fn expect_status(
    w: &mut WorkspaceRecord,
    req: &UpdateWorkspaceRequest,
    release_at: i64,
) -> ApiResult<()> {
    let wanted = nonblank(req.expected_workspace_status.clone());
    check_expected_status(wanted.as_deref())?;
    if wanted.as_deref() == Some("PROVISIONING") {
        if now_ms() >= w.ready_at {
            return Err(ApiError::invalid_state(format!(
                "Workspace {} is already RUNNING; it cannot be held in PROVISIONING.",
                w.workspace_id
            )));
        }
        w.ready_at = HELD;
    } else if w.ready_at == HELD {
        w.ready_at = release_at;
    }
    w.expected_workspace_status = wanted;
    Ok(())
}

fn set(target: &mut Option<String>, value: &Option<String>, keep_when_blank: bool) {
    match nonblank(value.clone()) {
        Some(v) => *target = Some(v),
        None if !keep_when_blank => *target = None,
        None => {}
    }
}

async fn update(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    Query(query): Query<UpdateQuery>,
    Body(req): Body<UpdateWorkspaceRequest>,
) -> ApiResult<Json<Workspace>> {
    refuse_other_clouds(&req.other_clouds)?;
    let fields = touched(query.update_mask.as_deref(), &req)?;
    let release_at = release_time(&state);
    let updated = state.store().transact(|tx| {
        let prior: WorkspaceRecord = repo::tx_get(tx, trees::WORKSPACES, &ws_key(id))?
            .ok_or_else(|| ApiError::not_found(format!("Workspace {id} does not exist.")))?;
        let mut next = prior.clone();
        apply(&mut next, &req, &fields, release_at)?;
        check_compute_mode(&next)?;
        if let Some(old) = prior
            .network_id
            .as_deref()
            .filter(|n| Some(*n) != next.network_id.as_deref())
        {
            set_network_status(tx, old, None)?;
        }
        attach_references(tx, &next, Some(&prior))?;
        repo::tx_put(tx, trees::WORKSPACES, &ws_key(id), &next)?;
        Ok::<_, ApiError>(next)
    })?;
    state.flush().await?;
    Ok(Json(render(&state, &updated)))
}

async fn delete(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
) -> ApiResult<Json<Empty>> {
    let w = load(&state, id)?;
    let owned = owned_keys(&state, id)?;
    state.store().transact(|tx| {
        for (kind, reference) in references(&w) {
            refs::remove(tx, kind, &reference, id)?;
        }
        if let Some(n) = &w.network_id {
            set_network_status(tx, n, None)?;
        }
        deployments::release(tx, &w.deployment_name)?;
        for (tree, key) in &owned {
            tx.delete(tree, key)?;
        }
        tx.delete(trees::WORKSPACES, ws_key(id).as_bytes())?;
        Ok::<_, ApiError>(())
    })?;
    state.policies().invalidate(id);
    state.vault().envelope().forget(id);
    state.flush().await?;
    Ok(Json(Empty {}))
}

/// Every stored entry a workspace owns, including the digest index of its tokens.
fn owned_keys(state: &AppState, id: i64) -> Result<Vec<(&'static str, Vec<u8>)>, StoreError> {
    let prefix = ws_key(id);
    let mut keys = Vec::new();
    for tree in trees::WORKSPACE_SCOPED {
        for (k, _) in state.store().kv().scan_prefix(tree, prefix.as_bytes())? {
            keys.push((tree, k));
        }
    }
    for t in crate::tokens::list(state.store(), crate::model::TokenScope::Workspace(id))
        .map_err(|e| StoreError::Engine(e.to_string()))?
    {
        keys.push((trees::TOKEN_HASHES, t.digest.into_bytes()));
    }
    keys.extend(
        crate::identity::seed::workspace_removal_keys(state.store(), id)
            .map_err(|e| StoreError::Engine(e.to_string()))?,
    );
    Ok(keys)
}
