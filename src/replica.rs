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
mod rows;
mod vfs;

#[cfg(test)]
mod sink_tests;
#[cfg(test)]
mod tests;

use std::cell::OnceCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};

pub use committed::{CommittedPages, Page};
pub use header::PATCHED_RANGES;
pub use page_store::Shape;
pub use rows::{Params, RowSink, Rows};

use crate::error::{Error, Result};
use crate::protocol::Position;
use crate::value::Value;
use page_store::{PageStore, PreparedApply};
use vfs::{lock, SharedStore};

/// Default memory budget: 64 MiB of pages, half of a Worker isolate's 128 MB.
pub const DEFAULT_MEMORY_BUDGET: u64 = 64 << 20;

/// How a replica is set up.
#[derive(Debug, Clone)]
pub struct ReplicaConfig {
    /// The most page bytes the replica may hold (store plus queued applies).
    pub memory_budget_bytes: u64,
    /// SQLite's page cache for the connection, in KiB. Pages already live in the store, so a small
    /// cache only saves copying hot pages.
    pub cache_size_kib: u32,
}

impl Default for ReplicaConfig {
    fn default() -> Self {
        ReplicaConfig { memory_budget_bytes: DEFAULT_MEMORY_BUDGET, cache_size_kib: 2048 }
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
    /// replica costs no SQLite work until its first read.
    conn: OnceCell<Connection>,
    config: ReplicaConfig,
    queued: Vec<PreparedApply>,
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica").field("name", &self.name).field("shape", &self.shape()).finish()
    }
}

impl Replica {
    /// Opens an empty replica (a database of 0 pages, no position). No SQLite work happens until
    /// the first read.
    pub fn open(config: ReplicaConfig) -> Result<Replica> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let name = format!("replica-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
        let store: SharedStore = Arc::new(Mutex::new(PageStore::default()));
        vfs::attach(&name, store.clone());
        Ok(Replica { name, store, conn: OnceCell::new(), config, queued: Vec::new() })
    }

