resource "databricks_service_principal" "sp" {
  display_name = "Account automation SP"
}
