// The soak's writer: transactions straight to a primary over Hrana (`/v2/pipeline`, one `batch`
// with conditions per transaction, as @libsql/client sends them: BEGIN, each step only if the
// previous one succeeded, COMMIT, ROLLBACK unless committed), so a transaction is all or nothing
// even when the primary dies mid-request. Every transaction keeps the invariants the Worker checks:
//   total(ledger.v) = 0           a transfer between two of the 64 core rows, pairs inserted as
//                                 (y, -y), a row deleted only after its value moved to a core row;
//   max(ledger.last) = meta.n     meta.n is bumped and the first core row gets last = n;
//   side tables: 2 rows, sum 0    created with both rows in one transaction.
// Schema changes ride in the same transactions (ADD COLUMN, CREATE/DROP INDEX, CREATE/DROP TABLE),
// and now and then a transaction carries a large row (hundreds of pages in one commit).
const CORE = 64;
const PAD = 1000;
const BIG = 600_000;
const MAX_COLUMNS = 40;

/** The schema and rows every primary starts with. */
export const SETUP = [
  "CREATE TABLE IF NOT EXISTS meta (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)",
  "INSERT OR IGNORE INTO meta VALUES (1, 0)",
  "CREATE TABLE IF NOT EXISTS ledger (k INTEGER PRIMARY KEY, v INTEGER NOT NULL, last INTEGER NOT NULL, pad BLOB)",
  // One VALUES list (tursodb 0.7.0 has no recursive CTEs).
  `INSERT OR IGNORE INTO ledger (k, v, last, pad) VALUES ${Array.from({ length: CORE }, (_, i) => `(${i + 1}, 0, 0, randomblob(${PAD}))`).join(", ")}`,
  "CREATE TABLE IF NOT EXISTS ryw (token TEXT PRIMARY KEY, p TEXT NOT NULL)",
];

/** Hrana values as type-tagged text (the Worker tags the replica's values the same way). */
export function tag(v) {
  switch (v.type) {
    case "null":
      return "n";
    case "integer":
      return `i:${v.value}`;
    case "float":
      return `f:${Number(v.value)}`;
    case "text":
      return `t:${v.value}`;
    case "blob":
      return `b:${Buffer.from(v.base64 ?? "", "base64").toString("hex")}`;
  }
  return `?:${JSON.stringify(v)}`;
}

/** One `/v2/pipeline` request; `close: false` for tursodb (it rejects `close`). */
export async function hrana(url, requests, { close = true, timeoutMs = 10_000 } = {}) {
  const res = await fetch(`${url}/v2/pipeline`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ baton: null, requests: close ? [...requests, { type: "close" }] : requests }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text).results;
}

/** Statements in autocommit, each must succeed; returns their results. */
export async function execute(url, sqls, opts) {
  const results = await hrana(url, sqls.map((sql) => ({ type: "execute", stmt: { sql } })), opts);
  return results.slice(0, sqls.length).map((r, i) => {
    if (r.type !== "ok") throw new Error(`${sqls[i].slice(0, 80)}: ${JSON.stringify(r.error ?? r)}`);
    return r.response.result;
  });
}

/** A batch that is one transaction. Resolves to "committed", "rolled back: <error>" (the primary
 * answered that it did not commit) or throws (outcome unknown: the request failed). */
async function transaction(url, sqls, opts) {
  const steps = [{ stmt: { sql: "BEGIN" } }];
  for (const sql of sqls) steps.push({ stmt: { sql }, condition: { type: "ok", step: steps.length - 1 } });
  const commit = steps.length;
  steps.push({ stmt: { sql: "COMMIT" }, condition: { type: "ok", step: commit - 1 } });
  steps.push({ stmt: { sql: "ROLLBACK" }, condition: { type: "not", cond: { type: "ok", step: commit } } });
  const [r] = await hrana(url, [{ type: "batch", batch: { steps } }], opts);
  if (r.type !== "ok") throw new Error(`batch: ${JSON.stringify(r.error ?? r).slice(0, 200)}`);
  const errors = r.response.result.step_errors;
  if (errors[commit] === null && r.response.result.step_results[commit] !== null) return "committed";
  const first = errors.find((e) => e !== null);
  return `rolled back: ${first?.message ?? "a step did not run"}`;
}

export class Writer {
  /** `rand()` in [0, 1), seeded; `close`: whether the server takes Hrana's `close`. */
  constructor(name, url, rand, { close = true } = {}) {
    this.name = name;
    this.url = url;
    this.rand = rand;
    this.close = close;
    this.nextKey = 1000;
    this.inserted = [];
    this.schemaStep = 0;
    this.columns = 0;
    this.sides = [];
    this.bigKey = null;
    this.counts = { committed: 0, rolledBack: 0, unknown: 0, schema: 0, big: 0 };
    this.errors = new Map();
    this.stopped = false;
  }

