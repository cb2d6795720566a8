//! `Client`: what `createClient` returns, in Rust. It routes statements: a read goes where the sync
//! engine says (the replica, or the primary with a reason), writes, write and deferred transactions
//! and batches go to the primary over Hrana, and after a write the engine catches the replica up
//! (read-your-writes). Every decision about *when* and *from where* the replica moves belongs to
//! the engine (`crate::sync::engine`); the client keeps only what its own calls saw: bookmarks and
//! the timing of the last call.
//!
//! Methods take `&self` and never hold a borrow across an `.await`, so overlapping calls (two
//! requests of one Worker isolate) interleave safely.

mod classify;
mod config;
mod fast;
mod route;
mod statement;
mod stats;
mod transaction;

use std::cell::{Cell, RefCell};

pub use config::{parse_on_stale, ClientConfig, Settings, DEFAULT_TIMEOUT_MS};
pub use statement::{from_hrana_value, to_hrana_value, ResultSet, Statement, TxMode};
pub use stats::{CallTiming, ClientStats, PartialStats};
pub use transaction::TxId;

use crate::error::{Error, Result};
use crate::protocol::hrana::{self, BatchCond, BatchStep, StreamRequest};
use crate::protocol::Position;
use crate::remote::{batch_result, stmt_result, Remote};
use crate::replica::Replica;
use crate::sync::bookmark::{database_id, Bookmark, Target};
use crate::sync::engine::{Consistency, Engine, Spawner};
use crate::sync::SyncStats;
use crate::transport::{Transport, WithDeadline};
use route::Routed;
use stats::Via;
use transaction::Transactions;

/// A libsql-edge client.
pub struct Client {
    settings: Settings,
    remote: Remote,
    engine: Option<Engine>,
    /// Identity of the database, for bookmarks.
    database: u64,
    transactions: Transactions,
    /// The newest position this client has seen (reads and writes).
    newest: RefCell<Option<Bookmark>>,
    /// This client's last write the replica may not have yet, and when it was acknowledged:
    /// its reads see it (read-your-writes) until the replica covers it.
    own_write: RefCell<Option<(Bookmark, f64)>>,
    last_call: Cell<Option<CallTiming>>,
    closed: Cell<bool>,
    /// The last bookmark a local read encoded, with its text (local reads repeat it until the
    /// replica moves).
    encoded: RefCell<Option<(Bookmark, String)>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `config`. Does no I/O: the first call bootstraps.
    pub fn new(config: &ClientConfig) -> Result<Client> {
        let settings = config.settings()?;
        let remote = Remote::new(
            &settings.primary_url,
            settings.auth_token.clone(),
            settings.timeout_ms,
            usize::try_from(settings.max_response_bytes).unwrap_or(usize::MAX),
            settings.concurrency as usize,
        );
        let engine = match settings.engine_settings() {
            Some(engine) => Some(Engine::new(engine)?),
            None => None,
        };
        let database = database_id(settings.sync_url.as_deref().unwrap_or(&settings.primary_url));
        Ok(Client {
            settings,
            remote,
            engine,
            database,
            transactions: Transactions::default(),
            newest: RefCell::new(None),
            own_write: RefCell::new(None),
            last_call: Cell::new(None),
            closed: Cell::new(false),
            encoded: RefCell::new(None),
        })
    }

