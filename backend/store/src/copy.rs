//! Copying a whole store from one engine to another, and checking the copy (`ironbrick
//! migrate`).
//!
//! Every tree ([`KvStore::trees`]) is walked page by page ([`KvStore::scan_from`]), so memory
//! holds one page and one write batch whatever the store's size. Values travel as bytes and are
//! never decoded: records keep their version marker, sealed objects stay sealed and wrapped
//! data keys stay wrapped (nothing here can decrypt them, and nothing needs to).
//!
//! The check walks source and target side by side and compares every entry byte for byte. It
//! also sums each tree up as an entry count and a SHA-256 digest of its entries in key order
//! ([`Summary`]), so two installations can be compared by their printed figures alone.

use crate::{KvStore, StoreError};
use sha2::{Digest, Sha256};
use std::collections::{btree_map, BTreeMap, VecDeque};
use std::iter::Peekable;

/// Entries read per scan.
pub const PAGE: usize = 512;

/// How many differences a [`Verification`] lists (it counts them all).
pub const LISTED_DIFFERENCES: usize = 20;

type Extra = BTreeMap<String, BTreeMap<Vec<u8>, Vec<u8>>>;

/// The extra entries of a tree that has none.
static NONE: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();

/// A store's contents as a migration sees them: an engine's entries, plus entries that belong
/// to the installation but live outside the engine (with sled, the local key store's document
/// is a file in the data dir). An extra entry replaces the engine's entry at the same key.
#[derive(Debug)]
pub struct View<'a> {
    kv: &'a dyn KvStore,
    extra: Extra,
}

impl<'a> View<'a> {
    /// Exactly the engine's entries.
    pub fn new(kv: &'a dyn KvStore) -> Self {
        Self {
            kv,
            extra: Extra::new(),
        }
    }

    /// The same view with `value` at `key` in `tree`, whatever the engine holds there.
    pub fn with_entry(mut self, tree: &str, key: &[u8], value: Vec<u8>) -> Self {
        self.extra
            .entry(tree.to_string())
            .or_default()
            .insert(key.to_vec(), value);
        self
    }

    /// The engine underneath.
    pub fn kv(&self) -> &'a dyn KvStore {
        self.kv
    }

    /// Every tree with at least one entry, in bytewise order.
    pub fn trees(&self) -> Result<Vec<String>, StoreError> {
        let mut names = self.kv.trees()?;
        names.extend(self.extra.keys().cloned());
        names.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        names.dedup();
        Ok(names)
    }

    /// The value at `key` in `tree`.
    pub fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.extra.get(tree).and_then(|t| t.get(key)) {
            Some(v) => Ok(Some(v.clone())),
            None => self.kv.get(tree, key),
        }
    }

    /// The entries of `tree` in key order, read a page at a time.
    pub fn entries(&self, tree: &str) -> TreeEntries<'_> {
        TreeEntries {
            kv: self.kv,
            tree: tree.to_string(),
            next_start: Some(Vec::new()),
            page: VecDeque::new(),
            extra: self.extra.get(tree).unwrap_or(&NONE).iter().peekable(),
        }
    }
}

/// The entries of one tree of a [`View`], in key order (see [`View::entries`]). After an error
/// it ends.
#[derive(Debug)]
pub struct TreeEntries<'a> {
    kv: &'a dyn KvStore,
    tree: String,
    /// Where the next page starts; `None` once the engine's last page was read.
    next_start: Option<Vec<u8>>,
    page: VecDeque<(Vec<u8>, Vec<u8>)>,
    extra: Peekable<btree_map::Iter<'a, Vec<u8>, Vec<u8>>>,
}

impl TreeEntries<'_> {
    fn fill(&mut self) -> Result<(), StoreError> {
        if !self.page.is_empty() {
            return Ok(());
        }
        let Some(start) = self.next_start.take() else {
            return Ok(());
        };
        let rows = self.kv.scan_from(&self.tree, &start, PAGE)?;
        if rows.len() == PAGE {
            if let Some((last, _)) = rows.last() {
                // The smallest key after `last`.
                let mut next = last.clone();
                next.push(0);
                self.next_start = Some(next);
            }
        }
        self.page = rows.into();
        Ok(())
    }
}

