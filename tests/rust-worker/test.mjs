// The example Rust Worker (examples/rust-worker, built by build.sh) inside plain workerd, against
// the dev primary (PRIMARY_URL, seeded with examples/demo.sql) and the real tursodb --sync-server
// (TURSO_URL); run through tests/rust-worker/run.sh. One workerd process serves five isolates:
//   dev, dev2     two replicas of the dev primary, protocol detected (Turso HTTP sync); bookmarks
//                 travel from one to the other
//   turso         a replica of tursodb (Turso Sync /pull-updates)
//   cold          a replica of the dev primary over sqld gRPC, whose first read comes while it is cold
//   stalled       a replica of a server that accepts connections and never answers (deadlines)
// The sync interval is an hour, so nothing syncs unless a test asks for it: a stale read before
// sync() proves reads are local, whatever the machine's speed. Nothing here measures time.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { pipeline, root } from "../../benches/lib/harness.mjs";
import { serve } from "./workerd.mjs";

const PRIMARY_URL = process.env.PRIMARY_URL;
const TURSO_URL = process.env.TURSO_URL;
if (!PRIMARY_URL || !TURSO_URL) throw new Error("PRIMARY_URL / TURSO_URL are not set: run tests/rust-worker/run.sh");

const work = mkdtempSync(join(tmpdir(), "rust-worker-"));
let workerd;
let stalled;
const urls = {};

before(async () => {
  // A server that accepts and never answers: every request to it can only end by its deadline.
  stalled = createServer(() => {});
  await new Promise((resolve) => stalled.listen(0, "127.0.0.1", resolve));
  const bundle = { dir: join(root, "examples/rust-worker/build"), entry: "index.js" };
  const replica = (name, url, extra = {}) => ({ name, ...bundle, bindings: { PRIMARY_URL: url, SYNC_INTERVAL: "3600", ...extra } });
  workerd = await serve(
    [
      replica("dev", PRIMARY_URL),
      replica("dev2", PRIMARY_URL),
      replica("turso", TURSO_URL),
      replica("cold", PRIMARY_URL, { SYNC_PROTOCOL: "sqld" }),
      replica("stalled", `http://127.0.0.1:${stalled.address().port}`, { TIMEOUT_MS: "300" }),
    ],
    work,
  );
  Object.assign(urls, workerd.urls);
});

after(async () => {
  await workerd?.stop();
  stalled?.close();
  rmSync(work, { recursive: true, force: true });
});

