// The differential harness: one case body runs against the real @libsql/client (remote mode over
// HTTP, `@libsql/client/web`) and against our createClient twice (embedded replica `file:` +
// `syncUrl`, and remote-only `url: PRIMARY_URL`), all on the same dev primary. Every step's outcome
// (a ResultSet described down to the JS type of each value, or an error described by class and code)
// is recorded, and the three records must be deeply equal. The same body then runs on local
// databases: @libsql/client's Node build (the native libsql addon) on `:memory:` and on a file,
// against ours on `:memory:` and `file:NAME`; there errors are compared with their messages and
// SQLite's extended codes too. Run by tests/compat/run.sh under `node --test` (Node 22 strips the
// types).
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import * as real from "@libsql/client/web";
import * as realNode from "@libsql/client";
import * as ours from "../../dist/init/node.js";

export const primaryUrl = process.env.PRIMARY_URL ?? "";
if (!primaryUrl) throw new Error("PRIMARY_URL is not set: run tests/compat/run.sh (it starts a dev primary)");

export const { LibsqlError, LibsqlBatchError } = real;
export type Client = real.Client;
export type IntMode = "number" | "bigint" | "string";
/** Remote flavours share the dev primary; `real-local` / `local` are local databases. */
export type Flavour = "real" | "replica" | "remote" | "real-local" | "local";
export const flavours: Flavour[] = ["real", "replica", "remote"];
export type LocalKind = "memory" | "file";

/** Where @libsql/client's local files go (removed by the OS; tests never reuse a name). */
const fileDir = mkdtempSync(join(tmpdir(), "libsql-edge-compat-"));
let files = 0;

export function makeClient(flavour: Flavour, intMode: IntMode = "number", local: LocalKind = "memory"): Client {
  switch (flavour) {
    case "real":
      return real.createClient({ url: primaryUrl, intMode });
    case "replica":
      return ours.createClient({ url: "file:compat.db", syncUrl: primaryUrl, intMode });
    case "remote":
      return ours.createClient({ url: primaryUrl, intMode });
    case "real-local":
      files += 1;
      return realNode.createClient({ url: local === "memory" ? ":memory:" : `file:${fileDir}/cx-${files}.db`, intMode });
    case "local":
      files += 1;
      return ours.createClient({ url: local === "memory" ? ":memory:" : `file:compat-local-${files}.db`, intMode });
  }
}

/** A JS value with its type spelled out, so 1 and 1n and "1" never compare equal. */
export function typed(v: unknown): unknown {
  if (v === null) return { null: true };
  if (v === undefined) return { undefined: true };
  if (v instanceof ArrayBuffer) return { ArrayBuffer: [...new Uint8Array(v)].map((b) => b.toString(16).padStart(2, "0")).join("") };
  if (typeof v === "number") return { number: Object.is(v, -0) ? "-0" : String(v) };
  if (typeof v === "bigint") return { bigint: String(v) };
  if (typeof v === "string") return { string: v };
  if (typeof v === "boolean") return { boolean: v };
  return { other: Object.prototype.toString.call(v) };
}

function isResultSet(v: unknown): v is real.ResultSet {
  return typeof v === "object" && v !== null && "columns" in v && "rows" in v && "rowsAffected" in v;
}

/** Everything observable about a ResultSet. */
export function describeResultSet(rs: real.ResultSet): unknown {
  return {
    columns: rs.columns,
    columnTypes: rs.columnTypes,
    rows: rs.rows.map((row) => ({
      length: row.length,
      lengthEnumerable: Object.getOwnPropertyDescriptor(row, "length")?.enumerable ?? "missing",
      values: Array.from(row as ArrayLike<unknown>, typed),
      keys: Object.keys(row),
      entries: Object.entries(row).map(([k, v]) => [k, typed(v)]),
    })),
    rowsAffected: typed(rs.rowsAffected),
    lastInsertRowid: typed(rs.lastInsertRowid),
    json: JSON.stringify(rs.toJSON()),
    stringified: JSON.stringify(rs),
  };
}

/** Class, name and codes of an error. Remote messages are left out (they name the flavour's tables
 * and our replica words SQLite's messages differently); local ones are compared, with table names
 * made alike and the `"<code>: "` prefixes (which @libsql/client repeats on batch errors) removed,
 * together with SQLite's extended code. */
export function describeError(e: unknown, local = false): unknown {
  if (!(e instanceof Error)) return { notAnError: typed(e) };
  const d: Record<string, unknown> = { class: e.constructor.name, name: e.name };
  if (e instanceof LibsqlError) {
    d.instanceofLibsqlError = true;
    d.instanceofLibsqlBatchError = e instanceof LibsqlBatchError;
    d.code = e.code;
    d.messagePrefixed = e.message.startsWith(`${e.code}: `);
    if (e instanceof LibsqlBatchError) d.statementIndex = e.statementIndex;
    if (local) {
      d.extendedCode = e.extendedCode;
      d.rawCode = e.rawCode;
    }
  } else if ("code" in e) {
    d.code = (e as { code: unknown }).code;
  }
  if (local) {
    let message = e.message.replace(/cx_[a-z_]+_\d+_[a-z0-9]+/g, "<table>");
    while (e instanceof LibsqlError && message.startsWith(`${e.code}: `)) message = message.slice(e.code.length + 2);
    d.message = message;
  }
  return d;
}

