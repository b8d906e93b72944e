resource "databricks_mws_customer_managed_keys" "managed_services" {
  account_id = var.databricks_account_id
  aws_key_info {
    key_arn   = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    key_alias = "alias/${var.prefix}-managed-services"
  }
  use_cases = ["MANAGED_SERVICES"]
}
# give databricks_mws_customer_managed_keys.managed_services.customer_managed_key_id to
# databricks_mws_workspaces as managed_services_customer_managed_key_id
