data "databricks_user" "me" {
  user_name = databricks_user.me.user_name
}

output "me_acl_principal_id" {
  value = data.databricks_user.me.acl_principal_id
}
