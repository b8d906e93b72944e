//! Workspace objects: notebooks, files and directories (`/workspace/import`, `export`, `list`,
//! `get-status`, `delete`, `mkdirs`). Content is sealed by the workspace's envelope before it
//! is stored; metadata (paths, sizes) is not secret.

use super::object_acl::{self, Groups};
use super::paths::{self, BUILT_IN_DIRS};
use crate::auth::WorkspaceCtx;
use crate::authz::{self, Acl, Action, Level};
use crate::error::{ApiError, ApiResult};
use crate::json::Body;
use crate::repo::{self, trees, ws_key};
use crate::state::AppState;
use crate::time::now_ms;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Query, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use base64::Engine;
use ironbrick_api::workspace_objects::{
    DeleteRequest, ExportResponse, ImportRequest, ListResponse, MkdirsRequest, ObjectInfo,
    LANGUAGES,
};
use ironbrick_api::{Empty, ErrorCode};
use ironbrick_store::record::Record;
use ironbrick_store::{Store, StoreError, Tx};
use rand::Rng;
use serde::{Deserialize, Serialize};

const OBJECTS: &str = trees::WS_OBJECTS;
const CONTENT: &str = trees::WS_CONTENT;
const IDS: &str = trees::WS_OBJECT_IDS;
/// The object id of the root directory `/` (as in Databricks).
pub const ROOT_ID: i64 = 0;
/// Envelope object class of notebook and file content.
pub const CONTENT_CLASS: &str = "workspace-object";
/// Largest notebook or file accepted, after base64 decoding.
pub const MAX_CONTENT: usize = 10 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/workspace/import",
            post(import).layer(DefaultBodyLimit::max(MAX_CONTENT * 4 / 3 + 64 * 1024)),
        )
        .route("/workspace/export", get(export))
        .route("/workspace/list", get(list))
        .route("/workspace/get-status", get(status))
        .route("/workspace/delete", post(delete))
        .route("/workspace/mkdirs", post(mkdirs))
}

/// A stored workspace object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ObjectRecord {
    pub(crate) object_id: i64,
    pub(crate) object_type: String,
    pub(crate) language: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) modified_at: i64,
    pub(crate) size: i64,
}

impl Record for ObjectRecord {}

pub(crate) fn key(ws: i64, path: &str) -> String {
    format!("{}{path}", ws_key(ws))
}

fn id_key(ws: i64, object_id: i64) -> String {
    format!("{}{object_id:020}", ws_key(ws))
}

/// The object stored at `path`.
pub(crate) fn load_record(store: &Store, ws: i64, path: &str) -> ApiResult<Option<ObjectRecord>> {
    repo::get(store, OBJECTS, &key(ws, path))
}

/// Stores the object at `path` and indexes its id.
pub(crate) fn tx_put_record(
    tx: &mut dyn Tx,
    ws: i64,
    path: &str,
    r: &ObjectRecord,
) -> Result<(), StoreError> {
    repo::tx_put(tx, OBJECTS, &key(ws, path), r)?;
    tx.put(IDS, id_key(ws, r.object_id).as_bytes(), path.as_bytes())
}

/// The path and record of the object with id `object_id`. Objects stored before the id index
/// existed are found by a scan of the workspace's objects.
pub(crate) fn by_id(
    store: &Store,
    ws: i64,
    object_id: i64,
) -> ApiResult<Option<(String, ObjectRecord)>> {
    let indexed = store
        .kv()
        .get(IDS, id_key(ws, object_id).as_bytes())?
        .map(|p| String::from_utf8_lossy(&p).to_string());
    if let Some(path) = indexed {
        return Ok(load_record(store, ws, &path)?
            .filter(|r| r.object_id == object_id)
            .map(|r| (path, r)));
    }
    if object_id == ROOT_ID {
        return Ok(load_record(store, ws, "/")?.map(|r| ("/".to_string(), r)));
    }
    let base = ws_key(ws);
    for (k, v) in store.kv().scan_prefix(OBJECTS, base.as_bytes())? {
        let r: ObjectRecord = ironbrick_store::record::decode(&v)?;
        if r.object_id == object_id {
            return Ok(Some((
                String::from_utf8_lossy(&k[base.len()..]).to_string(),
                r,
            )));
        }
    }
    Ok(None)
}

