// createClient in any runtime, against the dev primary: local reads, writes forwarded with
// read-your-writes, batch atomicity, transactions, a second writer seen after sync, value round
// trips, intMode, error codes and close. Each test works on its own table.
import { LibsqlBatchError, LibsqlError } from "@libsql/core/api";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { type Context, executeOnPrimary, type Register } from "./context.ts";

function table(): string {
  return `c_${Math.random().toString(36).slice(2, 10)}`;
}

export function clientSuite(test: Register, context: () => Context): void {
  const replica = (ctx: Context, extra: Record<string, unknown> = {}) =>
    ctx.api.createClient({ url: "file:test.db", syncUrl: ctx.primaryUrl, fetch: ctx.fetch, ...extra });

  for (const syncProtocol of ["sqld", "http-sync"] as const) {
    test(`${syncProtocol}: reads are local, writes go to the primary and are read back`, async () => {
      const ctx = context();
      const t = table();
      await executeOnPrimary(ctx, [`CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name TEXT UNIQUE)`]);
      const client = replica(ctx, { syncProtocol });
      assertEquals(client.protocol, "file");
      const first = await client.execute(`SELECT count(*) AS n FROM ${t}`);
      assertEquals(first.rows[0].n, 0);
      assert(client.position?.startsWith(syncProtocol === "sqld" ? "sqld:" : "http:"), `position ${client.position}`);

      const insert = await client.execute({ sql: `INSERT INTO ${t}(name) VALUES (?)`, args: ["a"] });
      assertEquals(insert.rowsAffected, 1);
      assertEquals(insert.lastInsertRowid, 1n);
      const back = await client.execute(`SELECT id, name FROM ${t}`);
      assertEquals(back.columns, ["id", "name"]);
      assertEquals(back.columnTypes, ["INTEGER", "TEXT"]);
      assertEquals(back.rows.length, 1);
      assertEquals(back.rows[0][1], "a");
      assertEquals(back.rows[0].name, "a");
      assertEquals(JSON.stringify(back), JSON.stringify({ columns: ["id", "name"], columnTypes: ["INTEGER", "TEXT"], rows: [[1, "a"]], rowsAffected: 0, lastInsertRowid: null }));

      // A second writer's change is seen after sync.
      await executeOnPrimary(ctx, [`INSERT INTO ${t}(name) VALUES ('other writer')`]);
      const synced = await client.sync();
      assert(synced !== undefined && synced.frames_synced > 0, `sync ${JSON.stringify(synced)}`);
      assertEquals((await client.execute(`SELECT count(*) FROM ${t}`)).rows[0][0], 2);
      client.close();
      assert(client.closed);
      const closed = await assertThrows(() => client.execute("SELECT 1"));
      assert(closed instanceof LibsqlError && closed.code === "CLIENT_CLOSED", `${closed}`);
    });
  }

  test("a due interval sync starts on the next call, in the background: the read does not wait", async () => {
    const ctx = context();
    const t = table();
    await executeOnPrimary(ctx, [`CREATE TABLE ${t} (x INTEGER)`]);
    const client = replica(ctx, { syncProtocol: "sqld", syncInterval: 0.05 });
    const count = async () => (await client.execute(`SELECT count(*) FROM ${t}`)).rows[0][0];
    assertEquals(await count(), 0);
    await executeOnPrimary(ctx, [`INSERT INTO ${t} VALUES (1)`]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The interval has passed: this call starts a sync but is answered from the replica as it is.
    assertEquals(await count(), 0, "the read did not wait for the due sync");
    let seen = 0;
    for (let i = 0; i < 50 && seen === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      seen = Number(await count());
    }
    assertEquals(seen, 1, "the background sync brought the row");
    client.close();
  });

  test("batch is atomic: a failing statement rolls back the whole batch", async () => {
    const ctx = context();
    const t = table();
    const client = replica(ctx);
    await client.execute(`CREATE TABLE ${t} (x INTEGER UNIQUE)`);
    const ok = await client.batch([`INSERT INTO ${t} VALUES (1)`, { sql: `INSERT INTO ${t} VALUES (?)`, args: [2] }, `SELECT count(*) FROM ${t}`], "write");
    assertEquals(ok.length, 3);
    assertEquals(ok[2].rows[0][0], 2);
    const e = await assertThrows(() => client.batch([`INSERT INTO ${t} VALUES (3)`, `INSERT INTO ${t} VALUES (1)`], "write"));
    assert(e instanceof LibsqlBatchError, `expected LibsqlBatchError, got ${e}`);
    assertEquals(e.statementIndex, 1);
    assertEquals(e.code, "SQLITE_CONSTRAINT");
    assertEquals((await client.execute(`SELECT count(*) FROM ${t}`)).rows[0][0], 2, "nothing of the failed batch remains");
    client.close();
  });

  test("transactions: read on a snapshot locally, write on the primary", async () => {
    const ctx = context();
    const t = table();
    const client = replica(ctx, { syncProtocol: "sqld" });
    await client.execute(`CREATE TABLE ${t} (x INTEGER)`);
    const read = await client.transaction("read");
    await executeOnPrimary(ctx, [`INSERT INTO ${t} VALUES (10)`]);
    await client.sync();
    assertEquals((await read.execute(`SELECT count(*) FROM ${t}`)).rows[0][0], 0, "snapshot is stable");
    await read.commit();
    assert(read.closed);
    assertEquals((await client.execute(`SELECT count(*) FROM ${t}`)).rows[0][0], 1);

    const write = await client.transaction("write");
    await write.execute(`INSERT INTO ${t} VALUES (20)`);
    assertEquals((await write.execute(`SELECT count(*) FROM ${t}`)).rows[0][0], 2);
    await write.rollback();
    const write2 = await client.transaction("write");
    await write2.batch([`INSERT INTO ${t} VALUES (30)`, `INSERT INTO ${t} VALUES (31)`]);
    await write2.commit();
    assertEquals((await client.execute(`SELECT group_concat(x) FROM (SELECT x FROM ${t} ORDER BY x)`)).rows[0][0], "10,30,31");
    const gone = await assertThrows(() => write2.execute("SELECT 1"));
    assert(gone instanceof LibsqlError && gone.code === "TRANSACTION_CLOSED", `${gone}`);
    client.close();
  });

  test("values round-trip through the primary and the replica; intMode", async () => {
    const ctx = context();
    const t = table();
    const client = replica(ctx, { intMode: "bigint" });
    await client.execute(`CREATE TABLE ${t} (i INTEGER, f REAL, s TEXT, b BLOB, n)`);
    const blob = new Uint8Array([0, 1, 2, 255]);
    await client.execute({ sql: `INSERT INTO ${t} VALUES (?, ?, ?, ?, ?)`, args: [9007199254740993n, 0.5, "héllo 😀", blob, null] });
    const row = (await client.execute(`SELECT i, f, s, b, n FROM ${t}`)).rows[0];
    assertEquals(row.i, 9007199254740993n);
    assertEquals(row.f, 0.5);
    assertEquals(row.s, "héllo 😀");
    assertEquals(row.b, blob.buffer);
    assertEquals(row.n, null);
    const named = await client.execute({ sql: `SELECT s FROM ${t} WHERE i = :i`, args: { i: 9007199254740993n } });
    assertEquals(named.rows[0][0], "héllo 😀");
    client.close();

    const asString = replica(ctx, { intMode: "string" });
    assertEquals((await asString.execute(`SELECT i FROM ${t}`)).rows[0][0], "9007199254740993");
    const asNumber = replica(ctx);
    const big = await assertThrows(() => asNumber.execute(`SELECT i FROM ${t}`));
    assert(big instanceof RangeError, `expected RangeError, got ${big}`);
    assertEquals((await asNumber.execute("SELECT 42")).rows[0][0], 42);
    const bad = await assertThrows(() => ctx.api.createClient({ url: "file:x", syncUrl: ctx.primaryUrl, intMode: "float" as never }));
    assert(bad instanceof TypeError, `${bad}`);
  });

  test("configuration and statement errors carry @libsql/client codes", async () => {
    const ctx = context();
    // file: without syncUrl is a local database; :memory: with syncUrl is refused as @libsql/client does.
    assertEquals(ctx.api.createClient({ url: "file:local.db" }).protocol, "file");
    const memorySync = await assertThrows(() => ctx.api.createClient({ url: ":memory:", syncUrl: ctx.primaryUrl }));
    assert(memorySync instanceof LibsqlError && memorySync.code === "URL_INVALID", `${memorySync}`);
    const scheme = await assertThrows(() => ctx.api.createClient({ url: "ftp://example.com" }));
    assert(scheme instanceof LibsqlError && scheme.code === "URL_SCHEME_NOT_SUPPORTED", `${scheme}`);
    const key = await assertThrows(() => ctx.api.createClient({ url: "file:x", syncUrl: ctx.primaryUrl, encryptionKey: "k" }));
    assert(key instanceof LibsqlError && key.code === "ENCRYPTION_KEY_NOT_SUPPORTED", `${key}`);

    const client = replica(ctx);
    const missing = await assertThrows(() => client.execute("SELECT * FROM no_such_table_here"));
    assert(missing instanceof LibsqlError, `${missing}`);
    const syntax = await assertThrows(() => client.execute("SELEC 1"));
    assert(syntax instanceof LibsqlError, `${syntax}`);
    client.close();

    const remote = ctx.api.createClient({ url: ctx.primaryUrl, fetch: ctx.fetch });
    assertEquals(remote.protocol, "http");
    assertEquals((await remote.execute("SELECT 1 AS one")).rows[0].one, 1);
    const noSyncRemote = await assertThrows(() => remote.sync());
    assert(noSyncRemote instanceof LibsqlError && noSyncRemote.code === "SYNC_NOT_SUPPORTED", `${noSyncRemote}`);
    remote.close();
  });
}
