//! Replica tests that run on both targets: the source database is an in-memory rusqlite database
//! whose changed pages are captured after every commit by comparing serialized images.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use rusqlite::Connection;

use super::*;
use crate::protocol::Revision;

/// A source database and the image it had at its last capture.
struct Source {
    conn: Connection,
    last: Vec<u8>,
    page_size: usize,
    commits: u64,
}

impl Source {
    fn new(page_size: usize) -> Source {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!("PRAGMA page_size = {page_size}; CREATE TABLE boot(x); DROP TABLE boot;")).unwrap();
        Source { conn, last: Vec::new(), page_size, commits: 0 }
    }

    fn image(&mut self) -> Vec<u8> {
        self.conn.serialize("main").unwrap().to_vec()
    }

    fn position(n: u64) -> Position {
        Position::Revision(Revision(n.to_string()))
    }

    /// Runs `sql` and returns the pages it changed as one committed transaction.
    fn commit(&mut self, sql: &str) -> CommittedPages {
        self.conn.execute_batch(&series(sql)).unwrap();
        let image = self.image();
        let pages = image
            .chunks(self.page_size)
            .zip(1u32..)
            .filter(|(chunk, pgno)| {
                let at = (*pgno as usize - 1) * self.page_size;
                self.last.get(at..at + self.page_size) != Some(*chunk)
            })
            .map(|(chunk, pgno)| Page { pgno, data: chunk.to_vec() })
            .collect();
        let db_size_pages = (image.len() / self.page_size) as u32;
        self.last = image;
        self.commits += 1;
        CommittedPages {
            replace: false,
            position: Self::position(self.commits),
            db_size_pages,
            pages,
            dropped: Vec::new(),
        }
    }

    fn rows(&self, sql: &str) -> Rows {
        Rows::collect(&mut self.conn.prepare(sql).unwrap(), Params::default()).unwrap()
    }
}

/// Rewrites `generate_series(1, N)` (not compiled into every SQLite) as a recursive CTE.
fn series(sql: &str) -> String {
    let Some(start) = sql.find("generate_series(1, ") else {
        return sql.to_string();
    };
    let rest = &sql[start + "generate_series(1, ".len()..];
    let end = rest.find(')').unwrap();
    let cte = format!(
        "(WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < {}) SELECT value FROM s)",
        &rest[..end]
    );
    series(&format!("{}{cte}{}", &sql[..start], &rest[end + 1..]))
}

fn mask(mut image: Vec<u8>) -> Vec<u8> {
    for r in PATCHED_RANGES {
        if image.len() >= r.end {
            image[r].fill(0);
        }
    }
    image
}

fn assert_same(replica: &mut Replica, source: &mut Source, queries: &[&str]) {
    assert_eq!(mask(replica.export()), mask(source.image()), "page bytes differ");
    for q in queries {
        assert_eq!(replica.query(q, &[]).unwrap(), source.rows(q), "{q}");
    }
    assert_eq!(replica.query("PRAGMA integrity_check", &[]).unwrap().rows, vec![vec![Value::Text("ok".into())]]);
}

