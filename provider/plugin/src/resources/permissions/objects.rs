//! The objects `databricks_permissions` can name: every selector argument of the official
//! provider, and the table of those Ironbrick serves. Serving a new object type is one
//! [`KINDS`] entry; a selector without an entry is refused at plan time.

use ironbrick_api::permissions::PermissionLevel::{self, *};

/// One object type of the Permissions API, as `databricks_permissions` manages it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The argument that names an object by id (`notebook_id`), or `authorization`.
    pub id_field: &'static str,
    /// For `authorization`: the value that selects this kind (`tokens`).
    pub value: Option<&'static str>,
    /// The argument that names an object by workspace path (`notebook_path`), if any.
    pub path_field: Option<&'static str>,
    /// `object_type` of the workspace object a path must name (`NOTEBOOK`).
    pub workspace_object: Option<&'static str>,
    /// `object_type` in Permissions API answers and in state (`notebook`).
    pub object_type: &'static str,
    /// The API path segment and the resource id's prefix (`notebooks` → `/notebooks/<id>`).
    pub request_type: &'static str,
    /// Levels the type accepts, with whether a level lets its holder manage the object (the
    /// applying user may only give themselves those).
    pub levels: &'static [(PermissionLevel, bool)],
    /// Whether `group_name = "admins"` may be configured (only for passwords upstream);
    /// otherwise it is refused, and the admins' grants are never shown in state.
    pub admins_configurable: bool,
    /// When the object's id is this, an ACL sent to the API also grants `admins` CAN_MANAGE
    /// (the API refuses to drop them), as the official provider does.
    pub admins_always: AdminsAlways,
}

/// Objects whose ACL must keep an explicit `admins` CAN_MANAGE grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminsAlways {
    /// Never added.
    No,
    /// Added on every update (the tokens ACL).
    OnUpdate,
    /// Added on update and destroy for the object with this id (the workspace root, `0`).
    ForId(&'static str),
}

const WORKSPACE_LEVELS: &[(PermissionLevel, bool)] = &[
    (CanRead, false),
    (CanRun, false),
    (CanEdit, false),
    (CanManage, true),
];

/// The object types Ironbrick serves.
pub const KINDS: &[Kind] = &[
    Kind {
        id_field: "authorization",
        value: Some("tokens"),
        path_field: None,
        workspace_object: None,
        object_type: "tokens",
        request_type: "authorization",
        levels: &[(CanUse, true), (CanManage, true)],
        admins_configurable: false,
        admins_always: AdminsAlways::OnUpdate,
    },
    Kind {
        id_field: "notebook_id",
        value: None,
        path_field: Some("notebook_path"),
        workspace_object: Some("NOTEBOOK"),
        object_type: "notebook",
        request_type: "notebooks",
        levels: WORKSPACE_LEVELS,
        admins_configurable: false,
        admins_always: AdminsAlways::No,
    },
    Kind {
        id_field: "directory_id",
        value: None,
        path_field: Some("directory_path"),
        workspace_object: Some("DIRECTORY"),
        object_type: "directory",
        request_type: "directories",
        levels: WORKSPACE_LEVELS,
        admins_configurable: false,
        admins_always: AdminsAlways::ForId("0"),
    },
    Kind {
        id_field: "authorization",
        value: Some("passwords"),
        path_field: None,
        workspace_object: None,
        object_type: "passwords",
        request_type: "authorization",
        levels: &[(CanUse, true)],
        admins_configurable: true,
        admins_always: AdminsAlways::No,
    },
    Kind {
        id_field: "cluster_policy_id",
        value: None,
        path_field: None,
        workspace_object: None,
        object_type: "cluster-policy",
        request_type: "cluster-policies",
        // only admins edit policies, and they always may use them: CAN_USE is all there is
        levels: &[(CanUse, true)],
        admins_configurable: false,
        admins_always: AdminsAlways::No,
    },
    Kind {
        id_field: "cluster_id",
        value: None,
        path_field: None,
        workspace_object: None,
        object_type: "cluster",
        request_type: "clusters",
        levels: &[(CanAttachTo, false), (CanRestart, false), (CanManage, true)],
        admins_configurable: false,
        admins_always: AdminsAlways::No,
    },
];

/// Values `authorization` takes upstream.
pub const AUTHORIZATIONS: [&str; 2] = ["tokens", "passwords"];

