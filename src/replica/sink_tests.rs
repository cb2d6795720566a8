//! `Replica::read_into`, the one-lookup read of the fast path: the rows a sink receives are the
//! rows `query` returns, and anything that is not a read the replica can run is `None` (for the
//! primary), not an error.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use rusqlite::Connection;

use super::*;
use crate::protocol::Revision;

fn replica_of(sql: &str) -> Replica {
    let mut source = Connection::open_in_memory().unwrap();
    source.execute_batch(sql).unwrap();
    let image = source.serialize("main").unwrap().to_vec();
    let mut replica = Replica::open(ReplicaConfig::default()).unwrap();
    replica.bootstrap(&image, Position::Revision(Revision("1".into()))).unwrap();
    replica
}

#[test]
fn read_into_gives_the_sink_what_query_returns() {
    let mut r = replica_of(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, v REAL, b BLOB, n);
         INSERT INTO t VALUES (1, 'a', 1.5, x'00ff', NULL), (2, 'b', -2.0, x'', 7);",
    );
    for (sql, args) in [
        ("SELECT * FROM t ORDER BY id", vec![]),
        ("SELECT name, v * 2 AS twice FROM t WHERE id = ?", vec![Value::Integer(2)]),
        ("SELECT * FROM t WHERE id > 5", vec![]),
    ] {
        let mut rows = Rows::default();
        let params = Params { positional: &args, named: &[] };
        r.read_into(sql, params, &mut rows).expect("a local read").unwrap();
        assert_eq!(rows, r.query(sql, &args).unwrap(), "{sql}");
    }
}

#[test]
fn read_into_is_none_for_what_the_primary_must_answer() {
    let mut r = replica_of("CREATE TABLE t(x);");
    for sql in ["INSERT INTO t VALUES (1)", "SELECT * FROM missing", "not sql at all"] {
        assert!(r.read_into(sql, Params::default(), &mut Rows::default()).is_none(), "{sql}");
    }
    // A read that fails while it runs is the read's error.
    let err = r.read_into("SELECT abs(-9223372036854775808)", Params::default(), &mut Rows::default()).unwrap();
    assert_eq!(err.unwrap_err().code(), "SQLITE_ERROR");
}
