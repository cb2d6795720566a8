// The soak's servers, each restartable on the same port so the URLs the Worker holds (the netem
// proxies in front) stay valid: the dev primary (killed with -9 and restarted over the same data
// directory), tursodb --sync-server (likewise), a netem proxy in front of each, and one
// `workerd serve` process on the bundled Worker. Every child dies with the driver (harness.mjs).
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { accepts, freePort, root, start, startWithUrl, stop } from "../../benches/lib/harness.mjs";
import { serve } from "../rust-worker/workerd.mjs";

/** Starts `make()` until it works (a port just freed by a killed process may take a moment). */
async function retrying(what, make) {
  let last;
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      return await make();
    } catch (e) {
      last = e;
      await sleep(100);
    }
  }
  throw new Error(`${what} did not start: ${last?.message ?? last}`);
}

/** The dev primary over `dir`, compacting its log past `maxLogMb` and checkpointing (a new HTTP-sync
 * generation) every `checkpointFrames` frames. */
export class DevPrimary {
  constructor(bin, dir, { maxLogMb, checkpointFrames }) {
    this.bin = bin;
    this.args = ["--db", join(dir, "db"), "--max-log-size", String(maxLogMb), "--checkpoint-frames", String(checkpointFrames)];
    this.port = 0;
    this.child = null;
    this.starts = 0;
  }
  async start() {
    const { child, url } = await retrying("dev primary", () => startWithUrl(this.bin, [...this.args, "--listen", `127.0.0.1:${this.port}`]));
    this.child = child;
    this.url = url;
    this.port = Number(new URL(url).port);
    this.starts++;
  }
  /** SIGKILL: no clean shutdown, the log and WAL are recovered at the next start. */
  async kill() {
    if (this.child) await stop(this.child);
    this.child = null;
  }
  get up() {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }
}

/** `tursodb <dir>/db --sync-server 127.0.0.1:<port>` (the npm-installed 0.7.0). */
export class Tursodb {
  constructor(dir) {
    this.bin = join(root, "node_modules/@tursodatabase/cli-linux-x64-gnu/tursodb");
    mkdirSync(dir, { recursive: true });
    this.db = join(dir, "db");
    this.port = 0;
    this.child = null;
    this.starts = 0;
  }
  async start() {
    if (this.port === 0) this.port = await freePort();
    await retrying("tursodb", async () => {
      const child = start(this.bin, [this.db, "--sync-server", `127.0.0.1:${this.port}`]);
      child.stdout.on("data", () => {});
      for (let i = 0; i < 200; i++) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`tursodb exited: ${child.stderrText()}`);
        if (await accepts(this.port)) {
          this.child = child;
          return;
        }
        await sleep(25);
      }
      await stop(child);
      throw new Error("tursodb did not listen within 5 s");
    });
    this.url = `http://127.0.0.1:${this.port}`;
    this.starts++;
  }
  async kill() {
    if (this.child) await stop(this.child);
    this.child = null;
  }
  get up() {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }
}

/** A netem proxy in front of `upstream` (no shaping; faults are set at runtime). */
export async function startNetem(bin, upstream) {
  return startWithUrl(bin, ["--upstream", upstream]);
}

/** `workerd serve` on the wrangler bundle in `bundle`, with text bindings; outbound network
 * restricted to loopback (the helper tests/rust-worker and benches/rust-worker use). */
export async function startWorkerd(bundle, bindings) {
  const files = readdirSync(bundle).filter((f) => f.endsWith(".js"));
  const main = files.find((f) => f === "worker.js") ?? files[0];
  if (!main) throw new Error(`no .js in the bundle ${bundle}`);
  const { child, urls } = await serve([{ name: "soak", dir: bundle, entry: main, bindings }], bundle);
  return { child, base: urls.soak };
}
