// The Worker the workerd tests reach through SELF.fetch: every request is a request of its own
// (its own I/O context), as in production. Paths under /t/ are test routes over named clients kept
// in the isolate (module scope), each with a `Wire` (counts and holds its fetches) and a
// `ManualClock`; everything else is the example Worker.
//
//   POST /t/open?name=N   body: createClient options (JSON; "waitUntil": true passes the
//                         request-independent waitUntil of cloudflare:workers)
//   GET  /t/read?name=N&sql=...        one statement: {rows, timing, stats}
//   POST /t/sync?name=N[&detach=1]     sync (detach: answer at once, the sync is left to its request)
//   POST /t/hold?name=N | /t/release?name=N | /t/advance?name=N&ms=M
//   GET  /t/wire?name=N                {requests, syncRequests, syncBytes, held}
import { waitUntil } from "cloudflare:workers";
import example from "../../examples/worker/index.ts";
import * as api from "../../dist/init/workerd.js";
import { ManualClock, Wire } from "../js/suite/wire.ts";

interface Env {
  PRIMARY_URL: string;
}

interface Named {
  client: ReturnType<typeof api.createClient>;
  wire: Wire;
  clock: ManualClock;
}

const clients = new Map<string, Named>();

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v)), {
    status,
    headers: { "content-type": "application/json" },
  });
}

async function route(request: Request, env: Env, url: URL): Promise<Response> {
  const name = url.searchParams.get("name") ?? "default";
  if (url.pathname === "/t/open") {
    const options = (await request.json()) as Record<string, unknown>;
    const wire = new Wire((r) => fetch(r));
    const clock = new ManualClock();
    const client = api.createClient({
      url: `file:${name}.db`,
      syncUrl: env.PRIMARY_URL,
      ...options,
      fetch: wire.fetch,
      clock: clock.read,
      waitUntil: options.waitUntil ? waitUntil : undefined,
    });
    clients.set(name, { client, wire, clock });
    return json({ opened: name });
  }
  const named = clients.get(name);
  if (named === undefined) return json({ error: `no client ${name}` }, 404);
  const { client, wire, clock } = named;
  switch (url.pathname) {
    case "/t/read": {
      const rs = await client.execute(url.searchParams.get("sql") ?? "SELECT 1");
      return json({ rows: rs.rows.map((r) => [...Array.prototype.slice.call(r)]), timing: client.serverTiming(), stats: client.stats() });
    }
    case "/t/sync": {
      const sync = client.sync();
      if (url.searchParams.has("detach")) {
        sync.catch(() => {});
        return json({ detached: true }, 202);
      }
      return json({ replicated: await sync, stats: client.stats() });
    }
    case "/t/hold":
      wire.hold();
      return json({ held: true });
    case "/t/release":
      wire.release();
      return json({ released: true });
    case "/t/advance":
      clock.advance(Number(url.searchParams.get("ms") ?? "0"));
      return json({ now: clock.now });
    case "/t/wire":
      return json({ requests: wire.requests, syncRequests: wire.syncRequests, syncBytes: wire.syncBytes, held: wire.held });
  }
  return json({ error: "no such test route" }, 404);
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (!url.pathname.startsWith("/t/")) return example.fetch(request, env);
    try {
      return await route(request, env, url);
    } catch (e) {
      const error = e as { name?: string; code?: string; message?: string };
      return json({ error: { name: error.name, code: error.code, message: error.message } }, 500);
    }
  },
};
