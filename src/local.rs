//! `LocalClient`: a read-write SQLite database in the isolate's memory, for `url: ":memory:"` and
//! `file:` without `syncUrl`, behaving like `@libsql/client`'s local (sqlite3/libsql) client.
//!
//! Like that client it owns a small pool of connections: every call borrows one for its duration
//! and gives it back (rolling back whatever transaction the call left open); a transaction holds
//! one until it commits, rolls back or closes. A private `:memory:` database has exactly one
//! connection, so while a transaction holds it every other call fails with `TRANSACTION_ACTIVE`;
//! a named (`file:`) database opens up to `concurrency` connections, which see each other's
//! committed writes and get `SQLITE_BUSY` on a write lock another one holds. Every call runs to
//! completion synchronously, so calls never interleave inside SQLite.

mod database;
mod exec;
mod pool;

use std::cell::RefCell;

pub use database::{poison_registry_for_test, Database};

use crate::client::{ResultSet, Statement, TxId, TxMode};
use crate::error::{Error, Result};
use pool::Pool;

fn closed_tx() -> Error {
    Error::Closed { code: "TRANSACTION_CLOSED", message: "The transaction is closed".into() }
}

fn batch_error(statement_index: usize, e: Error) -> Error {
    match e {
        e @ Error::Batch { .. } => e,
        e => Error::Batch { statement_index, source: Box::new(e) },
    }
}

/// A local database client.
#[derive(Debug)]
pub struct LocalClient {
    pool: RefCell<Pool>,
}

impl LocalClient {
    /// Opens the database `url` names (`:memory:`, `file::memory:`, `file:PATH`) with at most
    /// `concurrency` connections (one for a private in-memory database). Fails at once when the
    /// database cannot be opened, as `@libsql/client` does.
    pub fn open(url: &str, concurrency: usize) -> Result<LocalClient> {
        let database = Database::from_url(url).ok_or_else(|| Error::Config {
            code: "URL_SCHEME_NOT_SUPPORTED",
            message: format!("{url:?} is not a local database URL (:memory: or file:)"),
        })?;
        let max = if database.shareable() { concurrency.max(1) } else { 1 };
        let mut pool = Pool::new(database, max);
        let conn = pool.acquire()?;
        let probe = exec::execute(&conn, &Statement::new("SELECT 1 AS checkThatTheDatabaseCanBeOpened"));
        pool.release(conn);
        probe?;
        Ok(LocalClient { pool: RefCell::new(pool) })
    }

