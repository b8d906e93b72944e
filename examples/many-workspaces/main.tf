# A fleet of workspaces from one account-level provider block: every workspace-level resource
# names its workspace with `provider_config { workspace_id }`, as in the official provider, so
# `for_each` works without a provider block per workspace.

terraform {
  required_providers {
    databricks = {
      source = "ironbrick/databricks"
    }
  }
}

variable "teams" {
  description = "Workspace per team, with the CIDR blocks allowed to reach it."
  type        = map(list(string))
  default = {
    analytics = ["127.0.0.0/8", "10.10.0.0/16"]
    platform  = ["127.0.0.0/8", "10.20.0.0/16"]
    research  = ["127.0.0.0/8", "10.30.0.0/16"]
  }
}

variable "key_arn_prefix" {
  description = "Each team gets its own KMS key: <prefix><team>. Any ARN works with the local KMS."
  type        = string
  default     = "arn:aws:kms:us-east-1:111122223333:key/fleet-"
}

provider "databricks" {}

resource "databricks_mws_credentials" "fleet" {
  credentials_name = "fleet-role"
  role_arn         = "arn:aws:iam::111122223333:role/ironbrick-fleet"
}

resource "databricks_mws_storage_configurations" "team" {
  for_each                   = var.teams
  storage_configuration_name = "${each.key}-root"
  bucket_name                = "ironbrick-${each.key}-root"
}

resource "databricks_mws_customer_managed_keys" "team" {
  for_each = var.teams
  aws_key_info {
    key_arn = "${var.key_arn_prefix}${each.key}"
  }
  use_cases = ["MANAGED_SERVICES"]
}

resource "databricks_mws_workspaces" "team" {
  for_each                                 = var.teams
  workspace_name                           = each.key
  aws_region                               = "us-east-1"
  credentials_id                           = databricks_mws_credentials.fleet.credentials_id
  storage_configuration_id                 = databricks_mws_storage_configurations.team[each.key].storage_configuration_id
  managed_services_customer_managed_key_id = databricks_mws_customer_managed_keys.team[each.key].customer_managed_key_id
}

resource "databricks_ip_access_list" "team" {
  for_each = var.teams
  provider_config {
    workspace_id = databricks_mws_workspaces.team[each.key].workspace_id
  }
  label        = "${each.key}-allow"
  list_type    = "ALLOW"
  ip_addresses = each.value
}

resource "databricks_workspace_conf" "team" {
  for_each = var.teams
  provider_config {
    workspace_id = databricks_mws_workspaces.team[each.key].workspace_id
  }
  custom_config = {
    enableIpAccessLists  = "true"
    maxTokenLifetimeDays = "90"
  }
  depends_on = [databricks_ip_access_list.team]
}

resource "databricks_token" "automation" {
  for_each = var.teams
  provider_config {
    workspace_id = databricks_mws_workspaces.team[each.key].workspace_id
  }
  comment          = "${each.key} automation"
  lifetime_seconds = 7 * 86400
}

resource "databricks_directory" "team" {
  for_each = var.teams
  provider_config {
    workspace_id = databricks_mws_workspaces.team[each.key].workspace_id
  }
  path = "/Shared/${each.key}"
}

output "workspace_urls" {
  value = { for k, w in databricks_mws_workspaces.team : k => w.workspace_url }
}
