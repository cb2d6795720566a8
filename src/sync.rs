//! The sync engine: pulls committed pages from a primary over one of three protocols and applies
//! them to a `Replica`, whole transactions only. Each protocol is a module behind `Protocol`; all
//! I/O goes through `Io` (one `Transport`, one deadline, the auth header, retries with backoff,
//! counters). Bodies are decoded as they arrive into a `PageBatch` limited by what the memory
//! budget leaves, so a pull never holds more than the budget allows. A failed pull leaves the
//! replica at its last good position; the next sync resumes.

mod batch;
pub mod bookmark;
pub mod detect;
pub mod engine;
mod grpc;
pub mod http_sync;
pub mod io;
pub mod pull_updates;
pub mod snapshot;
pub mod sqld;

use std::cell::RefCell;

use crate::error::{Error, Result};
use crate::protocol::Position;
use crate::replica::{ApplyOutcome, CommittedPages, Replica};

use crate::transport::BoxFuture;
pub(crate) use batch::PageBatch;

pub use io::{Io, SyncTarget};

/// The sync protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtocolKind {
    /// sqld's gRPC-Web `wal_log.ReplicationLog`.
    Sqld,
    /// Turso Cloud HTTP sync (`/info`, `/export`, `/sync`).
    HttpSync,
    /// Turso Sync `POST /pull-updates`.
    PullUpdates,
}

impl ProtocolKind {
    /// The name used in configuration (`syncProtocol`) and statistics.
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolKind::Sqld => "sqld",
            ProtocolKind::HttpSync => "http-sync",
            ProtocolKind::PullUpdates => "pull-updates",
        }
    }

    /// Parses a configuration name.
    pub fn parse(name: &str) -> Option<ProtocolKind> {
        [ProtocolKind::Sqld, ProtocolKind::HttpSync, ProtocolKind::PullUpdates].into_iter().find(|k| k.as_str() == name)
    }
}

/// What one pull brought.
#[derive(Debug)]
pub enum Pull {
    /// Whole committed transactions, merged; `frames` is how many frames or pages carried them.
    Pages {
        /// The pages to apply.
        committed: CommittedPages,
        /// Frames (sqld, HTTP sync) or pages (pull-updates) received for them.
        frames: u64,
        /// The pull stopped at the memory limit after these transactions: at least this many bytes
        /// would have been held with the next one. The sync installs them and then fails with
        /// `REPLICA_MEMORY_BUDGET`.
        over_limit: Option<u64>,
    },
    /// Nothing newer than the position the pull started from.
    UpToDate,
}

/// One sync protocol: turns "the replica stands at `position`" into the next `Pull`.
pub trait Protocol {
    /// Which protocol this is.
    fn kind(&self) -> ProtocolKind;

    /// Fetches what follows `position` (`None`: the replica is empty), holding at most `limit`
    /// page bytes while the body arrives. A position of another protocol or another history makes
    /// the protocol start over (a `replace` pull). Fails with `Error::MemoryBudget` when not even
    /// one transaction fits in `limit`. With `keep` (a partial replica whose pages the protocol
    /// can serve again at any position), pages it rejects, and pages over `limit`, are not held but
    /// listed in `CommittedPages::dropped`, and a start-over brings page 1 only.
    fn pull<'a>(
        &'a mut self,
        io: &'a Io<'a>,
        position: Option<&'a Position>,
        limit: u64,
        keep: Keep<'a>,
    ) -> BoxFuture<'a, Result<Pull>>;
}

/// Which pages a partial replica keeps from a pull (`None`: every page).
pub type Keep<'a> = Option<&'a dyn Fn(u32) -> bool>;

/// A decode error of a response body, named by the request it answers; other errors (a memory
/// limit a decode callback stopped at) pass through.
pub(crate) fn in_context(error: Error, context: &str) -> Error {
    match error {
        Error::Protocol(e) => Error::InvalidResponse { context: context.to_string(), message: e.to_string() },
        e => e,
    }
}

