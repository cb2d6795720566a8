// Partial replicas in any runtime: a database several times the budget, read by a replica that
// holds only the pages it uses. Over /pull-updates (tursodb) and over the snapshot tier (the dev
// primary with a published snapshot): point selects, index lookups, range scans and joins answer
// like the primary, the replica never holds more than its budget, and the wasm memory stays within
// the budget plus the documented overhead (checked where the suite runs in a fresh instance). A
// table whose rows always sum to a constant keeps the sum while a writer moves amounts; a page
// fetched after the primary moved is fetched at the replica's revision; a damaged snapshot chunk
// sends the read to the primary with the right rows.
import { assert, assertEquals } from "./assert.ts";
import { pipeline, type Context, type Register } from "./context.ts";
import { Background } from "./wire.ts";
import { MapStore } from "./snapshot.ts";

export interface PartialContext {
  api: Context["api"];
  fetch: typeof fetch;
  /** A tursodb of its own (the suite writes a database several times the budget). */
  tursoUrl: string;
  /** A dev primary of its own. */
  primaryUrl: string;
  /** Check the wasm memory's high-water mark (the suite runs first in a fresh instance). */
  checkWasmMemory: boolean;
}

const MB = 1 << 20;
export const BUDGET = 2 * MB;
/** The fixed overhead the README documents (wasm code and data, SQLite's caches and statements,
 * decode buffers, the page index): wasm memory stays within budget + this. */
export const OVERHEAD = 8 * MB;
const ITEMS = 20_000;

type Client = ReturnType<Context["api"]["createClient"]>;


/** About 20 MB: items of 900 random bytes with an index, and owners to join. */
async function seed(ctx: PartialContext, url: string): Promise<void> {
  await pipeline(ctx.fetch, url, [
    "CREATE TABLE items (id INTEGER PRIMARY KEY, k INTEGER, name TEXT, b BLOB)",
    "CREATE INDEX items_k ON items (k)",
    "CREATE TABLE owners (id INTEGER PRIMARY KEY, item INTEGER, who TEXT)",
    "CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER, pad BLOB)",
  ]);
  for (let start = 1; start <= ITEMS; start += 500) {
    const rows = [];
    for (let i = start; i < start + 500; i++) rows.push(`(${i}, ${(i * 7919) % 1000}, 'item ${i}', randomblob(900))`);
    await pipeline(ctx.fetch, url, [`INSERT INTO items (id, k, name, b) VALUES ${rows.join(",")}`]);
  }
  const owners = [];
  for (let i = 1; i <= 3000; i++) owners.push(`(${i}, ${((i * 37) % ITEMS) + 1}, 'owner ${i}')`);
  const accounts = [];
  for (let i = 1; i <= 150; i++) accounts.push(`(${i}, 100, randomblob(300))`);
  await pipeline(ctx.fetch, url, [
    `INSERT INTO owners (id, item, who) VALUES ${owners.join(",")}`,
    `INSERT INTO acct VALUES ${accounts.join(",")}`,
  ]);
}

/** A fixed pseudo-random sequence. */
function lcg(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
}

function queries(count: number): string[] {
  const below = lcg(7);
  const out = [];
  for (let i = 0; i < count; i++) {
    const id = below(ITEMS) + 1;
    const owner = below(2900) + 1;
    out.push(
      `SELECT id, k, name, hex(b) FROM items WHERE id = ${id}`,
      `SELECT id, name FROM items WHERE k = ${below(1000)} ORDER BY id`,
      `SELECT id, length(b) FROM items WHERE id BETWEEN ${id} AND ${id + 60} ORDER BY id`,
      `SELECT o.who, i.name, hex(substr(i.b, 1, 8)) FROM owners o JOIN items i ON i.id = o.item WHERE o.id BETWEEN ${owner} AND ${owner + 20} ORDER BY o.id`,
    );
  }
  return out;
}

async function rows(client: Client, sql: string): Promise<string> {
  const rs = await client.execute(sql);
  return JSON.stringify(rs.rows.map((r) => Array.from(r as unknown as ArrayLike<unknown>)));
}

function stats(client: Client): any {
  return client.stats() as any;
}

