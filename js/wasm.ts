// The wasm instance: a runtime-specific loader (js/init/*) registers how to get the compiled
// module; the first call that needs wasm instantiates it with initSync. Nothing runs at module
// load (Workers forbid I/O at global scope; Deno/Node read the file lazily).
import * as glue from "./pkg/libsql_edge.js";

type Loader = () => WebAssembly.Module;

let loader: Loader | undefined;
let ready = false;
let exports: glue.InitOutput | undefined;

/** Called once by the runtime's init module. */
export function setWasmLoader(load: Loader): void {
  loader = load;
}

/** The initialised wasm exports. */
export function wasm(): typeof glue {
  if (!ready) {
    if (loader === undefined) {
      throw new Error("libsql-edge: no wasm loader; import the package through its runtime entry");
    }
    exports = glue.initSync({ module: loader() });
    ready = true;
  }
  return glue;
}

/** Internal (benchmarks): bytes of wasm linear memory, 0 before instantiation. Not public API. */
export function wasmMemoryBytes(): number {
  return exports?.memory.buffer.byteLength ?? 0;
}

export type { WasmClient } from "./pkg/libsql_edge.js";
