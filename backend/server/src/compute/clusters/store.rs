//! Where clusters and their events are kept: `clusters` (`{ws}{cluster_id}` →
//! [`ClusterRecord`]) and `cluster_events` (`{ws}{cluster_id}/{time}{seq}` → event).
//!
//! A permanently deleted cluster leaves the API at once, but what it ran stays billable: its
//! record moves to `purged_clusters` (same key) and its events stay, read only by billing.

use super::lifecycle::{settle, ClusterRecord, NewEvent};
use crate::error::{ApiError, ApiResult};
use crate::repo::{self, ws_key};
use crate::state::AppState;
use ironbrick_api::clusters::ClusterEvent;
use ironbrick_store::{StoreError, Tx};

/// The tree of clusters.
pub const TREE: &str = "clusters";
/// The tree of cluster events.
pub const EVENTS: &str = "cluster_events";
/// The tree of permanently deleted clusters, kept for billable usage.
pub const PURGED: &str = "purged_clusters";

/// Stored form of an event.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct EventRecord(pub ClusterEvent);

impl ironbrick_store::record::Record for EventRecord {}

pub fn key(ws: i64, id: &str) -> String {
    format!("{}{id}", ws_key(ws))
}

/// The prefix of the events of one cluster.
pub fn events_prefix(ws: i64, id: &str) -> String {
    format!("{}{id}/", ws_key(ws))
}

fn event_key(ws: i64, e: &NewEvent) -> String {
    format!(
        "{}{:015}{:010}",
        events_prefix(ws, &e.event.cluster_id),
        e.event.timestamp.max(0),
        e.seq
    )
}

/// The server's cluster transition time in ms.
pub fn transition_ms(state: &AppState) -> i64 {
    i64::try_from(state.settings().cluster_transition.as_millis()).unwrap_or(i64::MAX)
}

pub fn missing(id: &str) -> ApiError {
    ApiError::not_found(format!("Cluster {id} does not exist."))
}

/// Cluster `id` as it stands at `now`, with the events its settled transitions produced (not
/// stored yet).
pub fn load(
    state: &AppState,
    ws: i64,
    id: &str,
    now: i64,
) -> ApiResult<(ClusterRecord, Vec<NewEvent>)> {
    let mut rec: ClusterRecord = repo::get(state.store(), TREE, &key(ws, id))?
        .filter(|_| !id.is_empty())
        .ok_or_else(|| missing(id))?;
    let events = settle(&mut rec, now, transition_ms(state));
    Ok((rec, events))
}

/// Every cluster of workspace `ws` as it stands at `now`.
pub fn all(state: &AppState, ws: i64, now: i64) -> ApiResult<Vec<ClusterRecord>> {
    let transition = transition_ms(state);
    let mut out: Vec<ClusterRecord> = repo::scan(state.store(), TREE, &ws_key(ws))?;
    for rec in &mut out {
        settle(rec, now, transition);
    }
    Ok(out)
}

/// Stores `rec` and `events`.
pub fn tx_save(
    tx: &mut dyn Tx,
    ws: i64,
    rec: &ClusterRecord,
    events: &[NewEvent],
) -> Result<(), StoreError> {
    repo::tx_put(tx, TREE, &key(ws, &rec.info.cluster_id), rec)?;
    for e in events {
        repo::tx_put(tx, EVENTS, &event_key(ws, e), &EventRecord(e.event.clone()))?;
    }
    Ok(())
}

/// The stored events of cluster `id`, oldest first.
pub fn stored_events(state: &AppState, ws: i64, id: &str) -> ApiResult<Vec<ClusterEvent>> {
    Ok(
        repo::scan::<EventRecord>(state.store(), EVENTS, &events_prefix(ws, id))?
            .into_iter()
            .map(|e| e.0)
            .collect(),
    )
}

/// Permanently deletes cluster `rec` (settled, with `events` not stored yet): it leaves the
/// clusters tree and its grants go; the record and every event stay for billing ([`PURGED`]).
pub fn tx_purge(
    tx: &mut dyn Tx,
    ws: i64,
    rec: &ClusterRecord,
    events: &[NewEvent],
) -> Result<(), StoreError> {
    let id = &rec.info.cluster_id;
    repo::tx_delete(tx, TREE, &key(ws, id))?;
    repo::tx_put(tx, PURGED, &key(ws, id), rec)?;
    for e in events {
        repo::tx_put(tx, EVENTS, &event_key(ws, e), &EventRecord(e.event.clone()))?;
    }
    crate::authz::store::tx_delete(tx, ws, &format!("clusters/{id}"))
}

/// A new cluster id, as Databricks spells them: `MMDD-HHMMSS-xxxxxxxx`.
pub fn new_id(now_ms: i64) -> String {
    let secs = now_ms.div_euclid(1000);
    let day_secs = secs.rem_euclid(86_400);
    let (h, m, s) = (day_secs / 3600, day_secs % 3600 / 60, day_secs % 60);
    let days = secs.div_euclid(86_400);
    let (month, day) = month_day(days);
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    let tail: String = (0..8)
        .map(|_| ALPHABET[rand::Rng::gen_range(&mut rng, 0..ALPHABET.len())] as char)
        .collect();
    format!("{month:02}{day:02}-{h:02}{m:02}{s:02}-{tail}")
}

/// Month and day of the civil date `days` after 1970-01-01.
fn month_day(days: i64) -> (i64, i64) {
    let z = days + 719_468;
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_databricks_ones() {
        // 2026-12-03 17:50:47 UTC
        let id = new_id(1_796_320_247_000);
        assert_eq!(&id[..12], "1203-175047-");
        assert_eq!(id.len(), 20);
        assert!(id[12..]
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    }
}
