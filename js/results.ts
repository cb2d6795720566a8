// Statements and results across the boundary: arguments converted the way @libsql/client sends
// them (Hrana rules for a remote or replica client, the local client's rules for a local database),
// and the wasm side's results built into @libsql/client's ResultSet with a non-enumerable bookmark.
import type { InArgs, InStatement, IntMode, ResultSet, Row, Value } from "@libsql/core/api";
import { ResultSetImpl } from "@libsql/core/util";
import { buildRow, intValue, rowKeys } from "./rows.js";

/** A result as the wasm side's object path gives it (integers as bigint). */
export interface RawResult {
  columns: string[];
  columnTypes: string[];
  rows: Value[][];
  rowsAffected: number;
  lastInsertRowid: bigint | undefined;
  bookmark?: string | null;
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

/** One argument as the local (sqlite3/libsql) @libsql/client binds it: booleans follow intMode,
 * a Date is its epoch milliseconds, and only numbers, strings, bigints, buffers and null pass. */
function localArgument(v: unknown, intMode: IntMode): unknown {
  if (typeof v === "number" && !Number.isFinite(v)) {
    throw new RangeError("Only finite numbers (not Infinity or NaN) can be passed as arguments");
  }
  if (typeof v === "bigint" && (v < -(2n ** 63n) || v >= 2n ** 63n)) {
    throw new RangeError("bigint is too large to be represented as a 64-bit integer and passed as argument");
  }
  if (typeof v === "boolean") return intMode === "bigint" ? BigInt(v) : intMode === "string" ? (v ? "1" : "0") : +v;
  if (v instanceof Date) return v.valueOf();
  if (v === undefined) throw new TypeError("undefined cannot be passed as argument to the database");
  if (v === null || ["number", "bigint", "string"].includes(typeof v) || v instanceof ArrayBuffer || v instanceof Uint8Array) return v;
  throw new Error("SQLite3 can only bind numbers, strings, bigints, buffers, and null");
}

/** How a client converts arguments: null for a remote or replica client (Hrana rules). */
export type LocalRules = IntMode | null;

function inArgs(a: InArgs | undefined, local: LocalRules): InArgs | undefined {
  if (a === undefined || a === null) return a;
  const one = (v: unknown) => (local === null ? argument(v) : localArgument(v, local));
  if (Array.isArray(a)) return a.map(one) as InArgs;
  if (typeof a === "object") {
    return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, one(v)])) as InArgs;
  }
  return a;
}

export function statement(s: InStatement, local: LocalRules): { sql: string; args?: InArgs } {
  if (typeof s === "string") return { sql: s };
  if (typeof s === "object" && s !== null && typeof s.sql === "string") return { sql: s.sql, args: inArgs(s.args, local) };
  throw new TypeError("A statement must be a string or an object with `sql` and optional `args`");
}

export function resultSet(raw: RawResult, intMode: IntMode, local: LocalRules): EdgeResultSet {
  const keys = rowKeys(raw.columns);
  const rows = raw.rows.map((values) => buildRow(keys, values.map((v) => intValue(v, intMode, local !== null)), values.length));
  return edgeResultSet(raw.columns, raw.columnTypes, rows, raw.rowsAffected, raw.lastInsertRowid, raw.bookmark ?? null);
}

/** The ResultSet of a call: @libsql/client's, plus a non-enumerable `bookmark`. */
export function edgeResultSet(columns: string[], columnTypes: string[], rows: Row[], rowsAffected: number, lastInsertRowid: bigint | undefined, bookmark: string | null): EdgeResultSet {
  const rs = new ResultSetImpl(columns, columnTypes, rows, rowsAffected, lastInsertRowid);
  return Object.defineProperty(rs, "bookmark", { value: bookmark }) as EdgeResultSet;
}

