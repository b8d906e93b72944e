//! `databricks_permissions`: the whole ACL of one workspace object, through the Permissions
//! API (`GET`/`PUT /api/2.0/permissions/{type}/{id}`). Exactly one selector names the object
//! (see [`objects`]); `access_control` blocks are a set, and the resource owns every direct
//! grant: destroy resets the object to no direct grants (the admins keep theirs).

mod acl;
mod objects;

use crate::common::{check_workspace_id, imported, report, workspace, workspace_scoped, Conn};
use crate::resources::notebook::status;
use acl::{same_principal, PRINCIPALS};
use ironbrick_api::client::Client;
use ironbrick_api::permissions::{
    AccessControlRequest, ObjectPermissions, PermissionLevel, SetObjectPermissionsRequest,
};
use ironbrick_api::scim::User;
use objects::{Kind, Selected, SELECTORS};
use std::sync::Arc;
use tf_framework::{
    async_trait, Attr, Block, Diagnostics, Dyn, NestedBlock, Obj, Path, PlanRequest, Resource,
    Schema, Ty, Value,
};

pub struct Permissions(pub Arc<Conn>);

/// The selectors a configuration sets (unknown values count as set).
fn selectors_set(o: &Obj) -> Vec<&'static str> {
    SELECTORS
        .iter()
        .map(|(f, _)| *f)
        .filter(|f| !o.get(f).is_null())
        .collect()
}

/// The served type a plan or state names, with the selector and its value.
fn selected(o: &Obj) -> Result<(&'static Kind, bool, String), String> {
    let set = selectors_set(o);
    let [field] = set.as_slice() else {
        return Err(format!(
            "Exactly one object selector must be set, found {}.",
            set.len()
        ));
    };
    let value = o.str(field).to_owned();
    match objects::select(field, &value) {
        Selected::Served { kind, by_path } => Ok((kind, by_path, value)),
        Selected::Unsupported { what } => Err(unsupported(&what)),
        Selected::InvalidAuthorization => Err(invalid_authorization(&value)),
    }
}

fn unsupported(what: &str) -> String {
    format!(
        "Permissions on {what} are not supported by Ironbrick yet. Supported object selectors: {}.",
        objects::supported_selectors()
    )
}

fn invalid_authorization(value: &str) -> String {
    format!(
        "authorization {value:?} is not one of {:?}.",
        objects::AUTHORIZATIONS
    )
}

/// Plan-time checks of the selector; the served type when it is known.
fn check_selector(config: &Obj, diags: &mut Diagnostics) -> Option<&'static Kind> {
    let set = selectors_set(config);
    let field = match set.as_slice() {
        [] => {
            let all: Vec<_> = SELECTORS.iter().map(|(f, _)| *f).collect();
            diags.error(
                "Missing object selector",
                format!(
                    "Set exactly one of: {}. Ironbrick serves {}.",
                    all.join(", "),
                    objects::supported_selectors()
                ),
            );
            return None;
        }
        [field] => *field,
        several => {
            diags.error_at(
                Path::attr(several[1]),
                "Conflicting object selectors",
                format!(
                    "Only one object selector may be set, found {}.",
                    several.join(", ")
                ),
            );
            return None;
        }
    };
    let value = match config.string(field) {
        Value::Known(v) => v,
        _ if field == "authorization" => return None,
        _ => String::new(),
    };
    match objects::select(field, &value) {
        Selected::Served { kind, by_path } => {
            if by_path && !value.is_empty() && !value.starts_with('/') {
                diags.error_at(
                    Path::attr(field),
                    format!("Invalid {field}"),
                    format!("{value:?} is not an absolute workspace path."),
                );
            }
            Some(kind)
        }
        Selected::Unsupported { what } => {
            diags.error_at(
                Path::attr(field),
                "Not supported by Ironbrick yet",
                unsupported(&what),
            );
            None
        }
        Selected::InvalidAuthorization => {
            diags.error_at(
                Path::attr(field),
                "Invalid authorization",
                invalid_authorization(&value),
            );
            None
        }
    }
}

