//! End-to-end `/pull-updates` sync against a real `tursodb --sync-server` (0.7.0): bootstrap,
//! incremental catch-up, schema changes, up-to-date pulls, a concurrent writer, a database past
//! 50 MB, a server reset, and injected faults. After every step the replica must answer like the
//! primary, pass `PRAGMA integrity_check`, and (where checked) hold the same pages as a fresh
//! bootstrap. Native only: it runs a server process.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/http.rs"]
mod http;
#[path = "common/tursodb.rs"]
mod tursodb;

use std::cell::Cell;
use std::time::Instant;

use libsql_edge::protocol::{Position, Revision};
use libsql_edge::replica::PATCHED_RANGES;
use libsql_edge::sync::pull_updates::PullUpdates;
use libsql_edge::sync::{sync, Io, SyncStats, SyncTarget};
use libsql_edge::transport::native::{block_on, NativeTransport};
use libsql_edge::transport::{Body, BoxFuture, Request, Response, Transport, TransportError};
use libsql_edge::{Replica, ReplicaConfig, Value};
use tursodb::TursoDb;

/// Pulls from `db` until up to date through `transport`.
fn sync_via(replica: &mut Replica, db: &TursoDb, transport: &dyn Transport) -> libsql_edge::Result<SyncStats> {
    let target = SyncTarget::new(&db.url(), None, 60_000);
    let io = Io::new(transport, &target);
    block_on(sync(replica, &mut PullUpdates::new(), &io, None))
}

fn sync_ok(replica: &mut Replica, db: &TursoDb) -> SyncStats {
    sync_via(replica, db, &NativeTransport).unwrap()
}

fn revision(stats: &SyncStats) -> &str {
    match &stats.position {
        Some(Position::Revision(Revision(r))) => r,
        other => panic!("not a revision: {other:?}"),
    }
}

/// The replica answers `queries` like the primary and SQLite finds it intact.
fn assert_matches(replica: &mut Replica, db: &TursoDb, queries: &[&str]) {
    for q in queries {
        assert_eq!(replica.query(q, &[]).unwrap().rows, db.execute(q), "{q}");
    }
    let check = replica.query("PRAGMA integrity_check", &[]).unwrap();
    assert_eq!(check.rows, vec![vec![Value::Text("ok".into())]]);
}

/// `image` without the header bytes each replica sets itself.
fn masked(replica: &Replica) -> Vec<u8> {
    let mut image = replica.export();
    for r in PATCHED_RANGES {
        if image.len() >= r.end {
            image[r].fill(0);
        }
    }
    image
}

/// A replica built step by step holds exactly the pages of a fresh bootstrap at the same revision.
fn assert_same_as_fresh_bootstrap(replica: &Replica, db: &TursoDb) {
    let mut fresh = Replica::open(big_config()).unwrap();
    sync_ok(&mut fresh, db);
    assert_eq!(fresh.position(), replica.position(), "the primary moved during the check");
    let (ours, theirs) = (masked(replica), masked(&fresh));
    assert_eq!(ours.len(), theirs.len(), "database sizes differ");
    if let Some(i) = ours.iter().zip(&theirs).position(|(a, b)| a != b) {
        panic!("page bytes differ at offset {i} (page {})", i / 4096 + 1);
    }
}

fn big_config() -> ReplicaConfig {
    ReplicaConfig { memory_budget_bytes: 256 << 20, ..ReplicaConfig::default() }
}

const SCHEMA: &str = "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name";

