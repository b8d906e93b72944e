//! `databricks_workspace_conf`: workspace settings (`enableIpAccessLists`,
//! `maxTokenLifetimeDays`, `enableTokensConfig`). Keys removed from `custom_config`, and all keys
//! on destroy, return to their defaults.

use crate::common::{report, split_workspace_import, workspace, workspace_id_attr, Conn};
use ironbrick_api::client::Client;
use ironbrick_api::workspace_conf::{default_of, normalize_value, WorkspaceConf, KNOWN_KEYS};
use std::collections::BTreeMap;
use std::sync::Arc;
use tf_framework::{
    async_trait, Attr, Block, Diagnostics, Dyn, Obj, Path, Resource, Schema, Ty, Value,
};

pub struct WorkspaceConfResource(pub Arc<Conn>);

fn config(o: &Obj) -> BTreeMap<String, String> {
    o.string_map("custom_config").known().unwrap_or_default()
}

fn with_config(mut o: Obj, conf: &BTreeMap<String, String>) -> Obj {
    let map = conf
        .iter()
        .map(|(k, v)| (k.clone(), Dyn::from(v.as_str())))
        .collect();
    let ws = o.int("workspace_id").known();
    o.set("id", ws.map_or_else(|| "_".to_owned(), |w| w.to_string()))
        .set("custom_config", Dyn::Map(map));
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
        Schema::new(Block::new(
            "Workspace settings.",
            vec![
                Attr::computed(
                    "id",
                    Ty::String,
                    "`_`, or the workspace id with `workspace_id`.",
                ),
                workspace_id_attr(),
                Attr::required(
                    "custom_config",
                    Ty::map_of_strings(),
                    "Settings to enforce, e.g. `enableIpAccessLists = true`.",
                ),
            ],
        ))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
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

    async fn read(&self, st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &st, diags)?;
        let importing = st.get("custom_config").is_null();
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
        o.set("workspace_id", ws)
            .set("id", ws.map_or_else(|| "_".to_owned(), |w| w.to_string()));
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
