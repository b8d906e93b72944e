//! Where a batch of audit lines is written in the customer's bucket.
//!
//! `{prefix}/workspaceId={ws}/date={yyyy-mm-dd}/auditlogs_{config_id}_{first_seq:020}.json`,
//! Databricks' layout, with the internal id made of the configuration and the sequence number
//! of the batch's first entry for that workspace and day. The name is a pure function of what
//! the batch holds, so a batch delivered again (after a crash between S3's acknowledgement and
//! the cursor's persistence) overwrites its own object instead of adding a duplicate; and
//! within one configuration, names sort in delivery order.

/// The object key of the audit batch of workspace `ws` (0: account-level events) on `date`
/// whose first entry is `first_seq`, for configuration `config_id` with `prefix`.
pub fn audit(prefix: Option<&str>, ws: i64, date: &str, config_id: &str, first_seq: u64) -> String {
    let name = format!("workspaceId={ws}/date={date}/auditlogs_{config_id}_{first_seq:020}.json");
    match prefix.filter(|p| !p.is_empty()) {
        Some(p) => format!("{p}/{name}"),
        None => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_databricks_layout() {
        assert_eq!(
            audit(Some("logs/audit"), 42, "2026-12-03", "c1", 7),
            "logs/audit/workspaceId=42/date=2026-12-03/auditlogs_c1_00000000000000000007.json"
        );
        assert_eq!(
            audit(None, 0, "2026-12-03", "c1", 0),
            "workspaceId=0/date=2026-12-03/auditlogs_c1_00000000000000000000.json"
        );
        assert_eq!(audit(Some(""), 1, "d", "c", 1), audit(None, 1, "d", "c", 1));
    }

    #[test]
    fn keys_sort_in_sequence_order() {
        let a = audit(None, 1, "d", "c", 9);
        let b = audit(None, 1, "d", "c", 10);
        assert!(a < b);
    }
}
