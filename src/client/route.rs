//! How `Client` routes a read: a statement the replica cannot run as a read (a write, or SQL it
//! cannot prepare) goes straight to the primary; any other read goes where the engine says, and
//! runs on the replica unless another caller's read transaction pins an older snapshot. Also what
//! a call leaves behind: the bookmark of what it saw, read-your-writes after a write, timing.

use super::stats::Via;
use super::{CallTiming, Client, ResultSet, Statement};
use crate::error::{Error, Result};
use crate::protocol::Position;
use crate::replica::{Params, Replica};
use crate::sync::bookmark::{Bookmark, Target};
use crate::sync::engine::{Consistency, Reason, Served};
use crate::transport::Transport;

/// How many times one statement may fetch missing pages and run again.
pub(super) const MAX_PAGE_ROUNDS: u32 = 64;

/// Where a read went.
pub(super) enum Routed<T> {
    /// The replica answered.
    Local(Result<T>),
    /// The primary must answer; `Some(reason)` for a read the replica did not serve, `None` for a
    /// statement that is not a read the replica can run.
    Remote(Option<Reason>),
}

/// A `read` batch on the replica inside one read transaction; `None` when the replica cannot run
/// it (a statement that is not a local read, or a read transaction already open).
pub(super) fn read_batch(replica: &mut Replica, stmts: &[Statement]) -> Option<Result<Vec<ResultSet>>> {
    if replica.in_read_transaction() || !stmts.iter().all(|s| replica.is_local_read(&s.sql)) {
        return None;
    }
    let run = |replica: &mut Replica| -> Result<Vec<ResultSet>> {
        replica.query("BEGIN", &[])?;
        let mut results = Vec::with_capacity(stmts.len());
        for (i, s) in stmts.iter().enumerate() {
            match replica.query_with(&s.sql, Params { positional: &s.args, named: &s.named_args }) {
                Ok(rows) => results.push(rows.into()),
                Err(e) => {
                    replica.query("ROLLBACK", &[])?;
                    // Missing pages are fetched and the whole batch runs again.
                    if let Error::PagesMissing { .. } = e {
                        return Err(e);
                    }
                    return Err(Error::Batch { statement_index: i, source: Box::new(e) });
                }
            }
        }
        replica.query("COMMIT", &[])?;
        Ok(results)
    };
    Some(run(replica))
}

impl Client {
    /// Routes a read: `local` runs it on the replica (returning `None` if the replica cannot run it
    /// after all). `is_read` says whether the statements are reads the replica can run; a replica
    /// that has bootstrapped is asked first, so writes never wait for pulls.
    pub(super) async fn route_read<T>(
        &self,
        transport: &dyn Transport,
        consistency: &Consistency,
        is_read: impl Fn(&Replica) -> bool,
        mut local: impl FnMut(&mut Replica) -> Option<Result<T>>,
    ) -> Result<Routed<T>> {
        let Some(engine) = &self.engine else { return Ok(Routed::Remote(None)) };
        if engine.position().is_some() {
            let replica = engine.replica().borrow();
            // A partial replica that lacks schema pages cannot tell yet: the local run finds out.
            if !is_read(&replica) && replica.take_misses().is_empty() {
                return Ok(Routed::Remote(None));
            }
        }
        let asked = self.with_own_write(consistency);
        let served = engine.prepare_read(transport, &asked).await?;
        let served = match served {
            Served::Local => match self.run_local(transport, &mut local).await {
                Ok(Some(result)) => {
                    engine.note_read(Served::Local);
                    return Ok(Routed::Local(result));
                }
                Ok(None) => return Ok(Routed::Remote(None)),
                Err(reason) => Served::Remote(reason),
            },
            remote => remote,
        };
        engine.note_read(served);
        Ok(match served {
            Served::Remote(reason) => Routed::Remote(Some(reason)),
            Served::Local => Routed::Remote(None),
        })
    }

    /// Runs `local` on the replica. A partial replica that lacks pages the statement reads fails
    /// it with `PagesMissing`: the engine fetches them (and their neighbourhood) at the replica's
    /// position and the statement runs again, up to `MAX_PAGE_ROUNDS` times. `Err(reason)` sends
    /// the read to the primary: a page source that failed, a working set that does not fit, or
    /// (for a full replica) another caller's read transaction pinning an older snapshot.
    pub(super) async fn run_local<T>(
        &self,
        transport: &dyn Transport,
        local: &mut impl FnMut(&mut Replica) -> Option<Result<T>>,
    ) -> std::result::Result<Option<Result<T>>, Reason> {
        let Some(engine) = &self.engine else { return Ok(None) };
        for round in 0..MAX_PAGE_ROUNDS {
            let missing = {
                let mut replica = engine.replica().borrow_mut();
                // A read transaction of another caller pins the replica's snapshot; if newer pages
                // wait behind it (e.g. this caller's own write), this read goes to the primary.
                if replica.in_read_transaction() && replica.queued_applies() > 0 {
                    return Err(Reason::Pinned);
                }
                match local(&mut replica) {
                    Some(Err(Error::PagesMissing { pages })) => pages,
                    None => match replica.take_misses() {
                        pages if !pages.is_empty() => pages,
                        _ => return Ok(None),
                    },
                    done => return Ok(done),
                }
            };
            match engine.fetch_pages(transport, &missing, round).await {
                Ok(_) => {}
                Err(Error::MemoryBudget { .. }) => return Err(Reason::WorkingSet),
                Err(_) => return Err(Reason::PageSource),
            }
        }
        Err(Reason::WorkingSet)
    }

