//! The proxy's counters: requests, body bytes each way, faults per kind, and the delays it added
//! (what the shape asked for, and what the proxy measured around its own sleeps).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};

use crate::fault::Fault;

/// Counters shared by every connection.
#[derive(Debug, Default)]
pub struct Stats {
    /// Proxied requests (admin requests not included).
    pub requests: AtomicU64,
    /// Requests to `/__netem/`.
    pub admin_requests: AtomicU64,
    /// Requests the upstream did not answer (502 sent).
    pub upstream_errors: AtomicU64,
    /// Request body bytes forwarded to the upstream.
    pub bytes_up: AtomicU64,
    /// Response body bytes handed to clients.
    pub bytes_down: AtomicU64,
    /// One-way delays applied (request and response heads).
    pub delays: AtomicU64,
    /// Sum of the one-way delays the shape asked for, in microseconds.
    pub delay_us_asked: AtomicU64,
    /// Sum of the one-way delays as measured around the proxy's sleeps, in microseconds.
    pub delay_us_measured: AtomicU64,
    /// Time spent sleeping for the bandwidth limit, measured, in microseconds.
    pub throttle_us_measured: AtomicU64,
    /// Bodies paced under a bandwidth limit.
    pub paced_bodies: AtomicU64,
    /// Sum over paced bodies of the time from their first byte's turn on the link to the end of
    /// their last byte's, measured, in microseconds (at least bytes / bandwidth, less the bucket).
    pub pace_span_us: AtomicU64,
    faults: Mutex<BTreeMap<&'static str, u64>>,
}

fn us(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl Stats {
    /// Counts one injected fault.
    pub fn fault(&self, fault: &Fault) {
        *self.faults.lock().unwrap_or_else(|p| p.into_inner()).entry(fault.label()).or_default() += 1;
    }

    /// Records one one-way delay.
    pub fn delay(&self, asked: Duration, measured: Duration) {
        self.delays.fetch_add(1, Relaxed);
        self.delay_us_asked.fetch_add(us(asked), Relaxed);
        self.delay_us_measured.fetch_add(us(measured), Relaxed);
    }

    /// Records one bandwidth wait.
    pub fn throttle(&self, measured: Duration) {
        self.throttle_us_measured.fetch_add(us(measured), Relaxed);
    }

    /// Records one paced body's span on the link.
    pub fn paced(&self, span: Duration) {
        self.paced_bodies.fetch_add(1, Relaxed);
        self.pace_span_us.fetch_add(us(span), Relaxed);
    }

    /// Zeroes every counter.
    pub fn reset(&self) {
        for c in [
            &self.requests,
            &self.admin_requests,
            &self.upstream_errors,
            &self.bytes_up,
            &self.bytes_down,
            &self.delays,
            &self.delay_us_asked,
            &self.delay_us_measured,
            &self.throttle_us_measured,
            &self.paced_bodies,
            &self.pace_span_us,
        ] {
            c.store(0, Relaxed);
        }
        self.faults.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Everything as JSON; times in milliseconds, every fault kind present (0 when none).
    pub fn to_json(&self) -> Value {
        let faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        let per_kind: serde_json::Map<String, Value> =
            Fault::LABELS.iter().map(|k| (k.to_string(), json!(faults.get(k).copied().unwrap_or(0)))).collect();
        let ms = |c: &AtomicU64| c.load(Relaxed) as f64 / 1e3;
        json!({
            "requests": self.requests.load(Relaxed),
            "admin_requests": self.admin_requests.load(Relaxed),
            "upstream_errors": self.upstream_errors.load(Relaxed),
            "bytes_up": self.bytes_up.load(Relaxed),
            "bytes_down": self.bytes_down.load(Relaxed),
            "faults": per_kind,
            "faults_total": faults.values().sum::<u64>(),
            "delays": self.delays.load(Relaxed),
            "delay_ms_asked": ms(&self.delay_us_asked),
            "delay_ms_measured": ms(&self.delay_us_measured),
            "throttle_ms_measured": ms(&self.throttle_us_measured),
            "paced_bodies": self.paced_bodies.load(Relaxed),
            "pace_span_ms": ms(&self.pace_span_us),
        })
    }
}
