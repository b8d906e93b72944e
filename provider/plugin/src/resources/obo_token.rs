//! `databricks_obo_token`: a token created on behalf of a service principal (token management).

use crate::common::{
    check_workspace_id, delete_url, get_opt, imported, report, workspace, workspace_scoped, Conn,
};
use crate::validate::lifetime;
use ironbrick_api::tokens::{CreateOboTokenRequest, CreateOboTokenResponse, GetTokenResponse};
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, Diagnostics, Obj, Path, Resource, Schema, Ty};

pub struct OboToken(pub Arc<Conn>);

fn url(base: &str, o: &Obj) -> String {
    format!("{base}/token-management/tokens/{}", o.str("id"))
}

#[async_trait]
impl Resource for OboToken {
    fn type_name(&self) -> &'static str {
        "databricks_obo_token"
    }

    fn schema(&self) -> Schema {
        Schema::new(workspace_scoped(Block::new(
            "A token created by an admin on behalf of a service principal.",
            vec![
                Attr::optional_computed("id", Ty::String, "Token id."),
                Attr::required(
                    "application_id",
                    Ty::String,
                    "Application id of the service principal.",
                )
                .force_new(),
                Attr::optional("comment", Ty::String, "Comment.").force_new(),
                Attr::optional("lifetime_seconds", Ty::Number, "Lifetime in seconds.").force_new(),
                Attr::computed("token_value", Ty::String, "The token.").sensitive(),
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
        let req = CreateOboTokenRequest {
            application_id: planned.str("application_id").to_owned(),
            lifetime_seconds: planned.int("lifetime_seconds").known(),
            comment: planned.string("comment").known(),
        };
        let url = format!("{base}/token-management/on-behalf-of/tokens");
        match client.post::<_, CreateOboTokenResponse>(&url, &req).await {
            Ok(t) => {
                let mut o = planned;
                o.set("id", t.token_info.token_id)
                    .set("token_value", t.token_value.0);
                Some(o)
            }
            Err(e) => {
                report(diags, "create the on-behalf-of token", &e);
                None
            }
        }
    }

    async fn read(&self, mut st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &st, diags)?;
        let found: Option<GetTokenResponse> =
            match get_opt(&client, &url(&base, &st), "the token", diags).await {
                Ok(f) => f,
                Err(()) => return Some(st),
            };
        let info = found?.token_info;
        if st.get("application_id").is_null() {
            st.set("application_id", info.owner_id.to_string());
        }
        if st.get("comment").is_null() && !info.comment.is_empty() {
            st.set("comment", info.comment);
        }
        Some(st)
    }

    async fn update(&self, _prior: Obj, planned: Obj, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(planned)
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        if let Some((client, base)) = workspace(&self.0, &st, diags) {
            delete_url(&client, &url(&base, &st), "the token", diags).await;
        }
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(imported(&self.0, id, false).0)
    }
}
