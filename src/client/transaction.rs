//! Interactive transactions: a `read` transaction runs on the replica on a stable snapshot (applies
//! wait until it ends); `write` and `deferred` ones run on the primary on one Hrana stream, with the
//! `BEGIN` sent lazily together with the first statement, as `@libsql/client` does.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use super::route::Routed;
use super::{Client, ResultSet, Statement, TxMode};
use crate::error::{Error, Result};
use crate::protocol::hrana::StreamRequest;
use crate::remote::{response_of, stmt_result, Stream};
use crate::replica::{Params, Replica};
use crate::sync::engine::Consistency;
use crate::transport::Transport;

/// Identifies an open transaction of a client.
pub type TxId = u32;

enum Tx {
    /// A read transaction on the replica's connection.
    Local,
    /// A transaction on the primary.
    Remote { stream: Stream, mode: TxMode, begun: bool },
}

/// The open transactions of a client.
#[derive(Default)]
pub struct Transactions {
    next: Cell<TxId>,
    open: RefCell<BTreeMap<TxId, Tx>>,
}

impl Transactions {
    fn add(&self, tx: Tx) -> TxId {
        let id = self.next.get().wrapping_add(1);
        self.next.set(id);
        self.open.borrow_mut().insert(id, tx);
        id
    }

    /// Takes a transaction out while a call uses it; a concurrent call on the same one fails.
    fn take(&self, id: TxId) -> Result<Tx> {
        self.open.borrow_mut().remove(&id).ok_or_else(closed)
    }

    fn put_back(&self, id: TxId, tx: Tx) {
        self.open.borrow_mut().insert(id, tx);
    }

    /// Forgets every transaction (client closed).
    pub fn clear(&self) {
        self.open.borrow_mut().clear();
    }
}

fn readonly_error() -> Error {
    Error::Server { code: "SQLITE_READONLY".into(), message: "attempt to write in a read transaction".into() }
}

fn closed() -> Error {
    Error::Closed {
        code: "TRANSACTION_CLOSED",
        message: "The transaction is closed (or another call is using it)".into(),
    }
}

impl Client {
    /// Starts a transaction. Nothing is sent yet for a remote one.
    pub async fn transaction(&self, transport: &dyn Transport, mode: TxMode) -> Result<TxId> {
        self.transaction_with(transport, mode, &self.default_consistency()).await
    }

    /// `transaction` asking for `consistency`: a read transaction starts on the replica once it
    /// satisfies it (or runs on the primary).
    pub async fn transaction_with(
        &self,
        transport: &dyn Transport,
        mode: TxMode,
        consistency: &Consistency,
    ) -> Result<TxId> {
        let transport = &self.deadline(transport);
        self.check_open()?;
        if mode == TxMode::Read {
            let begin = |replica: &mut Replica| -> Option<Result<()>> {
                if replica.in_read_transaction() {
                    return None;
                }
                // Take the snapshot now: the first read pins what every later read sees.
                let begun =
                    replica.query("BEGIN", &[]).and_then(|_| replica.query("SELECT 1 FROM sqlite_schema LIMIT 1", &[]));
                if begun.is_err() && replica.in_read_transaction() {
                    let _ = replica.query("ROLLBACK", &[]);
                }
                Some(begun.map(|_| ()))
            };
            let routed = self.route_read(transport, consistency, |_| true, begin).await;
            // A remote transaction starts its stream later: nothing to wait for here.
            self.hand_over_deferred();
            if let Routed::Local(begun) = routed? {
                begun?;
                return Ok(self.transactions.add(Tx::Local));
            }
        }
        Ok(self.transactions.add(Tx::Remote { stream: Stream::default(), mode, begun: false }))
    }

    /// Whether transaction `id` is no longer open.
    pub fn transaction_closed(&self, id: TxId) -> bool {
        !self.transactions.open.borrow().contains_key(&id)
    }

    /// Runs one statement in transaction `id`.
    pub async fn tx_execute(&self, transport: &dyn Transport, id: TxId, stmt: &Statement) -> Result<ResultSet> {
        let transport = &self.deadline(transport);
        self.check_open()?;
        let tx = self.transactions.take(id)?;
        let (tx, result) = self.tx_run(transport, tx, stmt).await;
        self.transactions.put_back(id, tx);
        result
    }

    async fn tx_run(&self, transport: &dyn Transport, tx: Tx, stmt: &Statement) -> (Tx, Result<ResultSet>) {
        match tx {
            Tx::Local => {
                let result = self.in_local_tx(transport, |replica| local_tx_query(replica, stmt)).await;
                (Tx::Local, result)
            }
            Tx::Remote { mut stream, mode, begun } => {
                let mut requests = Vec::new();
                if !begun {
                    requests.push(StreamRequest::Execute { stmt: Statement::new(mode.begin_sql()).to_hrana() });
                }
                requests.push(StreamRequest::Execute { stmt: stmt.to_hrana() });
                let result = self.remote.pipeline(transport, &mut stream, requests).await;
                let result = result.and_then(|mut results| {
                    let last = results.pop().ok_or_else(closed)?;
                    if let Some(first) = results.pop() {
                        response_of(first)?;
                    }
                    stmt_result(response_of(last)?).map(ResultSet::from)
                });
                // After a failed BEGIN nothing is open on the server; otherwise the BEGIN went through.
                let begun = begun || result.is_ok() || stream.is_open();
                (Tx::Remote { stream, mode, begun }, result)
            }
        }
    }