/// Refuses unless the caller holds `level` on the object at `path`.
fn check(
    state: &AppState,
    ctx: &WorkspaceCtx,
    path: &str,
    r: &ObjectRecord,
    level: Level,
) -> ApiResult<()> {
    let acl = object_acl::effective(state.store(), ctx.id(), path, r)?;
    ctx.allow(&Action::Access { acl: &acl, level })
}

fn content_key(ws: i64, object_id: i64) -> String {
    format!("{}{object_id:020}", ws_key(ws))
}

fn directory(now: i64) -> ObjectRecord {
    ObjectRecord {
        object_id: new_id(),
        object_type: "DIRECTORY".into(),
        language: None,
        created_at: now,
        modified_at: now,
        size: 0,
    }
}

fn new_id() -> i64 {
    rand::thread_rng().gen_range(1..i64::MAX)
}

/// Writes the built-in directories of a new workspace (the root has id [`ROOT_ID`]).
pub fn seed(tx: &mut dyn Tx, ws: i64) -> Result<(), StoreError> {
    let now = now_ms();
    BUILT_IN_DIRS.iter().try_for_each(|p| {
        let mut d = directory(now);
        if *p == "/" {
            d.object_id = ROOT_ID;
        }
        tx_put_record(tx, ws, p, &d)
    })
}

fn info(path: &str, r: &ObjectRecord) -> ObjectInfo {
    ObjectInfo {
        object_type: r.object_type.clone(),
        path: path.to_string(),
        object_id: r.object_id,
        language: r.language.clone(),
        created_at: Some(r.created_at),
        modified_at: Some(r.modified_at),
        size: (r.object_type != "DIRECTORY").then_some(r.size),
        resource_id: Some(r.object_id.to_string()),
    }
}

fn missing(path: &str) -> ApiError {
    ApiError::not_found(format!("Path ({path}) doesn't exist."))
}

fn load(state: &AppState, ws: i64, path: &str) -> ApiResult<Option<ObjectRecord>> {
    repo::get(state.store(), OBJECTS, &key(ws, path))
}

fn require(state: &AppState, ws: i64, path: &str) -> ApiResult<ObjectRecord> {
    load(state, ws, path)?.ok_or_else(|| missing(path))
}

/// What an import creates.
struct Import {
    path: String,
    object_type: &'static str,
    language: Option<String>,
    content: Vec<u8>,
    overwrite: bool,
}

fn language_of(path: &str) -> Option<(&'static str, &str)> {
    [
        (".py", "PYTHON"),
        (".scala", "SCALA"),
        (".sql", "SQL"),
        (".r", "R"),
        (".R", "R"),
    ]
    .into_iter()
    .find_map(|(ext, lang)| path.strip_suffix(ext).map(|stem| (lang, stem)))
}

fn plan(req: ImportRequest, content: Vec<u8>) -> ApiResult<Import> {
    let path = paths::normalize(&req.path)?;
    if content.len() > MAX_CONTENT {
        return Err(ApiError::new(
            ErrorCode::RequestLimitExceeded,
            format!(
                "Content of {} bytes exceeds the {MAX_CONTENT}-byte limit.",
                content.len()
            ),
        ));
    }
    let format = req
        .format
        .unwrap_or_else(|| "SOURCE".into())
        .to_ascii_uppercase();
    let language = req.language.map(|l| l.to_ascii_uppercase());
    if let Some(l) = &language {
        if !LANGUAGES.contains(&l.as_str()) {
            return Err(ApiError::invalid(format!(
                "language {l:?} is not one of {LANGUAGES:?}."
            )));
        }
    }
    let overwrite = req.overwrite.unwrap_or(false);
    let (object_type, language, path) = match (format.as_str(), language) {
        ("SOURCE", Some(l)) => ("NOTEBOOK", Some(l), path),
        ("SOURCE", None) => {
            return Err(ApiError::invalid(
                "language is required to import a SOURCE notebook.",
            ));
        }
        ("AUTO", Some(l)) => ("NOTEBOOK", Some(l), path),
        ("AUTO", None) => match language_of(&path) {
            Some((l, stem)) => ("NOTEBOOK", Some(l.to_string()), stem.to_string()),
            None => ("FILE", None, path),
        },
        ("RAW", _) => ("FILE", None, path),
        (other, _) => {
            return Err(ApiError::invalid(format!(
                "format {other:?} is not supported; use SOURCE, AUTO or RAW."
            )));
        }
    };
    Ok(Import {
        path,
        object_type,
        language,
        content,
        overwrite,
    })
}

