//! Source databases for the replica and sync targets: a short deterministic history of a real
//! SQLite database, built once per process, at two page sizes. Every state is a whole database
//! image; the pages that differ between two states are a transaction the replica must accept and
//! after which it must pass `integrity_check` and answer `CHECK_QUERY` like the source.

use std::sync::OnceLock;

use libsql_edge::Value;
use rusqlite::Connection;

/// The query whose answer identifies a state's content.
pub const CHECK_QUERY: &str =
    "SELECT count(*), total(length(v)), total(length(b)), group_concat(id) FROM (SELECT * FROM t ORDER BY id)";

/// The statements of the history; state `i` is the database after statement `i`.
const STEPS: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, b BLOB); CREATE INDEX t_v ON t(v)",
    "INSERT INTO t(v, b) SELECT printf('row %d', value), NULL FROM s WHERE value <= 20",
    "INSERT INTO t(v, b) SELECT printf('blob %d', value), CAST(printf('%0700d', value * 7919) AS BLOB) FROM s WHERE value <= 12",
    "UPDATE t SET v = v || ' updated', b = zeroblob(300) WHERE id % 3 = 0",
    "DELETE FROM t WHERE id % 2 = 0",
    "CREATE TABLE u(x TEXT); INSERT INTO u SELECT printf('%0400d', value) FROM s WHERE value <= 10",
    "DROP TABLE u",
    "DELETE FROM t WHERE id > 10",
];

/// One state of a history.
#[derive(Debug)]
pub struct State {
    /// The whole database file.
    pub image: Vec<u8>,
    /// `CHECK_QUERY`'s one row.
    pub check: Vec<Value>,
}

/// A history at one page size.
#[derive(Debug)]
pub struct History {
    /// The page size of every state.
    pub page_size: usize,
    /// The states, oldest first.
    pub states: Vec<State>,
}

impl History {
    /// The pages of state `to` that differ from state `from` (1-based page numbers), and `to`'s size.
    pub fn diff(&self, from: Option<usize>, to: usize) -> (Vec<(u32, Vec<u8>)>, u32) {
        let new = &self.states[to].image;
        let old = from.map(|f| self.states[f].image.as_slice()).unwrap_or(&[]);
        let pages = new
            .chunks(self.page_size)
            .zip(1u32..)
            .filter(|(chunk, pgno)| {
                let at = (*pgno as usize - 1) * self.page_size;
                old.get(at..at + self.page_size) != Some(*chunk)
            })
            .map(|(chunk, pgno)| (pgno, chunk.to_vec()))
            .collect();
        (pages, (new.len() / self.page_size) as u32)
    }
}

/// The histories: page size 512 with `auto_vacuum = FULL` (the file shrinks) and page size 4096
/// (the size every sync protocol ships).
pub fn histories() -> &'static [History] {
    static HISTORIES: OnceLock<Vec<History>> = OnceLock::new();
    HISTORIES.get_or_init(|| vec![build(512, true), build(4096, false)])
}

fn build(page_size: usize, auto_vacuum: bool) -> History {
    let run = |conn: &Connection, sql: &str| {
        if let Err(e) = conn.execute_batch(sql) {
            panic!("harness: source database statement {sql:?} failed: {e}");
        }
    };
    let mut conn = match Connection::open_in_memory() {
        Ok(c) => c,
        Err(e) => panic!("harness: cannot open the source database: {e}"),
    };
    let vacuum = if auto_vacuum { "FULL" } else { "NONE" };
    run(&conn, &format!("PRAGMA page_size = {page_size}; PRAGMA auto_vacuum = {vacuum};"));
    let series = "CREATE TEMP TABLE s(value INTEGER PRIMARY KEY); \
                  WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 50) \
                  INSERT INTO s SELECT n FROM c;";
    run(&conn, series);
    let states = STEPS
        .iter()
        .map(|step| {
            run(&conn, step);
            let image = match conn.serialize("main") {
                Ok(d) => d.to_vec(),
                Err(e) => panic!("harness: serialize failed: {e}"),
            };
            let check = conn
                .query_row(CHECK_QUERY, [], |row| (0..4).map(|i| row.get_ref(i).map(Value::from)).collect())
                .unwrap_or_else(|e| panic!("harness: check query failed: {e}"));
            State { image, check }
        })
        .collect();
    History { page_size, states }
}
