//! Partial replicas through `Client`, against a real `tursodb --sync-server` (0.7.0): a database
//! more than 8x the replica's budget answers point selects, index lookups, range scans and joins
//! like the primary while the replica never holds more than its budget; a table whose rows always
//! sum to a constant keeps that sum on the replica while a writer moves amounts between its rows
//! (pages arrive at different times, also inside a read transaction); a page source that fails or
//! answers for another revision sends the read to the primary, never a wrong answer. Native only:
//! it runs a server process.
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/tursodb.rs"]
mod tursodb;

use std::cell::Cell;

use libsql_edge::protocol::pull_updates::{decode_request, decode_response, encode_response, PageData};
use libsql_edge::transport::native::{block_on, NativeTransport};
use libsql_edge::transport::{Body, BoxFuture, Request, Response, Transport, TransportError};
use libsql_edge::{Client, ClientConfig, Statement, TxMode, Value};
use tursodb::TursoDb;

const ITEMS: i64 = 8_000;

/// About 9 MB: 8,000 items of 900 random bytes, an index, and 2,000 owners to join.
fn seed(db: &TursoDb) {
    db.batch(&[
        "CREATE TABLE items (id INTEGER PRIMARY KEY, k INTEGER, name TEXT, b BLOB)",
        "CREATE INDEX items_k ON items (k)",
        "CREATE TABLE owners (id INTEGER PRIMARY KEY, item INTEGER, who TEXT)",
    ]);
    for start in (1..=ITEMS).step_by(400) {
        let rows: Vec<String> = (start..start + 400)
            .map(|i| format!("({i}, {}, 'item {i}', randomblob(900))", (i * 7919) % 1000))
            .collect();
        db.execute(&format!("INSERT INTO items (id, k, name, b) VALUES {}", rows.join(",")));
    }
    let owners: Vec<String> = (1..=2000).map(|i| format!("({i}, {}, 'owner {i}')", (i * 37) % ITEMS + 1)).collect();
    db.execute(&format!("INSERT INTO owners (id, item, who) VALUES {}", owners.join(",")));
}

fn client(db: &TursoDb, budget: u64) -> Client {
    let config = ClientConfig {
        url: "file:partial.db".into(),
        sync_url: Some(db.url()),
        partial: Some("true".into()),
        memory_budget_bytes: Some(budget),
        ..Default::default()
    };
    Client::new(&config).unwrap()
}

fn rows(c: &Client, t: &dyn Transport, sql: &str) -> Vec<Vec<Value>> {
    block_on(c.execute(t, &Statement::new(sql))).unwrap_or_else(|e| panic!("{sql}: {e}")).rows
}

/// A fixed pseudo-random sequence (no clock, no seed from the environment).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: i64) -> i64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as i64
    }
}

#[test]
fn a_database_8x_the_budget_answers_like_the_primary_within_the_budget() {
    let db = TursoDb::start();
    seed(&db);
    let budget = 1 << 20;
    let c = client(&db, budget);
    let t = NativeTransport;
    let mut rng = Lcg(7);
    let mut queries = Vec::new();
    for _ in 0..40 {
        let id = rng.below(ITEMS) + 1;
        queries.push(format!("SELECT id, k, name, hex(b) FROM items WHERE id = {id}"));
        queries.push(format!("SELECT id, name FROM items WHERE k = {} ORDER BY id", rng.below(1000)));
        queries.push(format!("SELECT id, length(b) FROM items WHERE id BETWEEN {id} AND {} ORDER BY id", id + 60));
        let owner = rng.below(1900) + 1;
        queries.push(format!(
            "SELECT o.who, i.name, hex(substr(i.b, 1, 8)) FROM owners o JOIN items i ON i.id = o.item \
             WHERE o.id BETWEEN {owner} AND {} ORDER BY o.id",
            owner + 20
        ));
    }
    queries.push("SELECT count(*), sum(k) FROM items".into());
    for q in &queries {
        assert_eq!(rows(&c, &t, q), db.execute(q), "{q}");
        let stats = c.stats(0.0);
        assert!(stats.memory_bytes <= budget, "{} > {budget} after {q}", stats.memory_bytes);
    }
    let size = db.execute("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()");
    let stats = c.stats(0.0);
    let p = &stats.partial;
    eprintln!("database {size:?} bytes, budget {budget}: {p:?}, reads {:?}", stats.counters.reads_remote);
    assert_eq!(p.mode, "pull-updates");
    assert!(p.misses > 0 && p.fetches > 0 && p.evictions > 0, "{p:?}");
    assert!(stats.counters.reads_local as usize >= queries.len() * 9 / 10, "{:?}", stats.counters);
    // The whole table does not fit: a scan of every row goes to the primary, with its reason.
    let scan = "SELECT count(*), sum(length(b)) FROM items";
    assert_eq!(rows(&c, &t, scan), db.execute(scan));
    assert!(c.stats(0.0).counters.remote_by_reason().any(|(r, n)| r.as_str() == "workingSet" && n > 0));
}

