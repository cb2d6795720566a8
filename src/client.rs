//! `Client`: what `createClient` returns, in Rust. Routes every statement: read-only statements run
//! on the replica; writes, write and deferred transactions and batches go to the primary over Hrana;
//! after a write the replica syncs until it covers the write (read-your-writes). Decides when a sync
//! is due (on the next call: edge runtimes run no timers between requests).
//!
//! Methods take `&self` and never hold a borrow across an `.await`, so overlapping calls (two
//! requests of one Worker isolate) interleave safely: while one call awaits the network, another
//! reads the replica as it is or runs its own sync.

mod config;
mod statement;
mod transaction;

use std::cell::{Cell, RefCell};

pub use config::{ClientConfig, Settings, DEFAULT_TIMEOUT_MS};
pub use statement::{from_hrana_value, to_hrana_value, ResultSet, Statement, TxMode};
pub use transaction::TxId;

use crate::error::{Error, Result};
use crate::protocol::hrana::{self, BatchCond, BatchStep, StreamRequest};
use crate::protocol::Position;
use crate::remote::{batch_result, stmt_result, Remote};
use crate::replica::{Params, Replica, ReplicaConfig};
use crate::sync::detect::detect;
use crate::sync::http_sync::HttpSync;
use crate::sync::pull_updates::PullUpdates;
use crate::sync::sqld::Sqld;
use crate::sync::{sync_into, Io, Protocol, ProtocolKind, StopWhen, SyncStats, SyncTarget};
use crate::transport::{Transport, WithDeadline};
use transaction::Transactions;

/// The replica side of a client in replica mode.
struct ReplicaSide {
    replica: RefCell<Replica>,
    target: SyncTarget,
    /// The protocol object between syncs (`None` while a sync has it out).
    protocol: RefCell<Option<Box<dyn Protocol>>>,
    kind: Cell<Option<ProtocolKind>>,
    last_sync_ms: Cell<Option<f64>>,
    /// The replica cannot serve reads consistently: it would exceed its memory budget, or a
    /// read-your-writes sync failed after a write. Reads go to the primary until a sync succeeds.
    remote_reads: Cell<bool>,
}

/// A libsql-edge client.
pub struct Client {
    settings: Settings,
    remote: Remote,
    replica: Option<ReplicaSide>,
    transactions: Transactions,
    closed: Cell<bool>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("settings", &self.settings).finish_non_exhaustive()
    }
}

