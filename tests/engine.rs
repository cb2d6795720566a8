//! The sync engine through `Client`, against the dev primary on a real loopback listener, with an
//! injected clock (nothing here depends on wall-clock time): cold starts that never wait,
//! `maxLag` with each `onStale` policy, bookmarks across clients, one background sync in flight,
//! and the statistics that show it.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/primary.rs"]
mod primary;

use std::cell::Cell;
use std::rc::Rc;

use libsql_edge::sync::engine::{Consistency, OnStale};
use libsql_edge::transport::native::{block_on, NativeTransport};
use libsql_edge::transport::{BoxFuture, Request, Response, Transport, TransportError};
use libsql_edge::{Client, ClientConfig, Statement, Value};
use primary::{DevPrimary, Options};

/// The native transport with a clock the test moves, counting requests.
struct Clocked {
    now: Cell<f64>,
    requests: Cell<u32>,
}

impl Clocked {
    fn new() -> Clocked {
        Clocked { now: Cell::new(1_000_000.0), requests: Cell::new(0) }
    }

    fn advance(&self, ms: f64) {
        self.now.set(self.now.get() + ms);
    }
}

impl Transport for Clocked {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        self.requests.set(self.requests.get() + 1);
        if std::env::var("TRACE").is_ok() {
            eprintln!("request {} {}", self.requests.get(), request.url);
        }
        NativeTransport.send(request)
    }

    fn sleep(&self, ms: u32) -> BoxFuture<'_, ()> {
        self.advance(f64::from(ms));
        Box::pin(std::future::ready(()))
    }

    fn now_ms(&self) -> f64 {
        self.now.get()
    }
}

fn client(p: &DevPrimary, extra: impl FnOnce(&mut ClientConfig)) -> Client {
    let mut config = ClientConfig {
        url: "file:engine.db".into(),
        sync_url: Some(p.url.clone()),
        sync_protocol: Some("sqld".into()),
        ..Default::default()
    };
    extra(&mut config);
    Client::new(&config).unwrap()
}

fn count(c: &Client, t: &dyn Transport, consistency: &Consistency) -> i64 {
    let rs = block_on(c.execute_with(t, &Statement::new("SELECT count(*) FROM items"), consistency)).unwrap();
    match rs.rows[0][0] {
        Value::Integer(n) => n,
        ref v => panic!("count {v:?}"),
    }
}

fn seed(p: &DevPrimary) {
    p.execute(&[
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)",
        "INSERT INTO items(name) VALUES ('a'), ('b')",
    ]);
}

fn remote_by(c: &Client, reason: &str) -> u64 {
    let stats = c.stats(0.0);
    let n = stats.counters.remote_by_reason().find(|(r, _)| r.as_str() == reason).map_or(0, |(_, n)| n);
    n
}

#[test]
fn cold_start_remote_reads_the_primary_while_one_bootstrap_is_queued() {
    let p = DevPrimary::start(Options::default());
    seed(&p);
    let t = Clocked::new();
    let c = client(&p, |c| c.cold_start = Some("remote".into()));
    let plain = c.default_consistency();
    assert_eq!(count(&c, &t, &plain), 2, "the primary's rows");
    assert_eq!(count(&c, &t, &plain), 2);
    assert_eq!(c.position(), None, "nothing installed yet: the bootstrap waits in the queue");
    let stats = c.stats(t.now_ms());
    assert_eq!((stats.counters.syncs_joined, remote_by(&c, "cold")), (1, 2), "the second read joined");
    let engine = c.engine().unwrap();
    assert_eq!(block_on(engine.run_queued(&t)), 1, "one bootstrap, not two");
    assert!(c.position().is_some());
    // Reads are local now: a second writer's row is not seen until a sync.
    p.execute(&["INSERT INTO items(name) VALUES ('other writer')"]);
    assert_eq!(count(&c, &t, &plain), 2, "served by the replica");
    assert_eq!(c.stats(t.now_ms()).counters.reads_local, 1);
    block_on(c.sync(&t)).unwrap();
    assert_eq!(count(&c, &t, &plain), 3);
}

/// `Clocked`, noting how many background tasks had been handed to the spawner when the primary
/// answered a Hrana pipeline.
struct Watching<'a> {
    inner: &'a Clocked,
    spawned: Rc<Cell<u32>>,
    spawned_at_answer: Cell<Option<u32>>,
}

impl Transport for Watching<'_> {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        let hrana = request.url.ends_with("/pipeline");
        let response = self.inner.send(request);
        Box::pin(async move {
            let response = response.await;
            if hrana {
                self.spawned_at_answer.set(Some(self.spawned.get()));
            }
            response
        })
    }

    fn sleep(&self, ms: u32) -> BoxFuture<'_, ()> {
        self.inner.sleep(ms)
    }

    fn now_ms(&self) -> f64 {
        self.inner.now_ms()
    }
}

