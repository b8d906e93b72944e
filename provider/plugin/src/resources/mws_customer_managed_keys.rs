//! `databricks_mws_customer_managed_keys`: a KMS key registered for managed services and/or
//! workspace storage. Immutable: any change replaces it. `aws_key_info` is optional in the
//! official schema (GCP keys use `gcp_key_info`); here it is required at plan time and
//! `gcp_key_info` is refused.

use crate::account_object::{account_id_attr, refuse_outputs, AccountObject};
use crate::common::Conn;
use crate::validate::{check, kms_key_arn, one_of, region};
use ironbrick_api::account::{
    AwsKeyInfo, CreateCustomerManagedKeyRequest, CustomerManagedKey, KEY_USE_CASES,
};
use std::sync::Arc;
use tf_framework::{
    async_trait, Attr, Block, Diagnostics, Dyn, NestedBlock, Obj, Path, Resource, Schema, Ty, Value,
};

pub struct MwsCustomerManagedKeys(pub Arc<Conn>);

/// A KMS alias name, `alias/<name>`.
fn key_alias(v: &str) -> Result<(), String> {
    match v.strip_prefix("alias/") {
        Some(name) if !name.is_empty() => Ok(()),
        _ => Err(format!("{v:?} must look like alias/<name>.")),
    }
}

fn state(k: CustomerManagedKey) -> Obj {
    let mut info = Obj::new();
    info.set("key_arn", k.aws_key_info.key_arn)
        .set("key_alias", k.aws_key_info.key_alias)
        .set("key_region", k.aws_key_info.key_region)
        .set(
            "reuse_key_for_cluster_volumes",
            k.aws_key_info.reuse_key_for_cluster_volumes,
        );
    let mut o = Obj::new();
    o.set(
        "id",
        format!("{}/{}", k.account_id, k.customer_managed_key_id),
    )
    .set("account_id", k.account_id)
    .set("customer_managed_key_id", k.customer_managed_key_id)
    .set("use_cases", k.use_cases)
    .set("creation_time", k.creation_time)
    .set_block("aws_key_info", Some(info));
    o
}

const KEYS: AccountObject<CustomerManagedKey> = AccountObject {
    collection: "customer-managed-keys",
    id_attr: "customer_managed_key_id",
    what: "the customer-managed key",
    state,
};

#[async_trait]
impl Resource for MwsCustomerManagedKeys {
    fn type_name(&self) -> &'static str {
        "databricks_mws_customer_managed_keys"
    }

    fn schema(&self) -> Schema {
        let info = Block::new(
            "The AWS KMS key.",
            vec![
                Attr::required("key_arn", Ty::String, "KMS key ARN.").force_new(),
                Attr::optional("key_alias", Ty::String, "KMS key alias.").force_new(),
                Attr::optional_computed(
                    "key_region",
                    Ty::String,
                    "Region of the key (from the ARN).",
                )
                .force_new(),
                Attr::optional_computed(
                    "reuse_key_for_cluster_volumes",
                    Ty::Bool,
                    "Also encrypt cluster volumes (STORAGE only).",
                )
                .force_new(),
            ],
        );
        Schema::new(
            Block::new(
                "A customer-managed key configuration.",
                vec![
                    Attr::optional_computed(
                        "id",
                        Ty::String,
                        "`<account_id>/<customer_managed_key_id>`.",
                    ),
                    account_id_attr(true),
                    Attr::required(
                        "use_cases",
                        Ty::list_of_strings(),
                        "`MANAGED_SERVICES` and/or `STORAGE`.",
                    )
                    .force_new(),
                    Attr::optional_computed(
                        "customer_managed_key_id",
                        Ty::String,
                        "Key configuration id.",
                    ),
                    Attr::optional_computed(
                        "creation_time",
                        Ty::Number,
                        "Creation time (ms since the epoch).",
                    ),
                ],
            )
            .with_block(NestedBlock::single_list("aws_key_info", info).force_new())
            .with_block(
                NestedBlock::single_list(
                    "gcp_key_info",
                    Block::new(
                        "GCP only: refused (Ironbrick serves AWS workspaces).",
                        vec![Attr::required("kms_key_id", Ty::String, "Cloud KMS key.")],
                    ),
                )
                .force_new(),
            ),
        )
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        if let Value::Known(cases) = config.strings("use_cases") {
            if cases.is_empty() {
                diags.error_at(
                    Path::attr("use_cases"),
                    "Invalid use_cases",
                    "At least one use case is required.",
                );
            }
            for c in cases {
                if let Err(why) = one_of(&KEY_USE_CASES)(&c) {
                    diags.error_at(Path::attr("use_cases"), "Invalid use_cases", why);
                }
            }
        }
        if let Some(info) = config.block("aws_key_info") {
            let at = Path::attr("aws_key_info").index(0);
            check(
                &info,
                "key_arn",
                at.clone().then("key_arn"),
                diags,
                kms_key_arn,
            );
            check(
                &info,
                "key_region",
                at.clone().then("key_region"),
                diags,
                region,
            );
            check(&info, "key_alias", at.then("key_alias"), diags, key_alias);
        }
        let no_aws_key = match config.get("aws_key_info") {
            Dyn::Null => true,
            Dyn::List(items) => items.is_empty(),
            _ => false,
        };
        if no_aws_key {
            diags.error_at(
                Path::attr("aws_key_info"),
                "Missing aws_key_info",
                "An aws_key_info block (key_arn) is required: Ironbrick serves AWS workspaces.",
            );
        }
        crate::validate::aws_only(config, &["gcp_key_info"], diags);
        refuse_outputs(
            config,
            &["id", "customer_managed_key_id", "creation_time"],
            diags,
        );
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let info = planned.block("aws_key_info").unwrap_or_default();
        let req = CreateCustomerManagedKeyRequest {
            aws_key_info: Some(AwsKeyInfo {
                key_arn: info.str("key_arn").to_owned(),
                key_alias: info.opt_str("key_alias"),
                key_region: info.opt_str("key_region"),
                reuse_key_for_cluster_volumes: info.bool("reuse_key_for_cluster_volumes").known(),
            }),
            use_cases: planned.strings("use_cases").known().unwrap_or_default(),
            ..CreateCustomerManagedKeyRequest::default()
        };
        KEYS.create(&self.0, &planned, &req, diags).await
    }

    async fn read(&self, st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        KEYS.read(&self.0, st, diags).await
    }

    async fn update(&self, _prior: Obj, planned: Obj, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(planned)
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        KEYS.delete(&self.0, &st, diags).await;
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(KEYS.import(id))
    }
}
