//! Data sources, one module per object type.

mod cluster_policy;
mod clusters;
mod current_user;
mod group;
mod mws_workspaces;
mod node_type;
mod notebook;
mod service_principal;
mod spark_version;
mod user;

use crate::common::Conn;
use std::sync::Arc;
use tf_framework::DataSource;

/// Every data source the provider serves.
pub fn all(conn: &Arc<Conn>) -> Vec<Arc<dyn DataSource>> {
    vec![
        Arc::new(current_user::CurrentUser(conn.clone())),
        Arc::new(mws_workspaces::MwsWorkspaces(conn.clone())),
        Arc::new(notebook::Notebook(conn.clone())),
        Arc::new(user::UserData(conn.clone())),
        Arc::new(group::GroupData(conn.clone())),
        Arc::new(service_principal::ServicePrincipalData(conn.clone())),
        Arc::new(node_type::NodeTypeData(conn.clone())),
        Arc::new(spark_version::SparkVersionData(conn.clone())),
        Arc::new(cluster_policy::ClusterPolicyData(conn.clone())),
        Arc::new(clusters::ClustersData(conn.clone())),
    ]
}
