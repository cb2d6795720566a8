// Driver of the sync benchmark (run through benches/sync/run.sh, which builds what it needs).
//   node drive.mjs --primary BIN --netem BIN --work DIR
// For each size: seeds a release dev primary without HTTP sync (native clients then use sqld's
// gRPC), one with it (Turso HTTP sync), and a real tursodb (/pull-updates); then, per network
// (loopback = direct, shaped = through a netem per server), times cold bootstraps:
//   ours   = libsql-edge's wasm build through the package's Node entry (benches/sync/wasm-sync.mjs,
//            a fresh Node process per run: Node's fetch, the replica in wasm memory);
//   native = the `libsql` npm package's embedded replica (native addon; benches/native/libsql-sync.mjs),
//            replicating into a file in a temp directory; none for /pull-updates.
// Runs alternate ours/native. Prints one table; with BENCH_JSON appends one JSON line per case.
// Knobs: see run.sh.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  deadline,
  emit,
  fmtMs,
  knob,
  listKnob,
  mb,
  median,
  mib,
  netemStats,
  networks,
  pipeline,
  ratio,
  root,
  startNetem,
  startPrimary,
  startTursodb,
  stop,
} from "../lib/harness.mjs";

const run = promisify(execFile);
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
for (const k of ["primary", "netem", "work"]) {
  if (!args[k]) {
    console.error(`drive.mjs: --${k} is required (run benches/sync/run.sh)`);
    process.exit(2);
  }
}
const SIZES = listKnob("BENCH_SIZES", "1,25,60").map(Number);
for (const s of SIZES) if (!Number.isInteger(s) || s < 1 || s > 200) throw new Error("BENCH_SIZES: sizes are whole MB in 1..200");
const RUNS = knob("BENCH_RUNS", 3, 20);
const PROTOCOLS = listKnob("BENCH_PROTOCOLS", "sqld,http-sync,pull-updates", ["sqld", "http-sync", "pull-updates"]);
const NETS = networks();
const COMMAND = "npm run bench:sync";
deadline("bench:sync", 90);

const ROW_BYTES = 4000; // one randomblob per row: about one 4 KiB page each
const LABEL = { sqld: "sqld gRPC", "http-sync": "Turso HTTP sync", "pull-updates": "/pull-updates (tursodb)" };

async function seedPrimary(url, size) {
  await pipeline(url, ["CREATE TABLE bench (id INTEGER PRIMARY KEY, data BLOB)"]);
  let rows = Math.floor((size * 1e6) / ROW_BYTES);
  while (rows > 0) {
    const n = Math.min(rows, 1000);
    await pipeline(url, [
      `INSERT INTO bench(data) SELECT randomblob(${ROW_BYTES}) FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < ${n}) SELECT v FROM s)`,
    ]);
    rows -= n;
  }
}

async function seedTursodb(url, size) {
  await pipeline(url, ["CREATE TABLE bench (id INTEGER PRIMARY KEY, data BLOB)"], { close: false });
  let rows = Math.floor((size * 1e6) / ROW_BYTES);
  while (rows > 0) {
    const n = Math.min(rows, 100);
    await pipeline(url, [`INSERT INTO bench(data) VALUES ${Array(n).fill(`(randomblob(${ROW_BYTES}))`).join(",")}`], { close: false });
    rows -= n;
  }
}

async function startServer(protocol, size) {
  const dir = join(args.work, `${protocol}-${size}mb`);
  const t0 = performance.now();
  let server;
  if (protocol === "pull-updates") {
    server = await startTursodb(dir);
    await seedTursodb(server.url, size);
  } else {
    // HTTP sync: one generation for the whole seed (as the gRPC log has), so that both clients
    // bootstrap the same database; the native client's bootstrap across checkpointed generations
    // of the dev primary is incomplete (its row count is checked below).
    server = await startPrimary(args.primary, dir, protocol === "sqld" ? ["--no-http-sync"] : ["--checkpoint-frames", "1000000000"]);
    await seedPrimary(server.url, size);
  }
  console.error(`seeded ${LABEL[protocol]} ${size} MB in ${((performance.now() - t0) / 1e3).toFixed(1)} s at ${server.url}`);
  return server;
}

/** A bench script in a fresh Node process; its last stdout line, parsed. */
async function nodeJson(script, ...argv) {
  const { stdout } = await run(process.execPath, [join(root, script), ...argv], { maxBuffer: 1 << 20, timeout: 600_000 });
  return JSON.parse(stdout.trim().split("\n").pop());
}

const ours = (url, protocol) => nodeJson("benches/sync/wasm-sync.mjs", url, protocol);
const fetchFloor = (url) => nodeJson("benches/sync/fetch-floor.mjs", url);

async function native(url) {
  const out = await nodeJson("benches/native/libsql-sync.mjs", url, "1");
  return { ms: out.cold_ms[0], rows: out.rows };
}

