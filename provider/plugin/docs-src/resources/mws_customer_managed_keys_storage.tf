resource "databricks_mws_customer_managed_keys" "storage" {
  account_id = var.databricks_account_id
  aws_key_info {
    key_arn   = "arn:aws:kms:us-east-1:123456789012:key/0987dcba-09fe-87dc-65ba-ab0987654321"
    key_alias = "alias/${var.prefix}-storage"
  }
  use_cases = ["STORAGE"]
}
# give databricks_mws_customer_managed_keys.storage.customer_managed_key_id to
# databricks_mws_workspaces as storage_customer_managed_key_id
