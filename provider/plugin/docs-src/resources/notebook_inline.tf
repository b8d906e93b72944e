resource "databricks_notebook" "notebook" {
  provider_config {
    workspace_id = databricks_mws_workspaces.this.workspace_id
  }
  content_base64 = base64encode(<<-EOT
    # Databricks notebook source
    display(spark.range(10))
    EOT
  )
  path     = "/Shared/Demo"
  language = "PYTHON"
}
