//! `databricks_mws_log_delivery`: delivery of the account's audit logs (or billable usage) to
//! the customer's S3 bucket, through a credential and a storage configuration.
//!
//! As upstream: every argument but `status` replaces the configuration; `status` changes in
//! place (`PATCH`). Databricks cannot delete a configuration, so destroying one disables it
//! (and re-creating the resource makes a new configuration). The id and import id are
//! `<account_id>|<config_id>`; `<account_id>/<config_id>` (the form of the other account
//! objects here) and a bare `<config_id>` (the provider's account) are accepted too. A disabled
//! configuration stays in state, as upstream, with `status = "DISABLED"`.

use crate::account_object::{account_id_attr, refuse_outputs, AccountObject};
use crate::common::{account, report, Conn};
use crate::validate::{check, one_of};
use ironbrick_api::log_delivery::{
    CreateLogDeliveryConfigurationParams, CreateLogDeliveryRequest, LogDeliveryConfigStatus,
    LogType, OutputFormat, UpdateLogDeliveryStatusRequest, WrappedLogDeliveryConfiguration,
};
use ironbrick_api::validate as rules;
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, Diagnostics, Dyn, Obj, Path, Resource, Schema, Ty};

/// The longest `config_name` (upstream's `StringLenBetween(0, 255)`, and the server's).
const CONFIG_NAME_MAX: usize = 255;

/// The wire spellings of a closed set of values.
fn spellings<T: Copy>(all: &[T], as_str: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| as_str(*v)).collect()
}

fn config_name(v: &str) -> Result<(), String> {
    let n = v.chars().count();
    if n > CONFIG_NAME_MAX {
        Err(format!(
            "config_name has {n} characters; at most {CONFIG_NAME_MAX} are allowed."
        ))
    } else {
        Ok(())
    }
}

/// `output_format` must be the one format of `log_type` (both known and well spelled).
fn format_of_type(log_type: &str, output_format: &str) -> Result<(), String> {
    let (Ok(t), Ok(f)) = (
        log_type.parse::<LogType>(),
        output_format.parse::<OutputFormat>(),
    ) else {
        return Ok(()); // misspellings are reported on their own
    };
    if t.output_format() == f {
        Ok(())
    } else {
        Err(format!(
            "output_format must be {} when log_type is {t}, not {f}.",
            t.output_format()
        ))
    }
}

/// The `databricks_mws_log_delivery` resource.
pub struct MwsLogDelivery(pub Arc<Conn>);

/// Optional arguments the server may answer as absent when they were set empty (`""`, `[]`):
/// the configured empty value is kept (see [`reconciled`]).
const EMPTY_AS_ABSENT: [&str; 3] = [
    "config_name",
    "delivery_path_prefix",
    "workspace_ids_filter",
];

fn state(w: WrappedLogDeliveryConfiguration) -> Obj {
    let c = w.log_delivery_configuration;
    let opt = |v: Option<String>| v.filter(|s| !s.is_empty()).map_or(Dyn::Null, Dyn::from);
    let filter = if c.workspace_ids_filter.is_empty() {
        Dyn::Null
    } else {
        Dyn::List(c.workspace_ids_filter.into_iter().map(Dyn::Int).collect())
    };
    let mut o = Obj::new();
    o.set("id", format!("{}|{}", c.account_id, c.config_id))
        .set("account_id", c.account_id)
        .set("config_id", c.config_id)
        .set("config_name", opt(Some(c.config_name)))
        .set("log_type", c.log_type.as_str())
        .set("output_format", c.output_format.as_str())
        .set("credentials_id", c.credentials_id)
        .set("storage_configuration_id", c.storage_configuration_id)
        .set("delivery_path_prefix", opt(c.delivery_path_prefix))
        .set("delivery_start_time", opt(Some(c.delivery_start_time)))
        .set("workspace_ids_filter", filter)
        .set("status", c.status.as_str());
    o
}

/// The state of an answer, reconciled with `reference` (the planned object or the prior
/// state): empty values the server answers as absent ([`EMPTY_AS_ABSENT`]), and a
/// configured `delivery_start_time` the server does not report, are kept.
fn reconciled(w: WrappedLogDeliveryConfiguration, reference: &Obj) -> Obj {
    let mut o = state(w);
    for name in EMPTY_AS_ABSENT {
        let kept = reference.get(name);
        let empty = match kept {
            Dyn::String(s) => s.is_empty(),
            Dyn::List(items) => items.is_empty(),
            _ => false,
        };
        if o.get(name).is_null() && empty {
            o.set(name, kept.clone());
        }
    }
    let start = reference.get("delivery_start_time");
    if o.get("delivery_start_time").is_null() && matches!(start, Dyn::String(_)) {
        o.set("delivery_start_time", start.clone());
    }
    o
}

