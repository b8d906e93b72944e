//! `databricks_mws_vpc_endpoint`: an AWS VPC endpoint (PrivateLink) registered with the account,
//! so that network configurations (`vpc_endpoints`) and private access settings
//! (`allowed_vpc_endpoint_ids`) can name it. Immutable: any change replaces it.
//! `gcp_vpc_endpoint_info` is refused at plan time. The official schema declares
//! `aws_vpc_endpoint_id` and `region` optional (GCP endpoints take neither); here both are
//! required at plan time.

use crate::account_object::{refuse_outputs, AccountObject};
use crate::common::Conn;
use crate::validate::{aws_only, check, region};
use ironbrick_api::private_link::{CreateVpcEndpointRequest, VpcEndpoint};
use std::sync::Arc;
use tf_framework::{
    async_trait, Attr, Block, Diagnostics, Dyn, NestedBlock, Obj, Path, Resource, Schema, Ty,
};

/// The `databricks_mws_vpc_endpoint` resource.
pub struct MwsVpcEndpoint(pub Arc<Conn>);

/// Attributes the official schema declares optional that only the server fills in.
const OUTPUTS: [&str; 6] = [
    "id",
    "vpc_endpoint_id",
    "state",
    "use_case",
    "aws_endpoint_service_id",
    "aws_account_id",
];

/// An AWS VPC endpoint id: `vpce-` and 17 hex digits (the backend's rule).
fn aws_vpc_endpoint_id(v: &str) -> Result<(), String> {
    ironbrick_api::validate::vpc_endpoint_id("aws_vpc_endpoint_id", v)
}

fn state(e: VpcEndpoint) -> Obj {
    let mut o = Obj::new();
    o.set("id", format!("{}/{}", e.account_id, e.vpc_endpoint_id))
        .set("account_id", e.account_id)
        .set("vpc_endpoint_id", e.vpc_endpoint_id)
        .set("vpc_endpoint_name", e.vpc_endpoint_name)
        .set("aws_vpc_endpoint_id", e.aws_vpc_endpoint_id)
        .set("region", e.region)
        .set("state", e.state)
        .set("use_case", e.use_case)
        .set("aws_endpoint_service_id", Dyn::Null)
        .set("aws_account_id", Dyn::Null);
    o
}

const ENDPOINTS: AccountObject<VpcEndpoint> = AccountObject {
    collection: "vpc-endpoints",
    id_attr: "vpc_endpoint_id",
    what: "the VPC endpoint registration",
    state,
};

#[async_trait]
impl Resource for MwsVpcEndpoint {
    fn type_name(&self) -> &'static str {
        "databricks_mws_vpc_endpoint"
    }

    fn schema(&self) -> Schema {
        let gcp = Block::new(
            "GCP only: refused (Ironbrick serves AWS workspaces).",
            vec![
                Attr::required("project_id", Ty::String, "GCP project."),
                Attr::required("psc_endpoint_name", Ty::String, "PSC endpoint name."),
                Attr::required("endpoint_region", Ty::String, "GCP region."),
                Attr::optional("psc_connection_id", Ty::String, "PSC connection id."),
                Attr::optional("service_attachment_id", Ty::String, "Service attachment."),
            ],
        );
        let out = |n, d| Attr::optional_computed(n, Ty::String, d).force_new();
        Schema::new(
            Block::new(
                "A VPC endpoint registration: an AWS PrivateLink endpoint known to the account.",
                vec![
                    Attr::optional_computed("id", Ty::String, "`<account_id>/<vpc_endpoint_id>`."),
                    Attr::optional_computed(
                        "account_id",
                        Ty::String,
                        "Account id: the provider's when unset.",
                    )
                    .force_new(),
                    Attr::required("vpc_endpoint_name", Ty::String, "Name of the registration.")
                        .force_new(),
                    Attr::optional(
                        "aws_vpc_endpoint_id",
                        Ty::String,
                        "Id of the AWS VPC endpoint (`vpce-` and 17 hex digits).",
                    )
                    .force_new(),
                    Attr::optional("region", Ty::String, "AWS region of the endpoint.")
                        .force_new(),
                    out("vpc_endpoint_id", "Registration id."),
                    out("state", "State of the endpoint: `available`."),
                    out(
                        "use_case",
                        "`WORKSPACE_ACCESS` (front end and REST API) or `DATAPLANE_RELAY_ACCESS`.",
                    ),
                    out(
                        "aws_endpoint_service_id",
                        "AWS endpoint service the endpoint connects to (not reported by Ironbrick).",
                    ),
                    out(
                        "aws_account_id",
                        "AWS account of the endpoint (not reported by Ironbrick).",
                    ),
                ],
            )
            .with_block(NestedBlock::single_list("gcp_vpc_endpoint_info", gcp).force_new()),
        )
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check(
            config,
            "aws_vpc_endpoint_id",
            Path::attr("aws_vpc_endpoint_id"),
            diags,
            aws_vpc_endpoint_id,
        );
        check(config, "region", Path::attr("region"), diags, region);
        aws_only(config, &["gcp_vpc_endpoint_info"], diags);
        refuse_outputs(config, &OUTPUTS, diags);
        for name in ["aws_vpc_endpoint_id", "region"] {
            if config.get(name) == &Dyn::Null {
                diags.error_at(
                    Path::attr(name),
                    format!("Missing {name}"),
                    format!("{name} is required: Ironbrick registers AWS VPC endpoints."),
                );
            }
        }
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let req = CreateVpcEndpointRequest {
            vpc_endpoint_name: planned.str("vpc_endpoint_name").to_owned(),
            aws_vpc_endpoint_id: planned.opt_str("aws_vpc_endpoint_id"),
            region: planned.opt_str("region"),
            gcp_vpc_endpoint_info: None,
        };
        ENDPOINTS.create(&self.0, &planned, &req, diags).await
    }

    async fn read(&self, st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        ENDPOINTS.read(&self.0, st, diags).await
    }

    async fn update(&self, _prior: Obj, planned: Obj, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(planned)
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        ENDPOINTS.delete(&self.0, &st, diags).await;
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(ENDPOINTS.import(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_ids_are_checked_as_the_backend_does() {
        assert!(aws_vpc_endpoint_id("vpce-0123456789abcdef0").is_ok());
        for bad in [
            "vpce-123",
            "vpc-0123456789abcdef0",
            "vpce-0123456789abcdefg",
        ] {
            assert!(aws_vpc_endpoint_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn gcp_and_outputs_are_refused_and_aws_fields_required() {
        let r = MwsVpcEndpoint(Arc::new(Conn::default()));
        let mut config = Obj::new();
        let mut gcp = Obj::new();
        gcp.set("project_id", "p");
        config
            .set("vpc_endpoint_name", "ep")
            .set("state", "available")
            .set_block("gcp_vpc_endpoint_info", Some(gcp));
        let mut diags = Diagnostics::default();
        r.validate(&config, &mut diags);
        let out = format!("{diags:?}");
        for expected in [
            "gcp_vpc_endpoint_info is not supported: Ironbrick serves AWS workspaces",
            "state cannot be set",
            "Missing aws_vpc_endpoint_id",
            "Missing region",
        ] {
            assert!(out.contains(expected), "{expected}: {out}");
        }
    }
}
