// Decodes a result set that the wasm side packed into its memory (src/wasm/packed.rs documents
// the layout) in one pass, straight into @libsql/client's row objects (js/rows.ts): one boundary
// crossing per result instead of one per value. Only translation happens here.
import type { IntMode, Row, Value } from "@libsql/core/api";
import { buildRow, intValue, rowKeys } from "./rows.js";

/** A decoded result: rows already built, integers converted by intMode. */
export interface Unpacked {
  columns: string[];
  columnTypes: string[];
  rows: Row[];
  rowsAffected: number;
  lastInsertRowid: bigint | undefined;
  bookmark: string | null;
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

// The last bookmark decoded: consecutive local reads mostly carry the same one.
let lastBookmarkBytes = new Uint8Array(0);
let lastBookmark = "";

function bookmarkAt(bytes: Uint8Array, at: number, len: number): string {
  if (len === lastBookmarkBytes.length) {
    let same = true;
    for (let i = 0; i < len; i++) {
      if (bytes[at + i] !== lastBookmarkBytes[i]) {
        same = false;
        break;
      }
    }
    if (same) return lastBookmark;
  }
  lastBookmarkBytes = bytes.slice(at, at + len);
  lastBookmark = decoder.decode(lastBookmarkBytes);
  return lastBookmark;
}

/** Column names, declared types and row keys of a column section. */
interface Shape {
  columns: string[];
  columnTypes: string[];
  keys: Array<string | undefined>;
}

// The last column section decoded: consecutive reads of one statement repeat it.
let lastShapeBytes = new Uint8Array(0);
let lastShape: Shape = { columns: [], columnTypes: [], keys: [] };

function shapeAt(bytes: Uint8Array, from: number, to: number, ncols: number): Shape {
  if (to - from === lastShapeBytes.length && lastShape.columns.length === ncols) {
    let same = true;
    for (let i = from; i < to; i++) {
      if (bytes[i] !== lastShapeBytes[i - from]) {
        same = false;
        break;
      }
    }
    if (same) return lastShape;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const columns = new Array<string>(ncols);
  const columnTypes = new Array<string>(ncols);
  let at = from;
  for (let i = 0; i < ncols; i++) {
    let len = view.getUint32(at, true);
    columns[i] = text(bytes, at + 4, len);
    at += 4 + len;
    len = view.getUint32(at, true);
    columnTypes[i] = text(bytes, at + 4, len);
    at += 4 + len;
  }
  lastShapeBytes = bytes.slice(from, to);
  lastShape = { columns, columnTypes, keys: rowKeys(columns) };
  return lastShape;
}

// Values of the row being built (reused).
let scratch = new Array<Value>(16);

/** The packed result at `ptr` in `buffer` (the wasm memory's current buffer), with integers as
 * `intMode` wants them (`local`: the local client's wording of the range error). */
export function unpack(buffer: ArrayBuffer, ptr: number, intMode: IntMode, local: boolean): Unpacked {
  const view = new DataView(buffer, ptr);
  const bytes = new Uint8Array(buffer, ptr, view.getUint32(0, true));
  const ncols = view.getUint32(4, true);
  const nrows = view.getUint32(8, true);
  const rowsAffected = view.getFloat64(12, true);
  const lastInsertRowid = bytes[20] === 1 ? view.getBigInt64(21, true) : undefined;
  // The column section (after the values): each column's name and declared type, then the bookmark.
  const section = view.getUint32(29, true);
  let at = section;
  for (let i = 0; i < 2 * ncols; i++) at += 4 + view.getUint32(at, true); // names and types
  const shape = shapeAt(bytes, section, at, ncols);
  const bookmarkLen = view.getUint32(at, true);
  const bookmark = bookmarkLen === 0xffffffff ? null : bookmarkAt(bytes, at + 4, bookmarkLen);
  const { keys } = shape;
  const columns = shape.columns.slice();
  const columnTypes = shape.columnTypes.slice();
  if (scratch.length < ncols) scratch = new Array<Value>(ncols);
  const values = scratch;
  const rows = new Array<Row>(nrows);
  at = 33;
  for (let r = 0; r < nrows; r++) {
    for (let c = 0; c < ncols; c++) {
      const tag = bytes[at];
      at += 1;
      if (tag === 1) {
        values[c] = intValue(view.getBigInt64(at, true), intMode, local);
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
    rows[r] = buildRow(keys, values, ncols);
  }
  for (let c = 0; c < ncols; c++) values[c] = null;
  return { columns, columnTypes, rows, rowsAffected, lastInsertRowid, bookmark };
}
