// Deno: reads the .wasm next to this module (needs --allow-read) on the first call.
import { setWasmLoader } from "../wasm.js";

setWasmLoader(() => new WebAssembly.Module(Deno.readFileSync(new URL("../pkg/libsql_edge_bg.wasm", import.meta.url))));

export * from "../index.js";
