// The shared replica suite in Deno, with Deno's fetch and the package as Deno loads it (reads the
// .wasm next to the module; --allow-read).
import * as api from "../../dist/init/deno.js";
import { replicaSuite } from "../js/suite/replica.ts";

const primaryUrl = Deno.env.get("PRIMARY_URL");
if (!primaryUrl) throw new Error("PRIMARY_URL is not set: run tests/deno/run.sh (it starts a dev primary)");

replicaSuite((name, fn) => Deno.test(name, fn), () => ({ api, primaryUrl, fetch: globalThis.fetch.bind(globalThis) }));
