//! Effective ACLs of workspace objects (notebooks, files, directories).
//!
//! An object's effective ACL is its own grants plus those of every directory above it, found
//! by walking the path up to `/` (so the cost grows with the depth of the path, never with the
//! size of the workspace). Grants are stored per object id in [`crate::authz::store`] under
//! `notebooks/{id}`, `files/{id}` or `directories/{id}`; the creator of an object gets
//! CAN_MANAGE there when it is created. Defaults that are never stored:
//! - `admins` hold CAN_MANAGE on everything (inherited from the root);
//! - the principal called `<name>` holds CAN_MANAGE on `/Users/<name>` and everything in it;
//! - `users` hold CAN_MANAGE on `/Shared` and everything in it;
//! - `users` may read (list) the built-in directories themselves, not what is in them.

use super::objects::{self, ObjectRecord};
use super::paths::{self, BUILT_IN_DIRS};
use crate::authz::store::{self as acl_store, StoredGrant};
use crate::authz::{Acl, Grant, Level, ObjectKind};
use crate::error::ApiResult;
use crate::identity::{directory, Kind, Scope, ADMINS, USERS};
use ironbrick_store::{Store, StoreError, Tx};

/// The ids of a workspace's built-in groups.
#[derive(Debug, Clone, Copy)]
pub struct Groups {
    pub admins: Option<i64>,
    pub users: Option<i64>,
}

impl Groups {
    /// Looks the built-in groups of workspace `ws` up.
    pub fn of(store: &Store, ws: i64) -> ApiResult<Self> {
        let local = Scope::Workspace(ws);
        Ok(Self {
            admins: directory::id_by_name(store, local, Kind::Group, ADMINS)?,
            users: directory::id_by_name(store, local, Kind::Group, USERS)?,
        })
    }
}

/// The kind of ACL object a stored workspace object is.
pub fn kind_of(r: &ObjectRecord) -> ObjectKind {
    match r.object_type.as_str() {
        "DIRECTORY" => ObjectKind::Directory,
        "NOTEBOOK" => ObjectKind::Notebook,
        _ => ObjectKind::File,
    }
}

/// The Permissions API type segment of a kind (`notebooks`, `directories`, `files`).
pub fn type_segment(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::Directory => "directories",
        ObjectKind::Notebook => "notebooks",
        _ => "files",
    }
}

/// The authz store key of an object (`notebooks/123`).
pub fn object_key(r: &ObjectRecord) -> String {
    format!("{}/{}", type_segment(kind_of(r)), r.object_id)
}

fn directory_ref(r: &ObjectRecord) -> String {
    format!("/directories/{}", r.object_id)
}

