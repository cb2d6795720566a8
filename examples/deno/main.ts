// libsql-edge in Deno: an embedded replica of the primary at PRIMARY_URL, served over HTTP.
//   deno run --allow-read --allow-net --allow-env=PRIMARY_URL,PORT examples/deno/main.ts
// (after `npm run build`; start a primary with `npm start` or `libsql-edge-primary`).
import { createClient } from "../../dist/init/deno.js";

const primaryUrl = Deno.env.get("PRIMARY_URL") ?? "http://127.0.0.1:8080";
const port = Number(Deno.env.get("PORT") ?? "8000");
const client = createClient({ url: "file:deno-example.db", syncUrl: primaryUrl, syncInterval: 5 });

Deno.serve({ port, hostname: "127.0.0.1" }, async (request) => {
  const url = new URL(request.url);
  try {
    const sql = request.method === "POST" ? await request.text() : url.searchParams.get("sql") ?? "SELECT * FROM notes";
    const rs = await client.execute(sql);
    const body = { ...rs.toJSON(), replica: { position: client.position, memoryBytes: client.memoryBytes } };
    return Response.json(JSON.parse(JSON.stringify(body, (_k, v) => (typeof v === "bigint" ? String(v) : v))));
  } catch (e) {
    return Response.json({ error: { code: (e as { code?: string }).code, message: (e as Error).message } }, { status: 500 });
  }
});
