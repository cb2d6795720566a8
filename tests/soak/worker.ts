// The chaos soak's Worker (tests/soak/drive.mjs bundles it with `wrangler deploy --dry-run` and
// serves it with plain `workerd serve`). Module scope keeps, per protocol, two replica clients of
// the isolate: `a` reads and writes (read-your-writes), `b` reads in sessions that carry `a`'s
// bookmarks. Both sync through the fault-injecting proxies (PRIMARY_URL: the dev primary, for
// sqld and HTTP sync; TURSO_URL: tursodb, for /pull-updates). Every answer is JSON with HTTP 200:
//   { ok, calls, maxCallMs, checks, violations, isolate, error? , ...}
// Routes (p = sqld | http-sync | pull-updates; c = a | b):
//   GET  /read?p&c&kind=exec|batch|tx   a read whose answer must keep the invariants (below)
//   GET  /cold?p                        a fresh client (cold start, bootstrap under faults), one read
//   POST /write?p&token                 `a` writes a row and must read it back (read-your-writes)
//   GET  /session?p&token&bm            `b`, in a session with `a`'s bookmark, must see the token
//   POST /sync?p&c                      an explicit sync
//   POST /epoch?n                       the driver announces a tursodb restart (see history.ts)
//   GET  /final?p&c                     sync, then dump every table, the schema and integrity_check
//                                       from the replica (one read transaction); local reads only
//   GET  /report                        per client: stats() and the position history
// The invariants, kept by every write transaction of tests/soak/writer.mjs:
//   total(ledger.v) = 0; max(ledger.last) = meta.n; every side table has 2 rows summing to 0.
import { waitUntil } from "cloudflare:workers";
import { createClient } from "../../dist/init/workerd.js";
import { History } from "./history.ts";

interface Env {
  PRIMARY_URL: string;
  TURSO_URL: string;
  TIMEOUT_MS: string;
}

type Client = ReturnType<typeof createClient>;
type Rows = unknown[][];

const PROTOCOLS = ["sqld", "http-sync", "pull-updates"] as const;
type Protocol = (typeof PROTOCOLS)[number];

/** Per protocol and role: how the client is configured (varied, so more paths are soaked). */
const OPTIONS: Record<string, Record<string, unknown>> = {
  "sqld/a": { waitUntil, coldStart: "remote", syncInterval: 1, maxLag: 1500, onStale: "sync" },
  "sqld/b": { syncInterval: 2, maxLag: 3000, onStale: "sync" },
  "http-sync/a": { syncInterval: 1, maxLag: 1500, onStale: "sync" },
  "http-sync/b": { waitUntil, coldStart: "remote", syncInterval: 2, maxLag: 3000, onStale: "primary" },
  "pull-updates/a": { waitUntil, coldStart: "remote", syncInterval: 1, maxLag: 1500, onStale: "primary" },
  // Read transactions on /pull-updates go to this client only, which never reads remotely on
  // purpose: a remote transaction on tursodb 0.7.0 is not isolated (it answers without batons and
  // runs every request on one connection), see the README's table of faults.
  "pull-updates/b": { syncInterval: 2, maxLag: 3000, onStale: "serve" },
};

/** Names this isolate in every answer (drawn at the first request: not allowed in global scope). */
let isolate = "";
const clients = new Map<string, { client: Client; history: History }>();
let epoch = 0;

function url(env: Env, p: Protocol): string {
  return p === "pull-updates" ? env.TURSO_URL : env.PRIMARY_URL;
}

function open(env: Env, p: Protocol, role: string, extra: Record<string, unknown> = {}): Client {
  return createClient({
    url: `file:soak-${p}-${role}.db`,
    syncUrl: url(env, p),
    syncProtocol: p,
    intMode: "bigint",
    timeoutMs: Number(env.TIMEOUT_MS),
    ...OPTIONS[`${p}/${role}`],
    ...extra,
  } as never);
}

function named(env: Env, p: Protocol, role: string) {
  const key = `${p}/${role}`;
  let entry = clients.get(key);
  if (entry === undefined) {
    entry = { client: open(env, p, role), history: new History(key) };
    clients.set(key, entry);
  }
  return entry;
}

/** One request's bookkeeping: every call timed, every position sampled, every check counted. */
class Run {
  calls = 0;
  maxCallMs = 0;
  checks = 0;
  violations: string[] = [];
  constructor(private readonly entry?: { client: Client; history: History }, private readonly what = "") {
    this.sample("start");
  }
  sample(where: string): void {
    if (this.entry === undefined) return;
    const v = this.entry.history.observe(this.entry.client.position, epoch, `${this.what} ${where}`);
    if (v !== null) this.violations.push(v);
  }
  async call<T>(f: () => Promise<T>): Promise<T> {
    this.calls++;
    const t0 = Date.now();
    try {
      return await f();
    } finally {
      this.maxCallMs = Math.max(this.maxCallMs, Date.now() - t0);
      this.sample(`call ${this.calls}`);
    }
  }
  check(ok: boolean, message: string): void {
    this.checks++;
    if (!ok) this.violations.push(`${this.what}: ${message}`);
  }
  toJSON() {
    return { calls: this.calls, maxCallMs: this.maxCallMs, checks: this.checks, violations: this.violations };
  }
}

