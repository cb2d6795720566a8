// The package entry shared by every runtime (js/init/* register the wasm loader and re-export
// this): createClient and the error classes.
export { LibsqlBatchError, LibsqlError } from "./errors.js";
export { createClient } from "./client.js";
export { configure } from "./wasm.js";
export type { IsolateOptions } from "./wasm.js";
export type { EdgeConfig } from "./client.js";
