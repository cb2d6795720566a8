// Driver of the edge benchmark (run through benches/workerd/run.sh, which builds what it needs).
//   node drive.mjs --primary BIN --netem BIN --workerd BIN --bundle DIR --work DIR
// 1. starts two release dev primaries (loopback, port 0) and seeds a ~1 MB and a ~25 MB database
//    with one recursive-CTE INSERT each over Hrana /v2/pipeline;
// 2. per network: "loopback" (workerd talks to the primaries directly) and "shaped" (through a
//    netem proxy per primary: 40 ms RTT, 100 Mbit/s by default), then
// 3. cold start: for each case a NEW `workerd serve` process on the wrangler bundle; the driver
//    times process spawn -> first query result (polling the socket until it accepts), and the
//    Worker times its first request from handler start to result (bootstrap sync included); the
//    `-remote` cases use coldStart "remote" with waitUntil (the primary answers the first read
//    while the replica bootstraps in the background), and after the first result the driver polls
//    the same isolate's client.stats() until the replica is installed, then reads until the replica
//    serves the read (time until reads turn local); `edgehttp` is libsql-edge without a replica;
// 4. steady state, one workerd process: point selects through libsql-edge (local replica) and
//    @libsql/client/web (one Hrana request per query to the same primary), measured inside the
//    Worker (performance.now() around each await) and from outside (HTTP requests doing 1 or N
//    queries, timed by this driver);
// 5. prints one table per network with the ratios (and with BENCH_JSON appends JSON lines), kills
//    everything it started and exits.
// Every loop is bounded; only 127.0.0.1 is contacted. Knobs (env): BENCH_N (in-Worker queries per
// round, 2000), BENCH_ROUNDS (3), BENCH_COLD_RUNS (5), BENCH_HTTP_REQS (1000), BENCH_BATCH_N (100),
// BENCH_BATCH_REQS (30); through the shaped network the remote client's counts are capped by
// BENCH_SHAPED_N (100 in-Worker queries per round), BENCH_SHAPED_HTTP_REQS (200) and
// BENCH_SHAPED_BATCH_REQS (5) so a run stays within minutes; BENCH_NETS ("loopback,shaped"),
// BENCH_RTT_MS (40), BENCH_BANDWIDTH_MBIT (100), BENCH_PARTS ("cold,warm,loop,outside"),
// BENCH_COLD_DBS ("1mb,25mb": the databases of the cold-start and warm-isolate cases).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  deadline,
  emit,
  knob,
  listKnob,
  mean,
  median,
  netemStats,
  networks,
  pct,
  pipeline,
  root,
  start,
  startNetem,
  startPrimary,
  stop,
} from "../lib/harness.mjs";
import { startWorkerd, writeConfig } from "../lib/workerd.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
for (const k of ["primary", "netem", "workerd", "bundle", "work"]) {
  if (!args[k]) {
    console.error(`drive.mjs: --${k} is required (run benches/workerd/run.sh)`);
    process.exit(2);
  }
}
const N = knob("BENCH_N", 2000, 50_000);
const ROUNDS = knob("BENCH_ROUNDS", 3, 20);
const COLD_RUNS = knob("BENCH_COLD_RUNS", 5, 50);
const HTTP_REQS = knob("BENCH_HTTP_REQS", 1000, 20_000);
const BATCH_N = knob("BENCH_BATCH_N", 100, 5_000);
const BATCH_REQS = knob("BENCH_BATCH_REQS", 30, 1_000);
const SHAPED_N = knob("BENCH_SHAPED_N", 100, 50_000);
const SHAPED_HTTP_REQS = knob("BENCH_SHAPED_HTTP_REQS", 200, 20_000);
const SHAPED_BATCH_REQS = knob("BENCH_SHAPED_BATCH_REQS", 5, 1_000);
const NETS = networks();
// Which parts run (all by default); e.g. BENCH_PARTS=loop for the in-Worker point-select loops only.
const PARTS = new Set(listKnob("BENCH_PARTS", "cold,warm,loop,outside", ["cold", "warm", "loop", "outside"]));
const COLD_DBS = listKnob("BENCH_COLD_DBS", "1mb,25mb", ["1mb", "25mb"]);
/** Bound on the wait for a remote cold start's replica to be installed (per run). */
const TO_LOCAL_LIMIT_MS = 120_000;
/** Warm-up queries before each timed in-Worker loop; the remote client's (one round trip each) are
 * 200 on loopback, 10 through the shaped network. */