#[test]
fn cold_start_remote_hands_the_bootstrap_over_once_the_primary_answered() {
    let p = DevPrimary::start(Options::default());
    seed(&p);
    let t = Clocked::new();
    let c = client(&p, |c| c.cold_start = Some("remote".into()));
    let spawned = Rc::new(Cell::new(0));
    let counter = spawned.clone();
    c.engine().unwrap().set_spawner(Box::new(move |_, _| counter.set(counter.get() + 1)));
    let w = Watching { inner: &t, spawned: spawned.clone(), spawned_at_answer: Cell::new(None) };
    assert_eq!(count(&c, &w, &c.default_consistency()), 2, "the primary's rows");
    assert_eq!(w.spawned_at_answer.get(), Some(0), "the bootstrap does not compete with the first answer");
    assert_eq!(spawned.get(), 1, "handed over before the read returned");
    assert_eq!(c.stats(t.now_ms()).counters.syncs_started, 0, "the spawner did not run it");
}

#[test]
fn cold_start_wait_bootstraps_inline() {
    let p = DevPrimary::start(Options::default());
    seed(&p);
    let t = Clocked::new();
    let c = client(&p, |c| c.cold_start = Some("wait".into()));
    assert_eq!(count(&c, &t, &c.default_consistency()), 2);
    assert!(c.position().is_some(), "the first read waited for the bootstrap");
    assert_eq!(c.stats(t.now_ms()).counters.reads_local, 1);
}

/// A cold `sync()` that runs the bootstrap itself stops when the bootstrap's last answer says the
/// replica is at the head: no second round trip to hear it again (the wire cost of every cold
/// start that begins with `await client.sync()`). Detecting the protocol costs only the probes
/// that failed: the one that answered is the first step of the bootstrap.
#[test]
fn a_cold_sync_asks_for_the_head_once() {
    // sqld: Hello, the log, the empty batch after it; HTTP sync: /info, /export, the WAL frames
    // past the export, the end-of-generation reply. Detected (no `syncProtocol`): sqld also pays
    // the `/info` that found no generation.
    for (server, protocol, cold) in
        [("sqld", Some("sqld"), 3), ("http-sync", Some("http-sync"), 4), ("sqld", None, 4), ("http-sync", None, 4)]
    {
        let p = DevPrimary::start(Options { http_sync: server == "http-sync", ..Options::default() });
        seed(&p);
        let t = Clocked::new();
        let c = client(&p, |c| c.sync_protocol = protocol.map(Into::into));
        let stats = block_on(c.sync(&t)).unwrap();
        let protocol = protocol.unwrap_or("detected");
        assert_eq!(t.requests.get(), cold, "{server} {protocol}: cold {stats:?}");
        assert_eq!(count(&c, &t, &c.default_consistency()), 2, "{server} {protocol}");
        p.execute(&["INSERT INTO items(name) VALUES ('c')"]);
        let before = t.requests.get();
        block_on(c.sync(&t)).unwrap();
        assert_eq!(t.requests.get() - before, 2, "{server} {protocol}: the new frames, then the head");
        assert_eq!(count(&c, &t, &c.default_consistency()), 3, "{server} {protocol}");
    }
}

#[test]
fn max_lag_with_each_on_stale_policy_on_an_injected_clock() {
    let p = DevPrimary::start(Options::default());
    seed(&p);
    let t = Clocked::new();
    let c = client(&p, |_| {});
    let lag = |on_stale| Consistency { max_lag_ms: Some(1_000.0), on_stale, bookmark: None };
    assert_eq!(count(&c, &t, &lag(OnStale::Sync)), 2);
    p.execute(&["INSERT INTO items(name) VALUES ('c')"]);
    t.advance(999.0);
    assert_eq!(count(&c, &t, &lag(OnStale::Sync)), 2, "confirmed 999 ms ago: local, stale allowed");
    t.advance(2.0);
    assert_eq!(count(&c, &t, &lag(OnStale::Sync)), 3, "older than maxLag: pulled first");

    p.execute(&["INSERT INTO items(name) VALUES ('d')"]);
    t.advance(2_000.0);
    assert_eq!(count(&c, &t, &lag(OnStale::Serve)), 3, "serve: the replica as it is");
    assert_eq!(count(&c, &t, &lag(OnStale::Primary)), 4, "primary: read remotely");
    assert_eq!(remote_by(&c, "stale"), 1);
    let engine = c.engine().unwrap();
    assert_eq!(block_on(engine.run_queued(&t)), 1, "one background refresh for both stale reads");
    assert_eq!(count(&c, &t, &lag(OnStale::Serve)), 4, "refreshed");
}

