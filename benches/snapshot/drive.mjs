// bench:snapshot: cold start to the first *local* read inside workerd, from the primary and from
// the snapshot tier, with @libsql/client/web's first (remote) read for reference, at 1, 25 and
// 60 MB. The primary sits behind netem (40 ms RTT, 100 Mbit/s by default: a primary one region
// away); the snapshot store is a loopback object server (the colo's Cache). Every cold start is a
// fresh `workerd serve` process; the figure is spawn → first row, minus spawn → /ping.
//   node benches/snapshot/drive.mjs --primary BIN --netem BIN --workerd BIN --bundle DIR --work DIR
import { readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { deadline, emit, fmtMs, freePort, knob, listKnob, mb, median, pipeline, ratio, start, startNetem, startPrimary, stop } from "../lib/harness.mjs";

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
deadline("bench:snapshot", 60);
const sizes = listKnob("BENCH_SIZES", "1,25,60").map(Number);
const protocols = listKnob("BENCH_PROTOCOLS", "http-sync,sqld", ["sqld", "http-sync"]);
const runs = knob("BENCH_RUNS", 3, 20);
const shape = { rttMs: Number(process.env.BENCH_RTT_MS ?? 40), bandwidthMbit: Number(process.env.BENCH_BANDWIDTH_MBIT ?? 100) };
const COMMAND = "npm run bench:snapshot";

// The colo's cache: an object store on loopback.
const objects = new Map();
const store = createServer(async (req, res) => {
  const key = req.url.slice(1);
  if (req.method === "PUT") {
    const parts = [];
    for await (const p of req) parts.push(p);
    objects.set(key, Buffer.concat(parts));
    res.end();
  } else if (objects.has(key)) {
    res.end(objects.get(key));
  } else {
    res.statusCode = 404;
    res.end();
  }
});
await new Promise((resolve) => store.listen(0, "127.0.0.1", resolve));
const storeUrl = `http://127.0.0.1:${store.address().port}`;

function writeConfig(primary, protocol) {
  const files = readdirSync(args.bundle).filter((f) => f.endsWith(".js") || f.endsWith(".wasm"));
  const main = files.find((f) => f === "worker.js") ?? files.find((f) => f.endsWith(".js"));
  const modules = [main, ...files.filter((f) => f !== main)].map((f) =>
    f.endsWith(".wasm") ? `(name = "${f}", wasm = embed "${f}")` : `(name = "${f}", esModule = embed "${f}")`,
  );
  const path = join(args.bundle, "bench-snapshot.capnp");
  writeFileSync(path, `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .bench), (name = "internet", network = (allow = ["local", "private"], deny = []))],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const bench :Workerd.Worker = (
  modules = [${modules.join(", ")}],
  compatibilityDate = "2026-11-01",
  bindings = [(name = "PRIMARY", text = "${primary}"), (name = "STORE", text = "${storeUrl}"), (name = "PROTOCOL", text = "${protocol}")],
);
`);
  return path;
}

/** Spawns workerd and times spawn → the first answer to `path`. */
async function coldStart(config, path) {
  const port = await freePort();
  const t0 = performance.now();
  const child = start(args.workerd, ["serve", config, "--socket-addr", `http=127.0.0.1:${port}`], { cwd: args.bundle });
  child.stdout.on("data", () => {});
  try {
    for (let attempt = 0; attempt < 20_000; attempt++) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        const body = await res.json();
        if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
        return { ms: performance.now() - t0, body };
      } catch (e) {
        if (e?.cause?.code !== "ECONNREFUSED") throw e;
        if (child.exitCode !== null) throw new Error(`workerd exited: ${child.stderrText()}`);
        await sleep(1);
      }
    }
    throw new Error("workerd did not accept connections");
  } finally {
    await stop(child);
  }
}

console.log(`bench:snapshot: inside workerd, a new process per cold start (spawn -> first row, minus spawn -> /ping); primary behind netem (${shape.rttMs} ms RTT, ${shape.bandwidthMbit} Mbit/s); snapshot store on loopback; median of ${runs}`);
console.log("protocol    size | from primary: first local read, MB from primary | from snapshot: first local read, MB from primary (MB from store) | snapshot vs primary | @libsql/client/web first read");
for (const size of sizes) {
  const primary = await startPrimary(args.primary, join(args.work, `p${size}`), ["--checkpoint-frames", "100000"]);
  const netem = await startNetem(args.netem, primary.url, shape);
  await pipeline(primary.url, ["CREATE TABLE bench (id INTEGER PRIMARY KEY, b BLOB)"]);
  for (let done = 0; done < size * 1e6; done += 256 * 4000) {
    await pipeline(primary.url, ["INSERT INTO bench(b) SELECT randomblob(4000) FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 256) SELECT v FROM s)"]);
  }
  for (const protocol of protocols) {
    objects.clear();
    const config = writeConfig(netem.url, protocol);
    const runsOf = async (path) => {
      const out = [];
      for (let i = 0; i < runs; i++) out.push(await coldStart(config, path));
      return out;
    };
    const ping = median((await runsOf("/ping")).map((r) => r.ms));
    const fromPrimary = await runsOf("/cold?mode=primary");
    const publisher = await coldStart(config, "/cold?mode=publish");
    if (publisher.body.published !== 1) throw new Error(`the publisher did not publish: ${JSON.stringify(publisher.body)}`);
    const fromSnapshot = await runsOf("/cold?mode=snapshot");
    if (!fromSnapshot.every((r) => r.body.source === "snapshot" && r.body.local)) throw new Error(`not from the snapshot: ${JSON.stringify(fromSnapshot.map((r) => r.body))}`);
    const web = await runsOf("/cold?mode=web");
    const p = median(fromPrimary.map((r) => r.ms)) - ping;
    const s = median(fromSnapshot.map((r) => r.ms)) - ping;
    const w = median(web.map((r) => r.ms)) - ping;
    const pBytes = median(fromPrimary.map((r) => r.body.bytesFromPrimary));
    const sBytes = median(fromSnapshot.map((r) => r.body.bytesFromPrimary));
    const sStore = median(fromSnapshot.map((r) => r.body.bytesFromSnapshot));
    const database = fromSnapshot[0].body.databaseBytes;
    console.log(
      `${protocol.padEnd(10)} ${String(size).padStart(3)} MB | ${fmtMs(p).padStart(10)}, ${mb(pBytes).padStart(8)} | ${fmtMs(s).padStart(10)}, ${mb(sBytes).padStart(8)} = ${((100 * sBytes) / database).toFixed(2)}% of the database (${mb(sStore)}) | ${ratio(p, s).padStart(6)} sooner | ${fmtMs(w)}`,
    );
    emit(COMMAND, { bench: "snapshot", protocol, sizeMb: size, rttMs: shape.rttMs, bandwidthMbit: shape.bandwidthMbit, pingMs: ping, fromPrimaryMs: p, fromSnapshotMs: s, webFirstReadMs: w, bytesFromPrimaryCold: pBytes, bytesFromPrimaryWithSnapshot: sBytes, bytesFromSnapshot: sStore, databaseBytes: database });
  }
  await stop(netem.child);
  await stop(primary.child);
}
store.close();
process.exit(0);
