// Many tenants in Deno (the wasm memory is shared with the process's other suites, so the bound is
// generous there; workerd checks it in an instance of its own).
import * as api from "../../dist/init/deno.js";
import { tenantsSuite } from "../js/suite/tenants.ts";

const primaryUrl = Deno.env.get("PARTIAL_PRIMARY_URL");
if (!primaryUrl) throw new Error("PARTIAL_PRIMARY_URL is not set: run tests/deno/run.sh");
tenantsSuite((name, fn) => Deno.test(name, fn), () => ({
  api,
  fetch: globalThis.fetch.bind(globalThis),
  primaryUrl,
  tenants: 200,
}));
