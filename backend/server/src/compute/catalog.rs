//! Data shipped with the server: the AWS instance types clusters can use (cores, memory, DBU
//! rate of an all-purpose node) and the Databricks Runtime versions.

use ironbrick_api::compute::{NodeInstanceType, NodeType, SparkVersion};

/// (id, cores, memory GiB, GPUs, DBU/h, category, Graviton)
const NODE_TYPES: &[(&str, f64, f64, i64, f64, &str, bool)] = &[
    ("m5d.large", 2.0, 8.0, 0, 0.34, "General Purpose", false),
    ("m5d.xlarge", 4.0, 16.0, 0, 0.69, "General Purpose", false),
    ("m5d.2xlarge", 8.0, 32.0, 0, 1.37, "General Purpose", false),
    ("m5d.4xlarge", 16.0, 64.0, 0, 2.74, "General Purpose", false),
    ("m6gd.xlarge", 4.0, 16.0, 0, 0.64, "General Purpose", true),
    ("m6gd.2xlarge", 8.0, 32.0, 0, 1.28, "General Purpose", true),
    ("r5d.large", 2.0, 16.0, 0, 0.45, "Memory Optimized", false),
    ("r5d.xlarge", 4.0, 32.0, 0, 0.9, "Memory Optimized", false),
    ("r5d.2xlarge", 8.0, 64.0, 0, 1.8, "Memory Optimized", false),
    (
        "r5d.4xlarge",
        16.0,
        128.0,
        0,
        3.6,
        "Memory Optimized",
        false,
    ),
    ("i3.xlarge", 4.0, 30.5, 0, 1.0, "Storage Optimized", false),
    ("i3.2xlarge", 8.0, 61.0, 0, 2.0, "Storage Optimized", false),
    (
        "i3.4xlarge",
        16.0,
        122.0,
        0,
        4.0,
        "Storage Optimized",
        false,
    ),
    (
        "i3.8xlarge",
        32.0,
        244.0,
        0,
        8.0,
        "Storage Optimized",
        false,
    ),
    ("c5d.xlarge", 4.0, 8.0, 0, 0.61, "Compute Optimized", false),
    (
        "c5d.2xlarge",
        8.0,
        16.0,
        0,
        1.22,
        "Compute Optimized",
        false,
    ),
    (
        "c5d.4xlarge",
        16.0,
        32.0,
        0,
        2.43,
        "Compute Optimized",
        false,
    ),
    ("g4dn.xlarge", 4.0, 16.0, 1, 0.71, "GPU Accelerated", false),
    ("g4dn.2xlarge", 8.0, 32.0, 1, 1.07, "GPU Accelerated", false),
    ("g5.xlarge", 4.0, 16.0, 1, 1.43, "GPU Accelerated", false),
    ("p3.2xlarge", 8.0, 61.0, 1, 4.15, "GPU Accelerated", false),
    (
        "md-fleet.xlarge",
        4.0,
        16.0,
        0,
        0.69,
        "General Purpose",
        false,
    ),
    (
        "rd-fleet.xlarge",
        4.0,
        32.0,
        0,
        0.9,
        "Memory Optimized",
        false,
    ),
];

/// Local NVMe storage of the node types that have it: (id, disks, GB per disk).
const LOCAL_NVME: &[(&str, i64, i64)] = &[
    ("m5d.large", 1, 75),
    ("m5d.xlarge", 1, 150),
    ("m5d.2xlarge", 1, 300),
    ("m5d.4xlarge", 2, 300),
    ("m6gd.xlarge", 1, 237),
    ("m6gd.2xlarge", 1, 474),
    ("r5d.large", 1, 75),
    ("r5d.xlarge", 1, 150),
    ("r5d.2xlarge", 1, 300),
    ("r5d.4xlarge", 2, 300),
    ("i3.xlarge", 1, 950),
    ("i3.2xlarge", 1, 1900),
    ("i3.4xlarge", 2, 1900),
    ("i3.8xlarge", 4, 1900),
    ("c5d.xlarge", 1, 100),
    ("c5d.2xlarge", 1, 200),
    ("c5d.4xlarge", 1, 400),
    ("g4dn.xlarge", 1, 125),
    ("g4dn.2xlarge", 1, 225),
    ("g5.xlarge", 1, 250),
    ("md-fleet.xlarge", 1, 150),
    ("rd-fleet.xlarge", 1, 150),
];

