// Local databases only (`:memory:` and a file): what @libsql/client's local client does that a
// server does not: one connection held by a transaction (TRANSACTION_ACTIVE on `:memory:`), a call
// that leaves a transaction open is rolled back, arguments bound as libsql binds them (booleans by
// intMode, surplus and missing values), only the first statement of a text, reconnect, sync.
import { assert, differential, isLocal, makeClient, tableName, test } from "./harness.ts";

for (const intMode of ["number", "bigint", "string"] as const) {
  differential(`local arguments: booleans follow intMode, missing and surplus values, named without prefix (${intMode})`, async (c, rec) => {
    await rec.step("booleans", () => c.execute({ sql: "SELECT ? AS t, ? AS f, typeof(?1) AS ty", args: [true, false] }));
    await rec.step("missing positional", () => c.execute({ sql: "SELECT ? AS a, ? AS b", args: [1n] }));
    await rec.step("surplus positional", () => c.execute({ sql: "SELECT ? AS a", args: [1n, 2n] }));
    await rec.step("numbered", () => c.execute({ sql: "SELECT ?2 AS a, ?1 AS b", args: ["one", "two"] }));
    await rec.step("named by bare name", () => c.execute({ sql: "SELECT :a AS a, @b AS b, $c AS c", args: { ":a": 1n, b: 2n } }));
    await rec.step("named given positionally", () => c.execute({ sql: "SELECT :x AS x", args: [7n] }));
    await rec.step("Uint16Array", () => c.execute({ sql: "SELECT ?", args: [new Uint16Array([1]) as never] }));
    await rec.step("symbol", () => c.execute({ sql: "SELECT ?", args: [Symbol("s") as never] }));
    await rec.step("unsafe integer result", () => c.execute("SELECT 9007199254740993 AS v"));
  }, { intMode, local: "only" });
}

differential("local: only the first statement of a text runs; empty texts", async (c, rec, t) => {
  await rec.step("two statements", () => c.execute(`CREATE TABLE ${t("a")} (x); CREATE TABLE ${t("b")} (y)`));
  await rec.step("first exists", () => c.execute(`SELECT count(*) AS n FROM ${t("a")}`));
  await rec.step("second does not", () => c.execute(`SELECT count(*) AS n FROM ${t("b")}`));
  await rec.step("whitespace", () => c.execute("   "));
  await rec.step("comment", () => c.execute("-- nothing"));
  await rec.step("insert returning", () => c.execute(`INSERT INTO ${t("a")} VALUES (1) RETURNING x`));
  await rec.step("ddl after a write", () => c.execute(`CREATE INDEX ${t("i")} ON ${t("a")} (x)`));
}, { local: "only" });

differential("local: a transaction holds a connection; calls that leave one open are rolled back", async (c, rec, t) => {
  await rec.step("create", () => c.execute(`CREATE TABLE ${t()} (x INTEGER)`));
  const tx = await c.transaction("write");
  await rec.step("tx insert", () => tx.execute(`INSERT INTO ${t()} VALUES (1)`));
  // On `:memory:` the client's one connection is held: TRANSACTION_ACTIVE. (On a file another
  // connection reads; see the documented difference below.)
  await rec.step("write while held", () => c.execute(`INSERT INTO ${t()} VALUES (9)`));
  rec.note("closed inside", tx.closed);
  await rec.step("ROLLBACK inside", () => tx.execute("ROLLBACK"));
  rec.note("closed after ROLLBACK", tx.closed);
  await rec.step("execute after ROLLBACK", () => tx.execute("SELECT 1"));
  tx.close();
  await rec.step("BEGIN in a script", () => c.executeMultiple(`BEGIN; INSERT INTO ${t()} VALUES (2);`));
  await rec.step("BEGIN alone", () => c.execute("BEGIN"));
  await rec.step("after", () => c.execute(`SELECT count(*) AS n FROM ${t()}`));
  const tx2 = await c.transaction("read");
  await rec.step("write in a read transaction", () => tx2.execute(`INSERT INTO ${t()} VALUES (3)`));
  await rec.step("rollback", () => tx2.rollback());
  await rec.step("rollback again", () => tx2.rollback());
  await rec.step("commit after rollback", () => tx2.commit());
  await rec.step("read batch writing", () => c.batch([`INSERT INTO ${t()} VALUES (4)`], "read"));
  await rec.step("batch ending its transaction", () => c.batch(["ROLLBACK", "SELECT 1"], "write"));
  await rec.step("final", () => c.execute(`SELECT x FROM ${t()} ORDER BY x`));
}, { local: "only" });

differential("local: reconnect, and calls after close", async (c, rec, t) => {
  await rec.step("create", () => c.execute(`CREATE TABLE ${t()} (x INTEGER)`));
  await rec.step("insert", () => c.execute(`INSERT INTO ${t()} VALUES (1)`));
  await rec.step("reconnect", () => c.reconnect());
  // `:memory:` starts again empty; a file keeps its data.
  await rec.step("after reconnect", () => c.execute(`SELECT count(*) AS n FROM ${t()}`));
  c.close();
  await rec.step("after close", () => c.execute("SELECT 1"));
  await rec.step("transaction after close", () => c.transaction());
  await rec.step("reconnect after close", () => c.reconnect());
  rec.note("closed after reconnect", c.closed);
  await rec.step("works again", () => c.execute("SELECT 1 AS one"));
  if (!isLocal(rec)) throw new Error("local only");
}, { local: "only" });

// A named local database is SQLite's memdb, whose write lock also keeps other connections from
// reading until the writing transaction ends (SQLITE_BUSY); a file of @libsql/client's local client
// (rollback journal) lets them read the last commit meanwhile. A documented difference, asserted
// for both sides.
test("a read on a file database while another connection's write transaction is open (documented difference)", async () => {
  for (const flavour of ["real-local", "local"] as const) {
    const c = makeClient(flavour, "number", "file");
    const t = tableName(flavour);
    await c.execute(`CREATE TABLE ${t} (x INTEGER)`);
    const tx = await c.transaction("write");
    await tx.execute(`INSERT INTO ${t} VALUES (1)`);
    const read = await c.execute(`SELECT count(*) AS n FROM ${t}`).then((rs) => rs.rows[0].n, (e) => e.code);
    assert.equal(read, flavour === "real-local" ? 0 : "SQLITE_BUSY");
    await tx.commit();
    assert.equal((await c.execute(`SELECT count(*) AS n FROM ${t}`)).rows[0].n, 1);
    c.close();
  }
});
