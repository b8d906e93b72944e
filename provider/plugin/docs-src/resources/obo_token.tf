resource "databricks_service_principal" "this" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  display_name = "Automation-only SP"
}

resource "databricks_permissions" "token_usage" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  authorization = "tokens"
  access_control {
    service_principal_name = databricks_service_principal.this.application_id
    permission_level       = "CAN_USE"
  }
}

resource "databricks_obo_token" "this" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  depends_on       = [databricks_permissions.token_usage]
  application_id   = databricks_service_principal.this.application_id
  comment          = "PAT on behalf of ${databricks_service_principal.this.display_name}"
  lifetime_seconds = 3600
}

output "obo" {
  value     = databricks_obo_token.this.token_value
  sensitive = true
}