async fn read_import(req: Request) -> ApiResult<Import> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_multipart {
        let Body(body) = Body::<ImportRequest>::from_request(req, &()).await?;
        let content = base64::engine::general_purpose::STANDARD
            .decode(body.content.as_deref().unwrap_or_default())
            .map_err(|_| ApiError::invalid("content is not valid base64."))?;
        return plan(body, content);
    }
    let malformed = |e: axum::extract::multipart::MultipartError| {
        ApiError::new(
            ErrorCode::MalformedRequest,
            format!("Malformed multipart body: {}", e.body_text()),
        )
    };
    let mut form = Multipart::from_request(req, &()).await.map_err(|e| {
        ApiError::new(
            ErrorCode::MalformedRequest,
            format!("Malformed multipart body: {}", e.body_text()),
        )
    })?;
    let mut fields = ImportRequest::default();
    let mut content = Vec::new();
    while let Some(field) = form.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_string();
        let bytes = field.bytes().await.map_err(malformed)?;
        let text = || String::from_utf8_lossy(&bytes).to_string();
        match name.as_str() {
            "path" => fields.path = text(),
            "format" => fields.format = Some(text()),
            "language" => fields.language = Some(text()),
            "overwrite" => fields.overwrite = Some(text().eq_ignore_ascii_case("true")),
            "content" => content = bytes.to_vec(),
            _ => {}
        }
    }
    plan(fields, content)
}

fn require_parent_dir(tx: &mut dyn Tx, ws: i64, path: &str) -> ApiResult<()> {
    let Some(parent) = paths::parent(path) else {
        return Ok(());
    };
    match repo::tx_get::<ObjectRecord>(tx, OBJECTS, &key(ws, parent))? {
        Some(p) if p.object_type == "DIRECTORY" => Ok(()),
        Some(_) => Err(ApiError::invalid(format!(
            "The parent of {path} is not a directory."
        ))),
        None => Err(ApiError::not_found(format!(
            "The parent folder ({parent}) does not exist."
        ))),
    }
}

async fn import(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    req: Request,
) -> ApiResult<Json<Empty>> {
    let imp = read_import(req).await?;
    let ws = ctx.id();
    let existing = load(&state, ws, &imp.path)?;
    match &existing {
        Some(e) if !imp.overwrite || e.object_type == "DIRECTORY" => {
            check(&state, &ctx, &imp.path, e, Level::CanRead)?;
            return Err(ApiError::exists(format!(
                "Path ({}) already exists.",
                imp.path
            )));
        }
        Some(e) => check(&state, &ctx, &imp.path, e, Level::CanEdit)?,
        None => {
            if let Some(p) = paths::parent(&imp.path) {
                if let Some(r) = load(&state, ws, p)? {
                    check(&state, &ctx, p, &r, Level::CanEdit)?;
                }
            }
        }
    }
    let now = now_ms();
    let object_id = existing.as_ref().map_or_else(
        || rand::thread_rng().gen_range(1..i64::MAX),
        |e| e.object_id,
    );
    let sealed = state
        .vault()
        .seal(
            &ctx.workspace,
            CONTENT_CLASS,
            &object_id.to_string(),
            &imp.content,
        )
        .await?;
    let record = ObjectRecord {
        object_id,
        object_type: imp.object_type.into(),
        language: imp.language.clone(),
        created_at: existing.as_ref().map_or(now, |e| e.created_at),
        modified_at: now,
        size: i64::try_from(imp.content.len()).unwrap_or(i64::MAX),
    };
    state.store().transact(|tx| {
        let current = repo::tx_get::<ObjectRecord>(tx, OBJECTS, &key(ws, &imp.path))?;
        if current.as_ref().map(|c| c.object_id) != existing.as_ref().map(|e| e.object_id) {
            return Err(ApiError::new(
                ErrorCode::ResourceConflict,
                format!("{} changed concurrently; retry.", imp.path),
            ));
        }
        require_parent_dir(tx, ws, &imp.path)?;
        tx_put_record(tx, ws, &imp.path, &record)?;
        if existing.is_none() {
            object_acl::tx_grant_creator(tx, ws, &record, ctx.principal.id)?;
        }
        tx.put(CONTENT, content_key(ws, object_id).as_bytes(), &sealed)?;
        Ok(())
    })?;
    state.flush().await?;
    Ok(Json(Empty {}))
}

#[derive(Debug, Deserialize)]
struct ExportQuery {
    path: String,
    format: Option<String>,
    direct_download: Option<bool>,
}

