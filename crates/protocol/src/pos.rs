//! Replication positions: where a replica stands in its primary's history, one variant per sync
//! protocol. Positions are plain values with a stable text form (`Display` / `FromStr`):
//! `sqld:<log_id>/<frame_no>`, `http:<generation>/<frame_no>`, `rev:<revision>`.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// A frame number: sqld counts frames over the life of a log from 0; Turso HTTP sync counts WAL
/// frames within a generation from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FrameNo(pub u64);

/// A Turso HTTP sync generation (starts at 1, advances when the server checkpoints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Generation(pub u32);

/// A Turso Sync server revision: opaque to the client (tursodb uses its decimal WAL frame count).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Revision(pub String);

/// The identity of a sqld replication log, a UUID. A different `log_id` means a different history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LogId(pub u128);

/// Where a replica stands: the last whole transaction it holds, in its protocol's terms.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Position {
    /// sqld gRPC replication: the last applied commit frame of log `log_id`.
    Sqld {
        /// Identity of the primary's log.
        log_id: LogId,
        /// The commit frame of the last applied transaction.
        frame_no: FrameNo,
    },
    /// Turso Cloud HTTP sync: the last applied commit frame of `generation`.
    Http {
        /// The server generation the frames belong to.
        generation: Generation,
        /// The 1-based WAL frame index of the last applied commit.
        frame_no: FrameNo,
    },
    /// Turso Sync `/pull-updates`: the server revision of the last applied pull.
    Revision(Revision),
}

