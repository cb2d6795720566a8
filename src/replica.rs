//! `Replica`: an in-memory SQLite database whose pages are owned by a `PageStore`, read through one
//! read-only rusqlite connection on the `libsql-edge` VFS, and replaced one committed transaction
//! at a time (`apply`) or all at once (`bootstrap`).
//!
//! Invariants:
//! - readers never see half a transaction: installs are infallible and happen between statements;
//! - while a read transaction is open on the connection (an explicit `BEGIN`, possibly spanning
//!   awaits in the client), applies are queued and installed when it ends, in order;
//! - the position is recorded together with the pages it describes;
//! - the replica never holds more page bytes (store + queued) than its budget.

mod committed;
mod header;
mod page_store;
mod pool;
mod prepare;
mod read;
mod rows;
mod vfs;
mod warm;

#[cfg(test)]
mod fuzz_regressions;
#[cfg(test)]
mod sink_tests;
#[cfg(test)]
mod tests;

use std::cell::{Cell, OnceCell};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};

pub use committed::{CommittedPages, Page};
pub use header::PATCHED_RANGES;
pub use page_store::{PageCounters, Residency};
pub use pool::MemoryPool;
pub use prepare::Shape;
pub use rows::{Params, RowSink, Rows};
pub use warm::{warm_up, warmed};

use crate::error::{Error, Result};
use crate::protocol::Position;
use page_store::PageStore;
use prepare::PreparedApply;
use vfs::{lock, SharedStore};

/// Default memory budget: 64 MiB of pages, half of a Worker isolate's 128 MB.
pub const DEFAULT_MEMORY_BUDGET: u64 = 64 << 20;

/// SQLite's page cache of a partial replica's connection, in KiB (4 pages of 4 KiB: the store holds
/// the pages; this only spares copies of the pages a statement keeps pinned).
pub const PARTIAL_CACHE_KIB: u32 = 16;

/// How a replica is set up.
#[derive(Debug, Clone)]
pub struct ReplicaConfig {
    /// The most page bytes the replica may hold (store plus queued applies).
    pub memory_budget_bytes: u64,
    /// SQLite's page cache for the connection, in KiB. Pages already live in the store, so a small
    /// cache only saves copying hot pages.
    pub cache_size_kib: u32,
    /// The budget shared with other replicas (`None`: the isolate's, `MemoryPool::isolate`).
    pub pool: Option<Arc<MemoryPool>>,
}

impl Default for ReplicaConfig {
    fn default() -> Self {
        ReplicaConfig { memory_budget_bytes: DEFAULT_MEMORY_BUDGET, cache_size_kib: 2048, pool: None }
    }
}

/// What `apply` / `bootstrap` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The pages are installed and visible to the next statement.
    Applied,
    /// A read transaction is open; the pages are installed when it ends.
    Queued,
}

/// An in-memory read replica.
pub struct Replica {
    name: String,
    store: SharedStore,
    /// Opened on first use, and again after a whole-database replacement (see `install`): a cold
    /// replica costs no SQLite work until it first holds pages.
    conn: OnceCell<Connection>,
    config: ReplicaConfig,
    queued: Vec<PreparedApply>,
    /// The installed schema's SQL text was found to be UTF-8 (`rows::schema_text_is_utf8`); reset by
    /// every install.
    schema_checked: Cell<bool>,
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica").field("name", &self.name).field("shape", &self.shape()).finish()
    }
}

impl Replica {
    /// Opens an empty replica (a database of 0 pages, no position). No SQLite work happens until
    /// its connection is first needed.
    pub fn open(config: ReplicaConfig) -> Result<Replica> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let name = format!("replica-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
        let pool = config.pool.clone().unwrap_or_else(MemoryPool::isolate);
        let store: SharedStore = Arc::new(Mutex::new(PageStore::new(pool.clone())));
        pool.join(&store);
        Ok(Replica { name, store, conn: OnceCell::new(), config, queued: Vec::new(), schema_checked: Cell::new(false) })
    }

    /// The read-only connection, opened now if it is not open (SQLite is initialised and the VFS
    /// registered on the first open of the process).
    fn conn(&self) -> Result<&Connection> {
        if let Some(conn) = self.conn.get() {
            return Ok(conn);
        }
        let conn = open_connection(&self.name, &self.config, &self.store)?;
        Ok(self.conn.get_or_init(|| conn))
    }

    /// Makes the replica keep only the pages it uses (`Residency::Partial`) or every page. Only
    /// an empty replica changes residency; returns whether it did.
    pub fn set_residency(&mut self, residency: Residency) -> bool {
        {
            let mut store = lock(&self.store);
            if store.position().is_some() && store.residency() != residency {
                return false;
            }
            store.set_residency(residency);
        }
        // SQLite's own page cache copies pages the store holds: a partial replica keeps it small,
        // so its memory stays with the budget (many tenants' connections add up).
        if residency != Residency::Full {
            self.config.cache_size_kib = self.config.cache_size_kib.min(PARTIAL_CACHE_KIB);
            if let Some(conn) = self.conn.get() {
                let _ = conn.execute_batch(&format!("PRAGMA cache_size = -{}", self.config.cache_size_kib));
            }
        }
        true
    }

