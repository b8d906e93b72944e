//! The built-in policy families: policy templates whose definition a policy inherits
//! (`policy_family_id`), with `policy_family_definition_overrides` laid over it rule by rule.

use ironbrick_api::compute::PolicyFamily;

/// (id, name, description, definition)
const FAMILIES: &[(&str, &str, &str, &str)] = &[
    (
        "personal-vm",
        "Personal Compute",
        "Single-node, single-user all-purpose compute for one person's interactive work.",
        r#"{"spark_conf.spark.databricks.cluster.profile": {"type": "fixed", "value": "singleNode", "hidden": true},
            "spark_conf.spark.master": {"type": "fixed", "value": "local[*, 4]", "hidden": true},
            "custom_tags.ResourceClass": {"type": "fixed", "value": "SingleNode", "hidden": true},
            "num_workers": {"type": "fixed", "value": 0, "hidden": true},
            "node_type_id": {"type": "allowlist", "values": ["m5d.large", "m5d.xlarge", "r5d.large", "i3.xlarge"], "defaultValue": "m5d.large"},
            "data_security_mode": {"type": "allowlist", "values": ["SINGLE_USER", "NONE"], "defaultValue": "SINGLE_USER"},
            "autotermination_minutes": {"type": "unlimited", "defaultValue": 4320, "isOptional": true},
            "cluster_type": {"type": "fixed", "value": "all-purpose"}}"#,
    ),
    (
        "shared-compute",
        "Shared Compute",
        "Multi-user all-purpose compute with user isolation.",
        r#"{"data_security_mode": {"type": "fixed", "value": "USER_ISOLATION", "hidden": true},
            "autoscale.max_workers": {"type": "range", "maxValue": 20, "defaultValue": 8},
            "autoscale.min_workers": {"type": "range", "minValue": 1, "defaultValue": 1},
            "autotermination_minutes": {"type": "range", "minValue": 10, "maxValue": 240, "defaultValue": 120},
            "cluster_type": {"type": "fixed", "value": "all-purpose"}}"#,
    ),
    (
        "power-user",
        "Power User Compute",
        "Single-user, autoscaling all-purpose compute for heavier interactive workloads.",
        r#"{"data_security_mode": {"type": "fixed", "value": "SINGLE_USER", "hidden": true},
            "autoscale.max_workers": {"type": "range", "maxValue": 50, "defaultValue": 10},
            "autoscale.min_workers": {"type": "range", "minValue": 1, "defaultValue": 2},
            "autotermination_minutes": {"type": "range", "minValue": 10, "maxValue": 4320, "defaultValue": 120},
            "cluster_type": {"type": "fixed", "value": "all-purpose"}}"#,
    ),
    (
        "job-cluster",
        "Job Compute",
        "Compute for jobs only: clusters made by the Jobs service, never all-purpose clusters.",
        r#"{"cluster_type": {"type": "fixed", "value": "job"},
            "num_workers": {"type": "range", "minValue": 0, "maxValue": 100, "defaultValue": 2},
            "dbus_per_hour": {"type": "range", "maxValue": 200}}"#,
    ),
    (
        "shared-data-science",
        "Legacy Shared Compute",
        "Multi-user all-purpose compute without data isolation (no Unity Catalog).",
        r#"{"data_security_mode": {"type": "fixed", "value": "NONE", "hidden": true},
            "autotermination_minutes": {"type": "range", "minValue": 10, "maxValue": 240, "defaultValue": 120},
            "cluster_type": {"type": "fixed", "value": "all-purpose"}}"#,
    ),
];

/// Every built-in family.
pub fn all() -> Vec<PolicyFamily> {
    FAMILIES.iter().map(family).collect()
}

/// The family `id`.
pub fn find(id: &str) -> Option<PolicyFamily> {
    FAMILIES.iter().find(|f| f.0 == id).map(family)
}

fn family(f: &(&str, &str, &str, &str)) -> PolicyFamily {
    PolicyFamily {
        policy_family_id: f.0.to_owned(),
        name: f.1.to_owned(),
        description: f.2.to_owned(),
        definition: f.3.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::rules::Definition;

    #[test]
    fn every_family_definition_parses() {
        for f in all() {
            let d = Definition::parse(&f.definition)
                .unwrap_or_else(|e| panic!("{}: {e:?}", f.policy_family_id));
            assert!(
                d.rules.contains_key("cluster_type"),
                "{}",
                f.policy_family_id
            );
        }
        assert!(find("personal-vm").is_some() && find("nope").is_none());
    }
}
