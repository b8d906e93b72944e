//! Log delivery configurations of the account API (`/log-delivery`): where the account's audit
//! logs (and billable usage) are written, as the official SDK's `billing.LogDeliveryAPI` sends
//! and reads them. Configurations cannot be deleted: they are disabled (`PATCH` of `status`),
//! and `status` is the only field that changes after creation.

use serde::{Deserialize, Serialize};

/// `log_type`: what is delivered.
pub const LOG_TYPES: [&str; 2] = ["AUDIT_LOGS", "BILLABLE_USAGE"];

/// `output_format`: `JSON` for `AUDIT_LOGS`, `CSV` for `BILLABLE_USAGE`.
pub const OUTPUT_FORMATS: [&str; 2] = ["CSV", "JSON"];

/// `status` of a configuration.
pub const CONFIG_STATUSES: [&str; 2] = ["ENABLED", "DISABLED"];

/// The longest `config_name`, in characters.
pub const CONFIG_NAME_MAX: usize = 255;

/// The only output format of a log type.
pub fn output_format_of(log_type: &str) -> Option<&'static str> {
    match log_type {
        "AUDIT_LOGS" => Some("JSON"),
        "BILLABLE_USAGE" => Some("CSV"),
        _ => None,
    }
}

/// `output_format` must be the one format of `log_type`.
pub fn check_output_format(log_type: &str, output_format: &str) -> Result<(), String> {
    match output_format_of(log_type) {
        Some(f) if f != output_format => Err(format!(
            "output_format must be {f} when log_type is {log_type}, not {output_format:?}."
        )),
        _ => Ok(()),
    }
}

/// `config_name`: at most [`CONFIG_NAME_MAX`] characters.
pub fn check_config_name(v: &str) -> Result<(), String> {
    let n = v.chars().count();
    if n > CONFIG_NAME_MAX {
        Err(format!(
            "config_name has {n} characters; at most {CONFIG_NAME_MAX} are allowed."
        ))
    } else {
        Ok(())
    }
}

/// `delivery_path_prefix`: an S3 object key that neither starts nor ends with `/` and has no
/// empty segment.
pub fn check_delivery_path_prefix(v: &str) -> Result<(), String> {
    if v.starts_with('/') || v.ends_with('/') {
        return Err(format!(
            "delivery_path_prefix {v:?} must not start or end with a slash."
        ));
    }
    if v.contains("//") || v.chars().any(char::is_control) || v.len() > 1024 {
        return Err(format!(
            "delivery_path_prefix {v:?} is not a valid S3 object key prefix."
        ));
    }
    Ok(())
}

/// `delivery_start_time`: a month `YYYY-MM`, not before `2019-03`.
pub fn check_delivery_start_time(v: &str) -> Result<(), String> {
    let parsed = v
        .split_once('-')
        .filter(|(y, m)| y.len() == 4 && m.len() == 2)
        .and_then(|(y, m)| Some((y.parse::<u32>().ok()?, m.parse::<u32>().ok()?)))
        .filter(|(_, m)| (1..=12).contains(m));
    match parsed {
        None => Err(format!(
            "delivery_start_time {v:?} is not a month in YYYY-MM format."
        )),
        Some(ym) if ym < (2019, 3) => Err(format!(
            "delivery_start_time {v:?} is before 2019-03, the first month delivered."
        )),
        Some(_) => Ok(()),
    }
}

/// `workspace_ids_filter`: workspace ids are positive.
pub fn check_workspace_id(id: i64) -> Result<(), String> {
    if id > 0 {
        Ok(())
    } else {
        Err(format!("{id} is not a workspace id."))
    }
}

/// What `POST /log-delivery` creates (inside [`CreateLogDeliveryRequest`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateLogDeliveryConfigurationParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_name: Option<String>,
    #[serde(default)]
    pub log_type: String,
    #[serde(default)]
    pub output_format: String,
    #[serde(default)]
    pub credentials_id: String,
    #[serde(default)]
    pub storage_configuration_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_path_prefix: Option<String>,
    /// `YYYY-MM`; `BILLABLE_USAGE` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_start_time: Option<String>,
    /// `ENABLED` (the default) or `DISABLED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Workspaces whose logs are delivered; all of the account's (and account-level logs)
    /// when absent or empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_ids_filter: Option<Vec<i64>>,
}

/// `POST /log-delivery`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateLogDeliveryRequest {
    pub log_delivery_configuration: CreateLogDeliveryConfigurationParams,
}

/// The latest delivery attempt of a configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogDeliveryStatus {
    /// `CREATED`, `SUCCEEDED`, `USER_FAILURE`, `SYSTEM_FAILURE` or `NOT_FOUND`.
    pub status: String,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_successful_attempt_time: Option<String>,
}

/// A log delivery configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogDeliveryConfiguration {
    pub account_id: String,
    pub config_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_name: Option<String>,
    pub log_type: String,
    pub output_format: String,
    pub credentials_id: String,
    pub storage_configuration_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_path_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_start_time: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workspace_ids_filter: Vec<i64>,
    /// `ENABLED` or `DISABLED`.
    pub status: String,
    /// Epoch milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<i64>,
    /// Epoch milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_delivery_status: Option<LogDeliveryStatus>,
}

/// The answer of `POST /log-delivery` and `GET /log-delivery/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedLogDeliveryConfiguration {
    pub log_delivery_configuration: LogDeliveryConfiguration,
}

/// The answer of `GET /log-delivery`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedLogDeliveryConfigurations {
    #[serde(default)]
    pub log_delivery_configurations: Vec<LogDeliveryConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
}

/// `PATCH /log-delivery/{id}`: enables or disables a configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateLogDeliveryConfigurationStatusRequest {
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(check_output_format("AUDIT_LOGS", "JSON").is_ok());
        assert!(check_output_format("AUDIT_LOGS", "CSV").is_err());
        assert!(check_output_format("BILLABLE_USAGE", "JSON").is_err());
        assert!(check_config_name(&"x".repeat(255)).is_ok());
        assert!(check_config_name(&"x".repeat(256)).is_err());
        assert!(check_delivery_path_prefix("audit-logs/prod").is_ok());
        for bad in ["/audit", "audit/", "a//b"] {
            assert!(check_delivery_path_prefix(bad).is_err(), "{bad}");
        }
        assert!(check_delivery_start_time("2024-01").is_ok());
        for bad in ["2019-02", "2024-13", "2024-1", "24-01", "2024/01"] {
            assert!(check_delivery_start_time(bad).is_err(), "{bad}");
        }
        assert!(check_workspace_id(1).is_ok() && check_workspace_id(0).is_err());
    }

    #[test]
    fn the_sdk_wire_shape() {
        let req = CreateLogDeliveryRequest {
            log_delivery_configuration: CreateLogDeliveryConfigurationParams {
                log_type: "AUDIT_LOGS".into(),
                output_format: "JSON".into(),
                credentials_id: "c".into(),
                storage_configuration_id: "s".into(),
                workspace_ids_filter: Some(vec![7]),
                ..Default::default()
            },
        };
        let v = serde_json::to_value(&req).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"log_delivery_configuration": {
                "log_type": "AUDIT_LOGS", "output_format": "JSON", "credentials_id": "c",
                "storage_configuration_id": "s", "workspace_ids_filter": [7]}})
        );
    }
}
