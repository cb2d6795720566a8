// bench:partial: partial replicas inside workerd (issue 13's benchmark), driven from Node.
//   node benches/partial/drive.mjs --netem BIN --workerd BIN --bundle DIR --work DIR
// A BENCH_SIZE_MB (256) MiB database and a BENCH_FULL_MB (32) MiB one, both `items` (seed.mjs,
// cached under target/bench-partial/), each served by its own `tursodb --sync-server` behind netem
// (BENCH_RTT_MS 40, BENCH_BANDWIDTH_MBIT 100). Every phase runs in a fresh `workerd serve` process:
//   1. cold: spawn → the first point-select result, minus spawn → /ping, for a partial replica
//      (budget BENCH_BUDGET_MB, 16) and for @libsql/client/web, BENCH_COLD_RUNS (5) times each
//      (the web client through a fetch that drops the `close` tursodb rejects; tried as it is once);
//   2. hit and miss: BENCH_POINT_N (100) uniform ids, each read twice on a warm partial replica;
//   3. skewed: Zipf(BENCH_ZIPF_S, 1.2) over the row ids in each of BENCH_LAYOUTS
//      ("scattered,clustered"; workload.mjs), BENCH_WARMUP (2000) then BENCH_MEASURED (1000),
//      with two bounds computed from the workload (what an ideal cache could serve);
//   4. full: the same Zipf (scattered) on a whole replica of the small database (64 MiB budget), in
//      its own process, and next to the partial replica at the end of each phase 3 process (hits
//      timed in batches interleaved with the full replica's reads);
//   5. the wasm memory high-water mark (stats().wasmMemoryBytes) at the end of each process,
//      against the README's bound (budget + 8 MiB + 150 KB per replica).
// Phases 2-4 are repeated BENCH_RUNS (1) times. Timing is wall clock in this driver around each
// HTTP request, minus the median of an empty request sent just before each one (phases.mjs).
// A miss costs two /pull-updates (the pages, then the prefetch segment), and tursodb takes about
// 150 ms for each on a 256 MiB database (it is printed first): the run takes about 8 minutes.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { deadline, emit, fmtMs, knob, listKnob, mb, median, mib, netemStats, pct, ratio, startNetem, stop } from "../lib/harness.mjs";
import { hitAndMiss, interleaved, skewed, stats, verify, warm } from "./phases.mjs";
import { pageFetchMs } from "./probe.mjs";
import { cachedDatabase, serveCopy } from "./seed.mjs";
import { uniformIds, zipf } from "./workload.mjs";
import { firstResponse, startWorkerd, timed, withWorkerd, writeConfig } from "../lib/workerd.mjs";

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
for (const k of ["netem", "workerd", "bundle", "work"]) if (!args[k]) throw new Error(`drive.mjs: --${k} is required (run benches/partial/run.sh)`);
deadline("bench:partial", 120);
const MiB = 1 << 20;
const SIZE_MB = knob("BENCH_SIZE_MB", 256, 900);
const FULL_MB = knob("BENCH_FULL_MB", 32, 48);
const BUDGET_MB = knob("BENCH_BUDGET_MB", 16, 1024);
const RUNS = knob("BENCH_RUNS", 1, 20);
const COLD_RUNS = knob("BENCH_COLD_RUNS", 5, 50);
const POINT_N = knob("BENCH_POINT_N", 100, 10_000);
const WARMUP = knob("BENCH_WARMUP", 2000, 100_000);
const MEASURED = knob("BENCH_MEASURED", 1000, 100_000);
const ZIPF_S = Number(process.env.BENCH_ZIPF_S ?? 1.2);
if (!(ZIPF_S > 0 && ZIPF_S < 10)) throw new Error("BENCH_ZIPF_S must be in (0, 10)");
const LAYOUTS = listKnob("BENCH_LAYOUTS", "scattered,clustered", ["scattered", "clustered"]);
const shape = { rttMs: Number(process.env.BENCH_RTT_MS ?? 40), bandwidthMbit: Number(process.env.BENCH_BANDWIDTH_MBIT ?? 100) };
const FULL_BUDGET = 64 * MiB;
const COMMAND = "npm run bench:partial";
const TARGET_LOCAL = 0.95;
const TARGET_RATIO = 1.5;

