locals {
  marketing_policy = {
    "dbus_per_hour" : {
      "type" : "range",
      "maxValue" : 10
    },
    "autotermination_minutes" : {
      "type" : "fixed",
      "value" : 20,
      "hidden" : true
    },
    "custom_tags.Team" : {
      "type" : "fixed",
      "value" : "marketing"
    }
  }
}

resource "databricks_cluster_policy" "fair_use" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  name                  = "marketing cluster policy"
  definition            = jsonencode(local.marketing_policy)
  max_clusters_per_user = 2

  libraries {
    pypi {
      package = "databricks-sdk==0.12.0"
    }
  }
}

resource "databricks_permissions" "can_use_cluster_policy" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  cluster_policy_id = databricks_cluster_policy.fair_use.id

  access_control {
    group_name       = databricks_group.workspace_engineers.display_name
    permission_level = "CAN_USE"
  }
}
