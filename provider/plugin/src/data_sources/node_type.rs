//! `data "databricks_node_type"`: the smallest node type of the workspace's catalogue
//! (`/api/2.1/clusters/list-node-types`) that meets every criterion, as the official provider
//! picks it; when none does, the cloud's default (`i3.xlarge` on AWS).

use crate::common::{api_2_1, check_workspace_id, report, workspace, workspace_scoped, Conn};
use ironbrick_api::compute::{ListNodeTypesResponse, NodeType};
use std::cmp::Ordering;
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, DataSource, Diagnostics, Dyn, Obj, Path, Schema, Ty};

pub struct NodeTypeData(pub Arc<Conn>);

/// What the official provider answers when no node type matches, on AWS.
pub const AWS_DEFAULT: &str = "i3.xlarge";

/// The search criteria; zero and `false` mean "any".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Criteria {
    pub min_memory_gb: f64,
    pub gb_per_core: f64,
    pub min_cores: f64,
    pub min_gpus: f64,
    pub local_disk: bool,
    pub local_disk_min_size: f64,
    pub category: String,
    pub photon_worker_capable: bool,
    pub photon_driver_capable: bool,
    pub arm: bool,
    pub fleet: bool,
    pub is_io_cache_enabled: bool,
    pub support_port_forwarding: bool,
}

fn number(o: &Obj, name: &str) -> f64 {
    match o.get(name) {
        Dyn::Int(i) => *i as f64,
        Dyn::Float(x) => *x,
        _ => 0.0,
    }
}

fn flag(o: &Obj, name: &str) -> bool {
    o.bool(name).known().unwrap_or(false)
}

impl Criteria {
    /// The criteria a configuration sets (`graviton` is the deprecated name of `arm`).
    pub fn of(o: &Obj) -> Self {
        Criteria {
            min_memory_gb: number(o, "min_memory_gb"),
            gb_per_core: number(o, "gb_per_core"),
            min_cores: number(o, "min_cores"),
            min_gpus: number(o, "min_gpus"),
            local_disk: flag(o, "local_disk"),
            local_disk_min_size: number(o, "local_disk_min_size"),
            category: o.opt_str("category").unwrap_or_default(),
            photon_worker_capable: flag(o, "photon_worker_capable"),
            photon_driver_capable: flag(o, "photon_driver_capable"),
            arm: flag(o, "arm") || flag(o, "graviton"),
            fleet: flag(o, "fleet"),
            is_io_cache_enabled: flag(o, "is_io_cache_enabled"),
            support_port_forwarding: flag(o, "support_port_forwarding"),
        }
    }

    /// Whether node type `n` meets every criterion.
    pub fn matches(&self, n: &NodeType) -> bool {
        let gb = n.memory_mb as f64 / 1024.0;
        let cores = n.num_cores;
        let gpus = n.num_gpus as f64;
        let (disks, disk_gb) = local_storage(n);
        let wants_disk = self.local_disk || self.local_disk_min_size > 0.0;
        let checks = [
            gb >= self.min_memory_gb,
            self.gb_per_core <= 0.0 || (cores > 0.0 && gb / cores >= self.gb_per_core),
            cores >= self.min_cores,
            // GPU nodes only when GPUs are asked for
            if self.min_gpus > 0.0 {
                gpus >= self.min_gpus
            } else {
                gpus == 0.0
            },
            !wants_disk || disks > 0,
            disk_gb as f64 >= self.local_disk_min_size,
            self.category.is_empty() || self.category.eq_ignore_ascii_case(&n.category),
            !self.photon_worker_capable || n.photon_worker_capable,
            !self.photon_driver_capable || n.photon_driver_capable,
            self.arm == n.is_graviton,
            self.fleet == n.node_type_id.contains("-fleet."),
            !self.is_io_cache_enabled || n.is_io_cache_enabled,
            !self.support_port_forwarding || n.support_port_forwarding,
        ];
        checks.iter().all(|ok| *ok)
    }
}

/// Local disks of a node type and their total size in GB (plain and NVMe disks).
fn local_storage(n: &NodeType) -> (i64, i64) {
    n.node_instance_type.as_ref().map_or((0, 0), |i| {
        (
            i.local_disks + i.local_nvme_disks,
            i.local_disks * i.local_disk_size_gb + i.local_nvme_disks * i.local_nvme_disk_size_gb,
        )
    })
}

