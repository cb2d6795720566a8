// createClient: the @libsql/client API over the Rust client (src/client.rs via WasmClient). This
// file only translates calls: statements and results through results.ts (intMode applied), errors
// into LibsqlError. Every decision is made in Rust.
import type {
  Client,
  Config,
  InArgs,
  InStatement,
  IntMode,
  Replicated,
  ResultSet,
  Transaction,
  TransactionMode,
} from "@libsql/core/api";
import { expand } from "./config.js";
import { snapshotStore } from "./snapshot.js";
import type { WasmClient, WasmLocalClient } from "./wasm.js";
import { generation, guard, guardSync, instanceFetch, thrownBy, wasm, wasmBuffer } from "./wasm.js";
import { unpack } from "./packed.js";
import { edgeResultSet, resultSet, statement, type EdgeResultSet, type LocalRules, type RawResult } from "./results.js";
import { LibsqlBatchError, LibsqlError, mapAsyncErrors, mapErrors, toLibsqlError } from "./errors.js";

/** What both wasm clients offer (WasmLocalClient adds `local`). */
type Inner = WasmClient | WasmLocalClient;

/** A LibsqlError's message without the `"<code>: "` prefix its constructor added. */
function stripCode(e: LibsqlError): string {
  const prefix = `${e.code}: `;
  return e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
}

/** @libsql/client's Config plus what only libsql-edge has. */
export interface EdgeConfig extends Config {
  /** `"sqld"`, `"http-sync"` or `"pull-updates"`; detected from the primary when unset. */
  syncProtocol?: "sqld" | "http-sync" | "pull-updates";
  /** The most page bytes the replica may hold (default 64 MiB). */
  memoryBudgetBytes?: number;
  /** Deadline of one call in milliseconds, retries included (default 30000). */
  timeoutMs?: number;
  /** The largest answer accepted from the primary over Hrana, in bytes (default 16 MiB). */
  maxResponseBytes?: number;
  /** Keeps background syncs alive after the response (e.g. `waitUntil` from `cloudflare:workers`). */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** `"remote"` (default with `waitUntil`): a cold replica's reads go to the primary while it
   * bootstraps in the background; `"wait"` (default without): the first read waits for it. */
  coldStart?: "remote" | "wait";
  /** Default staleness bound of reads in ms: local only if confirmed up to date this recently. */
  maxLag?: number;
  /** What a read older than `maxLag` does: `"sync"` (default), `"primary"` or `"serve"`. */
  onStale?: "sync" | "primary" | "serve";
  /** Milliseconds since the epoch, for tests that control time (default `Date.now`). */
  clock?: () => number;
  /** Where the colo's replica snapshots live: a `Cache` (`caches.default`, `await caches.open(...)`),
   * an R2 bucket binding, or any `{get(key), put(key, bytes)}` of bytes. */
  snapshotStore?: unknown;
  /** Names the database in the snapshot store (default: the sync URL). */
  snapshotKey?: string;
  /** A snapshot older than this (ms, default 300000) is published again. */
  snapshotMaxAgeMs?: number;
  /** `true`: the replica holds only the pages reads use (up to its budget), fetching the others
   * on demand from its page source (`/pull-updates`, or the snapshot store); `"auto"`: only when
   * the database is larger than the budget. Default `false`. */
  partial?: boolean | "auto";
}

/** What a session asks its reads for. */
export interface SessionOptions {
  /** A bookmark (from `rs.bookmark` or `client.bookmark`, maybe of another isolate) to read at least. */
  bookmark?: string | null;
  /** Staleness bound in ms. */
  maxLag?: number;
  /** What a stale read does. */
  onStale?: "sync" | "primary" | "serve";
}

/** The wasm client a JS client currently uses, rebuilt after a wasm trap re-instantiated the
 * module (a replica then bootstraps again on its next call; a local database starts afresh). */
class Handle {
  private inner: Inner;
  private built: number;
  constructor(private readonly make: () => Inner) {
    this.inner = make();
    this.built = generation;
  }
  /** The current wasm client, rebuilt if the instance it lived in is gone. */
  get(): Inner {
    if (this.built !== generation) {
      this.inner = guardSync(this.make);
      this.built = generation;
    }
    return this.inner;
  }
  /** The wasm client as it is, if it still lives (for transactions, which die with it). */
  live(built: number): Inner | undefined {
    return built === this.built && built === generation ? this.inner : undefined;
  }
  get generation(): number {
    return this.built;
  }
  /** Arguments follow the local client's rules for a local database. */
  rules(intMode: IntMode): LocalRules {
    return (this.get() as { local?: boolean }).local ? intMode : null;
  }
  call<T>(f: (inner: Inner) => Promise<T>): Promise<T> {
    return mapAsyncErrors(() => guard(() => f(this.get())));
  }
}

