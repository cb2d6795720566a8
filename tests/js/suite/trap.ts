// A wasm trap never poisons the isolate: the trap (triggered on purpose through the test-only
// export, at once or inside a later continuation) rejects the calls in flight with WASM_TRAP, the
// next call runs on a new instance (the hook leaves the old one's state broken, as a real panic
// would), a replica client re-bootstraps transparently, a transaction of the dead instance is
// closed, and a local database of the dead instance starts again empty.
import { LibsqlError } from "@libsql/core/api";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { type Context, executeOnPrimary, type Register } from "./context.ts";

export type TrapContext = Context & { trapForTest: (later: boolean) => Promise<unknown> };

function isTrapError(e: unknown): boolean {
  return e instanceof LibsqlError && e.code === "WASM_TRAP";
}

export function trapSuite(test: Register, context: () => TrapContext): void {
  for (const later of [false, true]) {
    test(`a wasm trap ${later ? "in a continuation" : "during a call"} rejects calls in flight; clients rebuild and replicas re-bootstrap`, async () => {
      const ctx = context();
      // The replica's fetches pass through a gate, so one call can be held in flight.
      let gate: Promise<void> = Promise.resolve();
      let asked = () => {};
      const fetched = () => new Promise<void>((resolve) => (asked = resolve));
      const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
        asked();
        await gate;
        return ctx.fetch(input, init);
      };
      const written = `trap_${Math.random().toString(36).slice(2, 10)}`;
      await executeOnPrimary(ctx, [`CREATE TABLE ${written} (x)`]);
      const replica = ctx.api.createClient({ url: "file:trap.db", syncUrl: ctx.primaryUrl, fetch });
      assertEquals((await replica.execute("SELECT count(*) FROM items")).rows[0][0], 3);
      const local = ctx.api.createClient({ url: ":memory:" });
      await local.execute("CREATE TABLE t (x)");
      const tx = await local.transaction("write");

      let release = () => {};
      gate = new Promise((resolve) => (release = resolve));
      const wasAsked = fetched();
      const inFlight = replica.execute(`INSERT INTO ${written} VALUES ('in flight')`);
      await wasAsked;

      const trap = await assertThrows(() => ctx.trapForTest(later));
      assert(isTrapError(trap), `the trap: ${trap}`);
      const cancelled = await assertThrows(() => inFlight);
      assert(isTrapError(cancelled), `the call in flight: ${cancelled}`);
      // Its request still reaches the primary (like a write cut off by a network error, its outcome
      // is unknown to the caller); the answer is dropped, never fed to the new instance.
      release();

      // The next calls run on a new instance.
      assertEquals((await replica.execute("SELECT count(*) FROM items")).rows[0][0], 3);
      assert(replica.position !== null, "the replica bootstrapped again");
      assert(tx.closed, "a transaction of the dead instance is closed");
      const txError = await assertThrows(() => tx.execute("SELECT 1"));
      assert(txError instanceof LibsqlError && txError.code === "TRANSACTION_CLOSED", `${txError}`);
      const gone = await assertThrows(() => local.execute("SELECT * FROM t"));
      assert(gone instanceof LibsqlError && gone.code === "SQLITE_ERROR", `a local database starts again: ${gone}`);
      // The trap left the dead instance's state broken (its local-database registry locked): only
      // a new instance can open a named local database.
      const fresh = ctx.api.createClient({ url: "file:after-trap.db" });
      assertEquals((await fresh.execute("SELECT 1 AS one")).rows[0].one, 1);
      replica.close();
      local.close();
      fresh.close();
    });
  }
}