const num = (v: unknown) => Number(v as number | bigint);

/** total(ledger.v) = 0 and max(last) = meta.n, from one statement or one batch. */
function ledgerCheck(run: Run, total: unknown, maxLast: unknown, n: unknown, label: string): void {
  run.check(num(total) === 0, `${label}: total(ledger.v) = ${total}, not 0 (torn read)`);
  run.check(num(maxLast) === num(n), `${label}: max(ledger.last) = ${maxLast} but meta.n = ${n} (torn read)`);
}

const LEDGER = "SELECT total(v), max(last), (SELECT n FROM meta) FROM ledger";

async function read(run: Run, client: Client, kind: string): Promise<unknown> {
  if (kind === "exec") {
    const rs = await run.call(() => client.execute(LEDGER));
    ledgerCheck(run, rs.rows[0][0], rs.rows[0][1], rs.rows[0][2], "execute");
    return rs.rows[0][2];
  }
  if (kind === "batch") {
    const [even, odd, meta] = await run.call(() =>
      client.batch(
        [
          "SELECT total(v), max(last) FROM ledger WHERE k % 2 = 0",
          "SELECT total(v), max(last) FROM ledger WHERE k % 2 = 1",
          "SELECT n FROM meta",
        ],
        "read",
      ),
    );
    const total = num(even.rows[0][0]) + num(odd.rows[0][0]);
    const maxLast = Math.max(num(even.rows[0][1] ?? 0), num(odd.rows[0][1] ?? 0));
    ledgerCheck(run, total, maxLast, meta.rows[0][0], "read batch");
    return meta.rows[0][0];
  }
  // A read transaction: the side tables listed, then each summed, all on one snapshot.
  const tx = await run.call(() => client.transaction("read"));
  try {
    const sides = await run.call(() => tx.execute("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'side%'"));
    for (const row of sides.rows as Rows) {
      const name = String(row[0]);
      const rs = await run.call(() => tx.execute(`SELECT total(v), count(*) FROM "${name}"`));
      run.check(num(rs.rows[0][0]) === 0 && num(rs.rows[0][1]) === 2, `read transaction: ${name} has ${rs.rows[0][1]} rows summing to ${rs.rows[0][0]}`);
    }
    const rs = await run.call(() => tx.execute(LEDGER));
    ledgerCheck(run, rs.rows[0][0], rs.rows[0][1], rs.rows[0][2], "read transaction");
    await run.call(() => tx.commit());
    return rs.rows[0][2];
  } finally {
    tx.close();
  }
}

