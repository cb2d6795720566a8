// A hostile primary, on each of the three protocols (issue 15): the client's `fetch` is the fault
// injector. It answers honestly from a real primary (the dev primary for sqld and HTTP sync, tursodb
// for /pull-updates) and, per mode, rewrites the answer into what a broken or malicious server
// could send:
//   huge        the same answer claiming a database of 2^31 pages (sqld: the commit frame's
//               size_after; HTTP sync: the exported image's header and the WAL commit frame's
//               db_size; /pull-updates: the header's db_size)
//   endless     the real body, then bytes that never end (sqld: empty gRPC-Web data frames, each
//               one valid; HTTP sync: zeros; /pull-updates: valid pages, over and over)
//   stall       half of the real body, then nothing, ever (the hostile server ignores the abort)
//   other       every request answered by another primary (valid frames of another database)
//   crossed     the handshake (Hello, /info, /export) from the right primary, the incremental
//               answers (BatchLogEntries, /sync, /pull-updates) from the other one
// Checked for each: the call fails with a stable code by its deadline, the wasm memory stays within
// the memory suite's bound, and the replica keeps its last good state: position unchanged, the old
// rows read locally, integrity_check ok. Afterwards an honest sync brings the new rows.
import { LibsqlError } from "@libsql/core/api";
import { assert, assertEquals } from "./assert.ts";
import { pipeline, type Context, type Register } from "./context.ts";

export interface HostileContext {
  api: Context["api"];
  fetch: typeof fetch;
  /** A dev primary (sqld and HTTP sync). */
  primaryUrl: string;
  /** Another dev primary: another database. */
  otherPrimaryUrl: string;
  /** `tursodb --sync-server` (/pull-updates). */
  tursoUrl: string;
  /** Another tursodb. */
  otherTursoUrl: string;
}

type Mode = "honest" | "huge" | "endless" | "stall" | "other" | "crossed";
type Protocol = "sqld" | "http-sync" | "pull-updates";
type Client = ReturnType<Context["api"]["createClient"]>;

const MB = 1 << 20;
const TIMEOUT_MS = 1500;
/** What a call may take past its deadline: the deadline is a timer in the same event loop. A stall
 * without a deadline would never end, so any finite bound tells the two apart. */
const SLACK_MS = 2500;
/** The memory suite's budget and the README's bound (memory.ts; not imported: Deno type-checks
 * what it imports, and that suite is written for Node and workerd). */
const BUDGET = 8 << 20;
const BOUND = 1.15 * BUDGET + (8 << 20);
const HUGE = 2 ** 31;
/** Codes a hostile answer may get; anything else (or success) fails the test. */
const CODES: Record<"huge" | "endless" | "stall", string[]> = {
  huge: ["REPLICA_MEMORY_BUDGET", "SYNC_INVALID_RESPONSE", "RESPONSE_TOO_LARGE", "REPLICA_INVALID_PAGES"],
  // A body of empty gRPC-Web frames is valid as far as it goes: it ends at the deadline.
  endless: ["RESPONSE_TOO_LARGE", "SYNC_INVALID_RESPONSE", "REPLICA_MEMORY_BUDGET", "SYNC_TIMEOUT"],
  stall: ["SYNC_TIMEOUT"],
};

// ---- bytes -------------------------------------------------------------------------------------

