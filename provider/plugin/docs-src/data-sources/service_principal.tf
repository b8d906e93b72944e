data "databricks_service_principal" "automation" {
  application_id = databricks_service_principal.sp.application_id
}

output "automation_acl_principal_id" {
  value = data.databricks_service_principal.automation.acl_principal_id
}
