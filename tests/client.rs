//! The `Client` end to end against the dev primary on a real loopback listener: local reads, writes
//! forwarded with read-your-writes, batches (atomic, rollback on error), transactions, a second
//! writer seen after sync, remote-only mode, protocol auto-detection and configuration errors.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/http.rs"]
mod http;
#[path = "common/primary.rs"]
mod primary;

use libsql_edge::client::TxMode;
use libsql_edge::protocol::Position;
use libsql_edge::transport::native::{block_on, NativeTransport};
use libsql_edge::{Client, ClientConfig, Statement, Value};
use primary::{assert_replica_matches, DevPrimary, Options};

const T: &NativeTransport = &NativeTransport;

fn replica_client(p: &DevPrimary, protocol: Option<&str>) -> Client {
    Client::new(&ClientConfig {
        url: "file:test.db".into(),
        sync_url: Some(p.url.clone()),
        sync_protocol: protocol.map(Into::into),
        ..Default::default()
    })
    .unwrap()
}

fn stmt(sql: &str, args: Vec<Value>) -> Statement {
    Statement { sql: sql.into(), args, named_args: vec![] }
}

fn exec(c: &Client, sql: &str) -> libsql_edge::ResultSet {
    block_on(c.execute(T, &Statement::new(sql))).unwrap()
}

fn seed(p: &DevPrimary) {
    p.execute(&[
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, score REAL)",
        "INSERT INTO t(name, score) VALUES ('a', 1.5), ('b', 2.5), ('c', 3.5)",
    ]);
}

#[test]
fn reads_are_local_writes_are_forwarded_and_read_back() {
    let p = DevPrimary::start(Options::default());
    seed(&p);
    let c = replica_client(&p, Some("sqld"));
    assert_eq!(c.protocol(), "file");
    let rs = exec(&c, "SELECT name, score FROM t ORDER BY id");
    assert_eq!(rs.columns, vec!["name", "score"]);
    assert_eq!(rs.column_types, vec!["TEXT", "REAL"]);
    assert_eq!(rs.rows[2], vec![Value::Text("c".into()), Value::Real(3.5)]);
    let before = c.position();

    // A write goes to the primary; read-your-writes makes it visible locally at once.
    let rs = block_on(c.execute(
        T,
        &stmt("INSERT INTO t(name, score) VALUES (?, ?)", vec![Value::Text("d".into()), Value::Integer(4)]),
    ))
    .unwrap();
    assert_eq!((rs.rows_affected, rs.last_insert_rowid), (1, Some(4)));
    assert_ne!(c.position(), before);
    let Some(Position::Sqld { frame_no, .. }) = c.position() else { panic!("{:?}", c.position()) };
    assert_eq!(Some(frame_no.0), p.primary.replication_index());
    assert_eq!(exec(&c, "SELECT count(*) FROM t").rows, vec![vec![Value::Integer(4)]]);

    // A second writer's change appears after sync.
    p.execute(&["UPDATE t SET score = 0 WHERE name = 'a'"]);
    assert_eq!(exec(&c, "SELECT score FROM t WHERE name = 'a'").rows, vec![vec![Value::Real(1.5)]]);
    let stats = block_on(c.sync(T)).unwrap();
    assert!(stats.frames_synced > 0);
    assert_eq!(exec(&c, "SELECT score FROM t WHERE name = 'a'").rows, vec![vec![Value::Real(0.0)]]);

    // Errors from the primary keep its codes.
    let err = block_on(c.execute(T, &Statement::new("INSERT INTO t(name) VALUES ('a')"))).unwrap_err();
    assert_eq!(err.code(), "SQLITE_CONSTRAINT");
}

