//! The shape of a cluster specification: which fields create and edit take, and what each may
//! hold. Checked after the policy completed the specification, so fixed and default values are
//! held to the same rules as the client's own.

use crate::compute::catalog;
use crate::error::{ApiError, ApiResult};
use ironbrick_api::compute::ClusterSpec;
use serde_json::{Map, Value};

/// Fields `clusters/create` and `clusters/edit` take (the SDK's `CreateCluster`).
pub const FIELDS: [&str; 38] = [
    "apply_policy_default_values",
    "autoscale",
    "autotermination_minutes",
    "aws_attributes",
    "azure_attributes",
    "clone_from",
    "cluster_log_conf",
    "cluster_mount_info",
    "cluster_name",
    "custom_tags",
    "data_security_mode",
    "dependency_mode",
    "docker_image",
    "driver_instance_pool_id",
    "driver_node_type_flexibility",
    "driver_node_type_id",
    "enable_elastic_disk",
    "enable_local_disk_encryption",
    "gcp_attributes",
    "idempotency_token",
    "init_scripts",
    "instance_pool_id",
    "is_single_node",
    "kind",
    "node_type_id",
    "num_workers",
    "policy_id",
    "remote_disk_throughput",
    "runtime_engine",
    "single_user_name",
    "spark_conf",
    "spark_env_vars",
    "spark_version",
    "ssh_public_keys",
    "total_initial_remote_disk_size",
    "use_ml_runtime",
    "worker_node_type_flexibility",
    "workload_type",
];

/// Fields that are only for other clouds.
const OTHER_CLOUDS: [&str; 2] = ["azure_attributes", "gcp_attributes"];

/// Tag keys Databricks sets itself on every cluster.
pub const DEFAULT_TAG_KEYS: [&str; 4] = ["Vendor", "Creator", "ClusterName", "ClusterId"];

const DATA_SECURITY_MODES: [&str; 10] = [
    "NONE",
    "SINGLE_USER",
    "USER_ISOLATION",
    "LEGACY_TABLE_ACL",
    "LEGACY_PASSTHROUGH",
    "LEGACY_SINGLE_USER",
    "LEGACY_SINGLE_USER_STANDARD",
    "DATA_SECURITY_MODE_AUTO",
    "DATA_SECURITY_MODE_STANDARD",
    "DATA_SECURITY_MODE_DEDICATED",
];

const AWS_ATTRIBUTES: [&str; 10] = [
    "availability",
    "ebs_volume_count",
    "ebs_volume_iops",
    "ebs_volume_size",
    "ebs_volume_throughput",
    "ebs_volume_type",
    "first_on_demand",
    "instance_profile_arn",
    "spot_bid_price_percent",
    "zone_id",
];

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::invalid(message)
}

/// Refuses fields create/edit do not take, and fields of other clouds.
pub fn check_fields(spec: &ClusterSpec) -> ApiResult<()> {
    if let Some(unknown) = spec.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(bad(format!(
            "Unknown field {unknown:?} in the cluster specification."
        )));
    }
    if let Some(other) = OTHER_CLOUDS.iter().find(|f| spec.contains_key(**f)) {
        return Err(bad(format!(
            "{other} is not supported: Ironbrick serves AWS workspaces."
        )));
    }
    Ok(())
}

fn int(spec: &Map<String, Value>, field: &str) -> ApiResult<Option<i64>> {
    match spec.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| bad(format!("{field} must be an integer, not {v}."))),
    }
}

fn string<'a>(spec: &'a Map<String, Value>, field: &str) -> ApiResult<Option<&'a str>> {
    match spec.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(bad(format!("{field} must be a string, not {v}."))),
    }
}

fn one_of(spec: &Map<String, Value>, field: &str, allowed: &[&str]) -> ApiResult<()> {
    match string(spec, field)? {
        Some(v) if !allowed.contains(&v) => Err(bad(format!(
            "{field} {v:?} is not one of {}.",
            allowed.join(", ")
        ))),
        _ => Ok(()),
    }
}

fn string_map(spec: &Map<String, Value>, field: &str) -> ApiResult<()> {
    match spec.get(field) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Object(o)) => match o.iter().find(|(_, v)| !v.is_string()) {
            Some((k, v)) => Err(bad(format!("{field}.{k} must be a string, not {v}."))),
            None => Ok(()),
        },
        Some(v) => Err(bad(format!(
            "{field} must be an object of strings, not {v}."
        ))),
    }
}

