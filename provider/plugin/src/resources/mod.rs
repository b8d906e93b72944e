//! Managed resources, one module per object type.

mod cluster;
mod cluster_policy;
mod directory;
mod entitlements;
mod group;
mod group_member;
mod ip_access_list;
mod mws_credentials;
mod mws_customer_managed_keys;
mod mws_log_delivery;
mod mws_networks;
mod mws_permission_assignment;
mod mws_private_access_settings;
mod mws_storage_configurations;
mod mws_vpc_endpoint;
mod mws_workspaces;
mod notebook;
mod obo_token;
mod permissions;
mod secret;
mod secret_acl;
mod secret_scope;
mod service_principal;
mod service_principal_secret;
mod token;
mod user;
mod workspace_conf;

use crate::common::Conn;
use std::sync::Arc;
use tf_framework::Resource;

/// Every resource type the provider serves.
pub fn all(conn: &Arc<Conn>) -> Vec<Arc<dyn Resource>> {
    let c = || conn.clone();
    vec![
        Arc::new(mws_credentials::MwsCredentials(c())),
        Arc::new(mws_storage_configurations::MwsStorageConfigurations(c())),
        Arc::new(mws_networks::MwsNetworks(c())),
        Arc::new(mws_customer_managed_keys::MwsCustomerManagedKeys(c())),
        Arc::new(mws_vpc_endpoint::MwsVpcEndpoint(c())),
        Arc::new(mws_private_access_settings::MwsPrivateAccessSettings(c())),
        Arc::new(mws_log_delivery::MwsLogDelivery(c())),
        Arc::new(mws_workspaces::MwsWorkspaces(c())),
        Arc::new(token::Token(c())),
        Arc::new(obo_token::OboToken(c())),
        Arc::new(workspace_conf::WorkspaceConfResource(c())),
        Arc::new(ip_access_list::IpAccessList(c())),
        Arc::new(notebook::Notebook(c())),
        Arc::new(directory::Directory(c())),
        Arc::new(secret_scope::SecretScope::new(c())),
        Arc::new(secret::Secret(c())),
        Arc::new(user::User(c())),
        Arc::new(group::Group(c())),
        Arc::new(group_member::GroupMember(c())),
        Arc::new(service_principal::ServicePrincipal(c())),
        Arc::new(service_principal_secret::ServicePrincipalSecret(c())),
        Arc::new(entitlements::Entitlements(c())),
        Arc::new(mws_permission_assignment::MwsPermissionAssignment(c())),
        Arc::new(permissions::Permissions(c())),
        Arc::new(secret_acl::SecretAcl(c())),
        Arc::new(cluster_policy::ClusterPolicy(c())),
        Arc::new(cluster::Cluster(c())),
    ]
}
