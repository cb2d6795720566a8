//! The synchronous fast path of `execute`: a read the replica can answer now, without I/O, runs
//! here and returns its result; anything else returns `None` and takes `Client::execute_with`,
//! which decides again from the start. The decision stays the engine's (`Engine::try_local`, the
//! I/O-free part of `prepare_read`); the read is counted and timed as on the async path.

use super::{Client, ResultSet, Statement};
use crate::error::{Error, Result};
use crate::replica::{Params, Replica};
use crate::sync::engine::{Consistency, Served};
use crate::transport::Transport;

/// Runs `stmt` on the replica; `None` when the primary must answer it (it is not a read the
/// replica can run, or its arguments do not fit: the primary words that error, as
/// `@libsql/client` reports it).
pub(super) fn execute_on_replica(replica: &mut Replica, stmt: &Statement) -> Option<Result<ResultSet>> {
    if !replica.is_local_read(&stmt.sql) {
        return None;
    }
    let params = Params { positional: &stmt.args, named: &stmt.named_args };
    match replica.query_with(&stmt.sql, params) {
        Err(Error::Sqlite(rusqlite::Error::InvalidParameterCount(..) | rusqlite::Error::InvalidParameterName(_))) => {
            None
        }
        result => Some(result.map(ResultSet::from)),
    }
}

impl Client {
    /// `execute_with` when the replica can answer now: `Some(result)` (with its bookmark), or
    /// `None` when the call needs the async path (a write, a cold or stale replica, a pull, a
    /// pinned snapshot, an argument error). `None` leaves nothing behind but a background sync the
    /// decision started, which the async path then joins.
    pub fn try_execute_local(
        &self,
        transport: &dyn Transport,
        stmt: &Statement,
        consistency: &Consistency,
    ) -> Option<Result<ResultSet>> {
        if let Err(e) = self.check_open() {
            return Some(Err(e));
        }
        let engine = self.engine.as_ref()?;
        let started = transport.now_ms();
        {
            let replica = engine.replica().borrow();
            // Not bootstrapped, not a local read, or a snapshot pinned by another caller's read
            // transaction with newer pages waiting: the async path routes it.
            if replica.position().is_none()
                || !replica.is_local_read(&stmt.sql)
                || (replica.in_read_transaction() && replica.queued_applies() > 0)
            {
                return None;
            }
        }
        let asked = self.with_own_write(consistency);
        if !engine.try_local(started, &asked) {
            return None;
        }
        let result = execute_on_replica(&mut engine.replica().borrow_mut(), stmt)?;
        engine.note_read(Served::Local);
        Some(self.finish_local(result, consistency, started, transport))
    }
}
