// Many tenants in one isolate: 200 databases of 1-5 MB each (a dev primary namespace per tenant),
// each read through a partial replica fed by the snapshot tier, under one isolate-wide budget of
// 64 MiB (`configure`). Every tenant answers its own rows, pages are evicted across tenants, the
// pool never holds more than its budget, and the wasm memory stays within the budget plus the
// documented overhead (fixed, plus a fixed amount per open replica).
import { assert, assertEquals } from "./assert.ts";
import type { Context, Register } from "./context.ts";
import { MapStore } from "./snapshot.ts";
import { Background } from "./wire.ts";

export interface TenantsContext {
  api: Context["api"];
  fetch: typeof fetch;
  /** A dev primary started with `--namespaces`. */
  primaryUrl: string;
  /** How many tenants (200 in the suites). */
  tenants: number;
}

const MB = 1 << 20;
export const ISOLATE_BUDGET = 64 * MB;
/** The fixed overhead the README documents (wasm code and data, buffers) ... */
export const OVERHEAD = 8 * MB;
/** ... and what each open replica adds (its SQLite connection, schema, caches and statements). */
export const PER_REPLICA = 256 * 1024;

function sizeMb(i: number): number {
  return 1 + (i % 5);
}

async function pipeline(ctx: TenantsContext, url: string, sqls: string[]): Promise<void> {
  const requests = sqls.map((sql) => ({ type: "execute", stmt: { sql } }));
  const response = await ctx.fetch(`${url}/v2/pipeline`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ requests }),
  });
  if (!response.ok) throw new Error(`pipeline: HTTP ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { results: { type: string; error?: { message: string } }[] };
  body.results.forEach((r, i) => {
    if (r.type !== "ok") throw new Error(`${sqls[i].slice(0, 60)}: ${r.error?.message}`);
  });
}

/** Tenant `i`: `size` MB of rows `(id, k = id * 7 % 1000, 1000 random bytes)` and its name. */
async function seed(ctx: TenantsContext, url: string, i: number): Promise<void> {
  const rows = sizeMb(i) * 1000;
  await pipeline(ctx, url, [
    "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, b BLOB)",
    "CREATE TABLE meta (name TEXT)",
    `INSERT INTO meta VALUES ('tenant ${i}')`,
    `WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < ${rows}) INSERT INTO t SELECT v, v * 7 % 1000, randomblob(1000) FROM s`,
  ]);
}

async function inBatches(count: number, parallel: number, f: (i: number) => Promise<void>): Promise<void> {
  for (let start = 0; start < count; start += parallel) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + parallel); i++) batch.push(f(i));
    await Promise.all(batch);
  }
}

export function tenantsSuite(test: Register, context: () => TenantsContext): void {
  test("tenants: 200 databases of 1-5 MB under one 64 MiB isolate budget, evicted across tenants", async () => {
    const ctx = context();
    const urls = Array.from({ length: ctx.tenants }, (_, i) => `${ctx.primaryUrl}/ns/tenant-${i}`);
    await inBatches(ctx.tenants, 4, (i) => seed(ctx, urls[i], i));
    const store = new MapStore();
    const open = (i: number, extra: Record<string, unknown> = {}, background = new Background()) =>
      ctx.api.createClient({
        url: `file:tenant-${i}.db`,
        syncUrl: urls[i],
        syncProtocol: "sqld",
        fetch: ctx.fetch,
        waitUntil: background.waitUntil,
        coldStart: "wait",
        snapshotStore: store,
        ...extra,
      });
    // Replicas other suites of this process left open count against the same pool: the tenants
    // get 64 MiB on top of them.
    const probe = open(0);
    const before = (probe.stats() as any).isolateMemoryBytes as number;
    probe.close();
    const budget = before + ISOLATE_BUDGET;
    ctx.api.configure({ memoryBudgetBytes: budget });
    // Each tenant's snapshot, published by a full replica that is then closed.
    await inBatches(ctx.tenants, 4, async (i) => {
      const background = new Background();
      const publisher = open(i, {}, background);
      await publisher.execute("SELECT 1 FROM meta");
      await background.settle();
      assertEquals((publisher.stats() as any).snapshots.published, 1, `tenant ${i}: ${JSON.stringify(publisher.stats())}`);
      publisher.close();
    });
    const clients = urls.map((_, i) => open(i, { partial: true }));
    let maxIsolate = 0;
    let maxWasm = 0;
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < ctx.tenants; i++) {
        const c = clients[i];
        const rows = sizeMb(i) * 1000;
        assertEquals(String((await c.execute("SELECT name FROM meta")).rows[0][0]), `tenant ${i}`);
        const id = ((i * 7919 + round * 104729) % rows) + 1;
        const got = (await c.execute({ sql: "SELECT id, k, length(b) FROM t WHERE id = ?", args: [id] })).rows[0];
        assertEquals([Number(got[0]), Number(got[1]), Number(got[2])], [id, (id * 7) % 1000, 1000], `tenant ${i}`);
        assertEquals(Number((await c.execute("SELECT max(id) FROM t")).rows[0][0]), rows, `tenant ${i}`);
        const s = c.stats() as any;
        assertEquals(s.partial.mode, "snapshot", `tenant ${i}: ${JSON.stringify(s.partial)}`);
        maxIsolate = Math.max(maxIsolate, s.isolateMemoryBytes);
        maxWasm = Math.max(maxWasm, s.wasmMemoryBytes);
        assert(s.isolateMemoryBytes <= budget, `isolate holds ${s.isolateMemoryBytes} bytes, budget ${budget}`);
      }
    }
    const all = clients.map((c) => c.stats() as any);
    const evictions = all.reduce((n, s) => n + s.partial.evictions, 0);
    const local = all.reduce((n, s) => n + s.reads.local, 0);
    const bound = budget + OVERHEAD + ctx.tenants * PER_REPLICA;
    console.log(
      `tenants: ${ctx.tenants} databases, ${all.reduce((n, _, i) => n + sizeMb(i), 0)} MB in all; isolate pool peak ` +
        `${(maxIsolate / MB).toFixed(1)} MiB of ${(budget / MB).toFixed(1)}; wasm ${(maxWasm / MB).toFixed(1)} MiB ` +
        `(bound ${(bound / MB).toFixed(1)}); evictions ${evictions}; local reads ${local} of ${6 * ctx.tenants}`,
    );
    assert(evictions > 0, "pages were evicted across tenants");
    assertEquals(local, 6 * ctx.tenants, "every read was served by its tenant's replica");
    assert(maxWasm <= bound, `wasm memory ${maxWasm} > ${bound}`);
    for (const c of clients) c.close();
    ctx.api.configure({ memoryBudgetBytes: ISOLATE_BUDGET });
  });
}