impl Position {
    /// Whether a replica standing at `self` has everything up to `other`: `Some(true)` if it does,
    /// `Some(false)` if it is behind, `None` if the two cannot be compared (another protocol, another
    /// sqld log, opaque revisions that differ).
    ///
    /// - sqld: same `log_id`, compare `frame_no`; another `log_id` is another history.
    /// - HTTP sync: same generation, compare `frame_no`; a later generation starts from a checkpoint
    ///   of the earlier ones, so it covers them; an earlier one does not cover a later one.
    /// - Turso Sync: revisions are opaque; equal ones cover each other, and when both are decimal
    ///   numbers (tursodb: WAL frame counts) they compare as numbers.
    pub fn covers(&self, other: &Position) -> Option<bool> {
        match (self, other) {
            (Position::Sqld { log_id: a, frame_no: x }, Position::Sqld { log_id: b, frame_no: y }) => {
                (a == b).then_some(x >= y)
            }
            (Position::Http { generation: a, frame_no: x }, Position::Http { generation: b, frame_no: y }) => {
                Some(a > b || (a == b && x >= y))
            }
            (Position::Revision(Revision(a)), Position::Revision(Revision(b))) => {
                if a == b {
                    return Some(true);
                }
                match (a.parse::<u64>(), b.parse::<u64>()) {
                    (Ok(x), Ok(y)) => Some(x >= y),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

impl fmt::Display for LogId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = format!("{:032x}", self.0);
        write!(f, "{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
    }
}

impl FromStr for LogId {
    type Err = Error;

    /// Parses the hyphenated UUID form (8-4-4-4-12 hex digits), as sqld sends it in `Hello`.
    fn from_str(s: &str) -> Result<Self> {
        let groups: Vec<&str> = s.split('-').collect();
        let widths = [8, 4, 4, 4, 12];
        let well_formed = groups.len() == widths.len()
            && groups.iter().zip(widths).all(|(g, w)| g.len() == w && g.bytes().all(|b| b.is_ascii_hexdigit()));
        if !well_formed {
            return Err(Error::InvalidLogId(s.to_string()));
        }
        u128::from_str_radix(&groups.concat(), 16).map(LogId).map_err(|_| Error::InvalidLogId(s.to_string()))
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Sqld { log_id, frame_no } => write!(f, "sqld:{log_id}/{}", frame_no.0),
            Position::Http { generation, frame_no } => write!(f, "http:{}/{}", generation.0, frame_no.0),
            Position::Revision(r) => write!(f, "rev:{}", r.0),
        }
    }
}

impl FromStr for Position {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let bad = |reason| Error::InvalidPosition { text: text.to_string(), reason };
        let (kind, rest) = text.split_once(':').ok_or_else(|| bad("missing protocol prefix"))?;
        match kind {
            "rev" => Ok(Position::Revision(Revision(rest.to_string()))),
            "sqld" | "http" => {
                let (id, frame) = rest.split_once('/').ok_or_else(|| bad("missing '/'"))?;
                let frame_no = FrameNo(frame.parse().map_err(|_| bad("frame_no is not a u64"))?);
                if kind == "sqld" {
                    let log_id = id.parse().map_err(|_| bad("log_id is not a UUID"))?;
                    Ok(Position::Sqld { log_id, frame_no })
                } else {
                    let generation = Generation(id.parse().map_err(|_| bad("generation is not a u32"))?);
                    Ok(Position::Http { generation, frame_no })
                }
            }
            _ => Err(bad("unknown protocol prefix")),
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn position_text_form_round_trips() {
        let cases = [
            Position::Sqld { log_id: LogId(0x0123_4567_89ab_cdef_0011_2233_4455_6677), frame_no: FrameNo(1320) },
            Position::Http { generation: Generation(3), frame_no: FrameNo(128) },
            Position::Revision(Revision("1319".into())),
            Position::Revision(Revision(String::new())),
        ];
        for p in cases {
            let text = p.to_string();
            assert_eq!(text.parse::<Position>().unwrap(), p, "{text}");
        }
    }

    #[test]
    fn covers_compares_within_one_history_only() {
        let sqld = |id, n| Position::Sqld { log_id: LogId(id), frame_no: FrameNo(n) };
        let http = |g, n| Position::Http { generation: Generation(g), frame_no: FrameNo(n) };
        let rev = |r: &str| Position::Revision(Revision(r.into()));
        assert_eq!(sqld(1, 10).covers(&sqld(1, 10)), Some(true));
        assert_eq!(sqld(1, 9).covers(&sqld(1, 10)), Some(false));
        assert_eq!(sqld(2, 99).covers(&sqld(1, 10)), None);
        assert_eq!(http(2, 1).covers(&http(1, 500)), Some(true));
        assert_eq!(http(1, 500).covers(&http(2, 1)), Some(false));
        assert_eq!(http(1, 5).covers(&http(1, 6)), Some(false));
        assert_eq!(rev("24").covers(&rev("9")), Some(true));
        assert_eq!(rev("9").covers(&rev("24")), Some(false));
        assert_eq!(rev("abc").covers(&rev("abc")), Some(true));
        assert_eq!(rev("abc").covers(&rev("abd")), None);
        assert_eq!(rev("1").covers(&sqld(1, 1)), None);
    }

    #[test]
    fn log_id_parses_sqld_hello_uuid() {
        let id: LogId = "d1e5a3f0-1b2c-4d5e-8f90-a1b2c3d4e5f6".parse().unwrap();
        assert_eq!(id.to_string(), "d1e5a3f0-1b2c-4d5e-8f90-a1b2c3d4e5f6");
        assert_eq!(id.0 >> 96, 0xd1e5a3f0);
    }

    #[test]
    fn position_garbage_is_rejected_with_code() {
        for bad in
            ["", "sqld:", "sqld:abc/1", "http:x/1", "http:1/-1", "zzz:1/1", "sqld:d1e5a3f0-1b2c-4d5e-8f90-a1b2c3d4e5f6"]
        {
            let err = bad.parse::<Position>().unwrap_err();
            assert_eq!(err.code(), "INVALID_POSITION", "{bad}");
        }
        assert!("g1e5a3f0-1b2c-4d5e-8f90-a1b2c3d4e5f6".parse::<LogId>().is_err());
    }
}
