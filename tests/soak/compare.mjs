// The soak's end state: every table of a primary row for row (over Hrana, values type-tagged as
// the Worker tags the replica's), and the comparison of a replica's dump with it.
import { execute, tag } from "./writer.mjs";

const SCHEMA = "SELECT type, name, tbl_name, rootpage, sql FROM sqlite_schema ORDER BY name";

/** The primary's schema and tables, read in one pipeline. */
export async function primaryDump(url, { close }) {
  const [schema] = await execute(url, [SCHEMA], { close });
  const names = schema.rows.map((r) => r.map(tag)).filter((r) => r[0] === "t:table" && !r[1].startsWith("t:sqlite_")).map((r) => r[1].slice(2));
  const results = await execute(url, names.map((n) => `SELECT * FROM "${n}" ORDER BY rowid`), { close });
  const tables = Object.fromEntries(names.map((n, i) => [n, results[i].rows.map((r) => r.map(tag))]));
  return { schema: schema.rows.map((r) => r.map(tag)), tables };
}

/** Differences between a replica's dump and the primary's (at most `limit` of them). */
export function differences(replica, primary, limit = 10) {
  const out = [];
  const say = (s) => out.length < limit && out.push(s);
  if (JSON.stringify(replica.schema) !== JSON.stringify(primary.schema)) {
    say(`schema differs: replica ${replica.schema.length} entries, primary ${primary.schema.length}`);
  }
  const names = new Set([...Object.keys(replica.tables), ...Object.keys(primary.tables)]);
  for (const name of names) {
    const a = replica.tables[name];
    const b = primary.tables[name];
    if (a === undefined || b === undefined) {
      say(`table ${name}: only on the ${a === undefined ? "primary" : "replica"}`);
      continue;
    }
    if (a.length !== b.length) say(`table ${name}: ${a.length} rows on the replica, ${b.length} on the primary`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) {
        say(`table ${name} row ${i}: replica ${JSON.stringify(a[i]).slice(0, 120)} primary ${JSON.stringify(b[i]).slice(0, 120)}`);
        break;
      }
    }
  }
  if (JSON.stringify(replica.integrity) !== JSON.stringify(["ok"])) say(`integrity_check: ${JSON.stringify(replica.integrity).slice(0, 300)}`);
  return out;
}

/** Rows in all tables of a dump. */
export function rowCount(dump) {
  return Object.values(dump.tables).reduce((n, rows) => n + rows.length, 0);
}
