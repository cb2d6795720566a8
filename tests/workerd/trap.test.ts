// The wasm-trap suite inside workerd (a trap is triggered on purpose through the test-only export).
import { env } from "cloudflare:test";
import { it } from "vitest";
import * as api from "../../dist/init/workerd.js";
import { trapForTest } from "../../dist/wasm.js";
import { trapSuite } from "../js/suite/trap.ts";

trapSuite(it, () => ({ api, trapForTest, primaryUrl: (env as { PRIMARY_URL: string }).PRIMARY_URL, fetch: (input, init) => fetch(input, init) }));
