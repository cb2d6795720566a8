// bench:partial's Worker (driven by benches/partial/drive.mjs, served by plain `workerd serve`).
// Point selects `SELECT id, k, b FROM items WHERE id = ?` on a tursodb database:
//   partial: libsql-edge, `partial: true` on BIG (the large database), budget PARTIAL_BUDGET bytes;
//   full:    libsql-edge, a whole replica of SMALL (a database that fits), budget FULL_BUDGET bytes;
//   web:     @libsql/client/web against BIG (every execute is one Hrana request); `web+shim` with a
//            fetch that drops the `close` request tursodb rejects.
// Endpoints (GET):
//   /ping                      nothing but a response (the workerd start baseline)
//   /cold?kind=K&id[&proto=P]  the first query of this isolate (a new client, K = partial, web or
//                              web+shim; P the partial replica's syncProtocol), with the stats
//   /q?kind=partial|full&ids=  the module-scope client runs one point select per id; per query it
//                              answers whether a page was fetched (stats deltas); `ids=` empty is the
//                              baseline request (the same stats calls, no query); &batch: stats only
//                              around the whole list; &hex: the first 8 bytes of each blob in hex
//   /stats?kind                the module-scope client's stats()
// Every row is checked here (id, k = id * 7919 % 100003, a 900-byte blob); a wrong one is a 500.
import { createClient as createWeb } from "@libsql/client/web";
import { configure, createClient } from "../../dist/init/workerd.js";

interface Env {
  BIG: string;
  SMALL: string;
  PARTIAL_BUDGET: string;
  FULL_BUDGET: string;
  ISOLATE_BUDGET: string;
}

const SQL = "SELECT id, k, b FROM items WHERE id = ?";
const MAX_IDS = 10_000;

type Row = { id: unknown; k: unknown; b: unknown };
type Client = { execute(stmt: { sql: string; args: unknown[] }): Promise<{ rows: unknown[] }>; stats(): any; close(): void };

let configured = false;
const clients = new Map<string, Client>();

