// The edge benchmark's Worker (driven by benches/workerd/drive.mjs, served by plain `workerd serve`).
// Two clients read the same rows of the same dev primary:
//   edge: libsql-edge's createClient (an in-memory replica in this isolate; reads run locally),
//   web:  @libsql/client/web (every execute is one Hrana HTTP request to the primary).
// Endpoints (all GET; `client` = edge | web | none (no database: the loop's own cost), `db` = 1mb | 25mb, `rows` = row count of that db):
//   /ping                               nothing but a response (process / isolate start baseline)
//   /first?client&db&rows&proto&id      first query of a fresh isolate, timed in the Worker from the
//                                       start of the handler (includes the replica's bootstrap); with
//                                       &fresh an uncached edge replica (a bootstrap in a warm isolate)
//   /loop?client&db&rows&n&warm         warm-up, then n point selects, each await timed with
//                                       performance.now(); answers the percentiles and the times
//   /q?client&db&rows&n&start           n point selects, untimed (the driver times the request)
// The edge client lives in module scope (one replica per isolate, created on first use); the web
// client is created per request, as a Worker using @libsql/client/web would do.
import { createClient as createEdgeClient } from "../../dist/init/workerd.js";
import { createClient as createWebClient } from "@libsql/client/web";

interface Env {
  PRIMARY_1MB: string;
  PRIMARY_25MB: string;
}

type Client = { execute(stmt: { sql: string; args: unknown[] }): Promise<{ rows: unknown[] }>; close(): void };

const SQL = "SELECT id, k, name, val FROM bench WHERE id = ?";
const MAX_QUERIES = 100_000;

const edgeClients = new Map<string, Client & { position: string | null; memoryBytes: number }>();

function primaryUrl(env: Env, db: string): string {
  if (db === "1mb") return env.PRIMARY_1MB;
  if (db === "25mb") return env.PRIMARY_25MB;
  throw new Error(`unknown db ${db}`);
}

function edgeClient(env: Env, db: string, proto: string) {
  const key = `${db}/${proto}`;
  let client = edgeClients.get(key);
  if (client === undefined) {
    const config: Record<string, unknown> = { url: `file:${db}.db`, syncUrl: primaryUrl(env, db) };
    if (proto !== "auto") config.syncProtocol = proto;
    client = createEdgeClient(config as never) as never;
    edgeClients.set(key, client!);
  }
  return client!;
}

function client(env: Env, kind: string, db: string, proto: string, fresh = false): { c: Client; done: () => void } {
  if (kind === "edge" && fresh) {
    // A new, uncached replica (bootstraps again), closed after the request.
    const config: Record<string, unknown> = { url: `file:${db}.db`, syncUrl: primaryUrl(env, db) };
    if (proto !== "auto") config.syncProtocol = proto;
    const c = createEdgeClient(config as never) as unknown as Client;
    return { c, done: () => c.close() };
  }
  if (kind === "edge") return { c: edgeClient(env, db, proto), done: () => {} };
  if (kind === "web") {
    const c = createWebClient({ url: primaryUrl(env, db) }) as unknown as Client;
    return { c, done: () => c.close() };
  }
  if (kind === "none") {
    // No database: an async execute answering one row at once, to see what the loop itself costs.
    const rows = [{ id: 1 }];
    const c: Client = { execute: async () => ({ rows }), close: () => {} };
    return { c, done: () => {} };
  }
  throw new Error(`unknown client ${kind}`);
}

/** The i-th id of a deterministic walk over 1..rows (a stride coprime with any row count we use). */
function idAt(i: number, rows: number): number {
  return 1 + ((i * 7919 + 13) % rows);
}

function int(url: URL, name: string, dflt: number, max: number): number {
  const v = Number(url.searchParams.get(name) ?? dflt);
  if (!Number.isInteger(v) || v < 0 || v > max) throw new Error(`bad ${name}`);
  return v;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Smallest step of performance.now() seen in a bounded spin (the in-Worker clock's resolution). */
function clockStep(): number {
  let step = Infinity;
  let last = performance.now();
  for (let i = 0; i < 200_000 && step === Infinity; i++) {
    const t = performance.now();
    if (t > last) step = t - last;
    last = t;
  }
  return step;
}

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const start = performance.now();
    const url = new URL(request.url);
    try {
      if (url.pathname === "/ping") return json({ ok: true });
      const kind = url.searchParams.get("client") ?? "edge";
      const db = url.searchParams.get("db") ?? "1mb";
      const proto = url.searchParams.get("proto") ?? "auto";
      const rows = int(url, "rows", 1, 1_000_000_000);
      if (rows < 1) throw new Error("rows must be >= 1");

      if (url.pathname === "/first") {
        const id = int(url, "id", 1, rows);
        const { c, done } = client(env, kind, db, proto, url.searchParams.has("fresh")); // edge: 1st call instantiates the wasm
        const created = performance.now();
        const rs = await c.execute({ sql: SQL, args: [id] });
        const ms = performance.now() - start;
        const createMs = created - start;
        const edge = kind === "edge" ? (c as ReturnType<typeof edgeClient>) : undefined;
        const body = { ms, createMs, row: rs.rows[0] ?? null, position: edge?.position ?? null, memoryBytes: edge?.memoryBytes ?? null };
        done();
        return json(body);
      }

      if (url.pathname === "/loop") {
        const n = int(url, "n", 2000, MAX_QUERIES);
        const warm = int(url, "warm", 200, MAX_QUERIES);
        const { c, done } = client(env, kind, db, proto);
        let found = 0;
        for (let i = 0; i < warm; i++) found += (await c.execute({ sql: SQL, args: [idAt(i, rows)] })).rows.length;
        const times: number[] = new Array(n);
        const loopStart = performance.now();
        for (let i = 0; i < n; i++) {
          const args = [idAt(warm + i, rows)];
          const t0 = performance.now();
          const rs = await c.execute({ sql: SQL, args });
          times[i] = performance.now() - t0;
          found += rs.rows.length;
        }
        const loopMs = performance.now() - loopStart;
        done();
        if (found !== warm + n) throw new Error(`expected ${warm + n} rows, found ${found}`);
        const sorted = [...times].sort((a, b) => a - b);
        return json({
          n,
          p50: pct(sorted, 50),
          p99: pct(sorted, 99),
          mean: loopMs / n,
          min: sorted[0],
          max: sorted[sorted.length - 1],
          zeroReadings: sorted.filter((t) => t === 0).length,
          clockStepMs: clockStep(),
          times,
        });
      }

      if (url.pathname === "/q") {
        const n = int(url, "n", 1, MAX_QUERIES);
        const first = int(url, "start", 0, 1_000_000_000);
        if (n === 0) return json({ n: 0, found: 0 });
        const { c, done } = client(env, kind, db, proto);
        let found = 0;
        for (let i = 0; i < n; i++) found += (await c.execute({ sql: SQL, args: [idAt(first + i, rows)] })).rows.length;
        done();
        if (found !== n) throw new Error(`expected ${n} rows, found ${found}`);
        return json({ n, found });
      }
      return json({ error: "not found" }, 404);
    } catch (e) {
      const err = e as Error & { code?: string };
      return json({ error: { name: err.name, code: err.code, message: err.message } }, 500);
    }
  },
};
