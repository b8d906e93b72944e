//! Log delivery configurations (`/log-delivery`): which logs go to which bucket, for which
//! workspaces. Create, get and list are derived ([`AccountObject`]); `PATCH` changes `status`
//! and nothing else; there is no delete (Databricks disables configurations, never deletes
//! them). The delivery itself is [`crate::delivery`].
//!
//! # Limits
//!
//! Databricks' documented limits (Log delivery API, *Create log delivery configuration*; the
//! same text is in the SDK's `LogDeliveryAPI.create` docstring and the Terraform provider's
//! `databricks_mws_log_delivery` page), applied per log type to **enabled** configurations, on
//! create and on re-enable:
//! - at most [`MAX_ACCOUNT_LEVEL`] (2) account-level configurations (no workspace filter);
//! - a workspace id may occur in the filter of at most [`MAX_PER_WORKSPACE`] (2)
//!   configurations.
//!
//! Disabled configurations count toward neither, so a configuration can be created disabled
//! and its re-enabling is refused while it would break a limit (QUOTA_EXCEEDED).
//!
//! # References
//!
//! An **enabled** configuration keeps its credential and storage configurations from being
//! deleted. A disabled one does not (a disabled configuration is how Terraform "destroys" one,
//! and the objects it named must then be destroyable); re-enabling it requires them to exist.

use super::object::{self, AccountObject, Fresh};
use super::refs::Kind;
use crate::error::{ApiError, ApiResult};
use crate::json::Body;
use crate::model::LogDeliveryRecord;
use crate::repo::{self, trees};
use crate::state::AppState;
use crate::time::{now_ms, utc_date};
use axum::extract::{Path, State};
use axum::routing::patch;
use axum::{Json, Router};
use ironbrick_api::log_delivery::{
    CreateLogDeliveryRequest, LogDeliveryConfigStatus, LogDeliveryConfiguration, LogDeliveryStatus,
    UpdateLogDeliveryStatusRequest,
};
use ironbrick_api::{Empty, ErrorCode};
use std::collections::{BTreeSet, HashMap};

/// Enabled account-level configurations (no workspace filter) allowed per log type.
pub const MAX_ACCOUNT_LEVEL: usize = 2;
/// Enabled configurations per log type whose workspace filter may name one workspace.
pub const MAX_PER_WORKSPACE: usize = 2;
/// Longest `config_name`.
const MAX_NAME: usize = 255;

/// Log delivery configurations (`/log-delivery`).
#[derive(Debug)]
pub struct LogDelivery;

impl AccountObject for LogDelivery {
    type Wire = LogDeliveryConfiguration;
    type Stored = LogDeliveryRecord;
    type Create = CreateLogDeliveryRequest;
    const KIND: Kind = Kind::LogDelivery;
    const SEGMENT: &'static str = "log-delivery";
    const ID: &'static str = "config_id";
    const WRAP: Option<(&'static str, &'static str)> =
        Some(("log_delivery_configuration", "log_delivery_configurations"));
    const DELETABLE: bool = false;

    fn id(o: &LogDeliveryConfiguration) -> &str {
        &o.config_id
    }

    fn make(
        state: &AppState,
        req: CreateLogDeliveryRequest,
        fresh: Fresh,
    ) -> ApiResult<LogDeliveryConfiguration> {
        let req = req
            .log_delivery_configuration
            .ok_or_else(|| ApiError::invalid("log_delivery_configuration is required."))?;
        let config_name = req.config_name.unwrap_or_default();
        if config_name.chars().count() > MAX_NAME {
            return Err(ApiError::invalid(format!(
                "config_name is longer than {MAX_NAME} characters."
            )));
        }
        let log_type = req.log_type.ok_or_else(|| {
            ApiError::invalid("log_type is required (AUDIT_LOGS or BILLABLE_USAGE).")
        })?;
        let output_format = req.output_format.ok_or_else(|| {
            ApiError::invalid(format!(
                "output_format is required ({} for {log_type}).",
                log_type.output_format()
            ))
        })?;
        if output_format != log_type.output_format() {
            return Err(ApiError::invalid(format!(
                "output_format {output_format} is not supported for log_type {log_type}: use {}.",
                log_type.output_format()
            )));
        }
        let credentials_id = required_id("credentials_id", req.credentials_id)?;
        let storage_configuration_id =
            required_id("storage_configuration_id", req.storage_configuration_id)?;
        require_referenced(state, &credentials_id, &storage_configuration_id)?;
        if let Some(prefix) = &req.delivery_path_prefix {
            ironbrick_api::validate::delivery_path_prefix(prefix).map_err(ApiError::invalid)?;
        }
        let delivery_start_time = match req.delivery_start_time {
            Some(t) => {
                ironbrick_api::validate::delivery_start_time(&t).map_err(ApiError::invalid)?;
                t
            }
            None => utc_date(fresh.now),
        };
        let workspace_ids_filter = req.workspace_ids_filter.unwrap_or_default();
        check_workspaces(state, &workspace_ids_filter)?;
        let config = LogDeliveryConfiguration {
            config_id: fresh.id,
            config_name,
            log_type,
            output_format,
            account_id: fresh.account_id,
            credentials_id,
            storage_configuration_id,
            workspace_ids_filter,
            delivery_path_prefix: req.delivery_path_prefix,
            delivery_start_time,
            status: req.status.unwrap_or(LogDeliveryConfigStatus::Enabled),
            creation_time: fresh.now,
            update_time: fresh.now,
            log_delivery_status: LogDeliveryStatus::default(),
        };
        if config.status == LogDeliveryConfigStatus::Enabled {
            check_limits(&object::all::<Self>(state)?, &config)?;
        }
        Ok(config)
    }

