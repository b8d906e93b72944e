resource "databricks_directory" "my_custom_directory" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  path = "/Shared/${var.prefix}-reports"
}
