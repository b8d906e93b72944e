data "databricks_cluster_policy" "personal" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  name = databricks_cluster_policy.personal_vm.name
}

output "personal_compute_num_workers" {
  value = jsondecode(data.databricks_cluster_policy.personal.definition)["num_workers"]["value"]
}