async function measure(net, protocol, size, server) {
  const proxy = net.name === "shaped" ? await startNetem(args.netem, server.url, net) : null;
  const url = proxy?.url ?? server.url;
  const o = { bootstrapMs: [], initMs: [], wasmMemoryBytes: [], replicaBytes: [] };
  const n = [];
  // Through netem: HTTP requests and body bytes per bootstrap (its counters, zeroed before each).
  const wire = { ours: { requests: [], bytesDown: [] }, native: { requests: [], bytesDown: [] } };
  const counted = async (who, f) => {
    if (proxy) await fetch(`${proxy.url}/__netem/stats`, { method: "DELETE" });
    const result = await f();
    if (proxy) {
      const stats = await netemStats(proxy.url);
      wire[who].requests.push(stats.requests);
      wire[who].bytesDown.push(stats.bytes_down);
    }
    return result;
  };
  // HTTP sync: Node's fetch alone moving the same bytes (benches/sync/fetch-floor.mjs).
  const floor = [];
  let last;
  let incomplete = null;
  try {
    for (let r = 0; r < RUNS; r++) {
      last = await counted("ours", () => ours(url, protocol));
      for (const k of Object.keys(o)) o[k].push(last[k]);
      if (protocol !== "pull-updates") {
        const nat = await counted("native", () => native(url));
        n.push(nat.ms);
        if (nat.rows !== last.rows) incomplete = `native replica has ${nat.rows} of ${last.rows} rows`;
      }
      if (protocol === "http-sync") floor.push((await fetchFloor(url)).ms);
    }
  } finally {
    if (proxy) await stop(proxy.child);
  }
  const record = {
    bench: "sync",
    network: net.name,
    networkLabel: net.label,
    rttMs: net.rttMs,
    bandwidthMbit: net.bandwidthMbit,
    protocol,
    protocolLabel: LABEL[protocol],
    sizeMb: size,
    dbBytes: last.dbBytes,
    rows: last.rows,
    runs: RUNS,
    ours: o,
    native: n.length ? { coldMs: n, incomplete } : null,
    fetchFloorMs: floor.length ? floor : null,
    wire: proxy ? wire : null,
  };
  emit(COMMAND, record);
  const nat = n.length ? median(n) : undefined;
  const trips = proxy ? `; HTTP requests per bootstrap: ours ${median(wire.ours.requests)}, native ${n.length ? median(wire.native.requests) : "-"}` : "";
  console.error(
    `${net.name} ${LABEL[protocol]} ${size} MB: ours ${fmtMs(median(o.bootstrapMs))}, native ${fmtMs(nat)} (${ratio(median(o.bootstrapMs), nat)})${trips}`,
  );
  return record;
}

async function main() {
  const started = new Date();
  const records = [];
  for (const size of SIZES) {
    const servers = {};
    try {
      for (const p of PROTOCOLS) servers[p] = await startServer(p, size);
      for (const net of NETS) for (const p of PROTOCOLS) records.push(await measure(net, p, size, servers[p]));
    } finally {
      for (const s of Object.values(servers)) await stop(s.child);
    }
  }

  const line = (s = "") => console.log(s);
  const cols = [
    ["network", 34],
    ["protocol", 24],
    ["size", 6],
    ["db", 8],
    ["ours (wasm)", 12],
    ["native", 11],
    ["ours/native", 12],
    ["wasm init", 10],
    ["wasm memory", 12],
    ["memory/db", 10],
    ["requests o/n", 13],
    ["fetch alone", 12],
  ];
  const row = (cells) => line(cells.map((c, i) => (i < 2 ? String(c).padEnd(cols[i][1]) : String(c).padStart(cols[i][1]))).join(" "));
  line();
  line(`bench:sync, ${started.toISOString()}, Node ${process.versions.node}; cold bootstrap = median of ${RUNS} runs`);
  line("ours   = libsql-edge's WASM build through the package's Node entry (dist/init/node.js), Node's fetch,");
  line("         the replica in wasm memory; a fresh Node process per run; timed: client.sync() of a new client");
  line("native = the `libsql` npm package 0.5.29's embedded replica (native Rust addon), replicating into a file");
  line("         in a temp directory; timed: db.sync() of a new database. Same server, same run, runs alternating.");
  line("wasm init = instantiating the wasm + createClient; wasm memory = linear memory after the bootstrap.");
  line("requests o/n = HTTP requests per bootstrap through netem, ours/native (shaped runs only; each costs one RTT).");
  line("fetch alone = HTTP sync: a fresh Node process fetching the same bytes with plain fetch and reading them to the");
  line("         end (benches/sync/fetch-floor.mjs): what Node's fetch costs before any replica work.");
  line();
  row(cols.map((c) => c[0]));
  for (const r of records) {
    const o = median(r.ours.bootstrapMs);
    const nat = r.native ? median(r.native.coldMs) : undefined;
    const memory = median(r.ours.wasmMemoryBytes);
    row([
      r.networkLabel,
      r.protocolLabel,
      `${r.sizeMb} MB`,
      mb(r.dbBytes),
      fmtMs(o),
      r.native ? fmtMs(nat) + (r.native.incomplete ? "!" : "") : "-",
      r.native ? ratio(o, nat) : "-",
      fmtMs(median(r.ours.initMs)),
      mib(memory),
      `${(memory / r.dbBytes).toFixed(2)}x`,
      r.wire ? `${median(r.wire.ours.requests)}/${r.native ? median(r.wire.native.requests) : "-"}` : "",
      r.fetchFloorMs ? fmtMs(median(r.fetchFloorMs)) : "",
    ]);
  }
  line();
  line("ours/native < 1 means the wasm path bootstrapped faster. One run on a shared 2-core VM: read ratios, not absolutes.");
  line("/pull-updates has no native `libsql` counterpart (ours only).");
  for (const r of records.filter((r) => r.native?.incomplete)) {
    line(`! ${r.networkLabel}, ${r.protocolLabel}, ${r.sizeMb} MB: ${r.native.incomplete}; that native figure is not a full bootstrap.`);
  }
}

main()
  .then(() => process.exit(0))
  .catch((e) => {
    console.error(e?.stack ?? e);
    process.exit(1);
  });
