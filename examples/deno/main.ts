// libsql-edge on Deno Deploy (and in plain Deno): an embedded replica of the primary at PRIMARY_URL
// in the instance's memory, served over HTTP. Reads run on the replica; writes go to the primary and
// are read back at once; a Deno.cron refresh keeps the replica of the instance that runs it warm.
//
//   GET  /?sql=SELECT...   a statement (read-only ones run on the replica)
//   POST /  body: SQL      a write, forwarded to the primary
//   GET  /sync             pull from the primary now
//
// Environment: PRIMARY_URL (sqld, Turso, or the dev primary), PRIMARY_AUTH_TOKEN (optional),
// SYNC_INTERVAL seconds (default 60), PORT (plain Deno only; default 8000).
// Deploy (from this directory): deno deploy   — then set the variables in the app's settings.
// Locally (repository, after npm run build):
//   deno run --unstable-cron --allow-read --allow-net --allow-env --no-config \
//     --import-map examples/deno/dev-import-map.json examples/deno/main.ts
import { createClient } from "libsql-edge";

const primaryUrl = Deno.env.get("PRIMARY_URL");
if (!primaryUrl) throw new Error("PRIMARY_URL is not set");
const client = createClient({
  url: "file:deno-deploy.db",
  syncUrl: primaryUrl,
  authToken: Deno.env.get("PRIMARY_AUTH_TOKEN"),
  syncInterval: Number(Deno.env.get("SYNC_INTERVAL") ?? "60"),
});

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? String(v) : v)), {
    status,
    headers: { "content-type": "application/json" },
  });

/** Pulls what the primary has; the cron and GET /sync call it. */
export async function refresh() {
  const { frame_no, frames_synced } = await client.sync();
  return { frame_no, frames_synced, position: client.position };
}

// Crons are registered at the top level. Deno Deploy runs each one in one instance at a time, so
// this warms that instance's replica; other instances sync on their next request after
// SYNC_INTERVAL.
Deno.cron("refresh the replica", "* * * * *", async () => {
  await refresh();
});

export async function handler(request: Request): Promise<Response> {
  const url = new URL(request.url);
  try {
    if (url.pathname === "/sync") return json(await refresh());
    const sql = request.method === "POST" ? await request.text() : url.searchParams.get("sql") ?? "SELECT 1 AS ok";
    const rs = await client.execute(sql);
    return json({ ...rs.toJSON(), replica: { position: client.position, memoryBytes: client.memoryBytes } });
  } catch (e) {
    return json({ error: { code: (e as { code?: string }).code, message: (e as Error).message } }, 500);
  }
}

Deno.serve({ port: Number(Deno.env.get("PORT") ?? "8000") }, handler);
