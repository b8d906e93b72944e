//! Request bodies (create, replace, and the result of a patch) checked and turned into the
//! desired state of a principal.

use super::Level;
use crate::error::{ApiError, ApiResult};
use crate::identity::records::{EmailRecord, PersonName, ENTITLEMENTS};
use crate::identity::{Kind, PrincipalRecord};
use crate::passwords::{self, Password, PasswordRecord};
use ironbrick_api::scim::{ComplexValue, Group, ServicePrincipal, User};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeSet;

/// The desired state of a principal. `None` fields were absent from a `PUT` body and keep
/// their current value.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// userName, applicationId or displayName (of a group).
    pub name: String,
    pub display_name: String,
    pub active: bool,
    pub external_id: Option<String>,
    pub person: Option<PersonName>,
    pub emails: Vec<EmailRecord>,
    pub entitlements: BTreeSet<String>,
    pub roles: Option<BTreeSet<String>>,
    /// Members of a group.
    pub members: Option<BTreeSet<i64>>,
    /// Direct groups of a user or service principal.
    pub groups: Option<BTreeSet<i64>>,
    /// A new password (users only), checked against the policy; hashed into
    /// `password_hash` before it is stored.
    pub password: Option<Password>,
    /// The hash of `password`, to store with the principal.
    pub password_hash: Option<PasswordRecord>,
}

/// How absent list attributes read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Absent {
    /// A `POST`/`PUT` body: absent `members`, `groups` and `roles` keep the current value.
    Keeps,
    /// A patched document: everything is rendered, so absent means removed.
    Empties,
}

fn typed<T: DeserializeOwned>(body: Value) -> ApiResult<T> {
    serde_json::from_value(body)
        .map_err(|e| ApiError::invalid(format!("Invalid request body: {e}")))
}

fn has(body: &Value, key: &str) -> bool {
    body.as_object()
        .is_some_and(|o| o.keys().any(|k| k.eq_ignore_ascii_case(key)))
}

fn ids(list: &[ComplexValue], what: &str) -> ApiResult<BTreeSet<i64>> {
    list.iter()
        .map(|c| {
            let v = c
                .value
                .as_deref()
                .ok_or_else(|| ApiError::invalid(format!("Each of {what} needs a value.")))?;
            v.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::invalid(format!("{} {v} does not exist.", capital(what))))
        })
        .collect()
}

fn capital(what: &str) -> String {
    let what = what.trim_end_matches('s');
    let mut c = what.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn listed(
    body: &Value,
    key: &str,
    list: &[ComplexValue],
    absent: Absent,
) -> ApiResult<Option<BTreeSet<i64>>> {
    if has(body, key) || absent == Absent::Empties {
        ids(list, key).map(Some)
    } else {
        Ok(None)
    }
}

fn entitlements(level: Level, list: &[ComplexValue]) -> ApiResult<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    for c in list {
        let v = c.value.as_deref().unwrap_or_default().trim();
        if !ENTITLEMENTS.contains(&v) {
            return Err(ApiError::invalid(format!(
                "Unknown entitlement {v:?}; expected one of {}.",
                ENTITLEMENTS.join(", ")
            )));
        }
        out.insert(v.to_string());
    }
    if level == Level::Account && !out.is_empty() {
        return Err(ApiError::invalid(
            "Entitlements are granted per workspace: set them through the workspace SCIM API.",
        ));
    }
    Ok(out)
}

fn roles(
    level: Level,
    kind: Kind,
    body: &Value,
    list: &[ComplexValue],
    absent: Absent,
) -> ApiResult<Option<BTreeSet<String>>> {
    if level != Level::Account {
        // Roles are account-level; a workspace body never changes them.
        if !list.is_empty() {
            return Err(ApiError::invalid(
                "Roles can only be set through the account SCIM API.",
            ));
        }
        return Ok(None);
    }
    if !has(body, "roles") && absent == Absent::Keeps {
        return Ok(None);
    }
    let set: BTreeSet<String> = list
        .iter()
        .map(|c| c.value.as_deref().unwrap_or_default().trim().to_string())
        .collect();
    if set.contains("") {
        return Err(ApiError::invalid("Each role needs a value."));
    }
    if kind == Kind::Group && !set.is_empty() {
        return Err(ApiError::invalid(
            "Groups cannot hold account roles; give the role to its members.",
        ));
    }
    Ok(Some(set))
}

