//! Billable usage as a [`LogSource`]: each workspace's month file of cluster usage
//! ([`crate::billing`]), rewritten as the month grows, as Databricks redelivers it.
//!
//! - **Workspaces.** The configuration's `workspace_ids_filter`, or every workspace of the
//!   account. Files are written only for workspaces with usage in the month; a filtered
//!   workspace that no longer exists is passed over.
//! - **Cursor.** The start (ms) of the earliest month whose file may still change: at first the
//!   month of `delivery_start_time`. Each step writes the files of every month from the cursor
//!   to the current one, and moves the cursor to the current month, so a month that has ended
//!   is written once more (with its last hours), then left alone.
//! - **Determinism.** A file is computed from the stored clusters and events up to now, so a
//!   step planned again writes the same keys, each holding at least what it held.
//! - **No needless rewrites.** A file whose text has not changed since it was last
//!   acknowledged (in this process) is not written again.

use super::audit_source::start_ms;
use super::source::{Cursor, LogObject, LogSource, Plan};
use crate::billing::{self, UsageMonth};
use crate::error::ApiResult;
use crate::model::WorkspaceRecord;
use crate::repo::{self, trees};
use crate::state::AppState;
use crate::time::now_ms;
use ironbrick_api::log_delivery::LogDeliveryConfiguration;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// Billable usage (`BILLABLE_USAGE`).
#[derive(Debug, Default)]
pub struct UsageSource {
    /// The digest of each file last acknowledged, by (configuration, key).
    delivered: Mutex<HashMap<(String, String), [u8; 32]>>,
}

fn digest(body: &[u8]) -> [u8; 32] {
    Sha256::digest(body).into()
}

impl UsageSource {
    fn unchanged(&self, config_id: &str, key: &str, body: &[u8]) -> bool {
        let seen = self.delivered.lock().unwrap_or_else(|e| e.into_inner());
        seen.get(&(config_id.to_owned(), key.to_owned())) == Some(&digest(body))
    }

    /// The workspaces `config` delivers for.
    fn workspaces(state: &AppState, config: &LogDeliveryConfiguration) -> ApiResult<Vec<i64>> {
        let all: Vec<WorkspaceRecord> = repo::scan(state.store(), trees::WORKSPACES, "")?;
        let ids = all.into_iter().map(|w| w.workspace_id);
        Ok(match config.workspace_ids_filter.as_slice() {
            [] => ids.collect(),
            filter => ids.filter(|id| filter.contains(id)).collect(),
        })
    }
}

impl LogSource for UsageSource {
    fn plan(
        &self,
        state: &AppState,
        config: &LogDeliveryConfiguration,
        cursor: Cursor,
    ) -> ApiResult<Plan> {
        let now = now_ms();
        let from = match cursor.position {
            0 => start_ms(config),
            p => i64::try_from(p).unwrap_or(i64::MAX),
        };
        let current = UsageMonth::containing(now);
        let prefix = config.delivery_path_prefix.as_deref().unwrap_or("");
        let workspaces = Self::workspaces(state, config)?;
        let mut objects = Vec::new();
        for month in UsageMonth::covering(from.min(now), now + 1) {
            for &ws in &workspaces {
                let file = billing::month_file(state, prefix, ws, month, now)?;
                let body = file.csv.into_bytes();
                if file.rows == 0 || self.unchanged(&config.config_id, &file.key, &body) {
                    continue;
                }
                objects.push(LogObject {
                    key: file.key,
                    body,
                    content_type: "text/csv",
                });
            }
        }
        let next = Cursor {
            position: u64::try_from(current.start_ms()).unwrap_or_default(),
        };
        Ok(Plan {
            objects,
            next,
            more: false,
        })
    }

    fn delivered(&self, config: &LogDeliveryConfiguration, objects: &[LogObject]) {
        let mut seen = self.delivered.lock().unwrap_or_else(|e| e.into_inner());
        for o in objects {
            seen.insert((config.config_id.clone(), o.key.clone()), digest(&o.body));
        }
    }
}
