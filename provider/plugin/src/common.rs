//! Helpers shared by resources: error reporting, workspace scoping, import ids.

use ironbrick_api::client::{Client, ClientError};
use std::sync::Arc;
use tf_framework::{Attr, Block, Diagnostics, Dyn, NestedBlock, Obj, Path, Ty, Value};

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

/// The `/api/2.1` base of a workspace API base URL (`.../api/2.0`), where the official SDKs call
/// the clusters API.
pub fn api_2_1(base: &str) -> String {
    match base.strip_suffix("/api/2.0") {
        Some(root) => format!("{root}/api/2.1"),
        None => base.to_owned(),
    }
}

/// Reports a connection that is not usable yet.
pub fn unconfigured(diags: &mut Diagnostics, why: String) {
    diags.error("Provider not configured", why);
}

/// The `provider_config { workspace_id }` block of every workspace-level resource and data
/// source, as in the official provider: with it, one account-level provider block manages
/// objects in many workspaces. Changing the workspace replaces the object (it is destroyed in
/// the old workspace and created in the new one).
pub fn provider_config() -> NestedBlock {
    NestedBlock::single_list(
        "provider_config",
        Block::new(
            "Where this object lives, for a provider configured with the account host.",
            vec![Attr::optional(
                "workspace_id",
                Ty::String,
                "Numeric id of the workspace to manage this object in (a number converts). \
                 When omitted, the provider's `workspace_id` is used, else the provider's \
                 host must be a workspace URL.",
            )
            .force_new()],
        ),
    )
}

/// Ironbrick's earlier name for `provider_config { workspace_id }`, kept so that existing
/// configurations and state go on working; Terraform warns when it is set.
pub fn workspace_id_attr() -> Attr {
    Attr::optional(
        "workspace_id",
        Ty::Number,
        "Deprecated: use `provider_config { workspace_id }`. Workspace to manage this object \
         in, through the account-level provider.",
    )
    .force_new()
    .deprecated(
        "Use `provider_config { workspace_id = \"...\" }`, as the official Databricks provider \
         does; the top-level workspace_id will be removed in a future release.",
    )
}

/// Adds the workspace scoping every workspace-level schema carries: `provider_config` and the
/// deprecated top-level `workspace_id`.
pub fn workspace_scoped(mut block: Block) -> Block {
    block.attrs.push(workspace_id_attr());
    block.with_block(provider_config())
}

/// The workspace an object names: `provider_config.workspace_id`, else the deprecated
/// top-level `workspace_id`, else the provider's `workspace_id`. `Ok(None)` means the
/// provider's host is the workspace.
pub fn workspace_id_of(conn: &Conn, o: &Obj) -> Result<Option<i64>, String> {
    let named = own_workspace(o).or_else(|| {
        conn.default_workspace_id()
            .known()
            .filter(|s| !s.is_empty())
    });
    named
        .map(|id| {
            id.trim().parse::<i64>().map_err(|_| {
                format!("workspace_id {id:?} is not a numeric workspace id (such as 1234567890).")
            })
        })
        .transpose()
}

/// The workspace an object's own configuration names, as written: `provider_config.workspace_id`
/// or the deprecated top-level `workspace_id`.
pub fn own_workspace(o: &Obj) -> Option<String> {
    o.block("provider_config")
        .and_then(|pc| pc.opt_str("workspace_id"))
        .or_else(|| o.int("workspace_id").known().map(|id| id.to_string()))
}

/// The workspace API client and base URL for the workspace an object names (see
/// [`workspace_id_of`]).
pub fn workspace(conn: &Arc<Conn>, o: &Obj, diags: &mut Diagnostics) -> Option<(Client, String)> {
    let found = workspace_id_of(conn, o).and_then(|ws| {
        let (client, base) = conn.workspace(ws)?;
        match (ws, host_workspace(client.host())) {
            (Some(named), Some(host)) if named != host => Err(format!(
                "workspace_id mismatch: the provider's host is workspace {host}, but this object \
                 names workspace {named} in provider_config. Configure the provider with the \
                 account host to manage objects in several workspaces."
            )),
            _ => Ok((client, base)),
        }
    });
    match found {
        Ok(w) => Some(w),
        Err(why) => {
            unconfigured(diags, why);
            None
        }
    }
}

