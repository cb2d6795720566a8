// @libsql/client/web's first read from a fresh Node process, for reference in bench:snapshot.
//   node benches/snapshot/web.mjs <primaryUrl> <table>
import { createClient } from "@libsql/client/web";

const [primary, table] = process.argv.slice(2);
const t0 = performance.now();
const client = createClient({ url: primary });
await client.execute(`SELECT count(*) FROM ${table}`);
console.log(JSON.stringify({ firstReadMs: performance.now() - t0 }));
client.close();
