//! `data "databricks_mws_workspaces"`: workspace ids of the account by name. As upstream, it
//! accepts a `provider_config { workspace_id }` block and ignores it (the data source is
//! account-level; upstream deprecates the block here).

use crate::common::{account, report, Conn};
use ironbrick_api::account::Workspace;
use std::sync::Arc;
use tf_framework::{
    async_trait, Attr, Block, DataSource, Diagnostics, Dyn, NestedBlock, Obj, Schema, Ty,
};

pub struct MwsWorkspaces(pub Arc<Conn>);

#[async_trait]
impl DataSource for MwsWorkspaces {
    fn type_name(&self) -> &'static str {
        "databricks_mws_workspaces"
    }

    fn schema(&self) -> Schema {
        let provider_config = Block::new(
            "Ignored, as upstream (deprecated there): this data source is account-level.",
            vec![Attr::optional(
                "workspace_id",
                Ty::String,
                "Ignored: the data source always reads the provider's account.",
            )],
        );
        Schema::new(
            Block::new(
                "All workspaces of the account.",
                vec![
                    Attr::optional_computed("id", Ty::String, "The account id."),
                    Attr::optional_computed(
                        "account_id",
                        Ty::String,
                        "Account id (defaults to the provider's).",
                    ),
                    Attr::computed(
                        "ids",
                        Ty::Map(Box::new(Ty::Number)),
                        "Workspace id by workspace name.",
                    ),
                ],
            )
            .with_block(NestedBlock::single_list("provider_config", provider_config)),
        )
    }

    async fn read(&self, config: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = account(&self.0, &config, diags)?;
        let list: Vec<Workspace> = match client.get(&format!("{base}/workspaces")).await {
            Ok(l) => l,
            Err(e) => {
                report(diags, "list workspaces", &e);
                return None;
            }
        };
        let acct = base.rsplit('/').next().unwrap_or_default().to_owned();
        let ids = list
            .into_iter()
            .map(|w| (w.workspace_name, Dyn::Int(w.workspace_id)))
            .collect();
        let mut o = config;
        let id = o.opt_str("id").unwrap_or_else(|| acct.clone());
        o.set("id", id)
            .set("account_id", acct)
            .set("ids", Dyn::Map(ids));
        Some(o)
    }
}
