resource "databricks_mws_networks" "this" {
  account_id         = var.databricks_account_id
  network_name       = "${var.prefix}-network"
  vpc_id             = "vpc-0123456789abcdef0"
  subnet_ids         = ["subnet-0a1b2c3d4e5f60718", "subnet-08f7e6d5c4b3a2910"]
  security_group_ids = ["sg-0123456789abcdef0"]
}