function varint(n: number): number[] {
  const out = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

function readVarint(b: Uint8Array, at: number): [number, number] {
  let n = 0;
  let mul = 1;
  for (;;) {
    const byte = b[at++];
    n += (byte & 0x7f) * mul;
    if (byte < 0x80) return [n, at];
    mul *= 0x80;
  }
}

/** sqld gRPC-Web `Frames`: every frame whose size_after (u32le at offset 20 of `Frame.data`) is not
 * 0 claims `pages`. Checksums cover the page only (protocols.md 9.2), so the chain still holds. */
function patchSqld(body: Uint8Array, pages: number): void {
  for (let at = 0; at + 5 <= body.length; ) {
    const flags = body[at];
    const len = new DataView(body.buffer, body.byteOffset + at + 1, 4).getUint32(0);
    const end = at + 5 + len;
    if (flags === 0) {
      // Frames { 1: repeated Frame { 1: data } }
      for (let p = at + 5; p < end; ) {
        const [tag, q] = readVarint(body, p);
        const [flen, start] = readVarint(body, q);
        if (tag === 0x0a) {
          const [ftag, r] = readVarint(body, start);
          const [, data] = readVarint(body, r);
          const view = new DataView(body.buffer, body.byteOffset + data, 24);
          if (ftag === 0x0a && view.getUint32(20, true) !== 0) view.setUint32(20, pages, true);
        }
        p = start + flen;
      }
    }
    at = end;
  }
}

/** An HTTP-sync body: an exported image (page 1's in-header size, u32be at offset 28) or WAL frames
 * without a WAL header (db_size u32be at offset 4 of each 24-byte frame header). */
function patchHttpSync(path: string, body: Uint8Array, pages: number): void {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (path.startsWith("/export/") && body.length >= 100) view.setUint32(28, pages);
  if (path.startsWith("/sync/")) {
    for (let at = 0; at + 24 <= body.length; at += 24 + 4096) if (view.getUint32(at + 4) !== 0) view.setUint32(at + 4, pages);
  }
}

/** A /pull-updates body whose header claims `pages` (a repeated proto3 field: the last one wins). */
function patchPullUpdates(body: Uint8Array, pages: number): Uint8Array {
  const [len, start] = readVarint(body, 0);
  const header = [...body.subarray(start, start + len), 0x10, ...varint(pages)];
  return new Uint8Array([...varint(header.length), ...header, ...body.subarray(start + len)]);
}

/** The header's db_size of a /pull-updates body. */
function pullUpdatesDbSize(body: Uint8Array): number {
  const [len, start] = readVarint(body, 0);
  let size = 0;
  for (let p = start; p < start + len; ) {
    const [tag, q] = readVarint(body, p);
    if ((tag & 7) === 0) {
      const [v, r] = readVarint(body, q);
      if (tag >> 3 === 2) size = v;
      p = r;
    } else if ((tag & 7) === 2) {
      const [l, r] = readVarint(body, q);
      p = r + l;
    } else return size;
  }
  return size;
}

/** A body the way a runtime's fetch hands out a network body: the caller's abort errors it (the
 * server cannot prevent that), and each chunk after the first arrives in a later task. */
function networkBody(signal: AbortSignal, first: Uint8Array, next: ((i: number) => Uint8Array) | null): ReadableStream<Uint8Array> {
  let i = 0;
  let abort: (() => void) | null = null;
  const aborted = new Promise<never>((_, reject) => {
    abort = () => reject(new DOMException("The signal has been aborted", "AbortError"));
    signal.addEventListener("abort", abort, { once: true });
    if (signal.aborted) abort();
  });
  aborted.catch(() => {});
  return new ReadableStream({
    async pull(controller) {
      if (i > 0) {
        // endless: the next chunk in a later task; stalled: never.
        const arrives = next === null ? new Promise(() => {}) : new Promise((r) => setTimeout(r, 0));
        await Promise.race([arrives, aborted]);
      }
      controller.enqueue(i === 0 ? first : next!(i));
      i++;
    },
    cancel() {
      if (abort) signal.removeEventListener("abort", abort);
    },
  });
}

/** The real body, then chunks from `next(i)` without end. */
function endlessBody(signal: AbortSignal, first: Uint8Array, next: (i: number) => Uint8Array): ReadableStream<Uint8Array> {
  return networkBody(signal, first, next);
}

/** Half of `body`, then nothing: the stream ends only when the caller aborts. */
function stalledBody(signal: AbortSignal, body: Uint8Array): ReadableStream<Uint8Array> {
  return networkBody(signal, body.subarray(0, Math.max(1, body.length >> 1)), null);
}

// ---- the hostile fetch -------------------------------------------------------------------------

const HANDSHAKE = /\/(Hello|info|export\/)/;

function hostileFetch(ctx: HostileContext, protocol: Protocol, state: { mode: Mode; injected: number }): typeof fetch {
  const good = protocol === "pull-updates" ? ctx.tursoUrl : ctx.primaryUrl;
  const other = protocol === "pull-updates" ? ctx.otherTursoUrl : ctx.otherPrimaryUrl;
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input as RequestInfo, init);
    const path = new URL(request.url).pathname;
    const mode = state.mode;
    const replication = /wal_log\.ReplicationLog|^\/(info|export|sync|pull-updates)/.test(path);
    const body = request.method === "GET" ? undefined : new Uint8Array(await request.arrayBuffer());
    const toOther = replication && (mode === "other" || (mode === "crossed" && !HANDSHAKE.test(path)));
    const target = (toOther ? other : good) + path + new URL(request.url).search;
    const response = await ctx.fetch(target, { method: request.method, headers: request.headers, body, signal: request.signal });
    if (!replication || mode === "honest" || mode === "other" || mode === "crossed") {
      if (toOther) state.injected++;
      return response;
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    const headers = new Headers(response.headers);
    headers.delete("content-length");
    const answer = (b: BodyInit) => {
      state.injected++;
      return new Response(b, { status: response.status, headers });
    };
    if (response.status !== 200 || bytes.length === 0) return new Response(bytes, { status: response.status, headers });
    if (mode === "huge") {
      if (protocol === "sqld" && /BatchLogEntries|Snapshot/.test(path)) patchSqld(bytes, HUGE);
      else if (protocol === "http-sync" && /^\/(export|sync)\//.test(path)) patchHttpSync(path, bytes, HUGE);
      else if (protocol === "pull-updates") return answer(patchPullUpdates(bytes, HUGE) as Uint8Array<ArrayBuffer>);
      else return new Response(bytes, { status: response.status, headers });
      return answer(bytes as Uint8Array<ArrayBuffer>);
    }
    if (mode === "stall") return answer(stalledBody(request.signal, bytes));
    // endless
    if (protocol === "sqld") {
      // The trailer frame (0x80 …) last; before it, empty data frames without end.
      const trailer = bytes.lastIndexOf(0x80);
      const head = trailer > 0 ? bytes.subarray(0, trailer) : bytes;
      const empties = new Uint8Array(5 * 4096);
      return answer(endlessBody(request.signal, head, () => empties));
    }
    if (protocol === "pull-updates") {
      const dbSize = Math.max(1, pullUpdatesDbSize(bytes));
      return answer(
        endlessBody(request.signal, bytes, (i) => {
          const page = new Uint8Array(4096).fill(i & 0xff);
          const id = i % dbSize;
          const message = [...(id === 0 ? [] : [0x08, ...varint(id)]), 0x12, ...varint(4096)];
          const out = new Uint8Array(varint(message.length + 4096).length + message.length + 4096);
          const prefix = varint(message.length + 4096);
          out.set(prefix, 0);
          out.set(message, prefix.length);
          out.set(page, prefix.length + message.length);
          return out;
        }),
      );
    }
    const zeros = new Uint8Array(64 * 1024);
    return answer(endlessBody(request.signal, bytes, () => zeros));
  }) as typeof fetch;
}