/// Plan-time checks of the `access_control` blocks, against `kind` when it is known.
fn check_access_control(config: &Obj, kind: Option<&Kind>, diags: &mut Diagnostics) {
    let at = || Path::attr("access_control");
    let items = config.get("access_control").as_list().unwrap_or(&[]);
    let mut seen: Vec<AccessControlRequest> = Vec::new();
    for b in items.iter().filter_map(Obj::from_dyn) {
        let named: Vec<_> = PRINCIPALS.iter().filter(|p| !b.get(p).is_null()).collect();
        if named.len() != 1 {
            diags.error_at(
                at(),
                "Invalid access_control",
                format!(
                    "Each access_control block names exactly one of {}; one names {}.",
                    PRINCIPALS.join(", "),
                    if named.is_empty() {
                        "none".to_owned()
                    } else {
                        format!("{named:?}")
                    }
                ),
            );
        }
        let level = match b.string("permission_level") {
            Value::Null => {
                diags.error_at(
                    at(),
                    "Missing permission_level",
                    "Each access_control block needs a permission_level.",
                );
                None
            }
            Value::Unknown => None,
            Value::Known(l) => match l.parse::<PermissionLevel>() {
                Ok(level) => Some(level),
                Err(e) => {
                    diags.error_at(at(), "Invalid permission_level", e.to_string());
                    None
                }
            },
        };
        let Some(kind) = kind else { continue };
        if let Some(level) = level.filter(|l| !kind.allows(*l)) {
            diags.error_at(
                at(),
                "Invalid permission_level",
                format!(
                    "permission_level {level} is not supported with {} objects; allowed levels: {}.",
                    kind.label(),
                    kind.level_names()
                ),
            );
        }
        if b.string("group_name") == Value::Known("admins".into()) && !kind.admins_configurable {
            diags.error_at(
                at(),
                "Cannot change the admins' permissions",
                format!(
                    "It is not possible to modify admin permissions for {} objects: the admins \
                     group always has CAN_MANAGE. Remove this access_control block.",
                    kind.label()
                ),
            );
        }
        let known = |f: &str| b.string(f).known();
        if PRINCIPALS.iter().any(|p| b.get(p).is_unknown()) {
            continue;
        }
        let entry = AccessControlRequest {
            user_name: known("user_name"),
            group_name: known("group_name"),
            service_principal_name: known("service_principal_name"),
            permission_level: None,
        };
        if seen.iter().any(|s| same_principal(s, &entry)) {
            let who = entry
                .user_name
                .or(entry.group_name)
                .or(entry.service_principal_name)
                .unwrap_or_default();
            diags.error_at(
                at(),
                "Duplicate principal",
                format!(
                    "{who:?} is named in two access_control blocks; give each principal one \
                     permission_level (the API keeps only the highest)."
                ),
            );
            continue;
        }
        seen.push(entry);
    }
}

fn url(base: &str, kind: &Kind, object_id: &str) -> String {
    format!("{base}/permissions/{}/{object_id}", kind.request_type)
}

/// The applying user's name (`userName`, or a service principal's application id).
async fn me(client: &Client, base: &str, diags: &mut Diagnostics) -> Option<String> {
    match client
        .get::<User>(&format!("{base}/preview/scim/v2/Me"))
        .await
    {
        Ok(u) => Some(u.user_name),
        Err(e) => {
            report(diags, "read the current user", &e);
            None
        }
    }
}

/// The API id of the object a selector names: a path becomes the object's id.
async fn object_id(
    client: &Client,
    base: &str,
    kind: &Kind,
    by_path: bool,
    value: &str,
    diags: &mut Diagnostics,
) -> Option<String> {
    if !by_path {
        return Some(value.to_owned());
    }
    let info = match status(client, base, value, diags).await {
        Ok(Some(info)) => info,
        Ok(None) => {
            diags.error(
                "Object not found",
                format!("Cannot load path {value}: it does not exist."),
            );
            return None;
        }
        Err(()) => return None,
    };
    if kind.workspace_object.is_some_and(|t| t != info.object_type) {
        diags.error(
            "Wrong object type",
            format!(
                "{value} is a {}, not a {}.",
                info.object_type.to_lowercase(),
                kind.object_type
            ),
        );
        return None;
    }
    Some(info.object_id.to_string())
}