fn file_type(language: Option<&str>) -> Option<String> {
    let ext = match language? {
        "PYTHON" => "py",
        "SCALA" => "scala",
        "SQL" => "sql",
        "R" => "r",
        _ => return None,
    };
    Some(ext.into())
}

/// Reads and opens the content of a notebook or file.
async fn read_content(
    state: &AppState,
    ctx: &WorkspaceCtx,
    path: &str,
) -> ApiResult<(ObjectRecord, Vec<u8>)> {
    let record = require(state, ctx.id(), path)?;
    check(state, ctx, path, &record, Level::CanRead)?;
    if record.object_type == "DIRECTORY" {
        return Err(ApiError::invalid(format!(
            "{path} is a directory; only notebooks and files can be exported in SOURCE format."
        )));
    }
    let sealed = state
        .store()
        .kv()
        .get(CONTENT, content_key(ctx.id(), record.object_id).as_bytes())?
        .ok_or_else(|| {
            ApiError::Internal(format!("content of object {} is missing", record.object_id))
        })?;
    let plain = state
        .vault()
        .open(
            &ctx.workspace,
            CONTENT_CLASS,
            &record.object_id.to_string(),
            &sealed,
        )
        .await?;
    Ok((record, plain))
}

async fn export(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    let path = paths::normalize(&q.path)?;
    let format = q
        .format
        .unwrap_or_else(|| "SOURCE".into())
        .to_ascii_uppercase();
    if !["SOURCE", "AUTO", "RAW"].contains(&format.as_str()) {
        return Err(ApiError::invalid(format!(
            "format {format:?} is not supported; use SOURCE, AUTO or RAW."
        )));
    }
    let (record, content) = read_content(&state, &ctx, &path).await?;
    if q.direct_download.unwrap_or(false) {
        return Ok((
            [(header::CONTENT_TYPE, "application/octet-stream")],
            content,
        )
            .into_response());
    }
    Ok(Json(ExportResponse {
        content: base64::engine::general_purpose::STANDARD.encode(&content),
        file_type: file_type(record.language.as_deref()),
    })
    .into_response())
}

#[derive(Debug, Deserialize)]
struct PathQuery {
    path: String,
}

async fn status(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Query(q): Query<PathQuery>,
) -> ApiResult<Json<ObjectInfo>> {
    let path = paths::normalize(&q.path)?;
    let record = require(&state, ctx.id(), &path)?;
    check(&state, &ctx, &path, &record, Level::CanRead)?;
    Ok(Json(info(&path, &record)))
}

/// Every stored descendant of directory `path`, as (path, record).
fn descendants(state: &AppState, ws: i64, path: &str) -> ApiResult<Vec<(String, ObjectRecord)>> {
    let base = ws_key(ws);
    let prefix = format!("{base}{}", paths::children_prefix(path));
    state
        .store()
        .kv()
        .scan_prefix(OBJECTS, prefix.as_bytes())?
        .into_iter()
        .map(|(k, v)| {
            let p = String::from_utf8_lossy(&k[base.len()..]).to_string();
            Ok((p, ironbrick_store::record::decode(&v)?))
        })
        .filter(|r: &ApiResult<(String, ObjectRecord)>| r.as_ref().map_or(true, |(p, _)| p != "/"))
        .collect()
}

async fn list(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Query(q): Query<PathQuery>,
) -> ApiResult<Json<ListResponse>> {
    let path = paths::normalize(&q.path)?;
    let ws = ctx.id();
    let record = require(&state, ws, &path)?;
    check(&state, &ctx, &path, &record, Level::CanRead)?;
    if record.object_type != "DIRECTORY" {
        return Ok(Json(ListResponse {
            objects: vec![info(&path, &record)],
        }));
    }
    let store = state.store();
    let groups = Groups::of(store, ws)?;
    let inherited = object_acl::inherited_below(store, ws, groups, &path)?;
    let readable = |p: &str, r: &ObjectRecord| -> ApiResult<bool> {
        let acl: Acl = object_acl::with_inherited(store, ws, groups, &inherited, p, r)?;
        let action = Action::Access {
            acl: &acl,
            level: Level::CanRead,
        };
        Ok(authz::decide(&ctx.subject, &action).is_ok())
    };
    let prefix = paths::children_prefix(&path);
    let mut objects = Vec::new();
    for (p, r) in descendants(&state, ws, &path)? {
        if !p[prefix.len()..].contains('/') && readable(&p, &r)? {
            objects.push(info(&p, &r));
        }
    }
    Ok(Json(ListResponse { objects }))
}

