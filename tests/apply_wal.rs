//! A WAL-mode source database, its changed pages captured from the WAL at every commit and applied
//! to a replica step by step; after every step the replica must match the source. Native only: the
//! source needs a file system for its WAL.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{assert_same, WalSource};
use libsql_edge::{ApplyOutcome, Replica, ReplicaConfig, Value};

const QUERIES: &[&str] = &[
    "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name",
    "SELECT * FROM items ORDER BY id",
    "SELECT count(*), sum(length(data)), total(price) FROM items",
];

const STEPS: &[&str] = &[
    "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, data BLOB);
     CREATE TABLE tags (id INTEGER PRIMARY KEY, item_id INTEGER, tag TEXT NOT NULL UNIQUE);
     CREATE INDEX tags_item_idx ON tags(item_id);",
    "BEGIN;
     WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 300)
     INSERT INTO items(name, price, data) SELECT 'item ' || n || ' ünï', n * 1.25, randomblob(n % 24) FROM s;
     INSERT INTO tags(item_id, tag) SELECT id, 'tag-' || id FROM items WHERE id <= 100;
     COMMIT;",
    "INSERT INTO items(name, price) VALUES ('single', NULL)",
    "UPDATE items SET price = -price WHERE id % 3 = 0",
    "DELETE FROM items WHERE id = 7",
    "BEGIN;
     WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 40)
     INSERT INTO items(name, data) SELECT 'blob ' || n, zeroblob(65536) FROM s;
     COMMIT;",
    "CREATE INDEX items_name ON items(name)",
    "ALTER TABLE items ADD COLUMN extra",
    "UPDATE items SET extra = id * 2 WHERE id < 50",
    "DROP TABLE tags",
    "DELETE FROM items WHERE data IS NOT NULL AND length(data) > 1000",
    "VACUUM",
];

#[test]
fn wal_source_applied_step_by_step_matches_for_both_page_sizes() {
    for page_size in [4096, 8192] {
        let mut source = WalSource::new(page_size);
        let mut replica = Replica::open(ReplicaConfig::default()).unwrap();
        let mut max_pages = 0;
        for (i, sql) in STEPS.iter().enumerate() {
            source.conn.execute_batch(sql).unwrap();
            let txns = source.committed();
            assert!(!txns.is_empty(), "step {i} committed nothing");
            for txn in txns {
                let position = txn.position.clone();
                assert_eq!(replica.apply(txn).unwrap(), ApplyOutcome::Applied);
                assert_eq!(replica.position(), Some(position));
            }
            let queries = if i == 0 { &QUERIES[..1] } else { QUERIES };
            assert_same(&mut replica, &mut source, queries);
            max_pages = max_pages.max(replica.shape().db_size_pages);
        }
        // The last steps shrink the file: DELETE then VACUUM truncates the replica too.
        assert!(replica.shape().db_size_pages < max_pages / 4, "{:?} vs {max_pages}", replica.shape());
        assert_eq!(replica.shape().page_size, Some(page_size as u32));
    }
}

#[test]
fn uncommitted_transaction_stays_invisible_until_its_commit_arrives() {
    let mut source = WalSource::new(4096);
    let mut replica = Replica::open(ReplicaConfig::default()).unwrap();
    source.conn.execute_batch(STEPS[0]).unwrap();
    for txn in source.committed() {
        replica.apply(txn).unwrap();
    }
    // A transaction big enough to spill pages into the WAL before it commits (cache_size = 8).
    source
        .conn
        .execute_batch(
            "BEGIN; WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 2000)
             INSERT INTO items(name, data) SELECT 'pending ' || n, randomblob(500) FROM s;",
        )
        .unwrap();
    let wal_len = std::fs::metadata(source.conn.path().map(|p| format!("{p}-wal")).unwrap()).unwrap().len();
    assert!(wal_len > 100 * 4096, "the open transaction did not spill ({wal_len} bytes of WAL)");
    assert!(source.committed().is_empty(), "frames without a commit frame were delivered");
    let count = "SELECT count(*) FROM items";
    assert_eq!(replica.query(count, &[]).unwrap().rows, vec![vec![Value::Integer(0)]]);
    source.conn.execute_batch("UPDATE items SET name = 'rewritten ' || id WHERE id % 10 = 0; COMMIT;").unwrap();
    let txns = source.committed();
    assert_eq!(txns.len(), 1);
    for txn in txns {
        replica.apply(txn).unwrap();
    }
    assert_eq!(replica.query(count, &[]).unwrap().rows, vec![vec![Value::Integer(2000)]]);
    assert_same(&mut replica, &mut source, QUERIES);
}
