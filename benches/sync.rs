//! Sync benchmark (figures, not a timed test): cold bootstrap time and catch-up throughput for
//! 1 MB, 25 MB and 60 MB databases per protocol, next to the native `libsql` npm package's embedded
//! replica syncing the same database from the same dev primary in the same run, with the ratio.
//! tursodb's `/pull-updates` has no native libsql counterpart; its figures are ours only.
//!
//! Run: `npm run bench:sync` (= `cargo bench -p libsql-edge --bench sync`). Needs `npm run setup`
//! (node_modules with `libsql` and tursodb).

#[path = "../tests/common/primary.rs"]
mod primary;
#[path = "../tests/common/tursodb.rs"]
mod tursodb;

use std::process::Command;
use std::time::Instant;

use libsql_edge::sync::http_sync::HttpSync;
use libsql_edge::sync::pull_updates::PullUpdates;
use libsql_edge::sync::sqld::Sqld;
use libsql_edge::sync::{sync, Io, Protocol, SyncTarget};
use libsql_edge::transport::native::{block_on, NativeTransport};
use libsql_edge::{Replica, ReplicaConfig};
use primary::{DevPrimary, Options};

const RUNS: usize = 3;
/// Each row carries a 4000-byte blob: about one page per row.
const ROW_BYTES: usize = 4000;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn insert_sql(rows: usize) -> String {
    format!(
        "INSERT INTO bench(data) SELECT randomblob({ROW_BYTES}) FROM \
         (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < {rows}) SELECT v FROM s)"
    )
}

fn seed_primary(p: &DevPrimary, mb: usize) {
    p.execute(&["CREATE TABLE bench (id INTEGER PRIMARY KEY, data BLOB)"]);
    let rows = mb * 1_000_000 / ROW_BYTES;
    for _ in 0..rows / 1000 {
        p.execute(&[&insert_sql(1000)]);
    }
    if !rows.is_multiple_of(1000) {
        p.execute(&[&insert_sql(rows % 1000)]);
    }
}

fn new_replica() -> Replica {
    Replica::open(ReplicaConfig { memory_budget_bytes: 128 << 20, ..Default::default() }).unwrap()
}

/// Our cold bootstrap (median ms, round trips) and catch-up throughput (MB/s) after `catch_up`
/// more writes.
fn ours(url: &str, make: &dyn Fn() -> Box<dyn Protocol>, catch_up: &dyn Fn()) -> (f64, u32, f64, f64) {
    let target = SyncTarget::new(url, None, 120_000);
    let mut cold = Vec::new();
    let mut trips = 0;
    let mut replica = new_replica();
    for _ in 0..RUNS {
        replica = new_replica();
        let io = Io::new(&NativeTransport, &target);
        let t = Instant::now();
        let stats = block_on(sync(&mut replica, make().as_mut(), &io, None)).unwrap();
        cold.push(t.elapsed().as_secs_f64() * 1e3);
        trips = stats.round_trips;
    }
    catch_up();
    let io = Io::new(&NativeTransport, &target);
    let t = Instant::now();
    let stats = block_on(sync(&mut replica, make().as_mut(), &io, None)).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let mb = stats.bytes_received as f64 / 1e6;
    (median(cold), trips, mb / secs, mb)
}

fn native(url: &str) -> Option<f64> {
    let out = Command::new("node")
        .args(["benches/native/libsql-sync.mjs", url, &RUNS.to_string()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("native libsql failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let cold: Vec<f64> = json["cold_ms"].as_array()?.iter().filter_map(|v| v.as_f64()).collect();
    Some(median(cold))
}

fn row(protocol: &str, mb: usize, ours: (f64, u32, f64, f64), native: Option<f64>) {
    let (cold, trips, tput, caught) = ours;
    let (native_text, ratio) = match native {
        Some(n) => (format!("{n:9.1}"), format!("{:6.2}x", cold / n)),
        None => ("        -".into(), "     -".into()),
    };
    println!(
        "{protocol:<13} {mb:>3} MB  cold {cold:9.1} ms in {trips:>3} round trips | native libsql {native_text} ms | ours/native {ratio} | catch-up {caught:5.1} MB at {tput:7.1} MB/s"
    );
}

fn main() {
    println!("cold bootstrap = median of {RUNS} fresh replicas; catch-up = one sync after ~20% more data");
    for mb in [1, 25, 60] {
        // sqld gRPC: the primary serves no /info, so the native client uses gRPC too.
        let p = DevPrimary::start(Options::default());
        seed_primary(&p, mb);
        let extra = || {
            for _ in 0..(mb * 200_000 / ROW_BYTES).div_ceil(1000) {
                p.execute(&[&insert_sql(1000.min(mb * 200_000 / ROW_BYTES))]);
            }
        };
        let n = native(&p.url);
        row("sqld gRPC", mb, ours(&p.url, &|| Box::new(Sqld::new()), &extra), n);
        drop(p);

        // Turso HTTP sync: /info answers, so the native client uses HTTP sync.
        let p = DevPrimary::start(Options { http_sync: true, checkpoint_frames: Some(1 << 30), ..Default::default() });
        seed_primary(&p, mb);
        let extra = || {
            for _ in 0..(mb * 200_000 / ROW_BYTES).div_ceil(1000) {
                p.execute(&[&insert_sql(1000.min(mb * 200_000 / ROW_BYTES))]);
            }
        };
        let n = native(&p.url);
        row("http-sync", mb, ours(&p.url, &|| Box::new(HttpSync::new()), &extra), n);
        drop(p);

        // Turso Sync /pull-updates against the real tursodb.
        let t = tursodb::TursoDb::start();
        t.execute("CREATE TABLE bench (id INTEGER PRIMARY KEY, data BLOB)");
        let rows = mb * 1_000_000 / ROW_BYTES;
        for chunk in (0..rows).collect::<Vec<_>>().chunks(100) {
            let values = vec!["(randomblob(4000))"; chunk.len()].join(",");
            t.execute(&format!("INSERT INTO bench(data) VALUES {values}"));
        }
        let extra = || {
            for _ in 0..(mb * 200_000 / ROW_BYTES).div_ceil(100) {
                let values = vec!["(randomblob(4000))"; 100].join(",");
                t.execute(&format!("INSERT INTO bench(data) VALUES {values}"));
            }
        };
        row("pull-updates", mb, ours(&t.url(), &|| Box::new(PullUpdates::new()), &extra), None);
    }
}