    /// Which pages the replica keeps.
    pub fn residency(&self) -> Residency {
        lock(&self.store).residency()
    }

    /// Whether page `pgno` is held (always true for a full replica's pages).
    pub fn holds(&self, pgno: u32) -> bool {
        let store = lock(&self.store);
        store.residency() == Residency::Full || store.holds(pgno)
    }

    /// Whether a pull should keep page `pgno`: `None` when every pulled page is kept (a full
    /// replica, or a partial one whose applies are pinned); for a partial replica that can fetch
    /// any page again, only the pages it holds (and page 1).
    pub fn keeps_pulled(&self, pgno: u32) -> Option<bool> {
        let store = lock(&self.store);
        match store.residency() {
            Residency::Partial { pin_applied: false } => Some(pgno == 1 || store.holds(pgno)),
            _ => None,
        }
    }

    /// Evicts pages a partial replica may give up until `bytes` more fit in its budget and the
    /// pool; whether they do (a full replica gives nothing up).
    pub fn make_room(&self, bytes: u64) -> bool {
        let mut store = lock(&self.store);
        if store.residency() == Residency::Full {
            return false;
        }
        let more = bytes + self.queued_bytes();
        let pool = store.pool().clone();
        store.make_room(more, self.config.memory_budget_bytes) && pool.make_room(&mut store, more)
    }

    /// The shared pool's bytes in use and its limit.
    pub fn pool_usage(&self) -> (u64, Option<u64>) {
        let store = lock(&self.store);
        (store.pool().used(), store.pool().limit())
    }

    /// Page traffic so far, with resident and pinned page counts.
    pub fn page_counters(&self) -> (PageCounters, usize, u64) {
        let store = lock(&self.store);
        (store.counters(), store.resident_pages(), store.pinned_bytes())
    }

    /// Replaces the whole database with `image` (a SQLite file, any valid page size) at `position`.
    pub fn bootstrap(&mut self, image: &[u8], position: Position) -> Result<ApplyOutcome> {
        let prepared = prepare::prepare_image(image, position)?;
        self.install_or_queue(prepared)
    }

    /// `bootstrap` from an owned image (a download), releasing the image's memory as its pages are
    /// made, so memory peaks near one copy of the database instead of two. The budget is checked
    /// before anything is split.
    pub fn bootstrap_owned(&mut self, image: Vec<u8>, position: Position) -> Result<ApplyOutcome> {
        let shape = prepare::image_shape(&image)?;
        self.check_budget(shape.bytes(), shape.bytes())?;
        let prepared = prepare::prepare_image_owned(image, position)?;
        self.install_or_queue(prepared)
    }

    /// Installs whole committed transactions. On error the replica is unchanged.
    pub fn apply(&mut self, committed: CommittedPages) -> Result<ApplyOutcome> {
        let base = self.queued.last().map(PreparedApply::shape).unwrap_or_else(|| self.shape());
        let partial = self.residency() != Residency::Full;
        let prepared = prepare::prepare(base, committed, partial)?;
        self.install_or_queue(prepared)
    }

    fn install_or_queue(&mut self, prepared: PreparedApply) -> Result<ApplyOutcome> {
        self.check_budget(prepared.shape().bytes(), prepared.page_bytes())?;
        if self.in_read_transaction() {
            self.queued.push(prepared);
            Ok(ApplyOutcome::Queued)
        } else {
            self.install(vec![prepared])?;
            Ok(ApplyOutcome::Applied)
        }
    }

    /// Refuses an install that would exceed the budget, or makes room for it: `after` is the
    /// database size a full replica is left with, `held` the page bytes the install carries. While a
    /// read transaction is open the install is queued, and what it carries counts on top of what the
    /// replica already holds. A partial replica evicts pages it may give up (its own, then any
    /// replica's in the isolate's pool); a full one only others'.
    fn check_budget(&self, after: u64, held: u64) -> Result<()> {
        let budget = self.config.memory_budget_bytes;
        let queued = self.queued_bytes();
        let mut store = lock(&self.store);
        let partial = store.residency() != Residency::Full;
        let (needed, more) = match (partial, self.in_read_transaction()) {
            (true, _) | (false, true) => (store.resident_bytes() + queued + held, queued + held),
            (false, false) => (after, after.saturating_sub(store.resident_bytes())),
        };
        let fits = if partial { store.make_room(more, budget) } else { needed <= budget };
        if !fits {
            return Err(Error::MemoryBudget { needed, budget });
        }
        let pool = store.pool().clone();
        if !pool.make_room(&mut store, more) {
            let budget = pool.limit().unwrap_or(u64::MAX);
            return Err(Error::MemoryBudget { needed: pool.used() + more, budget });
        }
        Ok(())
    }

    fn queued_bytes(&self) -> u64 {
        self.queued.iter().map(PreparedApply::page_bytes).sum()
    }

