// The replica behind createClient, in any runtime: the wasm loads, a replica bootstraps from the
// seeded dev primary with the runtime's fetch, local reads return typed rows, arguments bind with
// @libsql/client's value types, a primary's write arrives with the next sync, and errors come out
// as LibsqlError with stable codes.
import { LibsqlError } from "@libsql/core/api";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { type Context, executeOnPrimary, type Register } from "./context.ts";

export function replicaSuite(test: Register, context: () => Context): void {
  const open = (ctx: Context, extra: Record<string, unknown> = {}) =>
    ctx.api.createClient({ url: "file:replica.db", syncUrl: ctx.primaryUrl, syncProtocol: "sqld", fetch: ctx.fetch, intMode: "bigint", ...extra });

  test("bootstraps from the primary over sqld and returns typed rows", async () => {
    const ctx = context();
    const client = open(ctx);
    assertEquals(client.position, null);
    const result = await client.execute("SELECT id, name, price, big, data, note FROM items ORDER BY id");
    assert(client.position !== null && client.position.startsWith("sqld:"), `position ${client.position}`);
    assert(client.memoryBytes > 0, "the replica holds pages");
    assertEquals(result.columns, ["id", "name", "price", "big", "data", "note"]);
    assertEquals(result.columnTypes, ["INTEGER", "TEXT", "REAL", "INTEGER", "BLOB", "TEXT"]);
    assertEquals(result.rows.length, 3);
    const [apple, banana, cherry] = result.rows;
    assertEquals([...Array.prototype.slice.call(apple)], [1n, "apple", 1.5, 9007199254740993n, new Uint8Array([0, 255, 16]).buffer, null]);
    assert(apple.data instanceof ArrayBuffer, "blobs are ArrayBuffers");
    assertEquals(banana.data, new ArrayBuffer(0));
    assertEquals(banana.note, "yellow");
    assertEquals(cherry.big, -9007199254740993n);
    assertEquals(cherry.price, 12);

    const again = await client.sync();
    assertEquals(again?.frames_synced, 0, "nothing new");
    client.close();
  });

  test("arguments bind with @libsql/client's value types", async () => {
    const ctx = context();
    const client = open(ctx);
    assertEquals((await client.execute({ sql: "SELECT name FROM items WHERE id = ?", args: [2] })).rows[0][0], "banana");
    assertEquals((await client.execute({ sql: "SELECT name FROM items WHERE big = ?", args: [9007199254740993n] })).rows[0][0], "apple");
    const row = (await client.execute({ sql: "SELECT ?, ?, ?, ?, ?", args: [true, null, "t", new Uint8Array([7, 8]), 0.5] })).rows[0];
    assertEquals([...Array.prototype.slice.call(row)], [1n, null, "t", new Uint8Array([7, 8]).buffer, 0.5]);
    const ints = (await client.execute("SELECT 9007199254740991, -9223372036854775808, 9223372036854775807")).rows[0];
    assertEquals([...Array.prototype.slice.call(ints)], [9007199254740991n, -9223372036854775808n, 9223372036854775807n]);
    // As in @libsql/client: `undefined` is a TypeError (other objects are sent as their string form).
    const e = await assertThrows(() => client.execute({ sql: "SELECT ?", args: [undefined as never] }));
    assert(e instanceof TypeError, `expected TypeError, got ${e}`);
    client.close();
  });

  test("a write on the primary arrives with the next sync", async () => {
    const ctx = context();
    const table = `t_${Math.random().toString(36).slice(2, 10)}`;
    const client = open(ctx);
    await client.execute("SELECT 1");
    await executeOnPrimary(ctx, [`CREATE TABLE ${table} (x INTEGER)`, `INSERT INTO ${table} VALUES (1), (2), (3)`]);
    const synced = await client.sync();
    assert(synced !== undefined && synced.frames_synced > 0, `sync ${JSON.stringify(synced)}`);
    assertEquals((await client.execute(`SELECT sum(x) FROM ${table}`)).rows[0][0], 6n);
    client.close();
  });

  test("errors are LibsqlError with stable codes", async () => {
    const ctx = context();
    const client = open(ctx);
    // A wrong argument count is worded by the primary, as @libsql/client reports it.
    const args = await assertThrows(() => client.execute({ sql: "SELECT ?, ?", args: [1] }));
    assert(args instanceof LibsqlError, `expected LibsqlError, got ${args}`);
    assert(args instanceof ctx.api.LibsqlError, "the package's LibsqlError is @libsql/core's");
    assertEquals(args.code, "ARGS_INVALID");
    const missing = await assertThrows(() => client.execute("SELECT * FROM no_such_table_at_all"));
    assert(missing instanceof LibsqlError, `expected LibsqlError, got ${missing}`);
    assertEquals(missing.code, "SQLITE_UNKNOWN");
    client.close();

    const offline = ctx.api.createClient({ url: "file:x", syncUrl: "http://127.0.0.1:9", syncProtocol: "sqld", fetch: ctx.fetch, timeoutMs: 2000 });
    const network = await assertThrows(() => offline.execute("SELECT 1"));
    assert(network instanceof LibsqlError, `expected LibsqlError, got ${network}`);
    assertEquals(network.code, "SYNC_NETWORK");
    assertEquals(offline.position, null);
    offline.close();
  });
}
