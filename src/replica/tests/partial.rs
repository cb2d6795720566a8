//! Partial replicas: reads of missing pages fail with the pages named (never zeros), fills at the
//! replica's position make the read succeed, also inside a read transaction; eviction keeps a
//! replica, and the replicas of one pool, within budget; commits evict pages they change but do
//! not carry.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::sync::Arc;

use super::*;

const PAGE: usize = 4096;

/// A replica at `position` that holds only page 1 of `image`.
fn partial_of(image: &[u8], position: Position, budget: u64, pool: Option<Arc<MemoryPool>>) -> Replica {
    let config = ReplicaConfig { memory_budget_bytes: budget, pool, ..ReplicaConfig::default() };
    let mut r = Replica::open(config).unwrap();
    assert!(r.set_residency(Residency::Partial { pin_applied: false }));
    let page1 = Page { pgno: 1, data: image[..PAGE].to_vec() };
    let db_size_pages = (image.len() / PAGE) as u32;
    r.apply(CommittedPages { replace: true, position, db_size_pages, pages: vec![page1], dropped: vec![] }).unwrap();
    r
}

fn page_of(image: &[u8], pgno: u32) -> (u32, Vec<u8>) {
    let at = (pgno as usize - 1) * PAGE;
    (pgno, image[at..at + PAGE].to_vec())
}

/// Runs `sql`, fetching missing pages from `image` until it succeeds; returns the rows and the
/// rounds it took.
fn query_filling(r: &mut Replica, image: &[u8], sql: &str) -> (Rows, usize) {
    for round in 0..10_000 {
        match r.query(sql, &[]) {
            Ok(rows) => return (rows, round),
            Err(Error::PagesMissing { pages }) => {
                let at = r.position().unwrap();
                let fetched = pages.iter().map(|&p| page_of(image, p)).collect();
                assert!(r.fill(&at, fetched, &pages).unwrap() > 0, "a fill makes progress");
            }
            Err(e) => panic!("{sql}: {e}"),
        }
    }
    panic!("{sql}: no progress");
}

fn big_source() -> Source {
    let mut source = Source::new(PAGE);
    source.commit("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB)");
    source.commit("INSERT INTO t(v, b) SELECT 'row' || value, randomblob(300) FROM generate_series(1, 4000)");
    source.commit("CREATE INDEX t_v ON t(v)");
    source
}

#[test]
fn a_missing_page_is_named_never_read_as_zeros_and_a_fill_answers() {
    let mut source = big_source();
    let image = source.image();
    let mut r = partial_of(&image, Source::position(3), 64 << 20, None);
    let sql = "SELECT count(*), sum(length(b)), max(v) FROM t";
    match r.query(sql, &[]) {
        Err(Error::PagesMissing { pages }) => assert!(!pages.is_empty() && !pages.contains(&1)),
        other => panic!("expected missing pages, got {other:?}"),
    }
    let (rows, rounds) = query_filling(&mut r, &image, sql);
    assert_eq!(rows, source.rows(sql));
    assert!(rounds > 1);
    let (counters, resident, _) = r.page_counters();
    assert!(counters.misses >= rounds as u64 && counters.filled as usize == resident - 1);
    // Once held, the pages answer without misses.
    let (_, rounds) = query_filling(&mut r, &image, sql);
    assert_eq!(rounds, 0);
}

#[test]
fn a_miss_inside_a_read_transaction_ends_only_the_statement() {
    let mut source = big_source();
    let image = source.image();
    let mut r = partial_of(&image, Source::position(3), 64 << 20, None);
    query_filling(&mut r, &image, "SELECT count(*) FROM sqlite_schema");
    r.query("BEGIN", &[]).unwrap();
    let sql = "SELECT v FROM t WHERE id = 3999";
    assert!(matches!(r.query(sql, &[]), Err(Error::PagesMissing { .. })));
    assert!(r.in_read_transaction(), "the transaction survives the miss");
    let (rows, _) = query_filling(&mut r, &image, sql);
    assert_eq!(rows, source.rows(sql));
    r.query("COMMIT", &[]).unwrap();
}

#[test]
fn eviction_keeps_a_replica_within_budget_and_answers_stay_right() {
    let mut source = big_source();
    let image = source.image();
    let budget = 48 * PAGE as u64;
    let mut r = partial_of(&image, Source::position(3), budget, None);
    for id in (1..4000).step_by(29) {
        let sql = format!("SELECT id, v, length(b) FROM t WHERE id = {id}");
        let (rows, _) = query_filling(&mut r, &image, &sql);
        assert_eq!(rows, source.rows(&sql));
        assert!(r.memory_bytes() <= budget, "{} > {budget}", r.memory_bytes());
    }
    let (counters, _, pinned) = r.page_counters();
    assert!(counters.evicted > 0);
    assert_eq!(pinned, PAGE as u64, "only page 1 is pinned");
}

#[test]
fn replicas_of_one_pool_share_its_budget() {
    let pool = MemoryPool::new(Some(64 * PAGE as u64));
    let mut source = big_source();
    let image = source.image();
    let mut a = partial_of(&image, Source::position(3), 1 << 30, Some(pool.clone()));
    let mut b = partial_of(&image, Source::position(3), 1 << 30, Some(pool.clone()));
    for id in (1..4000).step_by(131) {
        for r in [&mut a, &mut b] {
            let sql = format!("SELECT v FROM t WHERE id = {id}");
            assert_eq!(query_filling(r, &image, &sql).0, source.rows(&sql));
            assert!(pool.used() <= 64 * PAGE as u64, "{}", pool.used());
        }
    }
    let evicted = a.page_counters().0.evicted + b.page_counters().0.evicted;
    assert!(evicted > 0);
    assert_eq!(pool.used(), a.memory_bytes() + b.memory_bytes());
    drop(a);
    assert_eq!(pool.used(), b.memory_bytes(), "a dropped replica gives its pages back");
}

#[test]
fn a_commit_evicts_held_pages_it_changed_but_did_not_carry() {
    let mut source = big_source();
    let image = source.image();
    let mut r = partial_of(&image, Source::position(3), 64 << 20, None);
    let sql = "SELECT sum(length(v)) FROM t";
    query_filling(&mut r, &image, sql);
    let mut commit = source.commit("UPDATE t SET v = v || 'x'");
    // Carry page 1 only; every other changed page is dropped, as a pull does for pages it does not keep.
    commit.dropped = commit.pages.iter().map(|p| p.pgno).filter(|&p| p != 1).collect();
    commit.pages.retain(|p| p.pgno == 1);
    r.apply(commit).unwrap();
    let image = source.image();
    let (rows, rounds) = query_filling(&mut r, &image, sql);
    assert_eq!(rows, source.rows(sql), "no stale page answers");
    assert!(rounds > 0);
}

#[test]
fn a_stale_fill_is_ignored() {
    let mut source = big_source();
    let image = source.image();
    let mut r = partial_of(&image, Source::position(3), 64 << 20, None);
    let stale = Source::position(2);
    assert_eq!(r.fill(&stale, vec![page_of(&image, 2)], &[2]).unwrap(), 0);
    assert!(!r.holds(2));
    assert_eq!(r.fill(&Source::position(3), vec![page_of(&image, 2)], &[2]).unwrap(), 1);
    assert!(r.holds(2));
}
