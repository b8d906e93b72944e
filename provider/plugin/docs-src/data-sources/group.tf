data "databricks_group" "users" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  display_name = "users"
}
