// Node (and the default condition): reads the .wasm next to this module on the first call.
import { readFileSync } from "node:fs";
import { setWasmLoader } from "../wasm.js";

setWasmLoader(() => new WebAssembly.Module(readFileSync(new URL("../pkg/libsql_edge_bg.wasm", import.meta.url))));

export * from "../index.js";