fn replica() -> Replica {
    Replica::open(ReplicaConfig::default()).unwrap()
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

#[test]
fn apply_step_by_step_matches_source_for_both_page_sizes() {
    for page_size in [4096, 8192] {
        let mut source = Source::new(page_size);
        let mut r = replica();
        let q = ["SELECT * FROM t ORDER BY id", "SELECT count(*), sum(length(b)) FROM t"];
        let steps = [
            "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, r REAL, b BLOB)",
            "INSERT INTO t(name, r, b) SELECT 'row' || value, value / 3.0, randomblob(value % 700) FROM generate_series(1, 500)",
            "UPDATE t SET name = upper(name) WHERE id % 7 = 0",
            "DELETE FROM t WHERE id % 5 = 0",
            "INSERT INTO t(name, b) VALUES ('big', zeroblob(100000))",
        ];
        for sql in steps {
            let committed = source.commit(sql);
            let position = committed.position.clone();
            assert_eq!(r.apply(committed).unwrap(), ApplyOutcome::Applied);
            assert_eq!(r.position(), Some(position));
            assert_same(&mut r, &mut source, &q);
        }
        assert_eq!(r.shape().page_size, Some(page_size as u32));
    }
}

#[test]
fn bootstrap_then_export_round_trips_and_page_size_can_change() {
    for page_size in [8192, 4096] {
        let mut source = Source::new(page_size);
        source.commit("CREATE TABLE k(v); INSERT INTO k SELECT value FROM generate_series(1, 2000);");
        let image = source.image();
        let mut r = replica();
        r.bootstrap(&image, Source::position(9)).unwrap();
        assert_eq!(mask(r.export()), mask(image.clone()));
        assert_eq!(r.query("SELECT sum(v) FROM k", &[]).unwrap().rows, vec![vec![Value::Integer(2001000)]]);
        // Bootstrapping the same open replica again, from an image with the other page size.
        let mut other = Source::new(if page_size == 8192 { 4096 } else { 8192 });
        other.commit("CREATE TABLE z(v); INSERT INTO z VALUES ('other');");
        r.bootstrap(&other.image(), Source::position(10)).unwrap();
        assert_eq!(r.query("SELECT v FROM z", &[]).unwrap().rows, vec![vec![text("other")]]);
        assert_eq!(r.query("SELECT * FROM k", &[]).unwrap_err().code(), "SQLITE_ERROR");
    }
}

#[test]
fn schema_changes_reach_an_open_connection_no_stale_page_cache() {
    let mut source = Source::new(4096);
    let mut r = replica();
    r.apply(source.commit("CREATE TABLE s(a, b); INSERT INTO s VALUES (1, 'x'), (2, 'y');")).unwrap();
    assert_eq!(r.query("SELECT * FROM s", &[]).unwrap().columns, vec!["a", "b"]);
    // Warm the page cache and the statement cache, then change the schema underneath.
    r.query("SELECT a FROM s WHERE b = 'y'", &[]).unwrap();
    r.apply(source.commit("CREATE INDEX s_b ON s(b)")).unwrap();
    let rows = r.query("SELECT a FROM s INDEXED BY s_b WHERE b = 'y'", &[]).unwrap();
    assert_eq!(rows.rows, vec![vec![Value::Integer(2)]]);
    let plan = r.query("EXPLAIN QUERY PLAN SELECT a FROM s WHERE b = 'y'", &[]).unwrap();
    assert!(format!("{:?}", plan.rows).contains("s_b"), "index not used: {plan:?}");
    r.apply(source.commit("ALTER TABLE s ADD COLUMN c DEFAULT 7")).unwrap();
    let rows = r.query("SELECT * FROM s ORDER BY a", &[]).unwrap();
    assert_eq!(rows.columns, vec!["a", "b", "c"]);
    assert_eq!(rows.rows[1], vec![Value::Integer(2), text("y"), Value::Integer(7)]);
    r.apply(source.commit("DROP TABLE s")).unwrap();
    let err = r.query("SELECT * FROM s", &[]).unwrap_err();
    assert_eq!(err.code(), "SQLITE_ERROR");
    assert!(err.to_string().contains("no such table"), "{err}");
    assert_same(&mut r, &mut source, &["SELECT name FROM sqlite_schema"]);
}

#[test]
fn shrinking_source_truncates_replica_with_integrity_ok() {
    let mut source = Source::new(4096);
    let mut r = replica();
    r.apply(
        source.commit("CREATE TABLE big(x); INSERT INTO big SELECT randomblob(3000) FROM generate_series(1, 300);"),
    )
    .unwrap();
    let before = r.shape().db_size_pages;
    r.apply(source.commit("DELETE FROM big WHERE rowid > 10")).unwrap();
    assert_same(&mut r, &mut source, &["SELECT count(*) FROM big"]);
    r.apply(source.commit("VACUUM")).unwrap();
    assert_same(&mut r, &mut source, &["SELECT count(*), sum(length(x)) FROM big"]);
    assert!(r.shape().db_size_pages < before / 10, "{:?} vs {before}", r.shape());
}

#[test]
fn apply_over_budget_fails_and_leaves_replica_unchanged() {
    let mut source = Source::new(4096);
    let mut r = Replica::open(ReplicaConfig { memory_budget_bytes: 64 * 4096, ..Default::default() }).unwrap();
    r.apply(source.commit("CREATE TABLE t(x); INSERT INTO t VALUES (1);")).unwrap();
    let (image, position) = (r.export(), r.position());
    let err = r.apply(source.commit("INSERT INTO t SELECT zeroblob(4000) FROM generate_series(1, 100)")).unwrap_err();
    assert_eq!(err.code(), "REPLICA_MEMORY_BUDGET");
    assert!(matches!(err, Error::MemoryBudget { budget: 262144, .. }), "{err:?}");
    assert_eq!(r.export(), image);
    assert_eq!(r.position(), position);
    assert_eq!(r.query("SELECT count(*) FROM t", &[]).unwrap().rows, vec![vec![Value::Integer(1)]]);
    let err = r.bootstrap(&source.image(), Source::position(99)).unwrap_err();
    assert_eq!(err.code(), "REPLICA_MEMORY_BUDGET");
    assert_eq!(r.export(), image);
}

#[test]
fn writes_are_refused_with_stable_code() {
    let mut source = Source::new(4096);
    let mut r = replica();
    r.apply(source.commit("CREATE TABLE t(x)")).unwrap();
    for sql in [
        "INSERT INTO t VALUES (1)",
        "UPDATE t SET x = 2",
        "DELETE FROM t",
        "CREATE TABLE u(y)",
        "DROP TABLE t",
        "REPLACE INTO t VALUES (3)",
        "WITH c AS (SELECT 1) INSERT INTO t SELECT * FROM c",
    ] {
        let err = r.query(sql, &[]).unwrap_err();
        assert_eq!(err.code(), "REPLICA_WRITE_REFUSED", "{sql}");
    }
    assert_eq!(r.query("SELECT count(*) FROM t", &[]).unwrap().rows, vec![vec![Value::Integer(0)]]);
}

#[test]
fn apply_waits_for_open_read_transaction() {
    let mut source = Source::new(4096);
    let mut r = replica();
    r.apply(source.commit("CREATE TABLE t(x); INSERT INTO t VALUES (1);")).unwrap();
    r.query("BEGIN", &[]).unwrap();
    assert_eq!(r.query("SELECT count(*) FROM t", &[]).unwrap().rows[0], vec![Value::Integer(1)]);
    let committed = source.commit("INSERT INTO t VALUES (2)");
    assert_eq!(r.apply(committed).unwrap(), ApplyOutcome::Queued);
    assert_eq!(r.apply(source.commit("INSERT INTO t VALUES (3)")).unwrap(), ApplyOutcome::Queued);
    assert_eq!(r.queued_applies(), 2);
    assert_eq!(r.newest_position(), Some(Source::position(3)));
    // The open transaction keeps its snapshot, position included.
    assert_eq!(r.query("SELECT count(*) FROM t", &[]).unwrap().rows[0], vec![Value::Integer(1)]);
    assert_eq!(r.position(), Some(Source::position(1)));
    r.query("COMMIT", &[]).unwrap();
    assert_eq!(r.queued_applies(), 0);
    assert_eq!(r.position(), Some(Source::position(3)));
    assert_same(&mut r, &mut source, &["SELECT * FROM t"]);
}

#[test]
fn invalid_pages_are_rejected_and_replica_unchanged() {
    let mut source = Source::new(4096);
    let mut r = replica();
    let first = source.commit("CREATE TABLE t(x)");
    let mut no_page1 = first.clone();
    no_page1.pages.retain(|p| p.pgno != 1);
    assert_eq!(r.apply(no_page1).unwrap_err().code(), "REPLICA_INVALID_PAGES");
    r.apply(first).unwrap();
    let image = r.export();
    let next = source.commit("INSERT INTO t SELECT zeroblob(3000) FROM generate_series(1, 20)");
    let mut cases = Vec::new();
    let mut short = next.clone();
    short.pages[0].data.truncate(100);
    cases.push(short);
    let mut zero = next.clone();
    zero.pages[0].pgno = 0;
    cases.push(zero);
    let mut hole = next.clone();
    hole.pages.retain(|p| p.pgno != next.db_size_pages);
    cases.push(hole);
    for bad in cases {
        assert_eq!(r.apply(bad).unwrap_err().code(), "REPLICA_INVALID_PAGES");
        assert_eq!(r.export(), image);
    }
    for bad in [&b"not a database"[..], &image[..image.len() - 1], &[0u8; 4096][..]] {
        assert_eq!(r.bootstrap(bad, Source::position(5)).unwrap_err().code(), "REPLICA_INVALID_IMAGE");
    }
    assert_eq!(r.export(), image);
    // An empty image is an empty database.
    r.bootstrap(&[], Source::position(6)).unwrap();
    assert_eq!((r.export().len(), r.shape().db_size_pages), (0, 0));
    assert_eq!(r.query("SELECT count(*) FROM sqlite_schema", &[]).unwrap().rows, vec![vec![Value::Integer(0)]]);
}

#[test]
fn repeated_page_in_one_apply_last_version_wins() {
    let mut source = Source::new(4096);
    let mut r = replica();
    let a = source.commit("CREATE TABLE t(x); INSERT INTO t VALUES ('a');");
    let b = source.commit("UPDATE t SET x = 'b'");
    let mut merged = a.clone();
    merged.pages.extend(b.pages);
    merged.position = b.position;
    r.apply(merged).unwrap();
    assert_eq!(r.query("SELECT x FROM t", &[]).unwrap().rows, vec![vec![text("b")]]);
    assert_same(&mut r, &mut source, &["SELECT * FROM t"]);
}

#[test]
fn query_returns_typed_values_decltypes_and_sqlite_error_codes() {
    let mut source = Source::new(4096);
    let mut r = replica();
    r.apply(source.commit(
        "CREATE TABLE v(i INTEGER, f REAL, t TEXT, b BLOB, n); \
         INSERT INTO v VALUES (-9223372036854775808, 2.5, 'héllo 😀', x'00ff', NULL);",
    ))
    .unwrap();
    let rows = r.query("SELECT i, f, t, b, n, i + 1 AS e FROM v WHERE t = ?", &[text("héllo 😀")]).unwrap();
    assert_eq!(rows.columns, vec!["i", "f", "t", "b", "n", "e"]);
    let decl: Vec<Option<&str>> = rows.decltypes.iter().map(|d| d.as_deref()).collect();
    assert_eq!(decl, vec![Some("INTEGER"), Some("REAL"), Some("TEXT"), Some("BLOB"), None, None]);
    assert_eq!(
        rows.rows,
        vec![vec![
            Value::Integer(i64::MIN),
            Value::Real(2.5),
            text("héllo 😀"),
            Value::Blob(vec![0, 255]),
            Value::Null,
            Value::Integer(i64::MIN + 1),
        ]]
    );
    let err = r.query("SELEC 1", &[]).unwrap_err();
    assert_eq!((err.code(), err.extended_code(), err.raw_code()), ("SQLITE_ERROR", Some("SQLITE_ERROR"), Some(1)));
    assert_eq!(r.query("SELECT ?", &[]).unwrap_err().code(), "SQLITE_RANGE");
    assert_eq!(r.query("SELECT ?", &[Value::Integer(1), Value::Integer(2)]).unwrap_err().code(), "SQLITE_RANGE");
}

#[test]
fn empty_replica_answers_queries() {
    let mut r = replica();
    assert_eq!(r.position(), None);
    assert_eq!(r.memory_bytes(), 0);
    assert_eq!(r.query("SELECT count(*) FROM sqlite_schema", &[]).unwrap().rows, vec![vec![Value::Integer(0)]]);
}

#[test]
fn replace_drops_old_content_and_needs_every_page() {
    let mut old = Source::new(4096);
    let mut r = replica();
    r.apply(old.commit("CREATE TABLE old(x); INSERT INTO old SELECT zeroblob(3000) FROM generate_series(1, 50);"))
        .unwrap();
    let mut new = Source::new(4096);
    let mut first = new.commit("CREATE TABLE fresh(y); INSERT INTO fresh VALUES ('n');");
    first.replace = true;
    let mut missing = first.clone();
    missing.pages.pop();
    assert_eq!(r.apply(missing).unwrap_err().code(), "REPLICA_INVALID_PAGES");
    r.apply(first).unwrap();
    assert_eq!(r.query("SELECT y FROM fresh", &[]).unwrap().rows, vec![vec![text("n")]]);
    assert!(r.query("SELECT * FROM old", &[]).is_err());
    assert_same(&mut r, &mut new, &["SELECT * FROM fresh"]);
}

#[test]
fn named_parameters_bind_with_or_without_prefix() {
    let mut source = Source::new(4096);
    let mut r = replica();
    r.apply(source.commit("CREATE TABLE n(a, b); INSERT INTO n VALUES (1, 'one'), (2, 'two');")).unwrap();
    let named = [("a".to_string(), Value::Integer(2)), ("$b".to_string(), text("two"))];
    let rows =
        r.query_with("SELECT a FROM n WHERE a = :a AND b = $b", Params { positional: &[], named: &named }).unwrap();
    assert_eq!(rows.rows, vec![vec![Value::Integer(2)]]);
    let wrong = [("zz".to_string(), Value::Null), ("a".to_string(), Value::Null)];
    let err = r.query_with("SELECT :a, :b", Params { positional: &[], named: &wrong }).unwrap_err();
    assert_eq!(err.code(), "SQLITE_RANGE");
    assert!(r.is_local_read("SELECT * FROM n"));
    assert!(!r.is_local_read("INSERT INTO n VALUES (3, 'x')"));
    assert!(!r.is_local_read("SELECT * FROM not_here_yet"));
}

#[test]
fn bootstrap_owned_matches_bootstrap_and_checks_budget_first() {
    for page_size in [4096, 8192] {
        let mut source = Source::new(page_size);
        source.commit("CREATE TABLE k(v); INSERT INTO k SELECT randomblob(900) FROM generate_series(1, 3000);");
        let image = source.image();
        let mut a = replica();
        let mut b = replica();
        a.bootstrap(&image, Source::position(1)).unwrap();
        b.bootstrap_owned(image.clone(), Source::position(1)).unwrap();
        assert_eq!(a.export(), b.export());
        assert_eq!(b.query("SELECT count(*) FROM k", &[]).unwrap().rows, vec![vec![Value::Integer(3000)]]);
        let mut small = Replica::open(ReplicaConfig { memory_budget_bytes: 4096 * 8, ..Default::default() }).unwrap();
        assert_eq!(small.bootstrap_owned(image, Source::position(2)).unwrap_err().code(), "REPLICA_MEMORY_BUDGET");
        assert_eq!(small.position(), None);
    }
}

#[test]
fn a_replica_cannot_attach_another_replica() {
    let mut source = Source::new(4096);
    let mut secret = replica();
    secret.apply(source.commit("CREATE TABLE secret(v); INSERT INTO secret VALUES ('tenant a')")).unwrap();
    let mut other = replica();
    let err = other.query(&format!("ATTACH '{}' AS a", secret.name), &[]).unwrap_err();
    assert_eq!(err.code(), "SQLITE_ERROR", "{err}");
    assert!(other.query("SELECT v FROM a.secret", &[]).is_err());
    // Nor can any other connection open it through the VFS by name (a URI filename).
    let plain = Connection::open_in_memory().unwrap();
    let attach = format!("ATTACH 'file:{}?vfs=libsql-edge' AS a", secret.name);
    assert!(plain.execute_batch(&attach).is_err(), "another connection opened the replica's file");
    assert_eq!(secret.query("SELECT v FROM secret", &[]).unwrap().rows, vec![vec![text("tenant a")]]);
}

mod partial;
