//! `databricks_cluster`: a cluster (`/api/2.0/clusters/*`), checked by the server against its
//! cluster policy on create and edit, with its libraries (`/api/2.0/libraries/*`).
//!
//! The specification sent is the configuration ([`crate::api_json`]); state is read back from
//! the specification the server stored as sent (`spec`), so values a policy fills in or fixes
//! do not show up as drift. Create waits for RUNNING unless `no_wait`; an edit of a running
//! cluster restarts it and waits again. Destroy deletes the cluster permanently.

mod schema;

use crate::api_json;
use crate::common::{check_workspace_id, imported, report, workspace, Conn};
use ironbrick_api::client::Client;
use ironbrick_api::clusters::{ClusterId, ClusterLibraryStatuses, InstallLibraries};
use serde_json::{Map, Value as Json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tf_framework::{async_trait, Block, Diagnostics, Dyn, NestedBlock, Obj, Resource, Schema};

pub struct Cluster(pub Arc<Conn>);

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// The `library` blocks: the policy resource's `libraries` blocks under the cluster's name.
fn library_block() -> NestedBlock {
    NestedBlock {
        name: "library",
        ..super::cluster_policy::libraries::block()
    }
}

fn block() -> Block {
    schema::schema(library_block()).block
}

fn id(o: &Obj) -> String {
    o.opt_str("cluster_id")
        .or_else(|| o.opt_str("id"))
        .unwrap_or_default()
}

/// The specification of a plan, as create and edit take it.
fn spec(o: &Obj) -> Map<String, Json> {
    let mut spec = api_json::to_api(&block(), &Dyn::from(o.clone()), &schema::NOT_SENT);
    if spec.contains_key("autoscale") {
        spec.remove("num_workers");
    }
    spec
}

/// The libraries of a plan, as the libraries API takes them.
fn libraries(o: &Obj) -> Vec<Json> {
    let lib = library_block();
    match o.get("library") {
        Dyn::List(items) => items
            .iter()
            .map(|i| Json::Object(api_json::to_api(&lib.block, i, &[])))
            .collect(),
        _ => Vec::new(),
    }
}

/// State from the server's cluster and library statuses.
fn state(
    mut st: Obj,
    cluster: &Map<String, Json>,
    libs: &ClusterLibraryStatuses,
    host: &str,
) -> Obj {
    let requested = cluster
        .get("spec")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    for (k, v) in api_json::from_api(&block(), &requested, &schema::NOT_SENT) {
        if !schema::NOT_SENT.contains(&k.as_str()) && k != "workspace_id" {
            st.set(&k, v);
        }
    }
    let lib = library_block();
    let installed: Vec<Dyn> = libs
        .library_statuses
        .iter()
        .filter(|s| s.status != "UNINSTALL_ON_RESTART" && s.messages.is_empty())
        .filter_map(|s| s.library.as_object())
        .map(|l| Dyn::Map(api_json::from_api(&lib.block, l, &[])))
        .collect();
    st.set("library", Dyn::List(installed));
    let cluster_id = cluster
        .get("cluster_id")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned();
    let text = |k: &str| cluster.get(k).and_then(Json::as_str).map(str::to_owned);
    let pinned = cluster.get("is_pinned").and_then(Json::as_bool) == Some(true);
    if pinned || !st.get("is_pinned").is_null() {
        st.set("is_pinned", pinned);
    }
    let tags = cluster.get("default_tags").map_or(Dyn::Null, |t| {
        api_json::typed(&tf_framework::Ty::map_of_strings(), t)
    });
    st.set("default_tags", tags)
        .set("state", text("state"))
        .set(
            "url",
            format!("{host}/#setting/clusters/{cluster_id}/configuration"),
        )
        .set("id", cluster_id.clone())
        .set("cluster_id", cluster_id);
    st
}

/// Client, API base, the workspace's web address, and the cluster's URL parts.
struct Api {
    client: Client,
    base: String,
}

impl Api {
    async fn cluster(
        &self,
        id: &str,
    ) -> Result<Option<Map<String, Json>>, ironbrick_api::client::ClientError> {
        let url = format!("{}/clusters/get?cluster_id={id}", self.base);
        match self.client.get::<Map<String, Json>>(&url).await {
            Ok(c) => Ok(Some(c)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn libraries(
        &self,
        id: &str,
    ) -> Result<ClusterLibraryStatuses, ironbrick_api::client::ClientError> {
        let url = format!("{}/libraries/cluster-status?cluster_id={id}", self.base);
        self.client.get(&url).await
    }

    async fn post(
        &self,
        path: &str,
        body: &impl serde::Serialize,
        action: &str,
        diags: &mut Diagnostics,
    ) -> Option<Json> {
        match self
            .client
            .post::<_, Json>(&format!("{}/{path}", self.base), body)
            .await
        {
            Ok(v) => Some(v),
            Err(e) => {
                report(diags, action, &e);
                None
            }
        }
    }

    /// Waits until the cluster's state is one of `wanted`; fails on TERMINATED or ERROR when
    /// those are not wanted, or after `timeout`.
    async fn wait(
        &self,
        id: &str,
        wanted: &[&str],
        timeout: Duration,
        diags: &mut Diagnostics,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        let mut pause = Duration::from_millis(100);
        loop {
            let state = match self.cluster(id).await {
                Ok(Some(c)) => c
                    .get("state")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                Ok(None) => {
                    diags.error(
                        "Cluster disappeared",
                        format!("Cluster {id} no longer exists."),
                    );
                    return false;
                }
                Err(e) => {
                    report(diags, "read the cluster", &e);
                    return false;
                }
            };
            if wanted.contains(&state.as_str()) {
                return true;
            }
            if matches!(state.as_str(), "TERMINATED" | "ERROR") {
                diags.error(
                    "Cluster stopped",
                    format!("Cluster {id} is {state}, not {}.", wanted.join(" or ")),
                );
                return false;
            }
            if Instant::now() >= deadline {
                diags.error(
                    "Timed out",
                    format!("Cluster {id} is still {state} after {timeout:?}."),
                );
                return false;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
        }
    }

    async fn change_libraries(
        &self,
        id: &str,
        prior: &[Json],
        planned: &[Json],
        diags: &mut Diagnostics,
    ) -> Option<()> {
        let gone: Vec<Json> = prior
            .iter()
            .filter(|l| !planned.contains(l))
            .cloned()
            .collect();
        let new: Vec<Json> = planned
            .iter()
            .filter(|l| !prior.contains(l))
            .cloned()
            .collect();
        for (path, libs, action) in [
            ("libraries/uninstall", gone, "uninstall libraries"),
            ("libraries/install", new, "install libraries"),
        ] {
            if !libs.is_empty() {
                let req = InstallLibraries {
                    cluster_id: id.to_owned(),
                    libraries: libs,
                };
                self.post(path, &req, action, diags).await?;
            }
        }
        Some(())
    }

    async fn pin(&self, id: &str, pinned: bool, diags: &mut Diagnostics) -> Option<()> {
        let path = if pinned {
            "clusters/pin"
        } else {
            "clusters/unpin"
        };
        let req = ClusterId {
            cluster_id: id.to_owned(),
        };
        self.post(path, &req, "pin or unpin the cluster", diags)
            .await
            .map(|_| ())
    }
}

impl Cluster {
    fn api(&self, o: &Obj, diags: &mut Diagnostics) -> Option<Api> {
        let (client, base) = workspace(&self.0, o, diags)?;
        Some(Api { client, base })
    }

    fn host(base: &str) -> String {
        base.trim_end_matches("/api/2.0").to_owned()
    }
}

#[async_trait]
impl Resource for Cluster {
    fn type_name(&self) -> &'static str {
        "databricks_cluster"
    }

    fn schema(&self) -> Schema {
        schema::schema(library_block())
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        schema::validate(config, diags);
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let api = self.api(&planned, diags)?;
        let created = api
            .post(
                "clusters/create",
                &spec(&planned),
                "create the cluster",
                diags,
            )
            .await?;
        let id = created
            .get("cluster_id")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut st = planned.clone();
        st.set("id", id.clone()).set("cluster_id", id.clone());
        if planned.bool("no_wait").known() != Some(true) {
            let timeout = crate::timeouts::get(&planned, "create", DEFAULT_TIMEOUT);
            if !api.wait(&id, &["RUNNING"], timeout, diags).await {
                return Some(st);
            }
        }
        api.change_libraries(&id, &[], &libraries(&planned), diags)
            .await?;
        if planned.bool("is_pinned").known() == Some(true) {
            api.pin(&id, true, diags).await?;
        }
        self.read(st, diags).await
    }

    async fn read(&self, st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let api = self.api(&st, diags)?;
        let id = id(&st);
        let found = match api.cluster(&id).await {
            Ok(found) => found,
            Err(e) => {
                report(diags, "read the cluster", &e);
                return Some(st);
            }
        };
        let cluster = found?;
        match api.libraries(&id).await {
            Ok(libs) => Some(state(st, &cluster, &libs, &Self::host(&api.base))),
            Err(e) => {
                report(diags, "read the cluster's libraries", &e);
                Some(st)
            }
        }
    }

    async fn update(&self, prior: Obj, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let api = self.api(&planned, diags)?;
        let id = id(&prior);
        let timeout = crate::timeouts::get(&planned, "update", DEFAULT_TIMEOUT);
        let edited = spec(&prior) != spec(&planned);
        if edited {
            let settled = ["RUNNING", "TERMINATED"];
            let now = match api.cluster(&id).await {
                Ok(Some(c)) => c
                    .get("state")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                Ok(None) => String::new(),
                Err(e) => {
                    report(diags, "read the cluster", &e);
                    return None;
                }
            };
            if !settled.contains(&now.as_str()) && !api.wait(&id, &settled, timeout, diags).await {
                return None;
            }
            let mut body = spec(&planned);
            body.insert("cluster_id".into(), Json::String(id.clone()));
            api.post("clusters/edit", &body, "edit the cluster", diags)
                .await?;
            let wait = now != "TERMINATED" && planned.bool("no_wait").known() != Some(true);
            if wait && !api.wait(&id, &["RUNNING"], timeout, diags).await {
                return None;
            }
        }
        api.change_libraries(&id, &libraries(&prior), &libraries(&planned), diags)
            .await?;
        let pinned = |o: &Obj| o.bool("is_pinned").known() == Some(true);
        if pinned(&prior) != pinned(&planned) {
            api.pin(&id, pinned(&planned), diags).await?;
        }
        self.read(planned, diags).await
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        let Some(api) = self.api(&st, diags) else {
            return;
        };
        let req = ClusterId {
            cluster_id: id(&st),
        };
        let url = format!("{}/clusters/permanent-delete", api.base);
        match api.client.post::<_, Json>(&url, &req).await {
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => report(diags, "delete the cluster", &e),
        }
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(imported(&self.0, id, false).0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn autoscale_replaces_num_workers_and_provider_fields_stay_home() {
        let mut o = Obj::new();
        o.set("spark_version", "15.4.x-scala2.12")
            .set("num_workers", 2i64)
            .set("no_wait", true)
            .set(
                "custom_tags",
                Dyn::Map([("a".to_owned(), Dyn::from("b"))].into_iter().collect()),
            );
        let mut scale = Obj::new();
        scale.set("max_workers", 4i64);
        o.set("autoscale", Dyn::List(vec![Dyn::from(scale)]));
        let s = spec(&o);
        assert_eq!(
            Json::Object(s),
            json!({"spark_version": "15.4.x-scala2.12", "custom_tags": {"a": "b"},
                   "autoscale": {"max_workers": 4}})
        );
    }
}
