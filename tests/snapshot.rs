//! The snapshot tier end to end against the dev primary on a real loopback listener, with an
//! in-memory store: a client publishes, a new client starts from the snapshot and pulls only the
//! tail; damaged, missing, foreign and stale snapshots fall back to the primary with the right rows;
//! racing publishers leave a manifest whose chunks all verify.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/primary.rs"]
mod primary;

use std::rc::Rc;

use libsql_edge::protocol::snapshot::{chunk_key, manifest_key, Manifest};
use libsql_edge::sync::bookmark::database_id;
use libsql_edge::sync::snapshot::{self, MemoryStore, SnapshotStore};
use libsql_edge::transport::native::{block_on, NativeTransport};
use libsql_edge::{Client, ClientConfig, Statement, Value};
use primary::{assert_replica_matches, DevPrimary, Options};

const T: &NativeTransport = &NativeTransport;

fn client(p: &DevPrimary, protocol: &str, store: &Rc<MemoryStore>) -> Client {
    let c = Client::new(&ClientConfig {
        url: "file:snap.db".into(),
        sync_url: Some(p.url.clone()),
        sync_protocol: Some(protocol.into()),
        ..Default::default()
    })
    .unwrap();
    c.engine().unwrap().set_snapshot_store(store.clone(), database_id(&p.url), 60_000.0);
    c
}

fn count(c: &Client, table: &str) -> i64 {
    match block_on(c.execute(T, &Statement::new(format!("SELECT count(*) FROM {table}")))).unwrap().rows[0][0] {
        Value::Integer(n) => n,
        ref v => panic!("{v:?}"),
    }
}

/// ~2 MB in 20 transactions.
fn seed(p: &DevPrimary) {
    p.execute(&["CREATE TABLE items (id INTEGER PRIMARY KEY, b BLOB)"]);
    for _ in 0..20 {
        p.execute(&["INSERT INTO items(b) SELECT randomblob(1000) FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 100) SELECT v FROM s)"]);
    }
}

/// Bootstraps a client from the primary and runs the publish it queued.
fn publish(p: &DevPrimary, protocol: &str, store: &Rc<MemoryStore>) -> Client {
    let a = client(p, protocol, store);
    count(&a, "items");
    assert_eq!(a.stats(0.0).counters.bootstrap_source, Some("primary"));
    assert_eq!(block_on(a.engine().unwrap().run_queued(T)), 1, "one publish queued");
    assert_eq!(a.stats(0.0).counters.snapshots_published, 1);
    a
}

fn manifest(p: &DevPrimary, store: &MemoryStore) -> Manifest {
    Manifest::decode(&store.object(&manifest_key(database_id(&p.url))).expect("a manifest")).unwrap()
}

#[test]
fn a_new_replica_starts_from_the_snapshot_and_pulls_only_the_tail() {
    for protocol in ["sqld", "http-sync"] {
        let p = DevPrimary::start(Options { http_sync: true, ..Default::default() });
        seed(&p);
        let store = Rc::new(MemoryStore::default());
        let a = publish(&p, protocol, &store);
        let full = a.stats(0.0).counters.bytes_pulled;
        p.execute(&["INSERT INTO items(b) VALUES (x'01')"]);
        let b = client(&p, protocol, &store);
        assert_eq!(count(&b, "items"), 2001, "{protocol}");
        let stats = b.stats(0.0).counters;
        assert_eq!(stats.bootstrap_source, Some("snapshot"), "{protocol}: {:?}", stats.last_snapshot_miss);
        assert!(
            stats.bytes_pulled * 10 < full,
            "{protocol}: pulled {} bytes from the primary, a bootstrap is {full}",
            stats.bytes_pulled
        );
        assert!(stats.bytes_from_snapshot > 1_000_000);
        assert_replica_matches(&mut b.engine().unwrap().replica().borrow_mut(), &p);
        // Fresh enough: no second publish.
        assert_eq!(block_on(b.engine().unwrap().run_queued(T)), 0);
    }
}

#[test]
fn damaged_missing_and_foreign_snapshots_fall_back_to_the_primary() {
    let p = DevPrimary::start(Options::default());
    seed(&p);
    let store = Rc::new(MemoryStore::default());
    publish(&p, "sqld", &store);
    let db = database_id(&p.url);
    let good = manifest(&p, &store);
    let first_chunk = chunk_key(db, &good.chunks[0]);
    type Damage<'a> = Box<dyn Fn(&MemoryStore) + 'a>;
    let damage: [(&str, Damage); 4] = [
        (
            "a corrupted chunk",
            Box::new(|s: &MemoryStore| {
                let mut bytes = s.object(&first_chunk).unwrap();
                bytes[5000] ^= 1;
                s.set(&first_chunk, Some(bytes));
            }),
        ),
        ("a missing chunk", Box::new(|s: &MemoryStore| s.set(&first_chunk, None))),
        (
            "a manifest of another database",
            Box::new(|s: &MemoryStore| {
                let mut m = good.clone();
                m.database ^= 1;
                s.set(&manifest_key(db), Some(m.encode()));
            }),
        ),
        ("a damaged manifest", Box::new(|s: &MemoryStore| s.set(&manifest_key(db), Some(b"LESM garbage".to_vec())))),
    ];
    for (what, damage) in damage {
        let store = Rc::new(MemoryStore::default());
        publish(&p, "sqld", &store);
        damage(&store);
        let c = client(&p, "sqld", &store);
        assert_eq!(count(&c, "items"), 2000, "{what}");
        let stats = c.stats(0.0).counters;
        assert_eq!(stats.bootstrap_source, Some("primary"), "{what}");
        assert!(stats.last_snapshot_miss.is_some(), "{what}");
        assert_replica_matches(&mut c.engine().unwrap().replica().borrow_mut(), &p);
    }
}

