// Decodes a result set that the wasm side packed into its memory (src/wasm/packed.rs documents
// the layout) in one pass: one boundary crossing per result instead of one per value. Only
// translation happens here; integers come out as bigint for the shim to apply intMode, as from
// the object path.
import type { Value } from "@libsql/core/api";

/** A result as the shim receives it from the wasm side (the object path has the same shape). */
export interface RawResult {
  columns: string[];
  columnTypes: string[];
  rows: Value[][];
  rowsAffected: number;
  lastInsertRowid: bigint | undefined;
  bookmark?: string | null;
}

const decoder = new TextDecoder();

/** UTF-8 at `at` (`len` bytes); short ASCII without a TextDecoder call. */
function text(bytes: Uint8Array, at: number, len: number): string {
  if (len <= 32) {
    let s = "";
    for (let i = at; i < at + len; i++) {
      const b = bytes[i];
      if (b >= 0x80) return decoder.decode(bytes.subarray(at, at + len));
      s += String.fromCharCode(b);
    }
    return s;
  }
  return decoder.decode(bytes.subarray(at, at + len));
}

/** The packed result at `ptr` in `buffer` (the wasm memory's current buffer). */
export function unpack(buffer: ArrayBuffer, ptr: number): RawResult {
  const view = new DataView(buffer, ptr);
  const bytes = new Uint8Array(buffer, ptr, view.getUint32(0, true));
  const ncols = view.getUint32(4, true);
  const nrows = view.getUint32(8, true);
  const rowsAffected = view.getFloat64(12, true);
  const lastInsertRowid = bytes[20] === 1 ? view.getBigInt64(21, true) : undefined;
  // The column section (after the values): each column's name and declared type, then the bookmark.
  let at = view.getUint32(29, true);
  const columns = new Array<string>(ncols);
  const columnTypes = new Array<string>(ncols);
  for (let i = 0; i < ncols; i++) {
    let len = view.getUint32(at, true);
    columns[i] = text(bytes, at + 4, len);
    at += 4 + len;
    len = view.getUint32(at, true);
    columnTypes[i] = text(bytes, at + 4, len);
    at += 4 + len;
  }
  const bookmarkLen = view.getUint32(at, true);
  const bookmark = bookmarkLen === 0xffffffff ? null : text(bytes, at + 4, bookmarkLen);
  at = 33;
  const rows = new Array<Value[]>(nrows);
  for (let r = 0; r < nrows; r++) {
    const values = new Array<Value>(ncols);
    for (let c = 0; c < ncols; c++) {
      const tag = bytes[at];
      at += 1;
      if (tag === 1) {
        values[c] = view.getBigInt64(at, true);
        at += 8;
      } else if (tag === 2) {
        values[c] = view.getFloat64(at, true);
        at += 8;
      } else if (tag === 3) {
        const len = view.getUint32(at, true);
        values[c] = text(bytes, at + 4, len);
        at += 4 + len;
      } else if (tag === 4) {
        const len = view.getUint32(at, true);
        values[c] = buffer.slice(ptr + at + 4, ptr + at + 4 + len);
        at += 4 + len;
      } else {
        values[c] = null;
      }
    }
    rows[r] = values;
  }
  return { columns, columnTypes, rows, rowsAffected, lastInsertRowid, bookmark };
}
