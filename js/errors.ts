// The only error mapping in JS: error objects from the wasm boundary ({code, message, extendedCode,
// rawCode}, made by src/wasm/convert.rs) become LibsqlError. LibsqlError is imported at runtime
// from @libsql/core/api so `instanceof LibsqlError` holds for code written against @libsql/client.
import { LibsqlBatchError, LibsqlError } from "@libsql/core/api";

export { LibsqlBatchError, LibsqlError };

interface WasmError {
  code: string;
  message: string;
  extendedCode?: string;
  rawCode?: number;
  statementIndex?: number;
}

function isWasmError(e: unknown): e is WasmError {
  return typeof e === "object" && e !== null && !(e instanceof Error) &&
    typeof (e as WasmError).code === "string" && typeof (e as WasmError).message === "string";
}

/** A wasm error object as LibsqlError; anything else (TypeError, RangeError) unchanged. */
export function toLibsqlError(e: unknown): unknown {
  if (isWasmError(e)) {
    if (typeof e.statementIndex === "number") {
      return new LibsqlBatchError(e.message, e.statementIndex, e.code, e.extendedCode, e.rawCode);
    }
    return new LibsqlError(e.message, e.code, e.extendedCode, e.rawCode);
  }
  return e;
}

/** Runs `f`, rethrowing its errors through toLibsqlError. */
export function mapErrors<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw toLibsqlError(e);
  }
}

/** Awaits `p`, rethrowing its rejection through toLibsqlError. */
export async function mapAsyncErrors<T>(p: () => Promise<T>): Promise<T> {
  try {
    return await p();
  } catch (e) {
    throw toLibsqlError(e);
  }
}
