# In each team workspace, every user may create and use personal access tokens.
resource "databricks_permissions" "team_token_usage" {
  for_each = local.teams

  provider_config {
    workspace_id = databricks_mws_workspaces.team[each.key].workspace_id
  }
  authorization = "tokens"

  access_control {
    group_name       = "users"
    permission_level = "CAN_USE"
  }
}
