resource "databricks_service_principal" "automation" {
  display_name = "Terraform automation"
}

resource "databricks_mws_permission_assignment" "automation_admin" {
  workspace_id = databricks_mws_workspaces.this.workspace_id
  principal_id = databricks_service_principal.automation.id
  permissions  = ["ADMIN"]
}

resource "databricks_service_principal_secret" "automation" {
  service_principal_id = databricks_service_principal.automation.id
  lifetime             = "7776000s"
}

output "automation_client_id" {
  value = databricks_service_principal.automation.application_id
}

output "automation_client_secret" {
  value     = databricks_service_principal_secret.automation.secret
  sensitive = true
}