/// Every selector argument of the official provider, with its description. Exactly one is set.
pub const SELECTORS: &[(&str, &str)] = &[
    ("alert_v2_id", "Id of a SQL alert (v2)."),
    ("app_name", "Name of a Databricks app."),
    (
        "authorization",
        "`tokens` for the workspace's personal access token permissions, `passwords` for who \
         may sign in with a password.",
    ),
    ("cluster_id", "Id of a cluster."),
    ("cluster_policy_id", "Id of a cluster policy."),
    ("dashboard_id", "Id of a Lakeview dashboard."),
    (
        "database_instance_name",
        "Name of a Lakebase database instance.",
    ),
    (
        "database_project_name",
        "Name of a Lakebase database project.",
    ),
    (
        "directory_id",
        "Object id of a folder (`object_id` of `databricks_directory`).",
    ),
    ("directory_path", "Absolute workspace path of a folder."),
    ("experiment_id", "Id of an MLflow experiment."),
    ("instance_pool_id", "Id of an instance pool."),
    ("job_id", "Id of a job."),
    ("knowledge_assistant_id", "Id of a knowledge assistant."),
    (
        "notebook_id",
        "Object id of a notebook (`object_id` of `databricks_notebook`).",
    ),
    ("notebook_path", "Absolute workspace path of a notebook."),
    ("pipeline_id", "Id of a pipeline."),
    ("registered_model_id", "Id of an MLflow registered model."),
    ("repo_id", "Id of a repo."),
    ("repo_path", "Workspace path of a repo."),
    ("serving_endpoint_id", "Id of a model serving endpoint."),
    ("sql_alert_id", "Id of a legacy SQL alert."),
    ("sql_dashboard_id", "Id of a legacy SQL dashboard."),
    ("sql_endpoint_id", "Id of a SQL warehouse."),
    ("sql_query_id", "Id of a SQL query."),
    ("supervisor_agent_id", "Id of a supervisor agent."),
    (
        "vector_search_endpoint_id",
        "Id of a vector search endpoint.",
    ),
    ("workspace_file_id", "Object id of a workspace file."),
    (
        "workspace_file_path",
        "Absolute workspace path of a workspace file.",
    ),
];

impl Kind {
    /// Whether `level` is one of this type's levels.
    pub fn allows(&self, level: PermissionLevel) -> bool {
        self.levels.iter().any(|(l, _)| *l == level)
    }

    /// Whether `level` lets its holder manage the object.
    pub fn manages(&self, level: PermissionLevel) -> bool {
        self.levels.iter().any(|(l, m)| *l == level && *m)
    }

    /// The type's levels, sorted, for messages.
    pub fn level_names(&self) -> String {
        let mut names: Vec<_> = self.levels.iter().map(|(l, _)| l.as_str()).collect();
        names.sort_unstable();
        names.join(", ")
    }

    /// How the type is named in messages: `authorization = "tokens"`, `notebook_id`.
    pub fn label(&self) -> String {
        match self.value {
            Some(v) => format!("{} = \"{v}\"", self.id_field),
            None => self.id_field.to_owned(),
        }
    }

    /// The resource id of the object with API id `object_id`: `/notebooks/123`.
    pub fn resource_id(&self, object_id: &str) -> String {
        format!("/{}/{object_id}", self.request_type)
    }
}

/// What a configured selector names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selected {
    /// A served type; `by_path` when the object is named by its workspace path.
    Served { kind: &'static Kind, by_path: bool },
    /// An official selector Ironbrick does not serve yet (`what` names it for messages).
    Unsupported { what: String },
    /// `authorization` with a value the official provider does not know either.
    InvalidAuthorization,
}

/// The type named by selector `field` set to `value`.
pub fn select(field: &str, value: &str) -> Selected {
    if field == "authorization" && !AUTHORIZATIONS.contains(&value) {
        return Selected::InvalidAuthorization;
    }
    for kind in KINDS {
        let by_id = kind.id_field == field && kind.value.is_none_or(|v| v == value);
        if by_id || kind.path_field == Some(field) {
            return Selected::Served {
                kind,
                by_path: !by_id,
            };
        }
    }
    let what = if field == "authorization" {
        format!("authorization = \"{value}\"")
    } else {
        field.to_owned()
    };
    Selected::Unsupported { what }
}

