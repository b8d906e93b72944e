//! `databricks_mws_credentials`: a cross-account IAM role configuration.

use crate::account_object::{account_id_attr, refuse_outputs, AccountObject};
use crate::common::Conn;
use crate::validate::{check, iam_role_arn};
use ironbrick_api::account::{AwsCredentials, CreateCredentialRequest, Credential, StsRole};
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, Diagnostics, Obj, Path, Resource, Schema, Ty};

pub struct MwsCredentials(pub Arc<Conn>);

fn state(c: Credential) -> Obj {
    let mut o = Obj::new();
    let role = c.aws_credentials.sts_role.unwrap_or_default();
    o.set("id", format!("{}/{}", c.account_id, c.credentials_id))
        .set("account_id", c.account_id)
        .set("credentials_id", c.credentials_id)
        .set("credentials_name", c.credentials_name)
        .set("role_arn", role.role_arn)
        .set("external_id", role.external_id)
        .set("creation_time", c.creation_time);
    o
}

const CREDENTIALS: AccountObject<Credential> = AccountObject {
    collection: "credentials",
    id_attr: "credentials_id",
    what: "the credential configuration",
    state,
};

#[async_trait]
impl Resource for MwsCredentials {
    fn type_name(&self) -> &'static str {
        "databricks_mws_credentials"
    }

    fn schema(&self) -> Schema {
        Schema::new(Block::new(
            "A credential configuration: the IAM role the control plane assumes.",
            vec![
                Attr::optional_computed("id", Ty::String, "`<account_id>/<credentials_id>`."),
                account_id_attr(false),
                Attr::required("credentials_name", Ty::String, "Name of the configuration.")
                    .force_new(),
                Attr::required("role_arn", Ty::String, "Cross-account IAM role ARN.").force_new(),
                Attr::optional_computed(
                    "credentials_id",
                    Ty::String,
                    "Credential configuration id.",
                ),
                Attr::optional_computed(
                    "external_id",
                    Ty::String,
                    "External id presented when assuming the role: the account id unless set \
                     (the role's trust policy must require the same value).",
                )
                .force_new(),
                Attr::optional_computed(
                    "creation_time",
                    Ty::Number,
                    "Creation time (ms since the epoch).",
                ),
            ],
        ))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check(
            config,
            "role_arn",
            Path::attr("role_arn"),
            diags,
            iam_role_arn,
        );
        check(
            config,
            "external_id",
            Path::attr("external_id"),
            diags,
            |v| ironbrick_api::validate::sts_external_id("external_id", v),
        );
        refuse_outputs(config, &["id", "credentials_id", "creation_time"], diags);
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let req = CreateCredentialRequest {
            credentials_name: planned.str("credentials_name").to_owned(),
            aws_credentials: AwsCredentials {
                sts_role: Some(StsRole {
                    role_arn: planned.opt_str("role_arn"),
                    external_id: planned.opt_str("external_id"),
                }),
            },
        };
        CREDENTIALS.create(&self.0, &planned, &req, diags).await
    }

    async fn read(&self, st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        CREDENTIALS.read(&self.0, st, diags).await
    }

    async fn update(&self, _prior: Obj, planned: Obj, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(planned)
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        CREDENTIALS.delete(&self.0, &st, diags).await;
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(CREDENTIALS.import(id))
    }
}
