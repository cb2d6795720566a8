// The memory-bound suite inside workerd: its own test file, so its own isolate and wasm instance
// (wasm memory only grows; the bound is checked on this instance's high-water mark).
import { env } from "cloudflare:test";
import { it } from "vitest";
import * as api from "../../dist/init/workerd.js";
import { memorySuite } from "../js/suite/memory.ts";

const b = env as { BIG_PRIMARY_URL: string; BIG_TURSO_URL: string; NETEM_URL: string };
memorySuite((name, fn) => it(name, fn, 120_000), () => ({
  api,
  fetch: (input, init) => fetch(input, init),
  primaryUrl: b.BIG_PRIMARY_URL,
  tursoUrl: b.BIG_TURSO_URL,
  netemUrl: b.NETEM_URL,
}));
