//! Log delivery: every `--log-delivery-interval`, each enabled log delivery configuration's
//! pending logs are written to its bucket.
//!
//! # Guarantees
//!
//! - **At least once, nothing lost.** A configuration's [`Cursor`] is persisted (and flushed)
//!   only after S3 has acknowledged every object of a step. A crash, an S3 or STS outage, or a
//!   failed write leaves it where it was, and the next pass starts there again. A disabled
//!   configuration keeps its cursor and catches up when enabled again.
//! - **Only durable entries leave.** After planning a step (reading entries) and before
//!   writing it, the store is flushed, so nothing delivered can vanish from the audit log in a
//!   crash and be replaced by a different entry under the same sequence number.
//! - **In order per workspace.** Steps follow the cursor and the objects of a step are written
//!   in the order of their first entry; a step stops at its first failed write.
//! - **No duplicates in normal operation, none either after a crash.** Object names are
//!   deterministic ([`object_key`]): a step planned again from an unmoved cursor rewrites the
//!   same objects (with the same entries, plus any appended since) instead of adding copies.
//!
//! Each attempt is recorded in the configuration's `log_delivery_status`: `SUCCEEDED`, or
//! `USER_FAILURE` (role, bucket) / `SYSTEM_FAILURE` (S3 or STS unreachable) with the reason,
//! and the attempt times. Messages never hold credentials.
//!
//! # One deliverer among replicas
//! [`spawn`] runs passes only while this replica holds the store's `log-delivery`
//! [`Leadership`] (a PostgreSQL advisory lock; always held on sled), checked before every
//! pass: when the leader dies its lock is released and another replica's next tick takes over
//! from the persisted cursors. A leader that lost its session mid-pass may overlap one pass
//! with its successor; the guarantees above make that harmless (same objects rewritten).
//!
//! What each log type delivers is a [`LogSource`] ([`source`]); audit logs are
//! [`audit_source::AuditSource`], billable usage [`usage_source::UsageSource`].

pub mod audit_line;
pub mod audit_source;
pub mod object_key;
pub mod sink;
pub mod source;
pub mod usage_source;

pub use sink::{DeliveryError, Destination, Endpoints, Fault, S3Sink, Sink};
pub use source::{Cursor, LogObject, LogSource, Plan};

use crate::account::log_delivery::{self, LogDelivery};
use crate::account::object;
use crate::error::ApiError;
use crate::model::{CredentialRecord, StorageRecord};
use crate::repo::{self, trees};
use crate::state::AppState;
use crate::time::{now_ms, rfc3339};
use ironbrick_api::log_delivery::{
    DeliveryStatus, LogDeliveryConfigStatus, LogDeliveryConfiguration, LogDeliveryStatus, LogType,
};
use ironbrick_store::Leadership;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Steps per configuration and pass at most (each up to [`audit_source::BATCH`] entries), so
/// one busy configuration cannot hold up the others for long.
const MAX_STEPS: usize = 50;

/// The sources by log type.
#[derive(Debug, Clone)]
pub struct Sources(HashMap<LogType, Arc<dyn LogSource>>);

impl Default for Sources {
    /// Audit logs and billable usage.
    fn default() -> Self {
        let mut map: HashMap<LogType, Arc<dyn LogSource>> = HashMap::new();
        map.insert(LogType::AuditLogs, Arc::new(audit_source::AuditSource));
        map.insert(
            LogType::BillableUsage,
            Arc::new(usage_source::UsageSource::default()),
        );
        Self(map)
    }
}

impl Sources {
    /// These sources, with `source` delivering `log_type`.
    pub fn with(mut self, log_type: LogType, source: Arc<dyn LogSource>) -> Self {
        self.0.insert(log_type, source);
        self
    }
}

/// The delivery worker.
#[derive(Debug, Clone)]
pub struct Worker {
    state: AppState,
    sink: Arc<dyn Sink>,
    sources: Sources,
}

/// Starts the worker over S3 (with `endpoints`), passing every `interval` while `leadership`
/// is held.
pub fn spawn(
    state: AppState,
    interval: Duration,
    endpoints: Endpoints,
    leadership: Box<dyn Leadership>,
) -> tokio::task::JoinHandle<()> {
    let worker = Worker::new(state, Arc::new(S3Sink::new(endpoints)), Sources::default());
    tokio::spawn(worker.run_as_leader(interval, Arc::from(leadership)))
}

impl Worker {
    pub fn new(state: AppState, sink: Arc<dyn Sink>, sources: Sources) -> Self {
        Self {
            state,
            sink,
            sources,
        }
    }