/** Every query answers like the primary (read through a remote-only client), within budget. */
async function answersLikePrimary(ctx: PartialContext, client: Client, url: string, qs: string[]): Promise<void> {
  const primary = ctx.api.createClient({ url, fetch: ctx.fetch });
  try {
    for (const q of qs) {
      assertEquals(await rows(client, q), await rows(primary, q), q);
      const s = stats(client);
      assert(s.memoryBytes <= BUDGET, `${q}: the replica holds ${s.memoryBytes} bytes, budget ${BUDGET}`);
    }
  } finally {
    primary.close();
  }
}

export function partialSuite(test: Register, context: () => PartialContext): void {
  test("partial over /pull-updates: a database 8x the budget answers like the primary within budget", async () => {
    const ctx = context();
    await seed(ctx, ctx.tursoUrl);
    const size = Number((await pipeline(ctx.fetch, ctx.tursoUrl, ["SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"]))[0][0][0]);
    assert(size >= 8 * BUDGET, `the database is ${size} bytes, not 8x the budget`);
    const client = ctx.api.createClient({
      url: "file:partial.db",
      syncUrl: ctx.tursoUrl,
      fetch: ctx.fetch,
      partial: true,
      memoryBudgetBytes: BUDGET,
    });
    await answersLikePrimary(ctx, client, ctx.tursoUrl, queries(15));
    const s = stats(client);
    console.log(`partial pull-updates: database ${(size / MB).toFixed(1)} MiB, budget ${BUDGET / MB} MiB: ${JSON.stringify(s.partial)}, wasm ${(s.wasmMemoryBytes / MB).toFixed(1)} MiB`);
    assertEquals(s.partial.mode, "pull-updates");
    assert(s.partial.misses > 0 && s.partial.evictions > 0 && s.partial.fetches > 0, JSON.stringify(s.partial));
    assert(s.reads.local >= 54, JSON.stringify(s.reads));
    if (ctx.checkWasmMemory) {
      assert(s.wasmMemoryBytes <= BUDGET + OVERHEAD, `wasm memory ${s.wasmMemoryBytes} > budget + overhead ${BUDGET + OVERHEAD}`);
    }
    client.close();
  });

  test("partial over /pull-updates: a constant sum stays constant; pages come at the replica's revision", async () => {
    const ctx = context();
    const client = ctx.api.createClient({
      url: "file:partial.db",
      syncUrl: ctx.tursoUrl,
      fetch: ctx.fetch,
      partial: true,
      memoryBudgetBytes: 24 * 4096,
    });
    const below = lcg(11);
    const total = async () => Number((await client.execute("SELECT sum(bal) FROM acct")).rows[0][0]);
    const expected = await total();
    assertEquals(expected, 15_000);
    for (let step = 0; step < 9; step++) {
      const [a, b, n] = [below(150) + 1, below(150) + 1, below(50) + 1];
      await pipeline(ctx.fetch, ctx.tursoUrl, [
        "BEGIN",
        `UPDATE acct SET bal = bal - ${n} WHERE id = ${a}`,
        `UPDATE acct SET bal = bal + ${n} WHERE id = ${b}`,
        "COMMIT",
      ]);
      if (step % 3 === 0) await client.sync();
      const id = below(ITEMS) + 1;
      await client.execute(`SELECT name FROM items WHERE id BETWEEN ${id} AND ${id + 60}`);
      assertEquals(await total(), expected, `step ${step}`);
    }
    await client.sync();
    const seen = await rows(client, "SELECT bal FROM acct WHERE id = 75");
    await pipeline(ctx.fetch, ctx.tursoUrl, ["BEGIN", "UPDATE acct SET bal = bal + 5 WHERE id = 75", "UPDATE acct SET bal = bal - 5 WHERE id = 76", "COMMIT"]);
    for (let id = 1; id < ITEMS; id += 1500) await client.execute(`SELECT name FROM items WHERE id BETWEEN ${id} AND ${id + 60}`);
    const misses = stats(client).partial.misses;
    assertEquals(await rows(client, "SELECT bal FROM acct WHERE id = 75"), seen, "fetched at the replica's revision");
    assert(stats(client).partial.misses > misses, "the row's page was evicted and fetched again");
    await client.sync();
    assertEquals(await total(), expected);
    client.close();
  });

  test("partial over the snapshot tier: a published snapshot serves the pages, the tail stays pinned", async () => {
    const ctx = context();
    await seed(ctx, ctx.primaryUrl);
    const store = new MapStore();
    const background = new Background();
    const open = (extra: Record<string, unknown>) =>
      ctx.api.createClient({
        url: "file:partial-snap.db",
        syncUrl: ctx.primaryUrl,
        syncProtocol: "sqld",
        fetch: ctx.fetch,
        waitUntil: background.waitUntil,
        coldStart: "wait",
        snapshotStore: store,
        snapshotKey: "partial",
        ...extra,
      });
    const publisher = open({ memoryBudgetBytes: 64 * MB });
    await publisher.execute("SELECT count(*) FROM items");
    await background.settle();
    assertEquals(stats(publisher).snapshots.published, 1);
    publisher.close();
    // A write after the snapshot: the tail, which the partial replica keeps.
    await pipeline(ctx.fetch, ctx.primaryUrl, ["UPDATE items SET name = 'renamed' WHERE id % 97 = 0"]);
    const client = open({ partial: true, memoryBudgetBytes: BUDGET });
    await answersLikePrimary(ctx, client, ctx.primaryUrl, [...queries(12), "SELECT count(*) FROM items WHERE name = 'renamed'"]);
    const s = stats(client);
    console.log(`partial snapshot: ${JSON.stringify(s.partial)}, pulled ${s.pulled.bytes} bytes from the primary`);
    assertEquals([s.bootstrap.source, s.partial.mode], ["snapshot", "snapshot"]);
    assert(s.partial.fetches > 0 && s.partial.pinnedBytes > 4096, JSON.stringify(s.partial));
    assert(s.pulled.bytes < 2 * MB, `${s.pulled.bytes} bytes from the primary`);
    await background.settle();
    assertEquals(stats(client).snapshots.published, 0, "a partial replica does not publish");
    client.close();

    // Damaged chunks (all but the first, which starts the replica): a read that needs one goes to
    // the primary, with the right rows.
    const manifest = [...store.objects].find(([key]) => key.endsWith("/manifest"))![1];
    const digestsAt = 42 + (manifest[40] | (manifest[41] << 8));
    const first = [...manifest.slice(digestsAt, digestsAt + 32)].map((b) => b.toString(16).padStart(2, "0")).join("");
    for (const [key, bytes] of store.objects) {
      if (key.includes("/chunk/") && !key.endsWith(first)) {
        const damaged = bytes.slice();
        damaged[100] ^= 0xff;
        store.objects.set(key, damaged);
      }
    }
    const damaged = open({ partial: true, memoryBudgetBytes: BUDGET });
    const q = `SELECT id, name, hex(b) FROM items WHERE id = ${ITEMS - 3}`;
    const primary = ctx.api.createClient({ url: ctx.primaryUrl, fetch: ctx.fetch });
    const expected = await rows(primary, q);
    primary.close();
    assertEquals(await rows(damaged, q), expected);
    const d = stats(damaged);
    assertEquals([d.bootstrap.source, d.partial.mode], ["snapshot", "snapshot"], JSON.stringify(d));
    assert(d.reads.remoteBy.pageSource === 1 && d.partial.fetchFailures > 0, JSON.stringify(d));
    damaged.close();
  });

  test("partial: \"auto\" holds every page of a database that fits, and partial pages of one that does not", async () => {
    const ctx = context();
    const open = (budget: number) =>
      ctx.api.createClient({
        url: "file:partial-auto.db",
        syncUrl: ctx.tursoUrl,
        fetch: ctx.fetch,
        partial: "auto",
        memoryBudgetBytes: budget,
      });
    const small = open(BUDGET);
    await small.execute("SELECT count(*) FROM owners");
    assertEquals(stats(small).partial.mode, "pull-updates");
    small.close();
    const big = open(64 * MB);
    await big.execute("SELECT count(*) FROM owners");
    assertEquals(stats(big).partial.mode, "off");
    assertEquals(stats(big).memoryBytes > 8 * BUDGET, true);
    big.close();
  });
}
