//! Network configurations: customer-managed VPCs.

use super::object::{self, AccountObject, Fresh};
use super::refs::Kind;
use super::vpc_endpoints::VpcEndpoints;
use crate::error::{ApiError, ApiResult};
use crate::model::NetworkRecord;
use crate::state::AppState;
use crate::validate;
use ironbrick_api::account::{CreateNetworkRequest, Network};
use std::collections::BTreeSet;

/// Network configurations (`/networks`).
#[derive(Debug)]
pub struct Networks;

impl AccountObject for Networks {
    type Wire = Network;
    type Stored = NetworkRecord;
    type Create = CreateNetworkRequest;
    const KIND: Kind = Kind::Network;
    const SEGMENT: &'static str = "networks";
    const ID: &'static str = "network_id";

    fn id(o: &Network) -> &str {
        &o.network_id
    }

    fn make(state: &AppState, req: CreateNetworkRequest, fresh: Fresh) -> ApiResult<Network> {
        for (field, ids) in req.vpc_endpoints.iter().flat_map(|v| {
            [
                ("vpc_endpoints.rest_api", &v.rest_api),
                ("vpc_endpoints.dataplane_relay", &v.dataplane_relay),
            ]
        }) {
            for id in ids {
                object::find::<VpcEndpoints>(state, id).map_err(|_| {
                    ApiError::invalid(format!(
                        "{field}: VPC endpoint registration {id} does not exist."
                    ))
                })?;
            }
        }
        if req.gcp_network_info.as_ref().is_some_and(|v| !v.is_null()) {
            return Err(ApiError::invalid(
                "gcp_network_info not supported: Ironbrick serves AWS workspaces.",
            ));
        }
        let name = validate::required("network_name", &req.network_name)?;
        let vpc_id = req
            .vpc_id
            .clone()
            .ok_or_else(|| ApiError::invalid("vpc_id is required for a customer-managed VPC."))?;
        validate::aws_id("vpc_id", "vpc-", &vpc_id)?;
        unique("subnet_ids", "subnet-", &req.subnet_ids, 2, 16)?;
        unique("security_group_ids", "sg-", &req.security_group_ids, 1, 5)?;
        Ok(Network {
            network_id: fresh.id,
            network_name: name.to_string(),
            vpc_id: Some(vpc_id),
            subnet_ids: req.subnet_ids,
            security_group_ids: req.security_group_ids,
            vpc_endpoints: req.vpc_endpoints,
            vpc_status: "UNATTACHED".into(),
            workspace_id: None,
            account_id: fresh.account_id,
            creation_time: fresh.now,
        })
    }
}

fn unique(field: &str, prefix: &str, ids: &[String], min: usize, max: usize) -> ApiResult<()> {
    if ids.len() < min || ids.len() > max {
        return Err(ApiError::invalid(format!(
            "{field} must list between {min} and {max} ids; got {}.",
            ids.len()
        )));
    }
    for id in ids {
        validate::aws_id(field, prefix, id)?;
    }
    if ids.iter().collect::<BTreeSet<_>>().len() != ids.len() {
        return Err(ApiError::invalid(format!("{field} contains duplicates.")));
    }
    Ok(())
}