const WARM = { edge: 5000, none: 5000 };
const COMMAND = "npm run bench:workerd";
deadline("bench:workerd", 40);

const cell = (result, row = 0, col = 0) => Number(result.rows[row][col].value);

async function seed(url, rows) {
  const t0 = performance.now();
  await pipeline(url, [
    "CREATE TABLE bench (id INTEGER PRIMARY KEY, k INTEGER NOT NULL, name TEXT NOT NULL, val REAL NOT NULL, payload BLOB NOT NULL)",
    `INSERT INTO bench (id, k, name, val, payload)
       WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rows})
       SELECT x, (x * 7) % 1000, 'name-' || x, x / 3.0, randomblob(200) FROM c`,
  ]);
  const [count, pages, pageSize] = await pipeline(url, ["SELECT count(*) FROM bench", "PRAGMA page_count", "PRAGMA page_size"]);
  if (cell(count) !== rows) throw new Error(`seeded ${cell(count)} rows, expected ${rows}`);
  return { rows, bytes: cell(pages) * cell(pageSize), seedMs: performance.now() - t0 };
}

// ---- workerd ---------------------------------------------------------------------------------

/** GET until the socket accepts (bounded); returns the parsed body and timings. */
async function firstResponse(w, path) {
  for (let attempt = 0; attempt < 5000; attempt++) {
    const sent = performance.now();
    try {
      const res = await fetch(w.base + path);
      const body = await res.json();
      const done = performance.now();
      if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
      return { body, spawnToResult: done - w.t0, request: done - sent, sent, done };
    } catch (e) {
      if (e?.cause?.code !== "ECONNREFUSED") throw e;
      if (w.child.exitCode !== null) throw new Error(`workerd exited: ${w.child.stderrText()}`);
      await sleep(1);
    }
  }
  throw new Error(`workerd did not accept connections: ${w.child.stderrText()}`);
}

