// The shared replica suite inside workerd, with workerd's own fetch and the package as Workers load
// it (static .wasm import + initSync).
import { env } from "cloudflare:test";
import { it } from "vitest";
import * as api from "../../dist/init/workerd.js";
import { replicaSuite } from "../js/suite/replica.ts";

replicaSuite(it, () => ({ api, primaryUrl: (env as { PRIMARY_URL: string }).PRIMARY_URL, fetch: (input, init) => fetch(input, init) }));
