// The edge suite (cold starts, single flight, maxLag, bookmarks, deadlines, stats) in Deno.
import * as api from "../../dist/init/deno.js";
import { edgeSuite } from "../js/suite/edge.ts";

const primaryUrl = Deno.env.get("PRIMARY_URL");
const tursoUrl = Deno.env.get("TURSO_URL");
if (!primaryUrl || !tursoUrl) throw new Error("PRIMARY_URL / TURSO_URL are not set: run tests/deno/run.sh");

edgeSuite((name, fn) => Deno.test(name, fn), () => ({ api, primaryUrl, tursoUrl, fetch: globalThis.fetch.bind(globalThis) }));