/// The workspace of a path-form workspace URL (`{host}/w/{id}`).
fn host_workspace(host: &str) -> Option<i64> {
    let (_, rest) = host.rsplit_once("/w/")?;
    rest.trim_end_matches('/').parse().ok()
}

/// Plan-time check of `provider_config.workspace_id`, when it is known.
pub fn check_workspace_id(config: &Obj, diags: &mut Diagnostics) {
    let Some(pc) = config.block("provider_config") else {
        return;
    };
    if let Value::Known(id) = pc.string("workspace_id") {
        if id.trim().parse::<i64>().map_or(true, |n| n <= 0) {
            diags.error_at(
                Path::attr("provider_config").index(0).then("workspace_id"),
                "Invalid workspace_id",
                format!("{id:?} is not a numeric workspace id (such as 1234567890)."),
            );
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

/// A starting state for an imported workspace-level object. The workspace, from
/// `<workspace_id>/<id>` or else the provider's `workspace_id`, is recorded in
/// `provider_config`, as a configuration written the official way names it.
pub fn imported(conn: &Conn, id: &str, path_like: bool) -> (Obj, String) {
    let (ws, rest) = split_workspace_import(id, path_like);
    let ws = ws.or_else(|| workspace_id_of(conn, &Obj::new()).ok().flatten());
    let mut o = Obj::new();
    o.set("id", rest.clone());
    set_workspace(&mut o, ws);
    (o, rest)
}

/// Records the workspace of an imported object in `provider_config`.
pub fn set_workspace(o: &mut Obj, ws: Option<i64>) {
    if let Some(ws) = ws {
        let mut pc = Obj::new();
        pc.set("workspace_id", ws.to_string());
        o.set_block("provider_config", Some(pc));
    }
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

    fn scoped(pc: Option<&str>, top: Option<i64>) -> Obj {
        let mut o = Obj::new();
        if let Some(ws) = pc {
            let mut b = Obj::new();
            b.set("workspace_id", ws);
            o.set_block("provider_config", Some(b));
        }
        o.set("workspace_id", top);
        o
    }

    #[test]
    fn provider_config_names_the_workspace_before_the_deprecated_attribute() {
        let conn = Conn::default();
        assert_eq!(
            workspace_id_of(&conn, &scoped(Some("42"), Some(7))),
            Ok(Some(42))
        );
        assert_eq!(workspace_id_of(&conn, &scoped(None, Some(7))), Ok(Some(7)));
        assert_eq!(workspace_id_of(&conn, &scoped(None, None)), Ok(None));
        let bad = workspace_id_of(&conn, &scoped(Some("prod"), None)).unwrap_err();
        assert!(bad.contains("not a numeric workspace id"), "{bad}");
        let mut diags = Diagnostics::default();
        check_workspace_id(&scoped(Some("0"), None), &mut diags);
        assert!(diags.has_errors());
        let mut diags = Diagnostics::default();
        check_workspace_id(&scoped(Some("1234"), None), &mut diags);
        assert!(!diags.has_errors());
    }

    #[test]
    fn imports_record_the_workspace_in_provider_config() {
        let (o, rest) = imported(&Conn::default(), "12/abc", false);
        assert_eq!(rest, "abc");
        assert_eq!(own_workspace(&o).as_deref(), Some("12"));
        assert!(o.get("workspace_id").is_null());
        assert_eq!(host_workspace("http://h:1/w/9"), Some(9));
        assert_eq!(host_workspace("http://h:1"), None);
    }

    #[test]
    fn clusters_calls_use_api_2_1() {
        assert_eq!(api_2_1("http://h:1/w/9/api/2.0"), "http://h:1/w/9/api/2.1");
        assert_eq!(api_2_1("http://h:1/api/2.0"), "http://h:1/api/2.1");
    }

    #[test]
    fn account_ids_split_once() {
        assert_eq!(split_account_id("a/b"), (Some("a".into()), "b".into()));
        assert_eq!(split_account_id("b"), (None, "b".into()));
    }
}
