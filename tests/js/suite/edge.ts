// The edge layer of createClient, in any runtime, against the dev primary (and tursodb for Turso
// Sync): cold starts that never wait, one sync in flight however many calls arrive, maxLag with
// each onStale policy on a clock the test moves, bookmarks carried from one client to another
// through a header, one deadline per call, and the stats that show all of it. Fetches are counted
// and held by `Wire`; nothing here measures or waits for wall-clock time.
import { LibsqlError } from "@libsql/core/api";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { type Context, executeOnPrimary, type Register } from "./context.ts";
import { Background, ManualClock, tick, until, Wire } from "./wire.ts";

export interface EdgeContext extends Context {
  /** tursodb's URL, for the Turso Sync cases. */
  tursoUrl: string;
}

function table(): string {
  return `e_${Math.random().toString(36).slice(2, 10)}`;
}

type Client = ReturnType<Context["api"]["createClient"]>;

async function count(client: Pick<Client, "execute">, t: string): Promise<number> {
  return Number((await client.execute(`SELECT count(*) FROM ${t}`)).rows[0][0]);
}

function stats(client: Client): any {
  return client.stats();
}

/** A result's bookmark (a libsql-edge extra, typed loosely so every runtime's checker accepts it). */
function bookmarkOf(rs: object): string | null {
  return (rs as { bookmark?: string | null }).bookmark ?? null;
}

