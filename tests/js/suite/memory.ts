// The memory budget as a hard bound while bytes arrive (issue: a replica must never grow the
// isolate past its budget, whatever the primary sends). A database of about 100 MB behind each of
// the three protocols, read by clients with an 8 MiB budget: answers come from the primary, the
// wasm memory stays within 1.15x the budget plus the documented overhead, and after the database
// shrinks the next sync bootstraps normally. A database that grows past the budget under a live
// replica stops it at its last whole transaction. A primary that sends an endless body, a body
// shorter than its Content-Length, or stalls mid-body (through the fault-injecting proxy) gets a
// clear code within the call's deadline, with the memory still bounded.
//
// Runs in a fresh wasm instance (its own test file / process): wasm memory only grows, so the
// bound is checked on the instance's high-water mark after every step.
import { LibsqlError } from "@libsql/core/api";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { pipeline, type Context, type Register } from "./context.ts";

export interface MemoryContext {
  api: Context["api"];
  fetch: typeof fetch;
  /** A dev primary started with `--max-log-size 8 --checkpoint-frames 256` (it compacts). */
  primaryUrl: string;
  /** `tursodb --experimental-vacuum --sync-server`. */
  tursoUrl: string;
  /** The fault-injecting proxy (libsql-edge-netem) in front of `primaryUrl`. */
  netemUrl: string;
}

export const BUDGET = 8 << 20;
/** The fixed overhead documented in the README (wasm code and data, SQLite's page cache and
 * statements, decode buffers): wasm memory stays within 1.15 x budget + this. */
export const OVERHEAD = 8 << 20;
const BOUND = 1.15 * BUDGET + OVERHEAD;
const MB = 1 << 20;
/** A remote answer is read whole (at most maxResponseBytes) and decoded: about twice that while
 * it is decoded, on top of the bound (the README says so). */
const RESPONSE_CAP = 4 * MB;

type Client = ReturnType<Context["api"]["createClient"]>;


function wasmMemory(client: Client): number {
  return (client.stats() as { wasmMemoryBytes: number }).wasmMemoryBytes;
}

function withinBound(client: Client, step: string, bound = BOUND): void {
  const memory = wasmMemory(client);
  console.log(`memory: ${step}: wasm ${(memory / MB).toFixed(1)} MiB (bound ${(bound / MB).toFixed(1)} MiB)`);
  assert(memory <= bound, `${step}: wasm memory ${(memory / MB).toFixed(1)} MiB > bound ${(bound / MB).toFixed(1)} MiB`);
}

/** ~100 MB in 1 MB transactions (blobs of 4000 bytes, 256 per transaction). */
async function seed(ctx: MemoryContext, url: string, table: string): Promise<void> {
  await pipeline(ctx.fetch, url, [`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, b BLOB)`]);
  const values = Array(256).fill("(randomblob(4000))").join(",");
  for (let i = 0; i < 100; i++) await pipeline(ctx.fetch, url, [`INSERT INTO ${table}(b) VALUES ${values}`]);
}

const protocols = [
  ["sqld", (c: MemoryContext) => c.primaryUrl],
  ["http-sync", (c: MemoryContext) => c.primaryUrl],
  ["pull-updates", (c: MemoryContext) => c.tursoUrl],
] as const;

