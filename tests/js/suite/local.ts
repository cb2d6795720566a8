// Local databases in any runtime: `:memory:` and `file:NAME` live in the isolate's memory and
// offer the whole client API (execute, batch with statement index and rollback, transactions of
// every mode, executeMultiple, migrate, intMode, lastInsertRowid, rowsAffected, columnTypes).
// `file:NAME` is shared by the clients of the isolate that name it and outlives them.
import { LibsqlBatchError, LibsqlError } from "@libsql/core/api";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import type { Context, Register } from "./context.ts";

let files = 0;
const fileName = () => `file:local-suite-${++files}-${Math.random().toString(36).slice(2, 8)}.db`;

export function localSuite(test: Register, context: () => Context): void {
  for (const kind of [":memory:", "file:"] as const) {
    test(`local ${kind}: execute, batch, transactions, executeMultiple, migrate, intMode`, async () => {
      const { api } = context();
      const url = kind === ":memory:" ? kind : fileName();
      const c = api.createClient({ url, intMode: "bigint" });
      assertEquals(c.protocol, "file");
      await c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, price REAL, big INTEGER, data BLOB)");
      const ins = await c.execute({ sql: "INSERT INTO t (name, price, big, data) VALUES (?, ?, ?, ?)", args: ["a", 1.5, 9007199254740993n, new Uint8Array([1, 2])] });
      assertEquals([ins.rowsAffected, ins.lastInsertRowid], [1, 1n]);
      const rs = await c.execute("SELECT name, price, big, data FROM t");
      assertEquals(rs.columnTypes, ["TEXT", "REAL", "INTEGER", "BLOB"]);
      assertEquals(rs.rows[0].big, 9007199254740993n);
      assertEquals([...new Uint8Array(rs.rows[0].data as ArrayBuffer)], [1, 2]);

      const e = await assertThrows(() => c.batch(["INSERT INTO t (name) VALUES ('b')", "INSERT INTO t (name) VALUES ('a')"], "write"));
      assert(e instanceof LibsqlBatchError && e.statementIndex === 1 && e.code === "SQLITE_CONSTRAINT", `${e}`);
      assertEquals((await c.execute("SELECT count(*) FROM t")).rows[0][0], 1n, "the failed batch rolled back");
      const ok = await c.batch([{ sql: "INSERT INTO t (name) VALUES (?)", args: ["b"] }, "SELECT count(*) FROM t"], "deferred");
      assertEquals(ok[1].rows[0][0], 2n);

      for (const mode of ["write", "deferred", "read"] as const) {
        const tx = await c.transaction(mode);
        await tx.execute({ sql: "INSERT INTO t (name) VALUES (?)", args: [`tx-${mode}`] });
        await tx.rollback();
        assert(tx.closed);
      }
      const tx = await c.transaction("write");
      await tx.batch(["INSERT INTO t (name) VALUES ('c')", "UPDATE t SET price = 2 WHERE name = 'c'"]);
      await tx.executeMultiple("INSERT INTO t (name) VALUES ('d'); INSERT INTO t (name) VALUES ('e');");
      await tx.commit();
      assertEquals((await c.execute("SELECT count(*) FROM t")).rows[0][0], 5n);

      await c.executeMultiple("CREATE TABLE u (x); INSERT INTO u VALUES (1); INSERT INTO u VALUES (2);");
      await c.migrate(["CREATE TABLE p (id INTEGER PRIMARY KEY)", "CREATE TABLE q (p INTEGER REFERENCES p(id))", "INSERT INTO q VALUES (7)"]);
      assertEquals((await c.execute("SELECT count(*) FROM u")).rows[0][0], 2n);
      assertEquals((await c.execute("PRAGMA foreign_keys")).rows[0][0], 1n);
      const closed = await assertThrows(() => c.sync());
      assert(closed instanceof LibsqlError && closed.code === "SYNC_NOT_SUPPORTED", `${closed}`);
      c.close();
      const after = await assertThrows(() => c.execute("SELECT 1"));
      assert(after instanceof LibsqlError && after.code === "CLIENT_CLOSED", `${after}`);
    });
  }

  test("local file:NAME is shared by the clients of the isolate and outlives them; :memory: is private", async () => {
    const { api } = context();
    const url = fileName();
    const a = api.createClient({ url });
    await a.execute("CREATE TABLE t (x INTEGER)");
    const b = api.createClient({ url });
    await b.execute("INSERT INTO t VALUES (1)");
    assertEquals((await a.execute("SELECT count(*) FROM t")).rows[0][0], 1);
    a.close();
    b.close();
    const again = api.createClient({ url });
    assertEquals((await again.execute("SELECT count(*) FROM t")).rows[0][0], 1, "kept after every client closed");
    again.close();
    const m1 = api.createClient({ url: ":memory:" });
    const m2 = api.createClient({ url: ":memory:" });
    await m1.execute("CREATE TABLE t (x)");
    const e = await assertThrows(() => m2.execute("SELECT * FROM t"));
    assert(e instanceof LibsqlError && e.code === "SQLITE_ERROR", `${e}`);
    // A transaction holds a :memory: client's only connection.
    const tx = await m1.transaction("write");
    const busy = await assertThrows(() => m1.execute("SELECT 1"));
    assert(busy instanceof LibsqlError && busy.code === "TRANSACTION_ACTIVE", `${busy}`);
    tx.close();
    assertEquals((await m1.execute("SELECT 1 AS one")).rows[0].one, 1);
  });
}
