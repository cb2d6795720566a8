// Requests of one isolate sharing one replica (tests/workerd/worker.ts keeps named clients in the
// isolate; every SELF.fetch is a request of its own, with its own I/O context, as in production).
// Fetches are held and released and clocks moved by the test; nothing waits for wall-clock time.
import { env, SELF } from "cloudflare:test";
import { expect, it } from "vitest";
import { executeOnPrimary } from "../js/suite/context.ts";
import * as api from "../../dist/init/workerd.js";

const primaryUrl = (env as { PRIMARY_URL: string }).PRIMARY_URL;
const ctx = { api, primaryUrl, fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init) };

let n = 0;
function unique(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${n++}`;
}

async function call(path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const response = await SELF.fetch(`http://example.com${path}`, init);
  return { status: response.status, body: await response.json() };
}

const open = (name: string, options: Record<string, unknown>) =>
  call(`/t/open?name=${name}`, { method: "POST", body: JSON.stringify({ syncProtocol: "sqld", ...options }) });
const read = (name: string, sql: string) => call(`/t/read?name=${name}&sql=${encodeURIComponent(sql)}`);
const post = (path: string) => call(path, { method: "POST" });

it("a request that owns the bootstrap ends without waitUntil; a later request takes over and completes it", async () => {
  const name = unique("owner");
  const t = unique("t");
  await executeOnPrimary(ctx, [`CREATE TABLE ${t} (x INTEGER)`, `INSERT INTO ${t} VALUES (1), (2)`]);
  await open(name, { coldStart: "remote", timeoutMs: 10_000 });
  await post(`/t/hold?name=${name}`);
  // Request A: answered by the primary; the bootstrap it started is held, and nothing keeps it
  // alive past A's end (no waitUntil).
  const a = await read(name, `SELECT count(*) FROM ${t}`);
  expect(a.status, JSON.stringify(a.body)).toBe(200);
  expect(a.body.rows).toEqual([[2]]);
  expect(a.body.stats.position).toBe(null);
  // Request B, while A's lease is valid: the primary answers again; no second bootstrap starts.
  const b = await read(name, `SELECT count(*) FROM ${t}`);
  expect(b.body.rows).toEqual([[2]]);
  expect(b.body.stats.syncs).toMatchObject({ started: 1, joined: 1, takenOver: 0 });
  // A's lease expires (the test moves the clock past it); request C takes over and completes.
  await post(`/t/release?name=${name}`);
  await post(`/t/advance?name=${name}&ms=60000`);
  const c = await post(`/t/sync?name=${name}`);
  expect(c.status, JSON.stringify(c.body)).toBe(200);
  expect(c.body.stats.syncs.takenOver).toBe(1);
  expect(c.body.stats.position).toMatch(/^sqld:/);
  // Local now: a second writer's row is not seen until a sync.
  await executeOnPrimary(ctx, [`INSERT INTO ${t} VALUES (3)`]);
  const d = await read(name, `SELECT count(*) FROM ${t}`);
  expect(d.body.rows).toEqual([[2]]);
  expect(d.body.timing).toMatch(/^replica;/);
});

it("reads and a second sync overlap a sync in flight (held); all complete once it is released", async () => {
  const name = unique("overlap");
  const t = unique("t");
  await executeOnPrimary(ctx, [`CREATE TABLE ${t} (x INTEGER)`, `INSERT INTO ${t} VALUES (1)`]);
  await open(name, {});
  expect((await read(name, `SELECT count(*) FROM ${t}`)).body.rows).toEqual([[1]]);
  await executeOnPrimary(ctx, [`INSERT INTO ${t} VALUES (2)`]);
  await post(`/t/hold?name=${name}`);
  const first = post(`/t/sync?name=${name}`);
  const second = post(`/t/sync?name=${name}`);
  // A read while both syncs are held: answered by the replica as it is.
  const during = await read(name, `SELECT count(*) FROM ${t}`);
  expect(during.body.rows).toEqual([[1]]);
  await post(`/t/release?name=${name}`);
  const [a, b] = await Promise.all([first, second]);
  expect(a.status, JSON.stringify(a.body)).toBe(200);
  expect(b.status, JSON.stringify(b.body)).toBe(200);
  expect(a.body.stats.position).toBe(b.body.stats.position);
  expect((await read(name, `SELECT count(*) FROM ${t}`)).body.rows).toEqual([[2]]);
});

it("a sync cut off by the end of its request leaves the replica usable; the next sync completes", async () => {
  const name = unique("cut");
  const t = unique("t");
  await executeOnPrimary(ctx, [`CREATE TABLE ${t} (x INTEGER)`]);
  await open(name, {});
  expect((await read(name, `SELECT count(*) FROM ${t}`)).body.rows).toEqual([[0]]);
  await executeOnPrimary(ctx, [`INSERT INTO ${t} VALUES (1), (2), (3)`]);
  await post(`/t/hold?name=${name}`);
  const detached = await post(`/t/sync?name=${name}&detach=1`);
  expect(detached.status).toBe(202);
  // The detached sync's request has ended; its held fetch will never complete.
  expect((await read(name, `SELECT count(*) FROM ${t}`)).body.rows).toEqual([[0]]);
  await post(`/t/release?name=${name}`);
  const next = await post(`/t/sync?name=${name}`);
  expect(next.status, JSON.stringify(next.body)).toBe(200);
  const after = await read(name, `SELECT count(*) FROM ${t}, pragma_integrity_check`);
  expect(after.body.rows).toEqual([[3]]);
});

it("an error in the Worker is a LibsqlError with its code", async () => {
  // The replica cannot prepare a statement on an unknown table, so the client forwards it to the
  // primary, which answers as sqld 0.24.33 does (fixtures: `unknown-table` → SQLITE_UNKNOWN).
  const result = await call(`/query?sql=${encodeURIComponent("SELECT count(*) FROM no_such_table")}`);
  expect(result.status).toBe(500);
  expect(result.body.error).toMatchObject({ name: "LibsqlError", code: "SQLITE_UNKNOWN" });
});