// ---- databases, tursodb, netem, the workerd config ----
const big = await cachedDatabase(SIZE_MB);
const small = await cachedDatabase(FULL_MB);
mkdirSync(args.work, { recursive: true });
const bigTurso = await serveCopy(big, join(args.work, "big"));
const smallTurso = await serveCopy(small, join(args.work, "small"));
// tursodb's own time for a one-page /pull-updates (loopback, no netem): its share of every miss.
const serverMs = { big: await pageFetchMs(bigTurso.url, Math.floor(big.bytes / 4096), 15), small: await pageFetchMs(smallTurso.url, Math.floor(small.bytes / 4096), 15) };
const bigNet = await startNetem(args.netem, bigTurso.url, shape);
const smallNet = await startNetem(args.netem, smallTurso.url, shape);
const config = writeConfig(args.bundle, "partial", {
  BIG: bigNet.url,
  SMALL: smallNet.url,
  PARTIAL_BUDGET: String(BUDGET_MB * MiB),
  FULL_BUDGET: String(FULL_BUDGET),
  ISOLATE_BUDGET: String(128 * MiB), // room for both replicas where they share an isolate
});
const workerd = (fn) => withWorkerd(args.workerd, config, args.bundle, fn);

// Two bounds on the local fraction, from the workload alone: `seen` is the share of measured
// queries whose id came up before (an unbounded cache that fetched only the rows read would serve
// exactly those); `fits` is the probability of the hottest rows whose pages fit the budget (the
// best any cache of that size serves in the long run: a row per page when scattered, whole pages
// of neighbours when clustered).
const budgetPages = (BUDGET_MB * MiB) / 4096;
const rowsPerPage = big.rows / (big.bytes / 4096);
function seenBefore(warmup, measured) {
  const seen = new Set(warmup);
  let hits = 0;
  for (const id of measured) {
    if (seen.has(id)) hits++;
    seen.add(id);
  }
  return hits / measured.length;
}
const OVERHEAD = 8 * MiB; // the README's fixed overhead over the budget (plus ~150 KB per replica)

const range = (xs) => (xs.length > 1 ? ` [${fmtMs(Math.min(...xs))}–${fmtMs(Math.max(...xs))}]` : "");
const pctText = (x) => `${(100 * x).toFixed(1)}%`;
const pctRange = (xs) => (xs.length > 1 ? ` [${pctText(Math.min(...xs))}–${pctText(Math.max(...xs))}]` : "");
const yes = (ok) => (ok ? "MET" : "NOT MET");
console.log(
  `bench:partial: inside workerd (a fresh \`workerd serve\` per phase); tursodb --sync-server behind netem (${shape.rttMs} ms RTT, ${shape.bandwidthMbit} Mbit/s); ` +
    `database ${mib(big.bytes)} (${big.rows} rows: id INTEGER PRIMARY KEY, k indexed, 900-byte blob); partial budget ${BUDGET_MB} MiB; ` +
    `full replica of ${mib(small.bytes)} (${small.rows} rows), budget 64 MiB. Times: driver wall clock per HTTP request minus the median empty request.`,
);
console.log(`tursodb (0.7.0, the reference sync server) answers a one-page /pull-updates on loopback in ${fmtMs(serverMs.big)} on the large database, ${fmtMs(serverMs.small)} on the small one (median of 15): part of every miss below.`);
emit(COMMAND, { bench: "partial", section: "server", sizeMb: SIZE_MB, databaseBytes: big.bytes, rows: big.rows, onePagePullMs: serverMs.big, smallDatabaseBytes: small.bytes, smallOnePagePullMs: serverMs.small });