function hex(v: ArrayBuffer | Uint8Array): string {
  return [...new Uint8Array(v instanceof Uint8Array ? v : new Uint8Array(v))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A value as the driver normalises the primary's Hrana values: type-tagged text. */
function tag(v: unknown): string {
  if (v === null) return "n";
  if (typeof v === "bigint") return `i:${v}`;
  if (typeof v === "number") return `f:${v}`;
  if (typeof v === "string") return `t:${v}`;
  if (v instanceof ArrayBuffer || v instanceof Uint8Array) return `b:${hex(v)}`;
  return `?:${String(v)}`;
}

/** Every table row by row, the schema and integrity_check, in one read transaction. */
async function dump(run: Run, client: Client) {
  const tx = await run.call(() => client.transaction("read"));
  try {
    const schema = await run.call(() => tx.execute("SELECT type, name, tbl_name, rootpage, sql FROM sqlite_schema ORDER BY name"));
    const tables: Record<string, string[][]> = {};
    for (const row of schema.rows as Rows) {
      const name = String(row[1]);
      if (row[0] !== "table" || name.startsWith("sqlite_")) continue;
      const rs = await run.call(() => tx.execute(`SELECT * FROM "${name}" ORDER BY rowid`));
      tables[name] = (rs.rows as Rows).map((r) => [...Array.prototype.slice.call(r)].map(tag));
    }
    const integrity = await run.call(() => tx.execute("PRAGMA integrity_check"));
    await run.call(() => tx.commit());
    return {
      schema: (schema.rows as Rows).map((r) => [...Array.prototype.slice.call(r)].map(tag)),
      tables,
      integrity: (integrity.rows as Rows).map((r) => String(r[0])),
    };
  } finally {
    tx.close();
  }
}

function protocol(u: URL): Protocol {
  const p = u.searchParams.get("p") as Protocol;
  if (!PROTOCOLS.includes(p)) throw new Error(`bad protocol ${p}`);
  return p;
}

async function route(request: Request, env: Env, u: URL): Promise<Record<string, unknown>> {
  if (u.pathname === "/epoch") {
    epoch = Math.max(epoch, Number(u.searchParams.get("n")));
    return { ok: true, epoch };
  }
  if (u.pathname === "/report") {
    const report: Record<string, unknown> = {};
    for (const [key, { client, history }] of clients) report[key] = { stats: client.stats(), history: history.report };
    return { ok: true, report };
  }
  const p = protocol(u);
  if (u.pathname === "/cold") {
    const client = open(env, p, "cold", { waitUntil: undefined, coldStart: "wait", syncInterval: undefined, maxLag: undefined });
    const run = new Run(undefined, `${p}/cold`);
    try {
      const n = await read(run, client, "exec");
      return { ok: true, n: String(n), run, wasmMemoryBytes: client.stats().wasmMemoryBytes };
    } catch (e) {
      return failure(run, e);
    } finally {
      client.close();
    }
  }
  const role = u.pathname === "/write" ? "a" : u.pathname === "/session" ? "b" : (u.searchParams.get("c") ?? "a");
  const entry = named(env, p, role);
  const { client } = entry;
  const run = new Run(entry, `${p}/${role} ${u.pathname}${u.searchParams.get("kind") ? ` ${u.searchParams.get("kind")}` : ""}`);
  try {
    switch (u.pathname) {
      case "/read": {
        const n = await read(run, client, u.searchParams.get("kind") ?? "exec");
        return { ok: true, n: String(n), run };
      }
      case "/write": {
        const token = u.searchParams.get("token");
        const w = await run.call(() => client.execute({ sql: "INSERT INTO ryw (token, p) VALUES (?, ?)", args: [token, p] }));
        const r = await run.call(() => client.execute({ sql: "SELECT count(*) FROM ryw WHERE token = ?", args: [token] }));
        run.check(num(r.rows[0][0]) === 1, `read-your-writes: token ${token} seen ${r.rows[0][0]} times right after its write`);
        return { ok: true, bookmark: (w as { bookmark?: string | null }).bookmark ?? null, run };
      }
      case "/session": {
        const session = client.session({ bookmark: u.searchParams.get("bm") || null });
        const token = u.searchParams.get("token");
        const r = await run.call(() => session.execute({ sql: "SELECT count(*) FROM ryw WHERE token = ?", args: [token] }));
        run.check(num(r.rows[0][0]) === 1, `session with the writer's bookmark: token ${token} seen ${r.rows[0][0]} times`);
        return { ok: true, run };
      }
      case "/sync":
        await run.call(() => client.sync());
        return { ok: true, run };
      case "/final": {
        await run.call(() => client.sync());
        const position = client.position;
        const localBefore = (client.stats() as { reads: { local: number } }).reads.local;
        const d = await dump(run, client);
        const localAfter = (client.stats() as { reads: { local: number } }).reads.local;
        return { ok: true, run, position, positionAfter: client.position, localReads: localAfter - localBefore, ...d, stats: client.stats() };
      }
    }
    return { ok: false, error: { code: "NO_ROUTE", message: u.pathname } };
  } catch (e) {
    // Where the replica stood, for errors worth a look (SQL errors on a replica, bookmarks).
    const at = ` [position ${client.position}; ${client.serverTiming()}${u.searchParams.get("bm") ? `; bookmark ${u.searchParams.get("bm")}` : ""}]`;
    return failure(run, e, at);
  }
}

function failure(run: Run, e: unknown, at = ""): Record<string, unknown> {
  const err = e as { code?: string; message?: string; name?: string; stack?: string };
  // Errors without a code are not the library's LibsqlError: keep where they came from.
  const where = err.code === undefined ? ` at ${String(err.stack ?? "").split("\n").slice(1, 4).join(" | ")}` : "";
  return { ok: false, run, error: { code: err.code ?? err.name ?? "UNKNOWN", message: `${String(err.message ?? e).slice(0, 300)}${where}${at}` } };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const u = new URL(request.url);
    isolate ||= crypto.randomUUID();
    let body: Record<string, unknown>;
    try {
      body = await route(request, env, u);
    } catch (e) {
      body = failure(new Run(), e);
    }
    return new Response(JSON.stringify({ isolate, ...body }, (_k, v) => (typeof v === "bigint" ? v.toString() : v)), {
      headers: { "content-type": "application/json" },
    });
  },
};
