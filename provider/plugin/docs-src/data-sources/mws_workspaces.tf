data "databricks_mws_workspaces" "all" {
  # read after the workspaces of this configuration exist
  depends_on = [databricks_mws_workspaces.this, databricks_mws_workspaces.team, databricks_mws_workspaces.private_link]
}

output "all_mws_workspaces" {
  value = data.databricks_mws_workspaces.all.ids
}
