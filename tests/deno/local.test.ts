// The local-database and wasm-trap suites in Deno.
import * as api from "../../dist/init/deno.js";
import { trapForTest } from "../../dist/wasm.js";
import { localSuite } from "../js/suite/local.ts";
import { trapSuite } from "../js/suite/trap.ts";

const primaryUrl = Deno.env.get("PRIMARY_URL");
if (!primaryUrl) throw new Error("PRIMARY_URL is not set: run tests/deno/run.sh (it starts a dev primary)");

const register = (name: string, fn: () => Promise<void>) => Deno.test(name, fn);
const ctx = () => ({ api, trapForTest, primaryUrl, fetch: globalThis.fetch.bind(globalThis) });
localSuite(register, ctx);
trapSuite(register, ctx);
