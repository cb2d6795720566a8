// Drizzle ORM (drizzle-orm/libsql) on top of our createClient inside workerd, against the dev
// primary: schema with sqliteTable, table created through the client, insert, select with
// where/orderBy, update, delete, a Drizzle transaction, and read-back through the embedded replica.
import { env } from "cloudflare:test";
import { and, asc, desc, eq, gt, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/libsql";
import { blob, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { expect, it } from "vitest";
import * as api from "../../dist/init/workerd.js";

const primaryUrl = (env as { PRIMARY_URL: string }).PRIMARY_URL;

function tableName(): string {
  return `dz_${Math.random().toString(36).slice(2, 10)}`;
}

function schema(name: string) {
  return sqliteTable(name, {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    price: real("price"),
    qty: integer("qty").notNull().default(0),
    big: blob("big", { mode: "bigint" }),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at", { mode: "timestamp_ms" }),
  });
}

for (const mode of ["embedded replica", "remote-only"] as const) {
  it(`drizzle-orm/libsql over our createClient (${mode}): create, insert, select, update, delete, transaction`, async () => {
    const client = mode === "embedded replica"
      ? api.createClient({ url: "file:drizzle.db", syncUrl: primaryUrl, fetch: (i, init) => fetch(i, init) })
      : api.createClient({ url: primaryUrl, fetch: (i, init) => fetch(i, init) });
    const db = drizzle({ client });
    const name = tableName();
    const items = schema(name);

    await client.execute(
      `CREATE TABLE ${name} (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, price REAL, qty INTEGER NOT NULL DEFAULT 0, big BLOB, active INTEGER NOT NULL DEFAULT 1, created_at INTEGER)`,
    );

    const when = new Date("2024-05-06T07:08:09.010Z");
    const inserted = await db.insert(items).values([
      { name: "apple", price: 1.5, qty: 3, createdAt: when },
      { name: "banana", price: 0.25, qty: 12, active: false },
      { name: "cherry", price: 12, qty: 7, big: 9007199254740993n },
    ]).returning({ id: items.id, name: items.name });
    expect(inserted).toEqual([{ id: 1, name: "apple" }, { id: 2, name: "banana" }, { id: 3, name: "cherry" }]);

    const one = await db.insert(items).values({ name: "date", qty: 1 }).run();
    expect(one.rowsAffected).toBe(1);
    expect(one.lastInsertRowid).toBe(4n);

    const cheapFirst = await db.select({ name: items.name, price: items.price }).from(items)
      .where(gt(items.qty, 2)).orderBy(asc(items.price));
    expect(cheapFirst).toEqual([{ name: "banana", price: 0.25 }, { name: "apple", price: 1.5 }, { name: "cherry", price: 12 }]);

    const apple = await db.select().from(items).where(eq(items.name, "apple")).get();
    expect(apple).toEqual({ id: 1, name: "apple", price: 1.5, qty: 3, big: null, active: true, createdAt: when });
    const cherry = await db.select().from(items).where(eq(items.id, 3)).get();
    expect(cherry?.big).toBe(9007199254740993n);
    expect(cherry?.active).toBe(true);
    const banana = await db.select({ active: items.active }).from(items).where(eq(items.name, "banana")).get();
    expect(banana).toEqual({ active: false });

    const updated = await db.update(items).set({ qty: sql`${items.qty} + 10`, price: 2 })
      .where(and(eq(items.active, true), gt(items.qty, 2))).returning({ name: items.name, qty: items.qty });
    expect(updated.sort((a, b) => a.name.localeCompare(b.name))).toEqual([{ name: "apple", qty: 13 }, { name: "cherry", qty: 17 }]);

    const byQty = await db.select({ name: items.name, qty: items.qty, price: items.price }).from(items).orderBy(desc(items.qty), asc(items.id));
    expect(byQty).toEqual([
      { name: "cherry", qty: 17, price: 2 },
      { name: "apple", qty: 13, price: 2 },
      { name: "banana", qty: 12, price: 0.25 },
      { name: "date", qty: 1, price: null },
    ]);

    const deleted = await db.delete(items).where(eq(items.name, "date")).run();
    expect(deleted.rowsAffected).toBe(1);
    const count = await db.select({ n: sql<number>`count(*)` }).from(items).get();
    expect(count).toEqual({ n: 3 });

    // A Drizzle transaction (client.transaction("write") underneath): committed, and rolled back.
    await db.transaction(async (tx) => {
      await tx.insert(items).values({ name: "elderberry", qty: 5 });
      await tx.update(items).set({ qty: 0 }).where(eq(items.name, "banana"));
    });
    await expect(db.transaction(async (tx) => {
      await tx.insert(items).values({ name: "fig", qty: 1 });
      tx.rollback();
    })).rejects.toThrow();
    const after = await db.select({ name: items.name, qty: items.qty }).from(items).orderBy(asc(items.name));
    expect(after).toEqual([
      { name: "apple", qty: 13 },
      { name: "banana", qty: 0 },
      { name: "cherry", qty: 17 },
      { name: "elderberry", qty: 5 },
    ]);

    // A Drizzle batch (client.batch underneath).
    const [ins, sel] = await db.batch([
      db.insert(items).values({ name: "grape", qty: 2 }),
      db.select({ name: items.name }).from(items).where(eq(items.qty, 2)),
    ]);
    expect(ins.rowsAffected).toBe(1);
    expect(sel).toEqual([{ name: "grape" }]);

    if (mode === "embedded replica") expect(client.position).toMatch(/^(sqld|http):/);
    client.close();
  });
}
