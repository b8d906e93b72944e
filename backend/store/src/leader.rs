//! Leader election: work that must happen once across replicas (log delivery, sweeps) runs
//! only on the replica whose [`Leadership`] handle leads.
//!
//! An engine hands out handles with [`KvStore::leadership`](crate::KvStore::leadership). An
//! embedded engine serves one process, which always leads ([`Solo`]). [`PgStore`](crate::PgStore)
//! uses a PostgreSQL session-level advisory lock held on a dedicated connection: the lock is
//! released when that session ends, whether the replica shut down, was killed or lost its
//! network, and the next replica to ask takes it over.

use crate::StoreError;

/// One replica's handle on a named leadership.
///
/// Callers ask [`Leadership::try_lead`] before each round of leader-only work (it blocks for a
/// database round trip at most, so call it off async workers or accept the short block) and do
/// the round only on `Ok(true)`. Leadership can be lost between the check and the end of the
/// round (a leader whose connection dies is not told until its next check), so leader-only
/// work must stay correct when, rarely, two replicas run one round at once: log delivery is,
/// because it is at-least-once with deterministic object names.
pub trait Leadership: Send + Sync + std::fmt::Debug {
    /// Takes the leadership if it is free, or confirms this handle still holds it. `Ok(false)`
    /// when another handle leads.
    fn try_lead(&self) -> Result<bool, StoreError>;
    /// Gives the leadership up, if held (dropping the handle does too).
    fn resign(&self);
}

/// The leadership of a store only one process uses: always held.
#[derive(Debug, Default, Clone, Copy)]
pub struct Solo;

impl Leadership for Solo {
    fn try_lead(&self) -> Result<bool, StoreError> {
        Ok(true)
    }

    fn resign(&self) {}
}
