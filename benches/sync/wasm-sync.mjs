// One cold bootstrap through the path users run: the built package's Node entry
// (dist/init/node.js: the wasm build, Node's fetch), in a fresh Node process so that the wasm
// memory figure belongs to this one replica (wasm memory never shrinks).
//   node benches/sync/wasm-sync.mjs <syncUrl> <sqld|http-sync|pull-updates>
// Prints one JSON line: initMs (wasm instantiation + createClient), bootstrapMs (client.sync()),
// wasmMemoryBytes after the bootstrap, replicaBytes (the replica's own count), dbBytes
// (page_count * page_size read from the replica), rows, position.
import { configure, createClient } from "../../dist/init/node.js";

const [url, protocol] = process.argv.slice(2);
if (!url || !protocol) {
  console.error("usage: node wasm-sync.mjs <syncUrl> <sqld|http-sync|pull-updates>");
  process.exit(2);
}
const t0 = performance.now();
// One replica larger than the isolate's default budget (64 MiB): lift it.
configure({ memoryBudgetBytes: null });
const client = createClient({ url: "file:bench.db", syncUrl: url, syncProtocol: protocol, memoryBudgetBytes: 512 << 20, timeoutMs: 600_000 });
const t1 = performance.now();
await client.sync();
const t2 = performance.now();
const memory = client.stats().wasmMemoryBytes;
const one = async (sql) => Number((await client.execute(sql)).rows[0][0]);
const rows = await one("SELECT count(*) FROM bench");
const dbBytes = (await one("PRAGMA page_count")) * (await one("PRAGMA page_size"));
console.log(
  JSON.stringify({
    initMs: t1 - t0,
    bootstrapMs: t2 - t1,
    wasmMemoryBytes: memory,
    replicaBytes: client.memoryBytes,
    dbBytes,
    rows,
    position: client.position,
  }),
);
client.close();
