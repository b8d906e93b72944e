resource "databricks_user" "me" {
  user_name    = "me@example.com"
  display_name = "Example user"
}

resource "databricks_user" "analyst" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  user_name            = "analyst@example.com"
  allow_cluster_create = true
}
