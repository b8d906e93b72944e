//! The change feed: how a process learns that state it caches in memory changed, whichever
//! process changed it.
//!
//! # The seam
//! A process declares once, with [`Store::watch`](crate::Store::watch), which writes matter to
//! its caches (a [`Filter`] over tree and key), and [`ChangeFeed::subscribe`]s the code that
//! drops cached entries. From then on:
//!
//! - every transaction committed through [`Store::transact`](crate::Store::transact) that
//!   wrote (put or deleted) a watched key is published to this process's subscribers on the
//!   committing thread, before `transact` returns ([`Change::Key`]): a process always reads
//!   its own writes;
//! - inside such a transaction the engine is told with [`Tx::announce`](crate::Tx::announce),
//!   so that an engine shared by several processes can tell the others **only if the
//!   transaction commits**;
//! - such an engine delivers the others' announcements to this process's subscribers
//!   ([`KvStore::follow`](crate::KvStore::follow)).
//!
//! # Guarantees (PostgreSQL)
//! A change committed by another replica reaches the subscribers within about a second
//! (bounded staleness), however notices are lost:
//! - normally it arrives as a `NOTIFY`, sent by PostgreSQL when (and only if) the writing
//!   transaction commits, a few milliseconds later ([`Change::Key`], or [`Change::Tree`]
//!   when too many keys changed to name them);
//! - every announcement also bumps a per-tree version row in the same transaction, and the
//!   follower compares those versions with the ones its notices carried every 250 ms: a
//!   version it has not heard of means a notice was lost, and the whole tree is published
//!   ([`Change::Tree`]);
//! - a lost or unresponsive follower session (its check takes over 500 ms) publishes
//!   [`Change::All`] when the loss is noticed and every 250 ms until a new session listens
//!   again, and once more when it does (changes in between were not heard).
//!
//! So an entry cached before a change committed elsewhere is dropped within 250 ms + one
//! round trip (notice lost) or 500 ms + 250 ms (session hung), well under 1 s, and a lost
//! notice can never leave a stale entry forever. Embedded engines serve one process: local
//! publication is all there is.
//!
//! # For caches
//! Subscribers run on the committing thread or on the engine's own runtime: they must be
//! quick and must not block (drop entries; reload on the next miss). A cache must not let a
//! value loaded *before* a change be inserted *after* the change was published (a miss racing
//! with an invalidation): check a generation counter bumped by the subscriber before
//! inserting.

use std::sync::{Arc, RwLock};

/// Which writes matter to this process's caches: `(tree, key) -> bool`.
pub type Filter = dyn Fn(&str, &[u8]) -> bool + Send + Sync;

/// Code that drops cached entries on a [`Change`] (see the module docs for its constraints).
pub type Subscriber = dyn Fn(&Change) + Send + Sync;

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// `key` of `tree` was written or removed.
    Key {
        /// The tree.
        tree: String,
        /// The key.
        key: Vec<u8>,
    },
    /// Any watched key of `tree` may have changed (too many keys to name, or a lost notice).
    Tree(String),
    /// Anything may have changed (the feed lost contact with other processes for a while).
    All,
}

/// The change feed of one process (see the module docs).
#[derive(Default)]
pub struct ChangeFeed {
    filter: RwLock<Option<Arc<Filter>>>,
    subscribers: RwLock<Vec<Arc<Subscriber>>>,
}

impl std::fmt::Debug for ChangeFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeFeed")
            .field("watching", &self.watching())
            .finish_non_exhaustive()
    }
}

impl ChangeFeed {
    /// Sets which writes are watched (replacing an earlier filter).
    pub(crate) fn set_filter(&self, filter: Arc<Filter>) {
        if let Ok(mut f) = self.filter.write() {
            *f = Some(filter);
        }
    }

    /// Whether any filter is set (otherwise transactions record nothing).
    pub fn watching(&self) -> bool {
        self.filter.read().is_ok_and(|f| f.is_some())
    }

    /// Whether a write of `key` in `tree` is watched.
    pub fn watches(&self, tree: &str, key: &[u8]) -> bool {
        self.filter
            .read()
            .ok()
            .and_then(|f| f.clone())
            .is_some_and(|f| f(tree, key))
    }

    /// Adds a subscriber; it receives every change published from now on.
    pub fn subscribe(&self, subscriber: impl Fn(&Change) + Send + Sync + 'static) {
        if let Ok(mut s) = self.subscribers.write() {
            s.push(Arc::new(subscriber));
        }
    }

    /// Hands `change` to every subscriber, on the calling thread.
    pub fn publish(&self, change: &Change) {
        let subscribers: Vec<Arc<Subscriber>> = self
            .subscribers
            .read()
            .map(|s| s.clone())
            .unwrap_or_default();
        for s in subscribers {
            s(change);
        }
    }
}

/// Lowercase hex of `bytes` (keys travel as text in notices).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0F)]));
    }
    out
}

/// The bytes of lowercase or uppercase hex `text`; `None` when it is not hex.
pub(crate) fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digit = |c: u8| char::from(c).to_digit(16);
            u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn hex_round_trips() {
        for bytes in [vec![], vec![0x00, 0xFF, 0x10, 0xAB], b"w00/x".to_vec()] {
            assert_eq!(unhex(&hex(&bytes)), Some(bytes));
        }
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex("AB"), Some(vec![0xAB]));
    }

    #[test]
    fn publishes_to_every_subscriber_and_filters() {
        let feed = ChangeFeed::default();
        assert!(!feed.watching());
        assert!(!feed.watches("t", b"k"));
        feed.set_filter(Arc::new(|tree: &str, key: &[u8]| {
            tree == "t" && key.starts_with(b"k")
        }));
        assert!(feed.watches("t", b"k1") && !feed.watches("t", b"x") && !feed.watches("u", b"k"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        for _ in 0..2 {
            let seen = seen.clone();
            feed.subscribe(move |c| seen.lock().unwrap().push(c.clone()));
        }
        feed.publish(&Change::All);
        assert_eq!(*seen.lock().unwrap(), vec![Change::All, Change::All]);
    }
}