impl Iterator for TreeEntries<'_> {
    type Item = Result<(Vec<u8>, Vec<u8>), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Err(e) = self.fill() {
            self.page.clear();
            self.extra = NONE.iter().peekable();
            return Some(Err(e));
        }
        let order = match (self.page.front(), self.extra.peek()) {
            (None, None) => return None,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some((stored, _)), Some((extra, _))) => stored.as_slice().cmp(extra.as_slice()),
        };
        match order {
            std::cmp::Ordering::Less => self.page.pop_front().map(Ok),
            std::cmp::Ordering::Equal => {
                self.page.pop_front();
                self.extra.next().map(|(k, v)| Ok((k.clone(), v.clone())))
            }
            std::cmp::Ordering::Greater => {
                self.extra.next().map(|(k, v)| Ok((k.clone(), v.clone())))
            }
        }
    }
}

/// One tree summed up: its entry count and the SHA-256 of its entries in key order (each as
/// key length, key, value length, value; lengths as 8-byte big-endian).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeSummary {
    /// The tree's name.
    pub tree: String,
    /// How many entries it holds.
    pub entries: u64,
    /// SHA-256 of its entries.
    pub digest: [u8; 32],
}

/// A whole store summed up, tree by tree in bytewise order of their names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// Every tree with entries.
    pub trees: Vec<TreeSummary>,
}

impl Summary {
    /// Entries in every tree.
    pub fn entries(&self) -> u64 {
        self.trees.iter().map(|t| t.entries).sum()
    }

    /// SHA-256 over the trees' names, counts and digests, in order: equal digests mean equal
    /// contents.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        for t in &self.trees {
            h.update((t.tree.len() as u64).to_be_bytes());
            h.update(t.tree.as_bytes());
            h.update(t.entries.to_be_bytes());
            h.update(t.digest);
        }
        h.finalize().into()
    }

    /// The summary of `tree` (`None` when it holds nothing).
    pub fn tree(&self, tree: &str) -> Option<&TreeSummary> {
        self.trees.iter().find(|t| t.tree == tree)
    }
}

/// Lower-case hex of a digest.
pub fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Accumulates a [`TreeSummary`].
struct Summing {
    entries: u64,
    hash: Sha256,
}

impl Summing {
    fn new() -> Self {
        Self {
            entries: 0,
            hash: Sha256::new(),
        }
    }

    fn add(&mut self, key: &[u8], value: &[u8]) {
        self.entries += 1;
        self.hash.update((key.len() as u64).to_be_bytes());
        self.hash.update(key);
        self.hash.update((value.len() as u64).to_be_bytes());
        self.hash.update(value);
    }

    fn finish(self, tree: &str) -> Option<TreeSummary> {
        (self.entries > 0).then(|| TreeSummary {
            tree: tree.to_string(),
            entries: self.entries,
            digest: self.hash.finalize().into(),
        })
    }
}

/// Sums `view` up.
pub fn summarize(view: &View<'_>) -> Result<Summary, StoreError> {
    let mut trees = Vec::new();
    for tree in view.trees()? {
        let mut sum = Summing::new();
        for entry in view.entries(&tree) {
            let (k, v) = entry?;
            sum.add(&k, &v);
        }
        trees.extend(sum.finish(&tree));
    }
    Ok(Summary { trees })
}

/// Writes every entry of `from` into `to`, at most `batch` entries per transaction, then
/// flushes `to`. Returns how many entries were written. Entries already in `to` at other keys
/// stay (callers copy into an empty store, or empty it first with [`clear`]).
pub fn copy(from: &View<'_>, to: &dyn KvStore, batch: usize) -> Result<u64, StoreError> {
    let batch = batch.max(1);
    let mut written = 0u64;
    for tree in from.trees()? {
        let mut pending: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(batch);
        let mut entries = from.entries(&tree).peekable();
        while let Some(entry) = entries.next() {
            pending.push(entry?);
            if pending.len() == batch || entries.peek().is_none() {
                write(to, &tree, &pending)?;
                written += pending.len() as u64;
                pending.clear();
            }
        }
    }
    to.flush()?;
    Ok(written)
}

