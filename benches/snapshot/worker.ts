// bench:snapshot's Worker: one cold start per fresh workerd process. GET /cold?mode=M&table=T:
// `primary` bootstraps a replica from PRIMARY (coldStart "wait"), `snapshot` does the same with the
// snapshot tier reading a get/put object store over fetch at STORE (a loopback object server
// standing for the colo's Cache), `publish` bootstraps from the primary and publishes, `web` is
// @libsql/client/web's first (remote) read. Answers when the first read has returned (local for
// the replica modes), with the client's stats.
import { createClient as createWeb } from "@libsql/client/web";
import { configure, createClient } from "../../dist/init/workerd.js";

interface Env {
  PRIMARY: string;
  STORE: string;
  PROTOCOL: string;
}

function store(base: string) {
  return {
    get: async (key: string) => {
      const r = await fetch(`${base}/${key}`);
      return r.status === 200 ? new Uint8Array(await r.arrayBuffer()) : null;
    },
    put: async (key: string, bytes: Uint8Array) => {
      await fetch(`${base}/${key}`, { method: "PUT", body: bytes });
    },
  };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/ping") return Response.json({ ok: true });
    const mode = url.searchParams.get("mode");
    const table = url.searchParams.get("table") ?? "bench";
    const sql = `SELECT count(*) FROM ${table}`;
    if (mode === "web") {
      const web = createWeb({ url: env.PRIMARY });
      await web.execute(sql);
      return Response.json({ mode });
    }
    const background: Promise<unknown>[] = [];
    configure({ memoryBudgetBytes: 100 << 20 });
    const client = createClient({
      url: "file:bench.db",
      syncUrl: env.PRIMARY,
      syncProtocol: env.PROTOCOL as "sqld" | "http-sync",
      coldStart: "wait",
      memoryBudgetBytes: 100 << 20,
      timeoutMs: 300_000,
      snapshotStore: mode === "primary" ? undefined : store(env.STORE),
      waitUntil: (p) => background.push(p),
    });
    await client.execute(sql);
    await Promise.all(background);
    const s = client.stats() as any;
    return Response.json({ mode, local: s.reads.local === 1, source: s.bootstrap.source, bytesFromPrimary: s.pulled.bytes, bytesFromSnapshot: s.bootstrap.bytesFromSnapshot, published: s.snapshots.published, databaseBytes: client.memoryBytes });
  },
};