fn total(c: &Client, t: &dyn Transport) -> Value {
    rows(c, t, "SELECT sum(bal) FROM acct").remove(0).remove(0)
}

#[test]
fn a_constant_sum_stays_constant_while_pages_arrive_at_different_times() {
    let db = TursoDb::start();
    seed(&db);
    db.execute("CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER, pad BLOB)");
    let rows_sql: Vec<String> = (1..=150).map(|i| format!("({i}, 100, randomblob(300))")).collect();
    db.execute(&format!("INSERT INTO acct VALUES {}", rows_sql.join(",")));
    let c = client(&db, 24 * 4096);
    let t = NativeTransport;
    let mut rng = Lcg(11);
    let expected = Value::Integer(15_000);
    for step in 0..30 {
        let (a, b, n) = (rng.below(150) + 1, rng.below(150) + 1, rng.below(50) + 1);
        db.batch(&[
            "BEGIN",
            &format!("UPDATE acct SET bal = bal - {n} WHERE id = {a}"),
            &format!("UPDATE acct SET bal = bal + {n} WHERE id = {b}"),
            "COMMIT",
        ]);
        if step % 3 == 0 {
            block_on(c.sync(&t)).unwrap();
        }
        // Other reads evict some of the table's pages between sums.
        let id = rng.below(ITEMS) + 1;
        rows(&c, &t, &format!("SELECT name FROM items WHERE id BETWEEN {id} AND {}", id + 60));
        assert_eq!(total(&c, &t), expected, "step {step}");
    }
    // A page fetched after the primary moved on is fetched at the replica's revision.
    block_on(c.sync(&t)).unwrap();
    let seen = rows(&c, &t, "SELECT bal FROM acct WHERE id = 75");
    db.batch(&[
        "BEGIN",
        "UPDATE acct SET bal = bal + 5 WHERE id = 75",
        "UPDATE acct SET bal = bal - 5 WHERE id = 76",
        "COMMIT",
    ]);
    for id in (1..ITEMS).step_by(500) {
        rows(&c, &t, &format!("SELECT name FROM items WHERE id BETWEEN {id} AND {}", id + 60));
    }
    let misses = c.stats(0.0).partial.misses;
    assert_eq!(rows(&c, &t, "SELECT bal FROM acct WHERE id = 75"), seen);
    assert!(c.stats(0.0).partial.misses > misses, "the row's page was evicted and fetched again");
    // Inside a read transaction: the snapshot holds while the primary and the replica move on,
    // and pages fetched for it are fetched at its position.
    let tx = block_on(c.transaction(&t, TxMode::Read)).unwrap();
    let before = block_on(c.tx_execute(&t, tx, &Statement::new("SELECT bal FROM acct WHERE id = 1"))).unwrap().rows;
    db.execute("UPDATE acct SET bal = bal + 1000 WHERE id = 1");
    block_on(c.sync(&t)).unwrap();
    for id in (1..ITEMS).step_by(700) {
        rows(&c, &t, &format!("SELECT name FROM items WHERE id BETWEEN {id} AND {}", id + 40));
    }
    let sum = block_on(c.tx_execute(&t, tx, &Statement::new("SELECT sum(bal) FROM acct"))).unwrap().rows;
    let again = block_on(c.tx_execute(&t, tx, &Statement::new("SELECT bal FROM acct WHERE id = 1"))).unwrap().rows;
    assert_eq!((sum[0][0].clone(), again), (expected, before));
    block_on(c.tx_commit(&t, tx)).unwrap();
    assert_eq!(total(&c, &t), Value::Integer(16_000), "after the transaction, the write is visible");
    // Only the reads that ran while the transaction pinned an older snapshot went to the primary.
    let counters = c.stats(0.0).counters;
    assert!(counters.remote_by_reason().all(|(r, n)| n == 0 || r.as_str() == "pinned"), "{counters:?}");
}

