//! The sqld protocol (gRPC-Web `wal_log.ReplicationLog`) end to end against the dev primary on a
//! real loopback listener: bootstrap, catch-up, schema changes, a concurrent writer, a database past
//! 50 MB, restarts, a new log_id, NEED_SNAPSHOT, and injected faults.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/primary.rs"]
mod primary;

use std::cell::Cell;

use libsql_edge::protocol::{FrameNo, Position};
use libsql_edge::sync::sqld::Sqld;
use libsql_edge::sync::{sync, Io, SyncStats, SyncTarget};
use libsql_edge::transport::native::{block_on, NativeTransport};
use libsql_edge::transport::{Body, BodyStream, BoxFuture, Request, Response, Transport, TransportError};
use libsql_edge::{Replica, ReplicaConfig};
use primary::{assert_replica_matches, DevPrimary, Options};

fn sync_with(
    replica: &mut Replica,
    proto: &mut Sqld,
    transport: &dyn Transport,
    url: &str,
) -> libsql_edge::Result<SyncStats> {
    let target = SyncTarget::new(url, None, 10_000);
    let io = Io::new(transport, &target);
    block_on(sync(replica, proto, &io, None))
}

fn sync_native(replica: &mut Replica, proto: &mut Sqld, url: &str) -> SyncStats {
    sync_with(replica, proto, &NativeTransport, url).unwrap()
}

/// Syncs and returns the gRPC methods called, in order.
fn sync_recording(replica: &mut Replica, proto: &mut Sqld, url: &str) -> Vec<String> {
    let recorder = Recording { inner: NativeTransport, calls: Default::default() };
    sync_with(replica, proto, &recorder, url).unwrap();
    recorder.calls.take()
}

/// Records the path of every request (observation only; responses pass through untouched).
struct Recording {
    inner: NativeTransport,
    calls: std::cell::RefCell<Vec<String>>,
}

impl Transport for Recording {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        let method = request.url.rsplit('/').next().unwrap_or_default().to_string();
        self.calls.borrow_mut().push(method);
        self.inner.send(request)
    }

    fn sleep(&self, ms: u32) -> BoxFuture<'_, ()> {
        self.inner.sleep(ms)
    }

    fn now_ms(&self) -> f64 {
        self.inner.now_ms()
    }
}

fn seed(p: &DevPrimary, rows: usize) {
    p.execute(&[
        "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, data BLOB)",
        &format!(
            "INSERT INTO items(name, price, data) SELECT 'item ' || value, value * 0.5, randomblob(value % 50) \
             FROM (WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < {rows}) SELECT value FROM s)"
        ),
    ]);
}

fn frame_no(replica: &Replica) -> u64 {
    match replica.position() {
        Some(Position::Sqld { frame_no: FrameNo(n), .. }) => n,
        other => panic!("position {other:?}"),
    }
}

#[test]
fn bootstrap_catch_up_and_schema_changes_match_the_primary() {
    let p = DevPrimary::start(Options::default());
    seed(&p, 2000);
    let mut replica = Replica::open(ReplicaConfig::default()).unwrap();
    let mut proto = Sqld::new();
    let stats = sync_native(&mut replica, &mut proto, &p.url);
    assert!(stats.round_trips <= 4, "cold sync took {} round trips", stats.round_trips);
    assert_eq!(stats.position, replica.position());
    assert_eq!(Some(frame_no(&replica)), p.primary.replication_index());
    assert_replica_matches(&mut replica, &p);

    // Incremental: small writes, then schema changes, each followed by a sync.
    p.execute(&["UPDATE items SET price = -price WHERE id % 3 = 0", "DELETE FROM items WHERE id % 10 = 0"]);
    let stats = sync_native(&mut replica, &mut proto, &p.url);
    assert!(stats.frames_synced > 0 && stats.round_trips <= 3, "{stats:?}");
    assert_replica_matches(&mut replica, &p);
    for ddl in [
        "CREATE INDEX items_name ON items(name)",
        "ALTER TABLE items ADD COLUMN extra DEFAULT 'x'",
        "CREATE TABLE t2(a)",
        "DROP TABLE t2",
    ] {
        p.execute(&[ddl]);
        sync_native(&mut replica, &mut proto, &p.url);
        assert_replica_matches(&mut replica, &p);
    }
    let plan = replica.query("SELECT id FROM items INDEXED BY items_name WHERE name = 'item 5'", &[]).unwrap();
    assert_eq!(plan.rows.len(), 1);

    // Up to date: one empty batch.
    let stats = sync_native(&mut replica, &mut proto, &p.url);
    assert_eq!((stats.frames_synced, stats.round_trips), (0, 1), "{stats:?}");
}

