use crate::changes::{Change, ChangeFeed};
use crate::{Entries, KvStore, StoreError, Tx, TxBody};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

/// Free space kept in reserve on the store's file system by default: writes are refused
/// below it (see [`SledStore::open_with_reserve`]).
pub const DEFAULT_MIN_FREE_BYTES: u64 = 8 << 20;

/// The most memory sled's page cache uses by default. sled's own default (1 GiB) lets a
/// long-running server's memory grow with everything it ever wrote (the audit log above all);
/// a control plane's working set is far smaller.
pub const DEFAULT_CACHE_BYTES: u64 = 128 << 20;

/// How a [`SledStore`] is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SledOptions {
    /// Writes are refused while the store's file system has less than this many bytes
    /// available (0: never refused; see the type's docs on a full disk).
    pub min_free: u64,
    /// The page cache's bound in bytes: the memory sled keeps for pages already read or
    /// written, whatever the size of the database.
    pub cache_bytes: u64,
}

impl Default for SledOptions {
    fn default() -> Self {
        Self {
            min_free: DEFAULT_MIN_FREE_BYTES,
            cache_bytes: DEFAULT_CACHE_BYTES,
        }
    }
}

/// How long a reopen waits for operations still using the failed engine to finish.
const REOPEN_DRAIN: Duration = Duration::from_secs(5);

/// Reopens are tried at most this often.
const REOPEN_INTERVAL: Duration = Duration::from_millis(500);

/// The durable default engine, on sled.
///
/// All named trees live in one sled tree, each key prefixed by its tree name and a NUL byte, so
/// a transaction can span trees. Tree names must not contain NUL.
///
/// # A full disk
/// sled cannot write into a full file system, and after one failed write it refuses every
/// later write until it is reopened. Two defences keep the server serving:
/// - a reserve: a transaction's first write checks the free space of the store's file system
///   and refuses with [`StoreError::Full`] below `min_free` bytes, before anything is written,
///   so sled normally never meets a full disk. Reads never check.
/// - recovery: should sled fail to write anyway (another process filled the disk faster than
///   the reserve, or the reserve is 0), the failing engine is marked failed and is reopened
///   from its directory by the first operation after enough space is back (sled recovers the
///   last flushed state; only writes that were never acknowledged can be missing). No
///   restart. See `try_reopen` for how. Until then it keeps serving reads, unless a
///   multi-key write failed part-way in it (see [`Engine::torn`]); a read that needs sled to
///   restructure its tree (sled completes splits and merges as it reads) fails with
///   [`StoreError::Full`] too.
#[derive(Debug)]
pub struct SledStore {
    dir: PathBuf,
    options: SledOptions,
    engine: RwLock<Option<Arc<Engine>>>,
    /// When a reopen was last tried.
    last_reopen: Mutex<Option<Instant>>,
    /// Held by each transaction from its first read to its commit.
    writer: Mutex<()>,
    /// Incremented when a failed engine is given up ([`KvStore::generation`]).
    generation: AtomicU64,
    /// Told [`Change::All`] after a reopen ([`KvStore::follow`]).
    feed: OnceLock<Arc<ChangeFeed>>,
}

/// One open sled database.
#[derive(Debug)]
struct Engine {
    /// The database's one tree (the flush thread holds the database itself).
    tree: sled::Tree,
    /// Set when sled failed to write: sled refuses writes from then on, until reopened.
    failed: AtomicBool,
    /// Set (with `failed`) when a batch failed part-way. sled applies a batch to its memory
    /// key by key and stops at the first error, so this engine's memory may hold part of a
    /// write that was never acknowledged (recovery from disk never shows half a batch).
    /// Nothing is read from a torn engine: reads wait for the reopen.
    torn: AtomicBool,
    /// Hands flushes to this engine's flush thread (see [`Engine::flush`]).
    flushes: mpsc::Sender<FlushReply>,
}

