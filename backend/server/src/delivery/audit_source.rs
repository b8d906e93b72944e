//! Audit logs as a [`LogSource`]: the audit log's entries after the cursor, filtered, grouped
//! by workspace and day, one JSON-lines object per group.
//!
//! - **Filter.** Without `workspace_ids_filter`, every entry: workspace events under their
//!   workspace and account-level events (no workspace) under `workspaceId=0`, as Databricks
//!   delivers them. With a filter, only the listed workspaces' events: account-level events
//!   are not delivered (Databricks: "delivery won't include account level logs").
//! - **Start.** Entries from before `delivery_start_time` (00:00 UTC of that day) are skipped.
//! - **Order.** Entries are read in sequence order, at most [`BATCH`] per step; groups are
//!   written in the order of their first entry, so per workspace the objects of a step follow
//!   each other and the steps follow the cursor.
//! - **Determinism.** The audit log only grows and its committed entries are contiguous (see
//!   [`crate::audit`]), so a step planned again from the same cursor reads the same entries
//!   first and names the same objects ([`super::object_key`]), each a superset of before.

use super::audit_line;
use super::object_key;
use super::source::{Cursor, LogObject, LogSource, Plan};
use crate::error::ApiResult;
use crate::model::AuditRecord;
use crate::state::AppState;
use crate::time::{day_start_ms, utc_date};
use ironbrick_api::log_delivery::LogDeliveryConfiguration;
use std::collections::BTreeMap;

/// Entries read per step.
pub const BATCH: usize = 1000;

/// Audit logs (`AUDIT_LOGS`).
#[derive(Debug, Default)]
pub struct AuditSource;

impl LogSource for AuditSource {
    fn plan(
        &self,
        state: &AppState,
        config: &LogDeliveryConfiguration,
        cursor: Cursor,
    ) -> ApiResult<Plan> {
        let entries = state.audit().read(cursor.position, BATCH)?;
        Ok(plan(state.account_id(), config, cursor, &entries, BATCH))
    }
}

/// 00:00 UTC of the configuration's start day (0 when it cannot be read, which validation
/// prevents).
pub fn start_ms(config: &LogDeliveryConfiguration) -> i64 {
    ironbrick_api::validate::delivery_start_time(&config.delivery_start_time)
        .ok()
        .and_then(|(y, m, d)| day_start_ms(y, m, d))
        .unwrap_or(0)
}

/// Whether `config` delivers entry `r`.
fn wanted(config: &LogDeliveryConfiguration, start: i64, r: &AuditRecord) -> bool {
    if r.timestamp < start {
        return false;
    }
    match r.workspace_id {
        _ if config.workspace_ids_filter.is_empty() => true,
        Some(ws) => config.workspace_ids_filter.contains(&ws),
        None => false,
    }
}

