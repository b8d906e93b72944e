//! Data sources, one module per object type.

mod current_user;
mod mws_workspaces;
mod notebook;

use crate::common::Conn;
use std::sync::Arc;
use tf_framework::DataSource;

/// Every data source the provider serves.
pub fn all(conn: &Arc<Conn>) -> Vec<Arc<dyn DataSource>> {
    vec![
        Arc::new(current_user::CurrentUser(conn.clone())),
        Arc::new(mws_workspaces::MwsWorkspaces(conn.clone())),
        Arc::new(notebook::Notebook(conn.clone())),
    ]
}
