locals {
  personal_vm_override = {
    "autotermination_minutes" : {
      "type" : "fixed",
      "value" : 220,
      "hidden" : true
    },
    "custom_tags.Team" : {
      "type" : "fixed",
      "value" : "marketing"
    }
  }
}

resource "databricks_cluster_policy" "personal_vm" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  policy_family_id                   = "personal-vm"
  policy_family_definition_overrides = jsonencode(local.personal_vm_override)
  name                               = "Personal Compute"
}
