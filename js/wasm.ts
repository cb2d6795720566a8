// The wasm instance: a runtime-specific loader (js/init/*) registers how to get the compiled
// module; the first call that needs wasm instantiates it with initSync. Nothing runs at module
// load (Workers forbid I/O at global scope; Deno/Node read the file lazily).
//
// A trap (WebAssembly.RuntimeError: a Rust panic under panic=abort, an out-of-memory abort) kills
// the instance. Every call into it runs through `guard`, so a trap, wherever it happens (in the
// call itself, or in a continuation JS runs later from a promise callback, seen through the
// global error events), rejects every call in flight with LibsqlError WASM_TRAP; the next call
// re-instantiates the module (wasm-bindgen's reset) and clients rebuild their Rust side (js/client.ts).
import * as glue from "./pkg/libsql_edge.js";
import { LibsqlError } from "./errors.js";

type Loader = () => WebAssembly.Module;

let loader: Loader | undefined;
let ready = false;
/** The isolate's memory budget as last configured (applied again to a new instance). */
let isolateBudget: number | null | undefined;
let trapped = false;
/** Counts instances: a client built on an older one rebuilds itself. */
export let generation = 0;
const inFlight = new Set<(e: unknown) => void>();

/** Called once by the runtime's init module. */
export function setWasmLoader(load: Loader): void {
  loader = load;
}

/** The initialised wasm exports (a new instance after a trap). */
export function wasm(): typeof glue {
  if (trapped) {
    glue.__wbg_reset_state();
    trapped = false;
  } else if (!ready) {
    if (loader === undefined) {
      throw new Error("libsql-edge: no wasm loader; import the package through its runtime entry");
    }
    glue.initSync({ module: loader() });
    ready = true;
  } else {
    return glue;
  }
  if (isolateBudget !== undefined) glue.configureIsolate(isolateBudget);
  return glue;
}

/** Options shared by every client of the isolate. */
export interface IsolateOptions {
  /** The most page bytes all replicas of this isolate hold together (default 64 MiB; `null`:
   * unlimited). Each client's own `memoryBudgetBytes` still caps that client. When a replica needs
   * room, the least recently used pages of partial replicas are evicted, whichever client's. */
  memoryBudgetBytes?: number | null;
}

/** Sets options shared by every client of the isolate (call it once, before creating clients). */
export function configure(options: IsolateOptions): void {
  if (options.memoryBudgetBytes === undefined) return;
  guardSync(() => wasm().configureIsolate(options.memoryBudgetBytes ?? null));
  isolateBudget = options.memoryBudgetBytes;
}

let memory: WebAssembly.Memory | undefined;
let memoryOf = -1;

/** The current buffer of the instance's linear memory (where packed results are left). */
export function wasmBuffer(): ArrayBuffer {
  if (memory === undefined || memoryOf !== generation) {
    memory = wasm().wasmMemory() as WebAssembly.Memory;
    memoryOf = generation;
  }
  return memory.buffer;
}

function isTrap(e: unknown): e is WebAssembly.RuntimeError {
  return e instanceof WebAssembly.RuntimeError;
}

/** Marks the instance dead and rejects every call in flight. */
function onTrap(e: WebAssembly.RuntimeError): LibsqlError {
  const error = new LibsqlError(
    `the WebAssembly instance trapped (${e.message}); calls in flight are cancelled and the next call starts a new instance`,
    "WASM_TRAP",
    undefined,
    undefined,
    e,
  );
  if (!trapped) {
    trapped = true;
    generation += 1;
  }
  const rejects = [...inFlight];
  inFlight.clear();
  for (const reject of rejects) reject(error);
  return error;
}

// A trap in a continuation reaches no caller: workerd and Deno report it as a global event.
const events = globalThis as { addEventListener?: (type: string, f: (e: any) => void) => void };
events.addEventListener?.("unhandledrejection", (event) => {
  if (isTrap(event.reason)) {
    onTrap(event.reason);
    event.preventDefault?.();
  }
});
events.addEventListener?.("error", (event) => {
  if (isTrap(event.error)) {
    onTrap(event.error);
    event.preventDefault?.();
  }
});

/** What a synchronous call into the wasm threw: a trap becomes WASM_TRAP (for hot paths that
 * call without a closure; `guardSync` otherwise). */
export function thrownBy(e: unknown): unknown {
  return isTrap(e) ? onTrap(e) : e;
}

/** Runs a synchronous call into the wasm; a trap becomes WASM_TRAP. */
export function guardSync<T>(call: () => T): T {
  try {
    return call();
  } catch (e) {
    throw isTrap(e) ? onTrap(e) : e;
  }
}

/** Runs an asynchronous call into the wasm; a trap anywhere while it is in flight rejects it. */
export function guard<T>(call: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cancel = (e: unknown) => reject(e);
    inFlight.add(cancel);
    const done = () => inFlight.delete(cancel);
    let promise: Promise<T>;
    try {
      promise = call();
    } catch (e) {
      if (isTrap(e)) onTrap(e);
      else reject(e);
      done();
      return;
    }
    promise.then(
      (v) => (done(), resolve(v)),
      (e) => (isTrap(e) ? onTrap(e) : reject(e), done()),
    );
  });
}

/** `fetch` for the wasm side: a response that arrives after the instance that asked for it died
 * is dropped (it would wake a Rust future that no longer exists). */
export function instanceFetch(f: unknown): (...args: unknown[]) => Promise<unknown> {
  return (...args) => {
    const asked = generation;
    const never = new Promise<never>(() => {});
    const call = f ?? globalThis.fetch;
    return (call as (...a: unknown[]) => Promise<unknown>)(...args).then(
      (r) => (asked === generation ? r : never),
      (e) => (asked === generation ? Promise.reject(e) : never),
    );
  };
}

/** TEST ONLY: traps the instance on purpose (at once, or in a later continuation). */
export function trapForTest(later: boolean): Promise<unknown> {
  return guard(() => wasm().testOnlyTrap(later));
}

export type { WasmClient, WasmLocalClient } from "./pkg/libsql_edge.js";