const txClosedError = () => new LibsqlError("The transaction is closed", "TRANSACTION_CLOSED");

class EdgeTransaction implements Transaction {
  private closedLocally = false;

  constructor(
    private readonly handle: Handle,
    private readonly built: number,
    private readonly id: number,
    private readonly intMode: IntMode,
    private readonly local: LocalRules,
  ) {}

  /** A call on the transaction's own wasm client; a transaction does not outlive a wasm trap. */
  private call<T>(f: (inner: Inner) => Promise<T>): Promise<T> {
    const inner = this.handle.live(this.built);
    if (inner === undefined) return Promise.reject(txClosedError());
    return mapAsyncErrors(() => guard(() => f(inner)));
  }

  async execute(stmt: InStatement): Promise<ResultSet> {
    try {
      const raw = await this.call<RawResult>((i) => i.txExecute(this.id, statement(stmt, this.local)));
      return resultSet(raw, this.intMode, this.local);
    } catch (e) {
      // @libsql/client runs a remote Transaction.execute as a batch of one statement, so a
      // statement's error is a LibsqlBatchError with statementIndex 0; a closed transaction is a
      // plain LibsqlError. Its local client reports plain errors.
      if (this.local === null && e instanceof LibsqlError && !(e instanceof LibsqlBatchError) && !["TRANSACTION_CLOSED", "CLIENT_CLOSED", "WASM_TRAP"].includes(e.code)) {
        throw new LibsqlBatchError(stripCode(e), 0, e.code, e.extendedCode, e.rawCode, e.cause instanceof Error ? e.cause : undefined);
      }
      throw e;
    }
  }

  async batch(stmts: Array<InStatement>): Promise<Array<ResultSet>> {
    const raws: RawResult[] = await this.call((i) => i.txBatch(this.id, stmts.map((s) => statement(s, this.local))));
    return raws.map((raw) => resultSet(raw, this.intMode, this.local));
  }

  executeMultiple(sql: string): Promise<void> {
    return this.call((i) => i.txExecuteMultiple(this.id, sql));
  }

  async rollback(): Promise<void> {
    if (this.handle.live(this.built) === undefined) return;
    return this.call((i) => i.txRollback(this.id));
  }

  commit(): Promise<void> {
    return this.call((i) => i.txCommit(this.id));
  }

  close(): void {
    // txClose finishes asynchronously; like @libsql/client, the transaction reads as closed at once.
    this.closedLocally = true;
    void this.call((i) => i.txClose(this.id)).catch(() => {});
  }

  get closed(): boolean {
    const inner = this.handle.live(this.built);
    return this.closedLocally || inner === undefined || guardSync(() => inner.txClosed(this.id));
  }
}

/** The calls a session and its client share; `options` is the session's (undefined: the client's). */
class Reads {
  constructor(
    protected readonly handle: Handle,
    protected readonly intMode: IntMode,
    protected options?: SessionOptions,
  ) {}

  protected get local(): LocalRules {
    return this.handle.rules(this.intMode);
  }

  /** A session keeps the newest position its calls saw, so its next read sees at least that. */
  private saw(rs: EdgeResultSet | undefined): void {
    if (this.options !== undefined && rs !== undefined && rs.bookmark !== null) {
      this.options = { ...this.options, bookmark: rs.bookmark };
    }
  }

  async execute(stmtOrSql: InStatement | string, args?: InArgs): Promise<EdgeResultSet> {
    const local = this.local;
    const stmt = statement(typeof stmtOrSql === "string" && args !== undefined ? { sql: stmtOrSql, args } : stmtOrSql, local);
    // A read the replica can answer now comes back synchronously, packed; anything else (0) takes
    // the async path. Rust decides which.
    const inner = this.handle.get();
    let ptr: number;
    try {
      ptr = inner.executeLocal(stmt.sql, stmt.args, this.options);
    } catch (e) {
      throw toLibsqlError(thrownBy(e));
    }
    let rs: EdgeResultSet;
    if (ptr !== 0) {
      const p = unpack(wasmBuffer(), ptr, this.intMode, local !== null);
      rs = edgeResultSet(p.columns, p.columnTypes, p.rows, p.rowsAffected, p.lastInsertRowid, p.bookmark);
    } else {
      rs = resultSet(await this.handle.call<RawResult>((i) => (i as WasmClient).execute(stmt, this.options)), this.intMode, local);
    }
    this.saw(rs);
    return rs;
  }