#[test]
fn pull_updates_bootstrap_catch_up_and_schema_changes_match_primary() {
    let db = TursoDb::start();
    let mut replica = Replica::open(ReplicaConfig::default()).unwrap();

    // An empty primary: a bootstrap to an empty database, then up to date.
    let stats = sync_ok(&mut replica, &db);
    assert_eq!((stats.round_trips, stats.frames_synced), (2, 0), "{stats:?}");
    assert_matches(&mut replica, &db, &[SCHEMA]);

    db.batch(&[
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, data BLOB)",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, item_id INTEGER, tag TEXT NOT NULL UNIQUE)",
    ]);
    let values: Vec<String> =
        (1..=300).map(|n| format!("('item {n} ünï', {}, randomblob({}))", n as f64 * 0.25, n % 50)).collect();
    db.execute(&format!("INSERT INTO items(name, price, data) VALUES {}", values.join(",")));
    db.execute("INSERT INTO tags(item_id, tag) SELECT id, 'tag-' || id FROM items WHERE id <= 100");
    let queries = [SCHEMA, "SELECT * FROM items ORDER BY id", "SELECT * FROM tags ORDER BY id"];
    let before = sync_ok(&mut replica, &db);
    assert_eq!(before.round_trips, 2, "one pull and one up-to-date check: {before:?}");
    assert_matches(&mut replica, &db, &queries);

    // Incremental: a few rows touch a few pages, not the whole database.
    db.execute_args("INSERT INTO items(name, price) VALUES (?, ?)", &[Value::Text("single".into()), Value::Null]);
    db.execute("UPDATE items SET price = -price WHERE id % 3 = 0");
    db.execute("DELETE FROM items WHERE id = 7");
    let stats = sync_ok(&mut replica, &db);
    assert_eq!(stats.round_trips, 2);
    assert!(stats.frames_synced > 0 && stats.frames_synced < replica.shape().db_size_pages as u64, "{stats:?}");
    assert_ne!(revision(&stats), revision(&before));
    assert_matches(&mut replica, &db, &queries);

    // Up to date: one request, nothing applied, same position.
    let again = sync_ok(&mut replica, &db);
    assert_eq!((again.round_trips, again.frames_synced, again.pages_applied), (1, 0, 0));
    assert_eq!(again.position, stats.position);
    assert!(again.bytes_received < 32, "header only: {again:?}");

    // Schema changes, each synced and compared.
    let steps: [&[&str]; 5] = [
        &["CREATE INDEX items_name ON items(name)"],
        &["ALTER TABLE items ADD COLUMN extra", "UPDATE items SET extra = id * 2 WHERE id < 50"],
        &["DROP TABLE tags"],
        &["DELETE FROM items WHERE id > 150"],
        &["CREATE TABLE later (k TEXT PRIMARY KEY, v)", "INSERT INTO later VALUES ('a', 1), ('b', x'00ff')"],
    ];
    for step in steps {
        db.batch(step);
        sync_ok(&mut replica, &db);
        assert_matches(&mut replica, &db, &[SCHEMA, "SELECT * FROM items ORDER BY id"]);
    }
    assert_matches(
        &mut replica,
        &db,
        &["SELECT * FROM later ORDER BY k", "SELECT name FROM items INDEXED BY items_name"],
    );
    assert_same_as_fresh_bootstrap(&replica, &db);
}

#[test]
fn pull_updates_cold_bootstrap_is_one_round_trip_plus_up_to_date_check() {
    let db = TursoDb::start();
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
    for _ in 0..4 {
        let rows = vec!["(randomblob(1000))"; 200].join(",");
        db.execute(&format!("INSERT INTO t(v) VALUES {rows}"));
    }
    let mut replica = Replica::open(ReplicaConfig::default()).unwrap();
    let stats = sync_ok(&mut replica, &db);
    let pages = replica.shape().db_size_pages as u64;
    assert_eq!(stats.round_trips, 2, "{stats:?}");
    assert_eq!(stats.frames_synced, pages, "every page once");
    assert_eq!(stats.pages_applied, pages);
    // 4096 bytes per page plus 5 to 8 bytes of framing, plus two small headers.
    assert!(stats.bytes_received >= pages * 4101 && stats.bytes_received <= pages * 4104 + 64, "{stats:?}");
    assert_matches(&mut replica, &db, &["SELECT id, hex(v) FROM t ORDER BY id"]);
}

