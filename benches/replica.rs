//! Replica benchmark (figures, not a timed test). Prints, from one run on one machine:
//! - apply throughput in MB/s of page data: a whole database as one commit (cold bootstrap shape),
//!   the same pages as many small commits (catch-up shape), and a bootstrap from an image buffer;
//! - point-select latency on the replica next to a plain rusqlite in-memory database holding the
//!   same image, and their ratio.
//!
//! Run: `npm run bench` (= `cargo bench -p libsql-edge --bench replica`). Native Rust figures (not
//! the wasm path). With `BENCH_JSON=FILE`, also appends one JSON line of the figures to FILE.

#![deny(clippy::unwrap_used, clippy::expect_used)]
use std::time::{Duration, Instant};

use libsql_edge::protocol::{Position, Revision};
use libsql_edge::{CommittedPages, Page, Replica, ReplicaConfig, Value};
use rusqlite::Connection;

const ROWS: i64 = 200_000;
const SELECTS: usize = 20_000;
const SMALL_COMMIT_PAGES: usize = 16;

/// Any failure ends the benchmark with its error (no panics).
type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn source_image() -> Result<Vec<u8>> {
    let mut conn = Connection::open_in_memory()?;
    conn.execute_batch(&format!(
        "PRAGMA page_size = 4096;
         CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, name TEXT, val REAL);
         WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {ROWS})
         INSERT INTO t SELECT n, (n * 7919) % {ROWS}, 'name-' || n || '-' || hex(n * 31), n / 7.0 FROM s;
         CREATE INDEX t_k ON t(k);"
    ))?;
    Ok(conn.serialize("main")?.to_vec())
}

fn pages_of(image: &[u8]) -> Vec<Page> {
    image.chunks(4096).zip(1u32..).map(|(c, pgno)| Page { pgno, data: c.to_vec() }).collect()
}

fn pos(n: usize) -> Position {
    Position::Revision(Revision(n.to_string()))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn mb_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn main() -> Result<()> {
    let image = source_image()?;
    let db_size = (image.len() / 4096) as u32;
    println!("database: {} rows, {} pages of 4096 bytes ({:.1} MB)", ROWS, db_size, image.len() as f64 / 1e6);

    // Apply throughput: one big commit into an empty replica.
    let mut one_commit = Vec::new();
    for _ in 0..5 {
        let mut replica = Replica::open(ReplicaConfig::default())?;
        let committed = CommittedPages {
            replace: false,
            position: pos(1),
            db_size_pages: db_size,
            pages: pages_of(&image),
            dropped: Vec::new(),
        };
        let t = Instant::now();
        replica.apply(committed)?;
        one_commit.push(t.elapsed());
    }
    let one = median(one_commit);

    // Bootstrap from a whole image (copies every page out of the caller's buffer).
    let mut boot = Vec::new();
    for _ in 0..5 {
        let mut replica = Replica::open(ReplicaConfig::default())?;
        let t = Instant::now();
        replica.bootstrap(&image, pos(1))?;
        boot.push(t.elapsed());
    }
    let boot = median(boot);

    // Apply throughput: the same pages as commits of SMALL_COMMIT_PAGES pages each.
    let mut replica = Replica::open(ReplicaConfig::default())?;
    replica.bootstrap(&image, pos(0))?;
    let commits: Vec<CommittedPages> = pages_of(&image)
        .chunks(SMALL_COMMIT_PAGES)
        .enumerate()
        .map(|(i, c)| CommittedPages {
            replace: false,
            position: pos(i + 1),
            db_size_pages: db_size,
            pages: c.to_vec(),
            dropped: Vec::new(),
        })
        .collect();
    let t = Instant::now();
    let n_commits = commits.len();
    for c in commits {
        replica.apply(c)?;
    }
    let small = t.elapsed();
    println!(
        "apply, 1 commit of {db_size} pages:       {:8.1} MB/s  ({:.2} ms)",
        mb_per_s(image.len(), one),
        one.as_secs_f64() * 1e3
    );
    println!(
        "bootstrap from image (copying):           {:8.1} MB/s  ({:.2} ms)",
        mb_per_s(image.len(), boot),
        boot.as_secs_f64() * 1e3
    );
    println!(
        "apply, {n_commits} commits of {SMALL_COMMIT_PAGES} pages:    {:8.1} MB/s  ({:.2} ms, {:.1} µs per commit)",
        mb_per_s(image.len(), small),
        small.as_secs_f64() * 1e3,
        small.as_secs_f64() * 1e6 / n_commits as f64
    );

    // Point selects: replica vs plain rusqlite in-memory database with the same image.
    let mut plain = Connection::open_in_memory()?;
    plain.deserialize_read_exact("main", &image[..], image.len(), true)?;
    let sql = "SELECT id, name, val FROM t WHERE k = ?";
    let keys: Vec<i64> = (0..SELECTS as i64).map(|i| (i * 104_729) % ROWS).collect();
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for round in 0..6 {
        let t = Instant::now();
        for &k in &keys {
            let rows = replica.query(sql, &[Value::Integer(k)])?;
            assert_eq!(rows.rows.len(), 1);
        }
        let a = t.elapsed();
        let t = Instant::now();
        for &k in &keys {
            let mut stmt = plain.prepare_cached(sql)?;
            let rows: Vec<Vec<Value>> = stmt
                .query_map([k], |r| (0..3).map(|i| r.get_ref(i).map(Value::from)).collect())?
                .collect::<std::result::Result<_, _>>()?;
            assert_eq!(rows.len(), 1);
        }
        let b = t.elapsed();
        if round > 0 {
            ours.push(a / SELECTS as u32);
            theirs.push(b / SELECTS as u32);
        }
    }
    let (ours, theirs) = (median(ours), median(theirs));
    println!("point select (indexed, warm), replica:    {:8.2} µs", ours.as_secs_f64() * 1e6);
    println!(
        "point select (indexed, warm), rusqlite:   {:8.2} µs  (plain in-memory database, same image)",
        theirs.as_secs_f64() * 1e6
    );
    println!("ratio replica / rusqlite:                 {:8.2}x", ours.as_secs_f64() / theirs.as_secs_f64());

    if let Ok(path) = std::env::var("BENCH_JSON") {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let line = serde_json::json!({
            "command": "npm run bench",
            "date": unix_date(),
            "bench": "replica",
            "native": true,
            "dbBytes": image.len(),
            "applyOneCommitMs": ms(one),
            "bootstrapFromImageMs": ms(boot),
            "applySmallCommitsMs": ms(small),
            "smallCommits": n_commits,
            "pointSelectReplicaUs": ours.as_secs_f64() * 1e6,
            "pointSelectRusqliteUs": theirs.as_secs_f64() * 1e6,
        });
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        writeln!(f, "{line}")?;
    }
    Ok(())
}

/// Seconds since the Unix epoch as `unix:<secs>` (bench:report turns it into a date).
fn unix_date() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    format!("unix:{secs}")
}
