// The tursodb suite inside workerd: the replica syncs from the real `tursodb --sync-server`.
import { env } from "cloudflare:test";
import { it } from "vitest";
import * as api from "../../dist/init/workerd.js";
import { tursodbSuite } from "../js/suite/tursodb.ts";

const bindings = env as { PRIMARY_URL: string; TURSO_URL: string };
tursodbSuite(it, () => ({ api, primaryUrl: bindings.PRIMARY_URL, tursoUrl: bindings.TURSO_URL, fetch: (input, init) => fetch(input, init) }));