async fn put(
    client: &Client,
    base: &str,
    kind: &Kind,
    object_id: &str,
    acl: Vec<AccessControlRequest>,
    diags: &mut Diagnostics,
) -> Result<(), ClientFailure> {
    let body = SetObjectPermissionsRequest {
        access_control_list: acl,
    };
    match client
        .put::<_, serde_json::Value>(&url(base, kind, object_id), &body)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Err(ClientFailure::NotFound),
        Err(e) => {
            report(diags, "set the permissions", &e);
            Err(ClientFailure::Reported)
        }
    }
}

/// Why a call failed, when the caller decides what a missing object means.
enum ClientFailure {
    NotFound,
    Reported,
}

impl Permissions {
    /// Sends the planned ACL for the object `kind`/`object_id`.
    async fn apply(
        &self,
        planned: &Obj,
        kind: &Kind,
        object_id: &str,
        diags: &mut Diagnostics,
    ) -> Option<()> {
        let (client, base) = workspace(&self.0, planned, diags)?;
        let acl = match acl::entries(planned) {
            Ok(acl) => acl,
            Err(why) => {
                diags.error("Invalid access_control", why);
                return None;
            }
        };
        let me = me(&client, &base, diags).await?;
        if let Err(why) = acl::check_self(kind, &acl, &me) {
            diags.error("Cannot remove your own management permission", why);
            return None;
        }
        let acl = acl::for_update(kind, object_id, acl);
        match put(&client, &base, kind, object_id, acl, diags).await {
            Ok(()) => Some(()),
            Err(ClientFailure::NotFound) => {
                diags.error(
                    "Object not found",
                    format!("{} does not exist.", kind.resource_id(object_id)),
                );
                None
            }
            Err(ClientFailure::Reported) => None,
        }
    }
}

fn id_of(st: &Obj, diags: &mut Diagnostics) -> Option<(&'static Kind, String)> {
    match objects::from_id(st.str("id")) {
        Ok(found) => Some(found),
        Err(why) => {
            diags.error("Invalid permissions id", why);
            None
        }
    }
}