#[test]
fn concurrent_writer_during_catch_up_ends_consistent() {
    let p = DevPrimary::start(Options::default());
    seed(&p, 500);
    let mut replica = Replica::open(ReplicaConfig::default()).unwrap();
    let mut proto = Sqld::new();
    let url = p.url.clone();
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            for i in 0..60 {
                p.execute(&[&format!("INSERT INTO items(name, data) VALUES ('w{i}', randomblob(3000))")]);
            }
        });
        while !writer.is_finished() {
            sync_native(&mut replica, &mut proto, &url);
            let check = replica.query("PRAGMA integrity_check", &[]).unwrap();
            assert_eq!(check.rows[0][0], libsql_edge::Value::Text("ok".into()));
        }
    });
    sync_native(&mut replica, &mut proto, &p.url);
    assert_replica_matches(&mut replica, &p);
}

#[test]
fn database_past_50_mb_bootstraps_in_a_handful_of_round_trips() {
    let p = DevPrimary::start(Options::default());
    p.execute(&["CREATE TABLE big (id INTEGER PRIMARY KEY, data BLOB)"]);
    for _ in 0..13 {
        p.execute(&["INSERT INTO big(data) SELECT randomblob(4000) FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 1000) SELECT v FROM s)"]);
    }
    let mut replica = Replica::open(ReplicaConfig { memory_budget_bytes: 96 << 20, ..Default::default() }).unwrap();
    let mut proto = Sqld::new();
    let stats = sync_native(&mut replica, &mut proto, &p.url);
    assert!(replica.memory_bytes() > 50_000_000, "{}", replica.memory_bytes());
    let frames = p.primary.replication_index().unwrap() + 1;
    assert!(stats.round_trips as u64 <= frames / 1024 + 4, "{} round trips for {frames} frames", stats.round_trips);
    assert_replica_matches(&mut replica, &p);
}

#[test]
fn restart_new_session_token_and_new_log_id_are_handled() {
    let p = DevPrimary::start(Options::default());
    seed(&p, 300);
    let mut replica = Replica::open(ReplicaConfig::default()).unwrap();
    let mut proto = Sqld::new();
    sync_native(&mut replica, &mut proto, &p.url);
    let Some(Position::Sqld { log_id: first_log, .. }) = replica.position() else { panic!() };

    // Clean restart: same log_id, a new session token; the old token gets NO_HELLO.
    let p = p.restart(|_| {});
    p.execute(&["INSERT INTO items(name) VALUES ('after restart')"]);
    let calls = sync_recording(&mut replica, &mut proto, &p.url);
    assert_eq!(calls[..3], ["BatchLogEntries", "Hello", "BatchLogEntries"], "the stale token must get NO_HELLO");
    assert_replica_matches(&mut replica, &p);
    let Some(Position::Sqld { log_id, .. }) = replica.position() else { panic!() };
    assert_eq!(log_id, first_log);

    // The log is lost: the primary starts a new log_id with a full dump; the replica starts over.
    let p = p.restart(|dir| {
        let log =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).find(|p| p.to_string_lossy().contains("wallog"));
        std::fs::remove_file(log.expect("a wallog file in the data dir")).unwrap();
    });
    p.execute(&["DELETE FROM items WHERE id > 100"]);
    sync_native(&mut replica, &mut proto, &p.url);
    let Some(Position::Sqld { log_id, .. }) = replica.position() else { panic!() };
    assert_ne!(log_id, first_log);
    assert_replica_matches(&mut replica, &p);
}

/// A dev primary whose log was compacted, so a replica starting from frame 0 gets NEED_SNAPSHOT.
fn compacted_primary() -> DevPrimary {
    let p = DevPrimary::start(Options { max_log_size: Some(64 * 1024), ..Default::default() });
    for i in 0..8 {
        p.execute(&[
            "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, data BLOB)",
            &format!("INSERT INTO items(name, data) SELECT 'batch {i}', randomblob(2000) FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 40) SELECT v FROM s)"),
        ]);
    }
    p
}

#[test]
fn need_snapshot_after_compaction_is_served_by_snapshot() {
    let p = compacted_primary();
    let mut replica = Replica::open(ReplicaConfig::default()).unwrap();
    let mut proto = Sqld::new();
    let calls = sync_recording(&mut replica, &mut proto, &p.url);
    assert!(calls.iter().any(|c| c == "Snapshot"), "no Snapshot call: {calls:?}");
    assert_replica_matches(&mut replica, &p);
    p.execute(&["UPDATE items SET name = 'changed' WHERE id % 2 = 0"]);
    sync_native(&mut replica, &mut proto, &p.url);
    assert_replica_matches(&mut replica, &p);
}

/// Sends the first `Snapshot` call with a session token the primary never issued, as after a
/// restart between `BatchLogEntries` and `Snapshot` (fault injection only).
struct StaleSnapshotToken {
    inner: NativeTransport,
    forged: Cell<bool>,
}

