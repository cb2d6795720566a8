// bench:partial's workerd processes: a capnp config serving the wrangler bundle (text bindings,
// outbound network limited to loopback), a fresh `workerd serve` per isolate, and requests timed
// in this driver around each HTTP exchange (keep-alive, loopback).
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, start, stop } from "../lib/harness.mjs";

/** Writes the config into the bundle directory (embed paths are relative) and returns its path. */
export function writeConfig(bundle, bindings) {
  const files = readdirSync(bundle).filter((f) => f.endsWith(".js") || f.endsWith(".wasm"));
  const main = files.find((f) => f === "worker.js") ?? files.find((f) => f.endsWith(".js"));
  if (!main) throw new Error(`no .js in the bundle ${bundle}: ${files}`);
  const modules = [main, ...files.filter((f) => f !== main)].map((f) =>
    f.endsWith(".wasm") ? `(name = "${f}", wasm = embed "${f}")` : `(name = "${f}", esModule = embed "${f}")`,
  );
  const text = Object.entries(bindings).map(([name, value]) => `(name = "${name}", text = "${value}")`);
  const path = join(bundle, "bench-partial.capnp");
  writeFileSync(
    path,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .bench), (name = "internet", network = (allow = ["local", "private"], deny = []))],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const bench :Workerd.Worker = (
  modules = [${modules.join(", ")}],
  compatibilityDate = "2026-11-01",
  bindings = [${text.join(", ")}],
);
`,
  );
  return path;
}

/** A fresh `workerd serve` (a new isolate): {child, base, t0 (spawn time)}. */
export async function startWorkerd(bin, config, cwd) {
  const port = await freePort();
  const t0 = performance.now();
  const child = start(bin, ["serve", config, "--socket-addr", `http=127.0.0.1:${port}`], { cwd });
  child.stdout.on("data", () => {});
  return { child, base: `http://127.0.0.1:${port}`, t0 };
}

/** GET `path` until the socket accepts (bounded): {body, spawnMs (spawn → answer)}. */
export async function firstResponse(w, path) {
  for (let attempt = 0; attempt < 20_000; attempt++) {
    try {
      const { body } = await timed(w, path);
      return { body, spawnMs: performance.now() - w.t0 };
    } catch (e) {
      if (e?.cause?.code !== "ECONNREFUSED") throw e;
      if (w.child.exitCode !== null) throw new Error(`workerd exited: ${w.child.stderrText()}`);
      await sleep(1);
    }
  }
  throw new Error(`workerd did not accept connections: ${w.child.stderrText()}`);
}

/** One GET timed around the whole exchange: {ms, body}; a non-2xx answer throws with its body. */
export async function timed(w, path) {
  const t0 = performance.now();
  const res = await fetch(w.base + path);
  const body = await res.json();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`${path.slice(0, 200)}: ${res.status} ${JSON.stringify(body)}`);
  return { ms, body };
}

/** Runs `fn(w)` in a fresh workerd process, always stopping it. */
export async function withWorkerd(bin, config, cwd, fn) {
  const w = await startWorkerd(bin, config, cwd);
  try {
    await firstResponse(w, "/ping");
    return await fn(w);
  } finally {
    await stop(w.child);
  }
}
