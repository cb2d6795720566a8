// An example Worker holding one replica per isolate (module scope), opened lazily on the first
// request: nothing runs at module load. PRIMARY_URL comes from the environment.
//   GET /sync[?delay=ms]  pull from the primary (the delay holds the first fetch back, for tests)
//   GET /sync?detach=1     start a pull and answer at once without waitUntil: the request ends
//                          mid-sync and workerd drops its I/O (for tests; use ctx.waitUntil in apps)
//   GET /query?sql=...     run a read-only statement locally
import { LibsqlError, Replica } from "../../dist/init/workerd.js";

interface Env {
  PRIMARY_URL: string;
}

let replica: Replica | undefined;

function json(value: unknown, status = 200): Response {
  const body = JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  return new Response(body, { status, headers: { "content-type": "application/json" } });
}

/** Fetch that waits `ms` before its first request, so a sync stays in flight for a while. */
function delayedFetch(ms: number): typeof fetch {
  let waited = false;
  return async (input, init) => {
    if (!waited) {
      waited = true;
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
    return fetch(input, init);
  };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    replica ??= new Replica();
    try {
      if (url.pathname === "/sync") {
        const delay = Number(url.searchParams.get("delay") ?? "0");
        const sync = replica.sync({ url: env.PRIMARY_URL, fetch: delay > 0 ? delayedFetch(delay) : fetch });
        if (url.searchParams.has("detach")) {
          sync.catch(() => {});
          return json({ detached: true }, 202);
        }
        return json(await sync);
      }
      if (url.pathname === "/query") {
        return json(replica.query(url.searchParams.get("sql") ?? "SELECT 1"));
      }
      return json({ error: { message: "not found" } }, 404);
    } catch (e) {
      const code = e instanceof LibsqlError ? e.code : undefined;
      return json({ error: { name: (e as Error).name, code, message: (e as Error).message } }, 500);
    }
  },
};