// ---- the suite ---------------------------------------------------------------------------------

async function rows(client: Client): Promise<string[]> {
  const rs = await client.execute("SELECT v FROM hostile ORDER BY id");
  return rs.rows.map((r) => String(r[0]));
}

function wasmMemory(client: Client): number {
  return (client.stats() as { wasmMemoryBytes: number }).wasmMemoryBytes;
}

function localReads(client: Client): number {
  return (client.stats() as { reads: { local: number } }).reads.local;
}

type Open = (name: string) => Client;

/** Both primaries of `protocol` get a table `hostile`; the other one's history is longer and its
 * rows differ. (sqld and HTTP sync share the dev primaries: the table is created once.) */
async function prepare(ctx: HostileContext, protocol: Protocol, state: { mode: Mode; injected: number }) {
  const turso = protocol === "pull-updates";
  const good = turso ? ctx.tursoUrl : ctx.primaryUrl;
  const other = turso ? ctx.otherTursoUrl : ctx.otherPrimaryUrl;
  const setup = ["CREATE TABLE IF NOT EXISTS hostile (id INTEGER PRIMARY KEY, v TEXT)"];
  await pipeline(ctx.fetch, good, [...setup, `INSERT INTO hostile (v) VALUES ('good ${protocol}')`], !turso);
  for (let i = 0; i < 30; i++) await pipeline(ctx.fetch, other, [...setup, `INSERT INTO hostile (v) VALUES ('other ${i}')`], !turso);
  const open: Open = (name) =>
    ctx.api.createClient({
      url: `file:hostile-${protocol}-${name}.db`,
      syncUrl: good,
      syncProtocol: protocol,
      fetch: hostileFetch(ctx, protocol, state),
      memoryBudgetBytes: BUDGET,
      timeoutMs: TIMEOUT_MS,
      coldStart: "wait",
    } as never);
  const primaryRows = async (url: string) => (await pipeline(ctx.fetch, url, ["SELECT v FROM hostile ORDER BY id"], !turso))[0].map((r) => String(r[0]));
  /** A new transaction on the right primary, so the next sync has frames or pages to bring. */
  const write = (what: string) => pipeline(ctx.fetch, good, [`INSERT INTO hostile (v) VALUES ('${protocol} ${what}')`], !turso);
  return { open, write, goodRows: () => primaryRows(good), otherRows: () => primaryRows(other) };
}

/** One sync under `mode`: what it threw (or null) and how long it took. */
async function hostileSync(client: Client, state: { mode: Mode; injected: number }, mode: Mode, label: string) {
  state.mode = mode;
  const injectedBefore = state.injected;
  const t0 = Date.now();
  const err = await client.sync().then(() => null, (e: unknown) => e as LibsqlError);
  const ms = Date.now() - t0;
  state.mode = "honest";
  console.log(`hostile: ${label}: ${err?.code ?? "no error"} after ${ms} ms (${String(err?.message).slice(0, 160)}); wasm ${(wasmMemory(client) / MB).toFixed(1)} MiB`);
  assert(state.injected > injectedBefore, `${label}: the fault was not injected`);
  assert(wasmMemory(client) <= BOUND, `${label}: wasm memory ${(wasmMemory(client) / MB).toFixed(1)} MiB > ${(BOUND / MB).toFixed(1)} MiB`);
  assert(ms <= TIMEOUT_MS + SLACK_MS, `${label}: the call took ${ms} ms, deadline ${TIMEOUT_MS} ms`);
  return err;
}