// ---- 1. cold isolate ----
const COLD = [
  { key: "ping", path: () => "/ping" },
  { key: "partial", label: `partial replica, ${BUDGET_MB} MiB budget`, path: (id) => `/cold?kind=partial&id=${id}` },
  { key: "partialPu", label: `  the same, syncProtocol "pull-updates"`, path: (id) => `/cold?kind=partial&proto=pull-updates&id=${id}` },
  { key: "web", label: "@libsql/client/web + close shim", path: (id) => `/cold?kind=web%2Bshim&id=${id}` },
];
const cold = Object.fromEntries(COLD.map((c) => [c.key, { spawn: [], worker: [], requests: [], bytesDown: [], fetches: [], pages: [] }]));
{
  const w = await startWorkerd(args.workerd, config, args.bundle); // the binary and bundle into the page cache
  await firstResponse(w, "/ping").finally(() => stop(w.child));
}
const coldIds = uniformIds(big.rows, COLD_RUNS, 7);
// @libsql/client/web as it is, once: tursodb's Hrana subset rejects the `close` it sends.
const webAsIs = await workerd((w) => firstResponse(w, `/cold?kind=web&id=${coldIds[0]}`).then(() => "works", (e) => e.message));
for (let run = 0; run < COLD_RUNS; run++) {
  for (const c of COLD) {
    const w = await startWorkerd(args.workerd, config, args.bundle);
    try {
      const before = await netemStats(bigNet.url);
      const r = await firstResponse(w, c.path(coldIds[run]));
      const after = await netemStats(bigNet.url);
      const m = cold[c.key];
      m.spawn.push(r.spawnMs);
      if (c.key === "ping") continue;
      m.worker.push(r.body.workerMs);
      m.requests.push(after.requests - before.requests);
      m.bytesDown.push(after.bytes_down - before.bytes_down);
      if (r.body.partial) {
        if (r.body.local !== 1 || r.body.remote !== 0) throw new Error(`the cold partial read was not local: ${JSON.stringify(r.body)}`);
        m.fetches.push(r.body.partial.fetches);
        m.pages.push(r.body.partial.pagesFetched);
      }
    } finally {
      await stop(w.child);
    }
  }
}
const ping = median(cold.ping.spawn);
const coldMs = (key) => median(cold[key].spawn) - ping;
// The in-Worker clock (performance.now() around createClient + the first execute; it moves at I/O)
// is the figure: spawn -> row minus spawn -> /ping, in parentheses, carries the spawn's jitter.
const workerMs = (key) => median(cold[key].worker);
console.log(`\nCOLD ISOLATE: first point-select result, in-Worker clock (spawn -> row minus spawn -> /ping ${fmtMs(ping)} in parentheses); median of ${COLD_RUNS}`);
for (const c of COLD.slice(1)) {
  const m = cold[c.key];
  const pages = m.fetches.length ? `; ${median(m.fetches)} page fetches, ${median(m.pages)} pages` : "";
  console.log(`${c.label.padEnd(40)} ${fmtMs(workerMs(c.key)).padStart(10)}  (${fmtMs(coldMs(c.key))})  ${ratio(workerMs(c.key), workerMs("web")).padStart(6)} web's; ${median(m.requests)} requests, ${mb(median(m.bytesDown))} down${pages}`);
}
console.log(`@libsql/client/web as it is: ${webAsIs}`);
emit(COMMAND, { bench: "partial", section: "cold", sizeMb: SIZE_MB, databaseBytes: big.bytes, budgetBytes: BUDGET_MB * MiB, rttMs: shape.rttMs, bandwidthMbit: shape.bandwidthMbit, runs: COLD_RUNS, pingMs: ping, partialMs: workerMs("partial"), partialPullUpdatesMs: workerMs("partialPu"), webShimMs: workerMs("web"), spawnMinusPingMs: { partial: coldMs("partial"), partialPu: coldMs("partialPu"), web: coldMs("web") }, webAsIs, cases: cold });