#[test]
fn a_snapshot_of_a_generation_the_primary_no_longer_serves_falls_back() {
    let p = DevPrimary::start(Options { http_sync: true, checkpoint_frames: Some(64), ..Default::default() });
    seed(&p);
    let store = Rc::new(MemoryStore::default());
    publish(&p, "http-sync", &store);
    let old = manifest(&p, &store);
    // Enough writes for new generations: the snapshot's generation is history.
    for _ in 0..5 {
        p.execute(&["INSERT INTO items(b) SELECT randomblob(3000) FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 40) SELECT v FROM s)"]);
    }
    let c = client(&p, "http-sync", &store);
    assert_eq!(count(&c, "items"), 2200);
    assert_ne!(c.position().map(|p| p.to_string()), Some(old.position.to_string()));
    assert_replica_matches(&mut c.engine().unwrap().replica().borrow_mut(), &p);
}

#[test]
fn a_snapshot_whose_position_was_compacted_away_still_ends_equal_to_the_primary() {
    let p = DevPrimary::start(Options { max_log_size: Some(256 * 1024), ..Default::default() });
    seed(&p);
    let store = Rc::new(MemoryStore::default());
    publish(&p, "sqld", &store);
    for _ in 0..5 {
        p.execute(&["UPDATE items SET b = randomblob(1000) WHERE id % 3 = 0"]);
    }
    let c = client(&p, "sqld", &store);
    assert_eq!(count(&c, "items"), 2000);
    assert_replica_matches(&mut c.engine().unwrap().replica().borrow_mut(), &p);
}

/// A store whose every put yields once before it lands, so two publishes polled in turn interleave
/// their uploads (fault injection: the order of a real store's completions is not ours to choose).
#[derive(Default)]
struct Yielding(MemoryStore);

impl SnapshotStore for Yielding {
    fn get(
        &self,
        key: &str,
        max_len: u64,
    ) -> libsql_edge::transport::BoxFuture<'_, Result<Option<snapshot::Object>, snapshot::StoreError>> {
        self.0.get(key, max_len)
    }

    fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
    ) -> libsql_edge::transport::BoxFuture<'_, Result<(), snapshot::StoreError>> {
        let key = key.to_string();
        let mut yielded = false;
        Box::pin(std::future::poll_fn(move |cx| {
            if !yielded {
                yielded = true;
                cx.waker().wake_by_ref();
                return std::task::Poll::Pending;
            }
            self.0.set(&key, Some(bytes.clone()));
            std::task::Poll::Ready(Ok(()))
        }))
    }
}

#[test]
fn racing_publishers_leave_a_manifest_whose_chunks_all_verify() {
    let p = DevPrimary::start(Options::default());
    seed(&p);
    let yielding = Rc::new(Yielding::default());
    let dyn_store: Rc<dyn SnapshotStore> = yielding.clone();
    let open = || {
        let c = Client::new(&ClientConfig {
            url: "file:race.db".into(),
            sync_url: Some(p.url.clone()),
            sync_protocol: Some("sqld".into()),
            ..Default::default()
        })
        .unwrap();
        c.engine().unwrap().set_snapshot_store(dyn_store.clone(), database_id(&p.url), 60_000.0);
        c
    };
    let a = open();
    count(&a, "items");
    p.execute(&["UPDATE items SET b = randomblob(1000) WHERE id < 500"]);
    let b = open();
    count(&b, "items");
    assert_ne!(a.position(), b.position(), "two replicas at different positions");
    // Interleave the two publishes: each future polled in turn until both are done.
    let ea = a.engine().unwrap();
    let eb = b.engine().unwrap();
    block_on(async { futures_join(ea.run_queued(T), eb.run_queued(T)).await });
    assert_eq!((a.stats(0.0).counters.snapshots_published, b.stats(0.0).counters.snapshots_published), (1, 1));
    let m = manifest(&p, &yielding.0);
    let loaded =
        block_on(snapshot::load(yielding.as_ref() as &dyn SnapshotStore, database_id(&p.url), None, u64::MAX, 2));
    let loaded = loaded.expect("the manifest's chunks are all there and verify");
    assert_eq!(loaded.manifest, m);
}

/// Runs two futures to completion, alternating polls (no executor needed: the native transport's
/// futures are ready at once).
async fn futures_join<A: std::future::Future, B: std::future::Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (Box::pin(a), Box::pin(b));
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none() {
            if let std::task::Poll::Ready(v) = a.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let std::task::Poll::Ready(v) = b.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        if ra.is_some() && rb.is_some() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    (ra.unwrap(), rb.unwrap())
}
