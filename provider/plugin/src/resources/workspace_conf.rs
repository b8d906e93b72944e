//! `databricks_workspace_conf`: workspace settings (`enableIpAccessLists`,
//! `maxTokenLifetimeDays`, `enableTokensConfig`). Keys removed from `custom_config`, and all keys
//! on destroy, return to their defaults.

use crate::common::{
    check_workspace_id, own_workspace, report, set_workspace, split_workspace_import, workspace,
    workspace_scoped, Conn,
};
use ironbrick_api::client::Client;
use ironbrick_api::workspace_conf::{default_of, normalize_value, WorkspaceConf, KNOWN_KEYS};
use std::collections::BTreeMap;
use std::sync::Arc;
use tf_framework::{
    async_trait, Attr, Block, Diagnostics, Dyn, Obj, Path, Resource, Schema, Ty, Value,
};

pub struct WorkspaceConfResource(pub Arc<Conn>);

/// The `custom_config` key an imported state carries until its first read, which then records
/// every setting that differs from its default (the configuration that imports it names none
/// yet). No real setting has this name.
const IMPORT_ALL: &str = "*";

fn config(o: &Obj) -> BTreeMap<String, String> {
    o.string_map("custom_config").known().unwrap_or_default()
}

/// `o` with `custom_config` set to `conf`; an unset (null) `custom_config` stays null while it
/// holds nothing, so a configuration without one never differs from its state.
fn with_config(mut o: Obj, conf: &BTreeMap<String, String>) -> Obj {
    let map = if conf.is_empty() && o.get("custom_config").is_null() {
        Dyn::Null
    } else {
        Dyn::Map(
            conf.iter()
                .map(|(k, v)| (k.clone(), Dyn::from(v.as_str())))
                .collect(),
        )
    };
    let id = own_workspace(&o).unwrap_or_else(|| "_".to_owned());
    o.set("id", id).set("custom_config", map);
    o
}

async fn patch(client: &Client, base: &str, body: &WorkspaceConf, diags: &mut Diagnostics) -> bool {
    if body.is_empty() {
        return true;
    }
    match client
        .patch::<_, serde_json::Value>(&format!("{base}/workspace-conf"), body)
        .await
    {
        Ok(_) => true,
        Err(e) => {
            report(diags, "set the workspace configuration", &e);
            false
        }
    }
}

/// What to send to move from `prior` to `next`: changed keys, and removed keys reset to default.
fn changes(prior: &BTreeMap<String, String>, next: &BTreeMap<String, String>) -> WorkspaceConf {
    let mut body: WorkspaceConf = next
        .iter()
        .filter(|(k, v)| prior.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for k in prior.keys().filter(|k| !next.contains_key(*k)) {
        body.insert(k.clone(), String::new());
    }
    body
}

#[async_trait]
impl Resource for WorkspaceConfResource {
    fn type_name(&self) -> &'static str {
        "databricks_workspace_conf"
    }

    fn schema(&self) -> Schema {
        Schema::new(workspace_scoped(Block::new(
            "Workspace settings.",
            vec![
                Attr::optional_computed(
                    "id",
                    Ty::String,
                    "`_`, or the workspace id when `provider_config` names one.",
                ),
                Attr::optional(
                    "custom_config",
                    Ty::map_of_strings(),
                    "Settings to enforce, e.g. `enableIpAccessLists = true`.",
                ),
            ],
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        let Value::Known(map) = config.string_map("custom_config") else {
            return;
        };
        for (k, v) in map {
            let at = Path::attr("custom_config");
            if !KNOWN_KEYS.contains(&k.as_str()) {
                diags.error_at(
                    at,
                    "Unknown workspace setting",
                    format!("{k:?} is not one of {KNOWN_KEYS:?}."),
                );
            } else if v.is_empty() {
                diags.error_at(
                    at,
                    format!("Invalid {k}"),
                    "An empty value is not a setting; remove the key to return to the default.",
                );
            } else if let Err(why) = normalize_value(&k, &v) {
                diags.error_at(at, format!("Invalid {k}"), why);
            }
        }
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &planned, diags)?;
        let conf = config(&planned);
        patch(&client, &base, &conf, diags)
            .await
            .then(|| with_config(planned, &conf))
    }

    async fn read(&self, mut st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &st, diags)?;
        let importing = config(&st).contains_key(IMPORT_ALL);
        let keys: Vec<String> = if importing {
            KNOWN_KEYS.iter().map(|k| k.to_string()).collect()
        } else {
            config(&st).into_keys().collect()
        };
        if keys.is_empty() {
            return Some(st);
        }
        let url = format!("{base}/workspace-conf");
        match client
            .get_query::<WorkspaceConf>(&url, &[("keys", &keys.join(","))])
            .await
        {
            Ok(current) => {
                let prior = config(&st);
                let merged = current
                    .into_iter()
                    .map(|(k, v)| {
                        let same = prior.get(&k).is_some_and(|p| p.eq_ignore_ascii_case(&v));
                        let v = if same { prior[&k].clone() } else { v };
                        (k, v)
                    })
                    .filter(|(k, v)| !importing || v != default_of(k))
                    .collect();
                if importing {
                    st.set("custom_config", Dyn::Null);
                }
                Some(with_config(st, &merged))
            }
            Err(e) if e.is_not_found() => None,
            Err(e) => {
                report(diags, "read the workspace configuration", &e);
                Some(st)
            }
        }
    }

    async fn update(&self, prior: Obj, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &planned, diags)?;
        let next = config(&planned);
        patch(&client, &base, &changes(&config(&prior), &next), diags)
            .await
            .then(|| with_config(planned, &next))
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        if let Some((client, base)) = workspace(&self.0, &st, diags) {
            patch(
                &client,
                &base,
                &changes(&config(&st), &BTreeMap::new()),
                diags,
            )
            .await;
        }
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        let (ws, _) = split_workspace_import(&format!("{id}/_"), false);
        let mut o = Obj::new();
        o.set("id", ws.map_or_else(|| "_".to_owned(), |w| w.to_string()))
            .set(
                "custom_config",
                Dyn::Map([(IMPORT_ALL.to_owned(), Dyn::from(""))].into()),
            );
        set_workspace(&mut o, ws);
        Some(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_keys_reset_and_unchanged_keys_are_not_sent() {
        let prior = BTreeMap::from([
            ("enableIpAccessLists".to_owned(), "true".to_owned()),
            ("maxTokenLifetimeDays".to_owned(), "90".to_owned()),
        ]);
        let next = BTreeMap::from([("enableIpAccessLists".to_owned(), "true".to_owned())]);
        let body = changes(&prior, &next);
        assert_eq!(
            body,
            BTreeMap::from([("maxTokenLifetimeDays".to_owned(), String::new())])
        );
    }
}
