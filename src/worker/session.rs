//! `Session`: one request's view of a [`Client`]. Every call runs inside the request (background
//! work it starts goes to the request's `waitUntil`) and asks for the session's consistency: the
//! client's `maxLag` / `onStale` unless set here, and the newest bookmark the session has seen,
//! so its reads see its own writes and never go back in time. `session.bookmark()` carries that
//! to another request (a cookie or a header), `with_bookmark` takes it up there.

use std::cell::RefCell;
use std::future::Future;
use std::time::Duration;

use super::context::{InRequest, WaitUntil};
use super::params::{statement, IntoParams};
use super::{Client, Transaction};
use crate::client::{ResultSet, Statement, TxMode};
use crate::error::Result;
use crate::sync::engine::{Consistency, OnStale};
use crate::sync::SyncStats;

/// One request's calls on a [`Client`]; from [`Client::session`].
pub struct Session {
    client: Client,
    wait_until: Option<WaitUntil>,
    consistency: RefCell<Consistency>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("consistency", &self.consistency.borrow()).finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn new(client: Client, wait_until: Option<WaitUntil>) -> Session {
        let consistency = RefCell::new(client.inner.core.default_consistency());
        Session { client, wait_until, consistency }
    }

    /// Reads of this session see at least `bookmark` (from another request's
    /// `session.bookmark()`); `BOOKMARK_INVALID` if it is malformed or of another database.
    pub fn with_bookmark(self, bookmark: &str) -> Result<Session> {
        let parsed = self.client.inner.core.parse_bookmark(bookmark)?;
        self.consistency.borrow_mut().bookmark = Some(parsed);
        Ok(self)
    }

    /// Reads accept a replica last confirmed up to date at most `max_lag` ago (`maxLag`).
    pub fn with_max_lag(self, max_lag: Duration) -> Session {
        self.consistency.borrow_mut().max_lag_ms = Some(max_lag.as_secs_f64() * 1000.0);
        self
    }

    /// What a read does when the replica is older than `max_lag` (`onStale`).
    pub fn with_on_stale(self, on_stale: OnStale) -> Session {
        self.consistency.borrow_mut().on_stale = on_stale;
        self
    }

    /// The newest position this session has seen, as a bookmark for another request's session.
    pub fn bookmark(&self) -> Option<String> {
        self.consistency.borrow().bookmark.as_ref().map(|b| b.encode())
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// `future` inside this session's request.
    pub(crate) fn run<'a, T>(&self, future: impl Future<Output = T> + 'a) -> InRequest<'a, T> {
        InRequest::new(self.wait_until.clone(), future)
    }

    fn asked(&self) -> Consistency {
        self.consistency.borrow().clone()
    }

    /// Keeps the newest bookmark a call returned (it already includes what was asked).
    fn saw(&self, bookmark: Option<&str>) {
        if let Some(b) = bookmark.and_then(|text| self.client.inner.core.parse_bookmark(text).ok()) {
            self.consistency.borrow_mut().bookmark = Some(b);
        }
    }

    /// Runs one statement: `session.execute("SELECT * FROM posts WHERE id = ?", (7,))`. A read the
    /// replica can serve runs locally; anything else goes to the primary.
    pub async fn execute(&self, sql: &str, params: impl IntoParams) -> Result<ResultSet> {
        self.execute_statement(&statement(sql, params)).await
    }

    /// Runs one prepared [`Statement`].
    pub async fn execute_statement(&self, stmt: &Statement) -> Result<ResultSet> {
        let (inner, asked) = (&self.client.inner, self.asked());
        let rs = self.run(inner.core.execute_with(&inner.transport, stmt, &asked)).await?;
        self.saw(rs.bookmark.as_deref());
        Ok(rs)
    }

    /// Runs statements atomically (build them with [`statement`](super::statement)): a `Read`
    /// batch of reads on the replica in one read transaction, anything else as one pipeline on the
    /// primary. A failure is `Error::Batch` with the statement's index.
    pub async fn batch(&self, stmts: &[Statement], mode: TxMode) -> Result<Vec<ResultSet>> {
        let (inner, asked) = (&self.client.inner, self.asked());
        let results = self.run(inner.core.batch_with(&inner.transport, stmts, mode, &asked)).await?;
        self.saw(results.last().and_then(|r| r.bookmark.as_deref()));
        Ok(results)
    }

    /// Starts an interactive transaction: `Read` runs on the replica on a stable snapshot, `Write`
    /// and `Deferred` on the primary.
    pub async fn transaction(&self, mode: TxMode) -> Result<Transaction> {
        let (inner, asked) = (&self.client.inner, self.asked());
        let id = self.run(inner.core.transaction_with(&inner.transport, mode, &asked)).await?;
        Ok(Transaction::new(self.client.clone(), self.wait_until.clone(), id))
    }

    /// Runs a script of several statements on the primary (no results).
    pub async fn execute_multiple(&self, sql: &str) -> Result<()> {
        let inner = &self.client.inner;
        self.run(inner.core.execute_multiple(&inner.transport, sql)).await
    }

    /// Runs schema migrations on the primary, as `@libsql/client`'s `migrate`.
    pub async fn migrate(&self, stmts: &[Statement]) -> Result<Vec<ResultSet>> {
        let inner = &self.client.inner;
        self.run(inner.core.migrate(&inner.transport, stmts)).await
    }

    /// Syncs the replica with the primary until it is up to date.
    pub async fn sync(&self) -> Result<SyncStats> {
        let inner = &self.client.inner;
        self.run(inner.core.sync(&inner.transport)).await
    }
}