impl Transport for StaleSnapshotToken {
    fn send(&self, mut request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        if request.url.ends_with("/Snapshot") && !self.forged.replace(true) {
            for (name, value) in &mut request.headers {
                if name == "x-session-token" {
                    *value = "forgotten-by-a-restart".into();
                }
            }
        }
        self.inner.send(request)
    }

    fn sleep(&self, ms: u32) -> BoxFuture<'_, ()> {
        self.inner.sleep(ms)
    }

    fn now_ms(&self) -> f64 {
        self.inner.now_ms()
    }
}

#[test]
fn a_session_lost_before_snapshot_handshakes_again_within_the_pull() {
    let p = compacted_primary();
    let transport = StaleSnapshotToken { inner: NativeTransport, forged: Cell::new(false) };
    let target = SyncTarget::new(&p.url, None, 10_000);
    let io = Io::new(&transport, &target);
    let mut replica = Replica::open(ReplicaConfig::default()).unwrap();
    block_on(sync(&mut replica, &mut Sqld::new(), &io, None)).unwrap();
    assert!(transport.forged.get(), "no Snapshot call was made");
    assert_replica_matches(&mut replica, &p);
}

/// How a fault damages a response.
type Fault<'a> = &'a dyn Fn(Response) -> Result<Response, TransportError>;

/// A transport that damages chosen responses (fault injection only).
struct Faulty<'a> {
    inner: NativeTransport,
    calls: Cell<u32>,
    fault_at: u32,
    fault: Fault<'a>,
}

impl Transport for Faulty<'_> {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        let n = self.calls.get() + 1;
        self.calls.set(n);
        let is_batch = request.url.ends_with("BatchLogEntries");
        Box::pin(async move {
            let response = self.inner.send(request).await?;
            if is_batch && n >= self.fault_at && n < self.fault_at + 6 {
                (self.fault)(response)
            } else {
                Ok(response)
            }
        })
    }

    fn sleep(&self, _ms: u32) -> BoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }

    fn now_ms(&self) -> f64 {
        self.inner.now_ms()
    }
}

/// The whole body of `r` (fault injection reads it to damage it).
fn body_of(r: &mut Response) -> Vec<u8> {
    block_on(r.body.read_capped(usize::MAX, None)).unwrap()
}

/// A body that hands out `bytes` and then fails as a dropped connection does.
struct BreaksAfter(Option<Vec<u8>>);

impl BodyStream for BreaksAfter {
    fn next_chunk(&mut self) -> BoxFuture<'_, Result<Option<Vec<u8>>, TransportError>> {
        let chunk = self.0.take().ok_or_else(|| TransportError::Network("connection reset mid-body".into()));
        Box::pin(std::future::ready(chunk.map(Some)))
    }
}

#[test]
fn faults_mid_sync_leave_the_replica_consistent_and_the_next_sync_completes() {
    let truncate = |mut r: Response| {
        let mut body = body_of(&mut r);
        body.truncate(body.len() / 2);
        r.body = Body::from_bytes(body);
        Ok(r)
    };
    let corrupt = |mut r: Response| {
        let mut body = body_of(&mut r);
        if body.len() > 5000 {
            body[3000] ^= 0x55;
        }
        r.body = Body::from_bytes(body);
        Ok(r)
    };
    let server_error = |mut r: Response| {
        r.status = 500;
        r.body = Body::from_bytes(b"boom".to_vec());
        Ok(r)
    };
    let drop_connection = |_r: Response| Err(TransportError::Network("connection reset".into()));
    let drop_mid_body = |mut r: Response| {
        let mut body = body_of(&mut r);
        body.truncate(body.len() / 2);
        r.body = Body::new(BreaksAfter(Some(body)));
        Ok(r)
    };
    let faults: [(&str, Fault, &str); 5] = [
        ("truncated body", &truncate, "SYNC_INVALID_RESPONSE"),
        ("corrupted page", &corrupt, "SYNC_CHECKSUM_MISMATCH"),
        ("500", &server_error, "SYNC_SERVER_ERROR"),
        ("dropped connection", &drop_connection, "SYNC_NETWORK"),
        ("connection dropped mid-body", &drop_mid_body, "SYNC_NETWORK"),
    ];
    for (name, fault, code) in faults {
        let p = DevPrimary::start(Options::default());
        seed(&p, 300);
        let mut replica = Replica::open(ReplicaConfig::default()).unwrap();
        let mut proto = Sqld::new();
        sync_native(&mut replica, &mut proto, &p.url);
        let before = (replica.position(), replica.export());
        seed(&p, 3000);
        let faulty = Faulty { inner: NativeTransport, calls: Cell::new(0), fault_at: 1, fault };
        let err = sync_with(&mut replica, &mut proto, &faulty, &p.url).unwrap_err();
        assert_eq!(err.code(), code, "{name}: {err}");
        assert_eq!((replica.position(), replica.export()), before, "{name}: replica changed");
        sync_native(&mut replica, &mut proto, &p.url);
        assert_replica_matches(&mut replica, &p);
    }
}
