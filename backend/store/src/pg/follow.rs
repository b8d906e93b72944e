//! The change feed on PostgreSQL: `NOTIFY` in the writing transaction, a dedicated `LISTEN`
//! session per replica, and per-tree versions as the check that no notice was lost.
//!
//! # Writing
//! [`Tx::announce`](crate::Tx::announce) runs, inside the writer's serializable transaction,
//! [`BUMP`] (the tree's row in `ironbrick_tree_versions` goes up by one) and [`NOTIFY`] with a
//! [`Notice`]: origin, tree, the new version and the changed keys (hex; left out, meaning
//! "the whole tree", when they would not fit in a notice). PostgreSQL sends notices only when
//! the transaction commits, in commit order, so aborted writes are never announced. Writers of
//! one tree's version row serialize on it (the loser of a race retries, as for any conflict):
//! this is why only the few writes that caches depend on are announced.
//!
//! # Following
//! [`run`] keeps one session (never a pooled one), named `<application_name> changes <pid>`
//! in `pg_stat_activity`, that `LISTEN`s, then reads every tree's version as a baseline and
//! publishes [`Change::All`] (whatever changed before it listened was not heard). Then:
//! - a notice from another process is published as [`Change::Key`]s (or [`Change::Tree`]);
//!   its version is remembered as heard (notices from this process only move the version:
//!   [`Store::transact`](crate::Store::transact) published them at commit);
//! - every [`POLL_EVERY`], on the same session, it reads the versions again: a version above
//!   the one heard means a notice was lost, and the tree is published whole. The read is also
//!   the session's liveness check: no answer within [`CHECK_TIMEOUT`] ends the session;
//! - when the session ends (killed, the server restarted, hung), [`Change::All`] is published
//!   at once and every [`POLL_EVERY`] until a new session listens.

use super::errors::classify;
use crate::changes::{hex, unhex, Change, ChangeFeed};
use crate::StoreError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{timeout, timeout_at, Instant};
use tokio_postgres::{AsyncMessage, Client, Config, NoTls};

/// The notification channel (notices are per database: replicas of other databases on the
/// same server never hear them).
pub(crate) const CHANNEL: &str = "ironbrick_changes";
/// Bumps a tree's version, returning the new one.
pub(crate) const BUMP: &str = "INSERT INTO ironbrick_tree_versions (tree, version) VALUES ($1, 1) \
     ON CONFLICT (tree) DO UPDATE SET version = ironbrick_tree_versions.version + 1 \
     RETURNING version";
/// Queues a notice, sent on commit.
pub(crate) const NOTIFY: &str = "SELECT pg_notify($1, $2)";
const VERSIONS: &str = "SELECT tree, version FROM ironbrick_tree_versions";

/// How often versions are compared with the notices heard.
pub(crate) const POLL_EVERY: Duration = Duration::from_millis(250);
/// How long the session may take to answer before it is deemed lost.
pub(crate) const CHECK_TIMEOUT: Duration = Duration::from_millis(500);
/// The longest notice sent with its keys (PostgreSQL's limit is 8000 bytes).
const MAX_NOTICE: usize = 7000;

/// What a notice says (short field names: notices are limited in size).
#[derive(Debug, Serialize, Deserialize)]
struct Notice {
    /// The writing process ([`super::PgStore`]'s random origin).
    #[serde(rename = "o")]
    origin: String,
    #[serde(rename = "t")]
    tree: String,
    /// The tree's version after the change.
    #[serde(rename = "v")]
    version: i64,
    /// The changed keys in hex; absent: any key of the tree.
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    keys: Option<Vec<String>>,
}

/// The text of a notice.
pub(crate) fn notice(origin: &str, tree: &str, version: i64, keys: &[Vec<u8>]) -> String {
    let mut n = Notice {
        origin: origin.to_string(),
        tree: tree.to_string(),
        version,
        keys: Some(keys.iter().map(|k| hex(k)).collect()),
    };
    let text = serde_json::to_string(&n).unwrap_or_default();
    if text.len() <= MAX_NOTICE {
        return text;
    }
    n.keys = None;
    // Cannot fail (strings and numbers); an empty notice would mean "anything changed".
    serde_json::to_string(&n).unwrap_or_default()
}