/// (key, name)
const SPARK_VERSIONS: &[(&str, &str)] = &[
    (
        "16.4.x-scala2.12",
        "16.4 LTS (includes Apache Spark 3.5.2, Scala 2.12)",
    ),
    (
        "16.4.x-scala2.13",
        "16.4 LTS (includes Apache Spark 3.5.2, Scala 2.13)",
    ),
    (
        "15.4.x-scala2.12",
        "15.4 LTS (includes Apache Spark 3.5.0, Scala 2.12)",
    ),
    (
        "15.4.x-photon-scala2.12",
        "15.4 LTS Photon (includes Apache Spark 3.5.0, Scala 2.12)",
    ),
    (
        "15.4.x-cpu-ml-scala2.12",
        "15.4 LTS ML (includes Apache Spark 3.5.0, Scala 2.12)",
    ),
    (
        "15.4.x-gpu-ml-scala2.12",
        "15.4 LTS ML (includes Apache Spark 3.5.0, GPU, Scala 2.12)",
    ),
    (
        "14.3.x-scala2.12",
        "14.3 LTS (includes Apache Spark 3.5.0, Scala 2.12)",
    ),
    (
        "14.3.x-photon-scala2.12",
        "14.3 LTS Photon (includes Apache Spark 3.5.0, Scala 2.12)",
    ),
    (
        "13.3.x-scala2.12",
        "13.3 LTS (includes Apache Spark 3.4.1, Scala 2.12)",
    ),
    (
        "13.3.x-cpu-ml-scala2.12",
        "13.3 LTS ML (includes Apache Spark 3.4.1, Scala 2.12)",
    ),
    (
        "12.2.x-scala2.12",
        "12.2 LTS (includes Apache Spark 3.3.2, Scala 2.12)",
    ),
];

/// Every node type, in catalogue order.
pub fn node_types() -> Vec<NodeType> {
    NODE_TYPES.iter().map(node_type).collect()
}

/// The node type `id`, if the catalogue has it.
pub fn find_node_type(id: &str) -> Option<NodeType> {
    NODE_TYPES.iter().find(|n| n.0 == id).map(node_type)
}

fn node_type(n: &(&str, f64, f64, i64, f64, &str, bool)) -> NodeType {
    let (id, cores, gib, gpus, dbus, category, graviton) = *n;
    NodeType {
        node_type_id: id.to_owned(),
        instance_type_id: id.to_owned(),
        memory_mb: (gib * 1024.0) as i64,
        num_cores: cores,
        num_gpus: gpus,
        description: id.to_owned(),
        category: category.to_owned(),
        dbus_per_hour: dbus,
        is_graviton: graviton,
        photon_worker_capable: gpus == 0,
        photon_driver_capable: gpus == 0,
        is_io_cache_enabled: id.contains('d') || id.starts_with("i3"),
        support_ebs_volumes: true,
        support_port_forwarding: true,
        node_instance_type: Some(instance(id)),
        ..NodeType::default()
    }
}

/// The hardware of node type `id`: its local NVMe disks, if any.
fn instance(id: &str) -> NodeInstanceType {
    let (disks, gb) = LOCAL_NVME
        .iter()
        .find(|d| d.0 == id)
        .map_or((0, 0), |d| (d.1, d.2));
    NodeInstanceType {
        instance_type_id: id.to_owned(),
        local_nvme_disks: disks,
        local_nvme_disk_size_gb: gb,
        ..NodeInstanceType::default()
    }
}

/// Every Spark version, newest first.
pub fn spark_versions() -> Vec<SparkVersion> {
    SPARK_VERSIONS
        .iter()
        .map(|(key, name)| SparkVersion {
            key: (*key).to_owned(),
            name: (*name).to_owned(),
        })
        .collect()
}

/// Whether `key` is a Spark version of the catalogue.
pub fn is_spark_version(key: &str) -> bool {
    SPARK_VERSIONS.iter().any(|(k, _)| *k == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_disks_belong_to_catalogue_node_types() {
        for (id, disks, gb) in LOCAL_NVME {
            assert!(find_node_type(id).is_some(), "{id}");
            assert!(*disks > 0 && *gb > 0, "{id}");
        }
        let i3 = find_node_type("i3.xlarge").and_then(|n| n.node_instance_type);
        assert_eq!(
            i3.map(|i| (i.local_nvme_disks, i.local_nvme_disk_size_gb)),
            Some((1, 950))
        );
        let p3 = find_node_type("p3.2xlarge").and_then(|n| n.node_instance_type);
        assert_eq!(p3.map(|i| i.local_nvme_disks), Some(0), "EBS only");
        assert!(node_types()
            .iter()
            .any(|n| n.node_type_id.contains("-fleet.")));
    }
}
