// bench:snapshot: cold start to the first *local* read inside workerd, from the primary and from
// the snapshot tier, with @libsql/client/web's first (remote) read for reference, at 1, 25 and
// 60 MB. The primary sits behind netem (40 ms RTT, 100 Mbit/s by default: a primary one region
// away); the snapshot store is a loopback object server (the colo's Cache). Every cold start is a
// fresh `workerd serve` process; the figure is spawn → first row, minus spawn → /ping.
//   node benches/snapshot/drive.mjs --primary BIN --netem BIN --workerd BIN --bundle DIR --work DIR
import { createServer } from "node:http";
import { join } from "node:path";
import { deadline, emit, fmtMs, knob, listKnob, mb, median, pipeline, ratio, startNetem, startPrimary, stop } from "../lib/harness.mjs";
import { coldStart as spawnToAnswer, writeConfig } from "../lib/workerd.mjs";

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
    const config = writeConfig(args.bundle, "snapshot", { PRIMARY: netem.url, STORE: storeUrl, PROTOCOL: protocol });
    const coldStart = (config, path) => spawnToAnswer(args.workerd, config, args.bundle, path);
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