/// The error of a pull stopped by its limit: `needed` bytes for the pull alone, on top of what
/// the replica holds.
pub(crate) fn over_budget(needed: u64, limit: u64) -> Error {
    Error::MemoryBudget { needed, budget: limit }
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncStats {
    /// The protocol used.
    pub protocol: ProtocolKind,
    /// The replica's position afterwards (queued applies included).
    pub position: Option<Position>,
    /// Frames (or pull-updates pages) received and applied.
    pub frames_synced: u64,
    /// Pages written into the replica.
    pub pages_applied: u64,
    /// Response body bytes received.
    pub bytes_received: u64,
    /// HTTP requests made, retries included.
    pub round_trips: u32,
    /// Wall time in milliseconds.
    pub duration_ms: f64,
    /// When the primary answered that nothing newer exists, if the sync got that far (the moment
    /// the replica was confirmed up to date, in ms since the epoch).
    pub confirmed_at_ms: Option<f64>,
}

/// When a sync may stop before the primary has nothing more to give.
pub type StopWhen<'a> = &'a dyn Fn(&Position) -> bool;

/// Where a sync installs what it pulls. Reached through short borrows only, so other callers can
/// read the replica (or sync it themselves) while a pull is in flight.
pub trait Sink {
    /// The position pulls continue from (queued applies included).
    fn newest_position(&self) -> Option<Position>;
    /// Page bytes the replica holds (installed and queued).
    fn held_bytes(&self) -> u64;
    /// The memory budget of the replica.
    fn budget(&self) -> u64;
    /// Installs whole transactions; returns what happened.
    fn install(&self, committed: CommittedPages) -> Result<ApplyOutcome>;
    /// For a partial replica fed by a protocol that can serve any page again: whether to keep page
    /// `pgno` from a pull (`None`: keep every page).
    fn keeps(&self, _pgno: u32) -> Option<bool> {
        None
    }
    /// Evicts pages a partial replica may give up until `bytes` more fit; whether they do.
    fn make_room(&self, _bytes: u64) -> bool {
        false
    }
}

impl<R: std::borrow::BorrowMut<Replica>> Sink for RefCell<R> {
    fn newest_position(&self) -> Option<Position> {
        self.borrow().borrow().newest_position()
    }

    fn held_bytes(&self) -> u64 {
        self.borrow().borrow().memory_bytes()
    }

    fn budget(&self) -> u64 {
        self.borrow().borrow().memory_budget()
    }

    fn install(&self, committed: CommittedPages) -> Result<ApplyOutcome> {
        let mut cell = self.borrow_mut();
        let replica: &mut Replica = cell.borrow_mut();
        replica.apply(committed)
    }

    fn keeps(&self, pgno: u32) -> Option<bool> {
        let cell = self.borrow();
        let replica: &Replica = cell.borrow();
        replica.keeps_pulled(pgno)
    }

    fn make_room(&self, bytes: u64) -> bool {
        self.borrow().borrow().make_room(bytes)
    }
}

/// Pulls and applies until the protocol reports the replica up to date, or `stop_when` says the
/// position reached is enough, or a read transaction forces applies to queue (one pull is then
/// queued and the sync ends, so memory stays bounded).
pub async fn sync(
    replica: &mut Replica,
    protocol: &mut dyn Protocol,
    io: &Io<'_>,
    stop_when: Option<StopWhen<'_>>,
) -> Result<SyncStats> {
    sync_into(&RefCell::new(replica), protocol, io, stop_when).await
}

/// A pull's `MemoryBudget` error counts the pull alone: add what the replica holds.
fn with_held(error: Error, held: u64, budget: u64) -> Error {
    match error {
        Error::MemoryBudget { needed, .. } => Error::MemoryBudget { needed: held + needed, budget },
        e => e,
    }
}

/// How many pulls in a row may be discarded because another sync moved the replica meanwhile.
const MAX_STALE_PULLS: u32 = 4;
/// How many times one sync may evict a partial replica's pages to fit what it pulls.
const MAX_ROOM_MADE: u32 = 64;

/// `sync` into any `Sink`. A pull is installed only if the replica still stands where the pull
/// started; otherwise (another sync installed pages meanwhile) it is discarded and pulled again
/// from the new position, so pages never go backwards or skip.
pub async fn sync_into(
    sink: &dyn Sink,
    protocol: &mut dyn Protocol,
    io: &Io<'_>,
    stop_when: Option<StopWhen<'_>>,
) -> Result<SyncStats> {
    let started = io.now_ms();
    let mut frames_synced = 0;
    let mut pages_applied = 0;
    let mut stale = 0;
    let mut room_made = 0;
    let mut confirmed_at_ms = None;
    loop {
        let from = sink.newest_position();
        let held = sink.held_bytes();
        let limit = sink.budget().saturating_sub(held);
        let keeps = |pgno: u32| sink.keeps(pgno).unwrap_or(true);
        let keep: Keep<'_> = sink.keeps(1).is_some().then_some(&keeps);
        let pull = match protocol.pull(io, from.as_ref(), limit, keep).await {
            // A partial replica gives up pages it may lose, and pulls again.
            Err(Error::MemoryBudget { needed, .. }) if room_made < MAX_ROOM_MADE && sink.make_room(needed) => {
                room_made += 1;
                continue;
            }
            pull => pull.map_err(|e| with_held(e, held, sink.budget()))?,
        };
        let Pull::Pages { committed, frames, over_limit } = pull else {
            confirmed_at_ms = Some(io.now_ms());
            break;
        };
        if sink.newest_position() != from {
            stale += 1;
            if stale >= MAX_STALE_PULLS {
                break;
            }
            continue;
        }
        frames_synced += frames;
        pages_applied += committed.pages.len() as u64;
        let outcome = sink.install(committed)?;
        if let Some(needed) = over_limit {
            if room_made < MAX_ROOM_MADE && sink.make_room(needed) {
                room_made += 1;
                continue;
            }
            return Err(Error::MemoryBudget { needed: held + needed, budget: sink.budget() });
        }
        let reached = sink.newest_position();
        if outcome == ApplyOutcome::Queued || matches!((stop_when, &reached), (Some(stop), Some(p)) if stop(p)) {
            break;
        }
    }
    let counters = io.counters();
    Ok(SyncStats {
        protocol: protocol.kind(),
        position: sink.newest_position(),
        frames_synced,
        pages_applied,
        bytes_received: counters.bytes_received,
        round_trips: counters.round_trips,
        duration_ms: io.now_ms() - started,
        confirmed_at_ms,
    })
}
