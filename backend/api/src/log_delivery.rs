//! Log delivery configurations of the account API (`/log-delivery`, the SDK's `billing`
//! service): where audit logs (JSON lines) and billable usage (CSV) are delivered.
//!
//! Unlike the provisioning objects, answers are wrapped: create and get answer
//! `{"log_delivery_configuration": {...}}`, list answers `{"log_delivery_configurations": [...]}`,
//! and create takes the configuration wrapped the same way. After creation only `status` may
//! change (`PATCH /log-delivery/{config_id}`); configurations cannot be deleted.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

wire_enum! {
    /// What is delivered.
    pub enum LogType ("log_type") {
        /// Audit events, as JSON lines.
        AuditLogs = "AUDIT_LOGS",
        /// Billable usage, as CSV.
        BillableUsage = "BILLABLE_USAGE",
    }
}

wire_enum! {
    /// The file format: `JSON` for audit logs, `CSV` for billable usage (nothing else is
    /// accepted).
    pub enum OutputFormat ("output_format") {
        Json = "JSON",
        Csv = "CSV",
    }
}

impl LogType {
    /// The only output format Databricks accepts for this log type.
    pub fn output_format(self) -> OutputFormat {
        match self {
            Self::AuditLogs => OutputFormat::Json,
            Self::BillableUsage => OutputFormat::Csv,
        }
    }
}

wire_enum! {
    /// Whether a configuration delivers.
    pub enum LogDeliveryConfigStatus ("status") {
        Enabled = "ENABLED",
        Disabled = "DISABLED",
    }
}

wire_enum! {
    /// The outcome of the latest delivery attempt.
    pub enum DeliveryStatus ("log_delivery_status.status") {
        /// No attempt since the configuration was created.
        Created = "CREATED",
        /// The latest attempt delivered everything it had.
        Succeeded = "SUCCEEDED",
        /// The latest attempt failed on the customer's side (role, bucket, permissions).
        UserFailure = "USER_FAILURE",
        /// The latest attempt failed on the service's side (S3 or STS unreachable, ...).
        SystemFailure = "SYSTEM_FAILURE",
        /// Nothing is delivered (for example: the log type is not delivered by this server).
        NotFound = "NOT_FOUND",
    }
}

/// The configuration a create request describes (inside [`CreateLogDeliveryRequest`]).
/// Required fields are optional here so that their absence is answered with a clear
/// `INVALID_PARAMETER_VALUE` rather than a parse error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateLogDeliveryConfigurationParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_type: Option<LogType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_format: Option<OutputFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_configuration_id: Option<String>,
    /// A prefix of S3 keys, without a leading or trailing `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_path_prefix: Option<String>,
    /// `yyyy-mm-dd` (UTC): no event before that day is delivered. `yyyy-mm` (the SDK's
    /// spelling for billable usage) means the first of that month. Defaults to the day of
    /// creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_start_time: Option<String>,
    /// `ENABLED` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<LogDeliveryConfigStatus>,
    /// Workspaces delivered for; empty means the whole account (every workspace, and
    /// account-level events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_ids_filter: Option<Vec<i64>>,
}

/// `POST /log-delivery`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateLogDeliveryRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_delivery_configuration: Option<CreateLogDeliveryConfigurationParams>,
}

/// How the latest delivery went. Times are UTC, `yyyy-mm-ddThh:mm:ssZ`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogDeliveryStatus {
    pub status: DeliveryStatus,
    /// What happened; on failure, what to fix. Never holds a secret.
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_successful_attempt_time: Option<String>,
}

impl Default for LogDeliveryStatus {
    fn default() -> Self {
        Self {
            status: DeliveryStatus::Created,
            message: "There were no log delivery attempts since the config was created.".to_owned(),
            last_attempt_time: None,
            last_successful_attempt_time: None,
        }
    }
}

/// A log delivery configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogDeliveryConfiguration {
    pub config_id: String,
    #[serde(default)]
    pub config_name: String,
    pub log_type: LogType,
    pub output_format: OutputFormat,
    pub account_id: String,
    pub credentials_id: String,
    pub storage_configuration_id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workspace_ids_filter: Vec<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_path_prefix: Option<String>,
    pub delivery_start_time: String,
    pub status: LogDeliveryConfigStatus,
    /// Milliseconds since the epoch.
    pub creation_time: i64,
    /// Milliseconds since the epoch: creation, or the latest status change.
    pub update_time: i64,
    #[serde(default)]
    pub log_delivery_status: LogDeliveryStatus,
}

/// Answer of create and get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedLogDeliveryConfiguration {
    pub log_delivery_configuration: LogDeliveryConfiguration,
}

/// Answer of list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedLogDeliveryConfigurations {
    #[serde(default)]
    pub log_delivery_configurations: Vec<LogDeliveryConfiguration>,
}

/// Query of list: each filter given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListLogDeliveryQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_configuration_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<LogDeliveryConfigStatus>,
    /// Accepted and ignored: every configuration fits one page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
}

/// `PATCH /log-delivery/{config_id}`: only `status` may change. Any other field is collected in
/// `other` so that the server can refuse it by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateLogDeliveryStatusRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<LogDeliveryConfigStatus>,
    #[serde(flatten, skip_serializing)]
    pub other: BTreeMap<String, serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_the_sdk_sends() {
        let req: CreateLogDeliveryRequest = serde_json::from_str(
            r#"{"log_delivery_configuration": {"log_type": "AUDIT_LOGS", "output_format": "JSON",
                "credentials_id": "c", "storage_configuration_id": "s",
                "workspace_ids_filter": [1, 2]}}"#,
        )
        .unwrap();
        let c = req.log_delivery_configuration.unwrap();
        assert_eq!(c.log_type, Some(LogType::AuditLogs));
        assert_eq!(c.workspace_ids_filter, Some(vec![1, 2]));
        let bad = serde_json::from_str::<CreateLogDeliveryRequest>(
            r#"{"log_delivery_configuration": {"log_type": "AUDIT"}}"#,
        );
        assert!(bad.unwrap_err().to_string().contains("AUDIT_LOGS"));
        let patch: UpdateLogDeliveryStatusRequest =
            serde_json::from_str(r#"{"status": "DISABLED", "config_name": "x"}"#).unwrap();
        assert_eq!(patch.status, Some(LogDeliveryConfigStatus::Disabled));
        assert!(patch.other.contains_key("config_name"));
    }

    #[test]
    fn log_types_have_one_format() {
        assert_eq!(LogType::AuditLogs.output_format(), OutputFormat::Json);
        assert_eq!(LogType::BillableUsage.output_format(), OutputFormat::Csv);
    }
}
