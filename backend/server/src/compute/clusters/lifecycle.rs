//! A cluster's stored record and its lifecycle.
//!
//! Ironbrick starts no machines, so a transitional state (PENDING, RESTARTING, RESIZING,
//! TERMINATING) ends by the clock: it lasts the server's cluster transition time, after which
//! the cluster is RUNNING (or TERMINATED). A RUNNING cluster with `autotermination_minutes`
//! terminates after that long (nothing runs on it, so it is always inactive).
//!
//! [`settle`] plays those transitions forward to a given time and returns the events they
//! produce. It is deterministic: reads settle a copy and show the result without writing, and
//! the next write settles the stored record the same way, so the events a reader saw are the
//! events that are stored.

use ironbrick_api::clusters::{ClusterEvent, ClusterInfo, State, TerminationReason};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A library asked for on a cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryEntry {
    pub library: Value,
    /// Uninstalled: it goes at the next restart.
    #[serde(default)]
    pub uninstall: bool,
}

/// Stored form of a cluster (`clusters` tree, key `{ws}{cluster_id}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterRecord {
    pub info: ClusterInfo,
    /// The principal that created the cluster (counts against `max_clusters_per_user`).
    pub creator_id: i64,
    /// When the current state began (ms).
    pub since: i64,
    /// Sequence number of the next event (events are keyed by time and sequence).
    pub next_event: u64,
    #[serde(default)]
    pub libraries: Vec<LibraryEntry>,
}

impl ironbrick_store::record::Record for ClusterRecord {}

/// An event not yet stored, with its sequence number.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub seq: u64,
    pub event: ClusterEvent,
}

impl ClusterRecord {
    /// The number of workers the cluster runs with now (the autoscale minimum).
    pub fn workers(&self) -> i64 {
        let a = &self.info.attributes;
        a.get("num_workers")
            .and_then(Value::as_i64)
            .or_else(|| a.get("autoscale")?.get("min_workers")?.as_i64())
            .unwrap_or(0)
    }

    /// Enters `state` at `at`.
    pub fn enter(&mut self, state: State, at: i64, message: &str) {
        self.info.state = state;
        self.info.state_message = message.to_owned();
        self.since = at;
    }

    /// Records an event of `kind` at `at`.
    pub fn event(&mut self, at: i64, kind: &str, details: Value) -> NewEvent {
        let seq = self.next_event;
        self.next_event += 1;
        NewEvent {
            seq,
            event: ClusterEvent {
                cluster_id: self.info.cluster_id.clone(),
                timestamp: at,
                kind: kind.to_owned(),
                details,
            },
        }
    }

    /// Starts terminating at `at` for `reason`; returns the TERMINATING event.
    pub fn terminate(
        &mut self,
        at: i64,
        reason: TerminationReason,
        user: Option<&str>,
    ) -> NewEvent {
        let mut details = json!({ "reason": reason });
        if let Some(u) = user {
            details["user"] = json!(u);
        }
        self.info.termination_reason = Some(reason);
        self.enter(State::Terminating, at, "Terminating the Spark cluster.");
        self.event(at, "TERMINATING", details)
    }

    fn size_details(&self) -> Value {
        let n = self.workers();
        json!({"current_num_workers": n, "target_num_workers": n})
    }

    fn autotermination_ms(&self) -> Option<i64> {
        self.info
            .attributes
            .get("autotermination_minutes")
            .and_then(Value::as_i64)
            .filter(|m| *m > 0)
            .map(|m| m * 60_000)
    }
}

/// A termination reason.
pub fn reason(code: &str, kind: &str, parameters: &[(&str, String)]) -> TerminationReason {
    TerminationReason {
        code: code.to_owned(),
        kind: kind.to_owned(),
        parameters: parameters
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    }
}

