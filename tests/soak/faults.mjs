// The soak's fault schedule, drawn from the seed before the run starts (so a seed names one
// schedule; when each fault meets a request still depends on timing). Kinds:
//   net      a libsql-edge-netem rule on the proxy in front of the dev primary or tursodb: dropped
//            mid-body, truncated (honest or lying Content-Length), delayed, stalled past the
//            deadline, 5xx / 429 (sometimes after forwarding), reset before or mid-body, endless;
//   kill     the dev primary killed with -9 and restarted on the same port after a pause;
//   tursodb  tursodb killed with -9 and restarted likewise;
//   clear    every netem rule removed.
// Log compaction (NEED_SNAPSHOT) and new HTTP-sync generations come from the dev primary's own
// --max-log-size / --checkpoint-frames under the writer's load, and from its restarts.

/** A small seeded generator (splitmix32): `rand()` in [0, 1). */
export function generator(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

const PRIMARY_PATHS = [
  "/wal_log.ReplicationLog/BatchLogEntries",
  "/wal_log.ReplicationLog/Snapshot",
  "/wal_log.ReplicationLog/Hello",
  "/export/",
  "/sync/",
  "/info",
  "/v2/pipeline",
  "/v3/pipeline",
  null,
];
const TURSO_PATHS = ["/pull-updates", "/v2/pipeline", null];

/** One netem rule (text form), for a request within `timeoutMs` deadlines. */
function netRule(rand, paths, timeoutMs) {
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const kinds = [
    () => `kind=drop after=${int(0, 3000)}`,
    () => `kind=truncate after=${int(0, 2000)} lie=${rand() < 0.5}`,
    () => `kind=delay ms=${int(100, 2000)}`,
    () => `kind=stall after=${int(0, 2000)} ms=${timeoutMs + 3000}`,
    () => `kind=status status=${pick([500, 502, 503, 429])} forward=${rand() < 0.3}`,
    () => (rand() < 0.5 ? "kind=reset" : `kind=reset after=${int(0, 2000)}`),
    () => `kind=endless limit=${32 << 20}`,
  ];
  const path = pick(paths);
  return `${pick(kinds)()} count=${int(1, 4)} every=${int(1, 3)}${path ? ` path=${path}` : ""}`;
}

/** The whole schedule for a run of `durationMs`: [{at, kind, ...}] sorted by `at`. At least two
 * kills of the dev primary and two tursodb restarts, at fixed fractions of the run. */
export function schedule(seed, durationMs, timeoutMs) {
  const rand = generator(seed ^ 0x5eed);
  const events = [];
  for (let at = 2000 + rand() * 1000; at < durationMs - 4000; at += 700 + rand() * 1800) {
    const r = rand();
    if (r < 0.45) events.push({ at, kind: "net", target: "primary", rule: netRule(rand, PRIMARY_PATHS, timeoutMs) });
    else if (r < 0.75) events.push({ at, kind: "net", target: "turso", rule: netRule(rand, TURSO_PATHS, timeoutMs) });
    else if (r < 0.85) events.push({ at, kind: "kill", downMs: 200 + Math.floor(rand() * 1300) });
    else if (r < 0.93) events.push({ at, kind: "tursodb", downMs: 200 + Math.floor(rand() * 1300) });
    else events.push({ at, kind: "clear" });
  }
  for (const f of [0.3, 0.7]) events.push({ at: durationMs * f, kind: "kill", downMs: 800 });
  for (const f of [0.5, 0.85]) events.push({ at: durationMs * f, kind: "tursodb", downMs: 800 });
  return events.sort((a, b) => a.at - b.at);
}