/** A bench script in a child Node process; its last stdout line, parsed. */
async function nodeScript(script, argv) {
  const child = start(process.execPath, [join(root, script), ...argv]);
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const code = await new Promise((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`${script} exited ${code}: ${child.stderrText()}`);
  return JSON.parse(out.trim().split("\n").pop());
}

/** benches/reads/node-reads.mjs: per-round means (and CPU per query) of a point-select loop in Node. */
function nodeReads(kind, url, rows) {
  return nodeScript("benches/reads/node-reads.mjs", [kind, url, String(rows), String(Math.max(N, 5000)), String(Math.max(ROUNDS, 3))]);
}

/** CPU time (ns) of every thread of process `pid` so far (/proc/<pid>/task/<tid>/schedstat, field 1):
 * unlike wall time, not inflated when other processes share the cores. */
function cpuNs(pid) {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return total;
}

/** After a remote cold start's first result: polls the isolate's client.stats() (no query) until
 * the replica is installed (a position, no reason to read remotely), then reads on every poll until
 * the replica serves the read (an installed replica may not hold the table yet: http-sync installs
 * the generation's base image first, which for the dev primary predates the table). `installed` /
 * `at` = when the poll that saw the install / the first local read was answered. */
async function untilLocal(w, c) {
  const t0 = performance.now();
  let installed = null;
  for (let polls = 1; performance.now() - t0 < TO_LOCAL_LIMIT_MS; polls++) {
    const body = await get(w.base, installed === null ? c.state : `${c.state}&id=43`);
    const now = performance.now();
    if (installed !== null && String(body.timing).startsWith("replica;")) {
      if (Number(body.row?.id) !== 43) throw new Error(`${c.key}: wrong local row ${JSON.stringify(body)}`);
      return { installed, at: now, polls, stats: body.stats };
    }
    if (installed === null && body.stats.position !== null && body.stats.remoteReads === null) {
      installed = now;
      continue;
    }
    await sleep(1);
  }
  throw new Error(`${c.key}: reads did not turn local within ${TO_LOCAL_LIMIT_MS} ms`);
}

async function get(base, path) {
  const res = await fetch(base + path);
  const body = await res.json();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

// ---- statistics and output -------------------------------------------------------------------


// ---- output ----------------------------------------------------------------------------------

const fmt = (ms) => (ms === undefined || Number.isNaN(ms) ? "-" : ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);
const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(1)}x` : "n/a");
const ratio2 = (a, b) => (b > 0 ? `${(a / b).toFixed(2)}x` : "n/a");
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

const sizes = { "1mb": 4_000, "25mb": 103_000 };
const q = (kind, db, extra = "") => `client=${kind}&db=${db}&rows=${sizes[db]}${extra}`;

/** Cold starts and steady state with workerd talking to `targets` (primary or netem URL per db). */
async function measure(net, targets) {
  const configPath = writeConfig(args.bundle, net.name, { PRIMARY_1MB: targets["1mb"], PRIMARY_25MB: targets["25mb"] });
  const shaped = net.name === "shaped";
  // Through the shaped network every remote query costs a round trip: fewer of them.
  const count = { n: { edge: N, none: N, web: shaped ? Math.min(N, SHAPED_N) : N }, httpReqs: shaped ? Math.min(HTTP_REQS, SHAPED_HTTP_REQS) : HTTP_REQS, batchReqs: shaped ? Math.min(BATCH_REQS, SHAPED_BATCH_REQS) : BATCH_REQS };

  // Cold starts: one fresh workerd process per measurement, cases interleaved per run.
  const coldCases = [
    { key: "ping", label: "workerd start, /ping (no database)", path: "/ping" },
    ...COLD_DBS.flatMap((db) => [
      { key: `edge-${db}-auto`, db, label: `libsql-edge ${db}, protocol auto (detects http-sync)`, path: `/first?${q("edge", db, "&proto=auto&id=42")}` },
      { key: `edge-${db}-sqld`, db, label: `libsql-edge ${db}, protocol sqld (gRPC)`, path: `/first?${q("edge", db, "&proto=sqld&id=42")}` },
      ...["auto", "sqld"].map((proto) => ({
        key: `edge-${db}-remote${proto === "auto" ? "" : "-sqld"}`,
        db,
        label: `libsql-edge ${db}, coldStart remote, ${proto}`,
        path: `/first?${q("edge", db, `&proto=${proto}&cold=remote&id=42`)}`,
        state: `/state?${q("edge", db, `&proto=${proto}&cold=remote`)}`,
      })),
      { key: `web-${db}`, db, label: `@libsql/client/web ${db}`, path: `/first?${q("web", db, "&id=42")}` },
      { key: `edgehttp-${db}`, db, label: `libsql-edge ${db}, no replica (url = primary)`, path: `/first?${q("edgehttp", db, "&id=42")}` },
    ]),
  ];
  {
    // One untimed start first, so the workerd binary and the bundle are in the OS page cache.
    const w = await startWorkerd(args.workerd, configPath, args.bundle);
    await firstResponse(w, "/ping").finally(() => stop(w.child));
  }
  const cold = Object.fromEntries(
    coldCases.map((c) => [c.key, { spawn: [], request: [], worker: [], create: [], body: null, local: c.state ? { spawn: [], request: [], result: [], polls: [], installed: [] } : null }]),
  );
  for (let run = 0; run < (PARTS.has("cold") ? COLD_RUNS : 0); run++) {
    for (const c of coldCases) {
      const w = await startWorkerd(args.workerd, configPath, args.bundle);
      try {
        const r = await firstResponse(w, c.path);
        if (c.key !== "ping" && (r.body.row === null || Number(r.body.row.id ?? r.body.row[0]) !== 42)) {
          throw new Error(`${c.key}: wrong first row ${JSON.stringify(r.body)}`);
        }
        cold[c.key].spawn.push(r.spawnToResult);
        cold[c.key].request.push(r.request);
        if (typeof r.body.ms === "number") cold[c.key].worker.push(r.body.ms);
        if (typeof r.body.createMs === "number") cold[c.key].create.push(r.body.createMs);
        cold[c.key].body = r.body;
        if (c.state) {
          if (!String(r.body.timing).startsWith("primary;")) throw new Error(`${c.key}: first read not served by the primary: ${JSON.stringify(r.body)}`);
          const t = await untilLocal(w, c);
          cold[c.key].local.spawn.push(t.at - w.t0);
          cold[c.key].local.request.push(t.at - r.sent);
          cold[c.key].local.result.push(t.at - r.done);
          cold[c.key].local.polls.push(t.polls);
          cold[c.key].local.installed.push(t.installed - w.t0);
          cold[c.key].body = { ...r.body, memoryBytes: t.stats.memoryBytes, position: t.stats.position };
        }
      } finally {
        await stop(w.child);
      }
    }
    console.error(`cold-start run ${run + 1}/${COLD_RUNS} done`);
  }

  // Steady state: one workerd process; bootstrap the edge replica of the 1 MB database first.
  const w = await startWorkerd(args.workerd, configPath, args.bundle);
  const steady = {};
  try {
    await firstResponse(w, "/ping");
    await get(w.base, `/first?${q("edge", "1mb", "&proto=auto&id=1")}`);

    // A new replica in this (now warm) isolate, bootstrapping again: the sync without isolate start
    // and wasm instantiation.
    const warmBoot = {};
    for (let run = 0; run < (PARTS.has("warm") ? COLD_RUNS : 0); run++) {
      for (const db of COLD_DBS) {
        for (const [key, path] of [
          [`edge-${db}-auto`, `/first?${q("edge", db, "&proto=auto&id=42&fresh=1")}`],
          [`edge-${db}-sqld`, `/first?${q("edge", db, "&proto=sqld&id=42&fresh=1")}`],
          [`web-${db}`, `/first?${q("web", db, "&id=42")}`],
        ]) {
          const t0 = performance.now();
          const body = await get(w.base, path);
          const request = performance.now() - t0;
          if (body.row === null || Number(body.row.id) !== 42) throw new Error(`${key}: wrong row ${JSON.stringify(body)}`);
          warmBoot[key] ??= { request: [], worker: [] };
          warmBoot[key].request.push(request);
          warmBoot[key].worker.push(body.ms);
        }
      }
    }
    console.error("warm-isolate bootstraps done");

    // In the Worker: performance.now() around each await, rounds alternating between the clients.
    const inWorker = { edge: { times: [], means: [], cpu: [] }, web: { times: [], means: [], cpu: [] }, none: { times: [], means: [], cpu: [] } };
    let clockStep;
    for (let round = 0; round < (PARTS.has("loop") ? ROUNDS : 0); round++) {
      for (const kind of ["edge", "web", "none"]) {
        // Warm-up in its own request (the JIT tiers the hot wasm and JS up), then the timed loop,
        // whose workerd CPU time is read around it.
        await get(w.base, `/loop?${q(kind, "1mb", `&proto=auto&n=0&warm=${WARM[kind] ?? (shaped ? 10 : 200)}`)}`);
        const cpu0 = cpuNs(w.child.pid);
        const r = await get(w.base, `/loop?${q(kind, "1mb", `&proto=auto&n=${count.n[kind]}&warm=0`)}`);
        const cpu = cpuNs(w.child.pid) - cpu0;
        inWorker[kind].times.push(...r.times);
        inWorker[kind].means.push(r.mean);
        inWorker[kind].cpu.push(cpu / 1e6 / count.n[kind]);
        clockStep = r.clockStepMs;
      }
    }
    console.error("in-Worker loops done");

    // The same point select in Node (loopback only): libsql-edge's wasm through the Node entry, and
    // @libsql/client's native embedded replica (the libsql addon, replica in a file), in one
    // process each, against the same primary.
    const inNode = {};
    if (PARTS.has("loop") && !shaped) {
      for (const kind of ["edge", "native"]) inNode[kind] = await nodeReads(kind, targets["1mb"], sizes["1mb"]);
      inNode.init = [];
      for (let run = 0; run < COLD_RUNS; run++) inNode.init.push(await nodeScript("benches/reads/node-init.mjs", [targets["1mb"]]));
      console.error("Node loops done");
    }

    // Outside: whole HTTP requests timed by the driver; 1 query per request, and BATCH_N per request,
    // next to empty requests (n=0: routing and JSON only) in the same interleaved sequence.
    const outside = { empty: [], edge: [], web: [], batchEmpty: [], batchEdge: [], batchWeb: [] };
    const timed = async (path) => {
      const t0 = performance.now();
      await get(w.base, path);
      return performance.now() - t0;
    };
    if (!PARTS.has("outside")) count.httpReqs = count.batchReqs = 0;
    for (let i = 0; i < (shaped ? 5 : 50) && count.httpReqs > 0; i++) for (const k of ["edge", "web"]) await timed(`/q?${q(k, "1mb", `&n=1&start=${i}`)}`); // warm-up
    for (let i = 0; i < count.httpReqs; i++) {
      outside.empty.push(await timed(`/q?${q("edge", "1mb", "&n=0")}`));
      outside.edge.push(await timed(`/q?${q("edge", "1mb", `&n=1&start=${i}`)}`));
      outside.web.push(await timed(`/q?${q("web", "1mb", `&n=1&start=${i}`)}`));
    }
    for (let i = 0; i < count.batchReqs; i++) {
      outside.batchEmpty.push(await timed(`/q?${q("edge", "1mb", "&n=0")}`));
      outside.batchEdge.push(await timed(`/q?${q("edge", "1mb", `&n=${BATCH_N}&start=${i * BATCH_N}`)}`));
      outside.batchWeb.push(await timed(`/q?${q("web", "1mb", `&n=${BATCH_N}&start=${i * BATCH_N}`)}`));
    }
    console.error("outside requests done");
    Object.assign(steady, { inWorker, inNode, clockStep, outside, warmBoot, count });
  } finally {
    await stop(w.child);
  }

  return { coldCases, cold, steady };
}

/** Prints one network's table. */
function table(net, result, dbs) {
  const { coldCases, cold, steady } = result;
  const { inWorker, clockStep, outside, warmBoot, count } = steady;
  const iw = (k) => ({
    p50: pct(inWorker[k].times, 50),
    p99: pct(inWorker[k].times, 99),
    readingsMean: mean(inWorker[k].times),
    zeroShare: inWorker[k].times.filter((t) => t === 0).length / inWorker[k].times.length,
    mean: median(inWorker[k].means),
  });
  const tick = (ms) => (ms === 0 ? "0 (<1 tick)" : fmt(ms));
  const e = iw("edge");
  const wb = iw("web");
  const perQuery = (batch) => (median(batch) - median(outside.batchEmpty)) / BATCH_N;
  const edgeNet = { p50: pct(outside.edge, 50) - pct(outside.empty, 50), p99: pct(outside.edge, 99) - pct(outside.empty, 50) };
  const webNet = { p50: pct(outside.web, 50) - pct(outside.empty, 50), p99: pct(outside.web, 99) - pct(outside.empty, 50) };
  const line = (s = "") => console.log(s);
  const row = (label, edge, web, r) => line(`${label.padEnd(52)} ${edge.padStart(11)} ${web.padStart(11)} ${r.padStart(10)}`);

  line();
  line(`libsql-edge in workerd (${args.workerd.includes("wrangler") ? "wrangler's workerd binary" : "workerd"}, plain \`workerd serve\`), ${new Date().toISOString()}`);
  line(`point select: SELECT id, k, name, val FROM bench WHERE id = ? (ids vary), 1 MB database (${sizes["1mb"]} rows, ${mb(dbs["1mb"].bytes)})`);
  line(`network: ${net.label}${net.name === "shaped" ? " between workerd and the primaries" : ""}`);
  line(`edge = libsql-edge createClient (local replica); web = @libsql/client/web (Hrana over ${net.name === "shaped" ? "netem" : "loopback"} to the same release dev primary)`);
  line();
  row("POINT SELECT", "edge", "web", "web/edge");
  row(`in Worker, per await, p50 (${ROUNDS}x${count.n.edge}/${count.n.web} queries)`, tick(e.p50), tick(wb.p50), ratio(wb.p50, e.p50));
  row(`in Worker, per await, p99`, tick(e.p99), tick(wb.p99), ratio(wb.p99, e.p99));
  row(`in Worker, per await, mean of the readings`, fmt(e.readingsMean), fmt(wb.readingsMean), ratio(wb.readingsMean, e.readingsMean));
  row(`in Worker, whole loop / n (median of ${ROUNDS} rounds)`, fmt(e.mean), fmt(wb.mean), ratio(wb.mean, e.mean));
  row(`in Worker, whole loop / n (best round)`, fmt(Math.min(...inWorker.edge.means)), fmt(Math.min(...inWorker.web.means)), ratio(Math.min(...inWorker.web.means), Math.min(...inWorker.edge.means)));
  row(`in Worker, workerd CPU time / query (median of ${ROUNDS} rounds)`, fmt(median(inWorker.edge.cpu)), fmt(median(inWorker.web.cpu)), ratio(median(inWorker.web.cpu), median(inWorker.edge.cpu)));
  line(`  the loop alone (an async execute answering at once, no database): whole loop / n ${fmt(median(inWorker.none.means))}, CPU / query ${fmt(median(inWorker.none.cpu))}`);
  line(`  edge rounds, whole loop / n in order: ${inWorker.edge.means.map(fmt).join(", ")}; CPU / query: ${inWorker.edge.cpu.map(fmt).join(", ")}`);
  row(`outside, 1 query/request, request p50 (${count.httpReqs} req)`, fmt(pct(outside.edge, 50)), fmt(pct(outside.web, 50)), ratio(pct(outside.web, 50), pct(outside.edge, 50)));
  row(`outside, 1 query/request, request p99`, fmt(pct(outside.edge, 99)), fmt(pct(outside.web, 99)), ratio(pct(outside.web, 99), pct(outside.edge, 99)));
  row(`outside, 1 query/request minus empty-request p50: p50`, fmt(edgeNet.p50), fmt(webNet.p50), ratio(webNet.p50, edgeNet.p50));
  row(`outside, 1 query/request minus empty-request p50: p99`, fmt(edgeNet.p99), fmt(webNet.p99), ratio(webNet.p99, edgeNet.p99));
  row(`outside, ${BATCH_N} queries/request, per query (${count.batchReqs} req)`, fmt(perQuery(outside.batchEdge)), fmt(perQuery(outside.batchWeb)), ratio(perQuery(outside.batchWeb), perQuery(outside.batchEdge)));
  if (steady.inNode.edge) {
    const ne = median(steady.inNode.edge.means);
    const nn = median(steady.inNode.native.means);
    line(`in Node, whole loop / n (median of ${steady.inNode.edge.rounds}x${steady.inNode.edge.n}): edge ${fmt(ne)}, @libsql/client native embedded replica ${fmt(nn)} (native/edge ${ratio(nn, ne)})`);
    const ce = median(steady.inNode.edge.cpu);
    const cn = median(steady.inNode.native.cpu);
    line(`in Node, process CPU time / query: edge ${fmt(ce)}, @libsql/client native embedded replica ${fmt(cn)} (native/edge ${ratio(cn, ce)})`);
    line(`  workerd edge (whole loop / n) vs Node native embedded replica: native/edge ${ratio(nn, e.mean)}`);
    const init = (k) => median(steady.inNode.init.map((r) => r[k]));
    line(`wasm init in Node (fresh process, median of ${steady.inNode.init.length}): compile ${fmt(init("compile"))}, instantiate ${fmt(init("instantiate"))}, createClient ${fmt(init("createClient"))}, first local read ${fmt(init("firstRead"))} (second ${fmt(init("secondRead"))})`);
  }
  line(`  empty request (routing + JSON, no query): p50 ${fmt(pct(outside.empty, 50))}, p99 ${fmt(pct(outside.empty, 99))}`);
  line(`  in-Worker clock: steps of ${fmt(clockStep)}; awaits that read 0: edge ${(e.zeroShare * 100).toFixed(1)}%, web ${(wb.zeroShare * 100).toFixed(1)}%`);
  line();
  line(`COLD START to the first query result (median of ${COLD_RUNS}; a NEW workerd process per run, so a fresh isolate and an empty replica)`);
  line(`${"case".padEnd(52)} ${"spawn->row".padStart(11)} ${"- ping".padStart(11)} ${"1st req".padStart(11)} ${"in Worker".padStart(11)} ${"wasm init".padStart(11)}`);
  const ping = median(cold.ping.spawn);
  for (const c of coldCases) {
    const m = cold[c.key];
    if (m.spawn.length === 0) continue;
    const extra = c.key.startsWith("edge") && m.body.memoryBytes !== null ? `  (${mb(m.body.memoryBytes)} in replica, ${m.body.position})` : "";
    line(
      `${c.label.padEnd(52)} ${fmt(median(m.spawn)).padStart(11)} ${(c.key === "ping" ? "" : fmt(median(m.spawn) - ping)).padStart(11)} ${fmt(median(m.request)).padStart(11)} ${(m.worker.length ? fmt(median(m.worker)) : "").padStart(11)} ${(c.key.startsWith("edge") ? fmt(median(m.create)) : "").padStart(11)}${extra}`,
    );
  }
  for (const db of PARTS.has("cold") ? COLD_DBS : []) {
    const web = median(cold[`web-${db}`].spawn);
    const webReq = median(cold[`web-${db}`].request);
    const remote = (suffix, what, base) => ratio2(median(cold[`edge-${db}-remote${suffix}`][what]) - base, median(cold[`web-${db}`][what]) - base);
    line(
      `  ${db} (${mb(dbs[db].bytes)}) spawn->row, edge/web: ${ratio(median(cold[`edge-${db}-auto`].spawn), web)} (auto), ` +
        `${ratio(median(cold[`edge-${db}-sqld`].spawn), web)} (sqld); first request alone, edge/web: ` +
        `${ratio(median(cold[`edge-${db}-auto`].request), webReq)} (auto), ${ratio(median(cold[`edge-${db}-sqld`].request), webReq)} (sqld)`,
    );
    line(
      `  ${db} coldStart remote, edge/web: spawn->row ${remote("", "spawn", 0)} (auto), ${remote("-sqld", "spawn", 0)} (sqld); ` +
        `in Worker ${remote("", "worker", 0)} (auto), ${remote("-sqld", "worker", 0)} (sqld); ` +
        `first request alone ${remote("", "request", 0)} (auto), ${remote("-sqld", "request", 0)} (sqld)`,
    );
  }
  const remote = coldCases.filter((c) => c.state && cold[c.key].local.spawn.length > 0);
  if (remote.length > 0) {
    line();
    line(`TIME UNTIL READS TURN LOCAL with coldStart "remote" (median of ${COLD_RUNS}; after the first result the driver polls the`);
    line(`isolate's client.stats() every ~1 ms, without a query until the replica is installed, then with one read until the`);
    line(`replica serves it (serverTiming "replica"); 'installed' = the first poll that saw a position, from spawn)`);
    line(`${"case".padEnd(52)} ${"from spawn".padStart(11)} ${"from 1st req".padStart(12)} ${"after 1st row".padStart(13)} ${"installed".padStart(11)} ${"polls".padStart(6)}`);
    for (const c of remote) {
      const l = cold[c.key].local;
      line(
        `${c.label.padEnd(52)} ${fmt(median(l.spawn)).padStart(11)} ${fmt(median(l.request)).padStart(12)} ${fmt(median(l.result)).padStart(13)} ` +
          `${fmt(median(l.installed)).padStart(11)} ${String(median(l.polls)).padStart(6)}`,
      );
    }
  }
  line();
  line(`FIRST QUERY OF A NEW CLIENT IN A WARM ISOLATE (median of ${COLD_RUNS}; same workerd process, wasm already instantiated;`);
  line(`edge: a new uncached replica each time, so the bootstrap sync again; web: a new client, one Hrana request)`);
  line(`${"case".padEnd(52)} ${"request".padStart(11)} ${"in Worker".padStart(11)}`);
  for (const c of coldCases.filter((c) => c.key !== "ping")) {
    const m = warmBoot[c.key];
    if (m === undefined) continue;
    line(`${c.label.padEnd(52)} ${fmt(median(m.request)).padStart(11)} ${fmt(median(m.worker)).padStart(11)}`);
  }
  for (const db of PARTS.has("warm") ? ["1mb", "25mb"] : []) {
    const web = median(warmBoot[`web-${db}`].request);
    line(`  ${db} request, edge/web: ${ratio(median(warmBoot[`edge-${db}-auto`].request), web)} (auto), ${ratio(median(warmBoot[`edge-${db}-sqld`].request), web)} (sqld)`);
  }
  line();
  line("How measured / caveats:");
  line("- in Worker: performance.now() around each await. workerd serves this clock in whole milliseconds, so a");
  line("  sub-ms await reads 0 or 1 tick: per-await p50/p99 are tick-quantised, the mean of the readings is an");
  line("  estimate, 'whole loop / n' is exact to ~1 ms over the loop. Local workerd advances this clock during CPU");
  line("  work, production Workers only across I/O (the edge client would read 0 there): in-Worker figures are local-only.");
  line("- outside: the driver (Node, keep-alive fetch, sequential) times whole HTTP requests to workerd; 'minus empty");
  line("  request' subtracts the p50 of a request that does no query; per-query = (p50 request - p50 empty) / N.");
  line("- cold start: spawn->row = driver wall clock from spawning a new `workerd serve` process (a fresh isolate)");
  line("  until the first query's response, polling the socket every ~1 ms; '- ping' subtracts the same for");
  line("  a /ping-only Worker request; '1st req' = that first HTTP request alone; 'in Worker' = handler start to result");
  line("  (in-Worker clock, 1 ms steps); 'wasm init' = the part of it spent in createClient (wasm instantiation).");
  line("  'auto' spends one extra round trip detecting the protocol (GET /info). spawn->row includes process start,");
  line("  config load, script and wasm compilation and isolate start, wherever workerd does them. 'coldStart remote':");
  line("  the first read goes to the primary over Hrana (the bootstrap starts in the background through waitUntil);");
  line("  'wasm init' is still paid (createClient instantiates the wasm). Time until local: from spawning the process,");
  line("  from sending the first request, and from its result, to the answer of the first poll whose read the replica");
  line("  served (at most one poll late: ~1 ms, or a round trip when the poll before still read from the primary).");
  line("  'no replica (url = primary)': libsql-edge as a remote-only client, one Hrana request like the web client.");
  line("- shaped: netem adds half the RTT to each request and to each response head, and paces bodies.");
  line("- one shared 2-core VM, release dev primary; p99s are dominated by VM noise (see the empty request);");
  line("  single run: compare columns, not runs.");
}