/// Where the flush thread answers one flush.
type FlushReply = mpsc::SyncSender<sled::Result<usize>>;

/// How often a caller waiting for a flush looks whether the engine failed meanwhile.
const FLUSH_POLL: Duration = Duration::from_millis(50);

/// A flush waiting this long while the disk is (nearly) full is taken as stuck.
const FLUSH_STALL_FULL: Duration = Duration::from_secs(2);

/// A flush waiting this long is taken as stuck whatever the free space.
const FLUSH_STALL: Duration = Duration::from_secs(30);

impl Engine {
    fn open(dir: &Path, options: &SledOptions) -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .mode(sled::Mode::HighThroughput)
            .cache_capacity(options.cache_bytes)
            .open()
            .map_err(engine)?;
        let tree = db.open_tree("ironbrick").map_err(engine)?;
        let (flushes, requests) = mpsc::channel::<FlushReply>();
        let flushing = db.clone();
        std::thread::Builder::new()
            .name("sled-flush".into())
            .spawn(move || {
                for reply in requests {
                    let _ = reply.send(flushing.flush());
                }
            })
            .map_err(|e| StoreError::Engine(format!("cannot start the flush thread: {e}")))?;
        Ok(Self {
            tree,
            failed: AtomicBool::new(false),
            torn: AtomicBool::new(false),
            flushes,
        })
    }

    /// Makes every write to this engine durable, on its flush thread.
    ///
    /// A sled flush can wait forever once sled met a full disk: when writing a large value's
    /// blob file fails, sled 0.34 returns the error (to the writer, or to its own background
    /// flusher, which only logs it) but keeps its claim on the log buffer, which is then never
    /// written, and every flush waits for it. So the caller stops waiting when the engine is
    /// marked failed meanwhile (the writer's error does that), or when `stalled` says the
    /// flush has waited too long; then the engine is marked failed and the answer is
    /// [`StoreError::Full`]. The flush thread stays blocked with the failed engine, which is
    /// never used again (see `SledStore::try_reopen`).
    fn flush(&self, stalled: impl Fn(Duration) -> bool) -> Result<(), StoreError> {
        let (reply, answer) = mpsc::sync_channel(1);
        let gone = || StoreError::Engine("the flush thread has stopped".into());
        self.flushes.send(reply).map_err(|_| gone())?;
        let start = Instant::now();
        loop {
            match answer.recv_timeout(FLUSH_POLL) {
                Ok(flushed) => return flushed.map(drop).map_err(|x| self.err(x)),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if !self.failed.load(Ordering::SeqCst) && stalled(start.elapsed()) {
                        tracing::error!(
                            waited = ?start.elapsed(),
                            "a sled flush is stuck; the store will be reopened"
                        );
                        self.failed.store(true, Ordering::SeqCst);
                    }
                    if self.failed.load(Ordering::SeqCst) {
                        return Err(StoreError::Full(
                            "the store failed to write while flushing".into(),
                        ));
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return Err(gone()),
            }
        }
    }

    /// Maps a sled error, marking the engine failed on an I/O error (sled is unusable for
    /// writes after one).
    fn err(&self, e: sled::Error) -> StoreError {
        if matches!(e, sled::Error::Io(_)) && !self.failed.swap(true, Ordering::SeqCst) {
            tracing::error!(error = %e, "the sled store failed to write; it will be reopened once the disk has space");
        }
        engine(e)
    }
}

