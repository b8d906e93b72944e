terraform {
  required_providers {
    databricks = {
      source = "ironbrick/databricks"
    }
  }
}

variable "databricks_host" {
  description = "Base URL of the Ironbrick server, such as http://127.0.0.1:8420"
}

variable "databricks_account_id" {
  description = "Id of the account (account_id in the server's bootstrap.json)"
}

variable "databricks_token" {
  description = "The account admin's token (token in the server's bootstrap.json)"
  sensitive   = true
}

variable "prefix" {
  description = "Names of the objects created here start with this"
  default     = "demo"
}

variable "region" {
  description = "AWS region of the workspaces"
  default     = "us-east-1"
}

provider "databricks" {
  host       = var.databricks_host
  account_id = var.databricks_account_id
  token      = var.databricks_token
}
