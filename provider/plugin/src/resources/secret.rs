//! `databricks_secret`: one secret value. The value is sensitive, sent only to the backend
//! (which stores it under envelope encryption) and compared on refresh to detect drift.

use crate::common::{
    check_workspace_id, imported, post_removal, report, workspace, workspace_scoped, Conn,
};
use crate::validate::{check, secret_name};
use base64::Engine;
use ironbrick_api::client::Client;
use ironbrick_api::secrets::{
    DeleteSecretRequest, GetSecretResponse, ListSecretsResponse, PutSecretRequest,
};
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, Diagnostics, Obj, Path, Resource, Schema, Ty};

pub struct Secret(pub Arc<Conn>);

const SEP: &str = "|||";

async fn put(client: &Client, base: &str, o: &Obj, diags: &mut Diagnostics) -> bool {
    let req = PutSecretRequest {
        scope: o.str("scope").to_owned(),
        key: o.str("key").to_owned(),
        string_value: o
            .string("string_value")
            .known()
            .or_else(|| o.string("string_value_wo").known()),
        bytes_value: None,
    };
    match client
        .post::<_, serde_json::Value>(&format!("{base}/secrets/put"), &req)
        .await
    {
        Ok(_) => true,
        Err(e) => {
            report(diags, "store the secret", &e);
            false
        }
    }
}

#[async_trait]
impl Resource for Secret {
    fn type_name(&self) -> &'static str {
        "databricks_secret"
    }

    fn schema(&self) -> Schema {
        Schema::new(workspace_scoped(Block::new(
            "A secret in a scope.",
            vec![
                Attr::optional_computed("id", Ty::String, "`<scope>|||<key>`."),
                Attr::required("scope", Ty::String, "Scope name.").force_new(),
                Attr::required("key", Ty::String, "Secret key.").force_new(),
                Attr::optional(
                    "string_value",
                    Ty::String,
                    "The secret value, kept (sensitive) in state so that drift is detected. \
                     Exactly one of `string_value` and `string_value_wo` is set.",
                )
                .sensitive(),
                Attr::optional(
                    "string_value_wo",
                    Ty::String,
                    "The secret value, write-only: sent to the backend but never stored in plan \
                     or state (Terraform 1.11 and later). Change `string_value_wo_version` to \
                     send a new value.",
                )
                .sensitive()
                .write_only(),
                Attr::optional(
                    "string_value_wo_version",
                    Ty::Number,
                    "Any number; changing it sends `string_value_wo` again.",
                ),
                Attr::computed(
                    "last_updated_timestamp",
                    Ty::Number,
                    "Last update (ms since the epoch).",
                )
                .volatile(),
                Attr::computed(
                    "config_reference",
                    Ty::String,
                    "`{{secrets/<scope>/<key>}}`, for Spark configuration.",
                ),
            ],
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        let (plain, wo) = (config.get("string_value"), config.get("string_value_wo"));
        if plain.is_null() == wo.is_null() && !plain.is_unknown() && !wo.is_unknown() {
            diags.error(
                "Exactly one of string_value and string_value_wo",
                "Set the secret's value with string_value, or with string_value_wo (write-only, \
                 Terraform 1.11 and later), but not both.",
            );
        }
        check(
            config,
            "scope",
            Path::attr("scope"),
            diags,
            secret_name("scope name"),
        );
        check(
            config,
            "key",
            Path::attr("key"),
            diags,
            secret_name("secret key"),
        );
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &planned, diags)?;
        if !put(&client, &base, &planned, diags).await {
            return None;
        }
        self.read(planned, diags).await
    }

    async fn read(&self, mut st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &st, diags)?;
        let (scope, key) = match (st.opt_str("scope"), st.opt_str("key")) {
            (Some(s), Some(k)) => (s, k),
            _ => {
                let id = st.str("id").to_owned();
                let (s, k) = id.split_once(SEP)?;
                (s.to_owned(), k.to_owned())
            }
        };
        let url = format!("{base}/secrets/list");
        let list: ListSecretsResponse = match client.get_query(&url, &[("scope", &scope)]).await {
            Ok(l) => l,
            Err(e) if e.is_not_found() => return None,
            Err(e) => {
                report(diags, "list secrets", &e);
                return Some(st);
            }
        };
        let meta = list.secrets.into_iter().find(|s| s.key == key)?;
        let url = format!("{base}/secrets/get");
        match client
            .get_query::<GetSecretResponse>(&url, &[("scope", &scope), ("key", &key)])
            .await
        {
            Ok(v) => {
                let value = base64::engine::general_purpose::STANDARD
                    .decode(v.value)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                if !st.get("string_value").is_null() {
                    st.set("string_value", value);
                }
            }
            Err(e) if e.is_not_found() => return None,
            Err(e) => report(diags, "read the secret", &e),
        }
        st.set("id", format!("{scope}{SEP}{key}"))
            .set("config_reference", format!("{{{{secrets/{scope}/{key}}}}}"))
            .set("scope", scope)
            .set("key", key)
            .set("last_updated_timestamp", meta.last_updated_timestamp);
        Some(st)
    }

    async fn update(&self, _prior: Obj, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &planned, diags)?;
        if !put(&client, &base, &planned, diags).await {
            return None;
        }
        self.read(planned, diags).await
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        let Some((client, base)) = workspace(&self.0, &st, diags) else {
            return;
        };
        let req = DeleteSecretRequest {
            scope: st.str("scope").to_owned(),
            key: st.str("key").to_owned(),
        };
        post_removal(
            &client,
            &format!("{base}/secrets/delete"),
            &req,
            "delete the secret",
            diags,
        )
        .await;
    }

    fn import(&self, id: &str, diags: &mut Diagnostics) -> Option<Obj> {
        let (o, rest) = imported(&self.0, id, false);
        if !rest.contains(SEP) {
            diags.error(
                "Invalid import id",
                format!("{id:?} is not <scope>|||<key> (or <workspace_id>/<scope>|||<key>)."),
            );
            return None;
        }
        // string_value stays null: the configuration may set the value write-only, and an
        // import must not put it into the state. The next apply writes the configured value.
        Some(o)
    }
}
