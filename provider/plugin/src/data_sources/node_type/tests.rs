use super::*;
use ironbrick_api::compute::NodeInstanceType;

/// (id, cores, memory GiB, GPUs, category, Graviton, NVMe disks × GB)
fn node(
    id: &str,
    cores: f64,
    gib: f64,
    gpus: i64,
    category: &str,
    arm: bool,
    nvme: (i64, i64),
) -> NodeType {
    NodeType {
        node_type_id: id.into(),
        instance_type_id: id.into(),
        memory_mb: (gib * 1024.0) as i64,
        num_cores: cores,
        num_gpus: gpus,
        description: id.into(),
        category: category.into(),
        is_graviton: arm,
        photon_worker_capable: gpus == 0,
        photon_driver_capable: gpus == 0,
        is_io_cache_enabled: nvme.0 > 0,
        support_port_forwarding: !id.starts_with('c'),
        node_instance_type: Some(NodeInstanceType {
            instance_type_id: id.into(),
            local_nvme_disks: nvme.0,
            local_nvme_disk_size_gb: nvme.1,
            ..NodeInstanceType::default()
        }),
        ..NodeType::default()
    }
}

fn catalogue() -> Vec<NodeType> {
    vec![
        node(
            "i3.xlarge",
            4.0,
            30.5,
            0,
            "Storage Optimized",
            false,
            (1, 950),
        ),
        node("m5.large", 2.0, 8.0, 0, "General Purpose", false, (0, 0)),
        node("m5d.large", 2.0, 8.0, 0, "General Purpose", false, (1, 75)),
        node(
            "m5d.xlarge",
            4.0,
            16.0,
            0,
            "General Purpose",
            false,
            (1, 150),
        ),
        node(
            "m6gd.xlarge",
            4.0,
            16.0,
            0,
            "General Purpose",
            true,
            (1, 237),
        ),
        node(
            "r5d.large",
            2.0,
            16.0,
            0,
            "Memory Optimized",
            false,
            (1, 75),
        ),
        node(
            "c5d.xlarge",
            4.0,
            8.0,
            0,
            "Compute Optimized",
            false,
            (1, 100),
        ),
        node(
            "g4dn.xlarge",
            4.0,
            16.0,
            1,
            "GPU Accelerated",
            false,
            (1, 125),
        ),
        node(
            "p3.8xlarge",
            32.0,
            244.0,
            4,
            "GPU Accelerated",
            false,
            (0, 0),
        ),
        node(
            "md-fleet.xlarge",
            4.0,
            16.0,
            0,
            "General Purpose",
            false,
            (1, 150),
        ),
    ]
}

fn pick(c: Criteria) -> String {
    smallest(&catalogue(), &c)
}

#[test]
fn no_criteria_picks_the_smallest_plain_node() {
    assert_eq!(pick(Criteria::default()), "m5.large");
}

#[test]
fn memory_cores_and_memory_per_core() {
    let c = |mem: f64, cores: f64, per_core: f64| Criteria {
        min_memory_gb: mem,
        min_cores: cores,
        gb_per_core: per_core,
        ..Criteria::default()
    };
    assert_eq!(pick(c(16.0, 0.0, 0.0)), "r5d.large");
    assert_eq!(pick(c(0.0, 4.0, 0.0)), "c5d.xlarge");
    assert_eq!(pick(c(0.0, 4.0, 4.0)), "m5d.xlarge");
    assert_eq!(pick(c(0.0, 0.0, 8.0)), "r5d.large");
    assert_eq!(pick(c(20.0, 0.0, 0.0)), "i3.xlarge");
}

#[test]
fn gpus_only_when_asked_for() {
    let gpu = |n: f64| Criteria {
        min_gpus: n,
        ..Criteria::default()
    };
    assert_eq!(pick(gpu(1.0)), "g4dn.xlarge");
    assert_eq!(pick(gpu(2.0)), "p3.8xlarge");
    let big = Criteria {
        min_memory_gb: 200.0,
        ..Criteria::default()
    };
    assert_eq!(pick(big), AWS_DEFAULT, "the only big node has GPUs");
}

#[test]
fn local_disks_category_and_capabilities() {
    let disk = Criteria {
        local_disk: true,
        ..Criteria::default()
    };
    assert_eq!(pick(disk), "m5d.large");
    let big_disk = Criteria {
        local_disk_min_size: 200.0,
        ..Criteria::default()
    };
    assert_eq!(pick(big_disk), "i3.xlarge");
    let category = Criteria {
        category: "memory optimized".into(),
        ..Criteria::default()
    };
    assert_eq!(pick(category), "r5d.large");
    let cache = Criteria {
        is_io_cache_enabled: true,
        min_cores: 4.0,
        ..Criteria::default()
    };
    assert_eq!(pick(cache), "c5d.xlarge");
    let forwarding = Criteria {
        support_port_forwarding: true,
        min_cores: 4.0,
        ..Criteria::default()
    };
    assert_eq!(pick(forwarding), "m5d.xlarge");
    let photon = Criteria {
        photon_driver_capable: true,
        photon_worker_capable: true,
        min_cores: 16.0,
        ..Criteria::default()
    };
    assert_eq!(pick(photon), AWS_DEFAULT);
}

#[test]
fn arm_and_fleet_nodes_only_when_asked_for() {
    let arm = Criteria {
        arm: true,
        ..Criteria::default()
    };
    assert_eq!(pick(arm), "m6gd.xlarge");
    let fleet = Criteria {
        fleet: true,
        ..Criteria::default()
    };
    assert_eq!(pick(fleet), "md-fleet.xlarge");
    let mut o = Obj::new();
    o.set("graviton", true).set("min_cores", Dyn::Float(2.5));
    let c = Criteria::of(&o);
    assert!(c.arm && c.min_cores == 2.5);
}

#[test]
fn deprecated_nodes_come_last() {
    let mut nodes = catalogue();
    nodes[1].is_deprecated = true;
    assert_eq!(smallest(&nodes, &Criteria::default()), "m5d.large");
}