    fn matches(o: &LogDeliveryConfiguration, query: &HashMap<String, String>) -> ApiResult<bool> {
        if let Some(status) = query.get("status") {
            let status: LogDeliveryConfigStatus = status
                .parse()
                .map_err(|e| ApiError::invalid(format!("{e}")))?;
            if o.status != status {
                return Ok(false);
            }
        }
        let field_is = |name: &str, value: &str| query.get(name).is_none_or(|q| q == value);
        Ok(field_is("credentials_id", &o.credentials_id)
            && field_is("storage_configuration_id", &o.storage_configuration_id))
    }
}

/// The derived routes and `PATCH /log-delivery/{config_id}`.
pub fn routes() -> Router<AppState> {
    object::routes::<LogDelivery>().route("/log-delivery/{config_id}", patch(update_status))
}

fn required_id(field: &str, value: Option<String>) -> ApiResult<String> {
    match value.map(|v| v.trim().to_owned()) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(ApiError::invalid(format!("{field} is required."))),
    }
}

/// Requires the credential and storage configurations to exist in the account.
fn require_referenced(state: &AppState, credentials_id: &str, storage_id: &str) -> ApiResult<()> {
    let exists = |kind: Kind, id: &str| -> ApiResult<bool> {
        Ok(state
            .store()
            .kv()
            .get(kind.tree(), id.as_bytes())?
            .is_some())
    };
    for (kind, field, id) in [
        (Kind::Credentials, "credentials_id", credentials_id),
        (Kind::Storage, "storage_configuration_id", storage_id),
    ] {
        if !exists(kind, id)? {
            return Err(ApiError::invalid(format!(
                "{field}: {} {id} does not exist.",
                kind.noun()
            )));
        }
    }
    Ok(())
}

/// Requires every filtered workspace to exist, once.
fn check_workspaces(state: &AppState, ids: &[i64]) -> ApiResult<()> {
    let mut seen = BTreeSet::new();
    for id in ids {
        if !seen.insert(*id) {
            return Err(ApiError::invalid(format!(
                "workspace_ids_filter names workspace {id} twice."
            )));
        }
        let exists = state
            .store()
            .kv()
            .get(trees::WORKSPACES, repo::ws_key(*id).as_bytes())?
            .is_some();
        if !exists {
            return Err(ApiError::invalid(format!(
                "workspace_ids_filter: workspace {id} does not exist in this account."
            )));
        }
    }
    Ok(())
}

/// Refuses `candidate` (about to be enabled) when, with the other enabled configurations of
/// its log type in `all`, it would break a limit (see the module doc).
pub fn check_limits(
    all: &[LogDeliveryConfiguration],
    candidate: &LogDeliveryConfiguration,
) -> ApiResult<()> {
    let peers: Vec<&LogDeliveryConfiguration> = all
        .iter()
        .filter(|c| {
            c.config_id != candidate.config_id
                && c.log_type == candidate.log_type
                && c.status == LogDeliveryConfigStatus::Enabled
        })
        .collect();
    let quota = |message: String| Err(ApiError::new(ErrorCode::QuotaExceeded, message));
    if candidate.workspace_ids_filter.is_empty() {
        let n = peers
            .iter()
            .filter(|c| c.workspace_ids_filter.is_empty())
            .count();
        if n >= MAX_ACCOUNT_LEVEL {
            return quota(format!(
                "At most {MAX_ACCOUNT_LEVEL} enabled account-level (no workspace filter) log \
                 delivery configurations of type {} are allowed; disable one first.",
                candidate.log_type
            ));
        }
    }
    for ws in &candidate.workspace_ids_filter {
        let n = peers
            .iter()
            .filter(|c| c.workspace_ids_filter.contains(ws))
            .count();
        if n >= MAX_PER_WORKSPACE {
            return quota(format!(
                "Workspace {ws} is already in the workspace filter of {MAX_PER_WORKSPACE} \
                 enabled log delivery configurations of type {}; disable one first.",
                candidate.log_type
            ));
        }
    }
    Ok(())
}