/// The workspace ids of `o`'s `workspace_ids_filter` (unknown elements left out).
fn workspace_ids(o: &Obj) -> Option<Vec<i64>> {
    let items = o.get("workspace_ids_filter").as_list()?;
    Some(
        items
            .iter()
            .filter_map(|v| match v {
                Dyn::Int(i) => Some(*i),
                Dyn::Float(x) => Some(*x as i64),
                _ => None,
            })
            .collect(),
    )
}

fn request(o: &Obj) -> CreateLogDeliveryRequest {
    let opt = |name: &str| o.string(name).known();
    CreateLogDeliveryRequest {
        log_delivery_configuration: Some(CreateLogDeliveryConfigurationParams {
            config_name: opt("config_name"),
            log_type: o.str("log_type").parse().ok(),
            output_format: o.str("output_format").parse().ok(),
            credentials_id: opt("credentials_id"),
            storage_configuration_id: opt("storage_configuration_id"),
            delivery_path_prefix: opt("delivery_path_prefix"),
            delivery_start_time: opt("delivery_start_time"),
            status: o.str("status").parse().ok(),
            workspace_ids_filter: workspace_ids(o),
        }),
    }
}

const CONFIGS: AccountObject<WrappedLogDeliveryConfiguration> = AccountObject {
    collection: "log-delivery",
    id_attr: "config_id",
    what: "the log delivery configuration",
    state,
};

/// Splits an import id: `<account_id>|<config_id>` (upstream's), `<account_id>/<config_id>`,
/// or `<config_id>`.
fn split_import_id(id: &str) -> (Option<String>, String) {
    let pair = id.split_once('|').or_else(|| id.split_once('/'));
    match pair {
        Some((acct, cfg)) if !acct.is_empty() && !cfg.is_empty() => {
            (Some(acct.to_owned()), cfg.to_owned())
        }
        _ => (None, id.to_owned()),
    }
}

impl MwsLogDelivery {
    /// `PATCH`es the configuration of `st` to `status`; `Ok(false)` when it is gone.
    async fn set_status(
        &self,
        st: &Obj,
        status: LogDeliveryConfigStatus,
        diags: &mut Diagnostics,
    ) -> Result<bool, ()> {
        let (client, base) = account(&self.0, st, diags).ok_or(())?;
        let body = UpdateLogDeliveryStatusRequest {
            status: Some(status),
            ..Default::default()
        };
        match client
            .patch::<_, serde_json::Value>(&CONFIGS.url(&base, st), &body)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => {
                let action = format!("set the log delivery configuration's status to {status}");
                report(diags, &action, &e);
                Err(())
            }
        }
    }
}

