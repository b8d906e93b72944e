//! Billing SKUs of usage rows.
//!
//! Databricks names the SKU of classic all-purpose compute on AWS by the workspace's pricing
//! tier: `STANDARD_ALL_PURPOSE_COMPUTE`, `PREMIUM_ALL_PURPOSE_COMPUTE`,
//! `ENTERPRISE_ALL_PURPOSE_COMPUTE`, with a `_(PHOTON)` suffix when the cluster runs the Photon
//! engine (the SKU list of the billable usage log schema, and `sku_name` of the
//! `system.billing.usage` table). Ironbrick's clusters are all all-purpose (created through the
//! clusters API, `cluster_type` "all-purpose"), so that is the only family produced.
//!
//! Two of the pricing tiers a workspace may be created with have no SKU family of their own:
//! `DEDICATED` is billed as `ENTERPRISE` and `COMMUNITY_EDITION` as `STANDARD`.

use ironbrick_api::compute::ClusterSpec;
use serde_json::Value;

/// The SKU of all-purpose compute in a workspace of `pricing_tier`, for a cluster that runs
/// Photon or not.
pub fn all_purpose(pricing_tier: &str, photon: bool) -> String {
    let tier = match pricing_tier {
        "PREMIUM" => "PREMIUM",
        "ENTERPRISE" | "DEDICATED" => "ENTERPRISE",
        _ => "STANDARD",
    };
    let suffix = if photon { "_(PHOTON)" } else { "" };
    format!("{tier}_ALL_PURPOSE_COMPUTE{suffix}")
}

/// Whether a cluster of `spec` runs Photon: `runtime_engine` PHOTON, or a Photon runtime
/// (`…-photon-…` Spark version) with no `runtime_engine` saying otherwise.
pub fn runs_photon(spec: &ClusterSpec) -> bool {
    match spec.get("runtime_engine").and_then(Value::as_str) {
        Some("PHOTON") => true,
        Some("STANDARD") => false,
        _ => spec
            .get("spark_version")
            .and_then(Value::as_str)
            .is_some_and(|v| v.contains("-photon-")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(v: Value) -> ClusterSpec {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn the_tier_names_the_sku() {
        assert_eq!(all_purpose("PREMIUM", false), "PREMIUM_ALL_PURPOSE_COMPUTE");
        assert_eq!(
            all_purpose("ENTERPRISE", true),
            "ENTERPRISE_ALL_PURPOSE_COMPUTE_(PHOTON)"
        );
        assert_eq!(
            all_purpose("DEDICATED", false),
            "ENTERPRISE_ALL_PURPOSE_COMPUTE"
        );
        assert_eq!(
            all_purpose("STANDARD", false),
            "STANDARD_ALL_PURPOSE_COMPUTE"
        );
        assert_eq!(
            all_purpose("COMMUNITY_EDITION", false),
            "STANDARD_ALL_PURPOSE_COMPUTE"
        );
    }

    #[test]
    fn photon_comes_from_the_engine_or_the_runtime() {
        assert!(runs_photon(&spec(json!({"runtime_engine": "PHOTON"}))));
        assert!(runs_photon(&spec(
            json!({"spark_version": "15.4.x-photon-scala2.12"})
        )));
        assert!(!runs_photon(&spec(json!({
            "spark_version": "15.4.x-photon-scala2.12", "runtime_engine": "STANDARD"
        }))));
        assert!(!runs_photon(&spec(
            json!({"spark_version": "15.4.x-scala2.12"})
        )));
    }
}