  async batch(stmts: Array<InStatement | [string, InArgs?]>, mode: TransactionMode = "deferred"): Promise<Array<EdgeResultSet>> {
    const local = this.local;
    const list = stmts.map((s) => statement(Array.isArray(s) ? { sql: s[0], args: s[1] } : s, local));
    const raws: RawResult[] = await this.handle.call((i) => (i as WasmClient).batch(list, mode, this.options));
    const results = raws.map((raw) => resultSet(raw, this.intMode, local));
    this.saw(results[results.length - 1]);
    return results;
  }

  async transaction(mode: TransactionMode = "write"): Promise<Transaction> {
    const local = this.local;
    const built = this.handle.generation;
    const id: number = await this.handle.call((i) => (i as WasmClient).transaction(mode, this.options));
    return new EdgeTransaction(this.handle, built, id, this.intMode, local);
  }
}

/** `client.session(options)`: the client's calls, each asking for the session's consistency. */
class EdgeSession extends Reads {
  /** The newest position this session has seen: pass it to another request's session. */
  get bookmark(): string | null {
    return this.options?.bookmark ?? null;
  }
}

/** What only a replica or remote-only client has (a local database has none of it). */
function remote(inner: Inner): WasmClient | undefined {
  return "stats" in inner ? inner : undefined;
}

class EdgeClient extends Reads implements Client {
  constructor(handle: Handle, intMode: IntMode) {
    super(handle, intMode);
  }

  async migrate(stmts: Array<InStatement>): Promise<Array<ResultSet>> {
    const local = this.local;
    const raws: RawResult[] = await this.handle.call((i) => i.migrate(stmts.map((s) => statement(s, local))));
    return raws.map((raw) => resultSet(raw, this.intMode, local));
  }

  executeMultiple(sql: string): Promise<void> {
    return this.handle.call((i) => i.executeMultiple(sql));
  }

  sync(): Promise<Replicated> {
    return this.handle.call((i) => i.sync());
  }

  async reconnect(): Promise<void> {
    const inner = this.handle.get();
    if ("reconnect" in inner) guardSync(() => inner.reconnect());
  }

  close(): void {
    guardSync(() => this.handle.get().close());
  }

  get closed(): boolean {
    return guardSync(() => this.handle.get().closed);
  }

  get protocol(): string {
    return guardSync(() => this.handle.get().protocol);
  }

  /** The replica's position (`sqld:<log_id>/<frame_no>`, `http:<g>/<n>`, `rev:<r>`), or null. */
  get position(): string | null {
    return guardSync(() => this.handle.get().position) ?? null;
  }

  /** Page bytes the replica holds. */
  get memoryBytes(): number {
    return guardSync(() => this.handle.get().memoryBytes);
  }

  /** The newest position this client has seen, as a bookmark. */
  get bookmark(): string | null {
    return guardSync(() => remote(this.handle.get())?.bookmark) ?? null;
  }

  /** A view over the same replica whose calls see at least `bookmark` and honour `maxLag`/`onStale`. */
  session(options: SessionOptions = {}): EdgeSession {
    mapErrors(() => guardSync(() => remote(this.handle.get())?.checkConsistency(options)));
    return new EdgeSession(this.handle, this.intMode, { ...options });
  }

  /** Where reads were served and why, lag, syncs, bytes and memory (see the README). */
  stats(): Record<string, unknown> {
    return guardSync(() => remote(this.handle.get())?.stats()) ?? {};
  }

  /** A `Server-Timing` header value for the last call (where it was served, lag). */
  serverTiming(): string {
    return guardSync(() => remote(this.handle.get())?.serverTiming()) ?? "";
  }
}

/** Creates a client: a local database in the isolate's memory (`url: ":memory:"` or `"file:…"`),
 * an embedded replica (`file:…` with `syncUrl`) or a remote-only client (`libsql:`, `https:`,
 * `http:`, `wss:`, `ws:`). The config is expanded exactly as `@libsql/client` expands it. No I/O
 * happens until the first call. */
export function createClient(config: EdgeConfig): EdgeClient {
  const { wasm: options, intMode } = expand(config);
  const fetch = instanceFetch(config.fetch);
  const store = snapshotStore(config.snapshotStore);
  const handle = mapErrors(() => new Handle(() => wasm().openClient(options, fetch, config.waitUntil, config.clock, store) as Inner));
  return new EdgeClient(handle, intMode);
}

export { LibsqlError };
export type { EdgeClient, EdgeSession };
