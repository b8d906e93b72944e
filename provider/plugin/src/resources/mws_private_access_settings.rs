//! `databricks_mws_private_access_settings`: whether the workspaces that name them stay
//! reachable from the public internet, and which registered VPC endpoints may reach them
//! privately. Updated in place by replacing them (`PUT`), for every workspace that uses them;
//! only `region` (settings belong to one region) and `account_id` force a replacement.

use crate::account_object::{refuse_outputs, AccountObject};
use crate::common::{account, report, Conn};
use crate::validate::{check, one_of, region};
use ironbrick_api::private_link::{
    PrivateAccessSettings, PrivateAccessSettingsRequest, PRIVATE_ACCESS_LEVELS,
};
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, Diagnostics, Dyn, Obj, Path, Resource, Schema, Ty};

/// The `databricks_mws_private_access_settings` resource.
pub struct MwsPrivateAccessSettings(pub Arc<Conn>);

fn state(p: PrivateAccessSettings) -> Obj {
    let mut o = Obj::new();
    let allowed = if p.allowed_vpc_endpoint_ids.is_empty() {
        Dyn::Null
    } else {
        Dyn::from(p.allowed_vpc_endpoint_ids)
    };
    o.set(
        "id",
        format!("{}/{}", p.account_id, p.private_access_settings_id),
    )
    .set("account_id", p.account_id)
    .set("private_access_settings_id", p.private_access_settings_id)
    .set(
        "private_access_settings_name",
        p.private_access_settings_name,
    )
    .set("region", p.region)
    .set("public_access_enabled", p.public_access_enabled)
    .set("private_access_level", p.private_access_level)
    .set("allowed_vpc_endpoint_ids", allowed);
    o
}

/// Keeps an empty `allowed_vpc_endpoint_ids` list of `reference` (the planned object or the
/// prior state) in `o`: the server does not tell an empty list from none.
fn keep_empty_list(o: &mut Obj, reference: &Obj) {
    let kept = reference.get("allowed_vpc_endpoint_ids");
    if o.get("allowed_vpc_endpoint_ids").is_null() && kept.as_list().is_some_and(<[_]>::is_empty) {
        o.set("allowed_vpc_endpoint_ids", kept.clone());
    }
}

/// The state of `p`, reconciled with `reference` (see [`keep_empty_list`]).
fn reconciled(p: PrivateAccessSettings, reference: &Obj) -> Obj {
    let mut o = state(p);
    keep_empty_list(&mut o, reference);
    o
}

fn request(o: &Obj) -> PrivateAccessSettingsRequest {
    PrivateAccessSettingsRequest {
        private_access_settings_name: o.str("private_access_settings_name").to_owned(),
        region: o.opt_str("region"),
        public_access_enabled: o.bool("public_access_enabled").known(),
        private_access_level: o.opt_str("private_access_level"),
        allowed_vpc_endpoint_ids: o.strings("allowed_vpc_endpoint_ids").known(),
    }
}

const SETTINGS: AccountObject<PrivateAccessSettings> = AccountObject {
    collection: "private-access-settings",
    id_attr: "private_access_settings_id",
    what: "the private access settings",
    state,
};