/// The enabled configuration (if any) that uses credential (`kind` Credentials) or storage
/// configuration `id`, for the refusal of its deletion.
pub fn used_by(state: &AppState, kind: Kind, id: &str) -> ApiResult<Option<String>> {
    Ok(object::all::<LogDelivery>(state)?
        .into_iter()
        .find(|c| {
            c.status == LogDeliveryConfigStatus::Enabled
                && match kind {
                    Kind::Credentials => c.credentials_id == id,
                    Kind::Storage => c.storage_configuration_id == id,
                    _ => false,
                }
        })
        .map(|c| format!("log delivery configuration {}", c.config_id)))
}

/// Records the outcome of a delivery attempt in configuration `id` (only
/// `log_delivery_status` changes; a configuration that vanished is ignored).
pub fn record_status(state: &AppState, id: &str, status: &LogDeliveryStatus) -> ApiResult<()> {
    state.store().transact(|tx| {
        let Some(mut rec) = repo::tx_get::<LogDeliveryRecord>(tx, trees::LOG_DELIVERY, id)? else {
            return Ok(());
        };
        rec.0.log_delivery_status = status.clone();
        repo::tx_put(tx, trees::LOG_DELIVERY, id, &rec).map_err(ApiError::from)
    })
}

async fn update_status(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    Body(req): Body<UpdateLogDeliveryStatusRequest>,
) -> ApiResult<Json<Empty>> {
    if let Some(field) = req.other.keys().next() {
        object::find::<LogDelivery>(&state, &id)?;
        return Err(ApiError::invalid(format!(
            "{field} cannot be changed: after creation only status may change."
        )));
    }
    let status = req
        .status
        .ok_or_else(|| ApiError::invalid("status is required (ENABLED or DISABLED)."))?;
    {
        let _checked = object::checked_writes()?;
        let current = object::find::<LogDelivery>(&state, &id)?;
        if status == LogDeliveryConfigStatus::Enabled {
            require_referenced(
                &state,
                &current.credentials_id,
                &current.storage_configuration_id,
            )?;
            let mut candidate = current.clone();
            candidate.status = status;
            check_limits(&object::all::<LogDelivery>(&state)?, &candidate)?;
        }
        let now = now_ms();
        state.store().transact(|tx| {
            let mut rec = repo::tx_get::<LogDeliveryRecord>(tx, trees::LOG_DELIVERY, &id)?
                .ok_or_else(|| {
                    ApiError::not_found(format!("Log delivery configuration {id} does not exist."))
                })?;
            if rec.0.status != status {
                rec.0.status = status;
                rec.0.update_time = now;
            }
            repo::tx_put(tx, trees::LOG_DELIVERY, &id, &rec).map_err(ApiError::from)
        })?;
    }
    state.flush().await?;
    Ok(Json(Empty {}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironbrick_api::log_delivery::{LogType, OutputFormat};

    fn config(
        id: &str,
        log_type: LogType,
        filter: &[i64],
        enabled: bool,
    ) -> LogDeliveryConfiguration {
        LogDeliveryConfiguration {
            config_id: id.into(),
            config_name: String::new(),
            log_type,
            output_format: log_type.output_format(),
            account_id: "a".into(),
            credentials_id: "c".into(),
            storage_configuration_id: "s".into(),
            workspace_ids_filter: filter.to_vec(),
            delivery_path_prefix: None,
            delivery_start_time: "2024-01-01".into(),
            status: if enabled {
                LogDeliveryConfigStatus::Enabled
            } else {
                LogDeliveryConfigStatus::Disabled
            },
            creation_time: 0,
            update_time: 0,
            log_delivery_status: LogDeliveryStatus::default(),
        }
    }

    #[test]
    fn two_enabled_account_level_configs_per_type() {
        let audit = LogType::AuditLogs;
        let all = vec![
            config("1", audit, &[], true),
            config("2", audit, &[], true),
            config("3", audit, &[], false),
            config("4", LogType::BillableUsage, &[], true),
        ];
        let err = check_limits(&all, &config("5", audit, &[], true)).unwrap_err();
        assert_eq!(err.code(), ErrorCode::QuotaExceeded);
        assert!(check_limits(&all, &config("5", LogType::BillableUsage, &[], true)).is_ok());
        assert!(check_limits(&all, &config("5", audit, &[7], true)).is_ok());
        // re-enabling one of the two already counted is fine
        assert!(check_limits(&all, &config("1", audit, &[], true)).is_ok());
        assert_eq!(OutputFormat::Json, audit.output_format());
    }

    #[test]
    fn a_workspace_in_two_enabled_filters_per_type() {
        let audit = LogType::AuditLogs;
        let all = vec![
            config("1", audit, &[7, 8], true),
            config("2", audit, &[7], true),
            config("3", audit, &[8], false),
        ];
        assert!(check_limits(&all, &config("4", audit, &[7], true)).is_err());
        assert!(check_limits(&all, &config("4", audit, &[8, 9], true)).is_ok());
        assert!(check_limits(&all, &config("4", audit, &[], true)).is_ok());
    }
}
