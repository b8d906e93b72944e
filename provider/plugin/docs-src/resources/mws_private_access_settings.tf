resource "databricks_mws_private_access_settings" "pas" {
  account_id                   = var.databricks_account_id
  private_access_settings_name = "${var.prefix}-private-access"
  region                       = var.region
  public_access_enabled        = true
  private_access_level         = "ENDPOINT"
  allowed_vpc_endpoint_ids     = [databricks_mws_vpc_endpoint.workspace.vpc_endpoint_id]
}

resource "databricks_mws_workspaces" "private_link" {
  account_id     = var.databricks_account_id
  workspace_name = "${var.prefix}-private-link"
  aws_region     = var.region

  credentials_id             = databricks_mws_credentials.this.credentials_id
  storage_configuration_id   = databricks_mws_storage_configurations.this.storage_configuration_id
  network_id                 = databricks_mws_networks.private_link.network_id
  private_access_settings_id = databricks_mws_private_access_settings.pas.private_access_settings_id
}
