//! `databricks_ip_access_list`: an ALLOW or BLOCK list of addresses and CIDR blocks.

use crate::common::{
    check_workspace_id, delete_url, get_opt, imported, report, workspace, workspace_scoped, Conn,
};
use crate::validate::{check, cidr, one_of};
use ironbrick_api::ip_access_lists::{
    CreateIpAccessListRequest, IpAccessListInfo, IpAccessListResponse, UpdateIpAccessListRequest,
    LIST_TYPES,
};
use std::collections::BTreeSet;
use std::sync::Arc;
use tf_framework::{async_trait, Attr, Block, Diagnostics, Obj, Path, Resource, Schema, Ty, Value};

pub struct IpAccessList(pub Arc<Conn>);

fn url(base: &str, o: &Obj) -> String {
    format!("{base}/ip-access-lists/{}", o.str("id"))
}

/// The network an address or CIDR block denotes, so `::1/128` and `::1` compare equal.
fn canonical(entry: &str) -> String {
    let net = entry
        .parse::<ipnet::IpNet>()
        .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from));
    net.map_or_else(|_| entry.to_owned(), |n| n.trunc().to_string())
}

fn canonical_set<'a>(entries: impl IntoIterator<Item = &'a String>) -> BTreeSet<String> {
    entries.into_iter().map(|e| canonical(e)).collect()
}

/// State from the API. The addresses as written in configuration are kept when they denote the
/// same set of networks as the API's (which normalises them).
fn state(mut o: Obj, l: IpAccessListInfo) -> Obj {
    let known = o.strings("ip_addresses").known().unwrap_or_default();
    if canonical_set(&known) != canonical_set(&l.ip_addresses) {
        o.set("ip_addresses", l.ip_addresses);
    }
    o.set("id", l.list_id)
        .set("label", l.label)
        .set("list_type", l.list_type)
        .set("enabled", l.enabled);
    o
}

#[async_trait]
impl Resource for IpAccessList {
    fn type_name(&self) -> &'static str {
        "databricks_ip_access_list"
    }

    fn schema(&self) -> Schema {
        Schema::new(workspace_scoped(Block::new(
            "An IP access list, enforced when `enableIpAccessLists` is true. BLOCK wins over ALLOW.",
            vec![
                Attr::optional_computed("id", Ty::String, "List id."),
                Attr::required("label", Ty::String, "Label."),
                Attr::required("list_type", Ty::String, "`ALLOW` or `BLOCK`."),
                Attr::required("ip_addresses", Ty::set_of_strings(), "Addresses and CIDR blocks."),
                Attr::optional("enabled", Ty::Bool, "Whether the list is enforced.").default(true),
            ],
        )))
    }

    fn validate(&self, config: &Obj, diags: &mut Diagnostics) {
        check_workspace_id(config, diags);
        check(
            config,
            "list_type",
            Path::attr("list_type"),
            diags,
            one_of(&LIST_TYPES),
        );
        if let Value::Known(addrs) = config.strings("ip_addresses") {
            for (i, a) in addrs.iter().enumerate() {
                if let Err(why) = cidr(a) {
                    diags.error_at(
                        Path::attr("ip_addresses").index(i),
                        "Invalid ip_addresses",
                        why,
                    );
                }
            }
        }
    }

    async fn create(&self, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &planned, diags)?;
        let req = CreateIpAccessListRequest {
            label: planned.str("label").to_owned(),
            list_type: planned.str("list_type").to_owned(),
            ip_addresses: planned.strings("ip_addresses").known().unwrap_or_default(),
        };
        let lists = format!("{base}/ip-access-lists");
        let created = match client.post::<_, IpAccessListResponse>(&lists, &req).await {
            Ok(r) => r.ip_access_list,
            Err(e) => {
                report(diags, "create the IP access list", &e);
                return None;
            }
        };
        let disabled = planned.bool("enabled").known() == Some(false);
        let mut o = state(planned, created);
        if disabled {
            let req = UpdateIpAccessListRequest {
                enabled: Some(false),
                ..UpdateIpAccessListRequest::default()
            };
            match client
                .patch::<_, serde_json::Value>(&url(&base, &o), &req)
                .await
            {
                Ok(_) => {
                    o.set("enabled", false);
                }
                Err(e) => report(diags, "disable the IP access list", &e),
            }
        }
        Some(o)
    }

    async fn read(&self, st: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &st, diags)?;
        match get_opt::<IpAccessListResponse>(
            &client,
            &url(&base, &st),
            "the IP access list",
            diags,
        )
        .await
        {
            Ok(found) => found.map(|r| state(st, r.ip_access_list)),
            Err(()) => Some(st),
        }
    }

    async fn update(&self, _prior: Obj, planned: Obj, diags: &mut Diagnostics) -> Option<Obj> {
        let (client, base) = workspace(&self.0, &planned, diags)?;
        let req = UpdateIpAccessListRequest {
            label: planned.string("label").known(),
            list_type: planned.string("list_type").known(),
            ip_addresses: planned.strings("ip_addresses").known(),
            enabled: planned.bool("enabled").known(),
        };
        match client
            .patch::<_, serde_json::Value>(&url(&base, &planned), &req)
            .await
        {
            Ok(_) => {}
            Err(e) => {
                report(diags, "update the IP access list", &e);
                return None;
            }
        }
        self.read(planned, diags).await
    }

    async fn delete(&self, st: Obj, diags: &mut Diagnostics) {
        if let Some((client, base)) = workspace(&self.0, &st, diags) {
            delete_url(&client, &url(&base, &st), "the IP access list", diags).await;
        }
    }

    fn import(&self, id: &str, _diags: &mut Diagnostics) -> Option<Obj> {
        Some(imported(&self.0, id, false).0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_networks_compare_equal() {
        assert_eq!(canonical("::1/128"), canonical("::1"));
        assert_eq!(canonical("10.1.2.3/8"), canonical("10.0.0.0/8"));
        assert_ne!(canonical("10.0.0.0/8"), canonical("10.0.0.0/16"));
    }
}
