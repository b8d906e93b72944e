resource "databricks_mws_credentials" "this" {
  credentials_name = "${var.prefix}-creds"
  role_arn         = "arn:aws:iam::123456789012:role/${var.prefix}-crossaccount"
}