    /// Passes every `interval`, for ever (the first right away).
    pub async fn run(self, interval: Duration) {
        let mut tick = tokio::time::interval(interval.max(Duration::from_millis(100)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.pass().await;
        }
    }

    /// Passes every `interval` (the first right away), each only if this replica leads.
    pub async fn run_as_leader(self, interval: Duration, leadership: Arc<dyn Leadership>) {
        let mut tick = tokio::time::interval(interval.max(Duration::from_millis(100)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut leading = false;
        loop {
            tick.tick().await;
            let handle = leadership.clone();
            let now = match tokio::task::spawn_blocking(move || handle.try_lead()).await {
                Ok(Ok(leads)) => leads,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "log delivery: cannot check leadership");
                    false
                }
                Err(_) => false,
            };
            if now != leading {
                tracing::info!(leading = now, "log delivery leadership changed");
                leading = now;
            }
            if leading {
                self.pass().await;
            }
        }
    }

    /// One pass over every enabled configuration.
    pub async fn pass(&self) {
        let configs = match object::all::<LogDelivery>(&self.state) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "log delivery: cannot read configurations");
                return;
            }
        };
        for config in configs
            .into_iter()
            .filter(|c| c.status == LogDeliveryConfigStatus::Enabled)
        {
            self.attempt(&config).await;
        }
    }

    /// Delivers what is pending for `config` and records the outcome.
    async fn attempt(&self, config: &LogDeliveryConfiguration) {
        let Some(source) = self.sources.0.get(&config.log_type).cloned() else {
            let status = LogDeliveryStatus {
                status: DeliveryStatus::NotFound,
                message: format!(
                    "{} delivery is not available on this server: nothing is delivered for \
                     this configuration.",
                    config.log_type
                ),
                ..config.log_delivery_status.clone()
            };
            if status != config.log_delivery_status {
                self.record(config, &status);
            }
            return;
        };
        let now = rfc3339(now_ms());
        let mut status = config.log_delivery_status.clone();
        status.last_attempt_time = Some(now.clone());
        match self.deliver(config, source.as_ref()).await {
            Ok(written) => {
                status.status = DeliveryStatus::Succeeded;
                status.message = if written == 0 {
                    "All logs are delivered.".to_owned()
                } else {
                    format!("Delivered {written} object(s); all logs are delivered.")
                };
                status.last_successful_attempt_time = Some(now);
            }
            Err(e) => {
                tracing::warn!(config_id = %config.config_id, error = %e, "log delivery failed");
                status.status = match e.fault {
                    Fault::User => DeliveryStatus::UserFailure,
                    Fault::System => DeliveryStatus::SystemFailure,
                };
                status.message = e.message;
            }
        }
        self.record(config, &status);
    }

    fn record(&self, config: &LogDeliveryConfiguration, status: &LogDeliveryStatus) {
        if let Err(e) = log_delivery::record_status(&self.state, &config.config_id, status) {
            tracing::error!(error = %e, "log delivery: cannot record status");
        }
    }

    /// Writes steps until nothing is pending (or [`MAX_STEPS`]); answers how many objects
    /// were written.
    async fn deliver(
        &self,
        config: &LogDeliveryConfiguration,
        source: &dyn LogSource,
    ) -> Result<usize, DeliveryError> {
        let dest = destination(&self.state, config)?;
        let mut written = 0;
        for _ in 0..MAX_STEPS {
            let cursor = Cursor::load(&self.state, &config.config_id).map_err(internal)?;
            let plan = source.plan(&self.state, config, cursor).map_err(internal)?;
            if plan.next == cursor && plan.objects.is_empty() {
                break;
            }
            // Flushes here precede writes to the bucket, not an answer: they go to the store
            // itself, never deferred to a request's audit entry (see `crate::audit`).
            if !plan.objects.is_empty() {
                self.state
                    .store()
                    .flush()
                    .await
                    .map_err(|e| internal(e.into()))?;
            }
            for o in &plan.objects {
                self.sink
                    .put(&dest, &o.key, o.body.clone(), o.content_type)
                    .await?;
                written += 1;
            }
            plan.next
                .store(&self.state, &config.config_id)
                .map_err(internal)?;
            self.state
                .store()
                .flush()
                .await
                .map_err(|e| internal(e.into()))?;
            source.delivered(config, &plan.objects);
            if !plan.more {
                break;
            }
        }
        Ok(written)
    }
}

fn internal(e: ApiError) -> DeliveryError {
    tracing::error!(error = %e, "log delivery: store failure");
    DeliveryError::system("Internal error reading or recording delivery progress.")
}

/// The bucket and role of `config`, from its storage and credential configurations.
pub fn destination(
    state: &AppState,
    config: &LogDeliveryConfiguration,
) -> Result<Destination, DeliveryError> {
    let credentials =
        repo::get::<CredentialRecord>(state.store(), trees::CREDENTIALS, &config.credentials_id)
            .map_err(internal)?
            .ok_or_else(|| {
                DeliveryError::user(format!(
                    "Credential configuration {} does not exist.",
                    config.credentials_id
                ))
            })?
            .0;
    let storage = repo::get::<StorageRecord>(
        state.store(),
        trees::STORAGE,
        &config.storage_configuration_id,
    )
    .map_err(internal)?
    .ok_or_else(|| {
        DeliveryError::user(format!(
            "Storage configuration {} does not exist.",
            config.storage_configuration_id
        ))
    })?
    .0;
    let role = credentials.aws_credentials.sts_role.unwrap_or_default();
    let role_arn = role.role_arn.ok_or_else(|| {
        DeliveryError::user(format!(
            "Credential configuration {} has no role ARN.",
            config.credentials_id
        ))
    })?;
    let bucket = storage.root_bucket_info.bucket_name.ok_or_else(|| {
        DeliveryError::user(format!(
            "Storage configuration {} has no bucket.",
            config.storage_configuration_id
        ))
    })?;
    Ok(Destination {
        bucket,
        role_arn,
        external_id: role
            .external_id
            .unwrap_or_else(|| state.account_id().to_owned()),
    })
}

#[cfg(test)]
mod tests;