/// The principal whose home folder `path` is (`/Users/<name>`), if it exists.
fn home_owner(store: &Store, path: &str) -> ApiResult<Option<i64>> {
    let Some(name) = path.strip_prefix("/Users/").filter(|n| !n.contains('/')) else {
        return Ok(None);
    };
    for kind in [Kind::User, Kind::ServicePrincipal] {
        if let Some(id) = directory::id_by_name(store, Scope::Account, kind, name)? {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// The grants an object holds by itself: stored ones and the defaults of its path.
/// `from` marks them inherited (when computing what lies below a directory).
fn own_grants(
    store: &Store,
    ws: i64,
    groups: Groups,
    path: &str,
    r: &ObjectRecord,
    from: Option<String>,
) -> ApiResult<Vec<Grant>> {
    let grant = |principal: i64, level: Level| Grant {
        principal,
        level,
        inherited_from: from.clone(),
    };
    let mut out: Vec<Grant> = acl_store::get(store, ws, &object_key(r))?
        .map(|a| a.grants)
        .unwrap_or_default()
        .into_iter()
        .map(|g| grant(g.principal, g.level))
        .collect();
    if path == "/" {
        out.extend(groups.admins.map(|a| grant(a, Level::CanManage)));
    }
    if path == "/Shared" {
        out.extend(groups.users.map(|u| grant(u, Level::CanManage)));
    }
    if let Some(owner) = home_owner(store, path)? {
        out.push(grant(owner, Level::CanManage));
    }
    Ok(out)
}

/// What every object strictly below directory `dir` inherits: the grants of `dir` and of each
/// directory above it. Reads one object record and one ACL per level of the path.
pub fn inherited_below(store: &Store, ws: i64, groups: Groups, dir: &str) -> ApiResult<Vec<Grant>> {
    let mut out = Vec::new();
    let mut at = Some(dir);
    while let Some(p) = at {
        if let Some(r) = objects::load_record(store, ws, p)? {
            out.extend(own_grants(
                store,
                ws,
                groups,
                p,
                &r,
                Some(directory_ref(&r)),
            )?);
        }
        at = paths::parent(p);
    }
    Ok(out)
}

/// The effective ACL of the object at `path`, given what it inherits.
pub fn with_inherited(
    store: &Store,
    ws: i64,
    groups: Groups,
    inherited: &[Grant],
    path: &str,
    r: &ObjectRecord,
) -> ApiResult<Acl> {
    let mut grants = own_grants(store, ws, groups, path, r, None)?;
    if BUILT_IN_DIRS.contains(&path) {
        // Listable by every member, shown as a default rather than a direct grant.
        grants.extend(groups.users.map(|u| Grant {
            principal: u,
            level: Level::CanRead,
            inherited_from: Some(directory_ref(r)),
        }));
    }
    grants.extend(inherited.iter().cloned());
    Ok(Acl {
        kind: kind_of(r),
        name: path.to_string(),
        grants,
    })
}

/// The effective ACL of the object at `path`.
pub fn effective(store: &Store, ws: i64, path: &str, r: &ObjectRecord) -> ApiResult<Acl> {
    let groups = Groups::of(store, ws)?;
    let inherited = match paths::parent(path) {
        Some(parent) => inherited_below(store, ws, groups, parent)?,
        None => Vec::new(),
    };
    with_inherited(store, ws, groups, &inherited, path, r)
}

/// Records `creator` as holding CAN_MANAGE on a new object.
pub fn tx_grant_creator(
    tx: &mut dyn Tx,
    ws: i64,
    r: &ObjectRecord,
    creator: i64,
) -> Result<(), StoreError> {
    let record = acl_store::AclRecord {
        grants: vec![StoredGrant {
            principal: creator,
            level: Level::CanManage,
        }],
    };
    acl_store::tx_put(tx, ws, &object_key(r), &record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::seed;
    use crate::identity::Subject;
    use crate::repo;
    use ironbrick_store::MemStore;
    use std::collections::BTreeSet;
    use std::sync::Arc;

    const WS: i64 = 7;

    fn dir(id: i64) -> ObjectRecord {
        ObjectRecord {
            object_id: id,
            object_type: "DIRECTORY".into(),
            language: None,
            created_at: 0,
            modified_at: 0,
            size: 0,
        }
    }

    fn notebook(id: i64) -> ObjectRecord {
        ObjectRecord {
            object_type: "NOTEBOOK".into(),
            language: Some("PYTHON".into()),
            ..dir(id)
        }
    }

    fn world() -> (Store, i64, Groups) {
        let store = Store::new(Arc::new(MemStore::new()));
        let ann = seed::principal(500, Kind::User, "ann@example.com", "Ann");
        store
            .transact(|tx| {
                seed::tx_seed_workspace(tx, WS)?;
                directory::tx_insert(tx, Scope::Account, &ann)?;
                objects::seed(tx, WS)?;
                for (path, r) in [
                    ("/Users/ann@example.com", dir(10)),
                    ("/Users/ann@example.com/deep", dir(11)),
                    ("/Shared/team", dir(20)),
                    ("/Shared/team/nb", notebook(21)),
                ] {
                    objects::tx_put_record(tx, WS, path, &r)?;
                }
                let grant = |principal, level| acl_store::AclRecord {
                    grants: vec![StoredGrant { principal, level }],
                };
                acl_store::tx_put(tx, WS, "directories/20", &grant(900, Level::CanRun))?;
                acl_store::tx_put(tx, WS, "notebooks/21", &grant(901, Level::CanRead))?;
                Ok::<_, crate::error::ApiError>(())
            })
            .unwrap();
        let groups = Groups::of(&store, WS).unwrap();
        (store, 500, groups)
    }

    fn subject(id: i64, groups: &[i64]) -> Subject {
        Subject {
            principal: Arc::new(seed::principal(id, Kind::User, "x@example.com", "x")),
            workspace: Some(WS),
            account_admin: false,
            workspace_admin: false,
            groups: groups.iter().copied().collect::<BTreeSet<_>>(),
        }
    }

    fn load(store: &Store, path: &str) -> ObjectRecord {
        repo::get(
            store,
            crate::repo::trees::WS_OBJECTS,
            &objects::key(WS, path),
        )
        .unwrap()
        .unwrap()
    }

    #[test]
    fn grants_are_inherited_down_the_path_with_their_source() {
        let (store, _, groups) = world();
        let r = load(&store, "/Shared/team/nb");
        let acl = effective(&store, WS, "/Shared/team/nb", &r).unwrap();
        let find = |p: i64| acl.grants.iter().find(|g| g.principal == p).cloned();
        assert_eq!(find(901).unwrap().inherited_from, None);
        assert_eq!(
            find(900).unwrap().inherited_from.as_deref(),
            Some("/directories/20")
        );
        let shared = load(&store, "/Shared");
        let users = find(groups.users.unwrap()).unwrap();
        assert_eq!(users.level, Level::CanManage);
        assert_eq!(
            users.inherited_from,
            Some(format!("/directories/{}", shared.object_id))
        );
        let admins = find(groups.admins.unwrap()).unwrap();
        assert_eq!(
            (admins.level, admins.inherited_from.as_deref()),
            (Level::CanManage, Some("/directories/0"))
        );
        assert_eq!(
            acl.level_of(&subject(1, &[900])),
            Some(Level::CanRun),
            "a group grant on the folder applies to the notebook"
        );
    }

    #[test]
    fn home_folders_belong_to_their_user_and_built_ins_are_only_listable() {
        let (store, ann, groups) = world();
        let users = groups.users.unwrap();
        let deep = load(&store, "/Users/ann@example.com/deep");
        let acl = effective(&store, WS, "/Users/ann@example.com/deep", &deep).unwrap();
        assert_eq!(
            acl.level_of(&subject(ann, &[users])),
            Some(Level::CanManage)
        );
        assert_eq!(acl.level_of(&subject(2, &[users])), None);
        let root = load(&store, "/");
        let root_acl = effective(&store, WS, "/", &root).unwrap();
        assert_eq!(
            root_acl.level_of(&subject(2, &[users])),
            Some(Level::CanRead)
        );
        let home = load(&store, "/Users/ann@example.com");
        let home_acl = effective(&store, WS, "/Users/ann@example.com", &home).unwrap();
        assert_eq!(
            home_acl.level_of(&subject(2, &[users])),
            None,
            "reading /Users is not inherited"
        );
    }
}