fn write(to: &dyn KvStore, tree: &str, entries: &[(Vec<u8>, Vec<u8>)]) -> Result<(), StoreError> {
    let committed =
        to.transaction(&|tx| entries.iter().all(|(k, v)| tx.put(tree, k, v).is_ok()))?;
    if committed {
        Ok(())
    } else {
        Err(StoreError::Engine(format!(
            "writing a batch of tree {tree:?} did not commit"
        )))
    }
}

/// Deletes every entry of `kv` (a batch per transaction), then flushes it.
pub fn clear(kv: &dyn KvStore) -> Result<u64, StoreError> {
    let mut deleted = 0u64;
    for tree in kv.trees()? {
        loop {
            let rows = kv.scan_from(&tree, &[], PAGE)?;
            if rows.is_empty() {
                break;
            }
            let committed =
                kv.transaction(&|tx| rows.iter().all(|(k, _)| tx.delete(&tree, k).is_ok()))?;
            if !committed {
                return Err(StoreError::Engine(format!(
                    "emptying tree {tree:?} did not commit"
                )));
            }
            deleted += rows.len() as u64;
        }
    }
    kv.flush()?;
    Ok(deleted)
}

/// How one entry differs between source and target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// In the source, not in the target.
    Missing { tree: String, key: Vec<u8> },
    /// In the target, not in the source.
    Unexpected { tree: String, key: Vec<u8> },
    /// In both, with different bytes (neither value is kept: values may be secret).
    Changed { tree: String, key: Vec<u8> },
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, tree, key) = match self {
            Self::Missing { tree, key } => ("missing from the target", tree, key),
            Self::Unexpected { tree, key } => ("only in the target", tree, key),
            Self::Changed { tree, key } => ("different bytes", tree, key),
        };
        write!(f, "{what}: tree {tree:?} key {}", printable(key))
    }
}

/// A key for messages: escaped, and cut after 80 bytes.
fn printable(key: &[u8]) -> String {
    let shown: String = key
        .iter()
        .take(80)
        .flat_map(|b| std::ascii::escape_default(*b))
        .map(char::from)
        .collect();
    if key.len() > 80 {
        format!("\"{shown}...\" ({} bytes)", key.len())
    } else {
        format!("\"{shown}\"")
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone)]
pub struct Verification {
    /// The source summed up.
    pub source: Summary,
    /// The target summed up.
    pub target: Summary,
    /// The first [`LISTED_DIFFERENCES`] differences.
    pub differences: Vec<Difference>,
    /// How many entries differ in all.
    pub different: u64,
}

impl Verification {
    /// Whether the target holds exactly the source's entries.
    pub fn identical(&self) -> bool {
        self.different == 0 && self.source == self.target
    }
}

