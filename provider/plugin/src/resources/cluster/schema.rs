//! The schema of `databricks_cluster`, argument for argument the official provider's (1.138),
//! and its plan-time checks. The cluster's API object mirrors it, so the specification sent
//! to `clusters/create|edit` is the configuration itself ([`crate::api_json`]).

use crate::common::workspace_scoped;
use crate::validate::{aws_only, check, one_of};
use tf_framework::{Attr, Block, Diagnostics, NestedBlock, Obj, Path, Schema, Ty};

/// Arguments for other clouds, refused when set.
pub const OTHER_CLOUDS: [&str; 2] = ["azure_attributes", "gcp_attributes"];

/// Arguments the provider handles itself rather than sending in the specification.
pub const NOT_SENT: [&str; 11] = [
    "id",
    "cluster_id",
    "default_tags",
    "state",
    "url",
    "is_pinned",
    "no_wait",
    "library",
    "timeouts",
    "provider_config",
    "clear_cloud_attributes_on_remove",
];

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

fn s(name: &'static str, description: &'static str) -> Attr {
    Attr::optional(name, Ty::String, description)
}

fn n(name: &'static str, description: &'static str) -> Attr {
    Attr::optional(name, Ty::Number, description)
}

fn b(name: &'static str, description: &'static str) -> Attr {
    Attr::optional(name, Ty::Bool, description)
}

fn one(name: &'static str, description: &'static str, attrs: Vec<Attr>) -> NestedBlock {
    NestedBlock::single_list(name, Block::new(description, attrs))
}

fn destination(name: &'static str, what: &'static str) -> NestedBlock {
    one(
        name,
        what,
        vec![Attr::required("destination", Ty::String, "Where it is.")],
    )
}

fn s3() -> NestedBlock {
    one(
        "s3",
        "An S3 location.",
        vec![
            Attr::required("destination", Ty::String, "`s3://bucket/key`."),
            s("region", "Bucket region."),
            s("endpoint", "S3 endpoint."),
            b("enable_encryption", "Server-side encryption."),
            s("encryption_type", "`sse-s3` or `sse-kms`."),
            s("kms_key", "KMS key for `sse-kms`."),
            s(
                "canned_acl",
                "Canned ACL, such as `bucket-owner-full-control`.",
            ),
        ],
    )
}

fn flexibility(name: &'static str) -> NestedBlock {
    one(
        name,
        "Alternative node types when the first choice is unavailable.",
        vec![
            Attr::optional(
                "alternate_node_type_ids",
                Ty::list_of_strings(),
                "Node types to try, in order.",
            ),
            s("aws_context_id", "AWS context."),
        ],
    )
}

fn aws_attributes() -> NestedBlock {
    one(
        "aws_attributes",
        "AWS settings of the cluster's instances.",
        vec![
            s(
                "availability",
                "`SPOT`, `ON_DEMAND` or `SPOT_WITH_FALLBACK`.",
            ),
            n("first_on_demand", "Nodes (driver first) placed on demand."),
            n(
                "spot_bid_price_percent",
                "Spot bid, % of the on-demand price.",
            ),
            s("zone_id", "Availability zone, or `auto`."),
            s("instance_profile_arn", "Instance profile of the nodes."),
            s(
                "ebs_volume_type",
                "`GENERAL_PURPOSE_SSD` or `THROUGHPUT_OPTIMIZED_HDD`.",
            ),
            n("ebs_volume_count", "EBS volumes per node."),
            n("ebs_volume_size", "Size of each EBS volume (GiB)."),
            n("ebs_volume_iops", "IOPS of each gp3 volume."),
            n(
                "ebs_volume_throughput",
                "Throughput of each gp3 volume (MiB/s).",
            ),
        ],
    )
}

const AZURE: &str = "Azure only: refused at plan time when set (Ironbrick serves AWS workspaces).";
const GCP: &str = "GCP only: refused at plan time when set (Ironbrick serves AWS workspaces).";

