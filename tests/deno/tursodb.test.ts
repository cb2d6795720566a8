// The tursodb suite in Deno: the replica syncs from the real `tursodb --sync-server`.
import * as api from "../../dist/init/deno.js";
import { tursodbSuite } from "../js/suite/tursodb.ts";

const primaryUrl = Deno.env.get("PRIMARY_URL");
const tursoUrl = Deno.env.get("TURSO_URL");
if (!primaryUrl || !tursoUrl) throw new Error("PRIMARY_URL / TURSO_URL are not set: run tests/deno/run.sh");

tursodbSuite((name, fn) => Deno.test(name, fn), () => ({ api, primaryUrl, tursoUrl, fetch: globalThis.fetch.bind(globalThis) }));
