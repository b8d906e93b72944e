resource "databricks_entitlements" "workspace-users" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  group_id                   = data.databricks_group.users.id
  allow_cluster_create       = true
  allow_instance_pool_create = true
}

resource "databricks_entitlements" "sp" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  service_principal_id  = databricks_service_principal.sp.id
  workspace_access      = true
  databricks_sql_access = true
  depends_on            = [databricks_mws_permission_assignment.add_sp]
}
