//! `databricks_mws_storage_configurations`: the root S3 bucket of workspaces.

use crate::account_object::{account_id_attr, refuse_outputs, AccountObject};
use crate::common::Conn;
use crate::validate::{bucket_name, check, iam_role_arn};
use ironbrick_api::account::{
    CreateStorageConfigurationRequest, RootBucketInfo, StorageConfiguration,
};
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, Diagnostics, Obj, Path, Resource, Schema, Ty};

pub struct MwsStorageConfigurations(pub Arc<Conn>);

fn state(c: StorageConfiguration) -> Obj {
    let mut o = Obj::new();
    o.set(
        "id",
        format!("{}/{}", c.account_id, c.storage_configuration_id),
    )
    .set("account_id", c.account_id)
    .set("storage_configuration_id", c.storage_configuration_id)
    .set("storage_configuration_name", c.storage_configuration_name)
    .set("bucket_name", c.root_bucket_info.bucket_name)
    .set("role_arn", c.role_arn)
    .set("creation_time", c.creation_time);
    o
}

const STORAGE: AccountObject<StorageConfiguration> = AccountObject {
    collection: "storage-configurations",
    id_attr: "storage_configuration_id",
    what: "the storage configuration",
    state,
};

#[async_trait]
impl Resource for MwsStorageConfigurations {
    fn type_name(&self) -> &'static str {
        "databricks_mws_storage_configurations"
    }

    fn schema(&self) -> Schema {
        Schema::new(Block::new(
            "A storage configuration: the root bucket of workspaces.",
            vec![
                Attr::optional_computed(
                    "id",
                    Ty::String,
                    "`<account_id>/<storage_configuration_id>`.",
                ),
                account_id_attr(true),
                Attr::required(
                    "storage_configuration_name",
                    Ty::String,
                    "Name of the configuration.",
                )
                .force_new(),
                Attr::required("bucket_name", Ty::String, "Root S3 bucket name.").force_new(),
                Attr::optional(
                    "role_arn",
                    Ty::String,
                    "IAM role for data access (stored and returned).",
                )
                .force_new(),
                Attr::computed(
                    "storage_configuration_id",
                    Ty::String,
                    "Storage configuration id.",
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
        check(
            config,
            "bucket_name",
            Path::attr("bucket_name"),
            diags,
            bucket_name,
        );
        refuse_outputs(config, &["id"], diags);
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let req = CreateStorageConfigurationRequest {
            storage_configuration_name: planned.str("storage_configuration_name").to_owned(),
            root_bucket_info: RootBucketInfo {
                bucket_name: planned.opt_str("bucket_name"),
            },
            role_arn: planned.opt_str("role_arn"),
        };
        STORAGE.create(&self.0, &planned, &req, diags).await
    }

    async fn read(&self, st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        STORAGE.read(&self.0, st, diags).await
    }

    async fn update(&self, _prior: Obj, planned: Obj, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(planned)
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        STORAGE.delete(&self.0, &st, diags).await;
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(STORAGE.import(id))
    }
}
