//! `data "databricks_clusters"`: the ids of the workspace's clusters the caller may attach to,
//! narrowed by `filter_by` (sent to `/api/2.1/clusters/list` as query parameters) and by a
//! case-insensitive substring of the cluster name (`cluster_name_contains`), as the official
//! provider does. Terminated clusters that are not permanently deleted are listed too.

use crate::common::{api_2_1, check_workspace_id, report, workspace, workspace_scoped, Conn};
use ironbrick_api::clusters::{ClusterInfo, ListClustersResponse, State};
use serde_json::Value as Json;
use std::future::Future;
use std::sync::Arc;
use tf_framework::{
    async_trait, Attr, Block, DataSource, Diagnostics, NestedBlock, Obj, Path, Schema, Ty, Value,
};

/// The `databricks_clusters` data source, over the provider's connection.
pub struct ClustersData(pub Arc<Conn>);

/// Clusters asked for per page of `/clusters/list` (the API's largest page).
const PAGE_SIZE: &str = "100";

/// Most pages read before giving up on a server whose page tokens never end.
const MAX_PAGES: usize = 10_000;

/// The `filter_by` block as `/clusters/list` query parameters: nested fields are spelled with
/// dots and list fields repeat (`filter_by.cluster_states=RUNNING&filter_by.cluster_states=
/// PENDING`). As in the official provider, `is_pinned = false` and an empty `policy_id` filter
/// nothing (they are the API's defaults).
pub fn filter_query(filter: Option<&Obj>) -> Vec<(&'static str, String)> {
    let Some(f) = filter else {
        return Vec::new();
    };
    let list = |name| f.strings(name).known().unwrap_or_default();
    let mut q = Vec::new();
    for source in list("cluster_sources") {
        q.push(("filter_by.cluster_sources", source));
    }
    for state in list("cluster_states") {
        q.push(("filter_by.cluster_states", state));
    }
    if f.bool("is_pinned").known() == Some(true) {
        q.push(("filter_by.is_pinned", "true".to_owned()));
    }
    if let Some(policy) = f.opt_str("policy_id") {
        q.push(("filter_by.policy_id", policy));
    }
    q
}

/// Whether a cluster named `name` passes `cluster_name_contains`: a case-insensitive
/// substring; an empty one passes every cluster.
pub fn name_matches(name: &str, contains: &str) -> bool {
    contains.is_empty() || name.to_lowercase().contains(&contains.to_lowercase())
}

/// The ids of the clusters whose name contains `contains` (see [`name_matches`]), in the
/// order listed.
pub fn matching_ids(clusters: &[ClusterInfo], contains: &str) -> Vec<String> {
    clusters
        .iter()
        .filter(|c| {
            let name = c.attributes.get("cluster_name").and_then(Json::as_str);
            name_matches(name.unwrap_or_default(), contains)
        })
        .map(|c| c.cluster_id.clone())
        .collect()
}

/// Every cluster of a listing: `page` is asked for the first page (no token), then for the
/// page of each `next_page_token` until one comes without (or after [`MAX_PAGES`] pages).
pub async fn all_pages<F, Fut, E>(mut page: F) -> Result<Vec<ClusterInfo>, E>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<ListClustersResponse, E>>,
{
    let mut clusters = Vec::new();
    let mut token = None;
    for _ in 0..MAX_PAGES {
        let got = page(token.take()).await?;
        clusters.extend(got.clusters);
        token = got.next_page_token.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    Ok(clusters)
}

/// Plan-time check of `filter_by.cluster_states`: each must be a cluster state.
fn check_states(config: &Obj, diags: &mut Diagnostics) {
    let Some(f) = config.block("filter_by") else {
        return;
    };
    if let Value::Known(states) = f.strings("cluster_states") {
        for s in states.iter().filter(|s| s.parse::<State>().is_err()) {
            diags.error_at(
                Path::attr("filter_by").index(0).then("cluster_states"),
                "Invalid cluster state",
                format!(
                    "{s:?} is not a cluster state: use PENDING, RUNNING, RESTARTING, RESIZING, \
                     TERMINATING, TERMINATED, ERROR or UNKNOWN."
                ),
            );
        }
    }
}

fn filter_block() -> NestedBlock {
    NestedBlock::single_list(
        "filter_by",
        Block::new(
            "Filters applied by the clusters API.",
            vec![
                Attr::optional(
                    "cluster_sources",
                    Ty::list_of_strings(),
                    "Only clusters created by these sources (`API`, `UI`, `JOB`, ...).",
                ),
                Attr::optional(
                    "cluster_states",
                    Ty::list_of_strings(),
                    "Only clusters in these states (`RUNNING`, `PENDING`, `TERMINATED`, ...).",
                ),
                Attr::optional(
                    "is_pinned",
                    Ty::Bool,
                    "`true`: only pinned clusters (`false` filters nothing).",
                ),
                Attr::optional(
                    "policy_id",
                    Ty::String,
                    "Only clusters created under this cluster policy.",
                ),
            ],
        ),
    )
}

#[async_trait]
impl DataSource for ClustersData {
    fn type_name(&self) -> &'static str {
        "databricks_clusters"
    }

    fn schema(&self) -> Schema {
        let block = Block::new(
            "Ids of the workspace's clusters, filtered by name and by `filter_by`.",
            vec![
                Attr::optional(
                    "cluster_name_contains",
                    Ty::String,
                    "Only clusters whose name contains this text (ignoring case).",
                ),
                Attr::optional_computed("id", Ty::String, "Always `_`."),
                Attr::optional_computed(
                    "ids",
                    Ty::set_of_strings(),
                    "Ids of the matching clusters.",
                ),
            ],
        )
        .with_block(filter_block());
        Schema::new(workspace_scoped(block))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        check_states(config, diags);
    }

    async fn read(&self, config: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &config, diags)?;
        let url = format!("{}/clusters/list", api_2_1(&base));
        let filter = config.block("filter_by");
        let base_query = filter_query(filter.as_ref());
        let clusters = all_pages(|token| {
            let (client, url, base_query) = (&client, &url, &base_query);
            async move {
                let mut q: Vec<(&str, &str)> =
                    base_query.iter().map(|(k, v)| (*k, v.as_str())).collect();
                q.push(("page_size", PAGE_SIZE));
                if let Some(t) = &token {
                    q.push(("page_token", t));
                }
                client.get_query::<ListClustersResponse>(url, &q).await
            }
        })
        .await;
        let clusters = match clusters {
            Ok(c) => c,
            Err(e) => {
                report(diags, "list the clusters", &e);
                return None;
            }
        };
        let contains = config.opt_str("cluster_name_contains").unwrap_or_default();
        let mut o = config;
        o.set("id", "_")
            .set("ids", matching_ids(&clusters, &contains));
        Some(o)
    }
}

#[cfg(test)]
mod tests;
