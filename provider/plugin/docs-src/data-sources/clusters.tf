data "databricks_clusters" "shared" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  cluster_name_contains = "shared"
  filter_by {
    cluster_states = ["RUNNING", "PENDING"]
  }
}

output "shared_cluster_ids" {
  value = data.databricks_clusters.shared.ids
}
