//! Where a read is served: the engine asks the policy, starts the background work it names, and
//! runs the inline part (the first bootstrap, or a wait for another call's; a pull up to the head
//! or to a bookmark) before answering `Local` or `Remote(reason)`.

use super::policy::{Consistency, Decision, Route, Task, Until, View};
use super::{Engine, Reason};
use crate::error::{Error, Result};
use crate::protocol::Position;
use crate::sync::bookmark::Target;
use crate::transport::Transport;

/// Where a read was served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// By the replica.
    Local,
    /// By the primary, for this reason.
    Remote(Reason),
}

/// A read `Engine::try_local` lets the replica serve now, to hand back to `Engine::served_locally`.
#[derive(Debug)]
#[must_use]
pub struct LocalRead {
    /// Background work the decision starts.
    start: Option<Task>,
    /// When it was decided.
    now: f64,
}

impl Engine {
    /// Decides where a read asking for `consistency` is served, and does what that needs first:
    /// the first bootstrap (or a wait for another call's), a pull to the head or to a bookmark.
    /// Starts background work (one in flight per replica). A bookmark the primary's history cannot
    /// contain (another `log_id`, a later generation than the primary's) is `BOOKMARK_INVALID`.
    /// A cold read answered by the primary holds its bootstrap back until the caller hands it
    /// over (`hand_over_deferred`, after the remote statement); anything an earlier call deferred
    /// is handed over first.
    pub async fn prepare_read(&self, transport: &dyn Transport, consistency: &Consistency) -> Result<Served> {
        self.hand_over_deferred();
        let now = transport.now_ms();
        let decision = self.decide(now, consistency);
        if let Some(task) = decision.start {
            let defer = decision.route == Route::Remote(Reason::Cold) && task == Task::Bootstrap;
            self.start(task, now, defer);
        }
        match decision.route {
            Route::Local => Ok(Served::Local),
            Route::Remote(reason) => Ok(Served::Remote(reason)),
            Route::Bootstrap | Route::WaitForBootstrap => match self.bootstrap_or_wait(transport).await {
                Ok(_) => Ok(Served::Local),
                Err(Error::MemoryBudget { .. }) => Ok(Served::Remote(Reason::OverBudget)),
                Err(e) => Err(e),
            },
            Route::PullFirst(until, reason) => self.pull_first(transport, until, reason).await,
        }
    }

    /// `prepare_read` without I/O, for the synchronous fast path: `Some` when the policy serves the
    /// read from the replica as it is now. Nothing happens until the caller ran the read and hands
    /// the answer to `served_locally` (which starts the background work the decision names, as
    /// `prepare_read` would, and counts the read); on `None`, or if the caller gives up, only
    /// `prepare_read` can answer, and it decides again.
    pub fn try_local(&self, now: f64, consistency: &Consistency) -> Option<LocalRead> {
        let decision = self.decide(now, consistency);
        (decision.route == Route::Local).then_some(LocalRead { start: decision.start, now })
    }

    /// A read `try_local` allowed has run on the replica.
    pub fn served_locally(&self, read: LocalRead) {
        if let Some(task) = read.start {
            self.start(task, read.now, false);
        }
        self.note_read(Served::Local);
    }

    /// The policy's decision for a read asking for `consistency` at `now`.
    fn decide(&self, now: f64, consistency: &Consistency) -> Decision {
        let position = self.position();
        // A bookmark the replica already covers asks for nothing more.
        let covered = match (&consistency.bookmark, &position) {
            (Some(b), Some(p)) => b.covered_by(p) == Some(true),
            _ => false,
        };
        let without_bookmark;
        let consistency = if covered {
            without_bookmark = Consistency { bookmark: None, ..consistency.clone() };
            &without_bookmark
        } else {
            consistency
        };
        let clocks = self.clocks.get();
        let view = View {
            bootstrapped: position.is_some(),
            confirmed_at: clocks.confirmed_at,
            last_attempt: clocks.last_attempt,
            remote_reads: self.remote_reads.get(),
            flight: self.flight(now),
            interval_ms: self.settings.interval_ms,
            cold_start: self.settings.cold_start,
            consistency,
        };
        view.decide(now)
    }

    /// Pulls inline before a local read: to the head, or until a bookmark is covered. A failed pull
    /// sends the read to the primary (which has everything).
    async fn pull_first(&self, transport: &dyn Transport, until: Until, reason: Reason) -> Result<Served> {
        let result = match &until {
            Until::Head => self.pull(transport, None).await,
            Until::Bookmark(b) => {
                let stop = |p: &Position| b.covered_by(p) == Some(true);
                self.pull(transport, Some(&stop)).await
            }
        };
        let stats = match result {
            Ok(stats) => stats,
            Err(Error::MemoryBudget { .. }) => return Ok(Served::Remote(Reason::OverBudget)),
            Err(_) => return Ok(Served::Remote(reason)),
        };
        let Until::Bookmark(bookmark) = until else { return Ok(Served::Local) };
        let newest = self.replica.borrow().newest_position();
        let reached_head = stats.confirmed_at_ms.is_some();
        match (newest.and_then(|p| bookmark.covered_by(&p)), &bookmark.target) {
            (Some(true), _) => Ok(Served::Local),
            // Positions this replica cannot compare with (a head bookmark, a sqld index on another
            // protocol): reaching the primary's head satisfies them.
            (None, Target::Head | Target::SqldIndex(_)) if reached_head => Ok(Served::Local),
            // At the primary's head and still not covered: the bookmark names another history.
            _ if reached_head => Err(Error::BookmarkInvalid {
                message: "the primary's history does not contain the bookmark's position".into(),
            }),
            // Stopped before the head without reaching it (another caller moved the replica).
            _ => Ok(Served::Remote(Reason::Bookmark)),
        }
    }
}
