data "databricks_spark_version" "for_cluster" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  long_term_support = true
}

data "databricks_node_type" "for_cluster" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  local_disk = true
}

resource "databricks_cluster_policy" "shared_autoscaling" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  name = "shared autoscaling"
  definition = jsonencode({
    "autoscale.max_workers" : { "type" : "range", "maxValue" : 10 },
    "dbus_per_hour" : { "type" : "range", "maxValue" : 20 },
    "custom_tags.Team" : { "type" : "fixed", "value" : "analytics", "hidden" : true }
  })
}

resource "databricks_cluster" "shared_autoscaling" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  cluster_name            = "Shared Autoscaling"
  spark_version           = data.databricks_spark_version.for_cluster.id
  node_type_id            = data.databricks_node_type.for_cluster.id
  policy_id               = databricks_cluster_policy.shared_autoscaling.id
  autotermination_minutes = 20

  autoscale {
    min_workers = 1
    max_workers = 4
  }

  spark_conf = {
    "spark.databricks.io.cache.enabled" = "true"
  }

  library {
    pypi {
      package = "fbprophet==0.6"
    }
  }
}

output "cluster_state" {
  value = databricks_cluster.shared_autoscaling.state
}
