// Times the native `libsql` npm package's embedded replica syncing from a primary, for
// benches/sync.rs. Usage: node benches/native/libsql-sync.mjs <syncUrl> <runs>
// Prints one JSON line: {"cold_ms": [..], "rows": n}.
import Database from "libsql";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [url, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 3);
const cold = [];
let rows = 0;
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), "libsql-native-"));
  try {
    const db = new Database(join(dir, "replica.db"), { syncUrl: url });
    const t = performance.now();
    db.sync();
    cold.push(performance.now() - t);
    rows = db.prepare("SELECT count(*) AS n FROM bench").get().n;
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(JSON.stringify({ cold_ms: cold, rows }));