  int(lo, hi) {
    return lo + Math.floor(this.rand() * (hi - lo + 1));
  }

  /** The statements of the next transaction (and what to remember if it commits). */
  plan() {
    const sqls = ["UPDATE meta SET n = n + 1"];
    const after = [];
    const a = this.int(1, CORE);
    const b = 1 + ((a + this.int(0, CORE - 2)) % CORE);
    const x = this.int(1, 1000);
    sqls.push(`UPDATE ledger SET v = v - ${x}, last = (SELECT n FROM meta), pad = randomblob(${PAD}) WHERE k = ${a}`);
    sqls.push(`UPDATE ledger SET v = v + ${x}, pad = randomblob(${PAD}) WHERE k = ${b}`);
    const r = this.rand();
    if (r < 0.2) {
      const k1 = this.nextKey++;
      const k2 = this.nextKey++;
      const y = this.int(1, 1000);
      sqls.push(`INSERT INTO ledger (k, v, last, pad) VALUES (${k1}, ${y}, 0, randomblob(${PAD})), (${k2}, ${-y}, 0, randomblob(${PAD}))`);
      after.push(() => this.inserted.push(k1, k2));
    } else if (r < 0.42 && this.inserted.length > 0) {
      // The row's value moves to a core row first, so the sum holds whether the row still exists.
      const i = this.int(0, this.inserted.length - 1);
      const d = this.inserted[i];
      sqls.push(`UPDATE ledger SET v = v + coalesce((SELECT v FROM ledger WHERE k = ${d}), 0) WHERE k = ${b}`);
      sqls.push(`DELETE FROM ledger WHERE k = ${d}`);
      after.push(() => this.inserted.splice(this.inserted.indexOf(d), 1));
    }
    if (this.rand() < 1 / 30) {
      this.counts.schema++;
      sqls.push(...this.schemaChange());
    }
    if (this.rand() < 1 / 80) {
      this.counts.big++;
      if (this.bigKey === null) {
        const k = this.nextKey++;
        sqls.push(`INSERT INTO ledger (k, v, last, pad) VALUES (${k}, 0, 0, randomblob(${BIG}))`);
        after.push(() => (this.bigKey = k));
      } else {
        sqls.push(`DELETE FROM ledger WHERE k = ${this.bigKey} AND v = 0`);
        after.push(() => (this.bigKey = null));
      }
    }
    return { sqls, after };
  }

  /** The next schema change, in a cycle; names never repeat, so a retry after an unknown outcome
   * cannot collide. */
  schemaChange() {
    const i = this.schemaStep++;
    switch (i % 4) {
      case 0:
        if (this.columns < MAX_COLUMNS) {
          this.columns++;
          return [`ALTER TABLE ledger ADD COLUMN c${i} INTEGER DEFAULT ${i}`];
        }
        return [`CREATE INDEX ix${i} ON ledger (last, k)`, ...this.dropIndex(i - 8)];
      case 1:
        return [`CREATE INDEX ix${i} ON ledger (v)`, ...this.dropIndex(i - 8)];
      case 2: {
        const y = this.int(1, 1000);
        this.sides.push(`side${i}`);
        return [`CREATE TABLE side${i} (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)`, `INSERT INTO side${i} VALUES (1, ${y}), (2, ${-y})`];
      }
      default:
        return this.sides.length > 3
          ? [`DROP TABLE IF EXISTS ${this.sides.shift()}`]
          : [`CREATE INDEX ix${i} ON ledger (last)`, ...this.dropIndex(i - 8)];
    }
  }

  dropIndex(i) {
    return i >= 0 ? [`DROP INDEX IF EXISTS ix${i}`] : [];
  }

  /** One transaction; counts its outcome. */
  async step() {
    const { sqls, after } = this.plan();
    try {
      const outcome = await transaction(this.url, sqls, { close: this.close });
      if (outcome === "committed") {
        this.counts.committed++;
        for (const f of after) f();
      } else {
        this.counts.rolledBack++;
        this.note(outcome);
      }
    } catch (e) {
      this.counts.unknown++;
      this.note(`request failed: ${e.cause?.code ?? e.name}`);
    }
  }

  note(what) {
    const key = what.slice(0, 120);
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  /** Runs until stop(), pausing 5–40 ms between transactions. */
  async run() {
    while (!this.stopped) {
      await this.step();
      await new Promise((r) => setTimeout(r, this.int(5, 40)));
    }
  }

  stop() {
    this.stopped = true;
  }
}