#[test]
fn batch_is_atomic_and_reports_the_failing_statement() {
    let p = DevPrimary::start(Options::default());
    seed(&p);
    let c = replica_client(&p, None);
    let ok = block_on(c.batch(
        T,
        &[Statement::new("INSERT INTO t(name) VALUES ('x')"), Statement::new("SELECT count(*) FROM t")],
        TxMode::Write,
    ))
    .unwrap();
    assert_eq!(ok[1].rows, vec![vec![Value::Integer(4)]]);
    let err = block_on(c.batch(
        T,
        &[Statement::new("INSERT INTO t(name) VALUES ('y')"), Statement::new("INSERT INTO t(name) VALUES ('a')")],
        TxMode::Write,
    ))
    .unwrap_err();
    assert!(matches!(err, libsql_edge::Error::Batch { statement_index: 1, .. }), "{err:?}");
    assert_eq!(err.code(), "SQLITE_CONSTRAINT");
    assert_eq!(exec(&c, "SELECT count(*) FROM t WHERE name = 'y'").rows, vec![vec![Value::Integer(0)]]);
    // A read batch runs on the replica.
    let reads = block_on(c.batch(
        T,
        &[Statement::new("SELECT 1"), Statement::new("SELECT name FROM t WHERE id = 1")],
        TxMode::Read,
    ))
    .unwrap();
    assert_eq!(reads[1].rows, vec![vec![Value::Text("a".into())]]);
}

#[test]
fn transactions_local_read_and_remote_write() {
    let p = DevPrimary::start(Options::default());
    seed(&p);
    let c = replica_client(&p, Some("sqld"));
    // Read transaction: a stable snapshot while the primary moves on.
    let tx = block_on(c.transaction(T, TxMode::Read)).unwrap();
    p.execute(&["INSERT INTO t(name) VALUES ('during')"]);
    block_on(c.sync(T)).unwrap();
    let count = |c: &Client, tx| block_on(c.tx_execute(T, tx, &Statement::new("SELECT count(*) FROM t"))).unwrap().rows;
    assert_eq!(count(&c, tx), vec![vec![Value::Integer(3)]]);
    let err = block_on(c.tx_execute(T, tx, &Statement::new("DELETE FROM t"))).unwrap_err();
    assert_eq!(err.code(), "SQLITE_READONLY");
    block_on(c.tx_commit(T, tx)).unwrap();
    assert!(c.transaction_closed(tx));
    assert_eq!(exec(&c, "SELECT count(*) FROM t").rows, vec![vec![Value::Integer(4)]]);

    // Write transaction on the primary: rollback leaves nothing, commit is read back.
    let tx = block_on(c.transaction(T, TxMode::Write)).unwrap();
    block_on(c.tx_execute(T, tx, &Statement::new("INSERT INTO t(name) VALUES ('rolled back')"))).unwrap();
    let inside = block_on(c.tx_execute(T, tx, &Statement::new("SELECT count(*) FROM t"))).unwrap();
    assert_eq!(inside.rows, vec![vec![Value::Integer(5)]]);
    block_on(c.tx_rollback(T, tx)).unwrap();
    let tx = block_on(c.transaction(T, TxMode::Write)).unwrap();
    block_on(c.tx_execute(T, tx, &Statement::new("INSERT INTO t(name) VALUES ('committed')"))).unwrap();
    block_on(c.tx_commit(T, tx)).unwrap();
    let names = exec(&c, "SELECT name FROM t WHERE name IN ('rolled back', 'committed')").rows;
    assert_eq!(names, vec![vec![Value::Text("committed".into())]]);
    let err = block_on(c.tx_execute(T, tx, &Statement::new("SELECT 1"))).unwrap_err();
    assert_eq!(err.code(), "TRANSACTION_CLOSED");
    let replica_side_matches = exec(&c, "SELECT count(*) FROM t").rows;
    assert_eq!(replica_side_matches, vec![vec![Value::Integer(5)]]);
}

