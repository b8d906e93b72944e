//! The seam between the delivery worker and what it delivers: a [`LogSource`] per log type
//! turns a configuration and its [`Cursor`] into a [`Plan`] (objects to write, and the cursor
//! once they are written). The worker owns everything else: credentials, S3, the order of
//! writes, persisting the cursor only after every object of a plan is acknowledged, and
//! `log_delivery_status`.
//!
//! Audit logs are [`super::audit_source::AuditSource`], billable usage
//! [`super::usage_source::UsageSource`] (both registered in [`super::Sources`]).

use crate::error::ApiResult;
use crate::repo::{self, trees};
use crate::state::AppState;
use ironbrick_api::log_delivery::LogDeliveryConfiguration;
use ironbrick_store::record::Record;
use serde::{Deserialize, Serialize};

/// How far a configuration's delivery has gone, persisted per configuration in
/// [`trees::LOG_DELIVERY_CURSORS`]. Its meaning is the source's: for audit logs, the sequence
/// number of the first entry not yet delivered. A new configuration starts at 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub position: u64,
}

impl Record for Cursor {}

impl Cursor {
    /// The cursor of configuration `config_id`.
    pub fn load(state: &AppState, config_id: &str) -> ApiResult<Self> {
        Ok(repo::get(state.store(), trees::LOG_DELIVERY_CURSORS, config_id)?.unwrap_or_default())
    }

    /// Stores the cursor of configuration `config_id` (not yet durable: the caller flushes).
    pub fn store(self, state: &AppState, config_id: &str) -> ApiResult<()> {
        state.store().transact(|tx| {
            repo::tx_put(tx, trees::LOG_DELIVERY_CURSORS, config_id, &self)
                .map_err(crate::error::ApiError::from)
        })
    }
}

/// One object to write to the configuration's bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogObject {
    /// Its key, the configuration's prefix included.
    pub key: String,
    pub body: Vec<u8>,
    pub content_type: &'static str,
}

/// What one delivery step writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Written in this order; the cursor moves only once all are acknowledged.
    pub objects: Vec<LogObject>,
    /// The cursor after them.
    pub next: Cursor,
    /// Whether more is pending after `next` (the worker plans again at once).
    pub more: bool,
}

/// The logs of one log type.
pub trait LogSource: Send + Sync + std::fmt::Debug {
    /// The next step for `config` from `cursor`. It must be deterministic: planned again from
    /// the same cursor (after a crash, or a failed write), it names the same objects, each
    /// holding at least what it held before, so that redelivery overwrites rather than
    /// duplicates.
    fn plan(
        &self,
        state: &AppState,
        config: &LogDeliveryConfiguration,
        cursor: Cursor,
    ) -> ApiResult<Plan>;

    /// Told once every object of a step has been acknowledged, before the next step is
    /// planned (a source that skips unchanged objects remembers them here).
    fn delivered(&self, _config: &LogDeliveryConfiguration, _objects: &[LogObject]) {}
}
