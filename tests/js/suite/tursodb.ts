// createClient against the real `tursodb --sync-server` (Turso Sync): the replica bootstraps and
// catches up over /pull-updates, writes go to tursodb's Hrana subset (no `close`, no streams) and are
// read back, a second writer's change arrives with sync, and a failing batch rolls back.
import { LibsqlBatchError } from "@libsql/core/api";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { pipeline, type Context, type Register } from "./context.ts";

/** tursodb's URL (TURSO_URL) next to the usual context. */
export interface TursoContext extends Context {
  tursoUrl: string;
}


export function tursodbSuite(test: Register, context: () => TursoContext): void {
  // Found by the chaos soak (tests/soak): the first pipelines of a client all send `close`; the one
  // whose 500 arrived after another had learnt to omit it failed with SERVER_ERROR.
  test("tursodb: concurrent first requests of a remote client all succeed (tursodb rejects `close`)", async () => {
    const ctx = context();
    const client = ctx.api.createClient({ url: ctx.tursoUrl, fetch: ctx.fetch });
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => client.execute(`SELECT ${i}`)));
    assertEquals(answers.map((rs) => Number(rs.rows[0][0])), [0, 1, 2, 3, 4, 5]);
    client.close();
  });

  test("tursodb: pull-updates replica, writes read back, a second writer after sync, batch rollback", async () => {
    const ctx = context();
    const t = `tu_${Math.random().toString(36).slice(2, 10)}`;
    const client = ctx.api.createClient({ url: "file:turso.db", syncUrl: ctx.tursoUrl, fetch: ctx.fetch });
    await client.execute(`CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name TEXT UNIQUE)`);
    await client.execute({ sql: `INSERT INTO ${t}(name) VALUES (?)`, args: ["a"] });
    const rs = await client.execute(`SELECT id, name FROM ${t}`);
    assert(client.position !== null && client.position.startsWith("rev:"), `position ${client.position}`);
    assertEquals(rs.columns, ["id", "name"]);
    assertEquals([...Array.prototype.slice.call(rs.rows[0])], [1, "a"]);

    // A write by another client, straight to tursodb.
    await pipeline(ctx.fetch, ctx.tursoUrl, [`INSERT INTO ${t}(name) VALUES ('b')`]);
    assertEquals((await client.execute(`SELECT count(*) FROM ${t}`)).rows[0][0], 1, "not before a sync");
    const synced = await client.sync();
    assert(synced !== undefined && synced.frames_synced > 0, `sync ${JSON.stringify(synced)}`);
    assertEquals((await client.execute(`SELECT count(*) FROM ${t}`)).rows[0][0], 2);

    const e = await assertThrows(() => client.batch([`INSERT INTO ${t}(name) VALUES ('c')`, `INSERT INTO ${t}(name) VALUES ('a')`], "write"));
    assert(e instanceof LibsqlBatchError, `expected LibsqlBatchError, got ${e}`);
    assertEquals(e.statementIndex, 1);
    await client.sync();
    assertEquals((await client.execute(`SELECT group_concat(name) FROM (SELECT name FROM ${t} ORDER BY id)`)).rows[0][0], "a,b");
    client.close();
  });
}
