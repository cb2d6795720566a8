//! What `client.stats()` and `client.serverTiming()` report: the engine's counters and clocks, the
//! replica's memory, and where the last call was served.

use super::Client;
use crate::sync::engine::{Counters, Engine, Reason};

fn partial_stats(engine: &Engine) -> PartialStats {
    let (pages, resident, pinned) = engine.replica().borrow().page_counters();
    let c = engine.counters();
    let (mode, note) = match (engine.partial_source(), engine.partial_unavailable()) {
        (Some(source), _) => (source, None),
        (None, Some(note)) => ("unavailable", Some(note)),
        (None, None) => ("off", None),
    };
    PartialStats {
        mode,
        note,
        resident_pages: resident as u64,
        pinned_bytes: pinned,
        page_reads: pages.reads,
        misses: pages.misses,
        fetches: c.page_fetches,
        fetch_failures: c.page_fetch_failures,
        pages_fetched: c.pages_fetched,
        evictions: pages.evicted,
    }
}

/// Where a call was served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The replica.
    Replica,
    /// The primary: a read for `Some(reason)`, a write or a statement the replica cannot run for
    /// `None`.
    Primary(Option<Reason>),
}

/// The timing of one call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallTiming {
    /// Where it was served.
    pub via: Via,
    /// How long it took, in ms.
    pub duration_ms: f64,
    /// How long ago the replica was last confirmed up to date, at the end of the call.
    pub lag_ms: Option<f64>,
}

/// A snapshot of a client's statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientStats {
    /// The sync protocol, once known.
    pub protocol: Option<&'static str>,
    /// The replica's position (text form).
    pub position: Option<String>,
    /// When a sync last reached the primary's head (ms since the epoch).
    pub confirmed_at: Option<f64>,
    /// `now - confirmed_at`.
    pub lag_ms: Option<f64>,
    /// Why reads go to the primary now, if they do.
    pub remote_reads: Option<Reason>,
    /// The engine's counters (all zero for a remote-only client).
    pub counters: Counters,
    /// Page bytes the replica holds.
    pub memory_bytes: u64,
    /// The replica's memory budget.
    pub memory_budget_bytes: u64,
    /// Bytes held by all replicas of the isolate (the shared pool), and its budget.
    pub isolate_memory_bytes: u64,
    /// The isolate's budget (`None`: unlimited).
    pub isolate_budget_bytes: Option<u64>,
    /// The partial replica's pages.
    pub partial: PartialStats,
}

/// What a partial replica did with its pages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartialStats {
    /// `"off"` (a full replica), `"pull-updates"` or `"snapshot"` (its page source), or
    /// `"unavailable"` (asked for, but the protocol has no page source).
    pub mode: &'static str,
    /// Why it is unavailable.
    pub note: Option<&'static str>,
    /// Pages held.
    pub resident_pages: u64,
    /// Bytes held that cannot be evicted (page 1; a snapshot's tail).
    pub pinned_bytes: u64,
    /// Page reads SQLite made of the replica (its own cache answers the rest).
    pub page_reads: u64,
    /// Reads of pages the replica lacked.
    pub misses: u64,
    /// Requests to the page source.
    pub fetches: u64,
    /// Requests that failed.
    pub fetch_failures: u64,
    /// Pages those requests added.
    pub pages_fetched: u64,
    /// Pages evicted to make room.
    pub evictions: u64,
}

impl PartialStats {
    /// The share of page reads the replica held: `1 - misses / reads` (1 before any read).
    pub fn hit_rate(&self) -> f64 {
        if self.page_reads == 0 {
            1.0
        } else {
            1.0 - self.misses as f64 / self.page_reads as f64
        }
    }
}

impl Client {
    /// The client's statistics at `now` (ms since the epoch).
    pub fn stats(&self, now: f64) -> ClientStats {
        let engine = self.engine.as_ref();
        let confirmed_at = engine.and_then(|e| e.confirmed_at());
        ClientStats {
            protocol: engine.and_then(|e| e.protocol()).map(|k| k.as_str()),
            position: self.position().map(|p| p.to_string()),
            confirmed_at,
            lag_ms: confirmed_at.map(|c| (now - c).max(0.0)),
            remote_reads: engine.and_then(|e| e.remote_reads()),
            counters: engine.map(|e| e.counters()).unwrap_or_default(),
            memory_bytes: self.memory_bytes(),
            memory_budget_bytes: engine.map_or(0, |e| e.replica().borrow().memory_budget()),
            isolate_memory_bytes: engine.map_or(0, |e| e.replica().borrow().pool_usage().0),
            isolate_budget_bytes: engine.and_then(|e| e.replica().borrow().pool_usage().1),
            partial: engine.map(partial_stats).unwrap_or_default(),
        }
    }

    /// A `Server-Timing` header value for the last call (empty before the first one):
    /// `replica;dur=0.04, replica-lag;dur=812` or `primary;desc="cold";dur=35`.
    pub fn server_timing(&self) -> String {
        let Some(t) = self.last_call.get() else { return String::new() };
        let mut out = match t.via {
            Via::Replica => format!("replica;dur={:.3}", t.duration_ms),
            Via::Primary(Some(reason)) => format!("primary;desc=\"{}\";dur={:.3}", reason.as_str(), t.duration_ms),
            Via::Primary(None) => format!("primary;desc=\"write\";dur={:.3}", t.duration_ms),
        };
        if let Some(lag) = t.lag_ms {
            out.push_str(&format!(", replica-lag;dur={lag:.0}"));
        }
        out
    }
}
