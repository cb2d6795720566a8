// The snapshot tier in any runtime, against the dev primary: a client bootstraps from the primary
// and publishes (through waitUntil); a new client (standing for a new isolate) starts from the
// snapshot and pulls only the tail; damaged or foreign snapshots fall back to the primary with the
// right rows; racing publishers leave a loadable snapshot; a writer between publish and load.
// Each store kind the runtime has is tried (a Cache, an R2 bucket, a plain get/put object).
import { assert, assertEquals } from "./assert.ts";
import { type Context, executeOnPrimary, type Register } from "./context.ts";
import { Background, Wire } from "./wire.ts";

export interface SnapshotContext extends Context {
  /** Store kinds to try: a name and a factory for a fresh, empty store. */
  stores: { name: string; open: () => Promise<unknown> }[];
}

/** A plain get/put store over a Map, which also lets a test damage what it holds. */
export class MapStore {
  readonly objects = new Map<string, Uint8Array>();
  async get(key: string): Promise<Uint8Array | null> {
    return this.objects.get(key) ?? null;
  }
  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.objects.set(key, bytes.slice());
  }
}

function table(): string {
  return `s_${Math.random().toString(36).slice(2, 10)}`;
}

async function seed(ctx: Context, t: string): Promise<void> {
  await executeOnPrimary(ctx, [`CREATE TABLE ${t} (id INTEGER PRIMARY KEY, b BLOB)`]);
  for (let i = 0; i < 10; i++) {
    await executeOnPrimary(ctx, [`INSERT INTO ${t}(b) SELECT randomblob(1000) FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 100) SELECT v FROM s)`]);
  }
}

export function snapshotSuite(test: Register, context: () => SnapshotContext): void {
  const open = (ctx: Context, store: unknown, extra: Record<string, unknown> = {}) => {
    const wire = new Wire(ctx.fetch);
    const background = new Background();
    const client = ctx.api.createClient({
      url: "file:snap.db",
      syncUrl: ctx.primaryUrl,
      syncProtocol: "sqld",
      fetch: wire.fetch,
      waitUntil: background.waitUntil,
      coldStart: "wait",
      snapshotStore: store,
      ...extra,
    });
    return { client, wire, background };
  };
  const count = async (client: { execute(sql: string): Promise<{ rows: any[] }> }, t: string) =>
    Number((await client.execute(`SELECT count(*) FROM ${t}`)).rows[0][0]);

  for (const kind of context().stores) {
    test(`snapshot (${kind.name}): a new replica starts from the published snapshot and pulls only the tail`, async () => {
      const ctx = context();
      const t = table();
      await seed(ctx, t);
      const store = await kind.open();
      const key = `k-${t}`;
      const a = open(ctx, store, { snapshotKey: key });
      assertEquals(await count(a.client, t), 1000);
      await a.background.settle();
      const sa = a.client.stats() as any;
      assertEquals([sa.bootstrap.source, sa.snapshots.published], ["primary", 1], JSON.stringify(sa));
      // A writer between publish and load: the new replica ends equal to the primary.
      await executeOnPrimary(ctx, [`INSERT INTO ${t}(b) VALUES (x'01')`]);
      const b = open(ctx, store, { snapshotKey: key });
      assertEquals(await count(b.client, t), 1001);
      const sb = b.client.stats() as any;
      assertEquals(sb.bootstrap.source, "snapshot", JSON.stringify(sb));
      assert(sb.bootstrap.bytesFromSnapshot > 1_000_000, JSON.stringify(sb.bootstrap));
      assert(sb.pulled.bytes * 10 < sa.pulled.bytes, `from the primary: ${sb.pulled.bytes} bytes, a bootstrap pulled ${sa.pulled.bytes}`);
      const check = await b.client.execute("PRAGMA integrity_check");
      assertEquals(check.rows[0][0], "ok");
      await b.background.settle();
      assertEquals((b.client.stats() as any).snapshots.published, 0, "a fresh snapshot is not published again");
      a.client.close();
      b.client.close();
    });
  }

  test("snapshot: a damaged chunk, a missing chunk or a foreign manifest falls back to the primary", async () => {
    const ctx = context();
    const t = table();
    await seed(ctx, t);
    const damages: [string, (s: MapStore) => void][] = [
      ["a corrupted chunk", (s) => {
        const [key, bytes] = [...s.objects].find(([k]) => k.includes("/chunk/"))!;
        const bad = bytes.slice();
        bad[100] ^= 1;
        s.objects.set(key, bad);
      }],
      ["a missing chunk", (s) => s.objects.delete([...s.objects.keys()].find((k) => k.includes("/chunk/"))!)],
      ["a foreign manifest", (s) => {
        const [key] = [...s.objects].find(([k]) => k.endsWith("/manifest"))!;
        const other = [...s.objects.keys()].find((k) => k.endsWith("/manifest") && k !== key);
        s.objects.set(key, s.objects.get(other ?? key)!.slice(0, 20));
      }],
    ];
    for (const [what, damage] of damages) {
      const store = new MapStore();
      const a = open(ctx, store);
      await count(a.client, t);
      await a.background.settle();
      damage(store);
      const b = open(ctx, store);
      assertEquals(await count(b.client, t), 1000, what);
      const s = b.client.stats() as any;
      assertEquals(s.bootstrap.source, "primary", `${what}: ${JSON.stringify(s.bootstrap)}`);
      assert(s.snapshots.lastMiss !== null, what);
      assertEquals((await b.client.execute("PRAGMA integrity_check")).rows[0][0], "ok", what);
      a.client.close();
      b.client.close();
    }
  });

  test("snapshot: two publishers racing leave a snapshot whose chunks all verify", async () => {
    const ctx = context();
    const t = table();
    await seed(ctx, t);
    const store = new MapStore();
    const a = open(ctx, store);
    await count(a.client, t);
    await executeOnPrimary(ctx, [`UPDATE ${t} SET b = randomblob(1000) WHERE id < 300`]);
    const b = open(ctx, store);
    await count(b.client, t);
    await Promise.all([a.background.settle(), b.background.settle()]);
    const c = open(ctx, store);
    assertEquals(await count(c.client, t), 1000);
    assertEquals((c.client.stats() as any).bootstrap.source, "snapshot");
    for (const x of [a, b, c]) x.client.close();
  });
}
