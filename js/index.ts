// The package entry shared by every runtime (js/init/* register the wasm loader and re-export
// this). For now it exposes the replica and its sync engine; createClient comes with the client.
import type { WasmReplica } from "./wasm.js";
import { wasm } from "./wasm.js";
import { mapAsyncErrors, mapErrors } from "./errors.js";

export { LibsqlBatchError, LibsqlError } from "./errors.js";
export { createClient } from "./client.js";
export type { EdgeConfig } from "./client.js";

/** A SQL value as the replica returns it. */
export type Value = null | string | number | bigint | ArrayBuffer;
/** A SQL value as the replica accepts it. */
export type InValue = Value | boolean | Uint8Array | Date;

export interface ReplicaOptions {
  /** Most page bytes the replica may hold (default 64 MiB). */
  memoryBudgetBytes?: number;
  /** SQLite page cache of the replica's connection, KiB. */
  cacheSizeKib?: number;
}

export interface SyncOptions {
  /** Base URL of the primary (`http:`, `https:`, `libsql:`). */
  url: string;
  /** `"sqld"` (default) or `"http-sync"`. */
  protocol?: "sqld" | "http-sync";
  authToken?: string;
  /** Per-request timeout, ms (default 30000). */
  timeoutMs?: number;
  /** The fetch to use (default `globalThis.fetch`). */
  fetch?: typeof fetch;
}

export interface SyncStats {
  protocol: string;
  /** Text form: `sqld:<log_id>/<frame_no>`, `http:<generation>/<frame_no>`. */
  position: string | null;
  framesSynced: number;
  pagesApplied: number;
  bytesReceived: number;
  roundTrips: number;
  durationMs: number;
}

export interface Rows {
  columns: string[];
  columnTypes: string[];
  rows: Value[][];
}

/** An in-memory read replica (temporary API until createClient). */
export class Replica {
  #inner: WasmReplica;

  constructor(options: ReplicaOptions = {}) {
    this.#inner = mapErrors(() => new (wasm().WasmReplica)(options));
  }

  /** Pulls from the primary until up to date. */
  sync(options: SyncOptions): Promise<SyncStats> {
    const { url, protocol, fetch, ...rest } = options;
    return mapAsyncErrors(() => this.#inner.sync(fetch, url, protocol, rest));
  }

  /** Runs one read-only statement locally. */
  query(sql: string, args?: InValue[]): Rows {
    return mapErrors(() => this.#inner.query(sql, args));
  }

  /** The replica's position, or null before the first sync. */
  get position(): string | null {
    return this.#inner.position ?? null;
  }

  /** Frees the wasm memory of the replica. */
  close(): void {
    this.#inner.free();
  }
}