#[test]
fn auto_detection_picks_http_sync_or_sqld_and_remote_only_mode_works() {
    let http = DevPrimary::start(Options { http_sync: true, ..Default::default() });
    seed(&http);
    let c = replica_client(&http, None);
    exec(&c, "SELECT 1");
    assert!(matches!(c.position(), Some(Position::Http { .. })), "{:?}", c.position());
    block_on(c.execute(T, &Statement::new("INSERT INTO t(name) VALUES ('via http sync')"))).unwrap();
    assert_eq!(exec(&c, "SELECT count(*) FROM t").rows, vec![vec![Value::Integer(4)]]);

    let sqld = DevPrimary::start(Options::default());
    seed(&sqld);
    let c = replica_client(&sqld, None);
    exec(&c, "SELECT 1");
    assert!(matches!(c.position(), Some(Position::Sqld { .. })), "{:?}", c.position());

    let remote = Client::new(&ClientConfig { url: sqld.url.clone(), ..Default::default() }).unwrap();
    assert_eq!(remote.protocol(), "http");
    assert_eq!(exec(&remote, "SELECT count(*) FROM t").rows, vec![vec![Value::Integer(3)]]);
    assert_eq!(block_on(remote.sync(T)).unwrap_err().code(), "SYNC_NOT_SUPPORTED");
    remote.close();
    assert_eq!(block_on(remote.execute(T, &Statement::new("SELECT 1"))).unwrap_err().code(), "CLIENT_CLOSED");
}

#[test]
fn replica_of_client_matches_primary_after_mixed_workload() {
    let p = DevPrimary::start(Options::default());
    seed(&p);
    let c = replica_client(&p, Some("sqld"));
    for i in 0..20 {
        block_on(c.execute(
            T,
            &stmt(
                "INSERT INTO t(name, score) VALUES (?, ?)",
                vec![Value::Text(format!("n{i}")), Value::Real(i as f64)],
            ),
        ))
        .unwrap();
    }
    block_on(c.execute_multiple(T, "CREATE INDEX t_score ON t(score); UPDATE t SET score = score * 2;")).unwrap();
    let rows = exec(&c, "SELECT sum(score) FROM t").rows;
    assert_eq!(rows, vec![vec![Value::Real(2.0 * (7.5 + 190.0))]]);
    let mut replica = libsql_edge::Replica::open(Default::default()).unwrap();
    let target = libsql_edge::sync::SyncTarget::new(&p.url, None, 5000);
    let io = libsql_edge::sync::Io::new(T, &target);
    block_on(libsql_edge::sync::sync(&mut replica, &mut libsql_edge::sync::sqld::Sqld::new(), &io, None)).unwrap();
    assert_replica_matches(&mut replica, &p);
}