/** The figures bench:report plots, as JSON lines (BENCH_JSON). */
function record(net, result, dbs, proxyStats) {
  const { coldCases, cold, steady } = result;
  const base = { bench: "workerd", network: net.name, networkLabel: net.label, rttMs: net.rttMs, bandwidthMbit: net.bandwidthMbit };
  emit(COMMAND, {
    ...base,
    kind: "point-select",
    dbBytes: dbs["1mb"].bytes,
    rows: sizes["1mb"],
    inWorker: Object.fromEntries(
      ["edge", "web"].map((k) => [k, { loopMeanMs: steady.inWorker[k].means, cpuPerQueryMs: steady.inWorker[k].cpu, p50Ms: pct(steady.inWorker[k].times, 50), p99Ms: pct(steady.inWorker[k].times, 99), n: steady.inWorker[k].times.length }]),
    ),
    clockStepMs: steady.clockStep,
    inNode: Object.fromEntries(
      ["edge", "native"].filter((k) => steady.inNode[k]).map((k) => [k, { loopMeanMs: steady.inNode[k].means, cpuPerQueryMs: steady.inNode[k].cpu, n: steady.inNode[k].n }]),
    ),
    initNodeMs: steady.inNode.init ?? null,
    outsideMs: { edge: steady.outside.edge, web: steady.outside.web, empty: steady.outside.empty },
    batch: { n: BATCH_N, edgeMs: steady.outside.batchEdge, webMs: steady.outside.batchWeb, emptyMs: steady.outside.batchEmpty },
    proxy: proxyStats,
  });
  emit(COMMAND, {
    ...base,
    kind: "cold-start",
    dbBytes: { "1mb": dbs["1mb"].bytes, "25mb": dbs["25mb"].bytes },
    cases: coldCases.map((c) => ({
      key: c.key,
      label: c.label,
      db: c.db ?? null,
      spawnMs: cold[c.key].spawn,
      requestMs: cold[c.key].request,
      workerMs: cold[c.key].worker,
      createMs: cold[c.key].create,
      warmRequestMs: steady.warmBoot[c.key]?.request ?? null,
      warmWorkerMs: steady.warmBoot[c.key]?.worker ?? null,
      replicaBytes: cold[c.key].body?.memoryBytes ?? null,
      // coldStart "remote": when reads turned local, from spawn / first request sent / first result.
      toLocalMs: cold[c.key].local
        ? { spawn: cold[c.key].local.spawn, request: cold[c.key].local.request, result: cold[c.key].local.result, installedFromSpawn: cold[c.key].local.installed }
        : null,
    })),
  });
}

async function main() {
  const primaries = {};
  const dbs = {};
  for (const [db, rows] of Object.entries(sizes)) {
    const p = await startPrimary(args.primary, join(args.work, `primary-${db}`));
    primaries[db] = p.url;
    dbs[db] = await seed(p.url, rows);
    console.error(`seeded ${db}: ${rows} rows, ${mb(dbs[db].bytes)} in ${dbs[db].seedMs.toFixed(0)} ms at ${p.url}`);
  }
  for (const net of NETS) {
    const targets = { ...primaries };
    const proxies = [];
    try {
      if (net.name === "shaped") {
        for (const db of Object.keys(primaries)) {
          const proxy = await startNetem(args.netem, primaries[db], net);
          proxies.push(proxy);
          targets[db] = proxy.url;
        }
      }
      console.error(`network: ${net.label}`);
      const result = await measure(net, targets);
      table(net, result, dbs);
      const proxyStats = proxies.length ? await Promise.all(proxies.map((p) => netemStats(p.url))) : null;
      record(net, result, dbs, proxyStats);
    } finally {
      for (const p of proxies) await stop(p.child);
    }
  }
}

main()
  .then(() => process.exit(0))
  .catch((e) => {
    console.error(e?.stack ?? e);
    process.exit(1);
  });
