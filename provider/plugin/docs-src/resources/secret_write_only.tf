variable "warehouse_password" {
  description = "Password of the warehouse service account; never stored by Terraform"
  type        = string
  ephemeral   = true
}

resource "databricks_secret" "warehouse_password" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  scope                   = databricks_secret_scope.app.id
  key                     = "warehouse_password"
  string_value_wo         = var.warehouse_password
  string_value_wo_version = 1
}