function replica(env: Env, kind: string, protocol?: string): Client {
  if (!configured) {
    const isolate = Number(env.ISOLATE_BUDGET);
    configure({ memoryBudgetBytes: isolate > 0 ? isolate : null });
    configured = true;
  }
  let client = clients.get(kind);
  if (client === undefined) {
    if (kind !== "partial" && kind !== "full") throw new Error(`unknown kind ${kind}`);
    client = createClient({
      url: `file:${kind}.db`,
      syncUrl: kind === "partial" ? env.BIG : env.SMALL,
      partial: kind === "partial",
      memoryBudgetBytes: Number(kind === "partial" ? env.PARTIAL_BUDGET : env.FULL_BUDGET),
      timeoutMs: 300_000,
      ...(protocol ? { syncProtocol: protocol as "pull-updates" } : {}),
    }) as unknown as Client;
    clients.set(kind, client);
  }
  return client;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** Checks the row of `id`; returns the first 8 bytes of its blob in hex. */
function check(id: number, rows: unknown[]): string {
  const row = rows[0] as Row | undefined;
  if (row === undefined) throw new Error(`id ${id}: no row`);
  const b = row.b instanceof ArrayBuffer ? new Uint8Array(row.b) : (row.b as Uint8Array);
  if (Number(row.id) !== id || Number(row.k) !== (id * 7919) % 100003 || b?.byteLength !== 900) {
    throw new Error(`id ${id}: wrong row id=${String(row.id)} k=${String(row.k)} blob=${b?.byteLength}`);
  }
  return hex(b.subarray(0, 8));
}

/** The counters a query is classified by. */
function counters(client: Client) {
  const s = client.stats();
  return { fetches: s.partial.fetches, misses: s.partial.misses, pageReads: s.partial.pageReads, local: s.reads.local, remote: s.reads.remote };
}

function ids(url: URL): number[] {
  const text = url.searchParams.get("ids") ?? "";
  const out = text === "" ? [] : text.split(",").map(Number);
  if (out.length > MAX_IDS || out.some((n) => !Number.isInteger(n) || n < 1)) throw new Error("bad ids");
  return out;
}

/** tursodb's /v2/pipeline is a Hrana subset that rejects `close`, which @libsql/client/web sends
 * with every execute: this fetch drops it from the request and answers it itself (`web+shim`; the
 * round trips are the client's own). */
async function withoutClose(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  if (request.method !== "POST" || !new URL(request.url).pathname.endsWith("/pipeline")) return fetch(request);
  const body = (await request.json()) as { requests: { type: string }[] };
  const kept = body.requests.filter((r) => r.type !== "close");
  let answer: { results: unknown[] } = { results: [] };
  if (kept.length > 0) {
    const res = await fetch(request.url, { method: "POST", headers: request.headers, body: JSON.stringify({ ...body, requests: kept }) });
    if (!res.ok) return res;
    answer = (await res.json()) as { results: unknown[] };
  }
  let i = 0;
  const results = body.requests.map((r) => (r.type === "close" ? { type: "ok", response: { type: "close" } } : answer.results[i++]));
  return Response.json({ ...answer, baton: null, results });
}

async function cold(env: Env, kind: string, id: number, protocol?: string): Promise<unknown> {
  const t0 = performance.now();
  if (kind === "web" || kind === "web+shim") {
    const web = createWeb({ url: env.BIG, fetch: kind === "web" ? undefined : withoutClose });
    const rs = await web.execute({ sql: SQL, args: [id] });
    check(id, rs.rows);
    web.close();
    return { kind, workerMs: performance.now() - t0 };
  }
  const client = replica(env, kind, protocol);
  const rs = await client.execute({ sql: SQL, args: [id] });
  check(id, rs.rows);
  const workerMs = performance.now() - t0;
  const s = client.stats();
  return { kind, workerMs, local: s.reads.local, remote: s.reads.remote, partial: s.partial, memoryBytes: s.memoryBytes, wasmMemoryBytes: s.wasmMemoryBytes };
}

async function queries(env: Env, url: URL): Promise<unknown> {
  const client = replica(env, url.searchParams.get("kind") ?? "partial");
  const list = ids(url);
  const withHex = url.searchParams.has("hex");
  const before = counters(client);
  const fetched: number[] = [];
  const remote: number[] = [];
  const hexes: string[] = [];
  if (url.searchParams.has("batch")) {
    for (const id of list) {
      const h = check(id, (await client.execute({ sql: SQL, args: [id] })).rows);
      if (withHex) hexes.push(h);
    }
  } else {
    let last = before;
    for (const id of list) {
      const h = check(id, (await client.execute({ sql: SQL, args: [id] })).rows);
      if (withHex) hexes.push(h);
      const now = counters(client);
      fetched.push(now.fetches > last.fetches || now.misses > last.misses ? 1 : 0);
      remote.push(now.remote > last.remote ? 1 : 0);
      last = now;
    }
    if (list.length === 0) counters(client); // the baseline makes the same two stats() calls
  }
  const after = counters(client);
  return {
    n: list.length,
    fetched,
    remote,
    hex: hexes,
    fetches: after.fetches - before.fetches,
    misses: after.misses - before.misses,
    pageReads: after.pageReads - before.pageReads,
    local: after.local - before.local,
    remoteReads: after.remote - before.remote,
  };
}

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (url.pathname === "/ping") return json({ ok: true });
      if (url.pathname === "/cold") {
        const kind = url.searchParams.get("kind") ?? "partial";
        return json(await cold(env, kind, Number(url.searchParams.get("id")), url.searchParams.get("proto") ?? undefined));
      }
      if (url.pathname === "/q") return json(await queries(env, url));
      if (url.pathname === "/stats") return json(replica(env, url.searchParams.get("kind") ?? "partial").stats());
      return json({ error: "not found" }, 404);
    } catch (e) {
      const err = e as Error & { code?: string };
      return json({ error: { name: err.name, code: err.code, message: err.message } }, 500);
    }
  },
};
