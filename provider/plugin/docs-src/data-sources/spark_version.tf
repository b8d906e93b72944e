data "databricks_spark_version" "latest_lts" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  long_term_support = true
}

data "databricks_spark_version" "gpu_ml" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  gpu = true
  ml  = true
}

output "latest_lts_runtime" {
  value = data.databricks_spark_version.latest_lts.id
}

output "gpu_ml_runtime" {
  value = data.databricks_spark_version.gpu_ml.id
}
