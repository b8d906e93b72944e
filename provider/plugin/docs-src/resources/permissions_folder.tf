resource "databricks_directory" "this" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  path = "/Production/ETL"
}

resource "databricks_permissions" "folder_usage_by_id" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  directory_id = databricks_directory.this.object_id

  access_control {
    group_name       = "users"
    permission_level = "CAN_READ"
  }

  access_control {
    group_name       = databricks_group.auto.display_name
    permission_level = "CAN_RUN"
  }

  access_control {
    group_name       = databricks_group.eng.display_name
    permission_level = "CAN_EDIT"
  }
}
