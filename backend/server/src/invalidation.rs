//! What this process caches from the store, and how changes reach those caches, whichever
//! replica made them.
//!
//! The store's change feed ([`ironbrick_store::changes`]) is told which writes matter
//! ([`cached`]) and hands every change to [`apply`]: on this replica at commit, from other
//! replicas sharing a PostgreSQL database within a second (a notice, or the feed's version
//! check when a notice was lost). The caches:
//!
//! - [`crate::policy::PolicyCache`], per workspace: settings (`workspace_conf`), IP access
//!   lists, token and password permissions (the `authorization/tokens` and
//!   `authorization/passwords` ACLs). A change drops the workspace's entry; a change the feed
//!   cannot attribute drops them all.
//! - [`crate::passwords::cache::VerifiedCache`], per principal: a changed or removed
//!   password drops the principal's entry. (It would not be trusted anyway: its digest covers
//!   the stored hash, read on every sign-in.)
//! - the failed sign-in counts of [`crate::passwords::throttle`], per key, which replicas
//!   sharing a store keep there: a failure counted (or a pair cleared) on any replica drops
//!   the entry.
//!
//! Everything else admission depends on is read from the store on every request: tokens,
//! principals and their state, group memberships and roles, workspace assignments, private
//! access settings, workspaces. The data keys' cache ([`ironbrick_kms::Envelope`]) stays per
//! replica and bounded by its time to live (`--dek-cache-ttl`), by design.

use crate::authz;
use crate::passwords::{self, throttle, Passwords};
use crate::policy::PolicyCache;
use crate::repo::trees;
use ironbrick_store::Change;

/// Length of a workspace key prefix, `w{id:020}/`.
const WS_PREFIX: usize = 22;

/// Whether a write of `key` in `tree` changes something cached.
pub fn cached(tree: &str, key: &[u8]) -> bool {
    match tree {
        trees::WORKSPACE_CONF | trees::IP_LISTS | passwords::TREE | throttle::TREE => true,
        authz::store::ACLS => matches!(
            key.get(WS_PREFIX..),
            Some(object) if object == authz::store::TOKENS.as_bytes()
                || object == authz::store::PASSWORDS.as_bytes()
        ),
        _ => false,
    }
}

/// Drops what `change` makes stale.
pub fn apply(policies: &PolicyCache, passwords: &Passwords, change: &Change) {
    let verified = passwords.cache();
    match change {
        Change::Key { tree, key } if tree == throttle::TREE => passwords.throttle().forget(key),
        Change::Key { tree, key } if tree == passwords::TREE => match principal(key) {
            Some(id) => verified.forget(id),
            None => verified.clear(),
        },
        Change::Key { key, .. } => match workspace(key) {
            Some(id) => policies.invalidate(id),
            None => policies.clear(),
        },
        Change::Tree(tree) if tree == throttle::TREE => passwords.throttle().forget_all(),
        Change::Tree(tree) if tree == passwords::TREE => verified.clear(),
        Change::Tree(_) => policies.clear(),
        Change::All => {
            policies.clear();
            verified.clear();
            passwords.throttle().forget_all();
        }
    }
}

/// The workspace of a workspace-scoped key (`w{id:020}/...`).
fn workspace(key: &[u8]) -> Option<i64> {
    match key.get(..WS_PREFIX)? {
        [b'w', digits @ .., b'/'] => parse(digits),
        _ => None,
    }
}

/// The principal of a password key (`{id:020}`).
fn principal(key: &[u8]) -> Option<i64> {
    parse(key)
}

fn parse(digits: &[u8]) -> Option<i64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::ws_key;

    #[test]
    fn watches_only_what_is_cached() {
        let acl = |ws: i64, object: &str| format!("{}{object}", ws_key(ws)).into_bytes();
        assert!(cached(trees::WORKSPACE_CONF, ws_key(7).as_bytes()));
        assert!(cached(trees::IP_LISTS, b"w00000000000000000007/list-1"));
        assert!(cached(authz::store::ACLS, &acl(7, authz::store::TOKENS)));
        assert!(cached(authz::store::ACLS, &acl(7, authz::store::PASSWORDS)));
        assert!(!cached(authz::store::ACLS, &acl(7, "clusters/abc")));
        assert!(!cached(
            authz::store::ACLS,
            &acl(7, "authorization/tokens/x")
        ));
        assert!(cached(throttle::TREE, b"p/127.0.0.1/ann"));
        assert!(!cached(trees::TOKENS, b"anything"));
        assert!(!cached(trees::AUDIT, b"anything"));
    }

    #[test]
    fn keys_name_their_workspace_or_principal() {
        assert_eq!(workspace(ws_key(42).as_bytes()), Some(42));
        assert_eq!(
            workspace(format!("{}list", ws_key(42)).as_bytes()),
            Some(42)
        );
        assert_eq!(workspace(b"w12/x"), None);
        assert_eq!(workspace(b"nothing"), None);
        assert_eq!(principal(format!("{:020}", 5).as_bytes()), Some(5));
        assert_eq!(principal(b"x5"), None);
    }
}