fn required(v: &str, what: &str) -> ApiResult<String> {
    let v = v.trim();
    if v.is_empty() {
        Err(ApiError::invalid(format!("{what} is required.")))
    } else {
        Ok(v.to_string())
    }
}

fn nonblank(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// A user body.
pub fn user(level: Level, body: Value, absent: Absent) -> ApiResult<Draft> {
    let u: User = typed(body.clone())?;
    let name = required(&u.user_name, "userName")?;
    let person = u.name.map(|n| PersonName {
        given_name: nonblank(n.given_name),
        family_name: nonblank(n.family_name),
    });
    let display_name = nonblank(Some(u.display_name)).unwrap_or_else(|| {
        person
            .as_ref()
            .map(|p| {
                [&p.given_name, &p.family_name]
                    .into_iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| name.clone())
    });
    let mut emails = Vec::new();
    for e in &u.emails {
        let value = required(e.value.as_deref().unwrap_or_default(), "emails.value")?;
        emails.push(EmailRecord {
            value,
            kind: e.kind.clone(),
            primary: e.primary.unwrap_or(false),
        });
    }
    if emails.is_empty() {
        emails.push(EmailRecord {
            value: name.clone(),
            kind: Some("work".into()),
            primary: true,
        });
    }
    Ok(Draft {
        display_name,
        active: u.active.unwrap_or(true),
        external_id: nonblank(u.external_id),
        person,
        emails,
        entitlements: entitlements(level, &u.entitlements)?,
        roles: roles(level, Kind::User, &body, &u.roles, absent)?,
        members: None,
        groups: listed(&body, "groups", &u.groups, absent)?,
        name,
        ..Draft::default()
    })
}

/// A service principal body; `existing` is the principal a replace applies to.
pub fn service_principal(
    level: Level,
    body: Value,
    absent: Absent,
    existing: Option<&PrincipalRecord>,
) -> ApiResult<Draft> {
    let sp: ServicePrincipal = typed(body.clone())?;
    let name = match (nonblank(Some(sp.application_id)), existing) {
        (Some(id), _) => {
            let parsed = uuid::Uuid::parse_str(&id)
                .map_err(|_| ApiError::invalid(format!("applicationId {id:?} is not a UUID.")))?;
            parsed.hyphenated().to_string()
        }
        (None, Some(p)) => p.name.clone(),
        (None, None) => uuid::Uuid::new_v4().to_string(),
    };
    if let Some(p) = existing {
        if !p.name.eq_ignore_ascii_case(&name) {
            return Err(ApiError::invalid(format!(
                "applicationId cannot be changed (it is {}).",
                p.name
            )));
        }
    }
    Ok(Draft {
        display_name: nonblank(Some(sp.display_name)).unwrap_or_else(|| name.clone()),
        active: sp.active.unwrap_or(true),
        external_id: nonblank(sp.external_id),
        person: None,
        emails: Vec::new(),
        entitlements: entitlements(level, &sp.entitlements)?,
        roles: roles(level, Kind::ServicePrincipal, &body, &sp.roles, absent)?,
        members: None,
        groups: listed(&body, "groups", &sp.groups, absent)?,
        name,
        ..Draft::default()
    })
}

/// A group body.
pub fn group(level: Level, body: Value, absent: Absent) -> ApiResult<Draft> {
    let g: Group = typed(body.clone())?;
    let name = required(&g.display_name, "displayName")?;
    Ok(Draft {
        display_name: name.clone(),
        active: true,
        external_id: nonblank(g.external_id),
        person: None,
        emails: Vec::new(),
        entitlements: entitlements(level, &g.entitlements)?,
        roles: roles(level, Kind::Group, &body, &g.roles, absent)?,
        members: listed(&body, "members", &g.members, absent)?,
        groups: None,
        name,
        ..Draft::default()
    })
}

/// A body of `kind`.
pub fn parse(
    kind: Kind,
    level: Level,
    body: Value,
    absent: Absent,
    existing: Option<&PrincipalRecord>,
) -> ApiResult<Draft> {
    let Value::Object(mut fields) = body else {
        return Err(ApiError::invalid("The request body must be a JSON object."));
    };
    // The password is taken out before anything else reads the body, so that it is never
    // echoed, not even in a parse error.
    let password = take_password(&mut fields, kind)?;
    let body = Value::Object(fields);
    let mut d = match kind {
        Kind::User => user(level, body, absent),
        Kind::ServicePrincipal => service_principal(level, body, absent, existing),
        Kind::Group => group(level, body, absent),
    }?;
    if let Some(p) = password {
        passwords::check_policy(&d.name, &p)?;
        d.password = Some(p);
    }
    Ok(d)
}

/// Removes `password` from a body: a string, for users only.
fn take_password(
    fields: &mut serde_json::Map<String, Value>,
    kind: Kind,
) -> ApiResult<Option<Password>> {
    let keys: Vec<String> = fields
        .keys()
        .filter(|k| k.eq_ignore_ascii_case("password"))
        .cloned()
        .collect();
    let mut found = None;
    for k in keys {
        found = fields.remove(&k);
    }
    let Some(value) = found else {
        return Ok(None);
    };
    match kind {
        Kind::User => {}
        Kind::ServicePrincipal => return Err(ApiError::invalid(
            "Service principals have no password; they authenticate with tokens or OAuth secrets.",
        )),
        Kind::Group => return Err(ApiError::invalid("Groups have no password.")),
    }
    match value {
        Value::String(s) => Ok(Some(Password::new(s))),
        _ => Err(ApiError::invalid("password must be a string.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn user_defaults_and_checks() {
        let d = user(
            Level::Workspace(1),
            json!({"userName": " ann@x.com ",
            "name": {"givenName": "Ann", "familyName": "Lee"}, "password": "secret"}),
            Absent::Keeps,
        )
        .unwrap();
        assert_eq!(
            (d.name.as_str(), d.display_name.as_str(), d.active),
            ("ann@x.com", "Ann Lee", true)
        );
        assert_eq!(d.emails[0].value, "ann@x.com");
        assert_eq!((d.groups, d.roles), (None, None));
        let err = |level, body| user(level, body, Absent::Keeps).unwrap_err().to_string();
        assert!(err(Level::Account, json!({})).contains("userName is required"));
        assert!(err(
            Level::Workspace(1),
            json!({"userName": "a", "entitlements": [{"value": "root"}]})
        )
        .contains("Unknown entitlement \"root\""));
        assert!(err(
            Level::Account,
            json!({"userName": "a", "entitlements": [{"value": "workspace-access"}]})
        )
        .contains("per workspace"));
        assert!(err(
            Level::Workspace(1),
            json!({"userName": "a", "roles": [{"value": "account_admin"}]})
        )
        .contains("account SCIM API"));
        assert!(err(Level::Account, json!({"userName": 5})).contains("Invalid request body"));
        assert!(err(
            Level::Account,
            json!({"userName": "a", "groups": [{"value": "x"}]})
        )
        .contains("Group x does not exist"));
    }

    #[test]
    fn absent_lists_keep_in_bodies_and_empty_in_patched_documents() {
        let body = json!({"userName": "a"});
        let keep = user(Level::Account, body.clone(), Absent::Keeps).unwrap();
        assert_eq!((keep.roles, keep.groups), (None, None));
        let empty = user(Level::Account, body, Absent::Empties).unwrap();
        assert_eq!(empty.roles, Some(BTreeSet::new()));
        assert_eq!(empty.groups, Some(BTreeSet::new()));
        let g = group(
            Level::Account,
            json!({"displayName": "g", "members": [{"value": "12"}]}),
            Absent::Keeps,
        )
        .unwrap();
        assert_eq!(g.members, Some(BTreeSet::from([12])));
    }

    #[test]
    fn service_principals_get_and_keep_a_uuid() {
        let d = service_principal(Level::Account, json!({}), Absent::Keeps, None).unwrap();
        assert!(uuid::Uuid::parse_str(&d.name).is_ok());
        assert_eq!(d.display_name, d.name);
        let existing = crate::identity::seed::principal(5, Kind::ServicePrincipal, &d.name, "x");
        let same = service_principal(
            Level::Account,
            json!({"displayName": "bot"}),
            Absent::Keeps,
            Some(&existing),
        )
        .unwrap();
        assert_eq!(same.name, d.name);
        let other = uuid::Uuid::new_v4().to_string();
        let err = service_principal(
            Level::Account,
            json!({"applicationId": other}),
            Absent::Keeps,
            Some(&existing),
        )
        .unwrap_err();
        assert!(err.to_string().contains("cannot be changed"));
        let err = service_principal(
            Level::Account,
            json!({"applicationId": "nope"}),
            Absent::Keeps,
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("is not a UUID"));
    }
}
