// Shared by the benchmark drivers (benches/sync, benches/workerd): child processes that print
// their URL first (dev primary, netem), a tursodb sync server, Hrana writes for seeding,
// statistics, and the JSON-lines output bench:report reads. Only 127.0.0.1 is ever contacted;
// every child is killed when the driver exits.
import { spawn } from "node:child_process";
import { appendFileSync, mkdirSync } from "node:fs";
import { createServer, connect } from "node:net";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

const children = new Set();
export function killAll() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}
process.on("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));

/** Gives up (exit 1) after `minutes`, whatever is running. */
export function deadline(name, minutes) {
  setTimeout(() => {
    console.error(`${name}: gave up after ${minutes} minutes`);
    process.exit(1);
  }, minutes * 60_000).unref();
}

/** Spawns a child that is killed when this process exits; keeps the tail of its stderr. */
export function start(cmd, argv, opts = {}) {
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"], ...opts });
  children.add(child);
  child.on("error", (e) => {
    console.error(`${cmd}: ${e.message}`);
    process.exit(1);
  });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  child.stderrText = () => stderr;
  child.once("exit", () => children.delete(child));
  return child;
}

export async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await Promise.race([exited, sleep(5000)]);
}

/** Starts a server whose first stdout line is its URL (dev primary, netem); returns {child, url}. */
export async function startWithUrl(bin, argv) {
  const child = start(bin, argv);
  const lines = createInterface({ input: child.stdout });
  const url = await Promise.race([
    new Promise((resolve) => lines.once("line", resolve)),
    new Promise((_, reject) => child.once("exit", (code) => reject(new Error(`${bin} exited (${code}): ${child.stderrText()}`)))),
    sleep(30_000).then(() => {
      throw new Error(`${bin} did not print its URL within 30 s`);
    }),
  ]);
  lines.on("line", () => {});
  if (!/^http:\/\/127\.0\.0\.1:\d+\/?$/.test(url.trim())) throw new Error(`unexpected URL from ${bin}: ${url}`);
  return { child, url: url.trim().replace(/\/$/, "") };
}

/** A release dev primary on a fresh data directory under `dir`. */
export function startPrimary(bin, dir, extra = []) {
  mkdirSync(dir, { recursive: true });
  return startWithUrl(bin, ["--db", join(dir, "db"), "--listen", "127.0.0.1:0", ...extra]);
}

/** A netem proxy in front of `upstream` with this shape ({rttMs, bandwidthMbit}). */
export function startNetem(bin, upstream, shape) {
  return startWithUrl(bin, [
    "--upstream",
    upstream,
    "--rtt-ms",
    String(shape.rttMs ?? 0),
    "--bandwidth-mbit",
    String(shape.bandwidthMbit ?? 0),
  ]);
}

/** netem's counters (GET /__netem/stats). */
export async function netemStats(url) {
  const res = await fetch(`${url}/__netem/stats`);
  return res.json();
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on loopback `port`. */
export function accepts(port) {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** A real `tursodb --sync-server` (the npm-installed 0.7.0) over a fresh database under `dir`. */
export async function startTursodb(dir) {
  mkdirSync(dir, { recursive: true });
  const bin = join(root, "node_modules/@tursodatabase/cli-linux-x64-gnu/tursodb");
  const port = await freePort();
  const child = start(bin, [join(dir, "db"), "--sync-server", `127.0.0.1:${port}`]);
  child.stdout.on("data", () => {});
  for (let i = 0; i < 500; i++) {
    if (await accepts(port)) return { child, url: `http://127.0.0.1:${port}` };
    if (child.exitCode !== null) throw new Error(`tursodb exited: ${child.stderrText()}`);
    await sleep(20);
  }
  throw new Error("tursodb did not listen within 10 s");
}

/** Runs statements over Hrana /v2/pipeline; `close: false` for tursodb (it rejects close). */
export async function pipeline(url, sqls, { close = true } = {}) {
  const requests = sqls.map((sql) => ({ type: "execute", stmt: { sql } }));
  if (close) requests.push({ type: "close" });
  const res = await fetch(`${url}/v2/pipeline`, {
    method: "POST",
    body: JSON.stringify({ baton: null, requests }),
    headers: { "content-type": "application/json" },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`pipeline ${res.status}: ${text.slice(0, 500)}`);
  const results = JSON.parse(text).results;
  for (const r of results) if (r.type !== "ok") throw new Error(`pipeline error: ${JSON.stringify(r).slice(0, 500)}`);
  return results.slice(0, sqls.length).map((r) => r.response.result);
}

// ---- statistics ----
export const sortNum = (xs) => [...xs].sort((a, b) => a - b);
export const pct = (xs, p) => {
  const s = sortNum(xs);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
export const median = (xs) => pct(xs, 50);
export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
export const fmtMs = (ms) =>
  ms === undefined || Number.isNaN(ms) ? "-" : ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(ms < 100 ? 2 : 1)} ms`;
export const ratio = (a, b) => (b > 0 && a !== undefined ? `${(a / b).toFixed(2)}x` : "-");
export const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
export const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;

/** An integer knob from the environment within 1..max. */
export function knob(name, dflt, max) {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`${name} must be an integer in 1..${max}`);
  return v;
}

/** A list knob ("a,b,c") from the environment, each item checked against `allowed` if given. */
export function listKnob(name, dflt, allowed) {
  const items = String(process.env[name] ?? dflt)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const i of items) if (allowed && !allowed.includes(i)) throw new Error(`${name}: ${i} is not one of ${allowed.join(", ")}`);
  return items;
}

/** The network shapes a bench runs on: loopback (no proxy) and/or shaped (through netem). */
export function networks() {
  const rttMs = Number(process.env.BENCH_RTT_MS ?? 40);
  const bandwidthMbit = Number(process.env.BENCH_BANDWIDTH_MBIT ?? 100);
  return listKnob("BENCH_NETS", "loopback,shaped", ["loopback", "shaped"]).map((name) =>
    name === "loopback"
      ? { name, label: "loopback", rttMs: 0, bandwidthMbit: 0 }
      : { name, label: `${rttMs} ms RTT, ${bandwidthMbit} Mbit/s (netem)`, rttMs, bandwidthMbit },
  );
}

/** Appends one JSON line to $BENCH_JSON (when set), stamped with the command and the date. */
export function emit(command, record) {
  const file = process.env.BENCH_JSON;
  if (!file) return;
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, JSON.stringify({ command, date: new Date().toISOString(), ...record }) + "\n");
}
