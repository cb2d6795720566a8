// Where wasm initialisation goes in Node, in a fresh process (V8 compiles wasm functions lazily, on
// their first call, so the first calls carry compilation):
//   node benches/reads/node-init.mjs <syncUrl>
// Prints one JSON line (ms): compile (new WebAssembly.Module from the bytes; no function compiled
// yet), instantiate (initSync: instance + wasm-bindgen start), createClient (an embedded replica, no
// SQLite work yet), firstRead (the first local point select after client.sync(), which is not timed
// and has warmed SQLite up and opened the database: what the read path runs for the first time),
// secondRead.
import { readFileSync } from "node:fs";

const dist = new URL("../../dist/", import.meta.url);
const [url] = process.argv.slice(2);
if (!url) {
  console.error("usage: node node-init.mjs <syncUrl>");
  process.exit(2);
}
const bytes = readFileSync(new URL("pkg/libsql_edge_bg.wasm", dist));
const t0 = performance.now();
const module = new WebAssembly.Module(bytes);
const t1 = performance.now();
const { setWasmLoader, wasm } = await import(new URL("wasm.js", dist).href);
const { createClient } = await import(new URL("index.js", dist).href);
setWasmLoader(() => module);
const t2 = performance.now();
wasm();
const t3 = performance.now();
const client = createClient({ url: "file:init.db", syncUrl: url });
const t4 = performance.now();
await client.sync();
const SQL = "SELECT id, k, name, val FROM bench WHERE id = ?";
const t5 = performance.now();
await client.execute({ sql: SQL, args: [1] });
const t6 = performance.now();
await client.execute({ sql: SQL, args: [2] });
const t7 = performance.now();
console.log(JSON.stringify({ compile: t1 - t0, instantiate: t3 - t2, createClient: t4 - t3, firstRead: t6 - t5, secondRead: t7 - t6 }));
client.close();
