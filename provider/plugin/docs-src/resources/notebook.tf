resource "databricks_notebook" "ddl" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  source = "${path.module}/ddl_gen.py"
  path   = "${data.databricks_current_user.me.home}/Jobs/ddl_gen"
}
