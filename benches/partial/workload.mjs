// bench:partial's workloads: a seeded PRNG, uniform ids, and Zipf(s) over the row ids by inverse
// CDF (P(rank r) ∝ r^-s, r = 1..rows). Two layouts map ranks to ids: `clustered` (id = rank: the hot
// rows are neighbours, e.g. the newest ids of a table keyed by time) and `scattered` (id = a fixed
// permutation of the rank, rank * 1000003 mod rows: every hot row on its own page).

/** mulberry32: a small deterministic PRNG in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` ids drawn uniformly from 1..rows. */
export function uniformIds(rows, count, seed) {
  const next = prng(seed);
  return Array.from({ length: count }, () => 1 + Math.floor(next() * rows));
}

const PERMUTE = 1_000_003; // a prime larger than any row count here, so rank -> id is a bijection

/** A Zipf(s) sampler over 1..rows in `layout` ("clustered" | "scattered"). */
export function zipf(rows, s, layout, seed) {
  if (rows >= PERMUTE) throw new Error(`zipf: at most ${PERMUTE - 1} rows`);
  const cdf = new Float64Array(rows);
  let sum = 0;
  for (let r = 1; r <= rows; r++) {
    sum += r ** -s;
    cdf[r - 1] = sum;
  }
  const next = prng(seed);
  const rank = () => {
    const u = next() * sum;
    let lo = 0;
    let hi = rows - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const id = layout === "scattered" ? (r) => 1 + (((r - 1) * PERMUTE) % rows) : (r) => r;
  return {
    take: (count) => Array.from({ length: count }, () => id(rank())),
    /** The probability of the `k` hottest ranks. */
    mass: (k) => (k >= rows ? 1 : k < 1 ? 0 : cdf[Math.floor(k) - 1] / sum),
  };
}