export function describe(v: unknown): unknown {
  if (isResultSet(v)) return { resultSet: describeResultSet(v) };
  if (Array.isArray(v)) return { array: v.map(describe) };
  return { value: typed(v) };
}

/** Records each step's outcome. `step` returns the value, or undefined when it threw. */
export class Recorder {
  readonly log: unknown[] = [];
  readonly errors: Record<string, unknown> = {};
  readonly flavour: Flavour;
  constructor(flavour: Flavour) {
    this.flavour = flavour;
  }

  async step<T>(label: string, f: () => T | Promise<T>): Promise<T | undefined> {
    try {
      const v = await f();
      this.log.push([label, describe(v)]);
      return v;
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
      const d = describeError(e, this.flavour === "real-local" || this.flavour === "local");
      this.errors[label] = d;
      this.log.push([label, { error: d }]);
      return undefined;
    }
  }

  /** Records a plain observation (already a comparable value). */
  note(label: string, v: unknown): void {
    this.log.push([label, v]);
  }
}

let counter = 0;
/** A table name unique to this run, case and flavour. */
export function tableName(flavour: Flavour): string {
  counter += 1;
  return `cx_${flavour.replace("-", "_")}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
}

export interface CaseOptions {
  intMode?: IntMode;
  /** A known bug in OUR client (named in the string): the case still runs and compares exactly, and
   * node --test reports it as TODO instead of failing the suite. Remove once fixed. */
  knownBug?: string;
  /** Our flavours to compare (default both); for cases where one differs on purpose. */
  ours?: Flavour[];
  /** `false`: the case is about a server and does not run on local databases; `"only"`: the case
   * is about local databases and runs on them alone. */
  local?: false | "only";
}

export type Body = (c: Client, rec: Recorder, t: (name?: string) => string) => Promise<void>;

/** Runs `body` once per flavour, each on its own client and tables, and compares the records. */
export async function runFlavours(body: Body, options: CaseOptions = {}, local?: LocalKind): Promise<Record<Flavour, Recorder>> {
  const out = {} as Record<Flavour, Recorder>;
  const list: Flavour[] = local ? ["real-local", "local"] : flavours;
  for (const flavour of list) {
    if (flavour !== "real" && !local && options.ours && !options.ours.includes(flavour)) continue;
    const client = makeClient(flavour, options.intMode, local);
    const rec = new Recorder(flavour);
    const names = new Map<string, string>();
    const t = (name = "t") => {
      if (!names.has(name)) names.set(name, tableName(flavour));
      return names.get(name)!;
    };
    try {
      await body(client, rec, t);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      throw new Error(`[${flavour}] ${message}\n  errors recorded so far: ${JSON.stringify(rec.errors)}`, { cause: e });
    } finally {
      if (!client.closed) client.close();
    }
    out[flavour] = rec;
  }
  return out;
}

function show(v: unknown): string {
  return JSON.stringify(v);
}

/** The steps whose outcome differs from the real client's, one line each. */
export function differences(ref: Recorder, other: Recorder): string[] {
  const out: string[] = [];
  const n = Math.max(ref.log.length, other.log.length);
  for (let i = 0; i < n; i++) {
    if (show(ref.log[i]) !== show(other.log[i])) {
      out.push(`  step ${i}:\n    @libsql/client: ${show(ref.log[i])}\n    ours (${other.flavour}): ${show(other.log[i])}`);
    }
  }
  return out;
}

export function compare(out: Partial<Record<Flavour, Recorder>>): void {
  const ref = out.real ?? out["real-local"]!;
  assert.ok(ref.log.length > 0, "the case recorded nothing");
  const ours = [out.replica, out.remote, out.local].filter((r) => r !== undefined);
  const diffs = ours.flatMap((r) => differences(ref, r));
  assert.ok(diffs.length === 0, `ours differs from @libsql/client:\n${diffs.join("\n")}`);
  for (const r of ours) assert.deepStrictEqual(r.log, ref.log, `ours (${r.flavour}) differs from @libsql/client`);
}

/** A differential test: the three records must match exactly; then the same on a local
 * `:memory:` and a local file database (unless `local: false`). */
/** Whether a recorder is one of the local flavours. */
export function isLocal(rec: Recorder): boolean {
  return rec.flavour === "real-local" || rec.flavour === "local";
}

export function differential(name: string, body: Body, options: CaseOptions = {}): void {
  if (options.local !== "only") {
    test(name, { todo: options.knownBug }, async () => {
      const out = await runFlavours(body, options);
      compare(out);
    });
  }
  if (options.local === false) return;
  for (const kind of ["memory", "file"] as const) {
    test(`${name} [local ${kind === "memory" ? ":memory:" : "file:"}]`, async () => {
      compare(await runFlavours(body, options, kind));
    });
  }
}

export { assert, test };
