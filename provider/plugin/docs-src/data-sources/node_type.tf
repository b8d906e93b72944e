data "databricks_node_type" "smallest" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  local_disk = true
}

data "databricks_node_type" "with_gpu" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  local_disk  = true
  min_cores   = 8
  gb_per_core = 1
  min_gpus    = 1
}

output "smallest_node_type" {
  value = data.databricks_node_type.smallest.id
}

output "gpu_node_type" {
  value = data.databricks_node_type.with_gpu.id
}
