//! The faults the proxy can inject into one response, with their parameters and defaults.
//!
//! Body offsets (`after`) count body bytes as the client receives them (after HTTP/1.1 framing is
//! removed); 0 means right after the response head.

use serde::{Deserialize, Serialize};

/// Default cap of an endless body: it stops (and the connection drops) after this many bytes.
pub const ENDLESS_LIMIT_DEFAULT: u64 = 1 << 30;
/// Default longest stall: after this, the stalled connection is dropped.
pub const STALL_MS_DEFAULT: u64 = 300_000;
/// Default status of a `status` fault.
pub const STATUS_DEFAULT: u16 = 503;

/// One injected fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Forward the head and `after` body bytes, then close the connection (FIN) with the body
    /// unfinished, whatever its framing promised.
    Drop {
        /// Body bytes sent before the drop.
        #[serde(default)]
        after: u64,
    },
    /// Cut the body to `after` bytes. Honest (`lie: false`): Content-Length says `after`, the
    /// response is well formed and the connection stays usable. Lying: Content-Length keeps the
    /// whole body's length, `after` bytes follow, then the connection closes.
    Truncate {
        /// Body bytes kept.
        #[serde(default)]
        after: u64,
        /// Keep the original Content-Length.
        #[serde(default)]
        lie: bool,
    },
    /// Send the head at once and the whole body `ms` milliseconds later.
    Delay {
        /// Delay before the first body byte.
        ms: u64,
    },
    /// Send the head and `after` body bytes, then nothing: the connection stays open until the
    /// client leaves or `ms` passes (then it is dropped).
    Stall {
        /// Body bytes sent before the stall.
        #[serde(default)]
        after: u64,
        /// Longest stall before the proxy drops the connection.
        #[serde(default = "stall_ms_default")]
        ms: u64,
    },
    /// Answer `status` with a small text body. The request reaches the upstream only with
    /// `forward: true` (a write that happened although the client sees an error).
    Status {
        /// HTTP status to answer.
        #[serde(default = "status_default")]
        status: u16,
        /// Forward the request first and discard the real answer.
        #[serde(default)]
        forward: bool,
    },
    /// Reset the connection (TCP RST). Without `after`, before any answer and without
    /// forwarding; with `after`, after the head and `after` body bytes.
    Reset {
        /// Body bytes sent before the reset.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<u64>,
    },
    /// Forward the head (as chunked) and the real body, then zero bytes without end, up to `limit`
    /// bytes in all (then the connection drops).
    Endless {
        /// Safety cap on the body bytes sent.
        #[serde(default = "endless_limit_default")]
        limit: u64,
    },
}

fn stall_ms_default() -> u64 {
    STALL_MS_DEFAULT
}
fn status_default() -> u16 {
    STATUS_DEFAULT
}
fn endless_limit_default() -> u64 {
    ENDLESS_LIMIT_DEFAULT
}

impl Fault {
    /// The counter this fault is reported under (`truncate_lie` for a lying truncation).
    pub fn label(&self) -> &'static str {
        match self {
            Fault::Drop { .. } => "drop",
            Fault::Truncate { lie: false, .. } => "truncate",
            Fault::Truncate { lie: true, .. } => "truncate_lie",
            Fault::Delay { .. } => "delay",
            Fault::Stall { .. } => "stall",
            Fault::Status { .. } => "status",
            Fault::Reset { .. } => "reset",
            Fault::Endless { .. } => "endless",
        }
    }

    /// Every counter label, in report order.
    pub const LABELS: [&'static str; 8] =
        ["drop", "truncate", "truncate_lie", "delay", "stall", "status", "reset", "endless"];

    /// The parameter names each kind accepts (besides `kind`).
    pub fn params(kind: &str) -> Option<&'static [&'static str]> {
        Some(match kind {
            "drop" => &["after"],
            "truncate" => &["after", "lie"],
            "delay" => &["ms"],
            "stall" => &["after", "ms"],
            "status" => &["status", "forward"],
            "reset" => &["after"],
            "endless" => &["limit"],
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_json_defaults_apply() {
        let f: Fault = serde_json::from_str(r#"{"kind":"stall"}"#).unwrap();
        assert_eq!(f, Fault::Stall { after: 0, ms: STALL_MS_DEFAULT });
        let f: Fault = serde_json::from_str(r#"{"kind":"truncate","after":10,"lie":true}"#).unwrap();
        assert_eq!(f.label(), "truncate_lie");
        assert!(serde_json::from_str::<Fault>(r#"{"kind":"delay"}"#).is_err(), "delay needs ms");
    }
}
