// The shared createClient suite inside workerd, with workerd's own fetch.
import { env } from "cloudflare:test";
import { it } from "vitest";
import * as api from "../../dist/init/workerd.js";
import { clientSuite } from "../js/suite/client.ts";

clientSuite(it, () => ({ api, primaryUrl: (env as { PRIMARY_URL: string }).PRIMARY_URL, fetch: (input, init) => fetch(input, init) }));
