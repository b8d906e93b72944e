resource "databricks_secret_scope" "this" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  name = "terraform-demo-scope"
}
