locals {
  teams = toset(["analytics", "research"])
}

# Two more workspaces sharing the credential and storage configurations...
resource "databricks_mws_workspaces" "team" {
  for_each = local.teams

  account_id               = var.databricks_account_id
  workspace_name           = "${var.prefix}-${each.key}"
  aws_region               = var.region
  credentials_id           = databricks_mws_credentials.this.credentials_id
  storage_configuration_id = databricks_mws_storage_configurations.this.storage_configuration_id
}

# ...and a secret scope in each of them, through the same provider.
resource "databricks_secret_scope" "team" {
  for_each = local.teams

  provider_config {
    workspace_id = databricks_mws_workspaces.team[each.key].workspace_id
  }
  name = "${each.key}-pipelines"
}