/// Checks a completed specification.
pub fn check_shape(spec: &ClusterSpec) -> ApiResult<()> {
    let version = string(spec, "spark_version")?
        .ok_or_else(|| bad("spark_version is required (see /api/2.1/clusters/spark-versions)."))?;
    if !catalog::is_spark_version(version) {
        return Err(bad(format!(
            "Invalid spark version {version:?} (see /api/2.1/clusters/spark-versions)."
        )));
    }
    for pool in ["instance_pool_id", "driver_instance_pool_id"] {
        if let Some(id) = string(spec, pool)? {
            return Err(bad(format!(
                "Instance pool {id} does not exist: this workspace has no instance pools."
            )));
        }
    }
    let node = string(spec, "node_type_id")?
        .ok_or_else(|| bad("node_type_id is required (see /api/2.1/clusters/list-node-types)."))?;
    for (field, id) in [
        ("node_type_id", Some(node)),
        ("driver_node_type_id", string(spec, "driver_node_type_id")?),
    ] {
        if let Some(id) = id.filter(|id| catalog::find_node_type(id).is_none()) {
            return Err(bad(format!(
                "{field} {id:?} is not a node type of this workspace (see /api/2.1/clusters/list-node-types)."
            )));
        }
    }
    check_size(spec)?;
    if let Some(m) = int(spec, "autotermination_minutes")? {
        if m != 0 && !(10..=10_000).contains(&m) {
            return Err(bad(format!(
                "autotermination_minutes must be 0 (never) or between 10 and 10000, not {m}."
            )));
        }
    }
    if let Some(name) = string(spec, "cluster_name")? {
        if name.chars().count() > 100 {
            return Err(bad("cluster_name must be at most 100 characters."));
        }
    }
    string_map(spec, "spark_conf")?;
    string_map(spec, "spark_env_vars")?;
    check_tags(spec)?;
    check_security_mode(spec)?;
    one_of(spec, "runtime_engine", &["NULL", "STANDARD", "PHOTON"])?;
    one_of(spec, "kind", &["CLASSIC_PREVIEW"])?;
    for flag in [
        "enable_elastic_disk",
        "enable_local_disk_encryption",
        "is_single_node",
        "use_ml_runtime",
    ] {
        if spec
            .get(flag)
            .is_some_and(|v| !v.is_boolean() && !v.is_null())
        {
            return Err(bad(format!("{flag} must be true or false.")));
        }
    }
    check_aws(spec)?;
    check_init_scripts(spec)?;
    check_keys(spec)
}

fn check_size(spec: &ClusterSpec) -> ApiResult<()> {
    let workers = int(spec, "num_workers")?;
    match (workers, spec.get("autoscale").filter(|v| !v.is_null())) {
        (Some(_), Some(_)) => Err(bad("Specify num_workers or autoscale, not both.")),
        (Some(n), None) if !(0..=100_000).contains(&n) => Err(bad(format!(
            "num_workers must be between 0 and 100000, not {n}."
        ))),
        (_, Some(Value::Object(a))) => {
            let min = int(a, "min_workers")?.unwrap_or(0);
            let max =
                int(a, "max_workers")?.ok_or_else(|| bad("autoscale.max_workers is required."))?;
            if min < 0 || max < 1 || min > max || max > 100_000 {
                return Err(bad(format!(
                    "autoscale needs 0 <= min_workers <= max_workers (1 to 100000); got {min} and {max}."
                )));
            }
            Ok(())
        }
        (_, Some(v)) => Err(bad(format!("autoscale must be an object, not {v}."))),
        _ => {
            if spec.get("is_single_node") == Some(&Value::Bool(true)) && workers.unwrap_or(0) != 0 {
                return Err(bad("A single-node cluster has no workers."));
            }
            Ok(())
        }
    }
}

fn check_tags(spec: &ClusterSpec) -> ApiResult<()> {
    string_map(spec, "custom_tags")?;
    let Some(Value::Object(tags)) = spec.get("custom_tags") else {
        return Ok(());
    };
    for (k, v) in tags {
        if DEFAULT_TAG_KEYS.iter().any(|d| d.eq_ignore_ascii_case(k)) || k == "Name" {
            return Err(bad(format!(
                "custom_tags.{k}: the tag {k} is set by Databricks and cannot be a custom tag."
            )));
        }
        let value_len = v.as_str().map_or(0, |s| s.chars().count());
        if k.is_empty() || k.chars().count() > 127 || value_len > 255 {
            return Err(bad(format!(
                "custom_tags.{k}: tag keys have 1 to 127 characters and values at most 255."
            )));
        }
    }
    Ok(())
}

