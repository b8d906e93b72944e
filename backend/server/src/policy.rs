//! Per-workspace access policy: workspace settings, compiled IP access lists, token and
//! password permissions, cached in memory and invalidated on every change.

use crate::authz::{self, Acl, Grant, ObjectKind};
use crate::error::ApiResult;
use crate::model::{ConfRecord, IpListRecord};
use crate::repo::{self, trees, ws_key};
use ipnet::IpNet;
use ironbrick_api::ip_access_lists::IpAccessListInfo;
use ironbrick_store::Store;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, RwLock};

/// Settings keys.
pub use ironbrick_api::workspace_conf::keys;

/// The effective access policy of one workspace.
#[derive(Debug, Clone, Default)]
pub struct WorkspacePolicy {
    /// Stored workspace settings (only keys that were set).
    pub conf: BTreeMap<String, String>,
    allow: Vec<IpNet>,
    block: Vec<IpNet>,
    /// Every stored list (enabled or not).
    pub lists: Vec<IpAccessListInfo>,
    /// The token permissions (`authorization/tokens`), once set; until then everyone in
    /// `users` may create and use tokens.
    pub tokens_acl: Option<Acl>,
    /// The password permissions (`authorization/passwords`), once set; until then everyone
    /// in `users` may sign in with a password.
    pub passwords_acl: Option<Acl>,
}

impl WorkspacePolicy {
    /// Compiles a policy from settings and lists.
    pub fn compile(conf: BTreeMap<String, String>, lists: Vec<IpAccessListInfo>) -> Self {
        let mut allow = Vec::new();
        let mut block = Vec::new();
        for list in lists.iter().filter(|l| l.enabled) {
            let target = if list.list_type == "BLOCK" {
                &mut block
            } else {
                &mut allow
            };
            target.extend(list.ip_addresses.iter().filter_map(|a| parse_net(a).ok()));
        }
        Self {
            conf,
            allow,
            block,
            lists,
            tokens_acl: None,
            passwords_acl: None,
        }
    }

    /// Whether IP access lists are enforced.
    pub fn ip_enforced(&self) -> bool {
        self.flag(keys::ENABLE_IP_ACCESS_LISTS, false)
    }

    /// Whether non-admin users may create tokens.
    pub fn tokens_enabled(&self) -> bool {
        self.flag(keys::ENABLE_TOKENS_CONFIG, true)
    }

    /// The maximum token lifetime in days, when one is set.
    pub fn max_token_lifetime_days(&self) -> Option<i64> {
        self.conf
            .get(keys::MAX_TOKEN_LIFETIME_DAYS)
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|d| *d > 0)
    }

    fn flag(&self, key: &str, default: bool) -> bool {
        self.conf
            .get(key)
            .map_or(default, |v| v.eq_ignore_ascii_case("true"))
    }

    /// Whether `ip` may reach the workspace: BLOCK wins; with any enabled ALLOW list the address
    /// must be in one of them. Always true when enforcement is off.
    pub fn permits(&self, ip: IpAddr) -> bool {
        if !self.ip_enforced() {
            return true;
        }
        let ip = canonical(ip);
        if ip.is_unspecified() {
            return false;
        }
        if self.block.iter().any(|n| n.contains(&ip)) {
            return false;
        }
        self.allow.is_empty() || self.allow.iter().any(|n| n.contains(&ip))
    }
}

/// Maps IPv4-mapped IPv6 addresses to IPv4 so lists of IPv4 CIDRs match them.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

pub use ironbrick_api::validate::parse_net;

/// Cache of compiled policies by workspace id.
///
/// Entries are dropped by [`PolicyCache::invalidate`] and [`PolicyCache::clear`], which the
/// store's change feed calls when a workspace's settings, IP access lists, token or password
/// permissions change, on this replica or another ([`crate::invalidation`]). A miss that
/// loaded the policy before such a drop does not insert it afterwards: every drop bumps a
/// generation, and a load only inserts when the generation is the one it started at.
#[derive(Debug, Default)]
pub struct PolicyCache {
    map: RwLock<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    policies: HashMap<i64, Arc<WorkspacePolicy>>,
    /// Bumped by every drop.
    generation: u64,
}

