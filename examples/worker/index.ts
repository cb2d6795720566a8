// The example Worker: one libsql-edge client per isolate (module scope, created lazily on the first
// request, so nothing runs at module load). Reads are served from the in-memory replica; writes go
// to the primary and are read back at once (read-your-writes). PRIMARY_URL comes from the
// environment (wrangler.toml [vars], or `npm start`).
//
//   GET  /                      what this Worker does, with curl lines
//   GET  /query?sql=SELECT...   a statement (read-only ones run on the replica)
//   POST /write  body: SQL      a write, forwarded to the primary, then read back locally
//   GET  /sync[?delay=ms]       pull from the primary now (the delay holds the first fetch back, for tests)
//   GET  /sync?detach=1          start a pull and answer at once without waitUntil: the request ends
//                               mid-sync and workerd drops its I/O (for tests; apps pass waitUntil)
//   GET  /stats                 client.stats(): position, lag, syncs, where reads were served, memory
//
// Every answer carries a Server-Timing header (where the call was served, the replica's lag) and
// the bookmark of what it saw (x-libsql-bookmark); send it back in that header and the next request
// (in any isolate) reads at least that.
import { waitUntil } from "cloudflare:workers";
import { createClient, LibsqlError } from "../../dist/init/workerd.js";

interface Env {
  PRIMARY_URL: string;
}

let client: ReturnType<typeof createClient> | undefined;
/** Test hook: a delay for the next fetch the client makes. */
let nextDelay = 0;

async function delayingFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const delay = nextDelay;
  nextDelay = 0;
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  return fetch(input, init);
}

function json(value: unknown, status = 200): Response {
  const body = JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2);
  return new Response(body + "\n", { status, headers: { "content-type": "application/json" } });
}

function help(origin: string): Response {
  const text = [
    "libsql-edge example Worker: reads from an in-memory replica, writes to the primary.",
    "",
    `curl '${origin}/query?sql=SELECT%20*%20FROM%20notes'`,
    `curl -X POST '${origin}/write' --data "INSERT INTO notes(body) VALUES ('hello from the edge')"`,
    `curl '${origin}/sync'`,
    `curl '${origin}/stats'`,
    "",
  ].join("\n");
  return new Response(text, { headers: { "content-type": "text/plain" } });
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    client ??= createClient({ url: "file:example.db", syncUrl: env.PRIMARY_URL, syncInterval: 5, fetch: delayingFetch, waitUntil });
    const stats = () => ({ position: client!.position, memoryBytes: client!.memoryBytes });
    const session = client.session({ bookmark: request.headers.get("x-libsql-bookmark") });
    const answer = (value: unknown, status = 200) => {
      const response = json(value, status);
      response.headers.set("server-timing", client!.serverTiming());
      if (session.bookmark) response.headers.set("x-libsql-bookmark", session.bookmark);
      return response;
    };
    try {
      if (url.pathname === "/") return help(url.origin);
      if (url.pathname === "/sync") {
        nextDelay = Number(url.searchParams.get("delay") ?? "0");
        const sync = client.sync();
        if (url.searchParams.has("detach")) {
          sync.catch(() => {});
          return json({ detached: true }, 202);
        }
        const replicated = await sync;
        return json({ ...replicated, ...stats() });
      }
      if (url.pathname === "/query") {
        const rs = await session.execute(url.searchParams.get("sql") ?? "SELECT 1");
        return answer({ ...rs.toJSON(), replica: stats() });
      }
      if (url.pathname === "/write" && request.method === "POST") {
        const rs = await session.execute(await request.text());
        return answer({ rowsAffected: rs.rowsAffected, lastInsertRowid: rs.lastInsertRowid, replica: stats() });
      }
      if (url.pathname === "/stats") return answer(client.stats());
      return json({ error: { message: "not found" } }, 404);
    } catch (e) {
      const code = e instanceof LibsqlError ? e.code : undefined;
      return json({ error: { name: (e as Error).name, code, message: (e as Error).message } }, 500);
    }
  },
};
