// The wasm instance: a runtime-specific loader (js/init/*) registers how to get the compiled
// module; the first call that needs wasm instantiates it with initSync. Nothing runs at module
// load (Workers forbid I/O at global scope; Deno/Node read the file lazily).
import * as glue from "./pkg/libsql_edge.js";

type Loader = () => WebAssembly.Module;

let loader: Loader | undefined;
let ready = false;

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
    glue.initSync({ module: loader() });
    ready = true;
  }
  return glue;
}

export type { WasmClient } from "./pkg/libsql_edge.js";