/// What `BadSource` does to page fetches (`/pull-updates` with a revision and a selector).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Bad {
    /// HTTP 500.
    Fails,
    /// The answer names another revision.
    OtherRevision,
    /// The answer carries a page that was not asked for.
    ExtraPage,
    /// The answer lacks the pages asked for.
    NoPages,
}

/// Fault injection: damages every page fetch; syncs pass through.
struct BadSource {
    bad: Bad,
    damaged: Cell<u32>,
}

impl Transport for BadSource {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        Box::pin(async move {
            let fetch = request.url.ends_with("/pull-updates")
                && decode_request(&request.body)
                    .is_ok_and(|r| !r.server_revision.is_empty() && !r.server_pages_selector.is_empty());
            let mut response = NativeTransport.send(request).await?;
            if !fetch {
                return Ok(response);
            }
            self.damaged.set(self.damaged.get() + 1);
            let body = response.body.read_capped(usize::MAX, None).await.unwrap();
            let mut answer = decode_response(&body).unwrap();
            match self.bad {
                Bad::Fails => {
                    response.status = 500;
                    response.headers.clear();
                    response.body = Body::from_bytes(b"Internal Server Error: injected".to_vec());
                    return Ok(response);
                }
                Bad::OtherRevision => answer.header.server_revision = "1".into(),
                Bad::ExtraPage => answer.pages.push(PageData { page_id: 99_999, encoded_page: vec![0; 4096] }),
                Bad::NoPages => answer.pages.clear(),
            }
            let body = encode_response(&answer.header, &answer.pages);
            response.headers.retain(|(n, _)| !n.eq_ignore_ascii_case("content-length"));
            response.headers.push(("content-length".into(), body.len().to_string()));
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
fn a_bad_page_source_sends_reads_to_the_primary_never_a_wrong_answer() {
    let db = TursoDb::start();
    seed(&db);
    for bad in [Bad::Fails, Bad::OtherRevision, Bad::ExtraPage, Bad::NoPages] {
        let c = client(&db, 1 << 20);
        let t = BadSource { bad, damaged: Cell::new(0) };
        for id in [5, 4000, 7999] {
            let q = format!("SELECT id, name, hex(b) FROM items WHERE id = {id}");
            assert_eq!(rows(&c, &t, &q), db.execute(&q), "{bad:?}: {q}");
        }
        let stats = c.stats(0.0);
        assert!(t.damaged.get() > 0, "{bad:?}: no fetch was damaged");
        assert_eq!(stats.counters.reads_local, 0, "{bad:?}: {:?}", stats.counters);
        assert!(stats.partial.fetch_failures > 0, "{bad:?}: {:?}", stats.partial);
        assert!(stats.counters.remote_by_reason().any(|(r, n)| r.as_str() == "pageSource" && n == 3), "{bad:?}");
        // Inside a read transaction the primary cannot answer at the snapshot: a clear error.
        let tx = block_on(c.transaction(&t, TxMode::Read)).unwrap();
        let err =
            block_on(c.tx_execute(&t, tx, &Statement::new("SELECT name FROM items WHERE id = 6000"))).unwrap_err();
        assert_eq!(err.code(), "REPLICA_PAGE_SOURCE", "{bad:?}: {err}");
        block_on(c.tx_commit(&t, tx)).unwrap();
    }
}