/** The replica still holds `expected` at `position`, read locally, and passes integrity_check. */
async function kept(client: Client, position: string | null, expected: string[], label: string) {
  assertEquals(client.position, position, `${label}: position`);
  const local = localReads(client);
  assertEquals(await rows(client), expected, `${label}: rows after the fault`);
  const integrity = await client.execute("PRAGMA integrity_check");
  assertEquals(String(integrity.rows[0][0]), "ok", `${label}: integrity_check`);
  assertEquals(localReads(client), local + 2, `${label}: read from the replica`);
}

export function hostileSuite(test: Register, context: () => HostileContext): void {
  const protocols: Protocol[] = ["sqld", "http-sync", "pull-updates"];
  for (const protocol of protocols) {
    test(`hostile ${protocol}: 2^31 pages, an endless body, a body that never ends: a code by the deadline, memory bounded, the last good state kept`, async () => {
      const ctx = context();
      const state = { mode: "honest" as Mode, injected: 0 };
      const { open, write, goodRows } = await prepare(ctx, protocol, state);
      // A cold replica told the database has 2^31 pages installs nothing.
      const cold = open("cold");
      const err = await hostileSync(cold, state, "huge", `${protocol} huge, cold`);
      assert(err instanceof LibsqlError && CODES.huge.includes(err.code), `${protocol} huge, cold: ${err}`);
      // Nothing of the hostile answer is installed (HTTP sync may have installed the generation's
      // honest export, frame 0, before the frames that claim 2^31 pages).
      assert(cold.position === null || /^http:\d+\/0$/.test(cold.position), `${protocol} huge, cold: position ${cold.position}`);
      cold.close();

      const client = open("warm");
      await client.sync();
      const expected = await rows(client);
      assert(expected.includes(`good ${protocol}`), `${protocol}: ${expected}`);
      const modes = ["huge", "endless", "stall"] as const;
      for (const mode of modes) {
        await write(`before ${mode}`);
        const position = client.position;
        const label = `${protocol} ${mode}`;
        const err = await hostileSync(client, state, mode, label);
        assert(err instanceof LibsqlError, `${label}: the sync succeeded (position ${client.position}) or failed without a code: ${err}`);
        assert(CODES[mode].includes(err.code), `${label}: code ${err.code}: ${err.message}`);
        await kept(client, position, expected, label);
      }
      // Honest again: the next sync brings every row the right primary has.
      await client.sync();
      assertEquals(await rows(client), await goodRows(), `${protocol}: rows after an honest sync`);
      client.close();
    });

    // sqld names its history (Hello's log_id): another database is a reset, which the replica
    // follows by bootstrapping it whole (exactly the other database's rows, never a mix), and a
    // session token of one primary sent to another is refused. HTTP sync and /pull-updates carry no
    // database identity: a server that answers for another database at plausible positions is
    // taken at its word (README "Bad inputs and faults"); these asserts pin that down.
    test(`hostile ${protocol}: frames of another database`, async () => {
      const ctx = context();
      const state = { mode: "honest" as Mode, injected: 0 };
      const { open, write, otherRows } = await prepare(ctx, protocol, state);
      for (const mode of ["other", "crossed"] as const) {
        const client = open(mode);
        await client.sync();
        const expected = await rows(client);
        await write(`before ${mode}`);
        const position = client.position;
        const label = `${protocol} ${mode}`;
        const err = await hostileSync(client, state, mode, label);
        const integrity = await client.execute("PRAGMA integrity_check");
        assertEquals(String(integrity.rows[0][0]), "ok", `${label}: integrity_check`);
        const now = await rows(client);
        console.log(`hostile: ${label}: position ${position} -> ${client.position}; ${now.length} rows (before ${expected.length}, other database ${(await otherRows()).length})`);
        if (protocol === "sqld" && mode === "crossed") {
          assert(err instanceof LibsqlError && err.code === "SYNC_GRPC_STATUS", `${label}: ${err}`);
          await kept(client, position, expected, label);
        } else {
          assertEquals(err, null, `${label}: the answer is taken`);
          assertEquals(now, await otherRows(), `${label}: the replica holds the other database, whole`);
          if (protocol === "sqld") assert(client.position?.split("/")[0] !== position?.split("/")[0], `${label}: a new log_id`);
        }
        client.close();
      }
    });
  }
}
