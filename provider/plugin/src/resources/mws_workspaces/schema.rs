//! The schema of `databricks_mws_workspaces`, argument for argument the official provider's,
//! and its plan-time checks.

use crate::account_object::{account_id_attr, refuse_outputs};
use crate::validate::{aws_only, check, one_of, region};
use ironbrick_api::account::{EXPECTED_WORKSPACE_STATUSES, PRICING_TIERS};
use ironbrick_api::validate as rules;
use tf_framework::{Attr, Block, Diagnostics, Dyn, NestedBlock, Obj, Path, Schema, Ty, Value};

/// The bootstrap token's default lifetime (30 days), as upstream.
pub const DEFAULT_TOKEN_LIFETIME: i64 = 2_592_000;

/// GCP-only arguments, refused when set.
pub const OTHER_CLOUDS: [&str; 4] = [
    "location",
    "cloud_resource_container",
    "gcp_managed_network_config",
    "gke_config",
];

/// Arguments the official schema declares optional that only the server sets.
const OUTPUTS: [&str; 6] = [
    "id",
    "workspace_id",
    "workspace_url",
    "workspace_status",
    "workspace_status_message",
    "creation_time",
];

/// The only `compute_mode` the official provider accepts (unset means a classic workspace).
const COMPUTE_MODES: [&str; 1] = ["SERVERLESS"];

fn token_block() -> Block {
    Block::new(
        "A bootstrap personal access token created in the workspace.",
        vec![
            Attr::optional("comment", Ty::String, "Token comment.").default("Terraform PAT"),
            Attr::optional("lifetime_seconds", Ty::Number, "Token lifetime in seconds.")
                .default(DEFAULT_TOKEN_LIFETIME),
            Attr::optional_computed("token_id", Ty::String, "Token id (set by the provider)."),
            Attr::optional_computed(
                "token_value",
                Ty::String,
                "Token value (set by the provider).",
            )
            .sensitive(),
        ],
    )
}

fn gcp_blocks() -> Vec<NestedBlock> {
    let gcp_only = "GCP only: refused (Ironbrick serves AWS workspaces).";
    let container = Block::new(gcp_only, Vec::new()).with_block(
        NestedBlock::single_list(
            "gcp",
            Block::new(
                "GCP project.",
                vec![Attr::required("project_id", Ty::String, "GCP project id.")],
            ),
        )
        .required(),
    );
    let managed = Block::new(
        gcp_only,
        vec![
            Attr::required("subnet_cidr", Ty::String, "Subnet CIDR."),
            Attr::optional("gke_cluster_pod_ip_range", Ty::String, "Pod IP range."),
            Attr::optional(
                "gke_cluster_service_ip_range",
                Ty::String,
                "Service IP range.",
            ),
        ],
    );
    let gke = Block::new(
        gcp_only,
        vec![
            Attr::optional("connectivity_type", Ty::String, "GKE connectivity."),
            Attr::optional("master_ip_range", Ty::String, "GKE master IP range."),
        ],
    );
    vec![
        NestedBlock::single_list("cloud_resource_container", container).force_new(),
        NestedBlock::single_list("gcp_managed_network_config", managed).force_new(),
        NestedBlock::single_list("gke_config", gke).force_new(),
    ]
}

/// The resource schema.
pub fn schema() -> Schema {
    let s = |n, d| Attr::optional_computed(n, Ty::String, d);
    let customer = Block::new(
        "The customer a partner provisions the workspace for.",
        vec![
            Attr::required("customer_name", Ty::String, "Customer name."),
            Attr::required(
                "authoritative_user_email",
                Ty::String,
                "Customer admin e-mail.",
            ),
            Attr::required(
                "authoritative_user_full_name",
                Ty::String,
                "Customer admin name.",
            ),
        ],
    );
    let mut block = Block::new(
        "A workspace.",
        vec![
            s("id", "`<account_id>/<workspace_id>`."),
            account_id_attr(true),
            Attr::required("workspace_name", Ty::String, "Workspace name."),
            s("deployment_name", "First label of the workspace's host name (`<deployment_name>.<domain>` when the server has a workspace domain); generated `dbc-xxxxxxxx-xxxx` when unset. Changing it replaces the workspace.").force_new(),
            s("aws_region", "AWS region.").force_new(),
            Attr::optional("credentials_id", Ty::String, "Credential configuration id (classic workspaces)."),
            Attr::optional("storage_configuration_id", Ty::String, "Storage configuration id (classic workspaces)."),
            Attr::optional("network_id", Ty::String, "Network configuration id."),
            Attr::optional("private_access_settings_id", Ty::String, "Private access settings id."),
            Attr::optional("managed_services_customer_managed_key_id", Ty::String, "CMK for managed services (notebooks, secrets). Changing it replaces the workspace.").force_new(),
            Attr::optional("storage_customer_managed_key_id", Ty::String, "CMK for workspace storage. Changing it replaces the workspace.").force_new(),
            Attr::optional("customer_managed_key_id", Ty::String, "Deprecated upstream: the managed-services key, when `managed_services_customer_managed_key_id` is unset. Changing it replaces the workspace.").force_new(),
            s("pricing_tier", "Pricing tier (case-insensitive).").force_new(),
            Attr::optional("custom_tags", Ty::map_of_strings(), "Tags applied to the workspace's resources (keys 1-127 characters, values up to 255)."),
            Attr::optional("is_no_public_ip_enabled", Ty::Bool, "Secure cluster connectivity: no public IPs on cluster nodes. Changing it replaces the workspace.").default(true).force_new(),
            Attr::optional("compute_mode", Ty::String, "`SERVERLESS` for a serverless workspace (no credentials or storage configuration); unset for a classic one. Changing it replaces the workspace.").force_new(),
            Attr::computed("effective_compute_mode", Ty::String, "`SERVERLESS` or `HYBRID` (classic)."),
            s("network_connectivity_config_id", "Network connectivity configuration of serverless compute; updatable."),
            Attr::optional("expected_workspace_status", Ty::String, "The status create and update wait for: `RUNNING` (the default) or `PROVISIONING`, which holds a new workspace there until this is set to `RUNNING`."),
            s("cloud", "Always `aws`."),
            Attr::optional("location", Ty::String, "GCP only: refused (Ironbrick serves AWS workspaces)."),
            Attr::optional_computed("workspace_id", Ty::Number, "Workspace id."),
            s("workspace_url", "Workspace URL: the host of workspace-level API calls."),
            s("workspace_status", "`RUNNING` once provisioned."),
            s("workspace_status_message", "Status detail."),
            Attr::optional_computed("creation_time", Ty::Number, "Creation time (ms since the epoch)."),
        ],
    )
    .with_block(NestedBlock::single_list("token", token_block()))
    .with_block(crate::timeouts::block(&["create", "read", "update"]))
    .with_block(NestedBlock::single_list("external_customer_info", customer).force_new());
    for b in gcp_blocks() {
        block = block.with_block(b);
    }
    Schema::new(block)
}