    /// `"file"` for an embedded replica, `"http"` for remote-only (as `@libsql/client` names them).
    pub fn protocol(&self) -> &'static str {
        if self.engine.is_some() {
            "file"
        } else {
            "http"
        }
    }

    /// The sync engine of a replica client.
    pub fn engine(&self) -> Option<&Engine> {
        self.engine.as_ref()
    }

    /// Uses `store` for the snapshot tier (replica clients only; the database's identity and the
    /// snapshots' max age come from the configuration).
    pub fn set_snapshot_store(&self, store: std::rc::Rc<dyn crate::sync::snapshot::SnapshotStore>) {
        if let Some(engine) = &self.engine {
            engine.set_snapshot_store(store, self.settings.snapshot_database, self.settings.snapshot_max_age_ms);
        }
    }

    /// Where the engine's background tasks go (the wasm layer hands them to `waitUntil`).
    pub fn set_spawner(&self, spawner: Spawner) {
        if let Some(engine) = &self.engine {
            engine.set_spawner(spawner);
        }
    }

    /// Whether `close` was called.
    pub fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Closes the client: open transactions are dropped, the replica's pages are given back;
    /// further calls fail with `CLIENT_CLOSED`.
    pub fn close(&self) {
        self.closed.set(true);
        self.transactions.clear();
        if let Some(engine) = &self.engine {
            // Opening an empty replica only fails if SQLite cannot allocate a connection; the old
            // pages stay then, which is no worse than not closing.
            let _ = engine.release();
        }
    }

    /// `transport` with this call's deadline: `timeoutMs` bounds the whole call, retries included.
    fn deadline<'a>(&self, transport: &'a dyn Transport) -> WithDeadline<'a> {
        WithDeadline::new(transport, self.settings.timeout_ms)
    }

    fn check_open(&self) -> Result<()> {
        if self.closed.get() {
            return Err(Error::Closed { code: "CLIENT_CLOSED", message: "The client is closed".into() });
        }
        Ok(())
    }

    /// The replica's position, if this is a replica client that has synced.
    pub fn position(&self) -> Option<Position> {
        self.engine.as_ref().and_then(Engine::position)
    }

    /// Page bytes the replica holds.
    pub fn memory_bytes(&self) -> u64 {
        self.engine.as_ref().map_or(0, |e| e.replica().borrow().memory_bytes())
    }

    /// The consistency plain client calls ask for: the client's `maxLag` / `onStale` defaults.
    pub fn default_consistency(&self) -> Consistency {
        Consistency { max_lag_ms: self.settings.max_lag_ms, on_stale: self.settings.on_stale, bookmark: None }
    }

    /// Parses a bookmark of this client's database (`BOOKMARK_INVALID` otherwise).
    pub fn parse_bookmark(&self, text: &str) -> Result<Bookmark> {
        Bookmark::parse(text, self.database)
    }

    /// The newest position this client has seen, as a bookmark.
    pub fn bookmark(&self) -> Option<String> {
        self.newest.borrow().as_ref().map(Bookmark::encode)
    }

    fn see(&self, bookmark: &Bookmark) {
        let mut newest = self.newest.borrow_mut();
        *newest = Some(match newest.take() {
            Some(b) => b.newest(bookmark.clone()),
            None => bookmark.clone(),
        });
    }

    /// Syncs the replica with the primary until it is up to date.
    pub async fn sync(&self, transport: &dyn Transport) -> Result<SyncStats> {
        let transport = &self.deadline(transport);
        self.check_open()?;
        let engine = self.engine.as_ref().ok_or_else(|| Error::Config {
            code: "SYNC_NOT_SUPPORTED",
            message: "sync is only supported for embedded replicas (url file: with syncUrl)".into(),
        })?;
        let stats = engine.sync(transport).await?;
        if let Some(p) = &stats.position {
            self.see(&Bookmark { database: self.database, target: Target::At(p.clone()) });
        }
        Ok(stats)
    }

    /// Runs one statement: locally when the engine and the replica can, else on the primary.
    pub async fn execute(&self, transport: &dyn Transport, stmt: &Statement) -> Result<ResultSet> {
        self.execute_with(transport, stmt, &self.default_consistency()).await
    }

    /// `execute` asking for `consistency` (a session's options). The result's `bookmark` is the
    /// newest position the call saw (the write's, for a write), merged with the one asked for.
    pub async fn execute_with(
        &self,
        transport: &dyn Transport,
        stmt: &Statement,
        consistency: &Consistency,
    ) -> Result<ResultSet> {
        let transport = &self.deadline(transport);
        self.check_open()?;
        let started = transport.now_ms();
        let is_read = |replica: &Replica| replica.is_local_read(&stmt.sql);
        let routed =
            self.route_read(transport, consistency, is_read, |replica| fast::execute_on_replica(replica, stmt)).await?;
        let reason = match routed {
            Routed::Local(result) => return self.finish_local(result, consistency, started, transport),
            Routed::Remote(reason) => reason,
        };
        let response = self.remote.once(transport, StreamRequest::Execute { stmt: stmt.to_hrana() }).await?;
        let result = stmt_result(response)?;
        let index = result.replication_index;
        let mut result = ResultSet::from(result);
        let wrote = self.may_write(&stmt.sql);
        result.bookmark = Some(self.after_remote(transport, index, wrote, consistency).await);
        self.record(started, transport, Via::Primary(reason));
        Ok(result)
    }

    /// Runs statements atomically: a `read` batch of read-only statements on the replica (in one
    /// read transaction), anything else as one pipeline on the primary (`BEGIN`, each statement if
    /// the previous succeeded, `COMMIT`, `ROLLBACK` unless committed).
    pub async fn batch(&self, transport: &dyn Transport, stmts: &[Statement], mode: TxMode) -> Result<Vec<ResultSet>> {
        self.batch_with(transport, stmts, mode, &self.default_consistency()).await
    }

    /// `batch` asking for `consistency`.
    pub async fn batch_with(
        &self,
        transport: &dyn Transport,
        stmts: &[Statement],
        mode: TxMode,
        consistency: &Consistency,
    ) -> Result<Vec<ResultSet>> {
        let transport = &self.deadline(transport);
        self.check_open()?;
        let started = transport.now_ms();
        let mut reason = None;
        if mode == TxMode::Read {
            let is_read = |replica: &Replica| stmts.iter().all(|s| replica.is_local_read(&s.sql));
            match self.route_read(transport, consistency, is_read, |replica| route::read_batch(replica, stmts)).await? {
                Routed::Local(results) => {
                    let mut results = results?;
                    let bookmark = self.local_bookmark(consistency);
                    for r in &mut results {
                        r.bookmark = bookmark.clone();
                    }
                    self.record(started, transport, Via::Replica);
                    return Ok(results);
                }
                Routed::Remote(r) => reason = r,
            }
        }
        let wrote = mode != TxMode::Read || stmts.iter().any(|s| self.may_write(&s.sql));
        let mut results = self.remote_batch(transport, stmts, mode, false, wrote, consistency).await?;
        if let Some(last) = results.last().and_then(|r| r.bookmark.clone()) {
            for r in &mut results {
                r.bookmark = Some(last.clone());
            }
        }
        self.record(started, transport, Via::Primary(reason));
        Ok(results)
    }

    /// One Hrana batch on the primary, shaped as `@libsql/client` sends it: `BEGIN`, each statement
    /// if the previous step succeeded, `COMMIT`, `ROLLBACK` unless committed; with
    /// `foreign_keys_off` (migrations) wrapped in `PRAGMA foreign_keys=off` / `=on` steps, so the
    /// pragmas reach the batch's own connection.
    async fn remote_batch(
        &self,
        transport: &dyn Transport,
        stmts: &[Statement],
        mode: TxMode,
        foreign_keys_off: bool,
        wrote: bool,
        consistency: &Consistency,
    ) -> Result<Vec<ResultSet>> {
        let step = |condition, sql: &str| BatchStep { condition, stmt: Statement::new(sql).to_hrana() };
        let mut steps = Vec::with_capacity(stmts.len() + 5);
        if foreign_keys_off {
            steps.push(step(None, "PRAGMA foreign_keys=off"));
        }
        let begin = steps.len();
        steps.push(step(None, mode.begin_sql()));
        for s in stmts {
            let previous = (steps.len() - 1) as u32;
            steps.push(BatchStep { condition: Some(BatchCond::Ok { step: previous }), stmt: s.to_hrana() });
        }
        let commit = steps.len();
        steps.push(step(Some(BatchCond::Ok { step: (commit - 1) as u32 }), "COMMIT"));
        steps.push(step(Some(BatchCond::Not { cond: Box::new(BatchCond::Ok { step: commit as u32 }) }), "ROLLBACK"));
        if foreign_keys_off {
            steps.push(step(None, "PRAGMA foreign_keys=on"));
        }
        let batch = hrana::Batch { steps, replication_index: None };
        let result = batch_result(self.remote.once(transport, StreamRequest::Batch { batch }).await?)?;
        // The first failing step between BEGIN and COMMIT names the statement (BEGIN and COMMIT
        // failures are reported against the first and last statement).
        for (at, error) in result.step_errors.iter().enumerate().take(commit + 1).skip(begin) {
            if let Some(e) = error {
                return Err(Error::Batch {
                    statement_index: at.saturating_sub(begin + 1).min(stmts.len().saturating_sub(1)),
                    source: Box::new(Error::Server { code: e.code.clone(), message: e.message.clone() }),
                });
            }
        }
        let index = result.replication_index;
        let mut results = Vec::with_capacity(stmts.len());
        for at in begin + 1..commit {
            let r = result.step_results.get(at).cloned().flatten().ok_or_else(|| Error::InvalidResponse {
                context: "hrana batch".into(),
                message: format!("no result for step {at}"),
            })?;
            results.push(ResultSet::from(r));
        }
        let bookmark = self.after_remote(transport, index, wrote, consistency).await;
        if let Some(last) = results.last_mut() {
            last.bookmark = Some(bookmark);
        }
        Ok(results)
    }

    /// Runs a script of several statements on the primary (no results). The replica syncs even when
    /// the script fails part-way: the statements before the failure did run.
    pub async fn execute_multiple(&self, transport: &dyn Transport, sql: &str) -> Result<()> {
        let transport = &self.deadline(transport);
        self.check_open()?;
        let request = StreamRequest::Sequence { sql: Some(sql.to_string()), sql_id: None, replication_index: None };
        let result = self.remote.once(transport, request).await;
        self.after_remote(transport, None, true, &self.default_consistency()).await;
        result.map(|_| ())
    }

    /// Runs schema migrations on the primary as `@libsql/client` does: one deferred batch wrapped in
    /// `PRAGMA foreign_keys=off` / `=on`.
    pub async fn migrate(&self, transport: &dyn Transport, stmts: &[Statement]) -> Result<Vec<ResultSet>> {
        let transport = &self.deadline(transport);
        self.check_open()?;
        self.remote_batch(transport, stmts, TxMode::Deferred, true, true, &self.default_consistency()).await
    }
}
