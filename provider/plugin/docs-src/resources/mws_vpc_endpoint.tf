resource "databricks_mws_vpc_endpoint" "workspace" {
  account_id          = var.databricks_account_id
  vpc_endpoint_name   = "${var.prefix}-vpce-workspace"
  aws_vpc_endpoint_id = "vpce-0a1b2c3d4e5f60718"
  region              = var.region
}

resource "databricks_mws_vpc_endpoint" "relay" {
  account_id          = var.databricks_account_id
  vpc_endpoint_name   = "${var.prefix}-vpce-relay"
  aws_vpc_endpoint_id = "vpce-08f7e6d5c4b3a2910"
  region              = var.region
}

resource "databricks_mws_networks" "private_link" {
  account_id         = var.databricks_account_id
  network_name       = "${var.prefix}-private-link-network"
  vpc_id             = "vpc-0fedcba9876543210"
  subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  security_group_ids = ["sg-0fedcba9876543210"]

  vpc_endpoints {
    rest_api        = [databricks_mws_vpc_endpoint.workspace.vpc_endpoint_id]
    dataplane_relay = [databricks_mws_vpc_endpoint.relay.vpc_endpoint_id]
  }
}
