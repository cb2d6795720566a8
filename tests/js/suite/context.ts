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

/** Runs statements on the primary over Hrana (`/v2/pipeline`), each in autocommit. */
export async function executeOnPrimary(ctx: Context, statements: string[]): Promise<void> {
  const requests = [...statements.map((sql) => ({ type: "execute", stmt: { sql } })), { type: "close" }];
  const response = await ctx.fetch(`${ctx.primaryUrl}/v2/pipeline`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ requests }),
  });
  if (!response.ok) throw new Error(`pipeline: HTTP ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { results: { type: string; error?: { message: string } }[] };
  body.results.forEach((r, i) => {
    if (r.type !== "ok") throw new Error(`pipeline statement ${i}: ${r.error?.message ?? r.type}`);
  });
}
