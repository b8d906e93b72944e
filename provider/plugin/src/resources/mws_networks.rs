//! `databricks_mws_networks`: a customer-managed VPC (vpc_id, subnet_ids, security_group_ids),
//! with optional PrivateLink endpoints. `gcp_network_info` is refused at plan time. The official
//! `error_messages` (network health, computed there) is accepted in the schema but refused when
//! set: Ironbrick's networks never report errors, so the provider never fills it either.

use crate::account_object::{account_id_attr, refuse_outputs, AccountObject};
use crate::common::{list_or_null, Conn};
use ironbrick_api::account::{CreateNetworkRequest, Network, NetworkVpcEndpoints};
use std::sync::Arc;
use tf_framework::{
    async_trait, Attr, Block, Diagnostics, Dyn, NestedBlock, Nesting, Obj, Path, Resource, Schema,
    Ty, Value,
};

pub struct MwsNetworks(pub Arc<Conn>);

fn state(n: Network) -> Obj {
    let mut o = Obj::new();
    o.set("id", format!("{}/{}", n.account_id, n.network_id))
        .set("account_id", n.account_id)
        .set("network_id", n.network_id)
        .set("network_name", n.network_name)
        .set("vpc_id", n.vpc_id)
        .set("subnet_ids", list_or_null(n.subnet_ids))
        .set("security_group_ids", list_or_null(n.security_group_ids))
        .set("vpc_status", n.vpc_status)
        .set("workspace_id", n.workspace_id)
        .set("creation_time", n.creation_time);
    let endpoints = n
        .vpc_endpoints
        .filter(|e| !e.rest_api.is_empty() || !e.dataplane_relay.is_empty())
        .map(|e| {
            let mut b = Obj::new();
            b.set("rest_api", e.rest_api)
                .set("dataplane_relay", e.dataplane_relay);
            b
        });
    o.set_block("vpc_endpoints", endpoints);
    o
}

fn strings(o: &Obj, name: &str) -> Vec<String> {
    o.strings(name).known().unwrap_or_default()
}

fn check_ids(o: &Obj, name: &str, prefix: &str, diags: &mut Diagnostics) {
    let ids = match o.strings(name) {
        Value::Known(ids) => ids,
        _ => match o.string(name) {
            Value::Known(id) => vec![id],
            _ => return,
        },
    };
    for id in ids {
        if let Err(why) = ironbrick_api::validate::aws_id(name, prefix, &id) {
            diags.error_at(Path::attr(name), format!("Invalid {name}"), why);
        }
    }
}

const NETWORKS: AccountObject<Network> = AccountObject {
    collection: "networks",
    id_attr: "network_id",
    what: "the network configuration",
    state,
};

#[async_trait]
impl Resource for MwsNetworks {
    fn type_name(&self) -> &'static str {
        "databricks_mws_networks"
    }

    fn schema(&self) -> Schema {
        let endpoints = Block::new(
            "PrivateLink endpoints.",
            vec![
                Attr::required("rest_api", Ty::set_of_strings(), "REST API endpoint ids."),
                Attr::required(
                    "dataplane_relay",
                    Ty::set_of_strings(),
                    "Relay endpoint ids.",
                ),
            ],
        );
        let gcp = Block::new(
            "GCP only: refused (Ironbrick serves AWS workspaces).",
            vec![
                Attr::required("network_project_id", Ty::String, "GCP project."),
                Attr::required("vpc_id", Ty::String, "GCP VPC."),
                Attr::required("subnet_id", Ty::String, "GCP subnet."),
                Attr::required("subnet_region", Ty::String, "GCP region."),
                Attr::optional("pod_ip_range_name", Ty::String, "Pod IP range."),
                Attr::optional("service_ip_range_name", Ty::String, "Service IP range."),
            ],
        );
        let errors = NestedBlock {
            name: "error_messages",
            block: Block::new(
                "Network health errors. Set by the server only; Ironbrick networks report none.",
                vec![
                    Attr::optional("error_type", Ty::String, "Error type."),
                    Attr::optional("error_message", Ty::String, "Error message."),
                ],
            ),
            nesting: Nesting::List,
            min_items: 0,
            max_items: 0,
            force_new: false,
        };
        Schema::new(
            Block::new(
                "A network configuration: a customer-managed VPC.",
                vec![
                    Attr::optional_computed("id", Ty::String, "`<account_id>/<network_id>`."),
                    account_id_attr(true),
                    Attr::required("network_name", Ty::String, "Name of the configuration.")
                        .force_new(),
                    Attr::optional("vpc_id", Ty::String, "VPC id (`vpc-…`).").force_new(),
                    Attr::optional(
                        "subnet_ids",
                        Ty::set_of_strings(),
                        "Subnet ids (`subnet-…`), at least two.",
                    )
                    .force_new(),
                    Attr::optional(
                        "security_group_ids",
                        Ty::set_of_strings(),
                        "Security group ids (`sg-…`).",
                    )
                    .force_new(),
                    Attr::optional_computed("network_id", Ty::String, "Network configuration id."),
                    Attr::optional_computed(
                        "vpc_status",
                        Ty::String,
                        "`UNATTACHED` until a workspace uses it, then `VALID`.",
                    ),
                    Attr::optional_computed(
                        "workspace_id",
                        Ty::Number,
                        "The workspace using this network.",
                    ),
                    Attr::optional_computed(
                        "creation_time",
                        Ty::Number,
                        "Creation time (ms since the epoch).",
                    ),
                ],
            )
            .with_block(NestedBlock::single_list("vpc_endpoints", endpoints).force_new())
            .with_block(NestedBlock::single_list("gcp_network_info", gcp).force_new())
            .with_block(errors),
        )
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_ids(config, "vpc_id", "vpc-", diags);
        check_ids(config, "subnet_ids", "subnet-", diags);
        check_ids(config, "security_group_ids", "sg-", diags);
        crate::validate::aws_only(config, &["gcp_network_info"], diags);
        refuse_outputs(
            config,
            &[
                "id",
                "network_id",
                "vpc_status",
                "workspace_id",
                "creation_time",
                "error_messages",
            ],
            diags,
        );
        if config.get("vpc_id") == &Dyn::Null {
            diags.error_at(
                Path::attr("vpc_id"),
                "Missing vpc_id",
                "vpc_id is required: a network configuration describes a customer-managed AWS VPC.",
            );
        }
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let req = CreateNetworkRequest {
            network_name: planned.str("network_name").to_owned(),
            vpc_id: planned.opt_str("vpc_id"),
            subnet_ids: strings(&planned, "subnet_ids"),
            security_group_ids: strings(&planned, "security_group_ids"),
            vpc_endpoints: planned.block("vpc_endpoints").map(|b| NetworkVpcEndpoints {
                rest_api: strings(&b, "rest_api"),
                dataplane_relay: strings(&b, "dataplane_relay"),
            }),
            ..CreateNetworkRequest::default()
        };
        NETWORKS.create(&self.0, &planned, &req, diags).await
    }

    async fn read(&self, st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        NETWORKS.read(&self.0, st, diags).await
    }

    async fn update(&self, _prior: Obj, planned: Obj, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(planned)
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        NETWORKS.delete(&self.0, &st, diags).await;
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(NETWORKS.import(id))
    }
}
