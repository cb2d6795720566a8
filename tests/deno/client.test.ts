// The shared createClient suite in Deno, with Deno's fetch.
import * as api from "../../dist/init/deno.js";
import { clientSuite } from "../js/suite/client.ts";

const primaryUrl = Deno.env.get("PRIMARY_URL");
if (!primaryUrl) throw new Error("PRIMARY_URL is not set: run tests/deno/run.sh (it starts a dev primary)");

clientSuite((name, fn) => Deno.test(name, fn), () => ({ api, primaryUrl, fetch: globalThis.fetch.bind(globalThis) }));
