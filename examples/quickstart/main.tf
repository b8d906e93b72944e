# Quick start: one workspace whose notebooks and secrets are encrypted under a customer-managed
# key, with a bootstrap token, an IP allow list, a notebook and a secret.
#
# Run it with `scripts/quickstart` (starts the backend on embedded defaults and applies this).
# The provider reads DATABRICKS_HOST, DATABRICKS_TOKEN and DATABRICKS_ACCOUNT_ID.

terraform {
  required_providers {
    databricks = {
      source = "ironbrick/databricks"
    }
  }
}

variable "cmk_arn" {
  description = "KMS key for managed services. With the embedded local KMS any well-formed ARN works: the key is created on first use."
  type        = string
  default     = "arn:aws:kms:us-east-1:111122223333:key/8a1f3e52-7c4b-4d2e-9f60-quickstart01"
}

variable "allowed_cidrs" {
  description = "Addresses allowed to reach the workspace once IP access lists are enabled."
  type        = list(string)
  default     = ["127.0.0.0/8", "::1/128"]
}

variable "databricks_account_id" {
  description = "The account id (scripts and tests set TF_VAR_databricks_account_id)."
  type        = string
}

# Account-level provider: host, token and account id come from the environment.
provider "databricks" {}

resource "databricks_mws_credentials" "this" {
  credentials_name = "quickstart-role"
  role_arn         = "arn:aws:iam::111122223333:role/ironbrick-quickstart"
}

resource "databricks_mws_storage_configurations" "this" {
  account_id                 = var.databricks_account_id
  storage_configuration_name = "quickstart-root"
  bucket_name                = "ironbrick-quickstart-root"
}

resource "databricks_mws_customer_managed_keys" "notebooks" {
  account_id = var.databricks_account_id
  aws_key_info {
    key_arn = var.cmk_arn
  }
  use_cases = ["MANAGED_SERVICES"]
}

resource "databricks_mws_workspaces" "this" {
  account_id                               = var.databricks_account_id
  workspace_name                           = "quickstart"
  aws_region                               = "us-east-1"
  credentials_id                           = databricks_mws_credentials.this.credentials_id
  storage_configuration_id                 = databricks_mws_storage_configurations.this.storage_configuration_id
  managed_services_customer_managed_key_id = databricks_mws_customer_managed_keys.notebooks.customer_managed_key_id

  token {
    comment = "quickstart bootstrap token"
  }
}

# Workspace-level provider configured from the workspace created above: its host and token are
# unknown until apply, as in the official provider's examples.
provider "databricks" {
  alias = "workspace"
  host  = databricks_mws_workspaces.this.workspace_url
  token = databricks_mws_workspaces.this.token[0].token_value
}

resource "databricks_token" "ci" {
  provider         = databricks.workspace
  comment          = "CI pipeline"
  lifetime_seconds = 86400
}

resource "databricks_ip_access_list" "loopback" {
  provider     = databricks.workspace
  label        = "loopback"
  list_type    = "ALLOW"
  ip_addresses = var.allowed_cidrs
}

resource "databricks_workspace_conf" "this" {
  provider = databricks.workspace
  custom_config = {
    enableIpAccessLists = "true"
  }
  depends_on = [databricks_ip_access_list.loopback]
}

resource "databricks_notebook" "hello" {
  provider       = databricks.workspace
  path           = "/Shared/quickstart/hello"
  language       = "PYTHON"
  content_base64 = base64encode("print('hello from a CMK-encrypted notebook')\n")
}

resource "databricks_secret_scope" "app" {
  provider = databricks.workspace
  name     = "app"
}

resource "databricks_secret" "db_password" {
  provider     = databricks.workspace
  scope        = databricks_secret_scope.app.name
  key          = "db-password"
  string_value = "correct horse battery staple"
}

output "workspace_url" {
  value = databricks_mws_workspaces.this.workspace_url
}

output "workspace_id" {
  value = databricks_mws_workspaces.this.workspace_id
}

output "ci_token" {
  value     = databricks_token.ci.token_value
  sensitive = true
}