    /// The read-only connection, opened now if it is not open (SQLite is initialised and the VFS
    /// registered on the first open of the process).
    fn conn(&self) -> Result<&Connection> {
        if let Some(conn) = self.conn.get() {
            return Ok(conn);
        }
        vfs::ensure_registered()
            .map_err(|rc| Error::Sqlite(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rc), None)))?;
        let conn = open_connection(&self.name, &self.config)?;
        Ok(self.conn.get_or_init(|| conn))
    }

    /// Replaces the whole database with `image` (a SQLite file, any valid page size) at `position`.
    pub fn bootstrap(&mut self, image: &[u8], position: Position) -> Result<ApplyOutcome> {
        let prepared = PageStore::prepare_image(image, position)?;
        self.install_or_queue(prepared)
    }

    /// `bootstrap` from an owned image (a download), releasing the image's memory as its pages are
    /// made, so memory peaks near one copy of the database instead of two. The budget is checked
    /// before anything is split.
    pub fn bootstrap_owned(&mut self, image: Vec<u8>, position: Position) -> Result<ApplyOutcome> {
        let shape = PageStore::image_shape(&image)?;
        self.check_budget(shape.bytes(), shape.bytes())?;
        let prepared = PageStore::prepare_image_owned(image, position)?;
        self.install_or_queue(prepared)
    }

    /// Installs whole committed transactions. On error the replica is unchanged.
    pub fn apply(&mut self, committed: CommittedPages) -> Result<ApplyOutcome> {
        let base = self.queued.last().map(PreparedApply::shape).unwrap_or_else(|| self.shape());
        let prepared = PageStore::prepare(base, committed)?;
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

    /// Refuses an install that would exceed the budget: `after` is the database size it leaves,
    /// `held` the page bytes it carries. While a read transaction is open the install is queued, and
    /// what it carries counts on top of what the replica already holds.
    fn check_budget(&self, after: u64, held: u64) -> Result<()> {
        let needed = if self.in_read_transaction() { self.memory_bytes() + held } else { after };
        if needed > self.config.memory_budget_bytes {
            return Err(Error::MemoryBudget { needed, budget: self.config.memory_budget_bytes });
        }
        Ok(())
    }

    /// Installs prepared applies in order. After a whole-database replacement the connection is
    /// reopened: the new database's schema cookie can equal the old one's, and SQLite would then
    /// keep using its cached schema of the old database.
    fn install(&mut self, prepared: Vec<PreparedApply>) -> Result<()> {
        let mut replaced = false;
        let mut store = lock(&self.store);
        for p in prepared {
            replaced |= p.replaces_all();
            store.install(p);
        }
        drop(store);
        if replaced {
            // Opened again on first use.
            self.conn = OnceCell::new();
        }
        Ok(())
    }

    /// Runs one read-only statement with positional parameters and returns all its rows. A
    /// statement that is not read-only is refused with `REPLICA_WRITE_REFUSED`. `BEGIN` opens a read
    /// transaction on a stable snapshot; `COMMIT` / `ROLLBACK` end it and install queued applies.
    pub fn query(&mut self, sql: &str, params: &[Value]) -> Result<Rows> {
        self.query_with(sql, Params { positional: params, named: &[] })
    }

    /// `query` with positional or named parameters.
    pub fn query_with(&mut self, sql: &str, params: Params<'_>) -> Result<Rows> {
        let result = self.run(sql, params);
        if !self.queued.is_empty() && !self.in_read_transaction() {
            let queued = std::mem::take(&mut self.queued);
            self.install(queued)?;
        }
        result
    }

    /// `query_with` into `sink` with one statement lookup: `None` when `sql` is not a read the
    /// replica can run (SQLite cannot prepare it here, or does not call it read-only; see
    /// `is_local_read`), else the outcome of running it.
    pub fn read_into(&mut self, sql: &str, params: Params<'_>, sink: &mut dyn RowSink) -> Option<Result<()>> {
        let result = {
            let mut stmt = self.conn().ok()?.prepare_cached(sql).ok().filter(|s| s.readonly())?;
            rows::stream(&mut stmt, params, sink).map_err(Error::from)
        };
        if !self.queued.is_empty() && !self.in_read_transaction() {
            let queued = std::mem::take(&mut self.queued);
            if let Err(e) = self.install(queued) {
                return Some(Err(e));
            }
        }
        Some(result)
    }

    /// Runs a script of read-only statements (no results), refusing it before it runs if any
    /// statement is not read-only.
    pub fn query_script(&mut self, sql: &str) -> Result<()> {
        use rusqlite::fallible_iterator::FallibleIterator as _;
        let mut batch = rusqlite::Batch::new(self.conn()?, sql);
        let mut statements = Vec::new();
        while let Some(stmt) = batch.next()? {
            if !stmt.readonly() {
                return Err(Error::WriteRefused);
            }
            statements.push(stmt);
        }
        for mut stmt in statements {
            let mut rows = stmt.raw_query();
            while rows.next()?.is_some() {}
        }
        Ok(())
    }

    /// Whether `sql` is one statement that SQLite can prepare on the replica and calls read-only.
    /// Anything else (a write, or SQL the replica cannot prepare, e.g. for a table it does not have
    /// yet) is for the primary to run or to refuse.
    pub fn is_local_read(&self, sql: &str) -> bool {
        self.prepared_readonly(sql).unwrap_or(false)
    }

    /// Whether SQLite calls `sql` read-only, if the replica can prepare it (one statement).
    pub fn prepared_readonly(&self, sql: &str) -> Option<bool> {
        self.conn().ok()?.prepare_cached(sql).ok().map(|s| s.readonly())
    }

    fn run(&self, sql: &str, params: Params<'_>) -> Result<Rows> {
        let mut stmt = self.conn()?.prepare_cached(sql)?;
        if !stmt.readonly() {
            return Err(Error::WriteRefused);
        }
        Ok(Rows::collect(&mut stmt, params)?)
    }

    /// True while a transaction is open on the replica's connection.
    pub fn in_read_transaction(&self) -> bool {
        self.conn.get().is_some_and(|c| !c.is_autocommit())
    }

    /// Number of applies waiting for the open read transaction to end.
    pub fn queued_applies(&self) -> usize {
        self.queued.len()
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

    /// The whole database file as installed (header bytes in `PATCHED_RANGES` are the replica's own).
    pub fn export(&self) -> Vec<u8> {
        lock(&self.store).export()
    }

    /// Page bytes held: installed pages plus queued applies.
    pub fn memory_bytes(&self) -> u64 {
        self.shape().bytes() + self.queued.iter().map(PreparedApply::page_bytes).sum::<u64>()
    }

    /// The configured memory budget in bytes.
    pub fn memory_budget(&self) -> u64 {
        self.config.memory_budget_bytes
    }
}

fn open_connection(name: &str, config: &ReplicaConfig) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags_and_vfs(name, flags, vfs::VFS_NAME)?;
    conn.execute_batch(&format!("PRAGMA cache_size = -{}; PRAGMA temp_store = MEMORY;", config.cache_size_kib))?;
    Ok(conn)
}

impl Drop for Replica {
    fn drop(&mut self) {
        vfs::detach(&self.name);
    }
}
