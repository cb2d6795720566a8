// Rows as @libsql/client builds them (rowFromSql / rowFromProto): hidden index properties and a
// hidden `length`, then one enumerable, writable, configurable property per column name, the first
// column of a repeated name winning. The property set and order, and every descriptor, are those of
// @libsql/client's one-by-one Object.defineProperty calls; only the construction is cheaper: which
// names become properties is worked out once per result, and names are plain assignments.
import type { IntMode, Row, Value } from "@libsql/core/api";

/** An integer (bigint from the wasm side) as `intMode` wants it. */
export function intValue(v: Value, intMode: IntMode, local: boolean): Value {
  if (typeof v !== "bigint") return v;
  if (intMode === "bigint") return v;
  if (intMode === "string") return "" + v;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) {
    throw new RangeError(`Received integer which ${local ? "cannot" : "is too large to"} be safely represented as a JavaScript number`);
  }
  return n;
}

/** Whether `name` is an own property of a row of `n` values before its names are added. */
function hiddenKey(name: string, n: number): boolean {
  if (name === "length") return true;
  // A canonical array index below n ("0", "1", ..., not "01" or "-0").
  return /^(0|[1-9][0-9]*)$/.test(name) && Number(name) < n;
}

/** For each column, the name its value is also stored under, or `undefined` when a row already
 * has that key (an index, `length`, an earlier column of the same name). */
export function rowKeys(columns: string[]): Array<string | undefined> {
  const n = columns.length;
  const keys = new Array<string | undefined>(n);
  for (let i = 0; i < n; i++) {
    const name = columns[i];
    keys[i] = name === undefined || hiddenKey(name, n) || keys.lastIndexOf(name, i - 1) !== -1 ? undefined : name;
  }
  return keys;
}

/** One reused descriptor: `{ value }` alone is non-writable, non-enumerable, non-configurable. */
const hidden: PropertyDescriptor = { value: undefined };

/** A row of the first `n` of `values` (already converted by intMode) under `keys` (`rowKeys`). */
export function buildRow(keys: Array<string | undefined>, values: Value[], n: number): Row {
  const r: Record<string | number, Value> = {};
  for (let i = 0; i < n; i++) {
    hidden.value = values[i];
    Object.defineProperty(r, i, hidden);
  }
  hidden.value = n;
  Object.defineProperty(r, "length", hidden);
  hidden.value = undefined;
  for (let i = 0; i < n; i++) {
    const key = keys[i];
    if (key === undefined) continue;
    // `__proto__` would set the prototype through assignment.
    if (key === "__proto__") Object.defineProperty(r, key, { value: values[i], enumerable: true, configurable: true, writable: true });
    else r[key] = values[i];
  }
  return r as unknown as Row;
}
