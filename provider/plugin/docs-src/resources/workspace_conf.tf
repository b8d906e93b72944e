resource "databricks_workspace_conf" "this" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  custom_config = {
    "enableIpAccessLists"  = true
    "maxTokenLifetimeDays" = "90"
  }
}
