// bench:snapshot: cold start to the first *local* read, from the primary and from the snapshot
// tier, with @libsql/client/web's first (remote) read for reference, at 1, 25 and 60 MB. The primary
// sits behind netem (40 ms RTT, 100 Mbit/s by default: a primary one region away); the snapshot
// store is a loopback object server (the colo's Cache). Each cold start is a fresh Node process.
//   node benches/snapshot/drive.mjs --primary BIN --netem BIN --work DIR
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createServer } from "node:http";
import { join } from "node:path";
import { deadline, emit, fmtMs, knob, listKnob, mb, median, pipeline, ratio, root, startNetem, startPrimary } from "../lib/harness.mjs";

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

/** Runs a child without blocking this process (it serves the object store). */
async function child(script, argv) {
  const { stdout } = await promisify(execFile)(process.execPath, [join(root, "benches/snapshot", script), ...argv], { cwd: root, maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split("\n").pop());
}

console.log(`bench:snapshot: cold start to the first local read; primary behind netem (${shape.rttMs} ms RTT, ${shape.bandwidthMbit} Mbit/s), snapshot store on loopback; median of ${runs} fresh Node processes each`);
console.log("protocol    size | from primary: first local read, MB from primary | from snapshot: first local read, MB from primary (MB from store) | speed-up | @libsql/client/web first read");
for (const size of sizes) {
  const primary = await startPrimary(args.primary, join(args.work, `p${size}`), ["--checkpoint-frames", "100000"]);
  const netem = await startNetem(args.netem, primary.url, shape);
  const table = "bench";
  await pipeline(primary.url, [`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, b BLOB)`]);
  const perTxn = 256;
  for (let done = 0; done < size * 1e6; done += perTxn * 4000) {
    await pipeline(primary.url, [`INSERT INTO ${table}(b) SELECT randomblob(4000) FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < ${perTxn}) SELECT v FROM s)`]);
  }
  for (const protocol of protocols) {
    objects.clear();
    const fromPrimary = [];
    for (let i = 0; i < runs; i++) fromPrimary.push(await child("cold.mjs", [netem.url, protocol, table]));
    // One replica bootstraps from the primary and publishes; then fresh ones start from it.
    const publisher = await child("cold.mjs", [netem.url, protocol, table, storeUrl]);
    if (publisher.published !== 1) throw new Error(`the publisher did not publish: ${JSON.stringify(publisher)}`);
    const fromSnapshot = [];
    for (let i = 0; i < runs; i++) fromSnapshot.push(await child("cold.mjs", [netem.url, protocol, table, storeUrl]));
    if (!fromSnapshot.every((r) => r.source === "snapshot" && r.local)) throw new Error(`not from the snapshot: ${JSON.stringify(fromSnapshot)}`);
    const web = [];
    for (let i = 0; i < runs; i++) web.push(await child("web.mjs", [netem.url, table]));
    const p = median(fromPrimary.map((r) => r.firstLocalMs));
    const s = median(fromSnapshot.map((r) => r.firstLocalMs));
    const w = median(web.map((r) => r.firstReadMs));
    const pBytes = median(fromPrimary.map((r) => r.bytesFromPrimary));
    const sBytes = median(fromSnapshot.map((r) => r.bytesFromPrimary));
    const sStore = median(fromSnapshot.map((r) => r.bytesFromSnapshot));
    const share = (100 * sBytes) / fromSnapshot[0].databaseBytes;
    console.log(
      `${protocol.padEnd(10)} ${String(size).padStart(3)} MB | ${fmtMs(p).padStart(10)}, ${mb(pBytes).padStart(8)} | ${fmtMs(s).padStart(10)}, ${mb(sBytes).padStart(8)} = ${share.toFixed(2)}% of the database (${mb(sStore)}) | ${ratio(p, s).padStart(6)} | ${fmtMs(w)}`,
    );
    emit(COMMAND, { bench: "snapshot", protocol, sizeMb: size, rttMs: shape.rttMs, bandwidthMbit: shape.bandwidthMbit, fromPrimaryMs: p, fromSnapshotMs: s, webFirstReadMs: w, bytesFromPrimaryCold: pBytes, bytesFromPrimaryWithSnapshot: sBytes, bytesFromSnapshot: sStore, databaseBytes: fromSnapshot[0].databaseBytes });
  }
  netem.child.kill("SIGKILL");
  primary.child.kill("SIGKILL");
}
store.close();
process.exit(0);