fn check_security_mode(spec: &ClusterSpec) -> ApiResult<()> {
    one_of(spec, "data_security_mode", &DATA_SECURITY_MODES)?;
    let single = matches!(
        string(spec, "data_security_mode")?,
        Some("SINGLE_USER" | "LEGACY_SINGLE_USER" | "LEGACY_SINGLE_USER_STANDARD")
    );
    if single && string(spec, "single_user_name")?.is_none_or(str::is_empty) {
        return Err(bad(
            "single_user_name is required when data_security_mode is SINGLE_USER.",
        ));
    }
    Ok(())
}

fn check_aws(spec: &ClusterSpec) -> ApiResult<()> {
    let aws = match spec.get("aws_attributes") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Object(o)) => o,
        Some(v) => return Err(bad(format!("aws_attributes must be an object, not {v}."))),
    };
    if let Some(k) = aws.keys().find(|k| !AWS_ATTRIBUTES.contains(&k.as_str())) {
        return Err(bad(format!("Unknown field aws_attributes.{k}.")));
    }
    one_of(
        aws,
        "availability",
        &["SPOT", "ON_DEMAND", "SPOT_WITH_FALLBACK"],
    )
    .map_err(|e| bad(format!("aws_attributes.{}", e.message())))?;
    one_of(
        aws,
        "ebs_volume_type",
        &["GENERAL_PURPOSE_SSD", "THROUGHPUT_OPTIMIZED_HDD"],
    )
    .map_err(|e| bad(format!("aws_attributes.{}", e.message())))?;
    let ranges = [
        ("first_on_demand", 0, 100_000),
        ("spot_bid_price_percent", 1, 10_000),
        ("ebs_volume_count", 0, 10),
        ("ebs_volume_size", 0, 16_384),
        ("ebs_volume_iops", 0, 64_000),
        ("ebs_volume_throughput", 0, 1_000),
    ];
    for (field, lo, hi) in ranges {
        if let Some(n) = int(aws, field)? {
            if !(lo..=hi).contains(&n) {
                return Err(bad(format!(
                    "aws_attributes.{field} must be between {lo} and {hi}, not {n}."
                )));
            }
        }
    }
    if let Some(arn) = string(aws, "instance_profile_arn")? {
        let ok = arn.starts_with("arn:aws") && arn.contains(":instance-profile/");
        if !ok {
            return Err(bad(format!(
                "aws_attributes.instance_profile_arn {arn:?} is not an instance profile ARN."
            )));
        }
    }
    Ok(())
}

fn check_init_scripts(spec: &ClusterSpec) -> ApiResult<()> {
    let scripts = match spec.get("init_scripts") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(a)) => a,
        Some(v) => return Err(bad(format!("init_scripts must be a list, not {v}."))),
    };
    const KINDS: [&str; 5] = ["workspace", "volumes", "s3", "file", "dbfs"];
    for (i, script) in scripts.iter().enumerate() {
        let kinds: Vec<&String> = script
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        let [kind] = kinds.as_slice() else {
            return Err(bad(format!(
                "init_scripts.{i} names exactly one of {}.",
                KINDS.join(", ")
            )));
        };
        if !KINDS.contains(&kind.as_str()) {
            return Err(bad(format!(
                "init_scripts.{i}.{kind} is not supported: Ironbrick serves AWS workspaces ({}).",
                KINDS.join(", ")
            )));
        }
        let destination = script[kind.as_str()]
            .get("destination")
            .and_then(Value::as_str);
        if destination.is_none_or(|d| d.trim().is_empty()) {
            return Err(bad(format!(
                "init_scripts.{i}.{kind}.destination is required."
            )));
        }
    }
    Ok(())
}

fn check_keys(spec: &ClusterSpec) -> ApiResult<()> {
    match spec.get("ssh_public_keys") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(keys)) if keys.len() <= 10 && keys.iter().all(Value::is_string) => Ok(()),
        Some(_) => Err(bad("ssh_public_keys must be a list of at most 10 strings.")),
    }
}

