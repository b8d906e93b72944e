resource "databricks_permissions" "cluster_usage" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  cluster_id = databricks_cluster.shared_autoscaling.id

  access_control {
    group_name       = databricks_group.auto.display_name
    permission_level = "CAN_ATTACH_TO"
  }

  access_control {
    group_name       = databricks_group.eng.display_name
    permission_level = "CAN_RESTART"
  }
}
