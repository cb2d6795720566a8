// The benches' workerd processes (bench:partial, bench:snapshot): a capnp config serving a wrangler
// bundle (`wrangler deploy --dry-run --outdir`) with text bindings and outbound network limited to
// loopback, a fresh `workerd serve` per isolate, and requests timed in the driver around each HTTP
// exchange (keep-alive, loopback).
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, start, stop } from "./harness.mjs";

/** Writes the config `bench-<name>.capnp` into the bundle directory (embed paths are relative),
 * with `bindings` ({NAME: text}) as text bindings; returns its path. */
export function writeConfig(bundle, name, bindings) {
  const files = readdirSync(bundle).filter((f) => f.endsWith(".js") || f.endsWith(".wasm"));
  const main = files.find((f) => f === "worker.js") ?? files.find((f) => f.endsWith(".js"));
  if (!main) throw new Error(`no .js in the bundle ${bundle}: ${files}`);
  const modules = [main, ...files.filter((f) => f !== main)].map((f) =>
    f.endsWith(".wasm") ? `(name = "${f}", wasm = embed "${f}")` : `(name = "${f}", esModule = embed "${f}")`,
  );
  const text = Object.entries(bindings).map(([name, value]) => `(name = "${name}", text = "${value}")`);
  const path = join(bundle, `bench-${name}.capnp`);
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

/** A fresh workerd process timed from spawn to its first answer to `path`, then stopped: {ms, body}. */
export async function coldStart(bin, config, cwd, path) {
  const w = await startWorkerd(bin, config, cwd);
  try {
    const { body, spawnMs } = await firstResponse(w, path);
    return { ms: spawnMs, body };
  } finally {
    await stop(w.child);
  }
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