#[async_trait]
impl Resource for MwsLogDelivery {
    fn type_name(&self) -> &'static str {
        "databricks_mws_log_delivery"
    }

    fn schema(&self) -> Schema {
        let fixed = |a: Attr| a.force_new();
        Schema::new(Block::new(
            "A log delivery configuration: the account's audit logs (or billable usage) \
             delivered to an S3 bucket.",
            vec![
                Attr::optional_computed("id", Ty::String, "`<account_id>|<config_id>`."),
                account_id_attr(true),
                fixed(Attr::optional_computed(
                    "config_id",
                    Ty::String,
                    "Id of the log delivery configuration.",
                )),
                fixed(Attr::optional(
                    "config_name",
                    Ty::String,
                    "Name of the configuration (at most 255 characters).",
                )),
                fixed(Attr::required(
                    "log_type",
                    Ty::String,
                    "`AUDIT_LOGS` or `BILLABLE_USAGE`.",
                )),
                fixed(Attr::required(
                    "output_format",
                    Ty::String,
                    "`JSON` (for `AUDIT_LOGS`) or `CSV` (for `BILLABLE_USAGE`).",
                )),
                fixed(Attr::required(
                    "credentials_id",
                    Ty::String,
                    "Credential configuration: the IAM role that writes to the bucket.",
                )),
                fixed(Attr::required(
                    "storage_configuration_id",
                    Ty::String,
                    "Storage configuration: the bucket logs are delivered to.",
                )),
                fixed(Attr::optional(
                    "delivery_path_prefix",
                    Ty::String,
                    "Prefix of the delivered objects' keys; not starting or ending with `/`.",
                )),
                fixed(Attr::optional_computed(
                    "delivery_start_time",
                    Ty::String,
                    "No event before this day is delivered: `YYYY-MM` (the first of the month) \
                     or `YYYY-MM-DD`, not before 2019-03; the day of creation by default.",
                )),
                fixed(Attr::optional(
                    "workspace_ids_filter",
                    Ty::List(Box::new(Ty::Number)),
                    "Workspaces whose logs are delivered; all of the account's when unset.",
                )),
                Attr::optional_computed(
                    "status",
                    Ty::String,
                    "`ENABLED` (the default) or `DISABLED`: the only argument updated in place.",
                ),
            ],
        ))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        let at = Path::attr;
        let log_types = spellings(LogType::ALL, LogType::as_str);
        let formats = spellings(OutputFormat::ALL, OutputFormat::as_str);
        let statuses = spellings(
            LogDeliveryConfigStatus::ALL,
            LogDeliveryConfigStatus::as_str,
        );
        check(
            config,
            "log_type",
            at("log_type"),
            diags,
            one_of(&log_types),
        );
        check(
            config,
            "output_format",
            at("output_format"),
            diags,
            one_of(&formats),
        );
        if let Some(log_type) = config.string("log_type").known() {
            check(config, "output_format", at("output_format"), diags, |f| {
                format_of_type(&log_type, f)
            });
        }
        check(config, "status", at("status"), diags, one_of(&statuses));
        check(config, "config_name", at("config_name"), diags, config_name);
        check(
            config,
            "delivery_path_prefix",
            at("delivery_path_prefix"),
            diags,
            rules::delivery_path_prefix,
        );
        check(
            config,
            "delivery_start_time",
            at("delivery_start_time"),
            diags,
            |v| rules::delivery_start_time(v).map(drop),
        );
        for id in workspace_ids(config).unwrap_or_default() {
            if id <= 0 {
                diags.error_at(
                    at("workspace_ids_filter"),
                    "Invalid workspace_ids_filter",
                    format!("{id} is not a workspace id."),
                );
            }
        }
        refuse_outputs(config, &["id", "config_id"], diags);
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let mut o = CONFIGS
            .create(&self.0, &planned, &request(&planned), diags)
            .await?;
        for name in EMPTY_AS_ABSENT.iter().chain(&["delivery_start_time"]) {
            if o.get(name).is_null() && !planned.get(name).is_unknown() {
                o.set(name, planned.get(name).clone());
            }
        }
        Some(o)
    }

    async fn read(&self, st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        match CONFIGS.fetch(&self.0, &st, diags).await {
            Ok(found) => found.map(|w| reconciled(w, &st)),
            Err(()) => Some(st),
        }
    }

    async fn update(&self, prior: Obj, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let status = planned.str("status").parse::<LogDeliveryConfigStatus>();
        if let Ok(status) = status {
            if planned.get("status") != prior.get("status")
                && !self.set_status(&prior, status, diags).await.ok()?
            {
                diags.error(
                    "Cannot update the log delivery configuration",
                    "The configuration no longer exists.",
                );
                return None;
            }
        }
        match CONFIGS.fetch(&self.0, &prior, diags).await {
            Ok(Some(w)) => Some(reconciled(w, &planned)),
            Ok(None) | Err(()) => Some(planned),
        }
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        // Databricks cannot delete a configuration: destroying it disables it.
        let _ = self
            .set_status(&st, LogDeliveryConfigStatus::Disabled, diags)
            .await;
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        let (acct, cfg) = split_import_id(id);
        let mut o = Obj::new();
        o.set("account_id", acct).set("config_id", cfg);
        Some(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironbrick_api::log_delivery::LogDeliveryConfiguration;

    fn api() -> WrappedLogDeliveryConfiguration {
        WrappedLogDeliveryConfiguration {
            log_delivery_configuration: LogDeliveryConfiguration {
                account_id: "acct".into(),
                config_id: "cfg".into(),
                config_name: String::new(),
                log_type: LogType::AuditLogs,
                output_format: OutputFormat::Json,
                credentials_id: "c".into(),
                storage_configuration_id: "s".into(),
                workspace_ids_filter: vec![5, 7],
                delivery_path_prefix: None,
                delivery_start_time: "2026-12-04".into(),
                status: LogDeliveryConfigStatus::Enabled,
                creation_time: 1,
                update_time: 1,
                log_delivery_status: Default::default(),
            },
        }
    }

    #[test]
    fn state_id_is_the_official_pair() {
        let s = state(api());
        assert_eq!(s.str("id"), "acct|cfg");
        assert_eq!(
            s.get("workspace_ids_filter"),
            &Dyn::List(vec![Dyn::Int(5), Dyn::Int(7)])
        );
        assert!(s.get("config_name").is_null() && s.get("delivery_path_prefix").is_null());
    }

    #[test]
    fn configured_empty_values_are_kept() {
        let mut w = api();
        w.log_delivery_configuration.workspace_ids_filter.clear();
        w.log_delivery_configuration.delivery_start_time.clear();
        let mut reference = Obj::new();
        reference
            .set("config_name", "")
            .set("workspace_ids_filter", Dyn::List(Vec::new()))
            .set("delivery_start_time", "2024-01");
        let s = reconciled(w, &reference);
        assert_eq!(s.get("config_name"), &Dyn::from(""));
        assert_eq!(s.get("workspace_ids_filter"), &Dyn::List(Vec::new()));
        assert_eq!(s.str("delivery_start_time"), "2024-01");
    }

    #[test]
    fn import_ids() {
        assert_eq!(
            split_import_id("acct|cfg"),
            (Some("acct".into()), "cfg".into())
        );
        assert_eq!(
            split_import_id("acct/cfg"),
            (Some("acct".into()), "cfg".into())
        );
        assert_eq!(split_import_id("cfg"), (None, "cfg".into()));
    }

    #[test]
    fn the_request_carries_every_argument() {
        let mut planned = Obj::new();
        planned
            .set("log_type", "AUDIT_LOGS")
            .set("output_format", "JSON")
            .set("credentials_id", "c")
            .set("storage_configuration_id", "s")
            .set("delivery_path_prefix", "audit")
            .set("config_name", "n")
            .set("delivery_start_time", Dyn::Unknown)
            .set("status", Dyn::Unknown)
            .set("workspace_ids_filter", Dyn::List(vec![Dyn::Int(9)]));
        let req = request(&planned).log_delivery_configuration.unwrap();
        assert_eq!(req.log_type, Some(LogType::AuditLogs));
        assert_eq!(req.output_format, Some(OutputFormat::Json));
        assert_eq!(req.workspace_ids_filter, Some(vec![9]));
        assert_eq!(req.delivery_path_prefix.as_deref(), Some("audit"));
        assert_eq!(req.config_name.as_deref(), Some("n"));
        assert_eq!((req.status, req.delivery_start_time), (None, None));
        assert_eq!(req.credentials_id.as_deref(), Some("c"));
    }

    #[test]
    fn mistakes_are_refused() {
        let r = MwsLogDelivery(Arc::new(Conn::default()));
        let mut config = Obj::new();
        config
            .set("log_type", "AUDIT_LOGS")
            .set("output_format", "CSV")
            .set("status", "PAUSED")
            .set("config_name", "x".repeat(256))
            .set("delivery_path_prefix", "/logs/")
            .set("delivery_start_time", "2024-1")
            .set("workspace_ids_filter", Dyn::List(vec![Dyn::Int(-1)]))
            .set("config_id", "x");
        let mut diags = Diagnostics::default();
        r.validate(&config, &mut diags);
        let out = format!("{diags:?}");
        for expected in [
            "output_format must be JSON when log_type is AUDIT_LOGS, not CSV",
            "Invalid status",
            "at most 255",
            "not a valid S3 key prefix",
            "not a date in yyyy-mm-dd format",
            "-1 is not a workspace id",
            "config_id cannot be set",
        ] {
            assert!(out.contains(expected), "{expected}: {out}");
        }
        let mut ok = Obj::new();
        ok.set("log_type", "AUDIT_LOGS")
            .set("output_format", "JSON");
        let mut diags = Diagnostics::default();
        r.validate(&ok, &mut diags);
        assert!(!diags.has_errors(), "{diags:?}");
    }
}