export function edgeSuite(test: Register, context: () => EdgeContext): void {
  const open = (ctx: Context, wire: Wire, extra: Record<string, unknown> = {}) =>
    ctx.api.createClient({ url: "file:edge.db", syncUrl: ctx.primaryUrl, fetch: wire.fetch, ...extra });

  for (const syncProtocol of ["sqld", "http-sync", "pull-updates"] as const) {
    test(`${syncProtocol}: coldStart remote answers from the primary, bootstraps through waitUntil, then reads are local`, async () => {
      const ctx = context();
      const url = syncProtocol === "pull-updates" ? ctx.tursoUrl : ctx.primaryUrl;
      const t = table();
      const write = (sql: string) => new Wire(ctx.fetch).fetch(`${url}/v2/pipeline`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ requests: [{ type: "execute", stmt: { sql } }] }),
      });
      await write(`CREATE TABLE ${t} (x INTEGER)`);
      await write(`INSERT INTO ${t} VALUES (1), (2)`);
      const wire = new Wire(ctx.fetch);
      const background = new Background();
      const client = ctx.api.createClient({ url: "file:cold.db", syncUrl: url, syncProtocol, fetch: wire.fetch, waitUntil: background.waitUntil });
      wire.hold();
      assertEquals(await count(client, t), 2, "the first read is the primary's");
      assertEquals(client.position, null, "the bootstrap is held");
      assertEquals(stats(client).reads.remoteBy.cold, 1);
      wire.release();
      await background.settle();
      assert(client.position !== null, "bootstrapped in the background");
      // A second writer's row: a local read does not see it until a sync (no timing involved).
      await write(`INSERT INTO ${t} VALUES (3)`);
      assertEquals(await count(client, t), 2, "served by the replica");
      assertEquals(stats(client).reads.local, 1);
      await client.sync();
      assertEquals(await count(client, t), 3);
      client.close();
    });
  }

  test("coldStart wait: the first read waits for the bootstrap", async () => {
    const ctx = context();
    const wire = new Wire(ctx.fetch);
    const client = open(ctx, wire, { syncProtocol: "sqld", coldStart: "wait", waitUntil: new Background().waitUntil });
    await client.execute("SELECT 1");
    assert(client.position !== null, "bootstrapped before answering");
    assertEquals(stats(client).reads.local, 1);
    client.close();
  });

  for (const [syncProtocol, coldStart] of [["http-sync", "wait"], ["sqld", "wait"], ["http-sync", "remote"]] as const) {
    test(`${syncProtocol}, coldStart ${coldStart}: 50 overlapping first reads start one bootstrap`, async () => {
      const ctx = context();
      const t = table();
      await executeOnPrimary(ctx, [`CREATE TABLE ${t} (b BLOB)`, `INSERT INTO ${t} SELECT randomblob(8000) FROM (WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 250) SELECT v FROM s)`]);
      // One read alone, for reference.
      const solo = new Wire(ctx.fetch);
      const alone = open(ctx, solo, { syncProtocol, coldStart: "wait" });
      assertEquals(await count(alone, t), 250);
      const database = alone.memoryBytes;
      alone.close();

      const wire = new Wire(ctx.fetch);
      const background = new Background();
      const client = open(ctx, wire, { syncProtocol, coldStart, waitUntil: background.waitUntil });
      wire.hold();
      const reads = Array.from({ length: 50 }, () => count(client, t));
      await until(() => wire.held > 0, "the bootstrap is in flight");
      wire.release();
      const answers = await Promise.all(reads);
      await background.settle();
      assert(answers.every((n) => n === 250), `answers ${answers}`);
      assert(wire.syncBytes <= 1.1 * solo.syncBytes, `pulled ${wire.syncBytes} bytes; one read alone pulls ${solo.syncBytes}: ${wire.paths.join(" ")} | alone: ${solo.paths.join(" ")}`);
      // One download of the image (plus frames other suites' writes add meanwhile), never two.
      if (syncProtocol === "http-sync") assert(solo.syncBytes <= 1.3 * database, `${solo.syncBytes} bytes for a ${database}-byte database`);
      const s = stats(client);
      assertEquals(s.syncs.started, 1, JSON.stringify(s.syncs));
      client.close();
    });
  }

  test("50 overlapping reads after the interval: one background sync", async () => {
    const ctx = context();
    const t = table();
    await executeOnPrimary(ctx, [`CREATE TABLE ${t} (x INTEGER)`]);
    const wire = new Wire(ctx.fetch);
    const clock = new ManualClock();
    const background = new Background();
    const client = open(ctx, wire, { syncProtocol: "sqld", syncInterval: 60, clock: clock.read, waitUntil: background.waitUntil, coldStart: "wait" });
    assertEquals(await count(client, t), 0);
    await executeOnPrimary(ctx, [`INSERT INTO ${t} VALUES (1)`]);
    clock.advance(61_000);
    const before = wire.syncRequests;
    wire.hold();
    const answers = await Promise.all(Array.from({ length: 50 }, () => count(client, t)));
    assert(answers.every((n) => n === 0), "answered by the replica as it is");
    wire.release();
    await background.settle();
    assert(wire.syncRequests - before <= 3, `${wire.syncRequests - before} sync requests`);
    const s = stats(client);
    assertEquals([s.syncs.started, s.syncs.joined], [2, 49]);
    assertEquals(await count(client, t), 1, "the one background sync brought the row");
    client.close();
  });

  test("maxLag with onStale sync, primary and serve, on a clock the test moves", async () => {
    const ctx = context();
    const t = table();
    await executeOnPrimary(ctx, [`CREATE TABLE ${t} (x INTEGER)`]);
    const wire = new Wire(ctx.fetch);
    const clock = new ManualClock();
    const background = new Background();
    const client = open(ctx, wire, { syncProtocol: "sqld", clock: clock.read, waitUntil: background.waitUntil, coldStart: "wait", maxLag: 1000 });
    assertEquals(await count(client, t), 0);
    await executeOnPrimary(ctx, [`INSERT INTO ${t} VALUES (1)`]);
    clock.advance(1000);
    assertEquals(await count(client, t), 0, "confirmed 1000 ms ago: local");
    clock.advance(1);
    assertEquals(await count(client, t), 1, "older than maxLag: onStale sync pulls first");

    await executeOnPrimary(ctx, [`INSERT INTO ${t} VALUES (2)`]);
    clock.advance(5000);
    const serve = client.session({ onStale: "serve" });
    assertEquals(await count(serve, t), 1, "serve: the replica as it is");
    const primary = client.session({ onStale: "primary" });
    assertEquals(await count(primary, t), 2, "primary: read remotely");
    assert(client.serverTiming().startsWith('primary;desc="stale"'), client.serverTiming());
    assertEquals(stats(client).reads.remoteBy.stale, 1);
    await background.settle();
    assertEquals(await count(serve, t), 2, "refreshed in the background");
    const relaxed = client.session({ maxLag: 60_000 });
    await executeOnPrimary(ctx, [`INSERT INTO ${t} VALUES (3)`]);
    assertEquals(await count(relaxed, t), 2, "a session's own maxLag");
    client.close();
  });

  test("a bookmark carried in a header makes another client's session see the write", async () => {
    const ctx = context();
    const t = table();
    await executeOnPrimary(ctx, [`CREATE TABLE ${t} (x INTEGER)`]);
    const a = open(ctx, new Wire(ctx.fetch), { syncProtocol: "sqld" });
    const b = open(ctx, new Wire(ctx.fetch), { syncProtocol: "sqld" });
    assertEquals(await count(b, t), 0);
    const write = await a.execute(`INSERT INTO ${t} VALUES (1)`);
    const bookmark = bookmarkOf(write);
    assert(typeof bookmark === "string" && /^[A-Za-z0-9._-]+$/.test(bookmark), `bookmark ${bookmark}`);
    assertEquals(a.bookmark, bookmark);
    assertEquals(JSON.stringify(write), JSON.stringify({ columns: [], columnTypes: [], rows: [], rowsAffected: 1, lastInsertRowid: "1" }), "shape unchanged");
    // The bookmark travels as another isolate would get it: a response header.
    const carried = new Response(null, { headers: { "x-bookmark": bookmark } }).headers.get("x-bookmark")!;
    assertEquals(await count(b, t), 0, "b has not synced");
    const session = b.session({ bookmark: carried });
    assertEquals(await count(session, t), 1, "the session sees a's write");
    assert(session.bookmark !== null);

    const malformed = await assertThrows(() => b.session({ bookmark: "not-a-bookmark" }));
    assert(malformed instanceof LibsqlError && malformed.code === "BOOKMARK_INVALID", `${malformed}`);
    const other = ctx.api.createClient({ url: "file:other.db", syncUrl: ctx.tursoUrl, fetch: ctx.fetch });
    const foreign = await other.execute("SELECT 1");
    const wrongDb = await assertThrows(() => b.session({ bookmark: bookmarkOf(foreign) }));
    assert(wrongDb instanceof LibsqlError && wrongDb.code === "BOOKMARK_INVALID", `${wrongDb}`);
    for (const c of [a, b, other]) c.close();
  });

  test("timeoutMs bounds a whole call: a primary that never answers ends it with SYNC_TIMEOUT", async () => {
    const ctx = context();
    const wire = new Wire(ctx.fetch);
    wire.hold(() => true);
    const client = open(ctx, wire, { syncProtocol: "sqld", timeoutMs: 300 });
    const err = await assertThrows(() => client.execute("SELECT 1"));
    assert(err instanceof LibsqlError && err.code === "SYNC_TIMEOUT", `${err}`);
    assertEquals(wire.held, 0, "the held request was aborted");
    assertEquals(wire.requests, 1, "no retry reaches the network after the deadline");
    client.close();
  });

  test("stats() and serverTiming() say where calls were served", async () => {
    const ctx = context();
    const clock = new ManualClock();
    const client = open(ctx, new Wire(ctx.fetch), { syncProtocol: "sqld", clock: clock.read });
    assertEquals(client.serverTiming(), "");
    await client.execute("SELECT 1");
    clock.advance(250);
    const s = stats(client);
    assertEquals(Object.keys(s).sort(), ["bootstrap", "confirmedAt", "isolateBudgetBytes", "isolateMemoryBytes", "lagMs", "memoryBudgetBytes", "memoryBytes", "partial", "position", "protocol", "pulled", "reads", "remoteReads", "snapshots", "syncs", "wasmMemoryBytes"]);
    assertEquals(s.partial.mode, "off");
    assert(s.isolateMemoryBytes >= s.memoryBytes && s.isolateBudgetBytes === 64 * 1024 * 1024, JSON.stringify(s));
    assertEquals([s.protocol, s.lagMs, s.remoteReads, s.reads.local, s.syncs.started], ["sqld", 250, null, 1, 1]);
    assert(s.pulled.bytes > 0 && s.pulled.roundTrips >= 2 && s.wasmMemoryBytes >= s.memoryBytes, JSON.stringify(s));
    assertEquals(Object.keys(s.reads.remoteBy).sort(), ["bookmark", "cold", "fallback", "overBudget", "pageSource", "pinned", "stale", "workingSet"]);
    assert(/^replica;dur=[0-9.]+, replica-lag;dur=0$/.test(client.serverTiming()), client.serverTiming());
    client.close();
  });
}