    /// Adds pages fetched at `at` (the replica's installed position) to a partial replica, making
    /// room by eviction; pages that find no room are left out, the first (the page a read missed)
    /// last. `demanded` are the pages reads missed; the others are a prefetch, evicted first.
    /// Returns how many were added: 0 when the replica moved meanwhile (the fetch is stale).
    pub fn fill(&mut self, at: &Position, mut pages: Vec<(u32, Vec<u8>)>, demanded: &[u32]) -> Result<usize> {
        let budget = self.config.memory_budget_bytes;
        let queued = self.queued_bytes();
        let mut store = lock(&self.store);
        if store.position() != Some(at) {
            return Ok(0);
        }
        let page_size = u64::from(store.shape().page_size.unwrap_or(0));
        let pool = store.pool().clone();
        while !pages.is_empty() {
            let more = pages.len() as u64 * page_size + queued;
            if store.make_room(more, budget) && pool.make_room(&mut store, more) {
                break;
            }
            pages.pop();
        }
        if pages.is_empty() {
            return Err(Error::MemoryBudget { needed: store.resident_bytes() + page_size, budget });
        }
        Ok(store.fill(at, pages, demanded))
    }

    /// Installs prepared applies in order. After a whole-database replacement the connection is
    /// reopened: the new database's schema cookie can equal the old one's, and SQLite would then
    /// keep using its cached schema of the old database. If the new database cannot be opened (its
    /// header or schema is unreadable), the replacement is undone and refused: the replica keeps
    /// what it held before it, and the applies queued after it (prepared against it) are dropped.
    fn install(&mut self, prepared: Vec<PreparedApply>) -> Result<()> {
        for p in prepared {
            // A schema SQLite parsed from pages nobody checked (a statement prepared since the last
            // install, before any read) would survive an install that keeps the schema cookie.
            if !self.schema_checked.get() {
                self.conn = OnceCell::new();
            }
            self.schema_checked.set(false);
            let replaced = lock(&self.store).install(p);
            if let Some(replaced) = replaced {
                match open_connection(&self.name, &self.config, &self.store) {
                    Ok(conn) => self.conn = OnceCell::from(conn),
                    Err(e) => {
                        lock(&self.store).restore(replaced);
                        return Err(e);
                    }
                }
            }
        }
        Ok(())
    }

    /// The position of the installed pages; `None` before the first install.
    pub fn position(&self) -> Option<Position> {
        lock(&self.store).position().cloned()
    }

    /// The position the replica will stand at once queued applies are installed (the installed
    /// position when nothing is queued). Pulls continue from here.
    pub fn newest_position(&self) -> Option<Position> {
        match self.queued.last() {
            Some(p) => Some(p.position().clone()),
            None => self.position(),
        }
    }

    /// Page size and database size of the installed pages.
    pub fn shape(&self) -> Shape {
        lock(&self.store).shape()
    }

    /// `count` pages from page `first` (1-based) as installed, concatenated (a snapshot chunk).
    pub fn read_pages(&self, first: u32, count: u32) -> Vec<u8> {
        let mut store = lock(&self.store);
        let page_size = store.shape().page_size.unwrap_or(0) as usize;
        let mut out = vec![0u8; page_size * count as usize];
        store.read_at(&mut out, (first as u64 - 1) * page_size as u64);
        out
    }

    /// The whole database file as installed (header bytes in `PATCHED_RANGES` are the replica's own).
    pub fn export(&self) -> Vec<u8> {
        lock(&self.store).export()
    }

    /// Page bytes held: installed pages plus queued applies.
    pub fn memory_bytes(&self) -> u64 {
        lock(&self.store).resident_bytes() + self.queued_bytes()
    }

    /// The configured memory budget in bytes.
    pub fn memory_budget(&self) -> u64 {
        self.config.memory_budget_bytes
    }
}

/// Opens the replica's connection. The store is offered to the VFS for this one open (the VFS
/// takes it), so no other connection can open the file by name.
fn open_connection(name: &str, config: &ReplicaConfig, store: &SharedStore) -> Result<Connection> {
    // SQLite is initialised and the VFS registered on the first open of the process.
    vfs::ensure_registered()
        .map_err(|rc| Error::Sqlite(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rc), None)))?;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    vfs::attach(name, store.clone());
    let conn = Connection::open_with_flags_and_vfs(name, flags, vfs::VFS_NAME);
    vfs::detach(name);
    let conn = conn?;
    // No ATTACH: on this VFS another replica's name opens that replica, so a statement of one
    // client could read another tenant's database in the same isolate.
    // SAFETY: the handle is this open connection's; sqlite3_limit only sets a per-connection limit.
    unsafe { rusqlite::ffi::sqlite3_limit(conn.handle(), rusqlite::ffi::SQLITE_LIMIT_ATTACHED, 0) };
    conn.execute_batch(&format!("PRAGMA cache_size = -{}; PRAGMA temp_store = MEMORY;", config.cache_size_kib))?;
    // SQLite has parsed the schema (the pragma needs it) and keeps it while the schema cookie stays
    // the same: it must come from text that is UTF-8 (see `rows::schema_text_is_utf8`).
    if !rows::schema_text_is_utf8(&conn)? {
        return Err(rows::schema_not_utf8());
    }
    Ok(conn)
}
