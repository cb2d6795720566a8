// The local-database suite inside workerd.
import { env } from "cloudflare:test";
import { it } from "vitest";
import * as api from "../../dist/init/workerd.js";
import { localSuite } from "../js/suite/local.ts";

localSuite(it, () => ({ api, primaryUrl: (env as { PRIMARY_URL: string }).PRIMARY_URL, fetch: (input, init) => fetch(input, init) }));