export function memorySuite(test: Register, context: () => MemoryContext): void {
  const open = (ctx: MemoryContext, syncUrl: string, syncProtocol: string, extra: Record<string, unknown> = {}) =>
    ctx.api.createClient({ url: "file:memory.db", syncUrl, syncProtocol, fetch: ctx.fetch, memoryBudgetBytes: BUDGET, coldStart: "wait", ...extra });

  test("memory: an endless body, a body shorter than its Content-Length, a stall mid-body", async () => {
    const ctx = context();
    const rules = async (text: string) => {
      const r = await ctx.fetch(`${ctx.netemUrl}/__netem/rules`, { method: "PUT", body: text });
      if (!r.ok) throw new Error(`netem rules: ${await r.text()}`);
    };
    await pipeline(ctx.fetch, ctx.primaryUrl, ["CREATE TABLE hostile (x)"]);
    await pipeline(ctx.fetch, ctx.primaryUrl, ["INSERT INTO hostile VALUES (randomblob(20000))"]);
    const cases = [
      // An empty export (the generation started before the table) followed by zeros is garbage; a
      // real image followed by more pages than its header announces is RESPONSE_TOO_LARGE.
      ["http-sync", "kind=endless path=/export", ["RESPONSE_TOO_LARGE", "SYNC_INVALID_RESPONSE"]],
      ["sqld", "kind=endless path=/wal_log.ReplicationLog/BatchLogEntries", ["SYNC_INVALID_RESPONSE"]],
      ["http-sync", "kind=truncate after=1000 lie=true path=/sync/", ["SYNC_NETWORK", "SYNC_INVALID_RESPONSE"]],
      ["http-sync", "kind=stall after=1000 path=/sync/", ["SYNC_TIMEOUT"]],
      ["sqld", "kind=stall after=0 path=/wal_log.ReplicationLog/", ["SYNC_TIMEOUT"]],
      ["http-sync", "kind=stall after=0 path=/info", ["SYNC_TIMEOUT"]],
    ] as const;
    for (const [protocol, rule, codes] of cases) {
      await rules(rule);
      const client = open(ctx, ctx.netemUrl, protocol, { timeoutMs: 2000 });
      const err = await client.sync().then(() => new Error(`${rule}: no error`), (e) => e);
      assert(err instanceof LibsqlError && (codes as readonly string[]).includes(err.code), `${rule}: ${err}`);
      withinBound(client, rule);
      // The replica kept its last good state: once the proxy behaves, it syncs and answers exactly.
      await rules("");
      await client.sync();
      const row = (await client.execute("SELECT length(x), count(*) FROM hostile")).rows[0];
      assertEquals([Number(row[0]), Number(row[1])], [20_000, 1], rule);
      assertEquals((client.stats() as any).reads.local, 1, `${rule}: served by the replica`);
      client.close();
    }
  });

  test("memory: a database growing past the budget stops a live replica at its last whole transaction", async () => {
    const ctx = context();
    for (const [protocol, url] of protocols) {
      const table = `grow_${protocol.replace("-", "_")}`;
      await pipeline(ctx.fetch, url(ctx), [`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, b BLOB)`]);
      const client = open(ctx, url(ctx), protocol);
      assertEquals(Number((await client.execute(`SELECT count(*) FROM ${table}`)).rows[0][0]), 0);
      const values = Array(64).fill("(randomblob(4000))").join(",");
      for (let i = 0; i < 40; i++) await pipeline(ctx.fetch, url(ctx), [`INSERT INTO ${table}(b) VALUES ${values}`]);
      const err = await assertThrows(() => client.sync());
      assert(err instanceof LibsqlError && err.code === "REPLICA_MEMORY_BUDGET", `${protocol}: ${err}`);
      const s = client.stats() as any;
      assert(s.memoryBytes <= BUDGET, `${protocol}: the replica holds ${s.memoryBytes} bytes`);
      assertEquals(s.remoteReads, "overBudget");
      // Reads answer from the primary, with every row.
      assertEquals(Number((await client.execute(`SELECT count(*) FROM ${table}`)).rows[0][0]), 40 * 64, protocol);
      assert((client.stats() as any).reads.remoteBy.overBudget >= 1, protocol);
      withinBound(client, `${protocol} grown`);
      client.close();
      await pipeline(ctx.fetch, url(ctx), [`DROP TABLE ${table}`]);
      await pipeline(ctx.fetch, url(ctx), ["VACUUM"]);
    }
  });

  test("memory: 100 MB behind each protocol, an 8 MiB budget: answers from the primary, memory bounded", async () => {
    const ctx = context();
    await seed(ctx, ctx.primaryUrl, "big");
    await seed(ctx, ctx.tursoUrl, "big");
    for (const [protocol, url] of protocols) {
      const client = open(ctx, url(ctx), protocol);
      const rows = (await client.execute("SELECT count(*), sum(length(b)) FROM big")).rows[0];
      assertEquals([Number(rows[0]), Number(rows[1])], [25_600, 102_400_000], protocol);
      withinBound(client, `${protocol} read`);
      const err = await assertThrows(() => client.sync());
      assert(err instanceof LibsqlError && err.code === "REPLICA_MEMORY_BUDGET", `${protocol}: ${err}`);
      assert((client.stats() as any).memoryBytes <= BUDGET, protocol);
      withinBound(client, `${protocol} sync`);
      client.close();
    }
  });

  test("memory: after the database shrinks (DELETE + VACUUM), the next sync bootstraps normally", async () => {
    const ctx = context();
    const clients = protocols.map(([protocol, url]) => [protocol, open(ctx, url(ctx), protocol)] as const);
    for (const [protocol, client] of clients) {
      const err = await assertThrows(() => client.sync());
      assert(err instanceof LibsqlError && err.code === "REPLICA_MEMORY_BUDGET", `${protocol}: ${err}`);
    }
    for (const url of [ctx.primaryUrl, ctx.tursoUrl]) {
      await pipeline(ctx.fetch, url, ["DELETE FROM big"]);
      await pipeline(ctx.fetch, url, ["VACUUM"]);
    }
    // QUIRK: tursodb 0.7.0's sync server serves pages from its WAL, which it never checkpoints, but
    // its (experimental) VACUUM does: afterwards a /pull-updates bootstrap brings only the pages
    // written since (here page 2, not page 1). The replica refuses that answer instead of
    // installing a broken database.
    await pipeline(ctx.fetch, ctx.tursoUrl, ["INSERT INTO big(b) VALUES (x'00')"]);
    const [, turso] = clients[2];
    const broken = await assertThrows(() => turso.sync());
    assert(broken instanceof LibsqlError && broken.code === "REPLICA_INVALID_PAGES", `pull-updates after VACUUM: ${broken}`);
    assertEquals(turso.position, null);
    turso.close();
    // The dev primary compacts its log past 8 MB: rewriting one small row does it without growing
    // the database, as sqld compacts on its own schedule. Until then a sqld replica could only
    // replay the old history, which does not fit.
    await pipeline(ctx.fetch, ctx.primaryUrl, ["CREATE TABLE pad (b BLOB)"]);
    await pipeline(ctx.fetch, ctx.primaryUrl, ["INSERT INTO pad VALUES (randomblob(100000))"]);
    for (let i = 0; i < 100; i++) await pipeline(ctx.fetch, ctx.primaryUrl, ["UPDATE pad SET b = randomblob(100000)"]);
    await pipeline(ctx.fetch, ctx.primaryUrl, ["INSERT INTO big(b) VALUES (x'00')"]);
    for (const [protocol, client] of clients.slice(0, 2)) {
      await client.sync().catch((e) => {
        throw new Error(`${protocol}: ${e}`);
      });
      assertEquals((client.stats() as any).remoteReads, null, protocol);
      assertEquals(Number((await client.execute("SELECT count(*) FROM big")).rows[0][0]), 1, protocol);
      assertEquals((client.stats() as any).reads.local, 1, `${protocol}: served by the replica`);
      withinBound(client, `${protocol} after shrink`);
      client.close();
    }
  });

  test("memory: an endless Hrana answer is cut at maxResponseBytes", async () => {
    const ctx = context();
    const put = await ctx.fetch(`${ctx.netemUrl}/__netem/rules`, { method: "PUT", body: "kind=endless path=/v2/pipeline\nkind=endless path=/v3/pipeline" });
    assert(put.ok, "netem rules");
    const remote = ctx.api.createClient({ url: ctx.netemUrl, fetch: ctx.fetch, maxResponseBytes: RESPONSE_CAP, timeoutMs: 10_000 });
    const err = await assertThrows(() => remote.execute("SELECT 1"));
    assert(err instanceof LibsqlError && err.code === "RESPONSE_TOO_LARGE", `${err}`);
    withinBound(remote, "endless hrana", BOUND + 2 * RESPONSE_CAP);
    remote.close();
    await ctx.fetch(`${ctx.netemUrl}/__netem/rules`, { method: "DELETE" });
  });
}
