//! `databricks_token`: a personal access token of the caller in a workspace.

use crate::common::{
    check_workspace_id, imported, post_removal, report, workspace, workspace_scoped, Conn,
};
use crate::validate::lifetime;
use ironbrick_api::tokens::{
    CreateTokenRequest, CreateTokenResponse, ListTokensResponse, RevokeTokenRequest,
};
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, Diagnostics, Obj, Path, Resource, Schema, Ty};

pub struct Token(pub Arc<Conn>);

#[async_trait]
impl Resource for Token {
    fn type_name(&self) -> &'static str {
        "databricks_token"
    }

    fn schema(&self) -> Schema {
        Schema::new(workspace_scoped(Block::new(
            "A personal access token. Its value is known only to the state that created it.",
            vec![
                Attr::optional_computed("id", Ty::String, "Token id."),
                Attr::optional("comment", Ty::String, "Comment.").force_new(),
                Attr::optional(
                    "lifetime_seconds",
                    Ty::Number,
                    "Lifetime in seconds (no expiry when unset).",
                )
                .force_new(),
                Attr::optional_computed("token_id", Ty::String, "Token id."),
                Attr::computed("token_value", Ty::String, "The token.").sensitive(),
                Attr::optional_computed(
                    "creation_time",
                    Ty::Number,
                    "Creation time (ms since the epoch).",
                ),
                Attr::optional_computed(
                    "expiry_time",
                    Ty::Number,
                    "Expiry time (ms since the epoch; -1 for none).",
                ),
            ],
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        lifetime(
            config,
            "lifetime_seconds",
            Path::attr("lifetime_seconds"),
            diags,
        );
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &planned, diags)?;
        let req = CreateTokenRequest {
            lifetime_seconds: planned.int("lifetime_seconds").known(),
            comment: planned.string("comment").known(),
        };
        match client
            .post::<_, CreateTokenResponse>(&format!("{base}/token/create"), &req)
            .await
        {
            Ok(t) => {
                let mut o = planned;
                o.set("id", t.token_info.token_id.clone())
                    .set("token_id", t.token_info.token_id)
                    .set("token_value", t.token_value.0)
                    .set("creation_time", t.token_info.creation_time)
                    .set("expiry_time", t.token_info.expiry_time);
                Some(o)
            }
            Err(e) => {
                report(diags, "create the token", &e);
                None
            }
        }
    }

    async fn read(&self, mut st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &st, diags)?;
        let list: ListTokensResponse = match client.get(&format!("{base}/token/list")).await {
            Ok(l) => l,
            Err(e) if e.is_not_found() => return None,
            Err(e) => {
                report(diags, "list tokens", &e);
                return Some(st);
            }
        };
        let id = st.str("id").to_owned();
        let info = list.token_infos.into_iter().find(|t| t.token_id == id)?;
        st.set("token_id", info.token_id)
            .set("creation_time", info.creation_time)
            .set("expiry_time", info.expiry_time);
        if st.get("comment").is_null() && !info.comment.is_empty() {
            st.set("comment", info.comment);
        }
        Some(st)
    }

    async fn update(&self, _prior: Obj, planned: Obj, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(planned)
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        let Some((client, base)) = workspace(&self.0, &st, diags) else {
            return;
        };
        let req = RevokeTokenRequest {
            token_id: st.str("id").to_owned(),
        };
        post_removal(
            &client,
            &format!("{base}/token/delete"),
            &req,
            "revoke the token",
            diags,
        )
        .await;
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(imported(&self.0, id, false).0)
    }
}
