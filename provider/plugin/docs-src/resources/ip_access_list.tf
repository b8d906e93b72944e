resource "databricks_ip_access_list" "allowed-list" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  label     = "allow_in"
  list_type = "ALLOW"
  ip_addresses = [
    "127.0.0.1",
    "10.10.0.0/16",
    "192.168.100.0/24"
  ]
  depends_on = [databricks_workspace_conf.this]
}
