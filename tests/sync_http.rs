//! Turso Cloud HTTP sync (`/info`, `/export`, `/sync`) end to end against the dev primary on a
//! real loopback listener: bootstrap from an export, catch-up in large batches, and a new
//! generation after the primary checkpoints.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/primary.rs"]
mod primary;

use libsql_edge::protocol::{Generation, Position};
use libsql_edge::sync::http_sync::HttpSync;
use libsql_edge::sync::{sync, Io, SyncStats, SyncTarget};
use libsql_edge::transport::native::{block_on, NativeTransport};
use libsql_edge::transport::{BoxFuture, Request, Response, Transport, TransportError};
use libsql_edge::{Replica, ReplicaConfig};
use primary::{assert_replica_matches, DevPrimary, Options};

fn sync_http(replica: &mut Replica, url: &str) -> SyncStats {
    let target = SyncTarget::new(url, None, 10_000);
    let io = Io::new(&NativeTransport, &target);
    block_on(sync(replica, &mut HttpSync::new(), &io, None)).unwrap()
}

fn generation(replica: &Replica) -> u32 {
    match replica.position() {
        Some(Position::Http { generation: Generation(g), .. }) => g,
        other => panic!("position {other:?}"),
    }
}

fn insert(p: &DevPrimary, n: usize, tag: &str) {
    p.execute(&[
        "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT, data BLOB)",
        &format!(
            "INSERT INTO items(name, data) SELECT '{tag} ' || v, randomblob(v % 900) \
             FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < {n}) SELECT v FROM s)"
        ),
    ]);
}

#[test]
fn export_bootstrap_then_sync_batches_then_new_generation() {
    let p = DevPrimary::start(Options { http_sync: true, ..Default::default() });
    insert(&p, 3000, "first");
    let mut replica = Replica::open(ReplicaConfig::default()).unwrap();
    let stats = sync_http(&mut replica, &p.url);
    // /info + /export + one /sync that finds the end of the generation (or frames, then the end).
    assert!(stats.round_trips <= 5, "{stats:?}");
    assert_replica_matches(&mut replica, &p);
    let g = generation(&replica);

    insert(&p, 2000, "second");
    p.execute(&["UPDATE items SET name = upper(name) WHERE id % 7 = 0", "CREATE INDEX items_name ON items(name)"]);
    let stats = sync_http(&mut replica, &p.url);
    assert!(stats.frames_synced > 0, "{stats:?}");
    assert_replica_matches(&mut replica, &p);

    // The primary checkpoints: a new generation; the replica bootstraps from its export.
    assert!(p.primary.checkpoint_now().unwrap(), "checkpoint did not complete");
    insert(&p, 100, "third");
    sync_http(&mut replica, &p.url);
    assert!(generation(&replica) > g, "generation stayed {g}");
    assert_replica_matches(&mut replica, &p);

    let stats = sync_http(&mut replica, &p.url);
    assert_eq!(stats.frames_synced, 0, "{stats:?}");
}

#[test]
fn database_past_50_mb_bootstraps_from_one_export() {
    let p = DevPrimary::start(Options { http_sync: true, ..Default::default() });
    p.execute(&["CREATE TABLE big (id INTEGER PRIMARY KEY, data BLOB)"]);
    for _ in 0..13 {
        p.execute(&["INSERT INTO big(data) SELECT randomblob(4000) FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 1000) SELECT v FROM s)"]);
    }
    let mut replica = Replica::open(ReplicaConfig { memory_budget_bytes: 96 << 20, ..Default::default() }).unwrap();
    let stats = sync_http(&mut replica, &p.url);
    assert!(replica.memory_bytes() > 50_000_000, "{}", replica.memory_bytes());
    // /info, /export, then /sync until the end of the generation: a handful, not one per frame.
    assert!(stats.round_trips <= 20, "{stats:?}");
    assert_replica_matches(&mut replica, &p);
}

/// Checkpoints the primary just before the first `/export` reaches it, so the generation `/info`
/// named has ended (the race a busy primary runs); fault injection only.
struct CheckpointBeforeExport<'a> {
    primary: &'a DevPrimary,
    done: std::cell::Cell<bool>,
}

impl Transport for CheckpointBeforeExport<'_> {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        if request.url.contains("/export/") && !self.done.replace(true) {
            insert(self.primary, 10, "racing");
            assert!(self.primary.primary.checkpoint_now().unwrap(), "checkpoint did not complete");
        }
        NativeTransport.send(request)
    }

    fn sleep(&self, ms: u32) -> BoxFuture<'_, ()> {
        NativeTransport.sleep(ms)
    }

    fn now_ms(&self) -> f64 {
        NativeTransport.now_ms()
    }
}

#[test]
fn a_generation_that_ends_between_info_and_export_is_asked_for_again() {
    let p = DevPrimary::start(Options { http_sync: true, ..Default::default() });
    insert(&p, 300, "first");
    let transport = CheckpointBeforeExport { primary: &p, done: std::cell::Cell::new(false) };
    let target = SyncTarget::new(&p.url, None, 10_000);
    let io = Io::new(&transport, &target);
    let mut replica = Replica::open(ReplicaConfig::default()).unwrap();
    block_on(sync(&mut replica, &mut HttpSync::new(), &io, None)).unwrap();
    assert!(transport.done.get(), "no /export was sent");
    assert_replica_matches(&mut replica, &p);
}
