//! What `client.stats()` and `client.serverTiming()` report: the engine's counters and clocks, the
//! replica's memory, and where the last call was served.

use super::Client;
use crate::sync::engine::{Counters, Reason};

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