fn other_clouds() -> [NestedBlock; 2] {
    let azure = Block::new(
        AZURE,
        vec![
            s("availability", AZURE),
            n("first_on_demand", AZURE),
            n("spot_bid_max_price", AZURE),
            s("capacity_reservation_group", AZURE),
        ],
    )
    .with_block(one(
        "log_analytics_info",
        AZURE,
        vec![
            s("log_analytics_primary_key", AZURE).sensitive(),
            s("log_analytics_workspace_id", AZURE),
        ],
    ));
    let gcp = Block::new(
        GCP,
        vec![
            s("availability", GCP),
            n("boot_disk_size", GCP),
            s("confidential_compute_type", GCP),
            n("first_on_demand", GCP),
            s("google_service_account", GCP),
            n("local_ssd_count", GCP),
            b("use_preemptible_executors", GCP),
            s("zone_id", GCP),
        ],
    );
    [
        NestedBlock::single_list("azure_attributes", azure),
        NestedBlock::single_list("gcp_attributes", gcp),
    ]
}

fn init_scripts() -> NestedBlock {
    let block = Block::new("An init script; exactly one location.", vec![])
        .with_block(destination("workspace", "A workspace file."))
        .with_block(destination("volumes", "A Unity Catalog volume file."))
        .with_block(s3())
        .with_block(destination("file", "A file on the nodes."))
        .with_block(destination("dbfs", "A DBFS file (deprecated upstream)."))
        .with_block(destination("abfss", "Azure only: refused by the server."))
        .with_block(destination("gcs", "GCP only: refused by the server."));
    NestedBlock {
        max_items: 0,
        ..NestedBlock::single_list("init_scripts", block)
    }
}

fn cluster_log_conf() -> NestedBlock {
    NestedBlock::single_list(
        "cluster_log_conf",
        Block::new("Where driver and worker logs are delivered.", vec![])
            .with_block(destination("dbfs", "A DBFS location."))
            .with_block(s3())
            .with_block(destination("volumes", "A Unity Catalog volume.")),
    )
}

fn cluster_mount_info() -> NestedBlock {
    let nfs = one(
        "network_filesystem_info",
        "The NFS server.",
        vec![
            Attr::required("server_address", Ty::String, "Server address."),
            s("mount_options", "Mount options."),
        ],
    )
    .required();
    NestedBlock {
        max_items: 0,
        ..NestedBlock::single_list(
            "cluster_mount_info",
            Block::new(
                "A network file system mounted on the nodes.",
                vec![
                    Attr::required("local_mount_dir_path", Ty::String, "Mount point."),
                    s("remote_mount_dir_path", "Directory on the server."),
                ],
            )
            .with_block(nfs),
        )
    }
}

fn docker_image() -> NestedBlock {
    NestedBlock::single_list(
        "docker_image",
        Block::new(
            "A custom container image.",
            vec![Attr::required("url", Ty::String, "Image URL.")],
        )
        .with_block(one(
            "basic_auth",
            "Registry credentials.",
            vec![
                Attr::required("username", Ty::String, "User name."),
                Attr::required("password", Ty::String, "Password.").sensitive(),
            ],
        )),
    )
}

fn workload_type() -> NestedBlock {
    NestedBlock::single_list(
        "workload_type",
        Block::new("What may run on the cluster.", vec![]).with_block(
            one(
                "clients",
                "Clients allowed.",
                vec![b("jobs", "Jobs."), b("notebooks", "Notebooks.")],
            )
            .required(),
        ),
    )
}

