//! `data "databricks_user"`: a user found by `user_name` or `user_id`, at the account or in a
//! workspace (see [`crate::scim`]).

use crate::common::{check_workspace_id, report, Conn};
use crate::scim::{check_api, dual_scoped, eq_filter, Scim};
use ironbrick_api::scim::User;
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, DataSource, Diagnostics, Obj, Path, Schema, Ty};

pub struct UserData(pub Arc<Conn>);

/// The local part of a user name with every character but letters and digits replaced by
/// `_`, lower-cased (upstream's `alphanumeric`).
pub fn alphanumeric(user_name: &str) -> String {
    user_name
        .split('@')
        .next()
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[async_trait]
impl DataSource for UserData {
    fn type_name(&self) -> &'static str {
        "databricks_user"
    }

    fn schema(&self) -> Schema {
        let s = |n, d| Attr::computed(n, Ty::String, d);
        Schema::new(dual_scoped(Block::new(
            "A user, found by user name or id.",
            vec![
                Attr::optional_computed("id", Ty::String, "SCIM id of the user."),
                Attr::optional_computed("user_name", Ty::String, "User name (e-mail) to find."),
                Attr::optional_computed("user_id", Ty::String, "SCIM id to find."),
                s("home", "Home folder, `/Users/<user_name>`."),
                s("repos", "Repos folder, `/Repos/<user_name>`."),
                s("display_name", "Display name."),
                s(
                    "alphanumeric",
                    "Local part of the user name, lower-cased, with `_` for other characters.",
                ),
                s("external_id", "External id."),
                s(
                    "application_id",
                    "Application id (service principals only).",
                ),
                s("acl_principal_id", "`users/<user_name>`."),
                Attr::computed("active", Ty::Bool, "Whether the user is active."),
            ],
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        check_api(config, diags);
        let given = ["user_name", "user_id"]
            .iter()
            .filter(|n| !config.get(n).is_null())
            .count();
        if given != 1 {
            diags.error_at(
                Path::attr("user_name"),
                "Exactly one of user_name and user_id",
                "Set exactly one of user_name and user_id.",
            );
        }
    }

    async fn read(&self, config: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let scim = Scim::of(&self.0, &config, diags)?;
        let user: User = if let Some(id) = config.opt_str("user_id") {
            match scim.get("Users", &id, "the user", diags).await {
                Ok(Some(u)) => u,
                Ok(None) => {
                    diags.error("User not found", format!("cannot find user {id}"));
                    return None;
                }
                Err(()) => return None,
            }
        } else {
            let name = config.str("user_name").to_owned();
            match scim
                .filter::<User>("Users", &eq_filter("userName", &name))
                .await
            {
                Ok(found) => match found.into_iter().next() {
                    Some(u) => u,
                    None => {
                        diags.error("User not found", format!("cannot find user {name}"));
                        return None;
                    }
                },
                Err(e) => {
                    report(diags, "look up the user", &e);
                    return None;
                }
            }
        };
        let name = user.user_name;
        let mut o = config;
        o.set("id", user.id.clone())
            .set("user_id", user.id)
            .set("home", format!("/Users/{name}"))
            .set("repos", format!("/Repos/{name}"))
            .set("acl_principal_id", format!("users/{name}"))
            .set("alphanumeric", alphanumeric(&name))
            .set("display_name", user.display_name)
            .set("external_id", user.external_id.unwrap_or_default())
            .set("application_id", "")
            .set("active", user.active.unwrap_or(true))
            .set("user_name", name);
        Some(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphanumeric_is_the_lower_cased_local_part() {
        assert_eq!(alphanumeric("Ann.Lee+x@example.com"), "ann_lee_x");
        let d = UserData(Arc::new(Conn::default()));
        let mut diags = Diagnostics::default();
        d.validate(&Obj::new(), &mut diags);
        assert!(diags.has_errors());
    }
}
