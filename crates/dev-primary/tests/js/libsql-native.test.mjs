// External-client proof for the dev primary: the native `libsql` npm package (libsql-js 0.5.29,
// the Rust libsql crate underneath) opens an embedded replica against PRIMARY_URL, syncs, writes
// through the replica (gRPC `proxy.Proxy` when /info is off, Hrana when HTTP sync is on), reads its
// own write back, and sees a second writer's change after `sync()`. The second writer and the
// oracle for "what the primary holds" is Hrana over HTTP (`/v2/pipeline`).
//
// Run in wrapper mode (scripts/test-primary-native.sh):
//   libsql-edge-primary --db DIR --listen 127.0.0.1:0 --no-http-sync -- node --test THIS_FILE
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const Database = require("libsql");

const PRIMARY_URL = process.env.PRIMARY_URL;
assert.ok(PRIMARY_URL, "PRIMARY_URL must be set (run under libsql-edge-primary wrapper mode)");

const dir = mkdtempSync(join(tmpdir(), "libsql-native-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Hrana value → JS (integers as Number; the test values are small). */
function fromHrana(v) {
  switch (v.type) {
    case "null":
      return null;
    case "integer":
      return Number(v.value);
    case "float":
    case "text":
      return v.value;
    default:
      throw new Error(`unexpected value type ${v.type}`);
  }
}

function toHrana(v) {
  if (v === null) return { type: "null" };
  if (typeof v === "number" && Number.isInteger(v)) return { type: "integer", value: String(v) };
  if (typeof v === "number") return { type: "float", value: v };
  return { type: "text", value: String(v) };
}

/** Runs one statement on the primary over Hrana; returns rows as objects. */
async function primary(sql, args = []) {
  const res = await fetch(`${PRIMARY_URL}/v2/pipeline`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      baton: null,
      requests: [{ type: "execute", stmt: { sql, args: args.map(toHrana) } }, { type: "close" }],
    }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `pipeline ${sql}: ${text}`);
  const result = JSON.parse(text).results[0];
  assert.equal(result.type, "ok", `pipeline ${sql}: ${text}`);
  const { cols, rows } = result.response.result;
  return rows.map((row) => Object.fromEntries(row.map((v, i) => [cols[i].name, fromHrana(v)])));
}

// Reads use `.all()`, never `.get()`: observed with libsql 0.5.29 in gRPC mode, `.get()` leaves its
// statement un-reset, and the replica's connection then keeps its old read snapshot, so frames
// injected by later syncs stay invisible to it (client-side; HTTP-sync mode is not affected).
const ALL = "SELECT id, name, score FROM items ORDER BY id";
let db;

test("seed the primary over Hrana", async () => {
  await primary("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, score REAL)");
  for (const [name, score] of [["alpha", 1.5], ["beta", 2.25], ["gamma", null]]) {
    await primary("INSERT INTO items (name, score) VALUES (?, ?)", [name, score]);
  }
  assert.equal((await primary(ALL)).length, 3);
});

test("embedded replica syncs and reads the rows the primary has", async () => {
  db = new Database(join(dir, "replica.db"), { syncUrl: PRIMARY_URL });
  db.sync();
  assert.deepEqual(db.prepare(ALL).all(), await primary(ALL));
});

test("a write through the replica is read back at once (read-your-writes)", async () => {
  const info = db.prepare("INSERT INTO items (name, score) VALUES (?, ?)").run("from-replica", 7);
  assert.equal(info.changes, 1);
  assert.equal(Number(info.lastInsertRowid), 4);
  // No explicit sync: the replica must already hold its own write.
  assert.deepEqual(db.prepare("SELECT name, score FROM items WHERE id = ?").all(4), [{ name: "from-replica", score: 7 }]);
  // And the primary has it too.
  assert.deepEqual(await primary("SELECT name FROM items WHERE id = 4"), [{ name: "from-replica" }]);
  assert.deepEqual(db.prepare(ALL).all(), await primary(ALL));
});

test("an update and a delete through the replica report changes and replicate", async () => {
  assert.equal(db.prepare("UPDATE items SET score = score * 2 WHERE score IS NOT NULL").run().changes, 3);
  assert.equal(db.prepare("DELETE FROM items WHERE name = ?").run("gamma").changes, 1);
  assert.deepEqual(db.prepare(ALL).all(), await primary(ALL));
});

test("a constraint error from the primary surfaces as a SQLite error", async () => {
  assert.throws(
    () => db.prepare("INSERT INTO items (name) VALUES (?)").run("alpha"),
    (e) => /UNIQUE constraint failed/.test(e.message),
  );
  assert.deepEqual(db.prepare(ALL).all(), await primary(ALL));
});

test("an interactive transaction through the replica commits atomically", async () => {
  const insertTwo = db.transaction((a, b) => {
    db.prepare("INSERT INTO items (name) VALUES (?)").run(a);
    db.prepare("INSERT INTO items (name) VALUES (?)").run(b);
  });
  insertTwo("tx-1", "tx-2");
  const names = db.prepare("SELECT name FROM items WHERE name LIKE 'tx-%' ORDER BY name").all();
  assert.deepEqual(names, [{ name: "tx-1" }, { name: "tx-2" }]);
  assert.equal((await primary("SELECT count(*) AS n FROM items WHERE name LIKE 'tx-%'"))[0].n, 2);
});

test("a transaction that fails is rolled back on the primary", async () => {
  const failing = db.transaction(() => {
    db.prepare("INSERT INTO items (name) VALUES (?)").run("tx-3");
    db.prepare("INSERT INTO items (name) VALUES (?)").run("alpha"); // UNIQUE violation
  });
  assert.throws(() => failing(), /UNIQUE constraint failed/);
  assert.deepEqual(await primary("SELECT name FROM items WHERE name = 'tx-3'"), []);
  db.sync();
  assert.deepEqual(db.prepare(ALL).all(), await primary(ALL));
});

test("a second writer's change is seen after sync()", async () => {
  await primary("INSERT INTO items (name, score) VALUES (?, ?)", ["from-hrana", 42]);
  db.sync();
  assert.deepEqual(db.prepare("SELECT name, score FROM items WHERE name = 'from-hrana'").all(), [
    { name: "from-hrana", score: 42 },
  ]);
  assert.deepEqual(db.prepare(ALL).all(), await primary(ALL));
});

test("a second replica of the same primary converges", async () => {
  const other = new Database(join(dir, "replica-2.db"), { syncUrl: PRIMARY_URL });
  other.sync();
  assert.deepEqual(other.prepare(ALL).all(), await primary(ALL));
  other.prepare("INSERT INTO items (name) VALUES (?)").run("from-replica-2");
  db.sync();
  assert.deepEqual(db.prepare("SELECT name FROM items WHERE name = 'from-replica-2'").all(), [{ name: "from-replica-2" }]);
  other.close();
});
