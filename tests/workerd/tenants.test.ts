// Many tenants in one workerd isolate (its own test file: its own wasm instance).
import { env } from "cloudflare:test";
import { it } from "vitest";
import * as api from "../../dist/init/workerd.js";
import { tenantsSuite } from "../js/suite/tenants.ts";

const b = env as { PARTIAL_PRIMARY_URL: string };
tenantsSuite((name, fn) => it(name, fn, 600_000), () => ({
  api,
  fetch: (input, init) => fetch(input, init),
  primaryUrl: b.PARTIAL_PRIMARY_URL,
  tenants: 200,
}));
