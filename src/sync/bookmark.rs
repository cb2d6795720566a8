//! Bookmarks: a primary position that a later read must see, carried across requests and isolates
//! as an opaque, URL- and cookie-safe string (`[A-Za-z0-9._-]`).
//!
//! Text form: `lb1.<database>.<target>` where `<database>` is 16 hex digits naming the database
//! (a hash of the sync URL, so a bookmark of another database is refused, never read as stale) and
//! `<target>` is the URL-safe base64 (no padding) of one of:
//! - `p:<position>`: a replica position in its text form (`sqld:<log_id>/<n>`, `http:<g>/<n>`,
//!   `rev:<r>`), compared with [`Position::covers`];
//! - `i:<n>`: a sqld `replication_index` whose `log_id` the writer did not know: covered by any
//!   sqld position with `frame_no >= n`;
//! - `h`: a write whose position cannot be compared: the reader syncs to the primary's head.

use crate::error::{Error, Result};
use crate::protocol::{base64, Position};

/// What a bookmark asks a read to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// At least this position.
    At(Position),
    /// A sqld `replication_index` (frame number) of an unknown log.
    SqldIndex(u64),
    /// Whatever the primary holds when the read comes: sync to the head.
    Head,
}

/// A bookmark of one database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bookmark {
    /// The database it belongs to ([`database_id`]).
    pub database: u64,
    /// What it asks for.
    pub target: Target,
}

const PREFIX: &str = "lb1";

/// The identity of the database behind `sync_url` (FNV-1a 64 of the URL without a trailing `/`).
/// Never derived from a token.
pub fn database_id(sync_url: &str) -> u64 {
    sync_url
        .trim_end_matches('/')
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

fn invalid(message: impl Into<String>) -> Error {
    Error::BookmarkInvalid { message: message.into() }
}

impl Bookmark {
    /// The text form.
    pub fn encode(&self) -> String {
        let target = match &self.target {
            Target::At(p) => format!("p:{p}"),
            Target::SqldIndex(n) => format!("i:{n}"),
            Target::Head => "h".to_string(),
        };
        format!("{PREFIX}.{:016x}.{}", self.database, base64::encode_url(target.as_bytes()))
    }

    /// Parses `text`, which must be a bookmark of `database`.
    pub fn parse(text: &str, database: u64) -> Result<Bookmark> {
        let mut parts = text.split('.');
        let (Some(PREFIX), Some(db), Some(target), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid("not a libsql-edge bookmark"));
        };
        let db =
            u64::from_str_radix(db, 16).ok().filter(|_| db.len() == 16).ok_or_else(|| invalid("bad database id"))?;
        if db != database {
            return Err(invalid("the bookmark belongs to another database"));
        }
        let target = base64::decode_url(target).ok().and_then(|b| String::from_utf8(b).ok());
        let target = target.ok_or_else(|| invalid("bad target encoding"))?;
        let target = match target.split_once(':') {
            Some(("p", p)) => Target::At(p.parse().map_err(|_| invalid("bad position"))?),
            Some(("i", n)) => Target::SqldIndex(n.parse().map_err(|_| invalid("bad replication index"))?),
            None if target == "h" => Target::Head,
            _ => return Err(invalid("unknown target")),
        };
        Ok(Bookmark { database, target })
    }

    /// Whether a replica at `position` has what the bookmark asks for (`None`: not comparable, or
    /// a head bookmark, which only a sync to the head satisfies).
    pub fn covered_by(&self, position: &Position) -> Option<bool> {
        match (&self.target, position) {
            (Target::At(want), at) => at.covers(want),
            (Target::SqldIndex(n), Position::Sqld { frame_no, .. }) => Some(frame_no.0 >= *n),
            (Target::SqldIndex(_), _) => None,
            (Target::Head, _) => None,
        }
    }

    /// The one of two bookmarks of the same database that asks for more: a head bookmark asks
    /// for everything; otherwise `other` if it covers `self`, else `self`.
    pub fn newest(self, other: Bookmark) -> Bookmark {
        let other_covers = match (&other.target, &self.target) {
            (_, Target::Head) => Some(false),
            (Target::Head, _) => Some(true),
            (Target::At(p), _) => self.covered_by(p),
            (Target::SqldIndex(n), Target::SqldIndex(m)) => Some(n >= m),
            (Target::SqldIndex(n), Target::At(Position::Sqld { frame_no, .. })) => Some(*n >= frame_no.0),
            _ => None,
        };
        if other_covers == Some(true) {
            other
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::protocol::{FrameNo, Generation, LogId, Revision};

    fn sqld(n: u64) -> Position {
        Position::Sqld { log_id: LogId(7), frame_no: FrameNo(n) }
    }

    #[test]
    fn bookmarks_round_trip_and_are_url_and_cookie_safe() {
        let db = database_id("https://db.example.com/");
        assert_eq!(db, database_id("https://db.example.com"));
        for target in [
            Target::At(sqld(42)),
            Target::At(Position::Http { generation: Generation(3), frame_no: FrameNo(9) }),
            Target::At(Position::Revision(Revision("1319".into()))),
            Target::SqldIndex(77),
            Target::Head,
        ] {
            let b = Bookmark { database: db, target };
            let text = b.encode();
            assert!(text.bytes().all(|c| c.is_ascii_alphanumeric() || b"._-".contains(&c)), "{text}");
            assert_eq!(Bookmark::parse(&text, db).unwrap(), b);
        }
    }

    #[test]
    fn foreign_and_malformed_bookmarks_are_bookmark_invalid() {
        let b = Bookmark { database: database_id("http://a"), target: Target::At(sqld(1)) }.encode();
        let other = database_id("http://b");
        for text in [&b as &str, "", "lb1", "lb1.xyz.abc", "lb2.0000000000000001.aA", "lb1.0000000000000001.!!"] {
            let err = Bookmark::parse(text, other).unwrap_err();
            assert_eq!(err.code(), "BOOKMARK_INVALID", "{text}");
        }
        let garbage = format!("lb1.{:016x}.{}", other, base64::encode_url(b"p:nonsense"));
        assert_eq!(Bookmark::parse(&garbage, other).unwrap_err().code(), "BOOKMARK_INVALID");
    }

    #[test]
    fn coverage_and_newest() {
        let at = |n| Bookmark { database: 1, target: Target::At(sqld(n)) };
        assert_eq!(at(5).covered_by(&sqld(5)), Some(true));
        assert_eq!(at(6).covered_by(&sqld(5)), Some(false));
        let index = Bookmark { database: 1, target: Target::SqldIndex(5) };
        assert_eq!(index.covered_by(&sqld(4)), Some(false));
        assert_eq!(Bookmark { database: 1, target: Target::Head }.covered_by(&sqld(4)), None);
        assert_eq!(at(5).newest(at(9)), at(9));
        assert_eq!(at(9).newest(at(5)), at(9));
        assert_eq!(index.clone().newest(at(9)), at(9));
        let head = Bookmark { database: 1, target: Target::Head };
        assert_eq!(at(9).newest(head.clone()), head);
        assert_eq!(head.clone().newest(at(9)), head);
    }
}
