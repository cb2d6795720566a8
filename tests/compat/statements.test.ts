// Statements: argument binding (positional, numbered, named with each prefix), SELECT of expressions
// and of table columns, write counts and lastInsertRowid, executeMultiple.
import { assert, differential } from "./harness.ts";

differential("positional, numbered and named arguments", async (c, rec) => {
  await rec.step("positional", () => c.execute({ sql: "SELECT ? AS a, ? AS b", args: ["x", 2n] }));
  await rec.step("two-argument form", () => c.execute("SELECT ? AS a, ? AS b", ["y", null]));
  await rec.step("numbered", () => c.execute({ sql: "SELECT ?2 AS a, ?1 AS b, ?2 AS c", args: ["one", "two"] }));
  for (const prefix of [":", "@", "$"]) {
    const rs = await rec.step(`named ${prefix} without prefix in key`, () => c.execute({ sql: `SELECT ${prefix}a AS a, ${prefix}b AS b`, args: { a: "A", b: 1n } }));
    assert.equal(rs?.rows[0].a, "A");
    await rec.step(`named ${prefix} with prefix in key`, () => c.execute({ sql: `SELECT ${prefix}a AS a`, args: { [`${prefix}a`]: "P" } }));
  }
  await rec.step("named used twice", () => c.execute({ sql: "SELECT :x AS a, :x || :x AS b", args: { x: "r" } }));
});

differential("argument count errors", async (c, rec) => {
  await rec.step("no arguments given for a parameter", () => c.execute("SELECT ? AS a"));
  await rec.step("too many positional arguments", () => c.execute({ sql: "SELECT ? AS a", args: [1n, 2n] }));
  await rec.step("missing named argument", () => c.execute({ sql: "SELECT :a AS a, :b AS b", args: { a: 1n } }));
});

differential("argument count errors on writes (forwarded to the primary)", async (c, rec, t) => {
  await rec.step("create", () => c.execute(`CREATE TABLE ${t()} (a, b)`));
  await rec.step("missing", () => c.execute(`INSERT INTO ${t()} VALUES (?, ?)`, [1n]));
  await rec.step("too many", () => c.execute(`INSERT INTO ${t()} VALUES (?, ?)`, [1n, 2n, 3n]));
  await rec.step("missing named", () => c.execute(`INSERT INTO ${t()} VALUES (:a, :b)`, { a: 1n }));
  await rec.step("after", () => c.execute(`SELECT count(*) FROM ${t()}`));
});

differential("SELECT of expressions: shapes, column names, duplicate names, no rows", async (c, rec) => {
  const one = await rec.step("SELECT 42", () => c.execute("SELECT 42"));
  assert.deepEqual(one?.columnTypes, [""]);
  const shape = await rec.step("row shape", () => c.execute("SELECT 1 AS one, 'two' AS two, 0.5 AS three"));
  assert.deepEqual(Object.keys(shape!.rows[0]), ["one", "two", "three"]);
  await rec.step("VALUES", () => c.execute("VALUES (1,'one'),(2,'two'),(3,'three')"));
  await rec.step("duplicate column names", () => c.execute("SELECT 1 AS a, 2 AS a, 3 AS b"));
  await rec.step("unnamed expression columns", () => c.execute("SELECT 1+1, upper('x'), NULL"));
  await rec.step("zero rows", () => c.execute("SELECT 1 AS a WHERE 0"));
  await rec.step("with recursive", () => c.execute("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x < 5) SELECT x, x*x AS sq FROM n"));
  await rec.step("comment and trailing semicolon", () => c.execute("-- hi\nSELECT 1 AS a; "));
});