#[test]
fn a_bookmark_from_another_client_is_seen_and_bad_ones_are_refused() {
    let p = DevPrimary::start(Options::default());
    seed(&p);
    let t = Clocked::new();
    let (a, b) = (client(&p, |_| {}), client(&p, |_| {}));
    assert_eq!(count(&b, &t, &b.default_consistency()), 2);
    let write = block_on(a.execute(&t, &Statement::new("INSERT INTO items(name) VALUES ('from a')"))).unwrap();
    let bookmark = write.bookmark.expect("a write has a bookmark");
    assert_eq!(Some(bookmark.clone()), a.bookmark());
    assert_eq!(count(&b, &t, &b.default_consistency()), 2, "b has not synced");
    let session = Consistency { bookmark: Some(b.parse_bookmark(&bookmark).unwrap()), ..Default::default() };
    assert_eq!(count(&b, &t, &session), 3, "a session with a's bookmark sees a's write");

    for bad in
        ["", "lb1.0000000000000000.cDpzcWxkOjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMC8x", "not a bookmark"]
    {
        assert_eq!(b.parse_bookmark(bad).unwrap_err().code(), "BOOKMARK_INVALID", "{bad:?}");
    }
    let other = DevPrimary::start(Options::default());
    let foreign = client(&other, |_| {});
    block_on(foreign.execute(&t, &Statement::new("CREATE TABLE x (y)"))).unwrap();
    let foreign_bookmark = foreign.bookmark().unwrap();
    assert_eq!(b.parse_bookmark(&foreign_bookmark).unwrap_err().code(), "BOOKMARK_INVALID", "another database");
}

#[test]
fn a_bookmark_of_another_history_is_refused_after_reaching_the_head() {
    let p = DevPrimary::start(Options::default());
    seed(&p);
    let t = Clocked::new();
    let c = client(&p, |_| {});
    assert_eq!(count(&c, &t, &c.default_consistency()), 2);
    // Same database (URL), another log: what a bookmark made before the primary lost its log says.
    let position = c.position().unwrap().to_string();
    let (prefix, frame) = position.rsplit_once('/').unwrap();
    let other_log = format!("sqld:00000000-0000-4000-8000-000000000001/{frame}");
    assert_ne!(prefix, other_log.rsplit_once('/').unwrap().0);
    let text = libsql_edge::sync::bookmark::Bookmark {
        database: libsql_edge::sync::bookmark::database_id(&p.url),
        target: libsql_edge::sync::bookmark::Target::At(other_log.parse().unwrap()),
    }
    .encode();
    let session = Consistency { bookmark: Some(c.parse_bookmark(&text).unwrap()), ..Default::default() };
    let err = block_on(c.execute_with(&t, &Statement::new("SELECT 1"), &session)).unwrap_err();
    assert_eq!(err.code(), "BOOKMARK_INVALID");
}

#[test]
fn read_your_writes_holds_while_cold_and_after_the_bootstrap() {
    let p = DevPrimary::start(Options { http_sync: true, ..Default::default() });
    seed(&p);
    let t = Clocked::new();
    let c = client(&p, |c| {
        c.cold_start = Some("remote".into());
        c.sync_protocol = Some("http-sync".into());
    });
    let plain = c.default_consistency();
    assert_eq!(count(&c, &t, &plain), 2);
    block_on(c.execute(&t, &Statement::new("INSERT INTO items(name) VALUES ('mine')"))).unwrap();
    assert_eq!(count(&c, &t, &plain), 3, "cold: the primary answers, with the write");
    assert_eq!(block_on(c.engine().unwrap().run_queued(&t)), 1);
    assert!(c.position().is_some(), "bootstrapped");
    assert_eq!(count(&c, &t, &plain), 3, "local now, and the write is there");
    let requests = t.requests.get();
    assert_eq!(count(&c, &t, &plain), 3);
    assert_eq!(t.requests.get(), requests, "once covered, reads are local with no request");
}

#[test]
fn stats_and_server_timing_say_where_a_call_was_served() {
    let p = DevPrimary::start(Options::default());
    seed(&p);
    let t = Clocked::new();
    let c = client(&p, |_| {});
    assert_eq!(c.server_timing(), "");
    count(&c, &t, &c.default_consistency());
    assert!(c.server_timing().starts_with("replica;dur="), "{}", c.server_timing());
    t.advance(250.0);
    let stats = c.stats(t.now_ms());
    assert_eq!(stats.protocol, Some("sqld"));
    assert_eq!(stats.lag_ms, Some(250.0));
    assert!(stats.counters.bytes_pulled > 0 && stats.counters.round_trips >= 2);
    assert_eq!(stats.counters.syncs_started, 1);
    block_on(c.execute(&t, &Statement::new("INSERT INTO items(name) VALUES ('w')"))).unwrap();
    assert!(c.server_timing().starts_with("primary;desc=\"write\""), "{}", c.server_timing());
}