#[test]
fn pull_updates_concurrent_writer_between_pulls_converges() {
    let db = TursoDb::start();
    db.execute("CREATE TABLE log (id INTEGER PRIMARY KEY, writer INTEGER, payload BLOB)");
    let mut replica = Replica::open(ReplicaConfig::default()).unwrap();
    sync_ok(&mut replica, &db);
    let url = db.url();
    let writer = std::thread::spawn(move || {
        for i in 0..120 {
            let body = format!(
                r#"{{"requests":[{{"type":"execute","stmt":{{"sql":"INSERT INTO log(writer, payload) VALUES ({i}, randomblob({}))"}}}}]}}"#,
                (i * 97) % 3000
            );
            let r = ureq::post(&format!("{url}/v2/pipeline")).send_string(&body).unwrap();
            assert!(r.into_string().unwrap().contains(r#""type":"ok""#));
        }
    });
    let mut syncs = 0;
    let mut positions = Vec::new();
    while !writer.is_finished() {
        let stats = sync_ok(&mut replica, &db);
        positions.push(stats.position.clone());
        syncs += 1;
        // Whatever was applied is a consistent database.
        let check = replica.query("PRAGMA integrity_check", &[]).unwrap();
        assert_eq!(check.rows, vec![vec![Value::Text("ok".into())]]);
    }
    writer.join().unwrap();
    sync_ok(&mut replica, &db);
    assert!(syncs >= 2, "the writer was too fast to overlap ({syncs} syncs)");
    assert_matches(&mut replica, &db, &["SELECT id, writer, hex(payload) FROM log ORDER BY id"]);
    assert_eq!(db.execute("SELECT count(*) FROM log"), vec![vec![Value::Integer(120)]]);
    assert_same_as_fresh_bootstrap(&replica, &db);
}

/// Inserts `rows` rows of `len` random bytes in statements of 500 rows.
fn insert_blobs(db: &TursoDb, rows: usize, len: usize) {
    let mut left = rows;
    while left > 0 {
        let n = left.min(500);
        let values = vec![format!("(randomblob({len}))"); n].join(",");
        db.execute(&format!("INSERT INTO big(v) VALUES {values}"));
        left -= n;
    }
}

#[test]
fn pull_updates_database_past_50_mb_bootstraps_and_catches_up() {
    const BIG: &[&str] =
        &["SELECT count(*), sum(length(v)) FROM big", "SELECT id, hex(substr(v, 1, 12)) FROM big ORDER BY id"];
    let db = TursoDb::start();
    db.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, v BLOB)");
    // 3900-byte blobs fit one 4096-byte page each (no overflow pages): 13,000 rows ≈ 53 MB.
    insert_blobs(&db, 6_500, 3_900);
    let mut replica = Replica::open(big_config()).unwrap();
    sync_ok(&mut replica, &db);
    insert_blobs(&db, 6_500, 3_900);
    db.execute("UPDATE big SET v = randomblob(3900) WHERE id % 1000 = 0");
    let catch_up = sync_ok(&mut replica, &db);
    assert_matches(&mut replica, &db, BIG);
    let size = replica.shape().bytes();
    assert!(size > 50_000_000, "{size} bytes");
    assert!(catch_up.frames_synced < replica.shape().db_size_pages as u64, "incremental: {catch_up:?}");

    let started = Instant::now();
    let mut cold = Replica::open(big_config()).unwrap();
    let stats = sync_ok(&mut cold, &db);
    let elapsed = started.elapsed();
    eprintln!(
        "cold bootstrap of {size} bytes ({} pages): {:.0} ms wall, {} bytes received, {} round trips; \
         catch-up of 6,500 rows: {} pages, {} bytes, {:.0} ms",
        stats.frames_synced,
        elapsed.as_secs_f64() * 1e3,
        stats.bytes_received,
        stats.round_trips,
        catch_up.frames_synced,
        catch_up.bytes_received,
        catch_up.duration_ms
    );
    assert_eq!(stats.round_trips, 2, "{stats:?}");
    assert_eq!(stats.frames_synced, cold.shape().db_size_pages as u64);
    assert_eq!(masked(&cold), masked(&replica), "bootstrap and catch-up give the same pages");
    assert_matches(&mut cold, &db, BIG);
}

#[test]
fn pull_updates_server_reset_rebootstraps() {
    let first = TursoDb::start();
    first.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    for i in 0..20 {
        first.execute(&format!("INSERT INTO t(v) VALUES ('first {i}')"));
    }
    let mut replica = Replica::open(ReplicaConfig::default()).unwrap();
    let old = sync_ok(&mut replica, &first);
    drop(first);

    // A new database behind a (new) URL, with a shorter history: its head is below our revision.
    let second = TursoDb::start();
    second.batch(&["CREATE TABLE other (k TEXT)", "INSERT INTO other VALUES ('second')"]);
    let stats = sync_ok(&mut replica, &second);
    let (old_rev, new_rev) = (revision(&old).parse::<u64>().unwrap(), revision(&stats).parse::<u64>().unwrap());
    assert!(new_rev < old_rev, "{new_rev} < {old_rev}");
    assert_eq!(stats.round_trips, 3, "stale pull, bootstrap, up-to-date check: {stats:?}");
    assert_matches(&mut replica, &second, &[SCHEMA, "SELECT * FROM other"]);
    assert!(replica.query("SELECT * FROM t", &[]).is_err(), "the old table is gone");
}

/// What `Faulty` does to the one response it damages.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Cut the body in the middle of a page; keep the headers (`Content-Length` then disagrees).
    TruncateKeepLength,
    /// Cut the body in the middle of a page and drop `Content-Length` (as a proxy might).
    TruncateNoLength,
    /// Replace the response with an HTTP 500.
    Status500,
}

/// Fault injection: passes requests to the real transport and damages the first `/pull-updates`
/// response that carries pages.
struct Faulty {
    fault: Fault,
    done: Cell<bool>,
}