differential("SELECT of table columns keeps declared types; INSERT/UPDATE/DELETE counts and lastInsertRowid", async (c, rec, t) => {
  const create = await rec.step("create", () => c.execute(`CREATE TABLE ${t()} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, qty INT, note VARCHAR(20))`));
  assert.equal(create?.rowsAffected, 0);
  const ins = await rec.step("insert one", () => c.execute({ sql: `INSERT INTO ${t()} (name, price, qty) VALUES (?, ?, ?)`, args: ["a", 1.5, 3n] }));
  assert.equal(ins?.lastInsertRowid, 1n);
  const two = await rec.step("insert two", () => c.execute(`INSERT INTO ${t()} (name, price, qty) VALUES ('b', 2.5, 4), ('c', NULL, 5)`));
  assert.equal(two?.rowsAffected, 2);
  await rec.step("insert explicit id", () => c.execute(`INSERT INTO ${t()} (id, name) VALUES (100, 'd')`));
  await rec.step("with … insert … select", () => c.execute(`WITH s(x) AS (VALUES ('e'),('f'),('g')) INSERT INTO ${t()} (name) SELECT x FROM s`));
  await rec.step("insert returning", () => c.execute(`INSERT INTO ${t()} (name, qty) VALUES ('h', 9) RETURNING id, name, qty * 2 AS twice, 42 AS x`));
  const all = await rec.step("select *", () => c.execute(`SELECT * FROM ${t()} ORDER BY id`));
  assert.equal(all?.rows.length, 8);
  await rec.step("select columns, alias, expression, aggregate", () => c.execute(`SELECT name AS n, price, qty + 0 AS q, count(*) OVER () AS total FROM ${t()} WHERE id <= 3 ORDER BY id`));
  await rec.step("count", () => c.execute(`SELECT count(*), max(id) FROM ${t()}`));
  await rec.step("rowid bound back", () => c.execute({ sql: `SELECT name FROM ${t()} WHERE rowid = ?`, args: [100n] }));
  const upd = await rec.step("update", () => c.execute(`UPDATE ${t()} SET qty = qty + 1 WHERE qty IS NOT NULL`));
  assert.equal(upd?.rowsAffected, 4);
  await rec.step("update nothing", () => c.execute(`UPDATE ${t()} SET qty = 0 WHERE id = -1`));
  await rec.step("update returning", () => c.execute(`UPDATE ${t()} SET note = 'x' WHERE id = 1 RETURNING id, note`));
  const del = await rec.step("delete", () => c.execute(`DELETE FROM ${t()} WHERE id >= 100`));
  assert.equal(del?.rowsAffected, 5, "ids 100..104");
  await rec.step("read your writes", () => c.execute(`SELECT id, name, qty, note FROM ${t()} ORDER BY id`));
  await rec.step("join and subquery", () => c.execute(`SELECT a.name, (SELECT count(*) FROM ${t()} b WHERE b.id < a.id) AS before FROM ${t()} a ORDER BY a.id LIMIT 3`));
  await rec.step("drop", () => c.execute(`DROP TABLE ${t()}`));
});

differential("executeMultiple: a script, then its effects", async (c, rec, t) => {
  await rec.step("script", () => c.executeMultiple(`
    CREATE TABLE ${t()} (x INTEGER, s TEXT);
    INSERT INTO ${t()} VALUES (1, 'a;b');
    -- a comment; with a semicolon
    INSERT INTO ${t()} VALUES (2, 'c');
  `));
  const rs = await rec.step("after", () => c.execute(`SELECT x, s FROM ${t()} ORDER BY x`));
  assert.equal(rs?.rows.length, 2);
  await rec.step("empty script", () => c.executeMultiple(""));
  await rec.step("syntax error", () => c.executeMultiple("SELEC 1; SELECT 2"));
});

differential("executeMultiple: an error stops the script, what ran before stays, and is read back", async (c, rec, t) => {
  await rec.step("create", () => c.execute(`CREATE TABLE ${t()} (x INTEGER)`));
  await rec.step("failing script", () => c.executeMultiple(`INSERT INTO ${t()} VALUES (3); INSERT INTO no_such_table_cx VALUES (1); INSERT INTO ${t()} VALUES (4);`));
  await rec.step("after failing", () => c.execute(`SELECT x FROM ${t()} ORDER BY x`));
});
