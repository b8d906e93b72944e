//! VPC endpoint registrations: the AWS interface endpoints (PrivateLink) through which
//! workspaces may be reached privately. A registration in use by a network configuration or by
//! private access settings cannot be deleted.

use super::object::{self, AccountObject, Fresh};
use super::private_access::PrivateAccess;
use super::refs::Kind;
use crate::error::{ApiError, ApiResult};
use crate::model::VpcEndpointRecord;
use crate::state::AppState;
use crate::validate;
use ironbrick_api::private_link::{CreateVpcEndpointRequest, VpcEndpoint};

/// VPC endpoint registrations (`/vpc-endpoints`).
#[derive(Debug)]
pub struct VpcEndpoints;

/// Requires `vpce-` followed by 17 hex digits.
fn aws_endpoint_id(value: &str) -> ApiResult<()> {
    ironbrick_api::validate::vpc_endpoint_id("aws_vpc_endpoint_id", value)
        .map_err(ApiError::invalid)
}

impl AccountObject for VpcEndpoints {
    type Wire = VpcEndpoint;
    type Stored = VpcEndpointRecord;
    type Create = CreateVpcEndpointRequest;
    const KIND: Kind = Kind::VpcEndpoint;
    const SEGMENT: &'static str = "vpc-endpoints";
    const ID: &'static str = "vpc_endpoint_id";

    fn id(o: &VpcEndpoint) -> &str {
        &o.vpc_endpoint_id
    }

    fn make(
        state: &AppState,
        req: CreateVpcEndpointRequest,
        fresh: Fresh,
    ) -> ApiResult<VpcEndpoint> {
        if req
            .gcp_vpc_endpoint_info
            .as_ref()
            .is_some_and(|v| !v.is_null())
        {
            return Err(ApiError::invalid(
                "gcp_vpc_endpoint_info not supported: Ironbrick serves AWS workspaces.",
            ));
        }
        let name = validate::required("vpc_endpoint_name", &req.vpc_endpoint_name)?.to_owned();
        let aws_id = req
            .aws_vpc_endpoint_id
            .ok_or_else(|| ApiError::invalid("aws_vpc_endpoint_id is required."))?;
        aws_endpoint_id(&aws_id)?;
        let region = validate::region("region", req.region.as_deref().unwrap_or_default())?;
        if let Some(other) = object::all::<Self>(state)?
            .into_iter()
            .find(|e| e.aws_vpc_endpoint_id == aws_id)
        {
            return Err(ApiError::exists(format!(
                "VPC endpoint {aws_id} is already registered as {}.",
                other.vpc_endpoint_id
            )));
        }
        Ok(VpcEndpoint {
            vpc_endpoint_id: fresh.id,
            vpc_endpoint_name: name,
            aws_vpc_endpoint_id: aws_id,
            region,
            state: "available".to_owned(),
            use_case: "WORKSPACE_ACCESS".to_owned(),
            account_id: fresh.account_id,
        })
    }

    fn used_by(state: &AppState, id: &str) -> ApiResult<Option<String>> {
        let by_settings = object::all::<PrivateAccess>(state)?
            .into_iter()
            .find(|p| p.allowed_vpc_endpoint_ids.iter().any(|e| e == id))
            .map(|p| format!("private access settings {}", p.private_access_settings_id));
        let by_network = || -> ApiResult<Option<String>> {
            Ok(object::all::<super::networks::Networks>(state)?
                .into_iter()
                .find(|n| {
                    n.vpc_endpoints.as_ref().is_some_and(|v| {
                        v.rest_api.iter().chain(&v.dataplane_relay).any(|e| e == id)
                    })
                })
                .map(|n| format!("network configuration {}", n.network_id)))
        };
        match by_settings {
            Some(s) => Ok(Some(s)),
            None => by_network(),
        }
    }
}
