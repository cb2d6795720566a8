// createClient: the @libsql/client API over the Rust client (src/client.rs via WasmClient). This
// file only translates: statements into {sql, args}, results into @libsql/client's ResultSet and
// Row shapes with intMode applied, errors into LibsqlError. Every decision is made in Rust.
import type {
  Client,
  Config,
  InArgs,
  InStatement,
  IntMode,
  Replicated,
  ResultSet,
  Row,
  Transaction,
  TransactionMode,
  Value,
} from "@libsql/core/api";
import { ResultSetImpl } from "@libsql/core/util";
import type { WasmClient } from "./wasm.js";
import { wasm } from "./wasm.js";
import { LibsqlBatchError, LibsqlError, mapAsyncErrors, mapErrors } from "./errors.js";

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

interface RawResult {
  columns: string[];
  columnTypes: string[];
  rows: Value[][];
  rowsAffected: number;
  lastInsertRowid: bigint | undefined;
  bookmark: string | null;
}

/** A ResultSet with libsql-edge's `bookmark`: the position the call saw (not enumerable, so the
 * result's shape and JSON stay @libsql/client's). */
export type EdgeResultSet = ResultSet & { readonly bookmark: string | null };

/** One argument as hrana-client's valueToProto (used by @libsql/client) passes it on: `-0` goes out
 * as `0` (JSON has no negative zero), any other object as its `toString()`, and `undefined`, functions
 * and symbols are a TypeError. Everything else is converted at the wasm boundary. */
function argument(v: unknown): unknown {
  if (v === null || typeof v === "string" || typeof v === "bigint" || typeof v === "boolean") return v;
  if (typeof v === "number") return Object.is(v, -0) ? 0 : v;
  if (v instanceof ArrayBuffer || v instanceof Uint8Array || v instanceof Date) return v;
  if (typeof v === "object") return "" + (v as object).toString();
  throw new TypeError("Unsupported type of value");
}

function inArgs(a: InArgs | undefined): InArgs | undefined {
  if (a === undefined || a === null) return a;
  if (Array.isArray(a)) return a.map(argument) as InArgs;
  if (typeof a === "object") {
    return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, argument(v)])) as InArgs;
  }
  return a;
}

function statement(s: InStatement): { sql: string; args?: InArgs } {
  if (typeof s === "string") return { sql: s };
  if (typeof s === "object" && s !== null && typeof s.sql === "string") return { sql: s.sql, args: inArgs(s.args) };
  throw new TypeError("A statement must be a string or an object with `sql` and optional `args`");
}

function intValue(v: Value, intMode: IntMode): Value {
  if (typeof v !== "bigint") return v;
  if (intMode === "bigint") return v;
  if (intMode === "string") return "" + v;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) {
    throw new RangeError("Received integer which is too large to be safely represented as a JavaScript number");
  }
  return n;
}

function row(columns: string[], values: Value[], intMode: IntMode): Row {
  const r: Record<string | number, Value> = {};
  Object.defineProperty(r, "length", { value: values.length });
  for (let i = 0; i < values.length; i++) {
    const value = intValue(values[i], intMode);
    Object.defineProperty(r, i, { value });
    const name = columns[i];
    if (name !== undefined && !Object.hasOwn(r, name)) {
      Object.defineProperty(r, name, { value, enumerable: true, configurable: true, writable: true });
    }
  }
  return r as unknown as Row;
}

function resultSet(raw: RawResult, intMode: IntMode): EdgeResultSet {
  const rows = raw.rows.map((values) => row(raw.columns, values, intMode));
  const rs = new ResultSetImpl(raw.columns, raw.columnTypes, rows, raw.rowsAffected, raw.lastInsertRowid);
  return Object.defineProperty(rs, "bookmark", { value: raw.bookmark }) as EdgeResultSet;
}

class EdgeTransaction implements Transaction {
  private closedLocally = false;

  constructor(
    private readonly inner: WasmClient,
    private readonly id: number,
    private readonly intMode: IntMode,
  ) {}

  async execute(stmt: InStatement): Promise<ResultSet> {
    try {
      const raw = await mapAsyncErrors(() => this.inner.txExecute(this.id, statement(stmt)));
      return resultSet(raw, this.intMode);
    } catch (e) {
      // @libsql/client runs Transaction.execute as a batch of one statement, so a statement's error
      // is a LibsqlBatchError with statementIndex 0; a closed transaction is a plain LibsqlError.
      if (e instanceof LibsqlError && !(e instanceof LibsqlBatchError) && e.code !== "TRANSACTION_CLOSED" && e.code !== "CLIENT_CLOSED") {
        throw new LibsqlBatchError(stripCode(e), 0, e.code, e.extendedCode, e.rawCode, e.cause instanceof Error ? e.cause : undefined);
      }
      throw e;
    }
  }

  async batch(stmts: Array<InStatement>): Promise<Array<ResultSet>> {
    const raws: RawResult[] = await mapAsyncErrors(() => this.inner.txBatch(this.id, stmts.map(statement)));
    return raws.map((raw) => resultSet(raw, this.intMode));
  }

  executeMultiple(sql: string): Promise<void> {
    return mapAsyncErrors(() => this.inner.txExecuteMultiple(this.id, sql));
  }

