data "databricks_notebook" "features" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  path   = databricks_notebook.ddl.path
  format = "SOURCE"
}

output "ddl_gen_source" {
  value = base64decode(data.databricks_notebook.features.content)
}
