resource "databricks_token" "pat" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  comment = "Terraform provisioning"
  // 30 day token
  lifetime_seconds = 30 * 24 * 60 * 60
}

output "databricks_token" {
  value     = databricks_token.pat.token_value
  sensitive = true
}
