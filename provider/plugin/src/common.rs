//! Helpers shared by resources: error reporting, workspace scoping, import ids.

use ironbrick_api::client::{Client, ClientError};
use std::sync::Arc;
use tf_framework::{Attr, Diagnostics, Dyn, Obj, Ty};

pub use crate::provider::Conn;

/// A list attribute in state: null when empty, so an unset optional list never diffs against
/// the empty list the API answers with.
pub fn list_or_null(items: Vec<String>) -> Dyn {
    if items.is_empty() {
        Dyn::Null
    } else {
        Dyn::from(items)
    }
}

/// Reports a failed API call.
pub fn report(diags: &mut Diagnostics, action: &str, e: &ClientError) {
    diags.error(format!("Cannot {action}"), e.to_string());
}

/// `DELETE url`, where an object that is already gone counts as deleted.
pub async fn delete_url(client: &Client, url: &str, what: &str, diags: &mut Diagnostics) {
    match client.delete(url).await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => {}
        Err(e) => report(diags, &format!("delete {what}"), &e),
    }
}

/// `POST url` of a removal (`token/delete`, `secrets/delete`, ...), where an object that is
/// already gone counts as removed. `action` names it in diagnostics ("delete the secret").
pub async fn post_removal<B: serde::Serialize + ?Sized>(
    client: &Client,
    url: &str,
    body: &B,
    action: &str,
    diags: &mut Diagnostics,
) {
    match client.post::<_, serde_json::Value>(url, body).await {
        Ok(_) => {}
        Err(e) if e.is_not_found() => {}
        Err(e) => report(diags, action, &e),
    }
}

/// `GET url`: `Ok(None)` when the object is gone (so Read drops it from state).
pub async fn get_opt<T: serde::de::DeserializeOwned>(
    client: &Client,
    url: &str,
    what: &str,
    diags: &mut Diagnostics,
) -> Result<Option<T>, ()> {
    match client.get::<T>(url).await {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => {
            report(diags, &format!("read {what}"), &e);
            Err(())
        }
    }
}

/// Reports a connection that is not usable yet.
pub fn unconfigured(diags: &mut Diagnostics, why: String) {
    diags.error("Provider not configured", why);
}

/// The optional `workspace_id` every workspace-level resource takes (an Ironbrick extension):
/// with it, one account-level provider block manages resources in many workspaces.
pub fn workspace_id_attr() -> Attr {
    Attr::optional(
        "workspace_id",
        Ty::Number,
        "Workspace to manage this object in, through the account-level provider (Ironbrick \
         extension). Omit it to use the provider's workspace host. Import ids then take the \
         form `<workspace_id>/<id>`.",
    )
    .force_new()
}

/// The workspace API client and base URL for an object's `workspace_id`.
pub fn workspace(conn: &Arc<Conn>, o: &Obj, diags: &mut Diagnostics) -> Option<(Client, String)> {
    match conn.workspace(o.int("workspace_id").known()) {
        Ok(w) => Some(w),
        Err(why) => {
            unconfigured(diags, why);
            None
        }
    }
}

/// The account API client and base URL for an object's `account_id` (or the provider's).
pub fn account(conn: &Arc<Conn>, o: &Obj, diags: &mut Diagnostics) -> Option<(Client, String)> {
    match conn.account(o.opt_str("account_id")) {
        Ok(a) => Some(a),
        Err(why) => {
            unconfigured(diags, why);
            None
        }
    }
}

/// Splits an import id `<workspace_id>/<id>` (the Ironbrick form) from the official `<id>`.
/// Ids that are paths keep their leading `/`: `123//Shared/nb` and `123/Shared/nb` both mean
/// `/Shared/nb` in workspace 123.
pub fn split_workspace_import(id: &str, path_like: bool) -> (Option<i64>, String) {
    if path_like && id.starts_with('/') {
        return (None, id.to_owned());
    }
    if let Some((ws, rest)) = id.split_once('/') {
        if let Ok(ws) = ws.parse::<i64>() {
            if !rest.is_empty() {
                let rest = if path_like && !rest.starts_with('/') {
                    format!("/{rest}")
                } else {
                    rest.to_owned()
                };
                return (Some(ws), rest);
            }
        }
    }
    (None, id.to_owned())
}

/// A starting state for an imported workspace-level object.
pub fn imported(id: &str, path_like: bool) -> (Obj, String) {
    let (ws, rest) = split_workspace_import(id, path_like);
    let mut o = Obj::new();
    o.set("id", rest.clone());
    if let Some(ws) = ws {
        o.set("workspace_id", ws);
    }
    (o, rest)
}

/// Splits an account-level id `<account_id>/<object_id>`.
pub fn split_account_id(id: &str) -> (Option<String>, String) {
    match id.split_once('/') {
        Some((acct, obj)) if !acct.is_empty() && !obj.is_empty() => {
            (Some(acct.to_owned()), obj.to_owned())
        }
        _ => (None, id.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_ids_with_and_without_workspace() {
        assert_eq!(split_workspace_import("abc", false), (None, "abc".into()));
        assert_eq!(
            split_workspace_import("12/abc", false),
            (Some(12), "abc".into())
        );
        assert_eq!(
            split_workspace_import("12//Shared/x", true),
            (Some(12), "/Shared/x".into())
        );
        assert_eq!(
            split_workspace_import("12/Shared/x", true),
            (Some(12), "/Shared/x".into())
        );
        assert_eq!(
            split_workspace_import("/Shared/x", true),
            (None, "/Shared/x".into())
        );
        assert_eq!(
            split_workspace_import("s|||k", false),
            (None, "s|||k".into())
        );
    }

    #[test]
    fn account_ids_split_once() {
        assert_eq!(split_account_id("a/b"), (Some("a".into()), "b".into()));
        assert_eq!(split_account_id("b"), (None, "b".into()));
    }
}