/// The served type of resource id `id` (`/authorization/tokens`, `/notebooks/123`) and the
/// object's API id (`tokens`, `123`).
pub fn from_id(id: &str) -> Result<(&'static Kind, String), String> {
    let rest = id.strip_prefix('/').unwrap_or(id);
    let Some((prefix, object)) = rest
        .rsplit_once('/')
        .filter(|(p, o)| !p.is_empty() && !o.is_empty())
    else {
        return Err(format!(
            "{id:?} is not a permissions id: /<object_type>/<object_id>, such as \
             /authorization/tokens or /notebooks/123."
        ));
    };
    KINDS
        .iter()
        .find(|k| k.request_type == prefix && k.value.is_none_or(|v| v == object))
        .map(|k| (k, object.to_owned()))
        .ok_or_else(|| {
            format!(
                "Permissions on {id:?} are not supported by Ironbrick yet; supported ids: {}.",
                supported_ids()
            )
        })
}

/// The selectors Ironbrick serves, for messages.
pub fn supported_selectors() -> String {
    let mut out = Vec::new();
    for k in KINDS {
        out.push(k.label());
        out.extend(k.path_field.map(str::to_owned));
    }
    out.join(", ")
}

fn supported_ids() -> String {
    KINDS
        .iter()
        .map(|k| k.resource_id(k.value.unwrap_or("<id>")))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_served_selector_is_an_official_one() {
        let official: Vec<_> = SELECTORS.iter().map(|(f, _)| *f).collect();
        for k in KINDS {
            assert!(official.contains(&k.id_field), "{}", k.id_field);
            if let Some(p) = k.path_field {
                assert!(official.contains(&p), "{p}");
            }
            assert!(
                k.levels.iter().any(|(_, m)| *m),
                "{} has no managing level",
                k.label()
            );
        }
        assert_eq!(SELECTORS.len(), 29);
    }

    #[test]
    fn selectors_resolve_to_kinds_or_refusals() {
        let Selected::Served { kind, by_path } = select("notebook_path", "/a") else {
            panic!("notebook_path is served");
        };
        assert_eq!((kind.request_type, by_path), ("notebooks", true));
        let Selected::Served { kind, by_path } = select("authorization", "tokens") else {
            panic!("tokens are served");
        };
        assert_eq!((kind.object_type, by_path), ("tokens", false));
        let Selected::Served { kind, .. } = select("authorization", "passwords") else {
            panic!("passwords are served");
        };
        assert_eq!(kind.resource_id("passwords"), "/authorization/passwords");
        assert!(kind.admins_configurable);
        assert_eq!(
            select("job_id", "12"),
            Selected::Unsupported {
                what: "job_id".into()
            }
        );
        assert_eq!(
            select("authorization", "keys"),
            Selected::InvalidAuthorization
        );
    }

    #[test]
    fn resource_ids_round_trip_and_unknown_ones_are_explained() {
        for k in KINDS {
            let id = k.resource_id(k.value.unwrap_or("42"));
            let (found, object) = from_id(&id).expect("served id");
            assert_eq!(found, k);
            assert_eq!(object, k.value.unwrap_or("42"));
        }
        let Selected::Served { kind, by_path } = select("cluster_policy_id", "ABC") else {
            panic!("cluster policies are served");
        };
        assert_eq!(kind.resource_id("ABC"), "/cluster-policies/ABC");
        assert!(!by_path && kind.allows(CanUse) && !kind.allows(CanManage));
        let Selected::Served { kind, by_path } = select("cluster_id", "0123-abc") else {
            panic!("clusters are served");
        };
        assert_eq!(kind.resource_id("0123-abc"), "/clusters/0123-abc");
        assert_eq!(kind.object_type, "cluster");
        assert!(!by_path && kind.allows(CanRestart) && !kind.allows(CanUse));
        assert_eq!(kind.level_names(), "CAN_ATTACH_TO, CAN_MANAGE, CAN_RESTART");
        assert!(kind.manages(CanManage) && !kind.manages(CanRestart));
        assert!(from_id("/jobs/12")
            .unwrap_err()
            .contains("not supported by Ironbrick yet"));
        assert!(from_id("/authorization/keys").is_err());
        assert!(from_id("tokens")
            .unwrap_err()
            .contains("not a permissions id"));
        let tokens = &KINDS[0];
        assert!(tokens.allows(CanUse) && !tokens.allows(CanRead));
        assert_eq!(tokens.level_names(), "CAN_MANAGE, CAN_USE");
        assert!(KINDS[1].manages(CanManage) && !KINDS[1].manages(CanEdit));
    }
}