#[async_trait]
impl Resource for MwsPrivateAccessSettings {
    fn type_name(&self) -> &'static str {
        "databricks_mws_private_access_settings"
    }

    fn schema(&self) -> Schema {
        Schema::new(Block::new(
            "Private access settings: how the workspaces that use them may be reached.",
            vec![
                Attr::optional_computed(
                    "id",
                    Ty::String,
                    "`<account_id>/<private_access_settings_id>`.",
                ),
                Attr::optional_computed(
                    "account_id",
                    Ty::String,
                    "Account id: the provider's when unset.",
                )
                .force_new(),
                Attr::required(
                    "private_access_settings_name",
                    Ty::String,
                    "Name of the settings.",
                ),
                Attr::required("region", Ty::String, "AWS region of the workspaces.").force_new(),
                Attr::optional(
                    "public_access_enabled",
                    Ty::Bool,
                    "Whether the workspaces stay reachable from the public internet.",
                )
                .default(false),
                Attr::optional(
                    "private_access_level",
                    Ty::String,
                    "`ACCOUNT` (any endpoint registered in the account) or `ENDPOINT` (those of \
                     `allowed_vpc_endpoint_ids`).",
                )
                .default("ACCOUNT"),
                Attr::optional(
                    "allowed_vpc_endpoint_ids",
                    Ty::list_of_strings(),
                    "`vpc_endpoint_id`s of registrations in the same region allowed at the \
                     `ENDPOINT` level.",
                ),
                Attr::optional_computed(
                    "private_access_settings_id",
                    Ty::String,
                    "Private access settings id.",
                ),
            ],
        ))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check(config, "region", Path::attr("region"), diags, region);
        check(
            config,
            "private_access_level",
            Path::attr("private_access_level"),
            diags,
            one_of(&PRIVATE_ACCESS_LEVELS),
        );
        refuse_outputs(config, &["id", "private_access_settings_id"], diags);
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let mut o = SETTINGS
            .create(&self.0, &planned, &request(&planned), diags)
            .await?;
        keep_empty_list(&mut o, &planned);
        Some(o)
    }

    async fn read(&self, st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        match SETTINGS.fetch(&self.0, &st, diags).await {
            Ok(found) => found.map(|p| reconciled(p, &st)),
            Err(()) => Some(st),
        }
    }

    async fn update(&self, prior: Obj, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = account(&self.0, &planned, diags)?;
        let url = SETTINGS.url(&base, &prior);
        match client
            .put::<_, PrivateAccessSettings>(&url, &request(&planned))
            .await
        {
            Ok(p) => Some(reconciled(p, &planned)),
            Err(e) => {
                report(diags, "replace the private access settings", &e);
                None
            }
        }
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        SETTINGS.delete(&self.0, &st, diags).await;
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(SETTINGS.import(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> PrivateAccessSettings {
        PrivateAccessSettings {
            private_access_settings_id: "pas".into(),
            private_access_settings_name: "n".into(),
            region: "us-east-1".into(),
            public_access_enabled: false,
            private_access_level: "ACCOUNT".into(),
            allowed_vpc_endpoint_ids: Vec::new(),
            account_id: "acct".into(),
        }
    }

    #[test]
    fn an_empty_allowed_list_is_kept_from_the_reference() {
        let mut planned = Obj::new();
        planned.set("allowed_vpc_endpoint_ids", Dyn::List(Vec::new()));
        let s = reconciled(api(), &planned);
        assert_eq!(s.get("allowed_vpc_endpoint_ids"), &Dyn::List(Vec::new()));
        assert_eq!(s.str("id"), "acct/pas");
        let s = reconciled(api(), &Obj::new());
        assert_eq!(s.get("allowed_vpc_endpoint_ids"), &Dyn::Null);
    }

    #[test]
    fn the_request_carries_every_argument() {
        let mut planned = Obj::new();
        planned
            .set("private_access_settings_name", "n")
            .set("region", "us-east-1")
            .set("public_access_enabled", true)
            .set("private_access_level", "ENDPOINT")
            .set("allowed_vpc_endpoint_ids", vec!["a".to_owned()]);
        let req = request(&planned);
        assert_eq!(req.allowed_vpc_endpoint_ids, Some(vec!["a".to_owned()]));
        assert_eq!(req.public_access_enabled, Some(true));
        assert_eq!(req.private_access_level.as_deref(), Some("ENDPOINT"));
    }

    #[test]
    fn levels_and_outputs_are_checked() {
        let r = MwsPrivateAccessSettings(Arc::new(Conn::default()));
        let mut config = Obj::new();
        config
            .set("private_access_level", "ANYONE")
            .set("private_access_settings_id", "x");
        let mut diags = Diagnostics::default();
        r.validate(&config, &mut diags);
        let out = format!("{diags:?}");
        assert!(out.contains("Invalid private_access_level"), "{out}");
        assert!(
            out.contains("private_access_settings_id cannot be set"),
            "{out}"
        );
    }
}
