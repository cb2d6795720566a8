// ORMs on top of our createClient inside workerd, against the dev primary: Drizzle's migrator
// (drizzle-orm/libsql/migrator, reading drizzle-kit's folder layout from workerd's /tmp) applying
// migrations through the client to the primary, with the replica seeing them; and Kysely through
// @libsql/kysely-libsql's `client` option (replica, remote-only and a local database).
import { env } from "cloudflare:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { LibsqlDialect } from "@libsql/kysely-libsql";
import { sql as dsql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { Kysely, sql } from "kysely";
import { expect, it } from "vitest";
import * as api from "../../dist/init/workerd.js";

const primaryUrl = (env as { PRIMARY_URL: string }).PRIMARY_URL;
const suffix = () => Math.random().toString(36).slice(2, 10);
const edgeFetch = (i: RequestInfo | URL, init?: RequestInit) => fetch(i, init);

/** A drizzle-kit migrations folder (meta/_journal.json + one .sql file per migration). */
function migrationsFolder(tag: string, migrations: string[][]): string {
  const dir = `/tmp/drizzle-${tag}`;
  mkdirSync(`${dir}/meta`, { recursive: true });
  const entries = migrations.map((statements, idx) => {
    const name = `${String(idx).padStart(4, "0")}_${tag}`;
    writeFileSync(`${dir}/${name}.sql`, statements.join("\n--> statement-breakpoint\n"));
    return { idx, version: "6", when: 1700000000000 + idx, tag: name, breakpoints: true };
  });
  writeFileSync(`${dir}/meta/_journal.json`, JSON.stringify({ version: "7", dialect: "sqlite", entries }));
  return dir;
}

for (const mode of ["embedded replica", "local :memory:"] as const) {
  it(`drizzle-orm/libsql/migrator applies migrations through our client (${mode})`, async () => {
    const client = mode === "embedded replica"
      ? api.createClient({ url: "file:drizzle-migrate.db", syncUrl: primaryUrl, fetch: edgeFetch })
      : api.createClient({ url: ":memory:" });
    const db = drizzle({ client });
    const s = suffix();
    const [users, posts, journal] = [`mg_users_${s}`, `mg_posts_${s}`, `mg_journal_${s}`];
    const folder = migrationsFolder(s, [
      [`CREATE TABLE ${users} (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`, `CREATE UNIQUE INDEX ${users}_name ON ${users} (name)`],
      [`CREATE TABLE ${posts} (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES ${users}(id), body TEXT)`, `INSERT INTO ${users} (name) VALUES ('seeded')`],
    ]);
    await migrate(db, { migrationsFolder: folder, migrationsTable: journal });
    // Applying again is a no-op: the journal table says both ran.
    await migrate(db, { migrationsFolder: folder, migrationsTable: journal });

    const applied = await client.execute(`SELECT hash, created_at FROM ${journal} ORDER BY created_at`);
    expect(applied.rows.map((r) => Number(r.created_at))).toEqual([1700000000000, 1700000000001]);
    const tables = await client.execute({ sql: "SELECT name FROM sqlite_schema WHERE name IN (?, ?) ORDER BY name", args: [posts, users] });
    expect(tables.rows.map((r) => r.name)).toEqual([posts, users]);
    expect((await db.all<{ name: string }>(dsql.raw(`SELECT name FROM ${users}`)))).toEqual([{ name: "seeded" }]);
    if (mode === "embedded replica") {
      // The statements went to the primary; the replica has them too (read-your-writes).
      const onPrimary = await fetch(`${primaryUrl}/v2/pipeline`, {
        method: "POST",
        body: JSON.stringify({ requests: [{ type: "execute", stmt: { sql: `SELECT count(*) FROM ${journal}` } }, { type: "close" }] }),
      }).then((r) => r.json()) as { results: { response: { result: { rows: { value: string }[][] } } }[] };
      expect(onPrimary.results[0].response.result.rows[0][0].value).toBe("2");
      expect(client.position).toMatch(/^(sqld|http):/);
    }
    client.close();
  });
}

interface Db {
  [table: string]: { id: number; name: string; qty: number };
}

for (const mode of ["embedded replica", "remote-only", "local :memory:"] as const) {
  it(`Kysely through @libsql/kysely-libsql's client option (${mode})`, async () => {
    const client = mode === "embedded replica"
      ? api.createClient({ url: "file:kysely.db", syncUrl: primaryUrl, fetch: edgeFetch })
      : mode === "remote-only"
        ? api.createClient({ url: primaryUrl, fetch: edgeFetch })
        : api.createClient({ url: ":memory:" });
    const db = new Kysely<Db>({ dialect: new LibsqlDialect({ client }) });
    const t = `ky_${suffix()}`;
    await db.schema.createTable(t).addColumn("id", "integer", (c) => c.primaryKey()).addColumn("name", "text", (c) => c.notNull())
      .addColumn("qty", "integer", (c) => c.notNull().defaultTo(0)).execute();
    const inserted = await db.insertInto(t).values([{ name: "apple", qty: 3 }, { name: "banana", qty: 12 }] as never).executeTakeFirst();
    expect(inserted.numInsertedOrUpdatedRows).toBe(2n);
    const rows = await db.selectFrom(t).select(["name", "qty"]).where("qty", ">", 2).orderBy("qty", "desc").execute();
    expect(rows).toEqual([{ name: "banana", qty: 12 }, { name: "apple", qty: 3 }]);
    await db.transaction().execute(async (trx) => {
      await trx.updateTable(t).set({ qty: 0 } as never).where("name", "=", "banana").execute();
      await trx.insertInto(t).values({ name: "cherry", qty: 7 } as never).execute();
    });
    await expect(db.transaction().execute(async (trx) => {
      await trx.insertInto(t).values({ name: "fig", qty: 1 } as never).execute();
      throw new Error("roll back");
    })).rejects.toThrow("roll back");
    const after = await db.selectFrom(t).select(["name", "qty"]).orderBy("name").execute();
    expect(after).toEqual([{ name: "apple", qty: 3 }, { name: "banana", qty: 0 }, { name: "cherry", qty: 7 }]);
    const { rows: [count] } = await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.table(t)}`.execute(db);
    expect(count).toEqual({ n: 3 });
    await db.destroy();
    client.close();
  });
}
