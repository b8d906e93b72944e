resource "databricks_obo_token" "this" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  # application_id of the automation service principal
  application_id   = "6f1e7d3c-2b4a-4c5d-8e9f-0a1b2c3d4e5f"
  comment          = "PAT on behalf of the automation service principal"
  lifetime_seconds = 3600
}

output "obo" {
  value     = databricks_obo_token.this.token_value
  sensitive = true
}
