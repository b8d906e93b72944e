//! Account objects described once: credentials, storage configurations, networks, keys, VPC
//! endpoint registrations, private access settings and log delivery configurations are each an
//! [`AccountObject`] (where it is stored, what it is called, how a create request becomes
//! one), and their `create|list|get|delete` handlers are derived from that description by
//! [`routes`].
//!
//! Deleting an object that a workspace uses is refused ([`refs`]); objects with more to do on
//! create (a KMS check, references to other objects) do it in [`AccountObject::make`].
//!
//! The provisioning API answers bare objects and arrays; the billing API's log delivery wraps
//! them (`{"log_delivery_configuration": {...}}`), filters its list by query, and has no
//! delete: [`AccountObject::WRAP`], [`AccountObject::matches`] and [`AccountObject::DELETABLE`].

use super::refs::{self, Kind};
use crate::error::{ApiError, ApiResult};
use crate::json::Body;
use crate::repo;
use crate::state::AppState;
use crate::time::now_ms;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use ironbrick_api::Empty;
use ironbrick_store::record::Record;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// What a new object is given by the server.
#[derive(Debug, Clone)]
pub struct Fresh {
    /// Its id (a UUID).
    pub id: String,
    /// The account it belongs to.
    pub account_id: String,
    /// Creation time (ms).
    pub now: i64,
}

/// One kind of account object.
pub trait AccountObject: Send + Sync + 'static {
    /// The object as the API answers with it.
    type Wire: Serialize + Clone + Send + Sync + 'static;
    /// Its stored form.
    type Stored: Record + From<Self::Wire> + Into<Self::Wire> + Send + 'static;
    /// The body of `create`.
    type Create: DeserializeOwned + Send + 'static;
    /// Its kind: tree, name in messages, references from workspaces.
    const KIND: Kind;
    /// The collection's URL segment (`credentials`).
    const SEGMENT: &'static str;
    /// The name of its id (`credentials_id`), the route's path parameter.
    const ID: &'static str;
    /// The keys wrapping one object and a list in answers (`log_delivery_configuration`,
    /// `log_delivery_configurations`); `None` answers them bare.
    const WRAP: Option<(&'static str, &'static str)> = None;
    /// Whether `DELETE` is routed (log delivery configurations are disabled, never deleted).
    const DELETABLE: bool = true;

    /// The object's id.
    fn id(o: &Self::Wire) -> &str;

    /// Checks a create request and makes the object.
    fn make(state: &AppState, req: Self::Create, fresh: Fresh) -> ApiResult<Self::Wire>;

    /// What other account object (not a workspace: those are [`refs`]) still uses object
    /// `id`, for the refusal of its deletion.
    fn used_by(_state: &AppState, _id: &str) -> ApiResult<Option<String>> {
        Ok(None)
    }

    /// Whether `o` passes the list's query filters (all pass by default; unknown query
    /// parameters are ignored, as Databricks does).
    fn matches(_o: &Self::Wire, _query: &HashMap<String, String>) -> ApiResult<bool> {
        Ok(true)
    }
}

/// The answer for one object, wrapped as `O` wants.
pub fn answer<O: AccountObject>(o: &O::Wire) -> ApiResult<Json<Value>> {
    let v = serde_json::to_value(o).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(match O::WRAP {
        Some((one, _)) => serde_json::json!({ one: v }),
        None => v,
    }))
}

/// The routes of `O`, relative to `/api/2.0/accounts/{account_id}`.
pub fn routes<O: AccountObject>() -> Router<AppState> {
    let one = get(fetch::<O>);
    let one = if O::DELETABLE {
        one.delete(delete::<O>)
    } else {
        one
    };
    Router::new()
        .route(
            &format!("/{}", O::SEGMENT),
            get(list::<O>).post(create::<O>),
        )
        .route(&format!("/{}/{{{}}}", O::SEGMENT, O::ID), one)
}

/// Stores `o` (new or replaced).
pub async fn save<O: AccountObject>(state: &AppState, o: &O::Wire) -> ApiResult<()> {
    put::<O>(state, o)?;
    state.flush().await
}

/// Stores `o` without waiting for it to be durable.
fn put<O: AccountObject>(state: &AppState, o: &O::Wire) -> ApiResult<()> {
    let record = O::Stored::from(o.clone());
    let id = O::id(o).to_owned();
    state
        .store()
        .transact(|tx| repo::tx_put(tx, O::KIND.tree(), &id, &record).map_err(ApiError::from))
}

/// Serializes the checks that look at other objects of the account with the write they admit:
/// two log delivery creates must not both see room for one more under the limits, and a
/// credential or storage configuration must not be deleted while a configuration naming it is
/// created. Held from [`AccountObject::make`] (or [`AccountObject::used_by`]) to the committed
/// write, never across a flush or an `await`.
static CHECKED_WRITES: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Holds [`CHECKED_WRITES`].
pub fn checked_writes() -> ApiResult<std::sync::MutexGuard<'static, ()>> {
    CHECKED_WRITES
        .lock()
        .map_err(|_| ApiError::Internal("account object lock poisoned".into()))
}

/// Object `id` of kind `O`, or RESOURCE_DOES_NOT_EXIST.
pub fn find<O: AccountObject>(state: &AppState, id: &str) -> ApiResult<O::Wire> {
    repo::get::<O::Stored>(state.store(), O::KIND.tree(), id)?
        .map(Into::into)
        .ok_or_else(|| ApiError::not_found(format!("{} {id} does not exist.", O::KIND.noun())))
}

/// Every object of kind `O`.
pub fn all<O: AccountObject>(state: &AppState) -> ApiResult<Vec<O::Wire>> {
    Ok(repo::scan::<O::Stored>(state.store(), O::KIND.tree(), "")?
        .into_iter()
        .map(Into::into)
        .collect())
}

async fn create<O: AccountObject>(
    State(state): State<AppState>,
    Body(req): Body<O::Create>,
) -> ApiResult<Json<Value>> {
    let fresh = Fresh {
        id: crate::ids::uuid(),
        account_id: state.account_id().to_owned(),
        now: now_ms(),
    };
    let o = {
        let _checked = checked_writes()?;
        let o = O::make(&state, req, fresh)?;
        put::<O>(&state, &o)?;
        o
    };
    state.flush().await?;
    answer::<O>(&o)
}

async fn list<O: AccountObject>(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let mut found = Vec::new();
    for o in all::<O>(&state)? {
        if O::matches(&o, &query)? {
            found.push(o);
        }
    }
    let v = serde_json::to_value(found).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(match O::WRAP {
        Some((_, many)) => serde_json::json!({ many: v }),
        None => v,
    }))
}

async fn fetch<O: AccountObject>(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    answer::<O>(&find::<O>(&state, &id)?)
}

async fn delete<O: AccountObject>(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
) -> ApiResult<Json<Empty>> {
    find::<O>(&state, &id)?;
    {
        let _checked = checked_writes()?;
        if let Some(user) = O::used_by(&state, &id)? {
            return Err(ApiError::invalid_state(format!(
                "{} {id} is in use by {user} and cannot be deleted.",
                O::KIND.noun()
            )));
        }
        state
            .store()
            .transact(|tx| refs::delete_unused(tx, O::KIND, &id))?;
    }
    state.flush().await?;
    Ok(Json(Empty {}))
}
