// bench:partial's measurements inside one workerd process each. Every timed query is one HTTP
// request to the Worker, timed in the driver, right after an empty request (`/q?ids=`: the same
// stats() calls, no query) whose times are the baseline subtracted later; hits are also timed in
// batches, interleaved with a full replica's reads in the same isolate. A query is a hit when
// `partial.fetches` and `partial.misses` did not move during it (stats deltas in the Worker).
// Sampled blobs are compared with tursodb's own answer (directly, not through netem).
import { pipeline } from "../lib/harness.mjs";
import { timed } from "../lib/workerd.mjs";

const WARMUP_BATCH = 50;
const BATCH_REPS = 15;
const BATCH_SIZE = 200;
const SAMPLE_EVERY = 25;

/** One query on one request after one empty request: {base, ms, fetched, remote, fetches}. */
async function one(w, kind, id, withHex, samples) {
  const base = await timed(w, `/q?kind=${kind}&ids=`);
  const r = await timed(w, `/q?kind=${kind}&ids=${id}${withHex ? "&hex" : ""}`);
  if (withHex) samples.push([id, r.body.hex[0]]);
  return { base: base.ms, ms: r.ms, fetched: r.body.fetched[0] === 1, remote: r.body.remote[0] === 1, fetches: r.body.fetches, pagesRead: r.body.pageReads, misses: r.body.misses };
}

/** Checks the sampled [id, hex of the first 8 blob bytes] pairs against tursodb. */
export async function verify(tursoUrl, samples, what) {
  for (let i = 0; i < samples.length; i += 200) {
    const chunk = samples.slice(i, i + 200);
    const [result] = await pipeline(tursoUrl, [`SELECT id, lower(hex(substr(b, 1, 8))) FROM items WHERE id IN (${chunk.map((s) => s[0]).join(",")})`], { close: false });
    const truth = new Map(result.rows.map((r) => [Number(r[0].value), r[1].value]));
    for (const [id, hex] of chunk) {
      if (truth.get(id) !== hex) throw new Error(`${what}: id ${id}: the Worker read blob ${hex}..., tursodb has ${truth.get(id)}...`);
    }
  }
  return samples.length;
}

/** Uniform ids on a warm partial replica: each id read twice (a miss, most likely, then a hit). */
export async function hitAndMiss(w, ids) {
  const out = { base: [], hit: [], miss: [], fetchesPerMiss: [], secondFetched: 0, remote: 0, samples: [] };
  await timed(w, "/q?kind=partial&ids=1"); // the replica bootstraps (page 1) and reads its first row
  for (let i = 0; i < ids.length; i++) {
    for (const second of [false, true]) {
      const q = await one(w, "partial", ids[i], second && i % SAMPLE_EVERY === 0, out.samples);
      out.base.push(q.base);
      (q.fetched ? out.miss : out.hit).push(q.ms);
      if (q.fetched) out.fetchesPerMiss.push(q.fetches);
      if (q.fetched && second) out.secondFetched++;
      if (q.remote) out.remote++;
    }
  }
  return out;
}

/** Warm-up (batches of WARMUP_BATCH, untimed), then the measured ids one per request; `hits` are
 * the measured ids that fetched nothing. */
export async function skewed(w, kind, warmup, measured) {
  const out = { base: [], hit: [], miss: [], hits: [], warmupFetched: 0, remote: 0, pageReads: 0, pageMisses: 0, samples: [] };
  out.warmupFetched = await warm(w, kind, warmup);
  for (let i = 0; i < measured.length; i++) {
    const q = await one(w, kind, measured[i], i % SAMPLE_EVERY === 0, out.samples);
    out.base.push(q.base);
    (q.fetched ? out.miss : out.hit).push(q.ms);
    if (!q.fetched) out.hits.push(measured[i]);
    if (q.remote) out.remote++;
    out.pageReads += q.pagesRead;
    out.pageMisses += q.misses;
  }
  return out;
}

/** Runs `ids` in batches of WARMUP_BATCH, untimed; returns how many fetched pages. */
export async function warm(w, kind, ids) {
  let fetched = 0;
  for (let i = 0; i < ids.length; i += WARMUP_BATCH) {
    const r = await timed(w, `/q?kind=${kind}&ids=${ids.slice(i, i + WARMUP_BATCH).join(",")}`);
    fetched += r.body.fetched.reduce((a, b) => a + b, 0);
  }
  return fetched;
}

/** Hits of the partial replica next to a full replica's reads in the same isolate: BATCH_REPS
 * rounds of an empty request, the partial batch, the full batch (each BATCH_SIZE point selects in
 * one request, stats only around the batch), interleaved so that load on the machine hits both
 * alike. The full replica must be warm. Returns the per-query times and the partial's fetches. */
export async function interleaved(w, partialIds, fullIds) {
  const out = { n: Math.min(BATCH_SIZE, partialIds.length, fullIds.length), base: [], partial: [], full: [], fetches: 0 };
  const p = partialIds.slice(-out.n).join(",");
  const f = fullIds.slice(-out.n).join(",");
  for (let rep = 0; rep < BATCH_REPS && out.n > 0; rep++) {
    out.base.push((await timed(w, "/q?kind=partial&batch&ids=")).ms);
    const r = await timed(w, `/q?kind=partial&batch&ids=${p}`);
    out.partial.push(r.ms);
    out.fetches += r.body.fetches;
    out.full.push((await timed(w, `/q?kind=full&batch&ids=${f}`)).ms);
  }
  return out;
}

/** The client's stats() now. */
export async function stats(w, kind) {
  return (await timed(w, `/stats?kind=${kind}`)).body;
}
