//! `Transaction`: an interactive transaction of a [`Session`](super::Session). `commit` or
//! `rollback` ends it; dropping it unfinished rolls it back in the background of its request (as
//! `tx.close()` does in JS), so a read transaction never pins the replica's snapshot for long.

use std::cell::Cell;

use super::context::{self, InRequest, WaitUntil};
use super::params::{statement, IntoParams};
use super::Client;
use crate::client::{ResultSet, Statement, TxId};
use crate::error::Result;

/// An open transaction; from `session.transaction(mode)`.
pub struct Transaction {
    client: Client,
    wait_until: Option<WaitUntil>,
    id: TxId,
    ended: Cell<bool>,
}

impl std::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction").field("id", &self.id).field("closed", &self.is_closed()).finish()
    }
}

impl Transaction {
    pub(crate) fn new(client: Client, wait_until: Option<WaitUntil>, id: TxId) -> Transaction {
        Transaction { client, wait_until, id, ended: Cell::new(false) }
    }

    fn run<'a, T>(&self, future: impl std::future::Future<Output = T> + 'a) -> InRequest<'a, T> {
        InRequest::new(self.wait_until.clone(), future)
    }

    /// Runs one statement in the transaction.
    pub async fn execute(&self, sql: &str, params: impl IntoParams) -> Result<ResultSet> {
        self.execute_statement(&statement(sql, params)).await
    }

    /// Runs one prepared [`Statement`] in the transaction.
    pub async fn execute_statement(&self, stmt: &Statement) -> Result<ResultSet> {
        let inner = &self.client.inner;
        self.run(inner.core.tx_execute(&inner.transport, self.id, stmt)).await
    }

    /// Runs statements in order; stops at the first failure (`Error::Batch` with its index).
    pub async fn batch(&self, stmts: &[Statement]) -> Result<Vec<ResultSet>> {
        let inner = &self.client.inner;
        self.run(inner.core.tx_batch(&inner.transport, self.id, stmts)).await
    }

    /// Runs a script of statements in the transaction (no results).
    pub async fn execute_multiple(&self, sql: &str) -> Result<()> {
        let inner = &self.client.inner;
        self.run(inner.core.tx_execute_multiple(&inner.transport, self.id, sql)).await
    }

    /// Commits.
    pub async fn commit(self) -> Result<()> {
        self.ended.set(true);
        let inner = &self.client.inner;
        self.run(inner.core.tx_commit(&inner.transport, self.id)).await
    }

    /// Rolls back.
    pub async fn rollback(self) -> Result<()> {
        self.ended.set(true);
        let inner = &self.client.inner;
        self.run(inner.core.tx_rollback(&inner.transport, self.id)).await
    }

    /// Whether the transaction is no longer open (it failed, or the client closed).
    pub fn is_closed(&self) -> bool {
        self.ended.get() || self.client.inner.core.transaction_closed(self.id)
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if self.ended.get() {
            return;
        }
        let (client, id) = (self.client.clone(), self.id);
        context::spawn_in(self.wait_until.clone(), async move {
            client.inner.core.tx_close(&client.inner.transport, id).await;
        });
    }
}
