// Point selects in Node, for the local-read comparison of bench:workerd (and for profiling with
// `node --cpu-prof`): one client, warmed up, then n sequential `await client.execute(...)`.
//   node benches/reads/node-reads.mjs <edge|native> <syncUrl> <rows> <n> [rounds]
// edge   = libsql-edge's wasm build through the package's Node entry (dist/init/node.js)
// native = @libsql/client's embedded replica in Node (`file:` + syncUrl: the native libsql addon,
//          the replica in a file in a temp directory)
// Prints one JSON line: {kind, n, rounds, means: [ms per query, one per round], cpu: [process CPU ms
// per query, one per round], row}.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [kind, url, rowsArg, nArg, roundsArg] = process.argv.slice(2);
const rows = Number(rowsArg);
const n = Number(nArg ?? 20000);
const rounds = Number(roundsArg ?? 3);
if (!["edge", "native"].includes(kind) || !url || !(rows >= 1) || !(n >= 1) || !(rounds >= 1)) {
  console.error("usage: node node-reads.mjs <edge|native> <syncUrl> <rows> <n> [rounds]");
  process.exit(2);
}
const SQL = "SELECT id, k, name, val FROM bench WHERE id = ?";
const idAt = (i) => 1 + ((i * 7919 + 13) % rows);

let client;
let dir;
if (kind === "edge") {
  const { createClient } = await import("../../dist/init/node.js");
  client = createClient({ url: "file:bench.db", syncUrl: url });
} else {
  const { createClient } = await import("@libsql/client");
  dir = mkdtempSync(join(tmpdir(), "libsql-native-reads-"));
  client = createClient({ url: `file:${join(dir, "replica.db")}`, syncUrl: url });
}
try {
  await client.sync();
  let found = 0;
  for (let i = 0; i < 2000; i++) found += (await client.execute({ sql: SQL, args: [idAt(i)] })).rows.length;
  const means = [];
  const cpu = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) found += (await client.execute({ sql: SQL, args: [idAt(r * n + i)] })).rows.length;
    const c = process.cpuUsage(c0);
    means.push((performance.now() - t0) / n);
    cpu.push((c.user + c.system) / 1000 / n);
  }
  if (found !== 2000 + rounds * n) throw new Error(`expected ${2000 + rounds * n} rows, found ${found}`);
  const row = (await client.execute({ sql: SQL, args: [42] })).rows[0];
  console.log(JSON.stringify({ kind, n, rounds, means, cpu, row: { ...row } }));
} finally {
  client.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
