// Driver of the edge benchmark (run through benches/workerd/run.sh, which builds what it needs).
//   node drive.mjs --primary BIN --netem BIN --workerd BIN --bundle DIR --work DIR
// 1. starts two release dev primaries (loopback, port 0) and seeds a ~1 MB and a ~25 MB database
//    with one recursive-CTE INSERT each over Hrana /v2/pipeline;
// 2. per network: "loopback" (workerd talks to the primaries directly) and "shaped" (through a
//    netem proxy per primary: 40 ms RTT, 100 Mbit/s by default), then
// 3. cold start: for each case a NEW `workerd serve` process on the wrangler bundle; the driver
//    times process spawn -> first query result (polling the socket until it accepts), and the
//    Worker times its first request from handler start to result (bootstrap sync included);
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
// BENCH_RTT_MS (40), BENCH_BANDWIDTH_MBIT (100).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  deadline,
  emit,
  freePort,
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

/** A workerd config (capnp) serving the wrangler bundle, with the primaries as text bindings and
 * outbound network restricted to loopback. Written into the bundle dir (embed paths are relative). */
function writeConfig(primaries, name) {
  const files = readdirSync(args.bundle).filter((f) => f.endsWith(".js") || f.endsWith(".wasm"));
  const main = files.find((f) => f === "worker.js") ?? files.find((f) => f.endsWith(".js"));
  if (!main) throw new Error(`no .js in the bundle ${args.bundle}: ${files}`);
  const modules = [main, ...files.filter((f) => f !== main)].map((f) =>
    f.endsWith(".wasm") ? `(name = "${f}", wasm = embed "${f}")` : `(name = "${f}", esModule = embed "${f}")`,
  );
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .bench),
    (name = "internet", network = (allow = ["local", "private"], deny = [])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const bench :Workerd.Worker = (
  modules = [${modules.join(", ")}],
  compatibilityDate = "2026-11-01",
  bindings = [
    (name = "PRIMARY_1MB", text = "${primaries["1mb"]}"),
    (name = "PRIMARY_25MB", text = "${primaries["25mb"]}"),
  ],
);
`;
  const path = join(args.bundle, `bench-${name}.capnp`);
  writeFileSync(path, config);
  return path;
}

async function startWorkerd(configPath) {
  const port = await freePort();
  const t0 = performance.now();
  const child = start(args.workerd, ["serve", configPath, "--socket-addr", `http=127.0.0.1:${port}`], { cwd: args.bundle });
  child.stdout.on("data", () => {});
  return { child, base: `http://127.0.0.1:${port}`, t0 };
}

/** GET until the socket accepts (bounded); returns the parsed body and timings. */
async function firstResponse(w, path) {
  for (let attempt = 0; attempt < 5000; attempt++) {
    const sent = performance.now();
    try {
      const res = await fetch(w.base + path);
      const body = await res.json();
      const done = performance.now();
      if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
      return { body, spawnToResult: done - w.t0, request: done - sent };
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
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

const sizes = { "1mb": 4_000, "25mb": 103_000 };
const q = (kind, db, extra = "") => `client=${kind}&db=${db}&rows=${sizes[db]}${extra}`;

/** Cold starts and steady state with workerd talking to `targets` (primary or netem URL per db). */
async function measure(net, targets) {
  const configPath = writeConfig(targets, net.name);
  const shaped = net.name === "shaped";
  // Through the shaped network every remote query costs a round trip: fewer of them.
  const count = { n: { edge: N, none: N, web: shaped ? Math.min(N, SHAPED_N) : N }, httpReqs: shaped ? Math.min(HTTP_REQS, SHAPED_HTTP_REQS) : HTTP_REQS, batchReqs: shaped ? Math.min(BATCH_REQS, SHAPED_BATCH_REQS) : BATCH_REQS };

  // Cold starts: one fresh workerd process per measurement, cases interleaved per run.
  const coldCases = [
    { key: "ping", label: "workerd start, /ping (no database)", path: "/ping" },
    ...["1mb", "25mb"].flatMap((db) => [
      { key: `edge-${db}-auto`, db, label: `libsql-edge ${db}, protocol auto (detects http-sync)`, path: `/first?${q("edge", db, "&proto=auto&id=42")}` },
      { key: `edge-${db}-sqld`, db, label: `libsql-edge ${db}, protocol sqld (gRPC)`, path: `/first?${q("edge", db, "&proto=sqld&id=42")}` },
      { key: `web-${db}`, db, label: `@libsql/client/web ${db}`, path: `/first?${q("web", db, "&id=42")}` },
    ]),
  ];
  {
    // One untimed start first, so the workerd binary and the bundle are in the OS page cache.
    const w = await startWorkerd(configPath);
    await firstResponse(w, "/ping").finally(() => stop(w.child));
  }
  const cold = Object.fromEntries(coldCases.map((c) => [c.key, { spawn: [], request: [], worker: [], create: [], body: null }]));
  for (let run = 0; run < (PARTS.has("cold") ? COLD_RUNS : 0); run++) {
    for (const c of coldCases) {
      const w = await startWorkerd(configPath);
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
      } finally {
        await stop(w.child);
      }
    }
    console.error(`cold-start run ${run + 1}/${COLD_RUNS} done`);
  }

  // Steady state: one workerd process; bootstrap the edge replica of the 1 MB database first.
  const w = await startWorkerd(configPath);
  const steady = {};
  try {
    await firstResponse(w, "/ping");
    await get(w.base, `/first?${q("edge", "1mb", "&proto=auto&id=1")}`);

    // A new replica in this (now warm) isolate, bootstrapping again: the sync without isolate start
    // and wasm instantiation.
    const warmBoot = {};
    for (let run = 0; run < (PARTS.has("warm") ? COLD_RUNS : 0); run++) {
      for (const db of ["1mb", "25mb"]) {
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
    const extra = c.key === "ping" ? "" : c.key.startsWith("edge") ? `  (${mb(m.body.memoryBytes)} in replica, ${m.body.position})` : "";
    line(
      `${c.label.padEnd(52)} ${fmt(median(m.spawn)).padStart(11)} ${(c.key === "ping" ? "" : fmt(median(m.spawn) - ping)).padStart(11)} ${fmt(median(m.request)).padStart(11)} ${(m.worker.length ? fmt(median(m.worker)) : "").padStart(11)} ${(c.key.startsWith("edge") ? fmt(median(m.create)) : "").padStart(11)}${extra}`,
    );
  }
  for (const db of PARTS.has("cold") ? ["1mb", "25mb"] : []) {
    const web = median(cold[`web-${db}`].spawn);
    line(
      `  ${db} (${mb(dbs[db].bytes)}) spawn->row, edge/web: ${ratio(median(cold[`edge-${db}-auto`].spawn), web)} (auto), ` +
        `${ratio(median(cold[`edge-${db}-sqld`].spawn), web)} (sqld); first request alone, edge/web: ` +
        `${ratio(median(cold[`edge-${db}-auto`].request), median(cold[`web-${db}`].request))} (auto), ${ratio(median(cold[`edge-${db}-sqld`].request), median(cold[`web-${db}`].request))} (sqld)`,
    );
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
  line("  config load, script and wasm compilation and isolate start, wherever workerd does them.");
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
