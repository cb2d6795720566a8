// bench:partial's databases: `items (id INTEGER PRIMARY KEY, k INTEGER, b BLOB)` with an index on k
// and a 900-byte random blob per row (about 3.9 rows per 4 KiB page), seeded in a real
// `tursodb --sync-server` with multi-row INSERT ... VALUES (..., randomblob(900)) statements over
// /v2/pipeline (tursodb has no recursive CTEs; ids ascending, so a commit rewrites only the
// rightmost pages) and the index created last (written once): a WAL about the database's size.
// Kept under target/bench-partial/items-v4-<MiB>mib/ (`db`, `db-wal`, meta.json: rows, bytes) so a
// rerun does not seed again. Never checkpointed: tursodb serves /pull-updates from its WAL alone (a
// revision is a WAL frame number), so a checkpointed file looks empty at revision 0. A run serves a
// copy (tursodb may write to what it serves).
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pipeline, root, startTursodb, stop } from "../lib/harness.mjs";

const ROWS_PER_STATEMENT = 500;
const STATEMENTS_PER_REQUEST = 4;
const MiB = 1 << 20;

/** k of row `id` (the Worker checks it). */
export const kOf = (id) => (id * 7919) % 100003;

const cell = (result) => Number(result.rows[0][0].value);

/** page_count × page_size through the plain pragmas: in tursodb 0.7.0, after a read of a
 * table-valued pragma (pragma_page_count(), pragma_table_info(...)) the later commits are visible
 * to Hrana but not to /pull-updates, and are lost on a restart. */
async function databaseBytes(url) {
  const [count, size] = await pipeline(url, ["PRAGMA page_count", "PRAGMA page_size"], { close: false });
  return cell(count) * cell(size);
}

/** Seeds a fresh tursodb under `dir` until the database is at least `mib` MiB; returns {rows, bytes}. */
async function seed(dir, mib) {
  const turso = await startTursodb(dir);
  try {
    await pipeline(turso.url, ["CREATE TABLE items (id INTEGER PRIMARY KEY, k INTEGER NOT NULL, b BLOB NOT NULL)"], { close: false });
    let rows = 0;
    let bytes = 0;
    // About 1,040 bytes per row (the index comes last, about 1.5%): check the size every 20,000
    // rows and after every request near the end.
    while (bytes < mib * MiB) {
      const statements = [];
      for (let s = 0; s < STATEMENTS_PER_REQUEST; s++) {
        const values = [];
        for (let i = 0; i < ROWS_PER_STATEMENT; i++) {
          const id = ++rows;
          values.push(`(${id}, ${kOf(id)}, randomblob(900))`);
        }
        statements.push(`INSERT INTO items (id, k, b) VALUES ${values.join(",")}`);
      }
      await pipeline(turso.url, statements, { close: false });
      if (rows % 20_000 === 0 || rows * 1000 > mib * MiB * 0.85 && bytes < mib * MiB) bytes = await databaseBytes(turso.url);
    }
    await pipeline(turso.url, ["CREATE INDEX items_k ON items (k)"], { close: false });
    const [count] = await pipeline(turso.url, ["SELECT count(*) FROM items"], { close: false });
    if (cell(count) !== rows) throw new Error(`seeded ${cell(count)} rows, expected ${rows}`);
    return { rows, bytes: await databaseBytes(turso.url) };
  } finally {
    await stop(turso.child);
  }
}

/** The cached database of `mib` MiB (seeding it first if needed): {file, rows, bytes, seeded}. */
export async function cachedDatabase(mib) {
  const dir = join(root, "target/bench-partial", `items-v4-${mib}mib`);
  const meta = join(dir, "meta.json");
  if (existsSync(meta) && existsSync(join(dir, "db-wal"))) return { file: join(dir, "db"), ...JSON.parse(readFileSync(meta, "utf8")), seeded: false };
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  const t0 = performance.now();
  const info = await seed(tmp, mib);
  console.error(`bench:partial: seeded ${(info.bytes / MiB).toFixed(1)} MiB (${info.rows} rows) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  writeFileSync(join(tmp, "meta.json"), JSON.stringify(info));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { file: join(dir, "db"), ...info, seeded: true };
}

/** A tursodb serving a copy of `db` under `dir`. */
export async function serveCopy(db, dir) {
  mkdirSync(dir, { recursive: true });
  copyFileSync(db.file, join(dir, "db"));
  copyFileSync(`${db.file}-wal`, join(dir, "db-wal"));
  return startTursodb(dir);
}
