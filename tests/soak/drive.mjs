// The chaos soak inside workerd (run through tests/soak/run.sh, which builds what it needs):
//   node drive.mjs --primary BIN --netem BIN --bundle DIR --work DIR
//                  [--minutes 1.5] [--seed N] [--concurrency 12] [--timeout-ms 4000]
// 1. starts the dev primary (compacting its log past 1 MB, a new HTTP-sync generation every 256
//    frames) and tursodb --sync-server, a netem proxy in front of each, and one `workerd serve`
//    on tests/soak/worker.ts whose replicas (two per protocol) sync through the proxies;
// 2. for --minutes: a writer per primary (tests/soak/writer.mjs), --concurrency request loops
//    reading, writing and syncing through the Worker (load.mjs), and the seeded fault schedule
//    (faults.mjs): netem faults, the dev primary killed with -9 and restarted, tursodb restarted;
// 3. then: faults cleared, servers up, writers stopped; every replica syncs and must equal its
//    primary row for row and pass integrity_check;
// 4. prints the faults injected per kind, the reads checked and the violations, and exits 1 if
//    there is any violation.
// Checked continuously: the invariants of every read (no torn read), positions never going
// backwards within one history (history.ts, inside the isolate), read-your-writes and bookmarks,
// and that no call outlives its deadline (timed in the Worker and here, with generous slack).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { deadline } from "../../benches/lib/harness.mjs";
import { differences, primaryDump, rowCount } from "./compare.mjs";
import { generator, schedule } from "./faults.mjs";
import { ask, loop, Tally } from "./load.mjs";
import { DevPrimary, startNetem, startWorkerd, Tursodb } from "./servers.mjs";
import { execute, SETUP, Writer } from "./writer.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
for (const k of ["primary", "netem", "bundle", "work"]) {
  if (!args[k]) {
    console.error(`drive.mjs: --${k} is required (run tests/soak/run.sh)`);
    process.exit(2);
  }
}
const minutes = Number(args.minutes ?? 1.5);
const seed = args.seed !== undefined ? Number(args.seed) : Math.floor(Math.random() * 2 ** 31);
const concurrency = Number(args.concurrency ?? 12);
const timeoutMs = Number(args["timeout-ms"] ?? 4000);
for (const [name, v, max] of [["minutes", minutes, 24 * 60], ["seed", seed, 2 ** 32], ["concurrency", concurrency, 200], ["timeout-ms", timeoutMs, 60_000]]) {
  if (!Number.isFinite(v) || v <= 0 || v > max) throw new Error(`--${name} must be a positive number up to ${max}`);
}
const durationMs = minutes * 60_000;
deadline("soak", minutes + 10);
const PROTOCOLS = ["sqld", "http-sync", "pull-updates"];
const command = `npm run soak -- --minutes ${minutes} --seed ${seed}`;
console.log(`soak: seed ${seed}, ${minutes} min, ${concurrency} concurrent requests, deadline ${timeoutMs} ms per call (${command})`);

// ---- servers ---------------------------------------------------------------------------------
mkdirSync(args.work, { recursive: true });
const primary = new DevPrimary(args.primary, join(args.work, "primary"), { maxLogMb: 1, checkpointFrames: 256 });
const turso = new Tursodb(join(args.work, "tursodb"));
await primary.start();
await turso.start();
await execute(primary.url, SETUP);
await execute(turso.url, SETUP, { close: false });
const proxies = { primary: await startNetem(args.netem, primary.url), turso: await startNetem(args.netem, turso.url) };
// Rules that never fire (probability 0) but count the requests they match, kept first.
const COUNTERS = {
  primary: ["kind=drop probability=0 path=/wal_log.ReplicationLog/Snapshot", "kind=drop probability=0 path=/export/"],
  turso: [],
};
const counted = { "/wal_log.ReplicationLog/Snapshot": 0, "/export/": 0 };
async function setRules(target, rule) {
  const url = proxies[target].url;
  for (const r of await (await fetch(`${url}/__netem/rules`)).json()) {
    if (r.rule.probability === 0) counted[r.rule.path] += r.matched;
  }
  const res = await fetch(`${url}/__netem/rules`, { method: "PUT", body: [...COUNTERS[target], ...(rule ? [rule] : [])].join("\n") });
  if (!res.ok) throw new Error(`netem rules ${rule}: ${await res.text()}`);
}
await setRules("primary", null);
await setRules("turso", null);
const workerd = await startWorkerd(args.bundle, {
  PRIMARY_URL: proxies.primary.url,
  TURSO_URL: proxies.turso.url,
  TIMEOUT_MS: String(timeoutMs),
});

