// Partial replicas in Deno (wasm memory is shared with the other suites of the process: not checked).
import * as api from "../../dist/init/deno.js";
import { partialSuite } from "../js/suite/partial.ts";

const tursoUrl = Deno.env.get("PARTIAL_TURSO_URL");
const primaryUrl = Deno.env.get("PARTIAL_PRIMARY_URL");
if (!tursoUrl || !primaryUrl) throw new Error("PARTIAL_TURSO_URL / PARTIAL_PRIMARY_URL are not set: run tests/deno/run.sh");
partialSuite((name, fn) => Deno.test(name, fn), () => ({
  api,
  fetch: globalThis.fetch.bind(globalThis),
  tursoUrl,
  primaryUrl,
  checkWasmMemory: false,
}));
