// The hostile-primary suite in Deno (tests/hostile/run.sh starts the servers).
import * as api from "../../dist/init/deno.js";
import { hostileSuite } from "../js/suite/hostile.ts";

const env = (name: string) => {
  const v = Deno.env.get(name);
  if (!v) throw new Error(`${name} is not set: run tests/hostile/run.sh (it starts the servers)`);
  return v;
};

hostileSuite((name, fn) => Deno.test(name, fn), () => ({
  api,
  fetch: globalThis.fetch.bind(globalThis),
  primaryUrl: env("PRIMARY_URL"),
  otherPrimaryUrl: env("OTHER_PRIMARY_URL"),
  tursoUrl: env("TURSO_URL"),
  otherTursoUrl: env("OTHER_TURSO_URL"),
}));