/** One request to a Worker: {status, body, headers}. */
async function call(worker, path, { method = "GET", body, headers = {} } = {}) {
  const res = await fetch(urls[worker] + path, { method, body, headers });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${worker} ${path}: ${res.status} not JSON: ${text.slice(0, 300)}`);
  }
  return { status: res.status, body: json, headers: res.headers };
}

async function ok(worker, path, opts) {
  const r = await call(worker, path, opts);
  assert.equal(r.status, 200, `${worker} ${path}: ${JSON.stringify(r.body)}`);
  return r;
}

const query = (worker, sql, headers) => ok(worker, `/query?sql=${encodeURIComponent(sql)}`, { headers });
const write = (worker, sql) => ok(worker, "/write", { method: "POST", body: sql });
const servedBy = (r) => r.headers.get("server-timing")?.split(";")[0];

/** A write by another client, straight to the primary's Hrana endpoint. */
const writers = {
  dev: (sql) => pipeline(PRIMARY_URL, [sql]),
  turso: (sql) => pipeline(TURSO_URL, [sql], { close: false }),
};

// `constraint` / `batchConstraint`: the code each server gives a UNIQUE violation (alone, in a
// batch), passed through as @libsql/client does; `counts`: whether the server reports rowsAffected
// and lastInsertRowid (tursodb 0.7.0 does not).
for (const { worker, protocol, constraint, batchConstraint, counts } of [
  { worker: "dev", protocol: "http-sync", constraint: "SQLITE_CONSTRAINT", batchConstraint: "SQLITE_CONSTRAINT", counts: true },
  { worker: "turso", protocol: "pull-updates", constraint: "EXECUTE_ERROR", batchConstraint: "BATCH_STEP_ERROR", counts: false },
]) {
  describe(`${worker}: ${protocol}`, () => {
    const t = `rw_${worker}_${Math.random().toString(36).slice(2, 8)}`;

    it("reads are local: another writer's row appears only after sync()", async () => {
      await writers[worker](`CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name TEXT UNIQUE)`);
      await writers[worker](`INSERT INTO ${t}(name) VALUES ('a')`);
      const synced = await ok(worker, "/sync");
      assert.equal(synced.body.protocol, protocol);
      assert.ok(synced.body.replica.position, JSON.stringify(synced.body));

      const first = await query(worker, `SELECT id, name FROM ${t}`);
      assert.deepEqual(first.body.columns, ["id", "name"]);
      assert.deepEqual(first.body.rows, [[1, "a"]]);
      assert.equal(servedBy(first), "replica");

      await writers[worker](`INSERT INTO ${t}(name) VALUES ('b')`);
      const stale = await query(worker, `SELECT count(*) AS n FROM ${t}`);
      assert.deepEqual(stale.body.rows, [[1]], "the replica does not have the second writer's row before sync()");
      assert.equal(servedBy(stale), "replica");

      const again = await ok(worker, "/sync");
      assert.ok(again.body.framesSynced > 0, JSON.stringify(again.body));
      assert.deepEqual((await query(worker, `SELECT count(*) FROM ${t}`)).body.rows, [[2]]);

      const stats = (await ok(worker, "/stats")).body;
      assert.equal(stats.protocol, protocol);
      assert.ok(stats.reads.local >= 3, JSON.stringify(stats.reads));
      assert.ok(stats.memoryBytes > 0 && stats.wasmMemoryBytes >= stats.memoryBytes, JSON.stringify(stats));
    });

    it("writes are forwarded to the primary and read back from the replica at once", async () => {
      const w = await write(worker, `INSERT INTO ${t}(name) VALUES ('c')`);
      if (counts) assert.deepEqual([w.body.rowsAffected, w.body.lastInsertRowid], [1, 3]);
      // The primary has it (a read straight from the primary, not through the Worker).
      const [onPrimary] = await writers[worker](`SELECT name FROM ${t} WHERE id = 3`);
      assert.deepEqual(onPrimary.rows.map((r) => r[0].value), ["c"]);
      // Read-your-writes: the replica caught up before the write returned.
      const back = await query(worker, `SELECT name FROM ${t} WHERE id = 3`);
      assert.deepEqual(back.body.rows, [["c"]]);
      assert.equal(servedBy(back), "replica");
    });

    it("a batch is atomic on the primary; a failing one names its statement and rolls back", async () => {
      const post = (path, sqls) => call(worker, path, { method: "POST", body: JSON.stringify(sqls) });
      const good = await post("/batch?mode=write", [`INSERT INTO ${t}(name) VALUES ('d')`, `SELECT name FROM ${t} WHERE name = 'd'`]);
      assert.equal(good.status, 200, JSON.stringify(good.body));
      assert.deepEqual(good.body.results[1].rows, [["d"]]);
      const bad = await post("/batch?mode=write", [`INSERT INTO ${t}(name) VALUES ('e')`, `INSERT INTO ${t}(name) VALUES ('a')`]);
      assert.equal(bad.body.error.code, batchConstraint, JSON.stringify(bad.body));
      assert.equal(bad.body.error.statementIndex, 1);
      const [onPrimary] = await writers[worker](`SELECT count(*) FROM ${t} WHERE name = 'e'`);
      assert.equal(Number(onPrimary.rows[0][0].value), 0, "the batch rolled back on the primary");
      // A read batch runs on the replica, in one read transaction.
      const read = await post("/batch?mode=read", [`SELECT count(*) FROM ${t}`, "SELECT 1"]);
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.equal(servedBy(read), "replica");
    });

    it("errors carry the JS package's codes", async () => {
      const dup = await call(worker, "/write", { method: "POST", body: `INSERT INTO ${t}(name) VALUES ('a')` });
      assert.equal(dup.status, 500);
      assert.equal(dup.body.error.code, constraint, JSON.stringify(dup.body));
      const local = await call(worker, `/query?sql=${encodeURIComponent(`SELECT abs(-9223372036854775807 - 1) FROM ${t}`)}`);
      assert.equal(local.body.error.code, "SQLITE_ERROR", JSON.stringify(local.body));
      const bookmark = await call(worker, "/query?sql=SELECT%201", { headers: { "x-libsql-bookmark": "lb1.nonsense" } });
      assert.equal(bookmark.body.error.code, "BOOKMARK_INVALID", JSON.stringify(bookmark.body));
    });
  });
}

describe("transactions (dev primary: tursodb 0.7.0 has no Hrana streams)", () => {
  const t = `rw_tx_${Math.random().toString(36).slice(2, 8)}`;
  const post = (path, sqls) => call("dev", path, { method: "POST", body: JSON.stringify(sqls) });

  it("a write transaction commits on the primary and is read back; a rolled back one leaves nothing", async () => {
    await writers.dev(`CREATE TABLE ${t} (id INTEGER PRIMARY KEY, v TEXT)`);
    const committed = await post("/transaction?mode=write", [`INSERT INTO ${t}(v) VALUES ('kept')`, `SELECT count(*) FROM ${t}`]);
    assert.equal(committed.status, 200, JSON.stringify(committed.body));
    assert.deepEqual(committed.body.results[1].rows, [[1]], "the transaction sees its own insert");
    const back = await query("dev", `SELECT v FROM ${t}`);
    assert.deepEqual(back.body.rows, [["kept"]]);
    assert.equal(servedBy(back), "replica");
    const rolledBack = await post("/transaction?mode=write&rollback=1", [`INSERT INTO ${t}(v) VALUES ('dropped')`]);
    assert.equal(rolledBack.status, 200, JSON.stringify(rolledBack.body));
    const [onPrimary] = await writers.dev(`SELECT group_concat(v) FROM ${t}`);
    assert.equal(onPrimary.rows[0][0].value, "kept");
  });

  it("a read transaction runs on the replica and refuses writes; dropping it releases the snapshot", async () => {
    const read = await post("/transaction?mode=read", [`SELECT count(*) FROM ${t}`]);
    assert.deepEqual(read.body.results?.[0].rows, [[1]], JSON.stringify(read.body));
    const refused = await post("/transaction?mode=read", [`SELECT 1`, `INSERT INTO ${t}(v) VALUES ('no')`]);
    assert.equal(refused.body.error.code, "SQLITE_READONLY", JSON.stringify(refused.body));
    // The failed transaction was dropped unfinished (rolled back through waitUntil): a sync installs
    // new pages at once instead of queueing them behind a pinned snapshot.
    await writers.dev(`INSERT INTO ${t}(v) VALUES ('later')`);
    await ok("dev", "/sync");
    assert.deepEqual((await query("dev", `SELECT count(*) FROM ${t}`)).body.rows, [[2]]);
  });
});

describe("sessions and bookmarks", () => {
  it("a bookmark from one isolate's write makes another isolate's stale replica catch up", async () => {
    const t = `rw_bm_${Math.random().toString(36).slice(2, 8)}`;
    await writers.dev(`CREATE TABLE ${t} (id INTEGER PRIMARY KEY, v TEXT)`);
    await ok("dev", "/sync");
    await ok("dev2", "/sync");
    const w = await write("dev2", `INSERT INTO ${t}(v) VALUES ('from dev2')`);
    const bookmark = w.headers.get("x-libsql-bookmark");
    assert.match(bookmark ?? "", /^lb1\./);
    // Without the bookmark the other isolate's replica is stale; with it, the read sees the write.
    assert.deepEqual((await query("dev", `SELECT count(*) FROM ${t}`)).body.rows, [[0]]);
    const seen = await query("dev", `SELECT v FROM ${t}`, { "x-libsql-bookmark": bookmark });
    assert.deepEqual(seen.body.rows, [["from dev2"]]);
    assert.match(seen.headers.get("x-libsql-bookmark") ?? "", /^lb1\./);
  });

  it("typed rows: /notes reads the seeded table into structs, with named parameters", async () => {
    const notes = (await ok("dev", "/notes")).body;
    assert.ok(notes.length >= 3, JSON.stringify(notes));
    assert.equal(notes[0].id, 1);
    assert.equal(notes[0].body, "reads are served from the replica inside the Worker");
    assert.equal(typeof notes[0].created_at, "string");
    assert.deepEqual((await ok("dev", "/notes?id=2")).body.map((n) => n.id), [2]);
  });
});

describe("background work and deadlines", () => {
  it("a cold replica answers from the primary and bootstraps in the request's waitUntil", async () => {
    const first = await query("cold", "SELECT count(*) FROM notes");
    assert.match(first.headers.get("server-timing") ?? "", /^primary;desc="cold";/);
    assert.ok(first.body.rows[0][0] >= 3);
    // /stats starts no sync: the position can only appear if the bootstrap the first request
    // handed to ctx.waitUntil ran on after its response.
    let stats;
    for (let i = 0; i < 500; i++) {
      stats = (await ok("cold", "/stats")).body;
      if (stats.position !== null) break;
      await sleep(20);
    }
    assert.ok(stats.position !== null, `no bootstrap after the response: ${JSON.stringify(stats)}`);
    assert.equal(stats.syncs.started, 1);
    assert.equal(stats.protocol, "sqld");
    assert.equal(servedBy(await query("cold", "SELECT count(*) FROM notes")), "replica");
  });

  it("a primary that never answers fails the call at its deadline with SYNC_TIMEOUT", async () => {
    const r = await call("stalled", "/sync");
    assert.equal(r.status, 500);
    assert.equal(r.body.error.code, "SYNC_TIMEOUT", JSON.stringify(r.body));
  });
});
