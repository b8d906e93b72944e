resource "databricks_group" "a" {
  display_name = "A"
}

resource "databricks_group" "b" {
  display_name = "B"
}

resource "databricks_group_member" "ab" {
  group_id  = databricks_group.a.id
  member_id = databricks_group.b.id
}

resource "databricks_user" "bradley" {
  user_name = "bradley@example.com"
}

resource "databricks_group_member" "bb" {
  group_id  = databricks_group.b.id
  member_id = databricks_user.bradley.id
}