fn attrs() -> Vec<Attr> {
    vec![
        Attr::optional_computed("id", Ty::String, "The cluster id."),
        Attr::computed("cluster_id", Ty::String, "The cluster id."),
        Attr::required(
            "spark_version",
            Ty::String,
            "Databricks Runtime version (see `databricks_spark_version`).",
        ),
        s("cluster_name", "Cluster name."),
        s(
            "node_type_id",
            "Worker node type (see `databricks_node_type`).",
        ),
        s(
            "driver_node_type_id",
            "Driver node type; the worker type when unset.",
        ),
        n(
            "num_workers",
            "Fixed number of workers (leave unset with `autoscale`).",
        ),
        n(
            "autotermination_minutes",
            "Idle minutes before the cluster stops; 0 never.",
        )
        .default(60),
        s(
            "policy_id",
            "Cluster policy the cluster is checked against.",
        ),
        b(
            "apply_policy_default_values",
            "Whether the policy's default values fill in what is unset.",
        ),
        Attr::optional(
            "custom_tags",
            Ty::map_of_strings(),
            "Tags of the cluster's cloud resources.",
        ),
        Attr::optional("spark_conf", Ty::map_of_strings(), "Spark configuration."),
        Attr::optional(
            "spark_env_vars",
            Ty::map_of_strings(),
            "Environment variables.",
        ),
        s(
            "data_security_mode",
            "Access mode: `SINGLE_USER`, `USER_ISOLATION`, `NONE`, ...",
        ),
        s("single_user_name", "The user of a `SINGLE_USER` cluster."),
        s("runtime_engine", "`STANDARD` or `PHOTON`."),
        s("kind", "`CLASSIC_PREVIEW` for the simplified form."),
        b("is_single_node", "A driver-only cluster (with `kind`)."),
        b("use_ml_runtime", "The ML runtime (with `kind`)."),
        b("enable_elastic_disk", "Autoscaling local storage."),
        b("enable_local_disk_encryption", "Encrypted local disks."),
        s("instance_pool_id", "Instance pool of the workers."),
        s("driver_instance_pool_id", "Instance pool of the driver."),
        s(
            "idempotency_token",
            "Makes create idempotent (at most 64 characters).",
        )
        .force_new(),
        Attr::optional(
            "ssh_public_keys",
            Ty::list_of_strings(),
            "SSH keys (at most 10).",
        ),
        s("dependency_mode", "How dependencies are resolved."),
        n("remote_disk_throughput", "Remote disk throughput (MB/s)."),
        n(
            "total_initial_remote_disk_size",
            "Initial remote disk size (GB).",
        ),
        b(
            "is_pinned",
            "Keeps the cluster in the list after it stops (admins only).",
        ),
        b("no_wait", "Do not wait for RUNNING after create."),
        b(
            "clear_cloud_attributes_on_remove",
            "Send no cloud attributes when the block is removed.",
        ),
        Attr::computed(
            "default_tags",
            Ty::map_of_strings(),
            "Tags Databricks adds.",
        ),
        Attr::computed("state", Ty::String, "Lifecycle state."),
        Attr::computed("url", Ty::String, "The cluster's page."),
    ]
}

/// The resource schema.
pub fn schema(library: NestedBlock) -> Schema {
    let [azure, gcp] = other_clouds();
    let block = Block::new(
        "A cluster: a control-plane record checked against its cluster policy. Ironbrick starts \
         no machines; the cluster's state moves on by the clock.",
        attrs(),
    )
    .with_block(one(
        "autoscale",
        "Autoscaling bounds (instead of `num_workers`).",
        vec![
            n("min_workers", "Fewest workers."),
            n("max_workers", "Most workers."),
        ],
    ))
    .with_block(aws_attributes())
    .with_block(azure)
    .with_block(gcp)
    .with_block(cluster_log_conf())
    .with_block(cluster_mount_info())
    .with_block(docker_image())
    .with_block(flexibility("driver_node_type_flexibility"))
    .with_block(flexibility("worker_node_type_flexibility"))
    .with_block(init_scripts())
    .with_block(library)
    .with_block(workload_type())
    .with_block(crate::timeouts::block(&["create", "update", "delete"]));
    Schema::new(workspace_scoped(block))
}

/// Plan-time checks.
pub fn validate(config: &Obj, diags: &mut Diagnostics) {
    aws_only(config, &OTHER_CLOUDS, diags);
    check(
        config,
        "data_security_mode",
        Path::attr("data_security_mode"),
        diags,
        one_of(&DATA_SECURITY_MODES),
    );
    check(
        config,
        "runtime_engine",
        Path::attr("runtime_engine"),
        diags,
        one_of(&["STANDARD", "PHOTON", "NULL"]),
    );
    check(
        config,
        "kind",
        Path::attr("kind"),
        diags,
        one_of(&["CLASSIC_PREVIEW"]),
    );
    let has_autoscale = config.block("autoscale").is_some();
    if has_autoscale && !config.get("num_workers").is_null() {
        diags.error_at(
            Path::attr("num_workers"),
            "Conflicting cluster size",
            "Set num_workers or an autoscale block, not both.",
        );
    }
    crate::timeouts::validate(config, diags);
}
