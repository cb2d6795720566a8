// The soak's readers: concurrent request loops against the one `workerd serve` process, and the
// tally of what came back (checks, violations, error codes, deadlines).
import { generator } from "./faults.mjs";

const PROTOCOLS = ["sqld", "http-sync", "pull-updates"];
/** Codes a call may end with while the proxies inject faults and the primaries restart; any other
 * code is printed with the faults that preceded it. */
const FAULT_CODES = new Set([
  "SYNC_NETWORK",
  "SYNC_TIMEOUT",
  "SYNC_SERVER_ERROR",
  "SYNC_HTTP_STATUS",
  "SYNC_GRPC_STATUS",
  "SYNC_INVALID_RESPONSE",
  "RESPONSE_TOO_LARGE",
  "SERVER_ERROR",
]);

export class Tally {
  constructor({ timeoutMs, workerSlackMs, driverSlackMs }) {
    this.timeoutMs = timeoutMs;
    this.workerSlackMs = workerSlackMs;
    this.driverSlackMs = driverSlackMs;
    this.requests = 0;
    this.ok = 0;
    this.checks = 0;
    this.violations = [];
    this.codes = new Map();
    this.perRoute = new Map();
    this.isolates = new Set();
    this.maxRequestMs = 0;
    this.maxCallMs = 0;
    this.t0 = performance.now();
    /** [{t, fault: true, text}]: the faults applied and the notable answers, in time order. */
    this.timeline = [];
    /** Rows the Worker's writes put on a primary and got acknowledged: {p, token}. */
    this.acknowledged = [];
  }

  /** Notes a fault applied now (for the context of notable answers). */
  fault(text) {
    this.timeline.push({ t: performance.now() - this.t0, fault: true, text });
  }

  /** Notable answers, each with the faults of the 5 s before it. */
  notable() {
    return this.timeline
      .filter((e) => !e.fault)
      .map((e) => ({ ...e, before: this.timeline.filter((f) => f.fault && f.t <= e.t && f.t > e.t - 5000) }));
  }

  violation(text) {
    this.violations.push(text);
    if (this.violations.length <= 20) console.error(`soak: VIOLATION: ${text}`);
  }

  /** One answer of the Worker (or the driver's own failure to get one). */
  record(route, p, ms, status, body) {
    this.requests++;
    this.maxRequestMs = Math.max(this.maxRequestMs, ms);
    const key = `${route} ${p ?? ""}`.trim();
    const r = this.perRoute.get(key) ?? { requests: 0, ok: 0 };
    r.requests++;
    this.perRoute.set(key, r);
    if (String(body.error?.code).startsWith("DRIVER_")) this.violation(`${key}: no answer from workerd: ${body.error.message}`);
    if (status !== 200) this.violation(`${key}: workerd answered HTTP ${status}: ${JSON.stringify(body).slice(0, 200)}`);
    if (body.isolate) this.isolates.add(body.isolate);
    const run = body.run ?? {};
    this.checks += run.checks ?? 0;
    for (const v of run.violations ?? []) this.violation(v);
    const calls = Math.max(1, run.calls ?? 1);
    const callMs = run.maxCallMs ?? 0;
    this.maxCallMs = Math.max(this.maxCallMs, callMs);
    if (callMs > this.timeoutMs + this.workerSlackMs) {
      this.violation(`${key}: a call took ${callMs} ms in the Worker, deadline ${this.timeoutMs} ms`);
    }
    if (ms > calls * this.timeoutMs + this.driverSlackMs) {
      this.violation(`${key}: the request took ${Math.round(ms)} ms for ${calls} call(s), deadline ${this.timeoutMs} ms each`);
    }
    if (body.ok) {
      this.ok++;
      r.ok++;
    } else {
      if (!FAULT_CODES.has(body.error?.code)) {
        this.timeline.push({ t: performance.now() - this.t0, text: `${key}: ${body.error?.code}: ${body.error?.message}` });
      }
      const code = `${body.error?.code ?? "NO_ANSWER"} (${route} ${p ?? ""})`;
      const c = this.codes.get(code) ?? { n: 0, example: body.error?.message };
      c.n++;
      this.codes.set(code, c);
    }
  }
}

/** GET/POST `path` on the Worker; never throws (a driver-side failure is recorded as an answer). */
export async function ask(base, path, method = "GET") {
  const t0 = performance.now();
  let status = 0;
  let body;
  try {
    const res = await fetch(base + path, { method, signal: AbortSignal.timeout(120_000) });
    status = res.status;
    const text = await res.text();
    try {
      body = JSON.parse(text);
    } catch {
      body = { ok: false, error: { code: "NOT_JSON", message: text.slice(0, 300) } };
    }
  } catch (e) {
    body = { ok: false, error: { code: `DRIVER_${e.name}`, message: String(e.cause?.message ?? e.message) } };
    status = 200;
  }
  return { status, body, ms: performance.now() - t0 };
}

/** One request loop until `until()` is false; its own seeded generator. */
export async function loop(base, seed, tally, until) {
  const rand = generator(seed);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const once = async (route, path, p, method = "GET") => {
    const { status, body, ms } = await ask(base, path, method);
    tally.record(route, p, ms, status, body);
    return body;
  };
  let token = 0;
  while (until()) {
    const p = pick(PROTOCOLS);
    const c = pick(["a", "b"]);
    const r = rand();
    if (r < 0.3) await once("read exec", `/read?p=${p}&c=${c}&kind=exec`, p);
    else if (r < 0.45) await once("read batch", `/read?p=${p}&c=${c}&kind=batch`, p);
    // On /pull-updates only the client that never reads remotely on purpose (see worker.ts).
    else if (r < 0.6) await once("read tx", `/read?p=${p}&c=${p === "pull-updates" ? "b" : c}&kind=tx`, p);
    else if (r < 0.8) {
      const t = `${seed}-${token++}`;
      const w = await once("write", `/write?p=${p}&token=${t}`, p, "POST");
      if (w.ok) tally.acknowledged.push({ p, token: t });
      if (w.ok && rand() < 0.6) {
        await once("session", `/session?p=${p}&token=${t}&bm=${encodeURIComponent(w.bookmark ?? "")}`, p);
      }
    } else if (r < 0.9) await once("sync", `/sync?p=${p}&c=${c}`, p, "POST");
    else if (r < 0.93) await once("cold", `/cold?p=${p}`, p);
    else await once("read exec", `/read?p=${p}&c=${c}&kind=exec`, p);
  }
}
