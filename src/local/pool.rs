//! The connections of one `LocalClient`, as `@libsql/client`'s local connection pool keeps them:
//! idle ones, ones held by open transactions, and a limit. A connection never goes back to the
//! idle list inside a transaction: `release` rolls back first. Calls are synchronous, so a call
//! outside a transaction only finds the pool at its limit when transactions hold every connection.

use std::collections::BTreeMap;

use rusqlite::Connection;

use super::database::Database;
use crate::client::TxId;
use crate::error::{Error, Result};

/// A client's connections.
#[derive(Debug)]
pub struct Pool {
    database: Database,
    max: usize,
    idle: Vec<Connection>,
    held: BTreeMap<TxId, Connection>,
    next_tx: TxId,
    closed: bool,
}

fn client_closed() -> Error {
    Error::Closed { code: "CLIENT_CLOSED", message: "The client is closed".into() }
}

impl Pool {
    /// An empty pool of at most `max` connections to `database`.
    pub fn new(database: Database, max: usize) -> Pool {
        Pool { database, max, idle: Vec::new(), held: BTreeMap::new(), next_tx: 0, closed: false }
    }

    /// Borrows a connection: an idle one, else a new one below the limit.
    pub fn acquire(&mut self) -> Result<Connection> {
        if self.closed {
            return Err(client_closed());
        }
        if let Some(conn) = self.idle.pop() {
            return Ok(conn);
        }
        if self.held.len() >= self.max {
            let message = if self.max == 1 {
                "This client has a single connection, which an open transaction is holding. \
                 In-memory databases and embedded replicas cannot have more than one. \
                 Commit or roll back the transaction before using the client again."
                    .to_string()
            } else {
                format!(
                    "All {} of this client's connections are held by open transactions. \
                     Commit or roll back one before using the client again, or raise `concurrency`.",
                    self.max
                )
            };
            return Err(Error::Closed { code: "TRANSACTION_ACTIVE", message });
        }
        self.database.connect()
    }

    /// Gives a borrowed connection back, rolling back a transaction it left open (a connection
    /// that cannot roll back is dropped). A closed pool drops it.
    pub fn release(&mut self, conn: Connection) {
        if !conn.is_autocommit() && conn.execute_batch("ROLLBACK").is_err() {
            return;
        }
        if !self.closed {
            self.idle.push(conn);
        }
    }

    /// Hands a borrowed connection to a new transaction.
    pub fn hold(&mut self, conn: Connection) -> TxId {
        self.next_tx = self.next_tx.wrapping_add(1);
        self.held.insert(self.next_tx, conn);
        self.next_tx
    }

    /// Transaction `id`'s connection while the transaction holds it.
    pub fn held(&self, id: TxId) -> Option<&Connection> {
        self.held.get(&id)
    }

    /// Ends transaction `id`: its connection goes back (rolled back if still in a transaction).
    pub fn settle(&mut self, id: TxId) {
        if let Some(conn) = self.held.remove(&id) {
            self.release(conn);
        }
    }

    /// Closes every connection; transactions find theirs gone.
    pub fn close(&mut self) {
        self.closed = true;
        self.idle.clear();
        self.held.clear();
    }

    /// Closes every connection and opens the pool again.
    pub fn reopen(&mut self) {
        self.close();
        self.closed = false;
    }

    /// Whether `close` was called (and no `reopen` since).
    pub fn is_closed(&self) -> bool {
        self.closed
    }
}