// ---- the run ---------------------------------------------------------------------------------
const writers = [
  new Writer("dev primary", primary.url, generator(seed ^ 0x1111)),
  new Writer("tursodb", turso.url, generator(seed ^ 0x2222), { close: false }),
];
const writing = writers.map((w) => w.run());
const tally = new Tally({ timeoutMs, workerSlackMs: 3000, driverSlackMs: 6000 });
const t0 = performance.now();
const running = () => performance.now() - t0 < durationMs;
const loops = Array.from({ length: concurrency }, (_, i) => loop(workerd.base, seed * 1000 + i, tally, running));

const injected = { kill: 0, tursodb: 0, clear: 0, rules: 0 };
let epoch = 0;
async function faults() {
  for (const ev of schedule(seed, durationMs, timeoutMs)) {
    const wait = ev.at - (performance.now() - t0);
    if (wait > 0) await sleep(wait);
    if (!running()) return;
    tally.fault(ev.kind === "net" ? `${ev.target}: ${ev.rule}` : ev.kind === "clear" ? "clear" : `${ev.kind} (down ${ev.downMs} ms)`);
    if (ev.kind === "net") {
      injected.rules++;
      await setRules(ev.target, ev.rule);
    } else if (ev.kind === "clear") {
      injected.clear++;
      await setRules("primary", null);
      await setRules("turso", null);
    } else if (ev.kind === "kill") {
      injected.kill++;
      await primary.kill();
      await sleep(ev.downMs);
      await primary.start();
    } else if (ev.kind === "tursodb") {
      injected.tursodb++;
      // Announced before tursodb goes away: its revisions may restart (see history.ts).
      await ask(workerd.base, `/epoch?n=${++epoch}`, "POST");
      await turso.kill();
      await sleep(ev.downMs);
      await turso.start();
    }
  }
}
const faulting = faults();
const progress = setInterval(() => {
  const s = Math.round((performance.now() - t0) / 1000);
  console.error(`soak: ${s} s: ${tally.requests} requests, ${tally.checks} checks, ${tally.violations.length} violations`);
}, 15_000);
await Promise.all(loops);
await faulting;
clearInterval(progress);

// ---- the end state ---------------------------------------------------------------------------
await setRules("primary", null);
await setRules("turso", null);
if (!primary.up) await primary.start();
if (!turso.up) await turso.start();
for (const w of writers) w.stop();
await Promise.all(writing);

const dumps = { primary: await primaryDump(primary.url, { close: true }), turso: await primaryDump(turso.url, { close: false }) };
for (const [name, d] of Object.entries(dumps)) {
  // The primaries themselves keep the invariants (else the writer is wrong, not the replicas).
  const ledger = d.tables.ledger.map((r) => ({ v: Number(r[1].slice(2)), last: Number(r[2].slice(2)) }));
  const n = Number(d.tables.meta[0][1].slice(2));
  const total = ledger.reduce((s, r) => s + r.v, 0);
  const maxLast = Math.max(...ledger.map((r) => r.last));
  if (total !== 0 || maxLast !== n) tally.violation(`${name} itself: total ${total}, max(last) ${maxLast}, meta.n ${n}`);
  // Every transaction the primary acknowledged survived its kills (meta.n counts transactions).
  const w = writers[name === "primary" ? 0 : 1];
  if (n < w.counts.committed || n > w.counts.committed + w.counts.unknown) {
    tally.violation(`${name}: meta.n ${n} after ${w.counts.committed} acknowledged and ${w.counts.unknown} unknown transactions (lost or invented commits)`);
  }
}
// Every write the Worker's clients got acknowledged is on its primary (through kills and restarts).
for (const [name, d] of Object.entries(dumps)) {
  const present = new Set((d.tables.ryw ?? []).map((r) => r[0].slice(2)));
  const lost = tally.acknowledged.filter((a) => (a.p === "pull-updates") === (name === "turso") && !present.has(a.token));
  if (lost.length > 0) tally.violation(`${name}: ${lost.length} acknowledged writes missing at the end, e.g. ${lost.slice(0, 3).map((a) => `${a.p} ${a.token}`).join(", ")}`);
}
const finals = [];
for (const p of PROTOCOLS) {
  for (const c of ["a", "b"]) {
    let answer;
    for (let attempt = 0; attempt < 30; attempt++) {
      answer = await ask(workerd.base, `/final?p=${p}&c=${c}`);
      tally.record("final", p, answer.ms, answer.status, answer.body);
      if (answer.body.ok) break;
      await sleep(500);
    }
    const b = answer.body;
    const truth = dumps[p === "pull-updates" ? "turso" : "primary"];
    if (!b.ok) {
      tally.violation(`${p}/${c}: no final sync in 30 attempts: ${JSON.stringify(b.error)}`);
      continue;
    }
    const diffs = differences(b, truth);
    if (b.localReads < 1 || b.position !== b.positionAfter) diffs.push(`the dump was not read from the replica (local reads ${b.localReads})`);
    for (const d of diffs) tally.violation(`${p}/${c} at the end: ${d}`);
    finals.push({ p, c, position: b.position, rows: rowCount(b), equal: diffs.length === 0, integrity: b.integrity.join(",") });
  }
}
const report = (await ask(workerd.base, "/report")).body.report ?? {};
const netem = { primary: await (await fetch(`${proxies.primary.url}/__netem/stats`)).json(), turso: await (await fetch(`${proxies.turso.url}/__netem/stats`)).json() };
await setRules("primary", null);

