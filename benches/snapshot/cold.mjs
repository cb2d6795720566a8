// One cold replica in a fresh Node process (a new isolate's wasm instance), for bench:snapshot:
// createClient, then the first read, which is local once it answers (coldStart "wait"). With a
// store URL, the snapshot tier reads and publishes through a loopback object store (standing for
// the colo's Cache); without, the replica bootstraps from the primary only.
//   node benches/snapshot/cold.mjs <primaryUrl> <protocol> <table> [storeUrl]
// Prints one JSON line: firstLocalMs, source, bytesFromPrimary, bytesFromSnapshot, published.
import { createClient } from "../../dist/init/node.js";

const [primary, syncProtocol, table, storeUrl] = process.argv.slice(2);
const snapshotStore = storeUrl && {
  get: async (key) => {
    const r = await fetch(`${storeUrl}/${key}`);
    return r.status === 200 ? new Uint8Array(await r.arrayBuffer()) : null;
  },
  put: async (key, bytes) => {
    await fetch(`${storeUrl}/${key}`, { method: "PUT", body: bytes });
  },
};
const background = [];
const t0 = performance.now();
const client = createClient({
  url: "file:bench.db",
  syncUrl: primary,
  syncProtocol,
  coldStart: "wait",
  memoryBudgetBytes: 256 << 20,
  timeoutMs: 300_000,
  snapshotStore,
  waitUntil: (p) => background.push(p),
});
await client.execute(`SELECT count(*) FROM ${table}`);
const firstLocalMs = performance.now() - t0;
await Promise.all(background);
const s = client.stats();
console.log(JSON.stringify({
  firstLocalMs,
  local: s.reads.local === 1,
  source: s.bootstrap.source,
  bytesFromPrimary: s.pulled.bytes,
  bytesFromSnapshot: s.bootstrap.bytesFromSnapshot,
  published: s.snapshots.published,
  databaseBytes: client.memoryBytes,
}));
client.close();
