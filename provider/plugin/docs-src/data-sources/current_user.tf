data "databricks_current_user" "me" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
}

output "my_home_folder" {
  value = data.databricks_current_user.me.home
}
