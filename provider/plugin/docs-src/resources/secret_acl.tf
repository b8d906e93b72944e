resource "databricks_group" "ds" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  display_name = "data-scientists"
}

resource "databricks_secret_acl" "my_secret_acl" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  principal  = databricks_group.ds.display_name
  permission = "READ"
  scope      = databricks_secret_scope.app.name
}
