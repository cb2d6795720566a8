// workerd (Cloudflare Workers): the .wasm is a static import, which workerd (wrangler's CompiledWasm
// rule) hands over as an already compiled WebAssembly.Module; compiling bytes at runtime is
// forbidden there. Instantiation waits for the first call.
import wasmModule from "../pkg/libsql_edge_bg.wasm";
import { setWasmLoader } from "../wasm.js";

setWasmLoader(() => wasmModule);

export * from "../index.js";
