// Driver of the Rust Worker benchmark (run through benches/rust-worker/run.sh).
//   node drive.mjs --primary BIN --work DIR --js BUNDLE_DIR --rust BUILD_DIR
// 1. starts a release dev primary (loopback, port 0) and seeds the edge benchmark's table
//    (`bench`, 4000 rows, ~1 MB) over Hrana;
// 2. one `workerd serve` process with two Workers: "js" (benches/workerd/worker.ts: createClient,
//    one replica per isolate) and "rust" (examples/rust-worker: libsql_edge::worker::Client), both
//    replicating that database (protocol detected: Turso HTTP sync), bootstrapped before timing;
// 3. the same point select (`SELECT id, k, name, val FROM bench WHERE id = ?`, the same ids) in
//    alternating rounds: n awaits in a loop timed inside each Worker with performance.now(), and
//    whole HTTP requests timed by this driver (1 query per request, BATCH_N per request, and an
//    empty request, interleaved);
// 4. prints both wasm sizes (raw, zlib gzip level 9) and a table with the ratios; BENCH_JSON appends a line.
// Only 127.0.0.1 is contacted; every child is killed on exit.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { deadline, emit, knob, median, pct, pipeline, root, startPrimary, stop } from "../lib/harness.mjs";
import { serve } from "../../tests/rust-worker/workerd.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
for (const k of ["primary", "work", "js", "rust"]) {
  if (!args[k]) {
    console.error(`drive.mjs: --${k} is required (run benches/rust-worker/run.sh)`);
    process.exit(2);
  }
}
const N = knob("BENCH_N", 2000, 50_000);
const ROUNDS = knob("BENCH_ROUNDS", 5, 50);
const HTTP_REQS = knob("BENCH_HTTP_REQS", 500, 20_000);
const BATCH_N = knob("BENCH_BATCH_N", 100, 5_000);
const BATCH_REQS = knob("BENCH_BATCH_REQS", 30, 1_000);
const ROWS = 4000;
const WARM = 200;
deadline("bench:rust-worker", 20);