/// Follows the other processes' notices into `feed` for ever (see the module docs).
pub(crate) async fn run(mut config: Config, origin: String, feed: Arc<ChangeFeed>) {
    let name = format!(
        "{} changes {}",
        config.get_application_name().unwrap_or("ironbrick"),
        std::process::id()
    );
    config.application_name(&name);
    let live = Arc::new(AtomicBool::new(false));
    {
        // While no session listens, nothing is heard: caches are flushed on every tick.
        let (live, feed) = (live.clone(), feed.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(POLL_EVERY).await;
                if !live.load(Ordering::SeqCst) {
                    feed.publish(&Change::All);
                }
            }
        });
    }
    let mut failures = 0u32;
    loop {
        let outcome = session(&config, &origin, &feed, &live).await;
        live.store(false, Ordering::SeqCst);
        feed.publish(&Change::All);
        match outcome {
            Ok(()) => {
                failures = 0;
                tracing::warn!("the change feed's PostgreSQL session ended: caches are flushed until a new one listens");
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                // Logged once per outage, not on every retry.
                if failures == 1 {
                    tracing::warn!(error = %e, "the change feed cannot listen: caches are flushed until it can");
                }
            }
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

fn hung() -> StoreError {
    StoreError::Unavailable("the change feed's session did not answer in time".into())
}

/// One `LISTEN` session: returns when it is lost (`Ok` when it had been listening).
async fn session(
    config: &Config,
    origin: &str,
    feed: &ChangeFeed,
    live: &AtomicBool,
) -> Result<(), StoreError> {
    let (client, mut connection) = config.connect(NoTls).await.map_err(|e| classify(&e))?;
    let (tx, mut notices) = tokio::sync::mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        // Drives the connection; ends (closing the channel) when it fails or the client goes.
        while let Some(Ok(message)) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            if let AsyncMessage::Notification(n) = message {
                if tx.send(n.payload().to_string()).is_err() {
                    break;
                }
            }
        }
    });
    timeout(
        CHECK_TIMEOUT,
        client.batch_execute(&format!("LISTEN {CHANNEL}")),
    )
    .await
    .map_err(|_| hung())?
    .map_err(|e| classify(&e))?;
    let mut heard = versions(&client).await?;
    live.store(true, Ordering::SeqCst);
    tracing::debug!("the change feed listens");
    // Whatever changed before LISTEN took effect was not heard.
    feed.publish(&Change::All);
    let mut next = Instant::now() + POLL_EVERY;
    loop {
        match timeout_at(next, notices.recv()).await {
            Ok(Some(payload)) => hear(&payload, origin, feed, &mut heard),
            Ok(None) => return Ok(()),
            Err(_) => {
                for (tree, version) in versions(&client).await? {
                    if version > heard.get(&tree).copied().unwrap_or(0) {
                        tracing::debug!(tree = %tree, version, "a change notice was not heard: the tree is flushed");
                        feed.publish(&Change::Tree(tree.clone()));
                        heard.insert(tree, version);
                    }
                }
                next = Instant::now() + POLL_EVERY;
            }
        }
    }
}

/// Every tree's version.
async fn versions(client: &Client) -> Result<HashMap<String, i64>, StoreError> {
    let rows = timeout(CHECK_TIMEOUT, client.query(VERSIONS, &[]))
        .await
        .map_err(|_| hung())?
        .map_err(|e| classify(&e))?;
    Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Publishes a notice (unless this process sent it) and remembers its version as heard.
fn hear(payload: &str, origin: &str, feed: &ChangeFeed, heard: &mut HashMap<String, i64>) {
    let Ok(n) = serde_json::from_str::<Notice>(payload) else {
        feed.publish(&Change::All);
        return;
    };
    let version = heard.entry(n.tree.clone()).or_insert(0);
    *version = (*version).max(n.version);
    if n.origin == origin {
        return;
    }
    match n.keys {
        Some(keys) => {
            for key in keys {
                match unhex(&key) {
                    Some(key) => feed.publish(&Change::Key {
                        tree: n.tree.clone(),
                        key,
                    }),
                    None => feed.publish(&Change::Tree(n.tree.clone())),
                }
            }
        }
        None => feed.publish(&Change::Tree(n.tree)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn recorded() -> (ChangeFeed, Arc<Mutex<Vec<Change>>>) {
        let feed = ChangeFeed::default();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        feed.subscribe(move |c| sink.lock().unwrap().push(c.clone()));
        (feed, seen)
    }

    #[test]
    fn notices_carry_keys_unless_too_many() {
        let (feed, seen) = recorded();
        let mut heard = HashMap::new();
        let text = notice("me", "conf", 7, &[b"w1/".to_vec(), vec![0xFF]]);
        hear(&text, "other", &feed, &mut heard);
        assert_eq!(
            *seen.lock().unwrap(),
            vec![
                Change::Key {
                    tree: "conf".into(),
                    key: b"w1/".to_vec()
                },
                Change::Key {
                    tree: "conf".into(),
                    key: vec![0xFF]
                }
            ]
        );
        assert_eq!(heard["conf"], 7);
        seen.lock().unwrap().clear();

        let many: Vec<Vec<u8>> = (0..2000u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let text = notice("me", "conf", 8, &many);
        assert!(text.len() < 8000, "{}", text.len());
        hear(&text, "other", &feed, &mut heard);
        assert_eq!(*seen.lock().unwrap(), vec![Change::Tree("conf".into())]);
        seen.lock().unwrap().clear();

        // Its own notices only move the version; garbage flushes everything.
        hear(&notice("me", "conf", 9, &[]), "me", &feed, &mut heard);
        assert!(seen.lock().unwrap().is_empty());
        assert_eq!(heard["conf"], 9);
        hear("not json", "me", &feed, &mut heard);
        assert_eq!(*seen.lock().unwrap(), vec![Change::All]);
    }
}