// ---- 2-5. warm phases, BENCH_RUNS times ----
const runs = [];
for (let run = 0; run < RUNS; run++) {
  const r = { layouts: {} };
  await workerd(async (w) => {
    r.point = await hitAndMiss(w, uniformIds(big.rows, POINT_N, 1000 + run));
    await verify(bigTurso.url, r.point.samples, "hit and miss");
    r.point.stats = await stats(w, "partial");
  });
  for (const layout of LAYOUTS) {
    await workerd(async (w) => {
      const z = zipf(big.rows, ZIPF_S, layout, 2000 + run);
      const [warmIds, measuredIds] = [z.take(WARMUP), z.take(MEASURED)];
      const s = await skewed(w, "partial", warmIds, measuredIds);
      s.seenBefore = seenBefore(warmIds, measuredIds);
      s.capacity = z.mass(layout === "scattered" ? budgetPages : budgetPages * rowsPerPage);
      await verify(bigTurso.url, s.samples, `zipf ${layout}`);
      s.stats = await stats(w, "partial"); // before the full replica joins this isolate
      // A warm full replica of the small database next to it, the hits timed interleaved with it.
      const zf = zipf(small.rows, ZIPF_S, "scattered", 3000 + run);
      await timed(w, "/q?kind=full&ids=1");
      await warm(w, "full", zf.take(WARMUP));
      s.batch = await interleaved(w, s.hits, zf.take(MEASURED));
      r.layouts[layout] = s;
    });
  }
  await workerd(async (w) => {
    const t0 = performance.now();
    await firstResponse(w, "/q?kind=full&ids=1");
    const bootstrapMs = performance.now() - t0;
    const z = zipf(small.rows, ZIPF_S, "scattered", 3000 + run);
    r.full = await skewed(w, "full", z.take(WARMUP), z.take(MEASURED)); // the same ids as above
    await verify(smallTurso.url, r.full.samples, "full replica");
    r.full.bootstrapMs = bootstrapMs;
    r.full.stats = await stats(w, "full");
  });
  runs.push(r);
  console.error(`bench:partial: run ${run + 1}/${RUNS} done`);
}

// Per run: a percentile of the class minus the median empty request; then the median over runs.
const lat = (phase, cls, p) => pct(phase[cls], p) - median(phase.base);
const perQuery = (batch, which) => (median(batch[which]) - median(batch.base)) / batch.n;
const over = (f) => {
  const xs = runs.map(f).filter((x) => Number.isFinite(x));
  return { median: xs.length ? median(xs) : NaN, all: xs };
};

