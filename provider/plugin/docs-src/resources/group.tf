resource "databricks_group" "this" {
  display_name = "Some Group"
}

resource "databricks_group" "workspace_engineers" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  display_name               = "Workspace Engineers"
  allow_cluster_create       = true
  allow_instance_pool_create = true
}
