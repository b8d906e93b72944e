//! Private access to workspaces: which requests may reach a workspace, given its private access
//! settings and the VPC endpoint a request came through (from the PROXY protocol header of a
//! trusted load balancer; see [`crate::proxy_protocol`]).
//!
//! - Traffic is *private* when it came through a VPC endpoint registered in the account; all
//!   other traffic is *public*. IP access lists apply to public traffic only, as in Databricks.
//! - A workspace whose settings have `public_access_enabled = false` takes private traffic only,
//!   and only from allowed endpoints: at the `ACCOUNT` level any registration of the account in
//!   the settings' region, at the `ENDPOINT` level the listed `allowed_vpc_endpoint_ids`.
//! - The account API is not affected.

use crate::error::{ApiError, ApiResult};
use crate::model::{PrivateAccessRecord, VpcEndpointRecord};
use crate::repo::{self, trees};
use ironbrick_api::private_link::{PrivateAccessSettings, VpcEndpoint};
use ironbrick_store::Store;

/// How a request reached the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Traffic {
    Public,
    /// Through this registered endpoint.
    Private(VpcEndpoint),
}

/// Classifies a request that came through AWS endpoint `via` (if any).
pub fn traffic(endpoints: &[VpcEndpoint], via: Option<&str>) -> Traffic {
    via.and_then(|id| endpoints.iter().find(|e| e.aws_vpc_endpoint_id == id))
        .map_or(Traffic::Public, |e| Traffic::Private(e.clone()))
}

/// Whether `traffic` may reach a workspace with `settings`; the refusal says why.
pub fn admits(settings: &PrivateAccessSettings, traffic: &Traffic) -> Result<(), String> {
    if settings.public_access_enabled {
        return Ok(());
    }
    let id = &settings.private_access_settings_id;
    match traffic {
        Traffic::Public => Err(format!(
            "Public access is disabled for this workspace (private access settings {id}); \
             connect through an allowed VPC endpoint."
        )),
        Traffic::Private(e) if settings.private_access_level == "ENDPOINT" => {
            if settings
                .allowed_vpc_endpoint_ids
                .contains(&e.vpc_endpoint_id)
            {
                Ok(())
            } else {
                Err(format!(
                    "VPC endpoint {} ({}) is not allowed by private access settings {id}.",
                    e.vpc_endpoint_id, e.aws_vpc_endpoint_id
                ))
            }
        }
        Traffic::Private(e) if e.region != settings.region => Err(format!(
            "VPC endpoint {} is in {}; private access settings {id} allow endpoints in {}.",
            e.vpc_endpoint_id, e.region, settings.region
        )),
        Traffic::Private(_) => Ok(()),
    }
}

/// Admission of one workspace request: how it arrived (for the IP access lists), or 403.
pub fn admit(store: &Store, settings_id: Option<&str>, via: Option<&str>) -> ApiResult<Traffic> {
    if settings_id.is_none() && via.is_none() {
        return Ok(Traffic::Public);
    }
    let endpoints: Vec<VpcEndpoint> =
        repo::scan::<VpcEndpointRecord>(store, trees::VPC_ENDPOINTS, "")?
            .into_iter()
            .map(|r| r.0)
            .collect();
    let traffic = traffic(&endpoints, via);
    let Some(id) = settings_id else {
        return Ok(traffic);
    };
    let settings = repo::get::<PrivateAccessRecord>(store, trees::PRIVATE_ACCESS, id)?
        .map(|r| r.0)
        .ok_or_else(|| ApiError::Internal(format!("private access settings {id} are missing")))?;
    admits(&settings, &traffic).map_err(ApiError::forbidden)?;
    Ok(traffic)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(id: &str, aws: &str, region: &str) -> VpcEndpoint {
        VpcEndpoint {
            vpc_endpoint_id: id.into(),
            aws_vpc_endpoint_id: aws.into(),
            region: region.into(),
            ..VpcEndpoint::default()
        }
    }

    fn settings(public: bool, level: &str, allowed: &[&str]) -> PrivateAccessSettings {
        PrivateAccessSettings {
            private_access_settings_id: "pas".into(),
            region: "us-east-1".into(),
            public_access_enabled: public,
            private_access_level: level.into(),
            allowed_vpc_endpoint_ids: allowed.iter().map(|s| (*s).to_owned()).collect(),
            ..PrivateAccessSettings::default()
        }
    }

    #[test]
    fn levels_decide_which_endpoints_may_reach_a_private_workspace() {
        let registered = [
            endpoint("a", "vpce-aaaaaaaaaaaaaaaaa", "us-east-1"),
            endpoint("b", "vpce-bbbbbbbbbbbbbbbbb", "us-east-1"),
            endpoint("w", "vpce-ccccccccccccccccc", "us-west-2"),
        ];
        let via = |id: &str| traffic(&registered, Some(id));
        let account = settings(false, "ACCOUNT", &[]);
        assert!(admits(&account, &Traffic::Public).is_err());
        assert!(admits(&account, &via("vpce-aaaaaaaaaaaaaaaaa")).is_ok());
        assert!(admits(&account, &via("vpce-bbbbbbbbbbbbbbbbb")).is_ok());
        assert!(
            admits(&account, &via("vpce-ccccccccccccccccc")).is_err(),
            "another region"
        );
        assert!(
            admits(&account, &via("vpce-00000000000000000")).is_err(),
            "unregistered"
        );
        let endpoint_level = settings(false, "ENDPOINT", &["a"]);
        assert!(admits(&endpoint_level, &via("vpce-aaaaaaaaaaaaaaaaa")).is_ok());
        assert!(
            admits(&endpoint_level, &via("vpce-bbbbbbbbbbbbbbbbb")).is_err(),
            "unlisted"
        );
        assert!(admits(&settings(true, "ACCOUNT", &[]), &Traffic::Public).is_ok());
    }
}
