// The snapshot tier inside workerd, with Miniflare's Cache API (caches.default and a named cache)
// and an R2 bucket, and a plain get/put object.
import { env } from "cloudflare:test";
import { it } from "vitest";
import * as api from "../../dist/init/workerd.js";
import { MapStore, snapshotSuite } from "../js/suite/snapshot.ts";

const bindings = env as { PRIMARY_URL: string; SNAPSHOTS: unknown };
let n = 0;
snapshotSuite(it, () => ({
  api,
  primaryUrl: bindings.PRIMARY_URL,
  fetch: (input, init) => fetch(input, init),
  stores: [
    { name: "caches.default", open: async () => caches.default },
    { name: "caches.open", open: async () => caches.open(`libsql-edge-${n++}`) },
    { name: "R2", open: async () => bindings.SNAPSHOTS },
    { name: "get/put object", open: async () => new MapStore() },
  ],
}));