fn new_protocol(kind: ProtocolKind) -> Box<dyn Protocol> {
    match kind {
        ProtocolKind::Sqld => Box::new(Sqld::new()),
        ProtocolKind::HttpSync => Box::new(HttpSync::new()),
        ProtocolKind::PullUpdates => Box::new(PullUpdates::new()),
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
        let replica = match &settings.sync_url {
            None => None,
            Some(url) => Some(ReplicaSide {
                replica: RefCell::new(Replica::open(ReplicaConfig {
                    memory_budget_bytes: settings.memory_budget_bytes,
                    ..Default::default()
                })?),
                target: SyncTarget::new(url, settings.auth_token.clone(), settings.timeout_ms),
                protocol: RefCell::new(None),
                kind: Cell::new(settings.sync_protocol),
                last_sync_ms: Cell::new(None),
                remote_reads: Cell::new(false),
            }),
        };
        Ok(Client { settings, remote, replica, transactions: Transactions::default(), closed: Cell::new(false) })
    }

    /// `"file"` for an embedded replica, `"http"` for remote-only (as `@libsql/client` names them).
    pub fn protocol(&self) -> &'static str {
        if self.replica.is_some() {
            "file"
        } else {
            "http"
        }
    }

    /// Whether `close` was called.
    pub fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Closes the client: open transactions are dropped; further calls fail with `CLIENT_CLOSED`.
    pub fn close(&self) {
        self.closed.set(true);
        self.transactions.clear();
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
        self.replica.as_ref().and_then(|r| r.replica.borrow().position())
    }

    /// Page bytes the replica holds.
    pub fn memory_bytes(&self) -> u64 {
        self.replica.as_ref().map_or(0, |r| r.replica.borrow().memory_bytes())
    }

    /// Whether the sync interval has passed (or the replica never synced). The caller starts the
    /// sync; reads do not wait for it, except the first bootstrap.
    pub fn sync_due(&self, now_ms: f64) -> bool {
        let Some(side) = &self.replica else { return false };
        match (side.last_sync_ms.get(), self.settings.sync_interval_ms) {
            (None, _) => true,
            (Some(last), Some(interval)) => now_ms - last >= interval,
            (Some(_), None) => false,
        }
    }

    /// Syncs the replica with the primary until it is up to date.
    pub async fn sync(&self, transport: &dyn Transport) -> Result<SyncStats> {
        let transport = &self.deadline(transport);
        self.check_open()?;
        let side = self.replica.as_ref().ok_or_else(|| Error::Config {
            code: "SYNC_NOT_SUPPORTED",
            message: "sync is only supported for embedded replicas (url file: with syncUrl)".into(),
        })?;
        self.sync_side(side, transport, None).await
    }

    async fn sync_side(
        &self,
        side: &ReplicaSide,
        transport: &dyn Transport,
        stop_when: Option<StopWhen<'_>>,
    ) -> Result<SyncStats> {
        let io = Io::new(transport, &side.target);
        let kind = match side.kind.get() {
            Some(k) => k,
            None => {
                let k = detect(&io).await?;
                side.kind.set(Some(k));
                k
            }
        };
        // Another call may hold the protocol object (its sync is in flight): use a fresh one, so
        // this call never awaits I/O that belongs to another request.
        let mut protocol = side.protocol.borrow_mut().take().unwrap_or_else(|| new_protocol(kind));
        let result = sync_into(&side.replica, protocol.as_mut(), &io, stop_when).await;
        let mut slot = side.protocol.borrow_mut();
        if slot.is_none() {
            *slot = Some(protocol);
        }
        // Failed attempts count too, so a primary that cannot be synced is retried at the interval,
        // not on every call.
        side.last_sync_ms.set(Some(io.now_ms()));
        match &result {
            Ok(_) => side.remote_reads.set(false),
            Err(Error::MemoryBudget { .. }) => side.remote_reads.set(true),
            Err(_) => {}
        }
        result
    }

    /// The replica side when it can serve reads now. The first call of a replica client waits for
    /// the bootstrap; a database over the memory budget makes reads fall back to the primary.
    async fn local_side(&self, transport: &dyn Transport) -> Result<Option<&ReplicaSide>> {
        let Some(side) = &self.replica else { return Ok(None) };
        if !side.remote_reads.get() && side.replica.borrow().newest_position().is_none() {
            match self.sync_side(side, transport, None).await {
                Ok(_) | Err(Error::MemoryBudget { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok((!side.remote_reads.get()).then_some(side))
    }

    /// After a write that the primary reports at `replication_index`, syncs until the replica covers
    /// it (sqld), or until it is up to date (protocols whose positions are not comparable). The
    /// write has committed, so a failed sync is not the caller's error: reads go to the primary
    /// until a later sync succeeds, which keeps the write visible.
    async fn read_your_writes(&self, transport: &dyn Transport, replication_index: Option<u64>) {
        let Some(side) = &self.replica else { return };
        if !self.settings.read_your_writes || side.remote_reads.get() {
            return;
        }
        let synced = match (side.kind.get(), replication_index) {
            (Some(ProtocolKind::Sqld), Some(index)) => {
                let covered = |p: &Position| matches!(p, Position::Sqld { frame_no, .. } if frame_no.0 >= index);
                if side.replica.borrow().newest_position().is_some_and(|p| covered(&p)) {
                    return;
                }
                self.sync_side(side, transport, Some(&covered)).await
            }
            _ => self.sync_side(side, transport, None).await,
        };
        if synced.is_err() {
            side.remote_reads.set(true);
        }
    }

    /// Runs one statement: locally when the replica can (read-only), else on the primary.
    pub async fn execute(&self, transport: &dyn Transport, stmt: &Statement) -> Result<ResultSet> {
        let transport = &self.deadline(transport);
        self.check_open()?;
        if let Some(side) = self.local_side(transport).await? {
            let mut replica = side.replica.borrow_mut();
            // A read transaction of another caller pins the replica's snapshot; if newer pages wait
            // behind it (e.g. this caller's own write), this read goes to the primary instead.
            let pinned_behind = replica.in_read_transaction() && replica.queued_applies() > 0;
            if !pinned_behind && replica.is_local_read(&stmt.sql) {
                let params = Params { positional: &stmt.args, named: &stmt.named_args };
                match replica.query_with(&stmt.sql, params) {
                    // Argument errors are worded by the primary (ARGS_INVALID on sqld), as
                    // `@libsql/client` reports them: let it answer.
                    Err(Error::Sqlite(
                        rusqlite::Error::InvalidParameterCount(..) | rusqlite::Error::InvalidParameterName(_),
                    )) => {}
                    result => return Ok(result?.into()),
                }
            }
        }
        let response = self.remote.once(transport, StreamRequest::Execute { stmt: stmt.to_hrana() }).await?;
        let result = stmt_result(response)?;
        let index = result.replication_index;
        let result = ResultSet::from(result);
        self.read_your_writes(transport, index).await;
        Ok(result)
    }

    /// Runs statements atomically: a `read` batch of read-only statements on the replica, anything
    /// else as one pipeline on the primary (`BEGIN`, each statement if the previous succeeded,
    /// `COMMIT`, `ROLLBACK` unless committed).
    pub async fn batch(&self, transport: &dyn Transport, stmts: &[Statement], mode: TxMode) -> Result<Vec<ResultSet>> {
        let transport = &self.deadline(transport);
        self.check_open()?;
        if let (Some(side), TxMode::Read) = (self.local_side(transport).await?, mode) {
            if let Some(results) = self.local_read_batch(side, stmts)? {
                return Ok(results);
            }
        }
        self.remote_batch(transport, stmts, mode, false).await
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
        self.read_your_writes(transport, index).await;
        Ok(results)
    }

    /// A read batch on the replica inside one read transaction; `None` when it must go to the
    /// primary (a statement that is not a local read, or a read transaction already open).
    fn local_read_batch(&self, side: &ReplicaSide, stmts: &[Statement]) -> Result<Option<Vec<ResultSet>>> {
        let mut replica = side.replica.borrow_mut();
        if replica.in_read_transaction() || !stmts.iter().all(|s| replica.is_local_read(&s.sql)) {
            return Ok(None);
        }
        replica.query("BEGIN", &[])?;
        let mut results = Vec::with_capacity(stmts.len());
        for (i, s) in stmts.iter().enumerate() {
            match replica.query_with(&s.sql, Params { positional: &s.args, named: &s.named_args }) {
                Ok(rows) => results.push(rows.into()),
                Err(e) => {
                    replica.query("ROLLBACK", &[])?;
                    return Err(Error::Batch { statement_index: i, source: Box::new(e) });
                }
            }
        }
        replica.query("COMMIT", &[])?;
        Ok(Some(results))
    }

    /// Runs a script of several statements on the primary (no results). The replica syncs even when
    /// the script fails part-way: the statements before the failure did run.
    pub async fn execute_multiple(&self, transport: &dyn Transport, sql: &str) -> Result<()> {
        let transport = &self.deadline(transport);
        self.check_open()?;
        let request = StreamRequest::Sequence { sql: Some(sql.to_string()), sql_id: None, replication_index: None };
        let result = self.remote.once(transport, request).await;
        self.read_your_writes(transport, None).await;
        result.map(|_| ())
    }

    /// Runs schema migrations on the primary as `@libsql/client` does: one deferred batch wrapped in
    /// `PRAGMA foreign_keys=off` / `=on`.
    pub async fn migrate(&self, transport: &dyn Transport, stmts: &[Statement]) -> Result<Vec<ResultSet>> {
        let transport = &self.deadline(transport);
        self.check_open()?;
        self.remote_batch(transport, stmts, TxMode::Deferred, true).await
    }
}