  rollback(): Promise<void> {
    return mapAsyncErrors(() => this.inner.txRollback(this.id));
  }

  commit(): Promise<void> {
    return mapAsyncErrors(() => this.inner.txCommit(this.id));
  }

  close(): void {
    // txClose finishes asynchronously; like @libsql/client, the transaction reads as closed at once.
    this.closedLocally = true;
    void this.inner.txClose(this.id);
  }

  get closed(): boolean {
    return this.closedLocally || this.inner.txClosed(this.id);
  }
}

/** The calls a session and its client share; `options` is the session's (undefined: the client's). */
class Reads {
  constructor(
    protected readonly inner: WasmClient,
    protected readonly intMode: IntMode,
    protected options?: SessionOptions,
  ) {}

  /** A session keeps the newest position its calls saw, so its next read sees at least that. */
  private saw(rs: EdgeResultSet): void {
    if (this.options !== undefined && rs.bookmark !== null) this.options = { ...this.options, bookmark: rs.bookmark };
  }

  async execute(stmtOrSql: InStatement | string, args?: InArgs): Promise<EdgeResultSet> {
    const stmt = statement(typeof stmtOrSql === "string" && args !== undefined ? { sql: stmtOrSql, args } : stmtOrSql);
    const rs = resultSet(await mapAsyncErrors(() => this.inner.execute(stmt, this.options)), this.intMode);
    this.saw(rs);
    return rs;
  }

  async batch(stmts: Array<InStatement | [string, InArgs?]>, mode: TransactionMode = "deferred"): Promise<Array<EdgeResultSet>> {
    const list = stmts.map((s) => statement(Array.isArray(s) ? { sql: s[0], args: s[1] } : s));
    const raws: RawResult[] = await mapAsyncErrors(() => this.inner.batch(list, mode, this.options));
    const results = raws.map((raw) => resultSet(raw, this.intMode));
    if (results.length > 0) this.saw(results[results.length - 1]);
    return results;
  }

  async transaction(mode: TransactionMode = "write"): Promise<Transaction> {
    const id: number = await mapAsyncErrors(() => this.inner.transaction(mode, this.options));
    return new EdgeTransaction(this.inner, id, this.intMode);
  }
}

/** `client.session(options)`: the client's calls, each asking for the session's consistency. */
class EdgeSession extends Reads {
  /** The newest position this session has seen: pass it to another request's session. */
  get bookmark(): string | null {
    return this.options?.bookmark ?? null;
  }
}

class EdgeClient extends Reads implements Client {
  constructor(inner: WasmClient, intMode: IntMode) {
    super(inner, intMode);
  }

  async migrate(stmts: Array<InStatement>): Promise<Array<ResultSet>> {
    const raws: RawResult[] = await mapAsyncErrors(() => this.inner.migrate(stmts.map(statement)));
    return raws.map((raw) => resultSet(raw, this.intMode));
  }

  executeMultiple(sql: string): Promise<void> {
    return mapAsyncErrors(() => this.inner.executeMultiple(sql));
  }

  sync(): Promise<Replicated> {
    return mapAsyncErrors(() => this.inner.sync());
  }

  async reconnect(): Promise<void> {}

  close(): void {
    this.inner.close();
  }

  get closed(): boolean {
    return this.inner.closed;
  }

  get protocol(): string {
    return this.inner.protocol;
  }

  /** The replica's position (`sqld:<log_id>/<frame_no>`, `http:<g>/<n>`, `rev:<r>`), or null. */
  get position(): string | null {
    return this.inner.position ?? null;
  }

  /** Page bytes the replica holds. */
  get memoryBytes(): number {
    return this.inner.memoryBytes;
  }

  /** The newest position this client has seen, as a bookmark. */
  get bookmark(): string | null {
    return this.inner.bookmark ?? null;
  }

  /** A view over the same replica whose calls see at least `bookmark` and honour `maxLag`/`onStale`. */
  session(options: SessionOptions = {}): EdgeSession {
    mapErrors(() => this.inner.checkConsistency(options));
    return new EdgeSession(this.inner, this.intMode, { ...options });
  }

  /** Where reads were served and why, lag, syncs, bytes and memory (see the README). */
  stats(): Record<string, unknown> {
    return this.inner.stats();
  }

  /** A `Server-Timing` header value for the last call (where it was served, lag). */
  serverTiming(): string {
    return this.inner.serverTiming();
  }
}

/** Creates a client: an embedded replica (`url: "file:…"` or `":memory:"` with `syncUrl`) or a
 * remote-only client (`url: "libsql://…"`, `https:`, `http:`). No I/O happens until the first call. */
export function createClient(config: EdgeConfig): EdgeClient {
  if (typeof config !== "object" || config === null) {
    throw new TypeError("Expected client configuration as object, got " + typeof config);
  }
  const intMode = config.intMode ?? "number";
  if (intMode !== "number" && intMode !== "bigint" && intMode !== "string") {
    throw new TypeError(`Invalid value for intMode, expected "number", "bigint" or "string", got ${JSON.stringify(intMode)}`);
  }
  const inner = mapErrors(() => new (wasm().WasmClient)(config, config.fetch, config.waitUntil, config.clock));
  return new EdgeClient(inner, intMode);
}

export { LibsqlError };
export type { EdgeClient, EdgeSession };
