//! The sync policy as a pure function: given what the replica holds, when it was last confirmed up
//! to date, what is in flight and what the caller asked for, where a read is served and what sync
//! work it starts. No I/O and no clock of its own (`now` is passed in), so every rule is tested
//! natively with an injected clock.

use super::flight::FlightState;
use crate::sync::bookmark::Bookmark;

/// When a cold replica (not bootstrapped yet) serves its first reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColdStart {
    /// Reads go to the primary while the bootstrap runs in the background, then turn local.
    Remote,
    /// The first read waits for the bootstrap.
    Wait,
}

/// What to do with a read when the replica is older than `maxLag`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnStale {
    /// Pull the tail inline, then read locally.
    #[default]
    Sync,
    /// Read from the primary now; refresh in the background.
    Primary,
    /// Read the replica as it is now; refresh in the background.
    Serve,
}

impl OnStale {
    /// Parses the option's name.
    pub fn parse(name: &str) -> Option<OnStale> {
        match name {
            "sync" => Some(OnStale::Sync),
            "primary" => Some(OnStale::Primary),
            "serve" => Some(OnStale::Serve),
            _ => None,
        }
    }
}

/// What a read asks for (a session's options, or the client's defaults).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Consistency {
    /// The most milliseconds since the replica was last confirmed up to date.
    pub max_lag_ms: Option<f64>,
    /// What to do when it is older.
    pub on_stale: OnStale,
    /// A position the read must see.
    pub bookmark: Option<Bookmark>,
}

/// Why a read went to the primary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The replica has not bootstrapped yet.
    Cold,
    /// The replica is older than `maxLag` (`onStale: "primary"`, or the inline pull failed).
    Stale,
    /// The replica could not be brought to the bookmark.
    Bookmark,
    /// The database does not fit in the memory budget.
    OverBudget,
    /// A catch-up after this client's write failed: reads keep seeing the write on the primary.
    Fallback,
    /// Another caller's read transaction pins an older snapshot than this caller needs.
    Pinned,
    /// A partial replica's page source could not give the pages the read needs.
    PageSource,
    /// A partial replica could not gather the pages the read needs within its rounds or budget.
    WorkingSet,
}

impl Reason {
    /// Every reason, in the order statistics list them.
    pub const ALL: [Reason; 8] = [
        Reason::Cold,
        Reason::Stale,
        Reason::Bookmark,
        Reason::OverBudget,
        Reason::Fallback,
        Reason::Pinned,
        Reason::PageSource,
        Reason::WorkingSet,
    ];

    /// The name used in statistics and `Server-Timing`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Cold => "cold",
            Reason::Stale => "stale",
            Reason::Bookmark => "bookmark",
            Reason::OverBudget => "overBudget",
            Reason::Fallback => "fallback",
            Reason::Pinned => "pinned",
            Reason::PageSource => "pageSource",
            Reason::WorkingSet => "workingSet",
        }
    }
}

/// Work the engine runs in the background (one sync in flight per replica, and one publish).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// The first download of the database.
    Bootstrap,
    /// A catch-up: the interval passed, or the replica is stale.
    Refresh,
    /// A snapshot of the replica for the colo's snapshot store.
    Publish,
}

/// How far an inline pull goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Until {
    /// Until the primary has nothing newer.
    Head,
    /// Until the bookmark is covered (or the head is reached).
    Bookmark(Bookmark),
}

/// Where a read is served, and what it does first.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    /// From the replica as it is.
    Local,
    /// From the primary.
    Remote(Reason),
    /// Pull inline first, then read locally (from the primary with `Reason` if the pull fails).
    PullFirst(Until, Reason),
    /// Bootstrap inline (this call owns the bootstrap), then read locally.
    Bootstrap,
    /// Another call's bootstrap is in flight: wait for it on this call's own timer.
    WaitForBootstrap,
}

/// What a decision needs to know about the replica and its clocks.
#[derive(Debug, Clone, PartialEq)]
pub struct View<'a> {
    /// The replica has a position (it bootstrapped).
    pub bootstrapped: bool,
    /// When a sync last reached the primary's head (the primary's answer, ms since the epoch).
    pub confirmed_at: Option<f64>,
    /// When a sync was last attempted.
    pub last_attempt: Option<f64>,
    /// Reads go to the primary for this reason until a sync succeeds.
    pub remote_reads: Option<Reason>,
    /// The background work in flight.
    pub flight: FlightState,
    /// `syncInterval`, in ms.
    pub interval_ms: Option<f64>,
    /// How a cold replica serves reads.
    pub cold_start: ColdStart,
    /// The caller's request.
    pub consistency: &'a Consistency,
}

/// The decision for one read.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Where it is served.
    pub route: Route,
    /// Background work the read wants; the engine starts it unless one is in flight (then the
    /// read joins it).
    pub start: Option<Task>,
}

fn decision(route: Route, start: Option<Task>) -> Decision {
    Decision { route, start }
}

impl View<'_> {
    fn interval_due(&self, now: f64) -> bool {
        match (self.last_attempt, self.interval_ms) {
            (None, _) => true,
            (Some(last), Some(interval)) => now - last >= interval,
            (Some(_), None) => false,
        }
    }

    /// Decides where a read is served at `now`.
    pub fn decide(&self, now: f64) -> Decision {
        if !self.bootstrapped {
            return self.decide_cold(now);
        }
        if let Some(reason) = self.remote_reads {
            // Retried at the interval (or at once without one) in the background.
            let retry = self.interval_due(now).then_some(Task::Refresh);
            return decision(Route::Remote(reason), retry);
        }
        if let Some(bookmark) = &self.consistency.bookmark {
            // Coverage is checked by the engine against the replica's position; a bookmark that
            // reaches here is not covered yet (or cannot be compared).
            return decision(Route::PullFirst(Until::Bookmark(bookmark.clone()), Reason::Bookmark), None);
        }
        let interval_task = self.interval_due(now).then_some(Task::Refresh);
        let Some(max_lag) = self.consistency.max_lag_ms else {
            return decision(Route::Local, interval_task);
        };
        let fresh = self.confirmed_at.is_some_and(|at| now - at <= max_lag);
        if fresh {
            return decision(Route::Local, interval_task);
        }
        match self.consistency.on_stale {
            OnStale::Sync => decision(Route::PullFirst(Until::Head, Reason::Stale), None),
            OnStale::Primary => decision(Route::Remote(Reason::Stale), Some(Task::Refresh)),
            OnStale::Serve => decision(Route::Local, Some(Task::Refresh)),
        }
    }

    fn decide_cold(&self, now: f64) -> Decision {
        if let Some(reason) = self.remote_reads {
            // Over budget before the first install: retry at the interval.
            let retry = self.interval_due(now).then_some(Task::Bootstrap);
            return decision(Route::Remote(reason), retry);
        }
        match (self.cold_start, self.flight.bootstrapping()) {
            (ColdStart::Remote, _) => decision(Route::Remote(Reason::Cold), Some(Task::Bootstrap)),
            (ColdStart::Wait, true) => decision(Route::WaitForBootstrap, None),
            (ColdStart::Wait, false) => decision(Route::Bootstrap, None),
        }
    }
}

#[cfg(test)]
mod tests;