impl SledStore {
    /// Opens (creating if needed) the database in directory `path`, keeping
    /// [`DEFAULT_MIN_FREE_BYTES`] free.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with_reserve(path, DEFAULT_MIN_FREE_BYTES)
    }

    /// Opens the database in directory `path`; writes are refused with [`StoreError::Full`]
    /// while its file system has less than `min_free` bytes available (0: never refused).
    pub fn open_with_reserve(path: &Path, min_free: u64) -> Result<Self, StoreError> {
        Self::open_with(
            path,
            SledOptions {
                min_free,
                ..SledOptions::default()
            },
        )
    }

    /// Opens the database in directory `path` with `options`.
    pub fn open_with(path: &Path, options: SledOptions) -> Result<Self, StoreError> {
        let engine = Engine::open(path, &options)?;
        Ok(Self {
            dir: path.to_path_buf(),
            options,
            engine: RwLock::new(Some(Arc::new(engine))),
            last_reopen: Mutex::new(None),
            writer: Mutex::new(()),
            generation: AtomicU64::new(0),
            feed: OnceLock::new(),
        })
    }

    /// Bytes available to this process on the store's file system (`None` when unknown).
    fn available(&self) -> Option<u64> {
        fs2::available_space(&self.dir).ok()
    }

    /// Whether there is room for a write: refuses below the reserve.
    fn room_to_write(&self) -> Result<(), StoreError> {
        if self.options.min_free == 0 {
            return Ok(());
        }
        match self.available() {
            Some(free) if free < self.options.min_free => Err(StoreError::Full(format!(
                "{free} bytes available, {} required",
                self.options.min_free
            ))),
            _ => Ok(()),
        }
    }

    /// Whether a flush that has waited `waited` is stuck (see [`Engine::flush`]): long enough
    /// with less than the reserve (at least 1 MiB) free, or far too long.
    fn flush_stalled(&self, waited: Duration) -> bool {
        let low = self.options.min_free.max(1 << 20);
        waited > FLUSH_STALL
            || (waited > FLUSH_STALL_FULL && self.available().is_some_and(|free| free < low))
    }

    fn current(&self) -> Option<Arc<Engine>> {
        self.engine
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The engine for a read: the current one, even a failed one (sled still reads), unless
    /// it is torn or a reopen failed and left none.
    fn reader(&self) -> Result<Arc<Engine>, StoreError> {
        if let Some(e) = self.working() {
            return Ok(e);
        }
        self.try_reopen();
        match self.current() {
            Some(e) if e.torn.load(Ordering::SeqCst) => Err(StoreError::Full(
                "a write failed part-way; the store is read again once it reopens".into(),
            )),
            Some(e) => Ok(e),
            None => Err(closed()),
        }
    }

    /// The current engine unless it failed. (The failed one's handle is dropped here, so a
    /// reopen does not wait for the caller itself.)
    fn working(&self) -> Option<Arc<Engine>> {
        self.current().filter(|e| !e.failed.load(Ordering::SeqCst))
    }

    /// The engine for a write: the current one when it works, else a reopened one, else
    /// [`StoreError::Full`] (sled's write failures come from a full disk in practice; the
    /// detail is logged where it happened).
    fn writer(&self) -> Result<Arc<Engine>, StoreError> {
        if let Some(e) = self.working() {
            return Ok(e);
        }
        self.try_reopen();
        if let Some(e) = self.working() {
            return Ok(e);
        }
        if self.current().is_some() {
            return Err(StoreError::Full(
                "the store failed to write and waits for disk space to reopen".into(),
            ));
        }
        Err(closed())
    }

    /// Replaces a failed engine by a freshly opened one, when space is back (at most every
    /// [`REOPEN_INTERVAL`]).
    ///
    /// The failed engine is not dropped: sled flushes on drop, and after a failed write that
    /// flush can wait forever for a buffer sled will never write. So it is leaked (it holds
    /// its threads, its cache and sled's lock on the database file), and the database file is
    /// copied to a fresh file that replaces it under the same name, which the new engine opens
    /// and locks. The copy holds everything sled made durable; a torn tail is recovered as
    /// after a crash. Should the copy or the reopen fail, the next attempt tries again.
    ///
    /// What the failed engine held unflushed is gone: the generation changes (a flush no
    /// longer vouches for writes committed before it) and the change feed is told
    /// [`Change::All`] (caches drop what they read from the failed engine).
    fn try_reopen(&self) {
        {
            let mut last = self.last_reopen.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| t.elapsed() < REOPEN_INTERVAL) {
                return;
            }
            *last = Some(Instant::now());
        }
        let file = self.dir.join("db");
        let size = std::fs::metadata(&file).map_or(0, |m| m.len());
        let needed = size + self.options.min_free.max(1 << 20);
        if self.available().is_some_and(|free| free < needed) {
            return;
        }
        let mut slot = self.engine.write().unwrap_or_else(|p| p.into_inner());
        if let Some(failed) = slot.as_ref() {
            if !failed.failed.load(Ordering::SeqCst) {
                return;
            }
            // Nobody can take a new handle while the slot is locked: wait for the operations
            // still holding the failed engine.
            let deadline = Instant::now() + REOPEN_DRAIN;
            while Arc::strong_count(failed) > 1 {
                if Instant::now() > deadline {
                    tracing::warn!("the failed sled store is still in use; reopening later");
                    return;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            if let Err(e) = replace_with_copy(&file) {
                tracing::error!(error = %e, "cannot reopen the sled store yet (copying its file)");
                return;
            }
            std::mem::forget(slot.take());
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
        match Engine::open(&self.dir, &self.options) {
            Ok(fresh) => {
                *slot = Some(Arc::new(fresh));
                drop(slot);
                tracing::info!("the sled store was reopened after a write failure");
                if let Some(feed) = self.feed.get() {
                    feed.publish(&Change::All);
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot reopen the sled store yet"),
        }
    }
}

/// Copies `file` to a new file (synced) and renames the copy over it: same content, new
/// inode, no lock on it.
fn replace_with_copy(file: &Path) -> std::io::Result<()> {
    let copy = file.with_extension("reopen");
    std::fs::copy(file, &copy)?;
    std::fs::File::open(&copy)?.sync_all()?;
    std::fs::rename(&copy, file)?;
    if let Some(dir) = file.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Answered while no engine is open (a reopen failed; the next operation tries again).
fn closed() -> StoreError {
    StoreError::Unavailable("the store is being reopened after a write failure".into())
}

fn engine(e: sled::Error) -> StoreError {
    match &e {
        sled::Error::Io(io) if io.kind() == std::io::ErrorKind::StorageFull => {
            StoreError::Full(e.to_string())
        }
        _ => StoreError::Engine(e.to_string()),
    }
}

fn full_key(tree: &str, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(tree.len() + 1 + key.len());
    k.extend_from_slice(tree.as_bytes());
    k.push(0);
    k.extend_from_slice(key);
    k
}

/// A transaction's view: reads go to the tree through the transaction's own writes, which are
/// buffered until the body commits.
struct SledTx<'a> {
    tree: &'a sled::Tree,
    engine: &'a Engine,
    store: &'a SledStore,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Whether the free space was checked (once, at the first write).
    room_checked: bool,
}

impl SledTx<'_> {
    fn before_write(&mut self) -> Result<(), StoreError> {
        if !std::mem::replace(&mut self.room_checked, true) {
            self.store.room_to_write()?;
        }
        Ok(())
    }
}

impl Tx for SledTx<'_> {
    fn get(&mut self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let key = full_key(tree, key);
        if let Some(staged) = self.writes.get(&key) {
            return Ok(staged.clone());
        }
        self.tree
            .get(key)
            .map(|v| v.map(|v| v.to_vec()))
            .map_err(|x| self.engine.err(x))
    }

    fn put(&mut self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.before_write()?;
        self.writes
            .insert(full_key(tree, key), Some(value.to_vec()));
        Ok(())
    }

    fn delete(&mut self, tree: &str, key: &[u8]) -> Result<(), StoreError> {
        self.before_write()?;
        self.writes.insert(full_key(tree, key), None);
        Ok(())
    }
}

impl KvStore for SledStore {
    fn get(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let e = self.reader()?;
        e.tree
            .get(full_key(tree, key))
            .map(|v| v.map(|v| v.to_vec()))
            .map_err(|x| e.err(x))
    }

    fn scan_prefix(&self, tree: &str, prefix: &[u8]) -> Result<Entries, StoreError> {
        let e = self.reader()?;
        let skip = tree.len() + 1;
        e.tree
            .scan_prefix(full_key(tree, prefix))
            .map(|r| {
                r.map(|(k, v)| (k[skip..].to_vec(), v.to_vec()))
                    .map_err(|x| e.err(x))
            })
            .collect()
    }

    fn scan_from(&self, tree: &str, start: &[u8], limit: usize) -> Result<Entries, StoreError> {
        let e = self.reader()?;
        let skip = tree.len() + 1;
        let mut end = tree.as_bytes().to_vec();
        end.push(1);
        e.tree
            .range(full_key(tree, start)..end)
            .take(limit)
            .map(|r| {
                r.map(|(k, v)| (k[skip..].to_vec(), v.to_vec()))
                    .map_err(|x| e.err(x))
            })
            .collect()
    }

    fn count_prefix(&self, tree: &str, prefix: &[u8]) -> Result<usize, StoreError> {
        let e = self.reader()?;
        let mut n = 0;
        for r in e.tree.scan_prefix(full_key(tree, prefix)).keys() {
            r.map_err(|x| e.err(x))?;
            n += 1;
        }
        Ok(n)
    }

    /// One seek per tree: read the first key at or after the cursor, take its tree name (the
    /// bytes before the NUL), then jump past every key of that tree (`name` followed by 0x01).
    fn trees(&self) -> Result<Vec<String>, StoreError> {
        let e = self.reader()?;
        let mut names = Vec::new();
        let mut from: Vec<u8> = Vec::new();
        loop {
            let Some(first) = e.tree.range(from.clone()..).keys().next() else {
                return Ok(names);
            };
            let key = first.map_err(|x| e.err(x))?;
            let end = key.iter().position(|b| *b == 0).ok_or_else(|| {
                StoreError::Corrupt("a sled key without a tree name separator".into())
            })?;
            let name = std::str::from_utf8(&key[..end])
                .map_err(|_| StoreError::Corrupt("a tree name that is not UTF-8".into()))?;
            names.push(name.to_string());
            from = key[..end].to_vec();
            from.push(1);
        }
    }

    /// Transactions are serialized by the store's writer lock (every write goes through here),
    /// so the body reads committed data plus its own writes and nothing can change under it.
    /// On commit, one write is a plain insert or remove, and several are one atomic sled batch.
    /// This is cheaper than a sled transaction, which seals the log buffer twice per commit
    /// (four log writes and syncs for a request's write, its audit entry and its flush).
    fn transaction(&self, body: &TxBody<'_>) -> Result<bool, StoreError> {
        let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let e = self.writer()?;
        let mut tx = SledTx {
            tree: &e.tree,
            engine: &e,
            store: self,
            writes: BTreeMap::new(),
            room_checked: false,
        };
        if !body(&mut tx) {
            return Ok(false);
        }
        let mut writes = tx.writes.into_iter();
        let applied = match (writes.next(), writes.len()) {
            (None, _) => Ok(()),
            (Some((key, Some(value))), 0) => e.tree.insert(key, value).map(drop),
            (Some((key, None)), 0) => e.tree.remove(key).map(drop),
            (Some(first), _) => {
                let mut batch = sled::Batch::default();
                for (key, value) in std::iter::once(first).chain(writes) {
                    match value {
                        Some(value) => batch.insert(key, value),
                        None => batch.remove(key),
                    }
                }
                e.tree
                    .apply_batch(batch)
                    .inspect_err(|_| e.torn.store(true, Ordering::SeqCst))
            }
        };
        applied.map_err(|x| {
            let err = e.err(x);
            if e.torn.load(Ordering::SeqCst) {
                e.failed.store(true, Ordering::SeqCst);
            }
            err
        })?;
        Ok(true)
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.writer()?.flush(|waited| self.flush_stalled(waited))
    }

    fn follow(&self, feed: Arc<ChangeFeed>) {
        let _ = self.feed.set(feed);
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Opens `dir` again after a store on it was dropped: sled's I/O threads (shared by every
    /// test of the process) may hold the dropped store's file, and its lock, a moment longer.
    fn reopen(dir: &Path, min_free: u64) -> SledStore {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match SledStore::open_with_reserve(dir, min_free) {
                Ok(s) => return s,
                Err(e) if Instant::now() < deadline && e.to_string().contains("lock") => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => panic!("reopening: {e}"),
            }
        }
    }

    /// A store in `dir` (no reserve) holding `t/k = v`, flushed.
    fn with_k(dir: &Path) -> SledStore {
        let s = SledStore::open_with_reserve(dir, 0).unwrap();
        assert!(s
            .transaction(&|tx| tx.put("t", b"k", b"v").is_ok())
            .unwrap());
        s.flush().unwrap();
        s
    }

    #[test]
    fn passes_the_engine_suite() {
        let dir = tempfile::tempdir().unwrap();
        crate::suite::run(&SledStore::open(dir.path()).unwrap());
    }

    #[test]
    fn flushed_writes_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        drop(with_k(dir.path()));
        let s = reopen(dir.path(), 0);
        assert_eq!(s.get("t", b"k").unwrap().as_deref(), Some(&b"v"[..]));
    }

    #[test]
    fn below_the_reserve_writes_are_refused_and_reads_work() {
        let dir = tempfile::tempdir().unwrap();
        drop(with_k(dir.path()));
        // a reserve larger than any disk: every write is refused before it is written
        let s = reopen(dir.path(), u64::MAX);
        let refused = RefCell::new(None);
        let committed = s
            .transaction(&|tx| match tx.put("t", b"k", b"new") {
                Ok(()) => true,
                Err(e) => {
                    *refused.borrow_mut() = Some(e);
                    false
                }
            })
            .unwrap();
        assert!(!committed);
        let err = refused.into_inner().expect("the write was refused");
        assert!(matches!(err, StoreError::Full(_)), "{err:?}");
        assert!(err.is_transient());
        let deleted = s.transaction(&|tx| tx.delete("t", b"k").is_ok()).unwrap();
        assert!(!deleted, "deletes are writes too");
        assert_eq!(s.get("t", b"k").unwrap().as_deref(), Some(&b"v"[..]));
        assert_eq!(s.scan_prefix("t", b"").unwrap().len(), 1);
        // a transaction that only reads still runs
        assert!(s.transaction(&|tx| tx.get("t", b"k").is_ok()).unwrap());
    }

    #[test]
    fn a_failed_engine_serves_reads_and_is_reopened_for_writes() {
        let dir = tempfile::tempdir().unwrap();
        let s = with_k(dir.path());
        // as after sled failed a write (disk full): marked failed, still readable
        s.current()
            .expect("open")
            .failed
            .store(true, Ordering::SeqCst);
        *s.last_reopen.lock().unwrap() = Some(Instant::now());
        assert_eq!(s.get("t", b"k").unwrap().as_deref(), Some(&b"v"[..]));
        let feed = Arc::new(ChangeFeed::default());
        let heard = Arc::new(Mutex::new(Vec::new()));
        let h = heard.clone();
        feed.subscribe(move |c| h.lock().unwrap().push(c.clone()));
        s.follow(feed);
        let before = s.generation();
        // the next write (space is available) reopens the database from its directory
        *s.last_reopen.lock().unwrap() = None;
        assert!(s
            .transaction(&|tx| tx.put("t", b"k2", b"v2").is_ok())
            .unwrap());
        s.flush().unwrap();
        assert!(!s.current().expect("open").failed.load(Ordering::SeqCst));
        // what the failed engine had not flushed is gone: flushes stop vouching for it, and
        // caches are told to drop everything
        assert_eq!(s.generation(), before + 1);
        assert_eq!(*heard.lock().unwrap(), vec![Change::All]);
        assert_eq!(s.get("t", b"k").unwrap().as_deref(), Some(&b"v"[..]));
        drop(s);
        let s = reopen(dir.path(), 0);
        assert_eq!(s.get("t", b"k2").unwrap().as_deref(), Some(&b"v2"[..]));
    }

    /// A request that wrote to an engine which failed and was reopened before its flush is
    /// not told its write is durable: the reopened engine never had it.
    #[tokio::test]
    async fn a_flush_after_a_reopen_does_not_vouch_for_earlier_writes() {
        let dir = tempfile::tempdir().unwrap();
        let sled = Arc::new(with_k(dir.path()));
        let store = crate::Store::new(sled.clone());
        let generation = store.generation();
        assert!(sled
            .transaction(&|tx| tx.put("t", b"lost", b"v").is_ok())
            .unwrap());
        // the engine fails before that write is flushed (sled may or may not have written it
        // by itself), and space is back at once
        sled.current()
            .expect("open")
            .failed
            .store(true, Ordering::SeqCst);
        *sled.last_reopen.lock().unwrap() = None;
        assert!(matches!(
            store.flush_since(generation).await,
            Err(StoreError::Full(_))
        ));
        // a write made after the reopen is flushed as usual
        let generation = store.generation();
        assert!(sled
            .transaction(&|tx| tx.put("t", b"kept", b"v").is_ok())
            .unwrap());
        store.flush_since(generation).await.unwrap();
    }

    /// A flush that sled never finishes (its log buffer is stuck after a failed blob write)
    /// ends for the caller once the engine is marked failed.
    #[test]
    fn a_stuck_flush_ends_when_the_engine_fails() {
        let dir = tempfile::tempdir().unwrap();
        let mut e = Engine::open(dir.path(), &SledOptions::default()).unwrap();
        let (stuck, requests) = mpsc::channel::<FlushReply>();
        e.flushes = stuck;
        let e = Arc::new(e);
        let failing = e.clone();
        let marker = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            failing.failed.store(true, Ordering::SeqCst);
        });
        let t0 = Instant::now();
        assert!(matches!(e.flush(|_| false), Err(StoreError::Full(_))));
        assert!(t0.elapsed() >= Duration::from_millis(200));
        assert_eq!(requests.try_iter().count(), 1, "the flush was handed over");
        marker.join().unwrap();
        // one that nothing marks failed ends when it is taken as stuck, and marks it
        let dir = tempfile::tempdir().unwrap();
        let mut e = Engine::open(dir.path(), &SledOptions::default()).unwrap();
        let (stuck, _requests) = mpsc::channel::<FlushReply>();
        e.flushes = stuck;
        let stalled = |waited: Duration| waited > Duration::from_millis(100);
        assert!(matches!(e.flush(stalled), Err(StoreError::Full(_))));
        assert!(e.failed.load(Ordering::SeqCst));
    }

    #[test]
    fn a_torn_engine_serves_no_reads_until_it_is_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let s = with_k(dir.path());
        // as after a batch failed part-way (disk full): its memory may hold half a write
        let e = s.current().expect("open");
        e.failed.store(true, Ordering::SeqCst);
        e.torn.store(true, Ordering::SeqCst);
        drop(e);
        *s.last_reopen.lock().unwrap() = Some(Instant::now());
        assert!(matches!(s.get("t", b"k"), Err(StoreError::Full(_))));
        assert!(matches!(s.scan_prefix("t", b""), Err(StoreError::Full(_))));
        // once a reopen is due (space is available), reads come from the reopened store
        *s.last_reopen.lock().unwrap() = None;
        assert_eq!(s.get("t", b"k").unwrap().as_deref(), Some(&b"v"[..]));
        assert!(!s.current().expect("open").torn.load(Ordering::SeqCst));
    }
}