    /// Runs `f` on a borrowed connection and gives it back.
    fn with_connection<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> Result<T>) -> Result<T> {
        let conn = self.pool.borrow_mut().acquire()?;
        let result = f(&conn);
        self.pool.borrow_mut().release(conn);
        result
    }

    /// `execute(stmt)`.
    pub fn execute(&self, stmt: &Statement) -> Result<ResultSet> {
        self.with_connection(|conn| exec::execute(conn, stmt))
    }

    /// Runs `stmts` between `BEGIN <mode>` and `COMMIT`; a failing statement rolls everything back
    /// and is reported with its index.
    pub fn batch(&self, stmts: &[Statement], mode: TxMode) -> Result<Vec<ResultSet>> {
        self.with_connection(|conn| {
            exec::execute(conn, &Statement::new(mode.begin_sql()))?;
            let results = run_in_transaction(conn, stmts)?;
            exec::execute(conn, &Statement::new("COMMIT"))?;
            Ok(results)
        })
    }

    /// Like a deferred batch, between `PRAGMA foreign_keys=off` and `=on`.
    pub fn migrate(&self, stmts: &[Statement]) -> Result<Vec<ResultSet>> {
        self.with_connection(|conn| {
            exec::execute(conn, &Statement::new("PRAGMA foreign_keys=off"))?;
            let result = (|| {
                exec::execute(conn, &Statement::new(TxMode::Deferred.begin_sql()))?;
                let results = run_in_transaction(conn, stmts)?;
                exec::execute(conn, &Statement::new("COMMIT"))?;
                Ok(results)
            })();
            if !conn.is_autocommit() {
                exec::execute(conn, &Statement::new("ROLLBACK"))?;
            }
            exec::execute(conn, &Statement::new("PRAGMA foreign_keys=on"))?;
            result
        })
    }

    /// Runs a script (no results); a transaction it leaves open is rolled back.
    pub fn execute_multiple(&self, sql: &str) -> Result<()> {
        self.with_connection(|conn| exec::execute_script(conn, sql))
    }

    /// Starts a transaction on a connection of its own.
    pub fn transaction(&self, mode: TxMode) -> Result<TxId> {
        let mut pool = self.pool.borrow_mut();
        let conn = pool.acquire()?;
        if let Err(e) = exec::execute(&conn, &Statement::new(mode.begin_sql())) {
            pool.release(conn);
            return Err(e);
        }
        Ok(pool.hold(conn))
    }

    /// Runs `f` on transaction `id`'s connection; `TRANSACTION_CLOSED` once the transaction ended
    /// (also when a statement such as `ROLLBACK` ended it inside).
    fn with_tx<T>(&self, id: TxId, f: impl FnOnce(&rusqlite::Connection) -> Result<T>) -> Result<T> {
        let pool = self.pool.borrow();
        match pool.held(id) {
            Some(conn) if !conn.is_autocommit() => f(conn),
            _ => Err(closed_tx()),
        }
    }

    /// `tx.execute(stmt)`.
    pub fn tx_execute(&self, id: TxId, stmt: &Statement) -> Result<ResultSet> {
        self.with_tx(id, |conn| exec::execute(conn, stmt))
    }

    /// `tx.batch(stmts)`: statement by statement; the first failure stops it, with its index.
    pub fn tx_batch(&self, id: TxId, stmts: &[Statement]) -> Result<Vec<ResultSet>> {
        let mut results = Vec::with_capacity(stmts.len());
        for (i, stmt) in stmts.iter().enumerate() {
            results.push(self.tx_execute(id, stmt).map_err(|e| batch_error(i, e))?);
        }
        Ok(results)
    }

    /// `tx.executeMultiple(sql)`.
    pub fn tx_execute_multiple(&self, id: TxId, sql: &str) -> Result<()> {
        self.with_tx(id, |conn| exec::execute_script(conn, sql))
    }

    /// `tx.commit()`: commits and ends the transaction (it ends even when the commit fails).
    pub fn tx_commit(&self, id: TxId) -> Result<()> {
        let result = self.with_tx(id, |conn| exec::execute(conn, &Statement::new("COMMIT")).map(|_| ()));
        self.pool.borrow_mut().settle(id);
        result
    }

    /// `tx.rollback()`: rolls back and ends the transaction; a no-op once it has ended.
    pub fn tx_rollback(&self, id: TxId) -> Result<()> {
        if self.pool.borrow().held(id).is_none() {
            return Ok(());
        }
        let result = self.with_tx(id, |conn| exec::execute(conn, &Statement::new("ROLLBACK")).map(|_| ()));
        self.pool.borrow_mut().settle(id);
        result
    }

    /// `tx.close()`: rolls back whatever is open and ends the transaction.
    pub fn tx_close(&self, id: TxId) {
        self.pool.borrow_mut().settle(id);
    }

    /// `tx.closed`: the transaction ended, or a statement inside it ended it.
    pub fn transaction_closed(&self, id: TxId) -> bool {
        self.pool.borrow().held(id).is_none_or(|conn| conn.is_autocommit())
    }

    /// `close()`: closes every connection; further calls fail with `CLIENT_CLOSED`.
    pub fn close(&self) {
        self.pool.borrow_mut().close();
    }

    /// `closed`.
    pub fn is_closed(&self) -> bool {
        self.pool.borrow().is_closed()
    }

    /// `reconnect()`: closes every connection and opens the client again (a private in-memory
    /// database starts empty, as with `@libsql/client`).
    pub fn reconnect(&self) {
        self.pool.borrow_mut().reopen();
    }
}

/// The statements of a batch inside an open transaction; a statement that finds the transaction
/// gone (an earlier one ended it) is `TRANSACTION_CLOSED` at its index.
fn run_in_transaction(conn: &rusqlite::Connection, stmts: &[Statement]) -> Result<Vec<ResultSet>> {
    let mut results = Vec::with_capacity(stmts.len());
    for (i, stmt) in stmts.iter().enumerate() {
        if conn.is_autocommit() {
            let message = "The transaction has been rolled back".to_string();
            return Err(batch_error(i, Error::Closed { code: "TRANSACTION_CLOSED", message }));
        }
        results.push(exec::execute(conn, stmt).map_err(|e| batch_error(i, e))?);
    }
    Ok(results)
}

#[cfg(test)]
mod tests;