/// Plays the transitions that are due by `now` (each transitional state lasts `transition`
/// ms) and returns the events they produced, oldest first.
pub fn settle(rec: &mut ClusterRecord, now: i64, transition: i64) -> Vec<NewEvent> {
    let mut out = Vec::new();
    loop {
        let due = rec.since.saturating_add(transition);
        match rec.info.state {
            State::Pending | State::Restarting | State::Resizing if now >= due => {
                rec.enter(State::Running, due, "");
                let details = rec.size_details();
                out.push(rec.event(due, "RUNNING", details));
            }
            State::Terminating if now >= due => {
                rec.enter(State::Terminated, due, &terminated_message(rec));
                rec.info.terminated_time = Some(due);
            }
            State::Running => match rec.autotermination_ms() {
                Some(idle) if now >= rec.since.saturating_add(idle) => {
                    let at = rec.since + idle;
                    let minutes = (idle / 60_000).to_string();
                    let why = reason(
                        "INACTIVITY",
                        "SUCCESS",
                        &[("inactivity_duration_min", minutes)],
                    );
                    out.push(rec.terminate(at, why, None));
                }
                _ => break,
            },
            _ => break,
        }
    }
    out
}

fn terminated_message(rec: &ClusterRecord) -> String {
    match rec.info.termination_reason.as_ref() {
        Some(r) if r.code == "INACTIVITY" => format!(
            "Inactive cluster terminated (inactive for {} minutes).",
            r.parameters
                .get("inactivity_duration_min")
                .map_or("?", String::as_str)
        ),
        Some(r) if r.code == "USER_REQUEST" => format!(
            "Terminated by {}.",
            r.parameters
                .get("username")
                .map_or("a user", String::as_str)
        ),
        _ => "Terminated.".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironbrick_api::compute::ClusterSpec;

    fn record(attrs: Value) -> ClusterRecord {
        let attributes: ClusterSpec = attrs.as_object().cloned().unwrap_or_default();
        ClusterRecord {
            info: ClusterInfo {
                cluster_id: "c".into(),
                creator_user_name: None,
                state: State::Pending,
                state_message: String::new(),
                start_time: 0,
                terminated_time: None,
                last_restarted_time: None,
                termination_reason: None,
                cluster_source: "API".into(),
                default_tags: Default::default(),
                cluster_cores: None,
                cluster_memory_mb: None,
                spark_context_id: None,
                is_pinned: false,
                requested: ClusterSpec::new(),
                attributes,
            },
            creator_id: 1,
            since: 1_000,
            next_event: 0,
            libraries: Vec::new(),
        }
    }

    #[test]
    fn pending_becomes_running_after_the_transition_time() {
        let mut r = record(json!({"num_workers": 2}));
        assert!(settle(&mut r, 1_999, 1_000).is_empty());
        assert_eq!(r.info.state, State::Pending);
        let events = settle(&mut r, 2_000, 1_000);
        assert_eq!(r.info.state, State::Running);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event.kind, "RUNNING");
        assert_eq!(events[0].event.timestamp, 2_000);
        assert_eq!(events[0].event.details["current_num_workers"], 2);
    }

    #[test]
    fn idle_clusters_terminate_after_autotermination_minutes() {
        let mut r = record(json!({"autotermination_minutes": 10}));
        let events = settle(&mut r, 1_000 + 1_000 + 600_000 + 1_000, 1_000);
        let kinds: Vec<&str> = events.iter().map(|e| e.event.kind.as_str()).collect();
        assert_eq!(kinds, ["RUNNING", "TERMINATING"]);
        assert_eq!(r.info.state, State::Terminated);
        assert_eq!(r.info.terminated_time, Some(603_000));
        assert_eq!(
            r.info.termination_reason.as_ref().map(|x| x.code.as_str()),
            Some("INACTIVITY")
        );
        assert!(r.info.state_message.contains("10 minutes"));
    }

    #[test]
    fn settling_twice_gives_the_same_events() {
        let mut a = record(json!({}));
        let mut b = a.clone();
        let first: Vec<u64> = settle(&mut a, 5_000, 1_000).iter().map(|e| e.seq).collect();
        let again: Vec<u64> = settle(&mut b, 5_000, 1_000).iter().map(|e| e.seq).collect();
        assert_eq!(first, again);
        assert_eq!(a.next_event, b.next_event);
    }
}