const fmt = (ms) => (ms === undefined || Number.isNaN(ms) ? "-" : ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);
const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(2)}x` : "n/a");
const kb = (n) => `${(n / 1000).toFixed(0)} KB`;

function size(path) {
  const bytes = readFileSync(path);
  return { raw: statSync(path).size, gzip: gzipSync(bytes, { level: 9 }).length };
}

async function get(base, path) {
  const res = await fetch(base + path);
  const body = await res.json();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

async function timed(base, path) {
  const t0 = performance.now();
  await get(base, path);
  return performance.now() - t0;
}

async function main() {
  const p = await startPrimary(args.primary, join(args.work, "primary"));
  await pipeline(p.url, [
    "CREATE TABLE bench (id INTEGER PRIMARY KEY, k INTEGER NOT NULL, name TEXT NOT NULL, val REAL NOT NULL, payload BLOB NOT NULL)",
    `INSERT INTO bench (id, k, name, val, payload)
       WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${ROWS})
       SELECT x, (x * 7) % 1000, 'name-' || x, x / 3.0, randomblob(200) FROM c`,
  ]);
  const jsFiles = readdirSync(args.js).filter((f) => f.endsWith(".js"));
  const jsEntry = jsFiles.includes("worker.js") ? "worker.js" : jsFiles[0];
  const w = await serve(
    [
      { name: "js", dir: args.js, entry: jsEntry, bindings: { PRIMARY_1MB: p.url, PRIMARY_25MB: p.url } },
      { name: "rust", dir: args.rust, entry: "index.js", bindings: { PRIMARY_URL: p.url, SYNC_INTERVAL: "3600" } },
    ],
    args.work,
  );
  try {
    const js = (path) => `/loop?client=edge&db=1mb&rows=${ROWS}&proto=auto${path}`;
    const jsQ = (n, start) => `/q?client=edge&db=1mb&rows=${ROWS}&proto=auto&n=${n}&start=${start}`;
    const rustQ = (n, start, warm = 0) => `/bench?rows=${ROWS}&n=${n}&warm=${warm}&start=${start}`;
    // Bootstrap both replicas, then warm both JITs.
    await get(w.urls.js, `/first?client=edge&db=1mb&rows=${ROWS}&proto=auto&id=1`);
    await get(w.urls.rust, "/sync");
    for (let i = 0; i < 3; i++) {
      await get(w.urls.js, js(`&n=${N}&warm=${WARM}`));
      await get(w.urls.rust, rustQ(N, 0, WARM));
    }
    const stats = await get(w.urls.rust, "/stats");
    if (stats.reads.remote !== 0) throw new Error(`the Rust Worker read from the primary: ${JSON.stringify(stats.reads)}`);

    const inWorker = { js: [], rust: [] };
    for (let round = 0; round < ROUNDS; round++) {
      inWorker.js.push((await get(w.urls.js, js(`&n=${N}&warm=${WARM}`))).mean);
      inWorker.rust.push((await get(w.urls.rust, rustQ(N, 0, WARM))).mean);
    }
    console.error("in-Worker loops done");

    const outside = { empty: [], js: [], rust: [], rustEmpty: [], batchJs: [], batchRust: [] };
    for (let i = 0; i < HTTP_REQS; i++) {
      outside.empty.push(await timed(w.urls.js, jsQ(0, 0)));
      outside.rustEmpty.push(await timed(w.urls.rust, rustQ(0, 0)));
      outside.js.push(await timed(w.urls.js, jsQ(1, i)));
      outside.rust.push(await timed(w.urls.rust, rustQ(1, i)));
    }
    for (let i = 0; i < BATCH_REQS; i++) {
      outside.batchJs.push(await timed(w.urls.js, jsQ(BATCH_N, i * BATCH_N)));
      outside.batchRust.push(await timed(w.urls.rust, rustQ(BATCH_N, i * BATCH_N)));
    }
    console.error("outside requests done");

    const sizes = {
      js: { wasm: size(join(root, "dist/pkg/libsql_edge_bg.wasm")), glue: size(join(root, "dist/pkg/libsql_edge.js")) },
      rust: { wasm: size(join(args.rust, "index_bg.wasm")), glue: size(join(args.rust, "index.js")) },
    };
    const perQuery = (xs, empty) => (median(xs) - median(empty)) / BATCH_N;
    const r = {
      inWorker: { js: median(inWorker.js), rust: median(inWorker.rust) },
      oneP50: { js: pct(outside.js, 50), rust: pct(outside.rust, 50) },
      oneP99: { js: pct(outside.js, 99), rust: pct(outside.rust, 99) },
      emptyP50: { js: pct(outside.empty, 50), rust: pct(outside.rustEmpty, 50) },
      batch: { js: perQuery(outside.batchJs, outside.empty), rust: perQuery(outside.batchRust, outside.rustEmpty) },
    };

    const line = (...xs) => console.log(...xs);
    const row = (label, js, rust, cmp) => line(`${label.padEnd(58)} ${js.padStart(12)} ${rust.padStart(12)} ${cmp.padStart(10)}`);
    line("");
    line(`RUST WORKER vs JS PACKAGE (npm run bench:rust-worker), one workerd process, local point selects on a`);
    line(`${ROWS}-row table replicated from a release dev primary on loopback; ratio = JS / Rust`);
    row("", "JS package", "Rust Worker", "JS/Rust");
    row("wasm, raw", kb(sizes.js.wasm.raw), kb(sizes.rust.wasm.raw), ratio(sizes.js.wasm.raw, sizes.rust.wasm.raw));
    row("wasm, gzip level 9", kb(sizes.js.wasm.gzip), kb(sizes.rust.wasm.gzip), ratio(sizes.js.wasm.gzip, sizes.rust.wasm.gzip));
    row("JS glue (wasm-bindgen / worker-build shim), raw", kb(sizes.js.glue.raw), kb(sizes.rust.glue.raw), "");
    row(`in Worker, whole loop / n (median of ${ROUNDS} rounds of ${N})`, fmt(r.inWorker.js), fmt(r.inWorker.rust), ratio(r.inWorker.js, r.inWorker.rust));
    row(`outside, 1 query/request, p50 (${HTTP_REQS} req)`, fmt(r.oneP50.js), fmt(r.oneP50.rust), ratio(r.oneP50.js, r.oneP50.rust));
    row(`outside, 1 query/request, p99`, fmt(r.oneP99.js), fmt(r.oneP99.rust), ratio(r.oneP99.js, r.oneP99.rust));
    row(`outside, empty request (no query), p50`, fmt(r.emptyP50.js), fmt(r.emptyP50.rust), ratio(r.emptyP50.js, r.emptyP50.rust));
    row(`outside, ${BATCH_N} queries/request, per query (${BATCH_REQS} req)`, fmt(r.batch.js), fmt(r.batch.rust), ratio(r.batch.js, r.batch.rust));
    line("");
    line("How measured: in Worker = performance.now() around a loop of n awaited execute() calls (local workerd");
    line("advances this clock during CPU work; production Workers do not); outside = the driver's wall clock around");
    line("whole HTTP requests, per query = (p50 of N-query requests - p50 of empty requests) / N. JS results are");
    line("built into @libsql/client's ResultSet; Rust results are read with row.get::<i64>(\"id\"). Shared 2-core");
    line("VM: compare the columns of one run, not runs.");

    emit("npm run bench:rust-worker", { bench: "rust-worker", rows: ROWS, n: N, rounds: ROUNDS, sizes, ...r, inWorkerRounds: inWorker });
  } finally {
    await w.stop();
    await stop(p.child);
  }
}

main()
  .then(() => process.exit(0))
  .catch((e) => {
    console.error(e?.stack ?? e);
    process.exit(1);
  });
