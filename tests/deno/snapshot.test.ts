// The snapshot tier in Deno, with Deno's Cache API and a plain get/put object.
import * as api from "../../dist/init/deno.js";
import { MapStore, snapshotSuite } from "../js/suite/snapshot.ts";

const primaryUrl = Deno.env.get("PRIMARY_URL");
if (!primaryUrl) throw new Error("PRIMARY_URL is not set: run tests/deno/run.sh");
let n = 0;
snapshotSuite((name, fn) => Deno.test(name, fn), () => ({
  api,
  primaryUrl,
  fetch: globalThis.fetch.bind(globalThis),
  stores: [
    { name: "caches.open", open: async () => caches.open(`libsql-edge-${Date.now()}-${n++}`) },
    { name: "get/put object", open: async () => new MapStore() },
  ],
}));
