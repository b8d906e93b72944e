//! `GET /api/2.1/clusters/list`: the clusters the caller may attach to, filtered by
//! `filter_by.{cluster_states,cluster_sources,policy_id,is_pinned}` (the SDK spells nested
//! query fields with dots and repeats list fields), sorted by `sort_by.{field,direction}` and
//! paged by `page_size`/`page_token`.

use crate::auth::WorkspaceCtx;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::{Extension, Json};
use ironbrick_api::clusters::{ClusterInfo, ListClustersResponse, State as ClusterState};
use serde_json::Value;

const MAX_PAGE: usize = 100;

#[derive(Debug, Default)]
struct Filters {
    states: Vec<ClusterState>,
    sources: Vec<String>,
    policy_id: Option<String>,
    pinned: Option<bool>,
    by_name: bool,
    descending: bool,
    page_size: Option<usize>,
    offset: usize,
}

fn parse(pairs: Vec<(String, String)>) -> ApiResult<Filters> {
    let mut f = Filters::default();
    for (k, v) in pairs {
        match k.as_str() {
            "filter_by.cluster_states" => f.states.push(
                v.parse()
                    .map_err(|_| ApiError::invalid(format!("{v:?} is not a cluster state.")))?,
            ),
            "filter_by.cluster_sources" => f.sources.push(v),
            "filter_by.policy_id" => f.policy_id = Some(v),
            "filter_by.is_pinned" => f.pinned = Some(v == "true"),
            "sort_by.field" => match v.as_str() {
                "CLUSTER_NAME" => f.by_name = true,
                "DEFAULT" => f.by_name = false,
                _ => {
                    return Err(ApiError::invalid(
                        "sort_by.field must be CLUSTER_NAME or DEFAULT.",
                    ))
                }
            },
            "sort_by.direction" => match v.as_str() {
                "DESC" => f.descending = true,
                "ASC" => f.descending = false,
                _ => return Err(ApiError::invalid("sort_by.direction must be ASC or DESC.")),
            },
            "page_size" => {
                let n: usize = v
                    .parse()
                    .map_err(|_| ApiError::invalid("page_size must be a number."))?;
                f.page_size = Some(n.clamp(1, MAX_PAGE));
            }
            "page_token" if !v.is_empty() => {
                f.offset = v
                    .parse()
                    .map_err(|_| ApiError::invalid("page_token is not one this server issued."))?;
            }
            _ => {}
        }
    }
    Ok(f)
}

impl Filters {
    fn keeps(&self, c: &ClusterInfo) -> bool {
        (self.states.is_empty() || self.states.contains(&c.state))
            && (self.sources.is_empty() || self.sources.contains(&c.cluster_source))
            && self.policy_id.as_ref().is_none_or(|p| {
                c.attributes.get("policy_id").and_then(Value::as_str) == Some(p.as_str())
            })
            && self.pinned.is_none_or(|p| c.is_pinned == p)
    }
}

fn name(c: &ClusterInfo) -> String {
    c.attributes
        .get("cluster_name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_lowercase()
}

/// Default order: live clusters first, pinned before unpinned, then by name.
fn default_rank(c: &ClusterInfo) -> (bool, bool, String) {
    (c.state == ClusterState::Terminated, !c.is_pinned, name(c))
}

pub async fn list(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> ApiResult<Json<ListClustersResponse>> {
    let f = parse(pairs)?;
    let mut clusters: Vec<ClusterInfo> = super::visible(&state, &ctx)?
        .into_iter()
        .map(|rec| rec.info)
        .filter(|c| f.keeps(c))
        .collect();
    if f.by_name {
        clusters.sort_by_key(name);
    } else {
        clusters.sort_by_key(default_rank);
    }
    if f.descending {
        clusters.reverse();
    }
    let total = clusters.len();
    let Some(size) = f.page_size else {
        return Ok(Json(ListClustersResponse {
            clusters,
            ..ListClustersResponse::default()
        }));
    };
    let end = (f.offset + size).min(total);
    let page: Vec<ClusterInfo> = clusters
        .into_iter()
        .skip(f.offset)
        .take(end.saturating_sub(f.offset))
        .collect();
    Ok(Json(ListClustersResponse {
        clusters: page,
        next_page_token: (end < total).then(|| end.to_string()),
        prev_page_token: (f.offset > 0).then(|| f.offset.saturating_sub(size).to_string()),
    }))
}