impl PolicyCache {
    /// The policy of `workspace_id`, compiled from the store on a miss.
    pub fn get(&self, store: &Store, workspace_id: i64) -> ApiResult<Arc<WorkspacePolicy>> {
        let generation = match self.map.read() {
            Ok(m) => match m.policies.get(&workspace_id) {
                Some(p) => return Ok(p.clone()),
                None => m.generation,
            },
            Err(_) => return Ok(Arc::new(load(store, workspace_id)?)),
        };
        let policy = Arc::new(load(store, workspace_id)?);
        if let Ok(mut m) = self.map.write() {
            if m.generation == generation {
                m.policies.insert(workspace_id, policy.clone());
            }
        }
        Ok(policy)
    }

    /// The policy of `workspace_id` as stored now, bypassing the cache (to check a change
    /// under [`crate::state::AppState::policy_writes`]).
    pub fn fresh(&self, store: &Store, workspace_id: i64) -> ApiResult<WorkspacePolicy> {
        load(store, workspace_id)
    }

    /// Forgets the cached policy of `workspace_id` (its settings, lists or permissions
    /// changed).
    pub fn invalidate(&self, workspace_id: i64) {
        if let Ok(mut m) = self.map.write() {
            m.policies.remove(&workspace_id);
            m.generation += 1;
        }
    }

    /// Forgets every cached policy.
    pub fn clear(&self) {
        if let Ok(mut m) = self.map.write() {
            m.policies.clear();
            m.generation += 1;
        }
    }

    /// Cached policies, for tests.
    pub fn len(&self) -> usize {
        self.map.read().map_or(0, |m| m.policies.len())
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn load(store: &Store, workspace_id: i64) -> ApiResult<WorkspacePolicy> {
    let key = ws_key(workspace_id);
    let conf = repo::get::<ConfRecord>(store, trees::WORKSPACE_CONF, &key)?
        .map(|c| c.0)
        .unwrap_or_default();
    let lists = repo::scan::<IpListRecord>(store, trees::IP_LISTS, &key)?
        .into_iter()
        .map(|r| r.0)
        .collect();
    let mut policy = WorkspacePolicy::compile(conf, lists);
    policy.tokens_acl = stored_acl(
        store,
        workspace_id,
        ObjectKind::Tokens,
        authz::store::TOKENS,
    )?;
    policy.passwords_acl = stored_acl(
        store,
        workspace_id,
        ObjectKind::Passwords,
        authz::store::PASSWORDS,
    )?;
    Ok(policy)
}

/// The direct grants stored for a workspace-wide `authorization/*` object, if ever set.
fn stored_acl(
    store: &Store,
    workspace_id: i64,
    kind: ObjectKind,
    object: &str,
) -> ApiResult<Option<Acl>> {
    Ok(
        authz::store::get(store, workspace_id, object)?.map(|r| Acl {
            kind,
            name: object.to_string(),
            grants: r
                .grants
                .iter()
                .map(|g| Grant {
                    principal: g.principal,
                    level: g.level,
                    inherited_from: None,
                })
                .collect(),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(kind: &str, addrs: &[&str], enabled: bool) -> IpAccessListInfo {
        IpAccessListInfo {
            list_type: kind.into(),
            ip_addresses: addrs.iter().map(|s| s.to_string()).collect(),
            enabled,
            ..Default::default()
        }
    }

    fn enforced(lists: Vec<IpAccessListInfo>) -> WorkspacePolicy {
        let conf = BTreeMap::from([(keys::ENABLE_IP_ACCESS_LISTS.to_string(), "true".to_string())]);
        WorkspacePolicy::compile(conf, lists)
    }

    #[test]
    fn block_wins_over_allow() {
        let p = enforced(vec![
            list("ALLOW", &["10.0.0.0/8"], true),
            list("BLOCK", &["10.1.2.3"], true),
        ]);
        assert!(p.permits("10.9.9.9".parse().unwrap()));
        assert!(!p.permits("10.1.2.3".parse().unwrap()));
        assert!(!p.permits("192.168.1.1".parse().unwrap()));
    }

    #[test]
    fn no_allow_list_means_everyone_not_blocked() {
        let p = enforced(vec![list("BLOCK", &["127.0.0.2"], true)]);
        assert!(p.permits("127.0.0.1".parse().unwrap()));
        assert!(!p.permits("::ffff:127.0.0.2".parse().unwrap()));
    }

    #[test]
    fn disabled_lists_and_disabled_enforcement_permit() {
        let p = enforced(vec![list("BLOCK", &["127.0.0.1"], false)]);
        assert!(p.permits("127.0.0.1".parse().unwrap()));
        let off =
            WorkspacePolicy::compile(BTreeMap::new(), vec![list("BLOCK", &["127.0.0.1"], true)]);
        assert!(off.permits("127.0.0.1".parse().unwrap()));
    }
}