fn unset(config: &Obj, name: &str) -> bool {
    config.get(name) == &Dyn::Null
}

/// Plan-time checks.
pub fn validate(config: &Obj, diags: &mut Diagnostics) {
    check(
        config,
        "aws_region",
        Path::attr("aws_region"),
        diags,
        region,
    );
    if unset(config, "aws_region") {
        diags.error_at(
            Path::attr("aws_region"),
            "Missing aws_region",
            "aws_region is required: Ironbrick serves AWS workspaces.",
        );
    }
    check(
        config,
        "deployment_name",
        Path::attr("deployment_name"),
        diags,
        rules::deployment_name,
    );
    check(
        config,
        "compute_mode",
        Path::attr("compute_mode"),
        diags,
        one_of(&COMPUTE_MODES),
    );
    check(
        config,
        "expected_workspace_status",
        Path::attr("expected_workspace_status"),
        diags,
        one_of(&EXPECTED_WORKSPACE_STATUSES),
    );
    check(
        config,
        "pricing_tier",
        Path::attr("pricing_tier"),
        diags,
        |v| one_of(&PRICING_TIERS)(&v.to_ascii_uppercase()),
    );
    check(config, "cloud", Path::attr("cloud"), diags, |v| {
        if v == "aws" {
            Ok(())
        } else {
            Err(format!(
                "cloud {v:?} is not supported: Ironbrick serves AWS workspaces."
            ))
        }
    });
    if let Value::Known(tags) = config.string_map("custom_tags") {
        if let Err(why) = rules::custom_tags(&tags) {
            diags.error_at(Path::attr("custom_tags"), "Invalid custom_tags", why);
        }
    }
    check_compute_resources(config, diags);
    if !unset(config, "customer_managed_key_id") {
        for other in [
            "managed_services_customer_managed_key_id",
            "storage_customer_managed_key_id",
        ] {
            if !unset(config, other) {
                diags.error_at(
                    Path::attr("customer_managed_key_id"),
                    "Conflicting arguments",
                    format!("customer_managed_key_id (deprecated) conflicts with {other}."),
                );
            }
        }
    }
    aws_only(config, &OTHER_CLOUDS, diags);
    refuse_outputs(config, &OUTPUTS, diags);
    crate::timeouts::validate(config, diags);
    if let Some(t) = config.block("token") {
        for name in ["token_id", "token_value"] {
            if !t.get(name).is_null() {
                diags.error_at(
                    Path::attr("token").index(0).then(name),
                    format!("token.{name} cannot be set"),
                    format!(
                        "token.{name} is set by the provider; remove it from the configuration."
                    ),
                );
            }
        }
        crate::validate::lifetime(
            &t,
            "lifetime_seconds",
            Path::attr("token").index(0).then("lifetime_seconds"),
            diags,
        );
    }
}

/// Classic workspaces need credentials and storage; serverless ones take neither.
fn check_compute_resources(config: &Obj, diags: &mut Diagnostics) {
    let mode = config.get("compute_mode");
    if mode.is_unknown() {
        return;
    }
    let serverless = mode.as_str() == Some("SERVERLESS");
    for name in ["credentials_id", "storage_configuration_id"] {
        let missing = unset(config, name);
        if serverless && !missing {
            diags.error_at(
                Path::attr(name),
                format!("{name} not allowed"),
                format!("{name} must not be set when compute_mode is SERVERLESS."),
            );
        } else if !serverless && missing {
            diags.error_at(
                Path::attr(name),
                format!("Missing {name}"),
                format!("{name} is required for classic (non-serverless) workspaces."),
            );
        }
    }
}
