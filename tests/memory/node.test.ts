// The memory-bound suite on the package's Node entry (one process, one fresh wasm instance).
import { test } from "node:test";
import * as api from "../../dist/init/node.js";
import { memorySuite } from "../js/suite/memory.ts";

const { BIG_PRIMARY_URL, BIG_TURSO_URL, NETEM_URL } = process.env;
if (!BIG_PRIMARY_URL || !BIG_TURSO_URL || !NETEM_URL) throw new Error("run tests/memory/run.sh (it starts the servers)");

memorySuite((name, fn) => test(name, fn), () => ({
  api,
  fetch: globalThis.fetch.bind(globalThis),
  primaryUrl: BIG_PRIMARY_URL,
  tursoUrl: BIG_TURSO_URL,
  netemUrl: NETEM_URL,
}));