const point = {
  hitP50: over((r) => lat(r.point, "hit", 50)),
  hitP95: over((r) => lat(r.point, "hit", 95)),
  missP50: over((r) => lat(r.point, "miss", 50)),
  missP95: over((r) => lat(r.point, "miss", 95)),
  fetchesPerMiss: over((r) => median(r.point.fetchesPerMiss)),
};
const full = {
  p50: over((r) => lat(r.full, "hit", 50)),
  p95: over((r) => lat(r.full, "hit", 95)),
  bootstrap: over((r) => r.full.bootstrapMs),
};
const samples = runs.reduce((n, r) => n + r.point.samples.length + r.full.samples.length + Object.values(r.layouts).reduce((m, s) => m + s.samples.length, 0), 0);
console.log(`\nWARM ISOLATE: point select, one query per request (median over ${RUNS} runs [range])`);
console.log(`                                          p50                      p95`);
console.log(`partial, hit (2nd read of an id)   ${(fmtMs(point.hitP50.median) + range(point.hitP50.all)).padEnd(24)} ${fmtMs(point.hitP95.median) + range(point.hitP95.all)}`);
console.log(`partial, miss (1st read, fetched)  ${(fmtMs(point.missP50.median) + range(point.missP50.all)).padEnd(24)} ${fmtMs(point.missP95.median) + range(point.missP95.all)}   (${point.fetchesPerMiss.median} fetch per miss, median)`);
console.log(`full replica (${mib(small.bytes)}), zipf       ${(fmtMs(full.p50.median) + range(full.p50.all)).padEnd(24)} ${fmtMs(full.p95.median) + range(full.p95.all)}`);
console.log(`  (${POINT_N} uniform ids read twice per run; a miss is a query during which partial.fetches or misses moved; ${runs.map((r) => `${r.point.miss.length} misses, ${r.point.secondFetched} second reads fetched, ${r.point.remote} remote`).join("; ")})`);
emit(COMMAND, { bench: "partial", section: "point", sizeMb: SIZE_MB, budgetBytes: BUDGET_MB * MiB, rttMs: shape.rttMs, runs: RUNS, hitP50Ms: point.hitP50.median, hitP95Ms: point.hitP95.median, missP50Ms: point.missP50.median, missP95Ms: point.missP95.median, fullP50Ms: full.p50.median, fullP95Ms: full.p95.median, fetchesPerMiss: point.fetchesPerMiss.median, perRun: { hitP50: point.hitP50.all, missP50: point.missP50.all } });

console.log(`\nSKEWED: Zipf(s=${ZIPF_S}) over ${big.rows} row ids, ${WARMUP} warm-up then ${MEASURED} measured queries (median over ${RUNS} runs [range])`);
console.log("hit = a query that fetched nothing; batched = the last 200 hits again in one request, per query, interleaved with 200 reads of a warm full replica of the small database in the same isolate (the figures compared); 1/request = minus the empty request");
console.log(`layout      local, no fetch          page hit rate   hit, batched             full, batched   hit/full   hit p50 1/request   full p50 1/request   miss p50`);
const verdicts = [];
for (const layout of LAYOUTS) {
  const ph = (r) => r.layouts[layout];
  const local = over((r) => ph(r).hit.length / (ph(r).hit.length + ph(r).miss.length));
  const warmLocal = over((r) => 1 - ph(r).warmupFetched / WARMUP);
  const pageHit = over((r) => 1 - ph(r).pageMisses / ph(r).pageReads);
  const hitP50 = over((r) => lat(ph(r), "hit", 50));
  const hitP95 = over((r) => lat(ph(r), "hit", 95));
  const missP50 = over((r) => lat(ph(r), "miss", 50));
  const batch = over((r) => perQuery(ph(r).batch, "partial"));
  const fullBatch = over((r) => perQuery(ph(r).batch, "full"));
  const ratioBatch = over((r) => perQuery(ph(r).batch, "partial") / perQuery(ph(r).batch, "full"));
  const wasm = over((r) => ph(r).stats.wasmMemoryBytes);
  const memory = over((r) => ph(r).stats.memoryBytes);
  const remote = runs.reduce((n, r) => n + ph(r).remote, 0);
  const batchFetches = runs.reduce((n, r) => n + ph(r).batch.fetches, 0);
  const batchN = Math.min(...runs.map((r) => ph(r).batch.n));
  const seen = over((r) => ph(r).seenBefore);
  const fits = over((r) => ph(r).capacity);
  const localMet = local.median >= TARGET_LOCAL;
  const latencyMet = ratioBatch.median <= TARGET_RATIO;
  console.log(
    `${layout.padEnd(11)} ${(pctText(local.median) + pctRange(local.all)).padEnd(24)} ${pctText(pageHit.median).padEnd(15)} ${(fmtMs(batch.median) + range(batch.all)).padEnd(24)} ${fmtMs(fullBatch.median).padEnd(15)} ${(ratioBatch.median.toFixed(2) + "x").padEnd(10)} ${fmtMs(hitP50.median).padEnd(19)} ${fmtMs(full.p50.median).padEnd(20)} ${fmtMs(missP50.median)}`,
  );
  console.log(`            bounds from the workload: ${pctText(seen.median)} of the measured ids came up before, the hottest rows that fit ${BUDGET_MB} MiB take ${pctText(fits.median)} of the queries`);
  console.log(`            warm-up local ${pctText(warmLocal.median)}; hit p95 1/request ${fmtMs(hitP95.median)}; ${remote} reads went to the primary; the batched hits (${batchN} per batch) fetched ${batchFetches} times; hit/full per run ${ratioBatch.all.map((x) => x.toFixed(2)).join(", ")}`);
  verdicts.push(`${layout}: ≥${100 * TARGET_LOCAL}% local ${yes(localMet)} (${pctText(local.median)}); hit within ${TARGET_RATIO}x of full ${yes(latencyMet)} (${ratioBatch.median.toFixed(2)}x batched)`);
  emit(COMMAND, { bench: "partial", section: "zipf", layout, sizeMb: SIZE_MB, budgetBytes: BUDGET_MB * MiB, rttMs: shape.rttMs, bandwidthMbit: shape.bandwidthMbit, zipfS: ZIPF_S, warmup: WARMUP, measured: MEASURED, runs: RUNS, localFraction: local.median, localPerRun: local.all, seenBeforeFraction: seen.median, fitsFraction: fits.median, warmupLocalFraction: warmLocal.median, pageHitRate: pageHit.median, hitBatchedMs: batch.median, fullBatchedMs: fullBatch.median, ratioBatched: ratioBatch.median, ratioBatchedPerRun: ratioBatch.all, hitP50Ms: hitP50.median, hitP95Ms: hitP95.median, fullP50Ms: full.p50.median, missP50Ms: missP50.median, wasmMemoryBytes: wasm.median, replicaBytes: memory.median, remoteReads: remote, targetLocalMet: localMet, targetLatencyMet: latencyMet });
}

