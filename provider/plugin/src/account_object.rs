//! The shape every account-level object shares: a collection under the account API, an id
//! attribute, and an answer that maps to state. Resources describe theirs once and get create,
//! read (gone → removed from state), delete (gone → done) and import (`<account_id>/<id>`).

use crate::common::{account, delete_url, get_opt, report, split_account_id, Conn};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;
use tf_framework::{Attr, Diagnostics, Dyn, Obj, Path, Ty};

/// `account_id` as the official provider declares it on account-level resources: required
/// (optional and deprecated on `databricks_mws_credentials`, where the provider's is used when
/// it is unset). Changing it replaces the object.
pub fn account_id_attr(required: bool) -> Attr {
    if required {
        Attr::required("account_id", Ty::String, "Account id.").force_new()
    } else {
        Attr::optional_computed(
            "account_id",
            Ty::String,
            "Account id (deprecated upstream: defaults to the provider's).",
        )
        .force_new()
    }
}

/// Refuses, when a configuration sets them, attributes that the official provider declares
/// optional but only the server fills in (ids, statuses, timestamps): a configured value could
/// never match what the server answers. `names` are attributes or blocks of `config`.
pub fn refuse_outputs(config: &Obj, names: &[&str], diags: &mut Diagnostics) {
    for name in names {
        let set = match config.get(name) {
            Dyn::Null => false,
            Dyn::List(items) => !items.is_empty(),
            _ => true,
        };
        if set {
            diags.error_at(
                Path::attr(name),
                format!("{name} cannot be set"),
                format!("{name} is set by the server; remove it from the configuration."),
            );
        }
    }
}

/// An account-level object kind.
pub struct AccountObject<T> {
    /// Path segment under `/api/2.0/accounts/{account_id}`, e.g. `networks`.
    pub collection: &'static str,
    /// The state attribute holding the object's id, e.g. `network_id`.
    pub id_attr: &'static str,
    /// How diagnostics name it, e.g. `the network configuration`.
    pub what: &'static str,
    /// The state of an API answer.
    pub state: fn(T) -> Obj,
}

impl<T: DeserializeOwned> AccountObject<T> {
    /// The object's URL under the account API `base`.
    pub fn url(&self, base: &str, o: &Obj) -> String {
        let id = o.string(self.id_attr).known().unwrap_or_default();
        format!("{base}/{}/{id}", self.collection)
    }

    /// Creates the object from `body`.
    pub async fn create<B: Serialize + Sync>(
        &self,
        conn: &Arc<Conn>,
        planned: &Obj,
        body: &B,
        diags: &mut Diagnostics,
    ) -> Option<Obj> {
        let (client, base) = account(conn, planned, diags)?;
        let url = format!("{base}/{}", self.collection);
        match client.post::<_, T>(&url, body).await {
            Ok(v) => Some((self.state)(v)),
            Err(e) => {
                report(diags, &format!("create {}", self.what), &e);
                None
            }
        }
    }

    /// The API's answer for the object in `st`: `Ok(None)` when it is gone.
    pub async fn fetch(
        &self,
        conn: &Arc<Conn>,
        st: &Obj,
        diags: &mut Diagnostics,
    ) -> Result<Option<T>, ()> {
        let (client, base) = account(conn, st, diags).ok_or(())?;
        get_opt(&client, &self.url(&base, st), self.what, diags).await
    }

    /// Refreshed state; `None` when the object is gone, the old state when the read failed.
    pub async fn read(&self, conn: &Arc<Conn>, st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        match self.fetch(conn, &st, diags).await {
            Ok(found) => found.map(self.state),
            Err(()) => Some(st),
        }
    }

    /// Deletes the object; one already gone counts as deleted.
    pub async fn delete(&self, conn: &Arc<Conn>, st: &Obj, diags: &mut Diagnostics) {
        if let Some((client, base)) = account(conn, st, diags) {
            delete_url(&client, &self.url(&base, st), self.what, diags).await;
        }
    }

    /// The starting state of an import by `<account_id>/<id>` or `<id>`.
    pub fn import(&self, id: &str) -> Obj {
        let (acct, oid) = split_account_id(id);
        let mut o = Obj::new();
        o.set("account_id", acct).set(self.id_attr, oid);
        o
    }
}
