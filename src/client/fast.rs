//! The synchronous fast path of `execute`: a read the replica can answer now, without I/O, runs
//! here and its rows go straight into the caller's sink; anything else returns `None` and takes
//! `Client::execute_with`, which decides again from the start. The decision stays the engine's
//! (`Engine::try_local`, the I/O-free part of `prepare_read`); the read is counted, timed and
//! bookmarked as on the async path.

use super::stats::Via;
use super::{Client, ResultSet, Statement};
use crate::error::{Error, Result};
use crate::replica::{Params, Replica, RowSink, Rows};
use crate::sync::engine::Consistency;
use crate::transport::Transport;

/// A local read's outcome, or `None` when the primary must answer instead: arguments that do not
/// fit the statement are worded by the primary (`ARGS_INVALID` on sqld), as `@libsql/client`
/// reports them.
fn answered<T>(result: Result<T>) -> Option<Result<T>> {
    match result {
        Err(Error::Sqlite(rusqlite::Error::InvalidParameterCount(..) | rusqlite::Error::InvalidParameterName(_))) => {
            None
        }
        result => Some(result),
    }
}

/// Runs `stmt` on the replica into `sink`; `None` when the primary must answer it (it is not a
/// read the replica can run, or its arguments do not fit).
fn read_on_replica(replica: &mut Replica, stmt: &Statement, sink: &mut dyn RowSink) -> Option<Result<()>> {
    let params = Params { positional: &stmt.args, named: &stmt.named_args };
    answered(replica.read_into(&stmt.sql, params, sink)?)
}

/// Runs `stmt` on the replica; `None` when the primary must answer it.
pub(super) fn execute_on_replica(replica: &mut Replica, stmt: &Statement) -> Option<Result<ResultSet>> {
    let mut rows = Rows::default();
    Some(read_on_replica(replica, stmt, &mut rows)?.map(|()| ResultSet::from(rows)))
}

impl Client {
    /// `execute_with` when the replica can answer now: `Some(Ok(bookmark))` once the rows went into
    /// `sink` (rows affected 0, no insert rowid, as for any local read), `Some(Err)` for the read's
    /// error, or `None` when the call needs the async path (a write, a cold or stale replica, a
    /// pull, a pinned snapshot, an argument error, pages a partial replica must fetch); then
    /// nothing was counted or started, and
    /// whatever `sink` received is to be dropped.
    pub fn try_execute_local(
        &self,
        transport: &dyn Transport,
        stmt: &Statement,
        consistency: &Consistency,
        sink: &mut dyn RowSink,
    ) -> Option<Result<Option<String>>> {
        if let Err(e) = self.check_open() {
            return Some(Err(e));
        }
        let engine = self.engine.as_ref()?;
        let started = transport.now_ms();
        {
            // A read transaction of another caller pins an older snapshot while newer pages wait:
            // the async path sends the read to the primary.
            let replica = engine.replica().borrow();
            if replica.in_read_transaction() && replica.queued_applies() > 0 {
                return None;
            }
        }
        let allowed = engine.try_local(started, &self.with_own_write(consistency))?;
        let result = read_on_replica(&mut engine.replica().borrow_mut(), stmt, sink)?;
        // A partial replica lacks pages: the async path fetches them and runs the read again.
        if let Err(Error::PagesMissing { .. }) = result {
            return None;
        }
        engine.served_locally(allowed);
        if let Err(e) = result {
            return Some(Err(e));
        }
        let bookmark = self.local_bookmark(consistency);
        self.record(started, transport, Via::Replica);
        Some(Ok(bookmark))
    }
}