// ---- the report ------------------------------------------------------------------------------
const perKind = {};
for (const s of Object.values(netem)) for (const [k, v] of Object.entries(s.faults)) perKind[k] = (perKind[k] ?? 0) + v;
const list = (o) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(", ");
console.log(`soak: faults injected per kind: ${list(perKind)} (netem: ${netem.primary.faults_total} in front of the dev primary, ${netem.turso.faults_total} in front of tursodb; ${injected.rules} rules set, ${injected.clear} clears); 502s while a primary was down: ${netem.primary.upstream_errors + netem.turso.upstream_errors}`);
console.log(`soak: dev primary killed -9 and restarted: ${injected.kill}; tursodb killed -9 and restarted: ${injected.tursodb}; sqld Snapshot requests (NEED_SNAPSHOT after compaction): ${counted["/wal_log.ReplicationLog/Snapshot"]}; HTTP-sync /export requests (bootstraps, new generations): ${counted["/export/"]}`);
for (const w of writers) {
  console.log(`soak: writer ${w.name}: ${list(w.counts)}${w.errors.size ? `; ${[...w.errors].map(([k, v]) => `${v}x ${k}`).join("; ")}` : ""}`);
}
console.log(`soak: requests ${tally.requests} (${tally.ok} ok), per route: ${[...tally.perRoute].map(([k, v]) => `${k} ${v.ok}/${v.requests}`).join(", ")}`);
console.log(`soak: errors by code: ${[...tally.codes].map(([k, v]) => `${k} ${v.n}`).join(", ") || "none"}`);
for (const [k, v] of tally.codes) console.log(`soak:   ${k}: e.g. ${String(v.example).slice(0, 400)}`);
for (const [key, r] of Object.entries(report)) {
  const s = r.stats;
  console.log(
    `soak: replica ${key}: position ${r.history.last}, ${r.history.moves} moves in ${r.history.samples} samples, ${r.history.histories} histories, ${r.history.generations} generation changes; syncs ${JSON.stringify(s.syncs ?? {}).slice(0, 160)}; reads local ${s.reads?.local} remote ${s.reads?.remote}; wasm ${((s.wasmMemoryBytes ?? 0) / 2 ** 20).toFixed(1)} MiB`,
  );
}
for (const f of finals) console.log(`soak: end: ${f.p}/${f.c} at ${f.position}: ${f.rows} rows, ${f.equal ? "equal to the primary" : "DIFFERENT"}, integrity_check ${f.integrity}`);
const sec = (ms) => `${(ms / 1000).toFixed(1)} s`;
for (const n of tally.notable().slice(0, 20)) {
  console.log(`soak: notable at ${sec(n.t)}: ${n.text.slice(0, 600)}`);
  for (const f of n.before) console.log(`soak:     after ${sec(f.t)}: ${f.text}`);
}
console.log(`soak: isolates ${tally.isolates.size}; slowest request ${Math.round(tally.maxRequestMs)} ms, slowest call in the Worker ${tally.maxCallMs} ms (deadline ${timeoutMs} ms)`);
console.log(`soak: reads checked: ${tally.checks}; violations: ${tally.violations.length}`);
for (const v of tally.violations.slice(0, 50)) console.log(`soak:   ${v}`);
console.log(`soak: seed ${seed} (${command})`);
process.exit(tally.violations.length === 0 && finals.length === 6 ? 0 : 1);
