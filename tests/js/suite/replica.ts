// The replica through the package, in any runtime: the wasm loads, a replica bootstraps from the dev
// primary over the sqld protocol with the runtime's fetch, local queries return typed rows, writes
// on the primary arrive with the next sync, and errors come out as LibsqlError with stable codes.
import { LibsqlError } from "@libsql/core/api";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { type Context, executeOnPrimary, type Register } from "./context.ts";

export function replicaSuite(test: Register, context: () => Context): void {
  test("wasm loads and an empty replica answers local queries", async () => {
    const { api } = context();
    const replica = new api.Replica();
    assertEquals(replica.position, null);
    const result = replica.query("SELECT 1 + 1 AS two, 'x' AS s");
    assertEquals(result.columns, ["two", "s"]);
    assertEquals(result.rows, [[2, "x"]]);
    replica.close();
  });

  test("bootstraps from the primary over sqld and returns typed rows", async () => {
    const ctx = context();
    const replica = new ctx.api.Replica();
    const stats = await replica.sync({ url: ctx.primaryUrl, fetch: ctx.fetch });
    assertEquals(stats.protocol, "sqld");
    assert(stats.position?.startsWith("sqld:"), `position ${stats.position}`);
    assertEquals(replica.position, stats.position);
    assert(stats.framesSynced > 0 && stats.pagesApplied > 0, `stats ${JSON.stringify(stats)}`);
    assert(stats.roundTrips >= 2 && stats.bytesReceived > 0, `stats ${JSON.stringify(stats)}`);

    const result = replica.query("SELECT id, name, price, big, data, note FROM items ORDER BY id");
    assertEquals(result.columns, ["id", "name", "price", "big", "data", "note"]);
    assertEquals(result.columnTypes, ["INTEGER", "TEXT", "REAL", "INTEGER", "BLOB", "TEXT"]);
    assertEquals(result.rows.length, 3);
    const [apple, banana, cherry] = result.rows;
    assertEquals(apple, [1, "apple", 1.5, 9007199254740993n, new Uint8Array([0, 255, 16]).buffer, null]);
    assert(apple[4] instanceof ArrayBuffer, "blobs are ArrayBuffers");
    assertEquals(banana, [2, "banana", 0.25, 42, new ArrayBuffer(0), "yellow"]);
    assertEquals(cherry[3], -9007199254740993n);
    assertEquals(cherry[2], 12);

    const again = await replica.sync({ url: ctx.primaryUrl, fetch: ctx.fetch });
    assertEquals(again.position, stats.position, "nothing new");
    assertEquals(again.framesSynced, 0);
    replica.close();
  });

  test("arguments bind with @libsql/client's value types", async () => {
    const ctx = context();
    const replica = new ctx.api.Replica();
    await replica.sync({ url: ctx.primaryUrl, fetch: ctx.fetch });
    assertEquals(replica.query("SELECT name FROM items WHERE id = ?", [2]).rows, [["banana"]]);
    assertEquals(replica.query("SELECT name FROM items WHERE big = ?", [9007199254740993n]).rows, [["apple"]]);
    const row = replica.query("SELECT ?, ?, ?, ?, ?", [true, null, "t", new Uint8Array([7, 8]), 0.5]).rows[0];
    assertEquals(row, [1, null, "t", new Uint8Array([7, 8]).buffer, 0.5]);
    const ints = replica.query("SELECT 9007199254740991, -9007199254740991, 9007199254740992, -9223372036854775808").rows[0];
    assertEquals(ints, [9007199254740991, -9007199254740991, 9007199254740992n, -9223372036854775808n], "safe integers are numbers");
    const e = await assertThrows(() => replica.query("SELECT ?", [{} as never]));
    assert(e instanceof TypeError, `expected TypeError, got ${e}`);
    replica.close();
  });

  test("a write on the primary arrives with the next sync", async () => {
    const ctx = context();
    const table = `t_${Math.random().toString(36).slice(2, 10)}`;
    const replica = new ctx.api.Replica();
    await replica.sync({ url: ctx.primaryUrl, fetch: ctx.fetch });
    await executeOnPrimary(ctx, [`CREATE TABLE ${table} (x INTEGER)`, `INSERT INTO ${table} VALUES (1), (2), (3)`]);
    const stats = await replica.sync({ url: ctx.primaryUrl, fetch: ctx.fetch });
    assert(stats.framesSynced > 0, `stats ${JSON.stringify(stats)}`);
    assertEquals(replica.query(`SELECT sum(x) FROM ${table}`).rows, [[6]]);
    replica.close();
  });

  test("errors are LibsqlError with stable codes", async () => {
    const ctx = context();
    const replica = new ctx.api.Replica();
    await replica.sync({ url: ctx.primaryUrl, fetch: ctx.fetch });

    const missing = await assertThrows(() => replica.query("SELECT * FROM no_such_table"));
    assert(missing instanceof LibsqlError, `expected LibsqlError, got ${missing}`);
    assert(missing instanceof ctx.api.LibsqlError, "the package's LibsqlError is @libsql/core's");
    assertEquals(missing.code, "SQLITE_ERROR");
    assertEquals(missing.rawCode, 1);
    assert(missing.message.startsWith("SQLITE_ERROR: "), missing.message);
    assert(missing.message.includes("no_such_table"), missing.message);

    const write = await assertThrows(() => replica.query("INSERT INTO items (name) VALUES ('x')"));
    assert(write instanceof LibsqlError, `expected LibsqlError, got ${write}`);
    assertEquals(write.code, "REPLICA_WRITE_REFUSED");

    const range = await assertThrows(() => replica.query("SELECT ?, ?", [1]));
    assert(range instanceof LibsqlError, `expected LibsqlError, got ${range}`);
    assertEquals(range.code, "SQLITE_RANGE");

    const offline = new ctx.api.Replica();
    const network = await assertThrows(() => offline.sync({ url: "http://127.0.0.1:9", fetch: ctx.fetch, timeoutMs: 2000 }));
    assert(network instanceof LibsqlError, `expected LibsqlError, got ${network}`);
    assertEquals(network.code, "SYNC_NETWORK");
    assertEquals(offline.position, null);
    offline.close();
    replica.close();
  });
}