/// The cost of a specification in DBU per hour: the driver plus every worker (the autoscale
/// maximum), at the catalogue's rates.
pub fn dbus_per_hour(spec: &ClusterSpec) -> f64 {
    let rate = |field: &str| {
        spec.get(field)
            .and_then(Value::as_str)
            .and_then(catalog::find_node_type)
            .map_or(0.0, |n| n.dbus_per_hour)
    };
    let worker = rate("node_type_id");
    let driver = if spec.contains_key("driver_node_type_id") {
        rate("driver_node_type_id")
    } else {
        worker
    };
    let workers = spec
        .get("num_workers")
        .and_then(Value::as_i64)
        .or_else(|| spec.get("autoscale")?.get("max_workers")?.as_i64())
        .unwrap_or(0);
    let total = driver + worker * workers as f64;
    (total * 100.0).round() / 100.0
}

/// Cores and memory (MB) of the driver and `workers` workers.
pub fn size(spec: &ClusterSpec, workers: i64) -> (Option<f64>, Option<i64>) {
    let node = |field: &str| {
        spec.get(field)
            .and_then(Value::as_str)
            .and_then(catalog::find_node_type)
    };
    let Some(worker) = node("node_type_id") else {
        return (None, None);
    };
    let driver = node("driver_node_type_id").unwrap_or_else(|| worker.clone());
    let n = workers.max(0);
    (
        Some(driver.num_cores + worker.num_cores * n as f64),
        Some(driver.memory_mb + worker.memory_mb * n),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(v: Value) -> ClusterSpec {
        v.as_object().cloned().unwrap_or_default()
    }

    fn base() -> Value {
        json!({"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 2})
    }

    fn error_of(v: Value) -> String {
        check_shape(&spec(v)).unwrap_err().message().to_owned()
    }

    #[test]
    fn a_plain_specification_passes() {
        assert!(check_shape(&spec(base())).is_ok());
    }

    #[test]
    fn bad_fields_are_named() {
        let mut v = base();
        v["num_workers"] = json!(-1);
        assert!(error_of(v).contains("num_workers"));
        let mut v = base();
        v["autoscale"] = json!({"min_workers": 1, "max_workers": 4});
        assert!(error_of(v).contains("not both"));
        let mut v = base();
        v["autotermination_minutes"] = json!(5);
        assert!(error_of(v).contains("autotermination_minutes"));
        let mut v = base();
        v["custom_tags"] = json!({"Vendor": "me"});
        assert!(error_of(v).contains("custom_tags.Vendor"));
        let mut v = base();
        v["aws_attributes"] = json!({"availability": "CHEAP"});
        assert!(error_of(v).contains("aws_attributes.availability"));
        let mut v = base();
        v["node_type_id"] = json!("z9.huge");
        assert!(error_of(v).contains("node_type_id \"z9.huge\""));
        let mut v = base();
        v["data_security_mode"] = json!("SINGLE_USER");
        assert!(error_of(v).contains("single_user_name"));
        let mut v = base();
        v["init_scripts"] = json!([{"abfss": {"destination": "abfss://x"}}]);
        assert!(error_of(v).contains("init_scripts.0.abfss"));
    }

    #[test]
    fn unknown_and_other_cloud_fields_are_refused() {
        let mut s = spec(base());
        s.insert("node_typo_id".into(), json!("x"));
        assert!(check_fields(&s)
            .unwrap_err()
            .message()
            .contains("node_typo_id"));
        let mut s = spec(base());
        s.insert("gcp_attributes".into(), json!({}));
        assert!(check_fields(&s).unwrap_err().message().contains("AWS"));
    }

    #[test]
    fn cost_counts_the_driver_and_the_most_workers() {
        let fixed = spec(json!({"node_type_id": "i3.xlarge", "num_workers": 3}));
        assert_eq!(dbus_per_hour(&fixed), 4.0);
        let scaled = spec(
            json!({"node_type_id": "i3.xlarge", "driver_node_type_id": "i3.2xlarge",
                                 "autoscale": {"min_workers": 1, "max_workers": 5}}),
        );
        assert_eq!(dbus_per_hour(&scaled), 7.0);
        assert_eq!(size(&scaled, 1), (Some(12.0), Some(93_696)));
    }
}
