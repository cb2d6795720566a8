// What a runtime runner hands the suites: a way to register tests, the package as that runtime
// imports it, the dev primary's URL and the runtime's fetch.
import type * as Package from "../../../dist/index.js";

export type Register = (name: string, fn: () => Promise<void>) => void;

export interface Context {
  /** The package's exports (Replica, LibsqlError, ...). */
  api: typeof Package;
  /** Base URL of the dev primary (PRIMARY_URL). */
  primaryUrl: string;
  /** The runtime's fetch. */
  fetch: typeof fetch;
}

/**
 * Runs statements over Hrana (`/v2/pipeline`) at `url`, each in autocommit, and returns each one's
 * rows (Hrana's values, SQL NULL as null). With `close`, the stream is closed after them (tursodb
 * 0.7.0 rejects that and runs nothing); without, the server lets it expire.
 */
export async function pipeline(fetchFn: typeof fetch, url: string, statements: string[], close = false): Promise<unknown[][][]> {
  const requests = [...statements.map((sql) => ({ type: "execute", stmt: { sql } })), ...(close ? [{ type: "close" }] : [])];
  const response = await fetchFn(`${url}/v2/pipeline`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ requests }),
  });
  if (!response.ok) throw new Error(`pipeline: HTTP ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { results: { type: string; error?: { message: string }; response?: any }[] };
  return body.results.slice(0, statements.length).map((r, i) => {
    if (r.type !== "ok") throw new Error(`${statements[i].slice(0, 60)}: ${r.error?.message ?? r.type}`);
    return r.response.result.rows.map((row: { value?: unknown }[]) => row.map((v) => v.value ?? null));
  });
}

/** Runs statements on the primary over Hrana (`/v2/pipeline`), each in autocommit. */
export async function executeOnPrimary(ctx: Context, statements: string[]): Promise<void> {
  await pipeline(ctx.fetch, ctx.primaryUrl, statements, true);
}