#[async_trait]
impl Resource for Permissions {
    fn type_name(&self) -> &'static str {
        "databricks_permissions"
    }

    fn schema(&self) -> Schema {
        let mut attrs = vec![
            Attr::optional_computed(
                "id",
                Ty::String,
                "`/<object_type>/<object_id>`: `/authorization/tokens`, \
                 `/authorization/passwords`, `/notebooks/<id>`, `/directories/<id>`, \
                 `/cluster-policies/<id>`, `/clusters/<id>`.",
            ),
            Attr::optional_computed(
                "object_type",
                Ty::String,
                "Type of the object: `tokens`, `passwords`, `notebook`, `directory`, \
                 `cluster-policy`, `cluster`.",
            ),
        ];
        attrs.extend(
            SELECTORS
                .iter()
                .map(|(f, d)| Attr::optional(f, Ty::String, d).force_new()),
        );
        let principal = |name, d| Attr::optional(name, Ty::String, d);
        let access_control = NestedBlock::set(
            "access_control",
            Block::new(
                "A grant; the blocks are a set (order does not matter).",
                vec![
                    principal("user_name", "User name (e-mail) of a user."),
                    principal("group_name", "Display name of a group."),
                    principal(
                        "service_principal_name",
                        "Application id of a service principal.",
                    ),
                    Attr::optional(
                        "permission_level",
                        Ty::String,
                        "Level to grant; which levels exist depends on the object type.",
                    ),
                ],
            ),
        )
        .min_items(1);
        Schema::new(workspace_scoped(
            Block::new("All direct permissions on one workspace object.", attrs)
                .with_block(access_control),
        ))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        let kind = check_selector(config, diags);
        check_access_control(config, kind, diags);
    }

    fn modify_plan(&self, req: &mut PlanRequest, _diags: &mut Diagnostics) {
        if req.prior.is_some() {
            return;
        }
        let Ok((kind, by_path, value)) = selected(&req.config) else {
            return;
        };
        if req.config.get("object_type").is_null() {
            req.planned.set("object_type", kind.object_type);
        }
        if !by_path && !value.is_empty() && req.config.get("id").is_null() {
            req.planned.set("id", kind.resource_id(&value));
        }
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (kind, by_path, value) = match selected(&planned) {
            Ok(found) => found,
            Err(why) => {
                diags.error("Invalid object selector", why);
                return None;
            }
        };
        let (client, base) = workspace(&self.0, &planned, diags)?;
        let object_id = object_id(&client, &base, kind, by_path, &value, diags).await?;
        self.apply(&planned, kind, &object_id, diags).await?;
        let mut st = planned;
        st.set("id", kind.resource_id(&object_id));
        match self.read(st.clone(), diags).await {
            Some(st) => Some(st),
            None if !diags.has_errors() => {
                // Nothing the state shows (only admins and the applying user): the official
                // provider then drops the resource; keep the applied plan instead.
                st.set("object_type", kind.object_type);
                Some(st)
            }
            None => None,
        }
    }

    async fn read(&self, mut st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &st, diags)?;
        let Some((kind, object_id)) = id_of(&st, diags) else {
            return Some(st);
        };
        let answer = match client
            .get::<ObjectPermissions>(&url(&base, kind, &object_id))
            .await
        {
            Ok(a) => a,
            Err(e) if e.is_not_found() => return None,
            Err(e) => {
                report(diags, "read the permissions", &e);
                return Some(st);
            }
        };
        if let Some(t) = answer
            .object_type
            .as_deref()
            .filter(|t| *t != kind.object_type)
        {
            diags.error(
                "Unexpected object type",
                format!("Expected object type {}, got {t}.", kind.object_type),
            );
            return Some(st);
        }
        let prior = acl::entries(&st).unwrap_or_default();
        let Some(me) = me(&client, &base, diags).await else {
            return Some(st);
        };
        let grants = acl::from_answer(kind, &answer, &prior, &me);
        if grants.is_empty() {
            // No direct grant the resource shows: as the official provider, the same as absent.
            return None;
        }
        if kind.path_field.is_none_or(|p| st.get(p).is_null()) {
            st.set(kind.id_field, object_id);
        }
        st.set("object_type", kind.object_type).set(
            "access_control",
            Dyn::List(grants.iter().map(acl::block).collect()),
        );
        Some(st)
    }

    async fn update(&self, prior: Obj, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (kind, object_id) = id_of(&prior, diags)?;
        self.apply(&planned, kind, &object_id, diags).await?;
        let fallback = planned.clone();
        match self.read(planned, diags).await {
            None if !diags.has_errors() => Some(fallback),
            found => found,
        }
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        let Some((client, base)) = workspace(&self.0, &st, diags) else {
            return;
        };
        let Some((kind, object_id)) = id_of(&st, diags) else {
            return;
        };
        let current = match client
            .get::<ObjectPermissions>(&url(&base, kind, &object_id))
            .await
        {
            Ok(a) => a,
            Err(e) if e.is_not_found() => return,
            Err(e) => {
                report(diags, "read the permissions", &e);
                return;
            }
        };
        let acl = acl::for_delete(kind, &object_id, &current);
        // An object deleted meanwhile has no permissions left to reset.
        let _ = put(&client, &base, kind, &object_id, acl, diags).await;
    }

    fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Obj> {
        let (o, rest) = imported(&self.0, id, true);
        if let Err(why) = objects::from_id(&rest) {
            diags.error(
                "Invalid import id",
                format!(
                    "{why} Import ids are /<object_type>/<object_id> (or \
                     <workspace_id>/<object_type>/<object_id>)."
                ),
            );
            return None;
        }
        Some(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(selector: &[(&str, Dyn)], acl: Vec<Dyn>) -> Obj {
        let schema = Permissions(Arc::new(Conn::default())).schema();
        let mut o = Obj::new();
        for (k, v) in selector {
            o.set(k, v.clone());
        }
        o.set("access_control", Dyn::List(acl));
        Obj::from_dyn(&schema.block.normalize(o.into())).expect("object")
    }

    fn grant(principal: &str, name: impl Into<Dyn>, level: impl Into<Dyn>) -> Dyn {
        let mut b = Obj::new();
        b.set(principal, name).set("permission_level", level);
        b.into()
    }

    /// The validation diagnostics, as text; empty when there is no error.
    fn errors(o: &Obj) -> String {
        let mut diags = Diagnostics::default();
        Permissions(Arc::new(Conn::default())).validate(o, &mut diags);
        if diags.has_errors() {
            format!("{diags:?}")
        } else {
            String::new()
        }
    }

    #[test]
    fn served_selectors_with_valid_grants_pass() {
        let tokens = config(
            &[("authorization", "tokens".into())],
            vec![grant("group_name", "users", "CAN_USE")],
        );
        assert_eq!(errors(&tokens), "");
        let nb = config(
            &[("notebook_path", Dyn::Unknown)],
            vec![
                grant("user_name", "ann@x.com", "CAN_READ"),
                grant("service_principal_name", Dyn::Unknown, "CAN_RUN"),
                grant("group_name", "eng", Dyn::Unknown),
            ],
        );
        assert_eq!(errors(&nb), "");
    }

    #[test]
    fn selector_mistakes_are_refused_at_plan_time() {
        let acl = || vec![grant("group_name", "users", "CAN_USE")];
        let e = errors(&config(&[], acl()));
        assert!(e.contains("Missing object selector"), "{e}");
        let both = [
            ("authorization", "tokens".into()),
            ("notebook_id", "1".into()),
        ];
        let e = errors(&config(&both, acl()));
        assert!(e.contains("Conflicting"), "{e}");
        for sel in [
            ("instance_pool_id", Dyn::from("p1")),
            ("sql_endpoint_id", Dyn::Unknown),
            ("job_id", Dyn::from("12")),
        ] {
            let e = errors(&config(&[sel], acl()));
            assert!(e.contains("Not supported by Ironbrick yet"), "{e}");
        }
        let e = errors(&config(&[("authorization", "keys".into())], acl()));
        assert!(e.contains("Invalid authorization"), "{e}");
        let e = errors(&config(&[("directory_path", "Shared".into())], acl()));
        assert!(e.contains("Invalid directory_path"), "{e}");
    }

    #[test]
    fn grant_mistakes_are_refused_at_plan_time() {
        let tokens = [("authorization", Dyn::from("tokens"))];
        let cases = [
            (
                vec![grant("group_name", "users", "CAN_READ")],
                "Invalid permission_level",
            ),
            (
                vec![grant("group_name", "users", "CAN_FLY")],
                "Invalid permission_level",
            ),
            (
                vec![grant("group_name", "admins", "CAN_MANAGE")],
                "Cannot change the admins",
            ),
            (
                vec![grant("group_name", "users", Dyn::Null)],
                "Missing permission_level",
            ),
            (
                vec![
                    grant("user_name", "Ann@x.com", "CAN_USE"),
                    grant("user_name", "ann@x.com", "CAN_MANAGE"),
                ],
                "Duplicate principal",
            ),
        ];
        for (acl, expected) in cases {
            let e = errors(&config(&tokens, acl));
            assert!(e.contains(expected), "{expected}: {e}");
        }
        let mut two = Obj::new();
        two.set("user_name", "a@x.com")
            .set("group_name", "g")
            .set("permission_level", "CAN_USE");
        let e = errors(&config(&tokens, vec![two.into()]));
        assert!(e.contains("Invalid access_control"), "{e}");
    }

    #[test]
    fn plans_know_the_id_when_the_selector_is_an_id() {
        let r = Permissions(Arc::new(Conn::default()));
        let cfg = config(
            &[("notebook_id", "42".into())],
            vec![grant("group_name", "users", "CAN_READ")],
        );
        let mut req = PlanRequest {
            prior: None,
            config: cfg.clone(),
            planned: cfg,
        };
        r.modify_plan(&mut req, &mut Diagnostics::default());
        assert_eq!(req.planned.str("id"), "/notebooks/42");
        assert_eq!(req.planned.str("object_type"), "notebook");
        let mut diags = Diagnostics::default();
        assert!(r.import("12//authorization/tokens", &mut diags).is_some());
        assert!(r.import("12//clusters/0123-abc", &mut diags).is_some());
        assert!(r.import("/jobs/12", &mut diags).is_none());
        assert!(diags.has_errors());
    }
}
