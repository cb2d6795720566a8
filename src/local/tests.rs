#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;
use crate::value::Value;

fn s(sql: &str) -> Statement {
    Statement::new(sql)
}

fn code(e: Error) -> String {
    e.code().to_string()
}

#[test]
fn execute_reports_rows_or_write_counts_like_libsql() {
    let c = LocalClient::open(":memory:", 20).unwrap();
    let create = c.execute(&s("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT UNIQUE)")).unwrap();
    assert_eq!((create.rows_affected, create.last_insert_rowid), (0, Some(0)));
    let ins = c.execute(&s("INSERT INTO t (x) VALUES ('a'), ('b')")).unwrap();
    assert_eq!((ins.rows_affected, ins.last_insert_rowid), (2, Some(2)));
    // DDL after an insert reports no changes (sqlite3_changes would still say 2).
    assert_eq!(c.execute(&s("CREATE TABLE u (y)")).unwrap().rows_affected, 0);
    let rs = c.execute(&s("SELECT id, x, 1 + 1 FROM t")).unwrap();
    assert_eq!(rs.columns, ["id", "x", "1 + 1"]);
    assert_eq!(rs.column_types, ["INTEGER", "TEXT", ""]);
    assert_eq!(rs.rows[1], [Value::Integer(2), Value::Text("b".into()), Value::Integer(2)]);
    // RETURNING gives rows, so no write counts.
    let ret = c.execute(&s("INSERT INTO t (x) VALUES ('c') RETURNING id")).unwrap();
    assert_eq!((ret.rows.len(), ret.rows_affected, ret.last_insert_rowid), (1, 0, None));
    // Only the first statement runs; an empty text is SQLite's "not an error".
    c.execute(&s("CREATE TABLE a (x); CREATE TABLE b (y)")).unwrap();
    assert_eq!(code(c.execute(&s("SELECT * FROM b")).unwrap_err()), "SQLITE_ERROR");
    let empty = c.execute(&s("  -- nothing")).unwrap_err();
    assert_eq!(
        (empty.code(), empty.raw_code(), empty.to_string().as_str()),
        ("SQLITE_UNKNOWN_0", Some(0), "not an error")
    );
    let dup = c.execute(&s("INSERT INTO t (x) VALUES ('a')")).unwrap_err();
    assert_eq!((dup.code(), dup.extended_code()), ("SQLITE_CONSTRAINT", Some("SQLITE_CONSTRAINT_UNIQUE")));
    assert_eq!(dup.to_string(), "UNIQUE constraint failed: t.x");
    let syntax = c.execute(&s("SELEC 1")).unwrap_err();
    assert_eq!(syntax.to_string(), "near \"SELEC\": syntax error");
}

#[test]
fn arguments_bind_leniently_by_index_or_bare_name() {
    let c = LocalClient::open(":memory:", 20).unwrap();
    let one = |sql: &str, args: Vec<Value>, named: Vec<(&str, Value)>| {
        let stmt = Statement {
            sql: sql.into(),
            args,
            named_args: named.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        };
        c.execute(&stmt).unwrap().rows.remove(0)
    };
    assert_eq!(one("SELECT ?, ?", vec![Value::Integer(1)], vec![]), [Value::Integer(1), Value::Null]);
    assert_eq!(one("SELECT ?", vec![Value::Integer(1), Value::Integer(2)], vec![]), [Value::Integer(1)]);
    assert_eq!(
        one("SELECT ?2, ?1", vec![Value::Text("one".into()), Value::Text("two".into())], vec![]),
        [Value::Text("two".into()), Value::Text("one".into())]
    );
    assert_eq!(
        one("SELECT :a, @b, $c", vec![], vec![(":a", Value::Integer(1)), ("b", Value::Integer(2))]),
        [Value::Integer(1), Value::Integer(2), Value::Null]
    );
}

#[test]
fn batch_rolls_back_and_names_the_failing_statement() {
    let c = LocalClient::open(":memory:", 20).unwrap();
    c.execute(&s("CREATE TABLE t (x UNIQUE)")).unwrap();
    let e = c
        .batch(
            &[s("INSERT INTO t VALUES (1)"), s("INSERT INTO t VALUES (1)"), s("INSERT INTO t VALUES (2)")],
            TxMode::Write,
        )
        .unwrap_err();
    assert!(matches!(e, Error::Batch { statement_index: 1, .. }), "{e:?}");
    assert_eq!(c.execute(&s("SELECT count(*) FROM t")).unwrap().rows[0], [Value::Integer(0)]);
    let e = c.batch(&[s("ROLLBACK"), s("SELECT 1")], TxMode::Deferred).unwrap_err();
    assert!(matches!(e, Error::Batch { statement_index: 1, .. }) && e.code() == "TRANSACTION_CLOSED", "{e:?}");
    // A script that leaves a transaction open is rolled back when the call ends.
    c.execute_multiple("BEGIN; INSERT INTO t VALUES (5);").unwrap();
    assert_eq!(c.execute(&s("SELECT count(*) FROM t")).unwrap().rows[0], [Value::Integer(0)]);
}

