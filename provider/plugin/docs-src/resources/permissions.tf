resource "databricks_group" "auto" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  display_name = "Automation"
}

resource "databricks_group" "eng" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  display_name = "Engineering"
}

resource "databricks_notebook" "this" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  content_base64 = base64encode("# Welcome to your Python notebook")
  path           = "/Production/Features"
  language       = "PYTHON"
}

resource "databricks_permissions" "notebook_usage_by_id" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  notebook_id = databricks_notebook.this.object_id

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
