// Overlapping requests to the example Worker, which shares one replica per isolate: a query and
// a second sync arrive while a sync is in flight, and a sync that outlives the request that
// started another one still completes (workerd ties I/O to the request that created it).
import { env, SELF } from "cloudflare:test";
import { expect, it } from "vitest";
import { executeOnPrimary } from "../js/suite/context.ts";
import * as api from "../../dist/init/workerd.js";

const primaryUrl = (env as { PRIMARY_URL: string }).PRIMARY_URL;
const ctx = { api, primaryUrl, fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init) };

async function get(path: string): Promise<{ status: number; body: any; at: number }> {
  const response = await SELF.fetch(`http://example.com${path}`);
  return { status: response.status, body: await response.json(), at: performance.now() };
}

const count = (table: string) => `/query?sql=${encodeURIComponent(`SELECT count(*) FROM ${table}`)}`;

it("a query and a second sync overlap a sync in flight; all succeed", async () => {
  const first = await get("/sync");
  expect(first.status, JSON.stringify(first.body)).toBe(200);
  await executeOnPrimary(ctx, ["CREATE TABLE overlap (x INTEGER)", "INSERT INTO overlap VALUES (1), (2)"]);

  const slow = get("/sync?delay=300");
  const fast = get("/sync?delay=20");
  await new Promise((resolve) => setTimeout(resolve, 50));
  const query = await get(count("items"));
  const [slowDone, fastDone] = await Promise.all([slow, fast]);

  expect(query.status, JSON.stringify(query.body)).toBe(200);
  expect(query.body.rows).toEqual([[3]]);
  expect(fastDone.status, JSON.stringify(fastDone.body)).toBe(200);
  expect(slowDone.status, JSON.stringify(slowDone.body)).toBe(200);
  expect(query.at).toBeLessThan(slowDone.at);
  expect(fastDone.at).toBeLessThan(slowDone.at);
  expect(slowDone.body.position).toBe(fastDone.body.position);

  const after = await get(count("overlap"));
  expect(after.body.rows).toEqual([[2]]);
});

it("an error in the Worker is a LibsqlError with its code", async () => {
  // The replica cannot prepare a statement on an unknown table, so the client forwards it to the
  // primary, which answers as sqld 0.24.33 does (fixtures: `unknown-table` → SQLITE_UNKNOWN).
  const result = await get(count("no_such_table"));
  expect(result.status).toBe(500);
  expect(result.body.error).toMatchObject({ name: "LibsqlError", code: "SQLITE_UNKNOWN" });
});

it("a sync cut off by the end of its request leaves the replica usable; the next sync completes", async () => {
  const before = await get(count("items"));
  expect(before.status, JSON.stringify(before.body)).toBe(200);
  const detached = await get("/sync?detach=1&delay=100");
  expect(detached.status).toBe(202);
  await executeOnPrimary(ctx, ["CREATE TABLE cut_off (x INTEGER)", "INSERT INTO cut_off VALUES (1), (2), (3)"]);
  await new Promise((resolve) => setTimeout(resolve, 200));

  const during = await get(count("items"));
  expect(during.body.rows).toEqual([[3]]);
  const next = await get("/sync");
  expect(next.status, JSON.stringify(next.body)).toBe(200);
  const after = await get(count("cut_off"));
  expect(after.status, JSON.stringify(after.body)).toBe(200);
  expect(after.body.rows).toEqual([[3]]);
});
