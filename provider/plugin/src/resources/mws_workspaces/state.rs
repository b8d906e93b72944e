//! The state of a workspace: the server's answer, reconciled with the configuration it was
//! planned from (or the prior state, on refresh) for arguments the server does not echo as
//! written.

use ironbrick_api::account::Workspace;
use tf_framework::{Dyn, Obj, Value};

/// The state of `w`, with the bootstrap `token` block. `reference` is the planned object
/// (create, update) or the prior state (refresh); `None` keeps only what the server says.
///
/// Kept from the reference: `compute_mode` (the server always answers one; only `SERVERLESS`
/// is configurable), `expected_workspace_status`, `timeouts`, the deprecated
/// `customer_managed_key_id` (whose key then stays out of
/// `managed_services_customer_managed_key_id`), the spelling of `pricing_tier` when it matches
/// case-insensitively, and an empty `custom_tags` map.
pub fn state(w: Workspace, token: Option<Obj>, reference: Option<&Obj>) -> Obj {
    let empty = Obj::new();
    let r = reference.unwrap_or(&empty);
    let mut o = Obj::new();
    let effective_mode = if w.compute_mode.is_empty() {
        "HYBRID".to_owned()
    } else {
        w.compute_mode.clone()
    };
    let compute_mode = match r.get("compute_mode") {
        Dyn::String(s) => Some(s.clone()),
        _ => (effective_mode == "SERVERLESS").then(|| effective_mode.clone()),
    };
    let legacy_key = r.opt_str("customer_managed_key_id");
    let ms_key = w.managed_services_customer_managed_key_id.filter(|k| {
        legacy_key.as_deref() != Some(k.as_str())
            || r.opt_str("managed_services_customer_managed_key_id")
                .is_some()
    });
    let pricing_tier = match r.string("pricing_tier") {
        Value::Known(p) if p.eq_ignore_ascii_case(&w.pricing_tier) => p,
        _ => w.pricing_tier,
    };
    let tags = w.custom_tags.unwrap_or_default();
    let custom_tags = match (r.string_map("custom_tags"), r.get("custom_tags")) {
        (Value::Known(configured), raw) if configured == tags => raw.clone(),
        _ if tags.is_empty() => Dyn::Null,
        _ => Dyn::Map(tags.into_iter().map(|(k, v)| (k, Dyn::from(v))).collect()),
    };
    let customer = w
        .external_customer_info
        .map(|c| {
            let mut b = Obj::new();
            b.set("customer_name", c.customer_name)
                .set("authoritative_user_email", c.authoritative_user_email)
                .set(
                    "authoritative_user_full_name",
                    c.authoritative_user_full_name,
                );
            b
        })
        .or_else(|| r.block("external_customer_info"));
    let no_public_ip = w
        .is_no_public_ip_enabled
        .or_else(|| r.bool("is_no_public_ip_enabled").known())
        .unwrap_or(true);
    o.set("id", format!("{}/{}", w.account_id, w.workspace_id))
        .set("account_id", w.account_id)
        .set("workspace_id", w.workspace_id)
        .set("workspace_name", w.workspace_name)
        .set("deployment_name", w.deployment_name)
        .set("aws_region", w.aws_region)
        .set("credentials_id", w.credentials_id)
        .set("storage_configuration_id", w.storage_configuration_id)
        .set("network_id", w.network_id)
        .set("private_access_settings_id", w.private_access_settings_id)
        .set("managed_services_customer_managed_key_id", ms_key)
        .set(
            "storage_customer_managed_key_id",
            w.storage_customer_managed_key_id,
        )
        .set("customer_managed_key_id", legacy_key)
        .set("pricing_tier", pricing_tier)
        .set("custom_tags", custom_tags)
        .set("is_no_public_ip_enabled", no_public_ip)
        .set("compute_mode", compute_mode)
        .set("effective_compute_mode", effective_mode)
        .set(
            "network_connectivity_config_id",
            w.network_connectivity_config_id,
        )
        .set(
            "expected_workspace_status",
            r.get("expected_workspace_status").clone(),
        )
        .set("cloud", w.cloud)
        .set("workspace_status", w.workspace_status)
        .set("workspace_status_message", w.workspace_status_message)
        .set("workspace_url", w.workspace_url)
        .set("creation_time", w.creation_time)
        .set("timeouts", r.get("timeouts").clone())
        .set_block("token", token)
        .set_block("external_customer_info", customer);
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> Workspace {
        Workspace {
            workspace_id: 7,
            account_id: "acct".into(),
            workspace_name: "w".into(),
            pricing_tier: "PREMIUM".into(),
            compute_mode: "HYBRID".into(),
            managed_services_customer_managed_key_id: Some("k1".into()),
            custom_tags: Some(Default::default()),
            ..Workspace::default()
        }
    }

    #[test]
    fn configured_spellings_and_inputs_are_kept() {
        let mut planned = Obj::new();
        planned
            .set("pricing_tier", "premium")
            .set("customer_managed_key_id", "k1")
            .set("expected_workspace_status", "RUNNING")
            .set("custom_tags", Dyn::Map(Default::default()));
        let s = state(api(), None, Some(&planned));
        assert_eq!(s.str("pricing_tier"), "premium");
        assert_eq!(s.str("customer_managed_key_id"), "k1");
        assert_eq!(
            s.get("managed_services_customer_managed_key_id"),
            &Dyn::Null
        );
        assert_eq!(s.str("expected_workspace_status"), "RUNNING");
        assert_eq!(s.get("custom_tags"), &Dyn::Map(Default::default()));
        assert_eq!(s.get("compute_mode"), &Dyn::Null);
        assert_eq!(s.str("effective_compute_mode"), "HYBRID");
        assert_eq!(s.get("is_no_public_ip_enabled"), &Dyn::Bool(true));
    }

    #[test]
    fn without_a_reference_the_server_answer_is_the_state() {
        let mut w = api();
        w.compute_mode = "SERVERLESS".into();
        w.custom_tags = Some([("team".to_string(), "a".to_string())].into());
        let s = state(w, None, None);
        assert_eq!(s.str("pricing_tier"), "PREMIUM");
        assert_eq!(s.str("managed_services_customer_managed_key_id"), "k1");
        assert_eq!(s.str("compute_mode"), "SERVERLESS");
        assert_eq!(s.string_map("custom_tags").known().unwrap()["team"], "a");
        assert_eq!(s.str("id"), "acct/7");
    }
}