#[test]
fn a_transaction_holds_the_only_connection_of_a_private_database() {
    let c = LocalClient::open(":memory:", 20).unwrap();
    c.execute(&s("CREATE TABLE t (x)")).unwrap();
    let tx = c.transaction(TxMode::Write).unwrap();
    c.tx_execute(tx, &s("INSERT INTO t VALUES (1)")).unwrap();
    assert_eq!(code(c.execute(&s("SELECT 1")).unwrap_err()), "TRANSACTION_ACTIVE");
    assert!(!c.transaction_closed(tx));
    c.tx_execute(tx, &s("ROLLBACK")).unwrap();
    assert!(c.transaction_closed(tx));
    assert_eq!(code(c.tx_execute(tx, &s("SELECT 1")).unwrap_err()), "TRANSACTION_CLOSED");
    assert_eq!(code(c.execute(&s("SELECT 1")).unwrap_err()), "TRANSACTION_ACTIVE", "held until it settles");
    c.tx_close(tx);
    let tx = c.transaction(TxMode::Deferred).unwrap();
    c.tx_execute(tx, &s("INSERT INTO t VALUES (2)")).unwrap();
    c.tx_commit(tx).unwrap();
    assert_eq!(code(c.tx_commit(tx).unwrap_err()), "TRANSACTION_CLOSED");
    c.tx_rollback(tx).unwrap();
    assert_eq!(c.execute(&s("SELECT x FROM t")).unwrap().rows, [[Value::Integer(2)]]);
    c.close();
    assert_eq!(code(c.execute(&s("SELECT 1")).unwrap_err()), "CLIENT_CLOSED");
    c.reconnect();
    assert_eq!(code(c.execute(&s("SELECT x FROM t")).unwrap_err()), "SQLITE_ERROR", "a new empty database");
}

#[test]
fn named_databases_are_shared_between_clients_and_kept() {
    let a = LocalClient::open("file:local-rs-shared.db", 20).unwrap();
    a.execute(&s("CREATE TABLE t (x)")).unwrap();
    let b = LocalClient::open("file:local-rs-shared.db", 20).unwrap();
    b.execute(&s("INSERT INTO t VALUES (1)")).unwrap();
    // A read transaction on one connection does not stop the other client's reads or writes.
    let rtx = a.transaction(TxMode::Deferred).unwrap();
    assert_eq!(a.tx_execute(rtx, &s("SELECT count(*) FROM t")).unwrap().rows[0], [Value::Integer(1)]);
    assert_eq!(b.execute(&s("SELECT count(*) FROM t")).unwrap().rows[0], [Value::Integer(1)]);
    a.tx_close(rtx);
    // A write transaction holds memdb's write lock: other connections get SQLITE_BUSY until it
    // ends, for writes and (unlike a rollback-journal file) for reads too.
    let tx = a.transaction(TxMode::Write).unwrap();
    a.tx_execute(tx, &s("INSERT INTO t VALUES (2)")).unwrap();
    assert_eq!(code(b.execute(&s("INSERT INTO t VALUES (3)")).unwrap_err()), "SQLITE_BUSY");
    assert_eq!(code(a.execute(&s("SELECT count(*) FROM t")).unwrap_err()), "SQLITE_BUSY");
    a.tx_commit(tx).unwrap();
    a.close();
    b.close();
    let c = LocalClient::open("file:local-rs-shared.db", 20).unwrap();
    assert_eq!(c.execute(&s("SELECT count(*) FROM t")).unwrap().rows[0], [Value::Integer(2)]);
}

#[test]
fn migrate_turns_foreign_keys_off_inside_and_on_after() {
    let c = LocalClient::open(":memory:", 20).unwrap();
    c.execute(&s("PRAGMA foreign_keys=on")).unwrap();
    c.migrate(&[
        s("CREATE TABLE p (id INTEGER PRIMARY KEY)"),
        s("CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p(id))"),
        s("INSERT INTO c VALUES (1, 99)"),
    ])
    .unwrap();
    let e = c.migrate(&[s("INSERT INTO c VALUES (2, 1)"), s("INSERT INTO c VALUES (1, 1)")]).unwrap_err();
    assert!(matches!(e, Error::Batch { statement_index: 1, .. }), "{e:?}");
    assert_eq!(c.execute(&s("SELECT count(*) FROM c")).unwrap().rows[0], [Value::Integer(1)]);
    assert_eq!(c.execute(&s("PRAGMA foreign_keys")).unwrap().rows[0], [Value::Integer(1)]);
}
