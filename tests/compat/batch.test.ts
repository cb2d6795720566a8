// Batches (write / read / deferred / default), the failing-statement rollback with
// LibsqlBatchError.statementIndex, and migrate.
import { assert, differential } from "./harness.ts";

for (const mode of ["write", "deferred", undefined] as const) {
  differential(`batch ${mode ?? "(default mode)"}: results, then a failure rolls everything back`, async (c, rec, t) => {
    await rec.step("create", () => c.execute(`CREATE TABLE ${t()} (x INTEGER UNIQUE, s TEXT)`));
    const ok = await rec.step("batch", () =>
      c.batch([
        `INSERT INTO ${t()} VALUES (1, 'a')`,
        { sql: `INSERT INTO ${t()} VALUES (?, ?)`, args: [2n, "b"] },
        [`INSERT INTO ${t()} VALUES (:x, :s)`, { x: 3n, s: "c" }],
        `SELECT x, s FROM ${t()} ORDER BY x`,
        `UPDATE ${t()} SET s = upper(s) WHERE x > 1`,
      ], mode));
    assert.equal(ok?.length, 5);
    assert.equal(ok?.[3].rows.length, 3);
    const failed = await rec.step("failing batch", () =>
      c.batch([`INSERT INTO ${t()} VALUES (10, 'z')`, `UPDATE ${t()} SET s = 'gone'`, `INSERT INTO ${t()} VALUES (1, 'dup')`, `INSERT INTO ${t()} VALUES (11, 'never')`], mode));
    assert.equal(failed, undefined);
    const after = await rec.step("after rollback", () => c.execute(`SELECT x, s FROM ${t()} ORDER BY x`));
    assert.deepEqual(after?.rows.map((r) => r.s), ["a", "B", "C"]);
    await rec.step("syntax error in first statement", () => c.batch([`INSRT INTO ${t()} VALUES (20, 'q')`, `INSERT INTO ${t()} VALUES (21, 'q')`], mode));
    await rec.step("no such table in second statement", () => c.batch([`INSERT INTO ${t()} VALUES (30, 'q')`, `INSERT INTO no_such_table_cx VALUES (1)`], mode));
    await rec.step("after errors", () => c.execute(`SELECT count(*) AS n FROM ${t()}`));
    await rec.step("empty batch", () => c.batch([], mode));
  });
}

differential("batch read: reads only; a write inside a read batch fails", async (c, rec, t) => {
  await rec.step("create", () => c.batch([`CREATE TABLE ${t()} (x INTEGER)`, `INSERT INTO ${t()} VALUES (1), (2)`], "write"));
  const rs = await rec.step("read batch", () => c.batch([`SELECT x FROM ${t()} ORDER BY x`, "SELECT 1 AS one", { sql: "SELECT ? AS p", args: [5n] }], "read"));
  assert.equal(rs?.[0].rows.length, 2);
  await rec.step("read batch with an error", () => c.batch([`SELECT x FROM ${t()}`, "SELECT * FROM no_such_table_cx"], "read"));
  await rec.step("write inside a read batch", () => c.batch([`SELECT x FROM ${t()}`, `INSERT INTO ${t()} VALUES (3)`], "read"));
  await rec.step("after", () => c.execute(`SELECT count(*) AS n FROM ${t()}`));
});

differential("migrate: like a deferred batch with foreign keys off", async (c, rec, t) => {
  const rs = await rec.step("migrate", () =>
    c.migrate([
      `CREATE TABLE ${t("p")} (id INTEGER PRIMARY KEY)`,
      `CREATE TABLE ${t("c")} (id INTEGER PRIMARY KEY, p INTEGER REFERENCES ${t("p")}(id))`,
      `INSERT INTO ${t("c")} VALUES (1, 99)`,
    ]));
  await rec.step("after", () => c.execute(`SELECT id, p FROM ${t("c")}`));
  await rec.step("failing migrate", () => c.migrate([`INSERT INTO ${t("c")} VALUES (2, 1)`, `INSERT INTO ${t("c")} VALUES (1, 1)`]));
  await rec.step("after failing", () => c.execute(`SELECT count(*) FROM ${t("c")}`));
});
