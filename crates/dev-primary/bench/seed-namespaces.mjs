// Seeds many namespaces of a dev primary started with --namespaces, the way multi-tenant tests do:
// per namespace one Hrana pipeline that creates a table and fills it with a server-side recursive
// CTE (rows of randomblob(1000)), CONCURRENCY pipelines at a time. Prints the wall time, per-
// namespace latencies, and the server's RSS when the server is this process's parent (wrapper
// mode). Figures, not a test.
//
//   libsql-edge-primary --db DIR --listen 127.0.0.1:0 --namespaces -- \
//     node crates/dev-primary/bench/seed-namespaces.mjs [COUNT=200] [MIN_MB=1] [MAX_MB=5] [CONCURRENCY=2]
import { readFileSync } from "node:fs";

const url = process.env.PRIMARY_URL;
if (!url) throw new Error("PRIMARY_URL is not set (run under the primary's wrapper mode)");
const [count, minMb, maxMb, concurrency] = [200, 1, 5, 2].map((d, i) => Number(process.argv[2 + i] ?? d));

// Row count for namespace i: sizes spread evenly from MIN_MB to MAX_MB; a 1000-byte blob row takes
// about 1 KB of database (4 rows per 4 KiB page).
const rowsFor = (i) => Math.round((minMb + ((maxMb - minMb) * i) / Math.max(1, count - 1)) * 1000);

async function pipeline(name, requests) {
  const res = await fetch(`${url}/ns/${name}/v2/pipeline`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ requests: [...requests, { type: "close" }] }),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`${name}: ${res.status} ${JSON.stringify(body)}`);
  for (const r of body.results) if (r.type !== "ok") throw new Error(`${name}: ${JSON.stringify(r)}`);
  return body.results;
}

function serverRssMb() {
  try {
    const pid = process.ppid;
    if (!readFileSync(`/proc/${pid}/comm`, "utf8").startsWith("libsql-edge-pri")) return null;
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

const seed = (n) => [
  { type: "execute", stmt: { sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)" } },
  {
    type: "execute",
    stmt: {
      sql: `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < ${n}) INSERT INTO t SELECT x, randomblob(1000) FROM c`,
    },
  },
];

const rssBefore = serverRssMb();
const latencies = [];
let next = 0;
let totalRows = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      await pipeline(`tenant-${i}`, seed(rowsFor(i)));
      latencies.push(performance.now() - t0);
      totalRows += rowsFor(i);
    }
  }),
);
const wall = (performance.now() - started) / 1000;
// Every namespace holds what was written (a read through the same path).
const check = await pipeline(`tenant-${count - 1}`, [{ type: "execute", stmt: { sql: "SELECT count(*) FROM t" } }]);
if (Number(check[0].response.result.rows[0][0].value) !== rowsFor(count - 1)) throw new Error("row count");

latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(0);
const mb = (totalRows * 1000) / 1e6;
console.log(`namespaces seeded: ${count} (${minMb}-${maxMb} MB each, ${concurrency} at a time)`);
console.log(`blob payload: ${mb.toFixed(0)} MB in ${totalRows} rows`);
console.log(`wall time: ${wall.toFixed(2)} s (${(mb / wall).toFixed(1)} MB/s)`);
console.log(`per namespace: p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${q(1)} ms`);
const rss = serverRssMb();
if (rss !== null) console.log(`server RSS: ${rssBefore.toFixed(1)} MB before, ${rss.toFixed(1)} MB with ${count} namespaces open`);
