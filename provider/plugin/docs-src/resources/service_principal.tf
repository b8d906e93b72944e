resource "databricks_service_principal" "sp" {
  display_name = "Automation-only SP"
}
