# Only the members of `auto` may sign in with a password; everyone else uses tokens or OAuth.
resource "databricks_permissions" "password_usage" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  authorization = "passwords"

  access_control {
    group_name       = databricks_group.auto.display_name
    permission_level = "CAN_USE"
  }
}
