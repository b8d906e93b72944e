data "databricks_clusters" "shared" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  cluster_name_contains = "shared"
  filter_by {
    cluster_states = ["RUNNING", "PENDING"]
  }
  # read once the cluster of the cluster example exists
  depends_on = [databricks_cluster.shared_autoscaling]
}

output "shared_cluster_ids" {
  value = data.databricks_clusters.shared.ids
}
