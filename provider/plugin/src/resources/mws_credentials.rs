//! `databricks_mws_credentials`: a cross-account IAM role configuration.

use crate::common::{account, delete_url, get_opt, report, split_account_id, Conn};
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

fn url(base: &str, o: &Obj) -> String {
    format!("{base}/credentials/{}", o.str("credentials_id"))
}

#[async_trait]
impl Resource for MwsCredentials {
    fn type_name(&self) -> &'static str {
        "databricks_mws_credentials"
    }

    fn schema(&self) -> Schema {
        Schema::new(Block::new(
            "A credential configuration: the IAM role the control plane assumes.",
            vec![
                Attr::computed("id", Ty::String, "`<account_id>/<credentials_id>`."),
                Attr::optional_computed(
                    "account_id",
                    Ty::String,
                    "Account id (defaults to the provider's).",
                )
                .force_new(),
                Attr::required("credentials_name", Ty::String, "Name of the configuration.")
                    .force_new(),
                Attr::required("role_arn", Ty::String, "Cross-account IAM role ARN.").force_new(),
                Attr::computed("credentials_id", Ty::String, "Credential configuration id."),
                Attr::computed(
                    "external_id",
                    Ty::String,
                    "External id presented when assuming the role.",
                ),
                Attr::computed(
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
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = account(&self.0, &planned, diags)?;
        let req = CreateCredentialRequest {
            credentials_name: planned.str("credentials_name").to_owned(),
            aws_credentials: AwsCredentials {
                sts_role: Some(StsRole {
                    role_arn: planned.opt_str("role_arn"),
                    external_id: None,
                }),
            },
        };
        match client
            .post::<_, Credential>(&format!("{base}/credentials"), &req)
            .await
        {
            Ok(c) => Some(state(c)),
            Err(e) => {
                report(diags, "create the credential configuration", &e);
                None
            }
        }
    }

    async fn read(&self, st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = account(&self.0, &st, diags)?;
        match get_opt(
            &client,
            &url(&base, &st),
            "the credential configuration",
            diags,
        )
        .await
        {
            Ok(found) => found.map(state),
            Err(()) => Some(st),
        }
    }

    async fn update(&self, _prior: Obj, planned: Obj, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(planned)
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        if let Some((client, base)) = account(&self.0, &st, diags) {
            delete_url(
                &client,
                &url(&base, &st),
                "the credential configuration",
                diags,
            )
            .await;
        }
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        let (acct, cid) = split_account_id(id);
        let mut o = Obj::new();
        o.set("account_id", acct).set("credentials_id", cid);
        Some(o)
    }
}
