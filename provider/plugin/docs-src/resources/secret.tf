variable "publishing_api_key" {
  description = "Key of the publishing API, stored as a secret"
  type        = string
}

resource "databricks_secret_scope" "app" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  name = "application-secret-scope"
}

resource "databricks_secret" "publishing_api" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  key          = "publishing_api"
  string_value = var.publishing_api_key
  scope        = databricks_secret_scope.app.id
}

output "publishing_api_reference" {
  value = databricks_secret.publishing_api.config_reference
}