/// "Smaller" as the official provider orders node types: current before deprecated, then by
/// plain local disks, memory, cores, GPUs and finally instance type.
fn smaller(a: &NodeType, b: &NodeType) -> Ordering {
    let plain = |n: &NodeType| {
        n.node_instance_type
            .as_ref()
            .map_or((0, 0), |i| (i.local_disks, i.local_disk_size_gb))
    };
    a.is_deprecated
        .cmp(&b.is_deprecated)
        .then_with(|| plain(a).cmp(&plain(b)))
        .then_with(|| a.memory_mb.cmp(&b.memory_mb))
        .then_with(|| a.num_cores.total_cmp(&b.num_cores))
        .then_with(|| a.num_gpus.cmp(&b.num_gpus))
        .then_with(|| a.instance_type_id.cmp(&b.instance_type_id))
}

/// The id of the smallest node type meeting `c`, else [`AWS_DEFAULT`].
pub fn smallest(node_types: &[NodeType], c: &Criteria) -> String {
    node_types
        .iter()
        .filter(|n| c.matches(n))
        .min_by(|a, b| smaller(a, b))
        .map_or_else(|| AWS_DEFAULT.to_owned(), |n| n.node_type_id.clone())
}

#[async_trait]
impl DataSource for NodeTypeData {
    fn type_name(&self) -> &'static str {
        "databricks_node_type"
    }

    fn schema(&self) -> Schema {
        let num = |name, d| Attr::optional(name, Ty::Number, d);
        let flag = |name, d| Attr::optional(name, Ty::Bool, d);
        Schema::new(workspace_scoped(Block::new(
            "The smallest node type that meets the criteria.",
            vec![
                Attr::optional_computed("id", Ty::String, "The node type id, such as `m5d.large`."),
                num("min_memory_gb", "Least memory per node, in GB."),
                num("gb_per_core", "Least memory per core, in GB."),
                num("min_cores", "Least number of CPU cores."),
                num(
                    "min_gpus",
                    "Least number of GPUs; GPU nodes are picked only when set.",
                ),
                flag("local_disk", "Only node types with local disks."),
                num("local_disk_min_size", "Least local storage, in GB."),
                Attr::optional(
                    "category",
                    Ty::String,
                    "Category, such as `Memory Optimized` (any case).",
                ),
                flag(
                    "photon_worker_capable",
                    "Only node types that can run Photon workers.",
                ),
                flag(
                    "photon_driver_capable",
                    "Only node types that can run a Photon driver.",
                ),
                flag(
                    "arm",
                    "Only ARM (AWS Graviton) node types; without it, none.",
                ),
                flag("graviton", "Deprecated name of `arm`.")
                    .deprecated("Use `arm` instead, as the official provider advises."),
                flag(
                    "fleet",
                    "Only AWS fleet node types (`*-fleet.*`); without it, none.",
                ),
                flag(
                    "is_io_cache_enabled",
                    "Only node types with the disk (IO) cache.",
                ),
                flag(
                    "support_port_forwarding",
                    "Only node types that support port forwarding.",
                ),
            ],
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        for name in [
            "min_memory_gb",
            "gb_per_core",
            "min_cores",
            "min_gpus",
            "local_disk_min_size",
        ] {
            if number(config, name) < 0.0 {
                diags.error_at(
                    Path::attr(name),
                    format!("Invalid {name}"),
                    format!("{name} cannot be negative."),
                );
            }
        }
        if number(config, "min_memory_gb") > 0.0 && number(config, "gb_per_core") > 0.0 {
            diags.error_at(
                Path::attr("gb_per_core"),
                "Conflicting arguments",
                "gb_per_core conflicts with min_memory_gb: set one of them.",
            );
        }
    }

    async fn read(&self, config: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &config, diags)?;
        let url = format!("{}/clusters/list-node-types", api_2_1(&base));
        let list: ListNodeTypesResponse = match client.get(&url).await {
            Ok(l) => l,
            Err(e) => {
                report(diags, "list the node types", &e);
                return None;
            }
        };
        let mut o = config;
        let id = smallest(&list.node_types, &Criteria::of(&o));
        o.set("id", id);
        Some(o)
    }
}

#[cfg(test)]
mod tests;
