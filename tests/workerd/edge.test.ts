// The edge suite (cold starts, single flight, maxLag, bookmarks, deadlines, stats) inside workerd.
import { env } from "cloudflare:test";
import { it } from "vitest";
import * as api from "../../dist/init/workerd.js";
import { edgeSuite } from "../js/suite/edge.ts";

const bindings = env as { PRIMARY_URL: string; TURSO_URL: string };
edgeSuite(it, () => ({ api, primaryUrl: bindings.PRIMARY_URL, tursoUrl: bindings.TURSO_URL, fetch: (input, init) => fetch(input, init) }));