#[test]
fn over_budget_database_is_read_from_the_primary() {
    let p = DevPrimary::start(Options::default());
    seed(&p);
    p.execute(&["CREATE TABLE big (b BLOB)", "INSERT INTO big SELECT randomblob(4000) FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 200) SELECT v FROM s)"]);
    let c = Client::new(&ClientConfig {
        url: ":memory:".into(),
        sync_url: Some(p.url.clone()),
        sync_protocol: Some("sqld".into()),
        memory_budget_bytes: Some(64 * 1024),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(exec(&c, "SELECT count(*) FROM big").rows, vec![vec![Value::Integer(200)]]);
    // The replica stopped at its last whole transaction within budget: the seed, not the blobs.
    assert!(c.memory_bytes() > 0 && c.memory_bytes() <= 64 * 1024, "{} bytes held", c.memory_bytes());
    assert!(c.position().is_some());
    block_on(c.execute(T, &Statement::new("INSERT INTO t(name) VALUES ('still works')"))).unwrap();
    assert_eq!(exec(&c, "SELECT count(*) FROM t").rows, vec![vec![Value::Integer(4)]]);
    assert_eq!(block_on(c.sync(T)).unwrap_err().code(), "REPLICA_MEMORY_BUDGET");
}

/// Fails every replication request while `broken` is set (fault injection only); Hrana passes.
struct BrokenSync {
    broken: std::cell::Cell<bool>,
}

impl libsql_edge::transport::Transport for BrokenSync {
    fn send(
        &self,
        request: libsql_edge::transport::Request,
    ) -> libsql_edge::transport::BoxFuture<
        '_,
        Result<libsql_edge::transport::Response, libsql_edge::transport::TransportError>,
    > {
        if self.broken.get() && request.url.contains("wal_log") {
            let error = libsql_edge::transport::TransportError::Network("replication unreachable".into());
            return Box::pin(std::future::ready(Err(error)));
        }
        NativeTransport.send(request)
    }

    fn sleep(&self, _ms: u32) -> libsql_edge::transport::BoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }

    fn now_ms(&self) -> f64 {
        NativeTransport.now_ms()
    }
}

#[test]
fn a_write_whose_catch_up_fails_stays_visible_through_the_primary() {
    let p = DevPrimary::start(Options::default());
    seed(&p);
    let c = replica_client(&p, Some("sqld"));
    let t = BrokenSync { broken: std::cell::Cell::new(false) };
    assert_eq!(
        block_on(c.execute(&t, &Statement::new("SELECT count(*) FROM t"))).unwrap().rows,
        vec![vec![Value::Integer(3)]]
    );
    t.broken.set(true);
    // The write commits on the primary; its catch-up fails, but the write is not reported failed.
    block_on(c.execute(&t, &Statement::new("INSERT INTO t(name) VALUES ('committed')"))).unwrap();
    let count = |t: &BrokenSync| block_on(c.execute(t, &Statement::new("SELECT count(*) FROM t"))).unwrap().rows;
    assert_eq!(count(&t), vec![vec![Value::Integer(4)]], "read-your-writes holds through the primary");
    assert_eq!(block_on(c.sync(&t)).unwrap_err().code(), "SYNC_NETWORK");
    t.broken.set(false);
    block_on(c.sync(&t)).unwrap();
    let Some(Position::Sqld { frame_no, .. }) = c.position() else { panic!() };
    assert_eq!(Some(frame_no.0), p.primary.replication_index());
    assert_eq!(count(&t), vec![vec![Value::Integer(4)]], "served by the replica again");
}

#[test]
fn a_write_during_another_callers_read_transaction_is_still_read_back() {
    let p = DevPrimary::start(Options::default());
    seed(&p);
    let c = replica_client(&p, Some("sqld"));
    let tx = block_on(c.transaction(T, TxMode::Read)).unwrap();
    block_on(c.execute(T, &Statement::new("INSERT INTO t(name) VALUES ('mine')"))).unwrap();
    // The snapshot of the open read transaction holds the new pages back; the write is read back.
    assert_eq!(exec(&c, "SELECT count(*) FROM t").rows, vec![vec![Value::Integer(4)]]);
    let inside = block_on(c.tx_execute(T, tx, &Statement::new("SELECT count(*) FROM t"))).unwrap();
    assert_eq!(inside.rows, vec![vec![Value::Integer(3)]], "the transaction keeps its snapshot");
    block_on(c.tx_commit(T, tx)).unwrap();
    assert_eq!(exec(&c, "SELECT count(*) FROM t").rows, vec![vec![Value::Integer(4)]]);
}

#[test]
fn a_sync_url_that_is_no_libsql_primary_gets_one_error_naming_what_was_tried() {
    for (status, body) in [("404 Not Found", "<h1>not here</h1>"), ("200 OK", "<html>a web site</html>")] {
        let url = http::plain_server(status, body);
        let c = Client::new(&ClientConfig {
            url: "file:test.db".into(),
            sync_url: Some(url),
            auth_token: Some("secret-token-xyz".into()),
            ..Default::default()
        })
        .unwrap();
        for _ in 0..2 {
            let e = block_on(c.sync(T)).unwrap_err();
            let message = e.to_string();
            assert_eq!(e.code(), "SYNC_NOT_A_PRIMARY", "{status}: {message}");
            for tried in ["GET /info", "Hello", "Turso Sync"] {
                assert!(message.contains(tried), "{status}: {message}");
            }
            assert!(!message.contains("secret-token-xyz"), "{message}");
        }
    }
}
