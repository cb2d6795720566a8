// Configuration and URL handling against @libsql/client's Node build (the client a Node user
// imports; it also takes file: and ws: URLs): every case either fails the same way in both (class,
// code and message exactly) or creates a client in both with the same protocol. No case does I/O:
// remote clients connect lazily, and local files go to a temp directory.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as realNode from "@libsql/client";
import * as ours from "../../dist/init/node.js";
import { assert, test } from "./harness.ts";

const dir = mkdtempSync(join(tmpdir(), "libsql-edge-urls-"));

function outcome(create: () => { protocol: string; close(): void }): unknown {
  try {
    const c = create();
    const protocol = c.protocol;
    c.close();
    return { protocol };
  } catch (e) {
    const err = e as Error & { code?: string };
    return { class: err.constructor.name, code: err.code, message: err.message };
  }
}

// [name, config]: the cases first, then every other rule of expandConfig and of
// @libsql/client's per-scheme checks.
const cases: [string, unknown][] = [
  ["unknown query parameter", { url: "ws://localhost?foo=bar" }],
  ["http with tls=1", { url: "http://localhost?tls=1" }],
  ["wss with tls=0", { url: "wss://localhost?tls=0" }],
  ["libsql tls=0 without a port", { url: "libsql://localhost?tls=0" }],
  ["libsql tls=yes", { url: "libsql://localhost?tls=yes" }],
  ["ftp scheme", { url: "ftp://localhost" }],
  ["ws with tls=1", { url: "ws://localhost?tls=1" }],
  ["https with tls=0", { url: "https://localhost?tls=0" }],
  ["not a URL", { url: "not a url" }],
  ["empty URL", { url: "" }],
  ["fragment", { url: "libsql://localhost#frag" }],
  ["bad percent encoding", { url: "https://localhost/%zz" }],
  ["bad authority", { url: "https://a[b]" }],
  ["scheme without authority", { url: "https:localhost" }],
  ["unknown scheme, uppercase", { url: "GOPHER://x" }],
  ["bad intMode", { url: "libsql://localhost", intMode: "float" }],
  ["config is a string", "libsql://localhost"],
  ["encryptionKey on a remote URL", { url: "https://localhost", encryptionKey: "k" }],
  ["file: with a host", { url: "file://host/x.db" }],
  ["file: with a port", { url: "file://localhost:80/x.db" }],
  ["file: with userinfo", { url: "file://user@/x.db" }],
  ["in-memory with syncUrl", { url: ":memory:", syncUrl: "http://localhost:1" }],
  ["file::memory: with syncUrl", { url: "file::memory:", syncUrl: "http://localhost:1" }],
  ["in-memory with an unknown parameter", { url: "file::memory:?foo=1" }],
  ["in-memory with a bad cache value", { url: "file::memory:?cache=bogus" }],
  ["in-memory with tls", { url: "file::memory:?tls=1" }],
  ["https", { url: "https://localhost" }],
  ["http with a port", { url: "http://127.0.0.1:1" }],
  ["libsql", { url: "libsql://localhost" }],
  ["libsql with tls=0 and a port", { url: "libsql://localhost:8080?tls=0" }],
  ["libsql with tls=1", { url: "libsql://localhost?tls=1" }],
  ["authToken in the URL", { url: "https://localhost?authToken=abc" }],
  ["uppercase scheme", { url: "HTTPS://localhost" }],
  ["path and empty query", { url: "https://localhost/db?" }],
  [":memory:", { url: ":memory:" }],
  ["file::memory:", { url: "file::memory:" }],
  ["file::memory: shared", { url: "file::memory:?cache=shared" }],
  ["file:relative", { url: `file:${join(dir, "rel.db")}` }],
  ["file:///absolute", { url: `file://${join(dir, "abs.db")}` }],
  ["file://localhost/absolute", { url: `file://localhost${join(dir, "host.db")}` }],
];

for (const [name, config] of cases) {
  test(`URL: ${name} (${JSON.stringify(config)})`, () => {
    const real = outcome(() => realNode.createClient(config as never));
    const mine = outcome(() => ours.createClient(config as never));
    assert.deepStrictEqual(mine, real);
  });
}

// ws:/wss: URLs that pass validation: @libsql/client opens a WebSocket client; ours speaks Hrana
// over HTTP to the same host (libsql-edge has no WebSocket transport). A documented difference.
test("URL: a valid ws: URL is spoken over HTTP (documented difference)", () => {
  const c = ours.createClient({ url: "ws://localhost:1" });
  assert.equal(c.protocol, "http");
  c.close();
  assert.deepStrictEqual(outcome(() => ours.createClient({ url: "wss://localhost?tls=1" })), { protocol: "http" });
});
