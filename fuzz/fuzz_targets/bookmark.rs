//! Bookmarks (`src/sync/bookmark.rs`): they come back from callers (headers, cookies), so any text
//! must parse or fail with `BOOKMARK_INVALID`, and what parses encodes back to text that parses to
//! the same bookmark.
#![no_main]
use libfuzzer_sys::fuzz_target;
use libsql_edge::sync::bookmark::Bookmark;

fuzz_target!(|data: &[u8]| {
    let (database, text) = match data.split_first() {
        Some((&d, rest)) => (u64::from(d % 2), String::from_utf8_lossy(rest)),
        None => return,
    };
    match Bookmark::parse(&text, database) {
        Ok(b) => assert_eq!(Bookmark::parse(&b.encode(), database).as_ref().ok(), Some(&b), "{text:?}"),
        Err(e) => assert_eq!(e.code(), "BOOKMARK_INVALID", "{text:?}: {e}"),
    }
});