const pointWasm = over((r) => r.point.stats.wasmMemoryBytes);
const fullWasm = over((r) => r.full.stats.wasmMemoryBytes);
const maxWasm = Math.max(...runs.flatMap((r) => [r.point.stats.wasmMemoryBytes, ...Object.values(r.layouts).map((s) => s.stats.wasmMemoryBytes)]));
const maxReplica = Math.max(...runs.flatMap((r) => [r.point.stats.memoryBytes, ...Object.values(r.layouts).map((s) => s.stats.memoryBytes)]));
const bound = BUDGET_MB * MiB + OVERHEAD + 150_000;
console.log(`\nMEMORY (stats() at the end of each process; wasm memory never shrinks, so this is the high-water mark): partial wasm ${mib(pointWasm.median)} after the hit/miss phase, at most ${mib(maxWasm)} in any partial process, for a ${BUDGET_MB} MiB budget: ${maxWasm <= bound ? "within" : "OVER"} budget + 8 MiB + 150 KB = ${mib(bound)} (replica held at most ${mib(maxReplica)}); full replica of ${mib(small.bytes)}: wasm ${mib(fullWasm.median)}, bootstrap ${fmtMs(full.bootstrap.median)}`);
console.log(`TARGETS (issue 13, after warm-up): ${verdicts.join("; ")}`);
console.log(`answers: ${samples} sampled blobs equal tursodb's`);
emit(COMMAND, { bench: "partial", section: "memory", sizeMb: SIZE_MB, budgetBytes: BUDGET_MB * MiB, partialWasmMemoryBytes: pointWasm.median, partialWasmMaxBytes: maxWasm, partialReplicaMaxBytes: maxReplica, fullWasmMemoryBytes: fullWasm.median, fullDatabaseBytes: small.bytes, fullBootstrapMs: full.bootstrap.median });

for (const child of [bigNet.child, smallNet.child, bigTurso.child, smallTurso.child]) await stop(child);
process.exit(0);