async fn delete(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<DeleteRequest>,
) -> ApiResult<Json<Empty>> {
    let path = paths::normalize(&req.path)?;
    if BUILT_IN_DIRS.contains(&path.as_str()) {
        return Err(ApiError::invalid(format!(
            "{path} is a built-in directory and cannot be deleted."
        )));
    }
    let ws = ctx.id();
    let record = require(&state, ws, &path)?;
    check(&state, &ctx, &path, &record, Level::CanManage)?;
    let mut doomed = vec![(path.clone(), record.clone())];
    if record.object_type == "DIRECTORY" {
        let below = descendants(&state, ws, &path)?;
        if !below.is_empty() && !req.recursive.unwrap_or(false) {
            return Err(ApiError::new(
                ErrorCode::DirectoryNotEmpty,
                format!("Folder ({path}) is not empty; delete it with recursive=true."),
            ));
        }
        doomed.extend(below);
    }
    state.store().transact(|tx| {
        for (p, r) in &doomed {
            tx.delete(OBJECTS, key(ws, p).as_bytes())?;
            tx.delete(IDS, id_key(ws, r.object_id).as_bytes())?;
            tx.delete(CONTENT, content_key(ws, r.object_id).as_bytes())?;
            crate::authz::store::tx_delete(tx, ws, &object_acl::object_key(r))?;
        }
        Ok::<_, ApiError>(())
    })?;
    state.flush().await?;
    Ok(Json(Empty {}))
}

async fn mkdirs(
    State(state): State<AppState>,
    Extension(ctx): Extension<WorkspaceCtx>,
    Body(req): Body<MkdirsRequest>,
) -> ApiResult<Json<Empty>> {
    let path = paths::normalize(&req.path)?;
    let ws = ctx.id();
    let mut chain = vec![path.as_str()];
    while let Some(p) = chain.last().and_then(|p| paths::parent(p)) {
        chain.push(p);
    }
    // CAN_EDIT on the nearest existing ancestor; nothing to create needs only CAN_READ.
    for (i, p) in chain.iter().enumerate() {
        if let Some(r) = load(&state, ws, p)? {
            let level = if i == 0 {
                Level::CanRead
            } else {
                Level::CanEdit
            };
            check(&state, &ctx, p, &r, level)?;
            break;
        }
    }
    let now = now_ms();
    let creator = ctx.principal.id;
    state.store().transact(|tx| {
        for p in chain.iter().rev() {
            match repo::tx_get::<ObjectRecord>(tx, OBJECTS, &key(ws, p))? {
                Some(r) if r.object_type == "DIRECTORY" => {}
                Some(_) => {
                    return Err(ApiError::exists(format!(
                        "{p} exists and is not a directory."
                    )));
                }
                None => {
                    let d = directory(now);
                    tx_put_record(tx, ws, p, &d)?;
                    object_acl::tx_grant_creator(tx, ws, &d, creator)?;
                }
            }
        }
        Ok(())
    })?;
    state.flush().await?;
    Ok(Json(Empty {}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_resolve_type_language_and_path() {
        let req = |path: &str, format: Option<&str>, language: Option<&str>| ImportRequest {
            path: path.into(),
            format: format.map(Into::into),
            language: language.map(Into::into),
            ..Default::default()
        };
        let n = plan(req("/a/nb", None, Some("python")), vec![]).unwrap();
        assert_eq!(
            (n.object_type, n.language.as_deref(), n.path.as_str()),
            ("NOTEBOOK", Some("PYTHON"), "/a/nb")
        );
        let auto = plan(req("/a/x.sql", Some("AUTO"), None), vec![]).unwrap();
        assert_eq!((auto.object_type, auto.path.as_str()), ("NOTEBOOK", "/a/x"));
        let file = plan(req("/a/data.csv", Some("AUTO"), None), vec![]).unwrap();
        assert_eq!(file.object_type, "FILE");
        assert!(plan(req("/a/nb", None, None), vec![]).is_err());
        assert!(plan(req("/a/nb", Some("HTML"), Some("PYTHON")), vec![]).is_err());
        assert!(plan(req("/a/nb", None, Some("COBOL")), vec![]).is_err());
        assert!(plan(req("/a/nb", None, Some("PYTHON")), vec![0; MAX_CONTENT + 1]).is_err());
    }
}