    /// Runs `run` in the local read transaction. Pages a partial replica lacks are fetched at the
    /// transaction's position (applies wait behind it) and the statement runs again; a source that
    /// cannot give them fails the statement (the primary cannot answer at that position).
    async fn in_local_tx<T>(
        &self,
        transport: &dyn Transport,
        mut run: impl FnMut(&mut Replica) -> Result<T>,
    ) -> Result<T> {
        let engine = self.engine.as_ref().ok_or_else(closed)?;
        let mut round = 0;
        loop {
            let result = run(&mut engine.replica().borrow_mut());
            match result {
                Err(Error::PagesMissing { pages }) if round < super::route::MAX_PAGE_ROUNDS => {
                    engine.fetch_pages(transport, &pages, round).await?;
                    round += 1;
                }
                result => return result,
            }
        }
    }

    /// Runs statements in order in transaction `id`; stops at the first failure.
    pub async fn tx_batch(&self, transport: &dyn Transport, id: TxId, stmts: &[Statement]) -> Result<Vec<ResultSet>> {
        let transport = &self.deadline(transport);
        let mut results = Vec::with_capacity(stmts.len());
        for (i, stmt) in stmts.iter().enumerate() {
            match self.tx_execute(transport, id, stmt).await {
                Ok(r) => results.push(r),
                Err(e) => return Err(Error::Batch { statement_index: i, source: Box::new(e) }),
            }
        }
        Ok(results)
    }

    /// Runs a script of statements in transaction `id` (no results): as one Hrana `sequence` on the
    /// primary's stream, or statement by statement on the replica for a read transaction.
    pub async fn tx_execute_multiple(&self, transport: &dyn Transport, id: TxId, sql: &str) -> Result<()> {
        let transport = &self.deadline(transport);
        self.check_open()?;
        match self.transactions.take(id)? {
            Tx::Local => {
                let result =
                    self.in_local_tx(transport, |replica| replica.query_script(sql)).await.map_err(|e| match e {
                        Error::WriteRefused => readonly_error(),
                        e => e,
                    });
                self.transactions.put_back(id, Tx::Local);
                result
            }
            Tx::Remote { mut stream, mode, begun } => {
                let mut requests = Vec::new();
                if !begun {
                    requests.push(StreamRequest::Execute { stmt: Statement::new(mode.begin_sql()).to_hrana() });
                }
                requests.push(StreamRequest::Sequence {
                    sql: Some(sql.to_string()),
                    sql_id: None,
                    replication_index: None,
                });
                let result = self.remote.pipeline(transport, &mut stream, requests).await;
                let result =
                    result.and_then(|results| results.into_iter().try_for_each(|r| response_of(r).map(|_| ())));
                let begun = begun || result.is_ok() || stream.is_open();
                self.transactions.put_back(id, Tx::Remote { stream, mode, begun });
                result
            }
        }
    }

    /// Commits transaction `id` and ends it.
    pub async fn tx_commit(&self, transport: &dyn Transport, id: TxId) -> Result<()> {
        let transport = &self.deadline(transport);
        self.tx_finish(transport, id, "COMMIT").await
    }

    /// Rolls transaction `id` back and ends it.
    pub async fn tx_rollback(&self, transport: &dyn Transport, id: TxId) -> Result<()> {
        let transport = &self.deadline(transport);
        self.tx_finish(transport, id, "ROLLBACK").await
    }

    async fn tx_finish(&self, transport: &dyn Transport, id: TxId, sql: &str) -> Result<()> {
        self.check_open()?;
        match self.transactions.take(id)? {
            Tx::Local => {
                let engine = self.engine.as_ref().ok_or_else(closed)?;
                engine.replica().borrow_mut().query(sql, &[])?;
                Ok(())
            }
            Tx::Remote { mut stream, begun, .. } => {
                if !begun {
                    self.remote.close(transport, &mut stream).await;
                    return Ok(());
                }
                let requests =
                    vec![StreamRequest::Execute { stmt: Statement::new(sql).to_hrana() }, StreamRequest::Close];
                let mut results = self.remote.pipeline(transport, &mut stream, requests).await?;
                let result = stmt_result(response_of(results.swap_remove(0))?)?;
                if sql == "COMMIT" {
                    self.after_remote(transport, result.replication_index, true, &self.default_consistency()).await;
                }
                Ok(())
            }
        }
    }

    /// Ends transaction `id`, rolling back whatever it did (a no-op when it already ended).
    pub async fn tx_close(&self, transport: &dyn Transport, id: TxId) {
        let transport = &self.deadline(transport);
        if !self.transaction_closed(id) {
            let _ = self.tx_rollback(transport, id).await;
        }
    }
}

/// One statement in a local read transaction: a write is refused before it runs; SQL that does not
/// prepare reports its own error.
fn local_tx_query(replica: &mut Replica, stmt: &Statement) -> Result<ResultSet> {
    let params = Params { positional: &stmt.args, named: &stmt.named_args };
    match replica.query_with(&stmt.sql, params) {
        Err(Error::WriteRefused) => Err(readonly_error()),
        result => Ok(result?.into()),
    }
}
