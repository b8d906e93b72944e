//! `POST /api/2.1/clusters/events`: a cluster's history, newest first unless `order` is ASC,
//! filtered by time and type, paged by `offset`/`limit` (answered with `next_page`, the request
//! for the next page) or by `page_size`/`page_token`.

use super::{authorize, store};
use crate::auth::WorkspaceCtx;
use crate::authz::Level;
use crate::error::{ApiError, ApiResult};
use crate::json::Body;
use crate::state::AppState;
use crate::time::now_ms;
use axum::extract::State;
use axum::{Extension, Json};
use ironbrick_api::clusters::{ClusterEvent, GetEvents, GetEventsResponse};

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 500;

pub async fn events(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<GetEvents>,
) -> ApiResult<Json<GetEventsResponse>> {
    let id = crate::validate::required("cluster_id", &req.cluster_id)?;
    let (_, unsaved) = store::load(&state, ctx.id(), id, now_ms())?;
    authorize(&state, &ctx, id, Level::CanAttachTo)?;
    let mut all = store::stored_events(&state, ctx.id(), id)?;
    all.extend(unsaved.into_iter().map(|e| e.event));
    let page = select(all, &req)?;
    Ok(Json(page))
}

fn select(mut all: Vec<ClusterEvent>, req: &GetEvents) -> ApiResult<GetEventsResponse> {
    let descending = match req.order.as_deref() {
        None | Some("DESC") => true,
        Some("ASC") => false,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "order {other:?} must be ASC or DESC."
            )))
        }
    };
    all.retain(|e| {
        req.start_time.is_none_or(|t| e.timestamp >= t)
            && req.end_time.is_none_or(|t| e.timestamp <= t)
            && (req.event_types.is_empty() || req.event_types.contains(&e.kind))
    });
    if descending {
        all.reverse();
    }
    let offset = match (&req.page_token, req.offset) {
        (Some(token), _) if !token.is_empty() => token
            .parse::<i64>()
            .map_err(|_| ApiError::invalid("page_token is not one this server issued."))?,
        (_, offset) => offset.unwrap_or(0),
    };
    let limit = req.page_size.or(req.limit).unwrap_or(DEFAULT_LIMIT);
    if offset < 0 || !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(format!(
            "offset must be at least 0 and limit (page_size) between 1 and {MAX_LIMIT}."
        )));
    }
    let total = all.len() as i64;
    let end = (offset + limit).min(total);
    let events: Vec<ClusterEvent> = all
        .into_iter()
        .skip(offset as usize)
        .take((end - offset).max(0) as usize)
        .collect();
    let more = end < total;
    let next_page = more.then(|| GetEvents {
        offset: Some(end),
        limit: Some(limit),
        page_size: None,
        page_token: None,
        ..req.clone()
    });
    Ok(GetEventsResponse {
        events,
        next_page,
        next_page_token: more.then(|| end.to_string()),
        total_count: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn history() -> Vec<ClusterEvent> {
        ["CREATING", "RUNNING", "EDITED", "RESTARTING", "RUNNING"]
            .iter()
            .enumerate()
            .map(|(i, kind)| ClusterEvent {
                cluster_id: "c".into(),
                timestamp: i as i64 * 10,
                kind: (*kind).into(),
                details: Value::Null,
            })
            .collect()
    }

    #[test]
    fn newest_first_in_pages() {
        let req = GetEvents {
            cluster_id: "c".into(),
            limit: Some(2),
            ..GetEvents::default()
        };
        let first = select(history(), &req).unwrap();
        assert_eq!(first.total_count, 5);
        assert_eq!(first.events[0].timestamp, 40);
        let next = first.next_page.clone().unwrap();
        let second = select(history(), &next).unwrap();
        assert_eq!(second.events[0].timestamp, 20);
        let last = select(history(), &second.next_page.unwrap()).unwrap();
        assert_eq!(last.events.len(), 1);
        assert!(last.next_page.is_none());
    }

    #[test]
    fn filters_by_type_and_time() {
        let req = GetEvents {
            cluster_id: "c".into(),
            order: Some("ASC".into()),
            event_types: vec!["RUNNING".into()],
            start_time: Some(15),
            ..GetEvents::default()
        };
        let page = select(history(), &req).unwrap();
        let times: Vec<i64> = page.events.iter().map(|e| e.timestamp).collect();
        assert_eq!(times, [40]);
    }
}
