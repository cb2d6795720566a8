// Serves built Workers with plain `workerd serve` (wrangler's own workerd binary): a capnp config
// with one service and one socket per Worker, text bindings for their variables, outbound network
// limited to loopback. Shared by tests/rust-worker/test.mjs and benches/rust-worker/drive.mjs.
import { readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, root, start, stop } from "../../benches/lib/harness.mjs";

export const workerdBin = (() => {
  const own = join(root, "node_modules/wrangler/node_modules/workerd/bin/workerd");
  return readdirSync(join(root, "node_modules/wrangler/node_modules")).includes("workerd") ? own : join(root, "node_modules/.bin/workerd");
})();

/** The modules of a bundle directory: the entry `.js` first, then every other `.js` and `.wasm`. */
function modules(dir, entry) {
  const files = readdirSync(dir).filter((f) => f.endsWith(".js") || f.endsWith(".mjs") || f.endsWith(".wasm"));
  if (!files.includes(entry)) throw new Error(`${entry} is not in ${dir}: ${files}`);
  return [entry, ...files.filter((f) => f !== entry)].map((f) => ({ name: f, path: join(dir, f) }));
}

/**
 * Starts one workerd process serving `workers`: [{name, dir, entry, bindings: {NAME: text}}].
 * Returns {child, urls: {name: base URL}}; the config is written to `work`.
 */
export async function serve(workers, work) {
  const sockets = [];
  const services = [];
  const defs = [];
  const urls = {};
  for (const w of workers) {
    const port = await freePort();
    urls[w.name] = `http://127.0.0.1:${port}`;
    sockets.push(`(name = "${w.name}", address = "127.0.0.1:${port}", http = (), service = "${w.name}")`);
    services.push(`(name = "${w.name}", worker = .${w.name})`);
    const mods = modules(w.dir, w.entry).map(({ name, path }) => {
      const rel = relative(work, path);
      return name.endsWith(".wasm") ? `(name = "${name}", wasm = embed "${rel}")` : `(name = "${name}", esModule = embed "${rel}")`;
    });
    const bindings = Object.entries(w.bindings ?? {}).map(([k, v]) => `(name = "${k}", text = ${JSON.stringify(String(v))})`);
    defs.push(`const ${w.name} :Workerd.Worker = (
  modules = [${mods.join(", ")}],
  compatibilityDate = "2026-11-01",
  bindings = [${bindings.join(", ")}],
);`);
  }
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [${services.join(", ")}, (name = "internet", network = (allow = ["local", "private"], deny = []))],
  sockets = [${sockets.join(", ")}],
);
${defs.join("\n")}
`;
  const path = join(work, "workerd.capnp");
  writeFileSync(path, config);
  const child = start(workerdBin, ["serve", path, "--verbose"], { cwd: work });
  child.stdout.on("data", () => {});
  for (const url of Object.values(urls)) {
    for (let i = 0; ; i++) {
      try {
        await fetch(url + "/__ping__");
        break;
      } catch (e) {
        if (child.exitCode !== null) throw new Error(`workerd exited: ${child.stderrText()}`);
        if (i > 3000) throw new Error(`workerd did not listen: ${child.stderrText()}`);
        await sleep(10);
      }
    }
  }
  return { child, urls, stop: () => stop(child) };
}
