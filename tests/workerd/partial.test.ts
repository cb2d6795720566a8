// Partial replicas inside workerd: its own test file, so its own isolate and wasm instance (the
// wasm memory's high-water mark is checked after the first scenario).
import { env } from "cloudflare:test";
import { it } from "vitest";
import * as api from "../../dist/init/workerd.js";
import { partialSuite } from "../js/suite/partial.ts";

const b = env as { PARTIAL_TURSO_URL: string; PARTIAL_PRIMARY_URL: string };
partialSuite((name, fn) => it(name, fn, 180_000), () => ({
  api,
  fetch: (input, init) => fetch(input, init),
  tursoUrl: b.PARTIAL_TURSO_URL,
  primaryUrl: b.PARTIAL_PRIMARY_URL,
  checkWasmMemory: true,
}));