/// The step for `entries` (read from `cursor`, at most `batch` of them).
pub fn plan(
    account_id: &str,
    config: &LogDeliveryConfiguration,
    cursor: Cursor,
    entries: &[AuditRecord],
    batch: usize,
) -> Plan {
    let start = start_ms(config);
    // (first seq, workspace, day) → lines; keyed by the first seq so groups keep their order.
    let mut first_of: BTreeMap<(i64, String), u64> = BTreeMap::new();
    let mut groups: BTreeMap<u64, (i64, String, Vec<u8>)> = BTreeMap::new();
    for r in entries.iter().filter(|r| wanted(config, start, r)) {
        let ws = r.workspace_id.unwrap_or(0);
        let day = utc_date(r.timestamp);
        let first = *first_of.entry((ws, day.clone())).or_insert(r.seq);
        let body = &mut groups.entry(first).or_insert((ws, day, Vec::new())).2;
        body.extend_from_slice(audit_line::line(account_id, r).to_string().as_bytes());
        body.push(b'\n');
    }
    let objects = groups
        .into_iter()
        .map(|(first, (ws, day, body))| LogObject {
            key: object_key::audit(
                config.delivery_path_prefix.as_deref(),
                ws,
                &day,
                &config.config_id,
                first,
            ),
            body,
            content_type: "application/json",
        })
        .collect();
    let next = entries.last().map_or(cursor, |r| Cursor {
        position: r.seq + 1,
    });
    Plan {
        objects,
        next,
        more: entries.len() >= batch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironbrick_api::log_delivery::{LogDeliveryConfigStatus, LogDeliveryStatus, LogType};

    const DAY: i64 = 86_400_000;
    /// 2026-12-03 00:00 UTC.
    const D0: i64 = 1_796_256_000_000;

    fn config(filter: &[i64], start: &str) -> LogDeliveryConfiguration {
        LogDeliveryConfiguration {
            config_id: "cfg".into(),
            config_name: String::new(),
            log_type: LogType::AuditLogs,
            output_format: LogType::AuditLogs.output_format(),
            account_id: "a".into(),
            credentials_id: "c".into(),
            storage_configuration_id: "s".into(),
            workspace_ids_filter: filter.to_vec(),
            delivery_path_prefix: Some("p".into()),
            delivery_start_time: start.into(),
            status: LogDeliveryConfigStatus::Enabled,
            creation_time: 0,
            update_time: 0,
            log_delivery_status: LogDeliveryStatus::default(),
        }
    }

    fn entry(seq: u64, ws: Option<i64>, ts: i64) -> AuditRecord {
        AuditRecord {
            seq,
            timestamp: ts,
            principal: Some("u@x".into()),
            principal_id: None,
            method: "POST".into(),
            path: "/w/1/api/2.0/clusters/create".into(),
            workspace_id: ws,
            source_ip: "127.0.0.1".into(),
            status: 200,
            error_code: None,
            request_id: Some(format!("r{seq}")),
            user_agent: None,
            request_params: BTreeMap::new(),
        }
    }

    fn lines(o: &LogObject) -> Vec<u64> {
        String::from_utf8(o.body.clone())
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["requestId"].as_str().unwrap()[1..].parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn groups_by_workspace_and_day_in_order() {
        let entries = vec![
            entry(5, Some(1), D0 + 10),
            entry(6, None, D0 + 20),
            entry(7, Some(2), D0 + 30),
            entry(8, Some(1), D0 + 40),
            entry(9, Some(1), D0 + DAY + 1),
        ];
        let p = plan(
            "a",
            &config(&[], "2026-12-03"),
            Cursor { position: 5 },
            &entries,
            10,
        );
        let keys: Vec<&str> = p.objects.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                "p/workspaceId=1/date=2026-12-03/auditlogs_cfg_00000000000000000005.json",
                "p/workspaceId=0/date=2026-12-03/auditlogs_cfg_00000000000000000006.json",
                "p/workspaceId=2/date=2026-12-03/auditlogs_cfg_00000000000000000007.json",
                "p/workspaceId=1/date=2026-12-04/auditlogs_cfg_00000000000000000009.json",
            ]
        );
        assert_eq!(lines(&p.objects[0]), vec![5, 8]);
        assert_eq!(p.next, Cursor { position: 10 });
        assert!(!p.more);
    }

    #[test]
    fn filter_and_start_day_apply_and_the_cursor_passes_skipped_entries() {
        let entries = vec![
            entry(0, Some(1), D0 - 1),
            entry(1, Some(1), D0),
            entry(2, Some(2), D0),
            entry(3, None, D0),
        ];
        let p = plan(
            "a",
            &config(&[1], "2026-12-03"),
            Cursor::default(),
            &entries,
            4,
        );
        assert_eq!(p.objects.len(), 1);
        assert_eq!(lines(&p.objects[0]), vec![1]);
        assert_eq!(p.next, Cursor { position: 4 });
        assert!(p.more, "a full batch means more may follow");
        let p = plan(
            "a",
            &config(&[], "2026-12-04"),
            Cursor::default(),
            &entries,
            10,
        );
        assert!(p.objects.is_empty());
        assert_eq!(p.next, Cursor { position: 4 });
    }

    #[test]
    fn planning_again_from_the_same_cursor_overwrites_with_a_superset() {
        let c = config(&[], "2026-12-03");
        let mut entries = vec![entry(3, Some(1), D0), entry(4, Some(2), D0)];
        let first = plan("a", &c, Cursor { position: 3 }, &entries, 10);
        entries.push(entry(5, Some(1), D0 + 1));
        let again = plan("a", &c, Cursor { position: 3 }, &entries, 10);
        assert_eq!(first.objects[0].key, again.objects[0].key);
        assert_eq!(lines(&again.objects[0]), vec![3, 5]);
        assert_eq!(first.objects[1], again.objects[1]);
    }

    #[test]
    fn nothing_read_keeps_the_cursor() {
        let p = plan(
            "a",
            &config(&[], "2026-12-03"),
            Cursor { position: 9 },
            &[],
            10,
        );
        assert!(p.objects.is_empty());
        assert_eq!(p.next, Cursor { position: 9 });
    }
}