/// Compares `source` and `target` entry by entry (both walked side by side in key order) and
/// sums both up.
pub fn verify(source: &View<'_>, target: &View<'_>) -> Result<Verification, StoreError> {
    let mut trees = source.trees()?;
    trees.extend(target.trees()?);
    trees.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    trees.dedup();
    let mut out = Verification {
        source: Summary::default(),
        target: Summary::default(),
        differences: Vec::new(),
        different: 0,
    };
    fn note(d: Difference, out: &mut Verification) {
        out.different += 1;
        if out.differences.len() < LISTED_DIFFERENCES {
            out.differences.push(d);
        }
    }
    for tree in trees {
        let (mut src_sum, mut dst_sum) = (Summing::new(), Summing::new());
        let mut src = source.entries(&tree);
        let mut dst = target.entries(&tree);
        let (mut a, mut b) = (src.next().transpose()?, dst.next().transpose()?);
        loop {
            let order = match (&a, &b) {
                (None, None) => break,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some((ka, _)), Some((kb, _))) => ka.cmp(kb),
            };
            match order {
                std::cmp::Ordering::Less => {
                    if let Some((k, v)) = a.take() {
                        src_sum.add(&k, &v);
                        let tree = tree.clone();
                        note(Difference::Missing { tree, key: k }, &mut out);
                    }
                    a = src.next().transpose()?;
                }
                std::cmp::Ordering::Greater => {
                    if let Some((k, v)) = b.take() {
                        dst_sum.add(&k, &v);
                        let tree = tree.clone();
                        note(Difference::Unexpected { tree, key: k }, &mut out);
                    }
                    b = dst.next().transpose()?;
                }
                std::cmp::Ordering::Equal => {
                    if let (Some((k, va)), Some((_, vb))) = (a.take(), b.take()) {
                        src_sum.add(&k, &va);
                        dst_sum.add(&k, &vb);
                        if va != vb {
                            let tree = tree.clone();
                            note(Difference::Changed { tree, key: k }, &mut out);
                        }
                    }
                    a = src.next().transpose()?;
                    b = dst.next().transpose()?;
                }
            }
        }
        out.source.trees.extend(src_sum.finish(&tree));
        out.target.trees.extend(dst_sum.finish(&tree));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemStore;

    fn fill(kv: &dyn KvStore, tree: &str, n: u32) {
        kv.transaction(&|tx| {
            (0..n).all(|i| {
                tx.put(tree, &i.to_be_bytes(), format!("value {i}").as_bytes())
                    .is_ok()
            })
        })
        .unwrap();
    }

    #[test]
    fn copies_every_page_of_every_tree_and_checks_the_copy() {
        let (from, to) = (MemStore::new(), MemStore::new());
        fill(&from, "big", PAGE as u32 * 2 + 7);
        fill(&from, "small", 3);
        from.transaction(&|tx| tx.put("edge", &[0xff, 0xff], &[0, 1, 2]).is_ok())
            .unwrap();
        let source = View::new(&from);
        assert_eq!(
            copy(&source, &to, 100).unwrap(),
            PAGE as u64 * 2 + 7 + 3 + 1
        );
        let check = verify(&source, &View::new(&to)).unwrap();
        assert!(check.identical(), "{:?}", check.differences);
        assert_eq!(
            check.source.tree("big").unwrap().entries,
            PAGE as u64 * 2 + 7
        );
        assert_eq!(
            check.source.digest(),
            summarize(&View::new(&to)).unwrap().digest()
        );
        assert_eq!(check.source, summarize(&source).unwrap());
    }

    #[test]
    fn every_kind_of_difference_is_found() {
        let (from, to) = (MemStore::new(), MemStore::new());
        fill(&from, "t", 10);
        copy(&View::new(&from), &to, 4).unwrap();
        to.transaction(&|tx| {
            tx.delete("t", &3u32.to_be_bytes()).is_ok()
                && tx.put("t", &5u32.to_be_bytes(), b"tampered").is_ok()
                && tx.put("u", b"new", b"x").is_ok()
        })
        .unwrap();
        let check = verify(&View::new(&from), &View::new(&to)).unwrap();
        assert!(!check.identical());
        assert_eq!(check.different, 3);
        assert_eq!(
            check.differences,
            vec![
                Difference::Missing {
                    tree: "t".into(),
                    key: 3u32.to_be_bytes().to_vec()
                },
                Difference::Changed {
                    tree: "t".into(),
                    key: 5u32.to_be_bytes().to_vec()
                },
                Difference::Unexpected {
                    tree: "u".into(),
                    key: b"new".to_vec()
                },
            ]
        );
        assert_ne!(check.source.digest(), check.target.digest());
        assert!(!check.differences[1].to_string().contains("tampered"));
    }

    #[test]
    fn extra_entries_join_and_replace_the_engines() {
        let (from, to) = (MemStore::new(), MemStore::new());
        fill(&from, "t", 3);
        let source = View::new(&from)
            .with_entry("t", &1u32.to_be_bytes(), b"from the file".to_vec())
            .with_entry("shared", b"doc", b"{}".to_vec());
        assert_eq!(source.trees().unwrap(), vec!["shared", "t"]);
        copy(&source, &to, 10).unwrap();
        assert_eq!(
            to.get("t", &1u32.to_be_bytes()).unwrap().as_deref(),
            Some(&b"from the file"[..])
        );
        assert_eq!(
            to.get("shared", b"doc").unwrap().as_deref(),
            Some(&b"{}"[..])
        );
        assert!(verify(&source, &View::new(&to)).unwrap().identical());
        assert!(!verify(&View::new(&from), &View::new(&to))
            .unwrap()
            .identical());
    }

    #[test]
    fn clearing_empties_every_tree() {
        let kv = MemStore::new();
        fill(&kv, "a", PAGE as u32 + 1);
        fill(&kv, "b", 2);
        assert_eq!(clear(&kv).unwrap(), PAGE as u64 + 3);
        assert!(kv.trees().unwrap().is_empty());
    }
}
