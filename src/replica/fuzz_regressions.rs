//! Regression tests for faults found by fuzzing the replica (`fuzz/fuzz_targets/replica_apply.rs`,
//! `sync_http.rs`, `sync_pull_updates.rs`):
//! - a replacement whose header or schema SQLite refuses used to install its pages and position
//!   and then return the error from reopening the connection; it must be refused with the
//!   replica left as it was;
//! - a schema whose SQL text is not UTF-8 made rusqlite panic when a query read its column names
//!   or declared types; it must be an error (`SQLITE_CORRUPT`).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use rusqlite::Connection;

use super::*;
use crate::protocol::Revision;
use crate::value::Value;

fn image(sql: &str) -> Vec<u8> {
    let mut conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!("PRAGMA page_size = 4096; {sql}")).unwrap();
    conn.serialize("main").unwrap().to_vec()
}

fn position(n: u32) -> Position {
    Position::Revision(Revision(n.to_string()))
}

/// `image` with the first `CREATE TABLE` in the schema damaged: SQLite reports "malformed
/// database schema" as soon as a connection reads it.
fn bad_schema(mut image: Vec<u8>) -> Vec<u8> {
    let at = image.windows(12).position(|w| w == b"CREATE TABLE").unwrap();
    image[at + 2] = 0xff;
    image
}

/// A replica bootstrapped at position 1 with table `a`, and what it holds.
fn replica_at_one() -> (Replica, Vec<u8>) {
    let mut r = Replica::open(ReplicaConfig::default()).unwrap();
    r.bootstrap(&image("CREATE TABLE a(x); INSERT INTO a VALUES (1);"), position(1)).unwrap();
    let export = r.export();
    (r, export)
}

fn assert_still_at_one(r: &mut Replica, export: &[u8]) {
    assert_eq!(r.export(), export);
    assert_eq!(r.position(), Some(position(1)));
    assert_eq!(r.newest_position(), Some(position(1)));
    assert_eq!(r.query("SELECT x FROM a", &[]).unwrap().rows, vec![vec![Value::Integer(1)]]);
}

#[test]
fn bootstrap_with_malformed_schema_is_refused_and_replica_unchanged() {
    let (mut r, export) = replica_at_one();
    let bad = bad_schema(image("CREATE TABLE b(y); INSERT INTO b VALUES (2);"));
    let err = r.bootstrap(&bad, position(2)).unwrap_err();
    assert!(err.to_string().contains("malformed database schema"), "{err}");
    assert_still_at_one(&mut r, &export);
    let err = r.bootstrap_owned(bad, position(2)).unwrap_err();
    assert!(err.to_string().contains("malformed database schema"), "{err}");
    assert_still_at_one(&mut r, &export);
}

#[test]
fn replacing_apply_with_unreadable_header_is_refused_on_an_empty_replica() {
    let mut r = Replica::open(ReplicaConfig::default()).unwrap();
    let mut page1 = image("CREATE TABLE b(y)")[..4096].to_vec();
    page1[0] = 0; // the magic string: "file is not a database"
    let committed = CommittedPages {
        replace: true,
        position: position(2),
        db_size_pages: 1,
        pages: vec![Page { pgno: 1, data: page1 }],
        dropped: Vec::new(),
    };
    let err = r.apply(committed).unwrap_err();
    assert_eq!(err.code(), "SQLITE_NOTADB", "{err}");
    assert_eq!(r.position(), None);
    assert!(r.export().is_empty());
    assert_eq!(r.shape(), Shape { page_size: None, db_size_pages: 0 });
}

#[test]
fn queued_bootstrap_with_malformed_schema_is_dropped_when_the_read_ends() {
    let (mut r, export) = replica_at_one();
    r.query("BEGIN", &[]).unwrap();
    r.query("SELECT x FROM a", &[]).unwrap();
    let bad = bad_schema(image("CREATE TABLE b(y)"));
    assert_eq!(r.bootstrap(&bad, position(2)).unwrap(), ApplyOutcome::Queued);
    assert_eq!(r.newest_position(), Some(position(2)));
    // The read transaction ends; the queued bootstrap cannot be opened and is dropped.
    assert!(r.query("COMMIT", &[]).is_err());
    assert_eq!(r.queued_applies(), 0);
    assert_still_at_one(&mut r, &export);
}

/// Every page of `image` as one apply over the replica's database (not a replacement).
fn changed_pages(image: &[u8], at: Position) -> CommittedPages {
    let pages: Vec<Page> =
        image.chunks(4096).enumerate().map(|(i, data)| Page { pgno: i as u32 + 1, data: data.to_vec() }).collect();
    CommittedPages { replace: false, position: at, db_size_pages: pages.len() as u32, pages, dropped: Vec::new() }
}

/// `image` with the first occurrence of `word` in the schema's SQL text given an invalid UTF-8 byte.
fn not_utf8(mut image: Vec<u8>, word: &[u8]) -> Vec<u8> {
    let at = image.windows(word.len()).position(|w| w == word).unwrap();
    image[at + 1] = 0xff;
    image
}

#[test]
fn schema_text_that_is_not_utf8_is_an_error_not_a_panic() {
    for (sql, word, query) in [
        ("CREATE TABLE t(a TEXT); INSERT INTO t VALUES ('x');", &b"TEXT"[..], "SELECT * FROM t"),
        ("CREATE TABLE t(abc); INSERT INTO t VALUES ('x');", &b"abc"[..], "SELECT * FROM t"),
        ("CREATE TABLE t(a); CREATE VIEW v AS SELECT a AS alias FROM t;", &b"alias"[..], "SELECT * FROM v"),
    ] {
        let mut r = Replica::open(ReplicaConfig::default()).unwrap();
        // The replacement is refused when its connection opens: the replica stays as it was.
        let err = r.bootstrap(&not_utf8(image(sql), word), position(1)).unwrap_err();
        assert_eq!(err.code(), "SQLITE_CORRUPT", "{sql}: {err}");
        assert!(err.to_string().contains("not UTF-8"), "{err}");
        assert_eq!(r.position(), None);
        // A good database installs and is read normally.
        r.bootstrap(&image(sql), position(2)).unwrap();
        assert_eq!(r.query(query, &[]).unwrap().rows.len(), usize::from(sql.contains("INSERT")));
        // Damaged schema text arriving as an apply (the cookie unchanged) is an error on read, and
        // good text after it is read with the schema parsed afresh (found by fuzzing sync_http).
        let good = image(sql);
        let bad = not_utf8(good.clone(), word);
        r.apply(changed_pages(&bad, position(3))).unwrap();
        assert_eq!(r.query(query, &[]).unwrap_err().code(), "SQLITE_CORRUPT");
        r.apply(changed_pages(&good, position(4))).unwrap();
        assert_eq!(r.query(query, &[]).unwrap().rows.len(), usize::from(sql.contains("INSERT")));
    }
}