impl Transport for Faulty {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        Box::pin(async move {
            let mut response = NativeTransport.send(request).await?;
            if self.done.get() {
                return Ok(response);
            }
            let mut body = response.body.read_capped(usize::MAX, None).await.unwrap();
            if body.len() < 8192 {
                response.body = Body::from_bytes(body);
                return Ok(response);
            }
            self.done.set(true);
            match self.fault {
                Fault::TruncateKeepLength => body.truncate(body.len() - 1000),
                Fault::TruncateNoLength => {
                    body.truncate(body.len() - 1000);
                    response.headers.retain(|(n, _)| !n.eq_ignore_ascii_case("content-length"));
                }
                Fault::Status500 => {
                    response.status = 500;
                    response.headers.clear();
                    body = b"Internal Server Error: injected".to_vec();
                }
            }
            response.body = Body::from_bytes(body);
            Ok(response)
        })
    }

    fn sleep(&self, ms: u32) -> BoxFuture<'_, ()> {
        NativeTransport.sleep(ms)
    }

    fn now_ms(&self) -> f64 {
        NativeTransport.now_ms()
    }
}

#[test]
fn pull_updates_fault_keeps_last_good_position_and_next_sync_recovers() {
    let db = TursoDb::start();
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
    let queries = ["SELECT id, hex(v) FROM t ORDER BY id"];
    let mut replica = Replica::open(ReplicaConfig::default()).unwrap();
    // The first fault hits the bootstrap itself; the replica stays empty.
    db.execute(&format!("INSERT INTO t(v) VALUES {}", vec!["(randomblob(2000))"; 50].join(",")));
    let faulty = Faulty { fault: Fault::TruncateNoLength, done: Cell::new(false) };
    assert_eq!(sync_via(&mut replica, &db, &faulty).unwrap_err().code(), "SYNC_INVALID_RESPONSE");
    assert_eq!(replica.position(), None);
    sync_ok(&mut replica, &db);
    assert_matches(&mut replica, &db, &queries);

    // A single 500 is retried with backoff within the same sync, which then succeeds.
    db.execute(&format!("INSERT INTO t(v) VALUES {}", ["(randomblob(3000))"; 10].join(",")));
    let faulty = Faulty { fault: Fault::Status500, done: Cell::new(false) };
    let stats = sync_via(&mut replica, &db, &faulty).unwrap();
    assert!(faulty.done.get() && stats.round_trips >= 3, "{stats:?}");
    assert_matches(&mut replica, &db, &queries);

    for (fault, code) in
        [(Fault::TruncateKeepLength, "SYNC_INVALID_RESPONSE"), (Fault::TruncateNoLength, "SYNC_INVALID_RESPONSE")]
    {
        let good = replica.position();
        let rows_before = replica.query(queries[0], &[]).unwrap();
        db.execute(&format!("INSERT INTO t(v) VALUES {}", vec!["(randomblob(3000))"; 30].join(",")));
        db.execute("UPDATE t SET v = randomblob(100) WHERE id % 5 = 0");
        let faulty = Faulty { fault, done: Cell::new(false) };
        let err = sync_via(&mut replica, &db, &faulty).unwrap_err();
        assert_eq!(err.code(), code, "{fault:?}: {err}");
        assert!(faulty.done.get());
        assert_eq!(replica.position(), good, "{fault:?}");
        assert_eq!(replica.query(queries[0], &[]).unwrap(), rows_before, "{fault:?}: the old state is intact");
        sync_ok(&mut replica, &db);
        assert_matches(&mut replica, &db, &queries);
    }
    assert_same_as_fresh_bootstrap(&replica, &db);
}

#[test]
fn pull_updates_probe_recognises_tursodb_cheaply_and_rejects_404() {
    let db = TursoDb::start();
    db.execute("CREATE TABLE t (v BLOB)");
    db.execute(&format!("INSERT INTO t VALUES {}", vec!["(randomblob(3000))"; 40].join(",")));
    let target = SyncTarget::new(&db.url(), None, 10_000);
    let io = Io::new(&NativeTransport, &target);
    let revision = block_on(libsql_edge::sync::pull_updates::probe(&io)).unwrap();
    let mut replica = Replica::open(ReplicaConfig::default()).unwrap();
    let stats = sync_ok(&mut replica, &db);
    assert_eq!(revision.map(|r| r.0).as_deref(), Some(self::revision(&stats)));
    assert_eq!(io.counters().round_trips, 1);
    assert!(io.counters().bytes_received < 64, "header only: {:?}", io.counters());

    // A server without the endpoint (sqld and the HTTP-sync servers answer 404).
    let url = http::plain_server("404 Not Found", "");
    let target = SyncTarget::new(&url, None, 10_000);
    let io = Io::new(&NativeTransport, &target);
    assert_eq!(block_on(libsql_edge::sync::pull_updates::probe(&io)).unwrap(), None);
}