    /// `consistency` plus this client's own last write, which its reads must see
    /// (read-your-writes) until the replica covers it.
    pub(super) fn with_own_write(&self, consistency: &Consistency) -> Consistency {
        let Some(engine) = &self.engine else { return consistency.clone() };
        let mut own = self.own_write.borrow_mut();
        let pending = own.take().filter(|(b, at)| {
            let covered = match engine.position().and_then(|p| b.covered_by(&p)) {
                Some(covered) => covered,
                // Not comparable (a head bookmark, a sqld index on another protocol): confirmed up
                // to date after the write was acknowledged means the replica has it.
                None => engine.confirmed_at().is_some_and(|c| c >= *at),
            };
            !covered
        });
        *own = pending.clone();
        let mut asked = consistency.clone();
        if let Some((b, _)) = pending {
            asked.bookmark = Some(match asked.bookmark.take() {
                Some(a) => a.newest(b),
                None => b,
            });
        }
        asked
    }

    /// Whether `sql` may write: SQLite's answer when the replica can prepare it, else a scan of
    /// its keywords (the replica may not have the table yet).
    pub(super) fn may_write(&self, sql: &str) -> bool {
        match self.engine.as_ref().and_then(|e| e.replica().borrow().prepared_readonly(sql)) {
            Some(readonly) => !readonly,
            None => super::classify::may_write(sql),
        }
    }

    /// The bookmark of a local read: the replica's position, merged with what was asked.
    pub(super) fn local_bookmark(&self, consistency: &Consistency) -> Option<String> {
        let position = self.position()?;
        let seen = Bookmark { database: self.database, target: Target::At(position) };
        self.see(&seen);
        let bookmark = match consistency.bookmark.clone() {
            Some(asked) => asked.newest(seen),
            None => seen,
        };
        let mut encoded = self.encoded.borrow_mut();
        match &*encoded {
            Some((b, text)) if *b == bookmark => Some(text.clone()),
            _ => {
                let text = bookmark.encode();
                *encoded = Some((bookmark, text.clone()));
                Some(text)
            }
        }
    }

    /// A local result, with its bookmark and timing.
    pub(super) fn finish_local(
        &self,
        result: Result<ResultSet>,
        consistency: &Consistency,
        started: f64,
        transport: &dyn Transport,
    ) -> Result<ResultSet> {
        let mut result = result?;
        result.bookmark = self.local_bookmark(consistency);
        self.record(started, transport, Via::Replica);
        Ok(result)
    }

    /// After a statement ran on the primary: for a write, read-your-writes (the replica catches up
    /// at once when it has bootstrapped; otherwise this client's later reads ask for the write);
    /// returns the bookmark of what the call saw, merged with what was asked.
    pub(super) async fn after_remote(
        &self,
        transport: &dyn Transport,
        replication_index: Option<u64>,
        wrote: bool,
        consistency: &Consistency,
    ) -> String {
        let acknowledged = transport.now_ms();
        let mut caught_up = false;
        if let (true, Some(engine)) = (wrote, &self.engine) {
            if engine.position().is_some() && self.settings.read_your_writes {
                caught_up = engine.after_write(transport, replication_index).await;
            }
        }
        let log_id = match self.position() {
            Some(Position::Sqld { log_id, .. }) => Some(log_id),
            _ => None,
        };
        let target = match (caught_up, self.position(), replication_index, log_id) {
            (true, Some(p), _, _) => Target::At(p),
            (_, _, Some(i), Some(log_id)) => {
                Target::At(Position::Sqld { log_id, frame_no: crate::protocol::FrameNo(i) })
            }
            (_, _, Some(i), None) => Target::SqldIndex(i),
            _ => Target::Head,
        };
        let seen = Bookmark { database: self.database, target };
        if wrote && !caught_up && self.engine.is_some() && self.settings.read_your_writes {
            let mut own = self.own_write.borrow_mut();
            *own = Some(match own.take() {
                Some((b, _)) => (b.newest(seen.clone()), acknowledged),
                None => (seen.clone(), acknowledged),
            });
        }
        self.see(&seen);
        match consistency.bookmark.clone() {
            Some(asked) => asked.newest(seen),
            None => seen,
        }
        .encode()
    }

    /// Records the timing of the call that started at `started`.
    pub(super) fn record(&self, started: f64, transport: &dyn Transport, via: Via) {
        let now = transport.now_ms();
        let lag_ms = self.engine.as_ref().and_then(|e| e.confirmed_at()).map(|c| (now - c).max(0.0));
        self.last_call.set(Some(CallTiming { via, duration_ms: now - started, lag_ms }));
    }
}
