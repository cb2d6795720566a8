// See run.sh. Every step runs in a temp directory outside the repository, with the repository's
// wrangler, workerd and deno binaries.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";

const repo = resolve(import.meta.dirname, "../..");
const bin = (name) => join(repo, "node_modules/.bin", name);
const primaryUrl = process.env.PRIMARY_URL;
assert.ok(primaryUrl, "PRIMARY_URL is not set: run tests/package/run.sh");
const work = mkdtempSync(join(tmpdir(), "libsql-edge-package-"));
const app = join(work, "app");
let tarball;

function run(cmd, args, cwd, env = {}) {
  try {
    return execFileSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${e.stdout}\n${e.stderr}`);
  }
}

function write(path, text) {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
}

before(() => {
  const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], repo));
  tarball = join(work, packed[0].filename);
  write(join(app, "package.json"), JSON.stringify({ name: "scratch-app", private: true, type: "module", dependencies: { "libsql-edge": `file:${tarball}` } }));
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], app);
});

after(() => process.env.KEEP_WORK || rmSync(work, { recursive: true, force: true }));

test("npm pack: the tarball holds the built wasm, the types and the npm README", () => {
  const list = run("tar", ["-tzf", tarball], work).split("\n");
  for (const f of ["package/dist/pkg/libsql_edge_bg.wasm", "package/dist/index.d.ts", "package/dist/init/workerd.js", "package/dist/init/deno.js", "package/README.md", "package/package.json"]) {
    assert.ok(list.includes(f), `${f} in the tarball`);
  }
  assert.ok(!list.some((f) => f.startsWith("package/src/") || f.startsWith("package/tests/")), "no sources or tests");
  const readme = readFileSync(join(app, "node_modules/libsql-edge/README.md"), "utf8");
  assert.equal(readme, readFileSync(join(repo, "npm/README.md"), "utf8"), "the npm-facing README");
  assert.equal(readFileSync(join(repo, "README.md"), "utf8").startsWith("# libsql-edge\n\nAn embedded read replica"), true, "the repo README is back");
  const pkg = JSON.parse(readFileSync(join(app, "node_modules/libsql-edge/package.json"), "utf8"));
  assert.equal(pkg.private, undefined);
  console.log(`tarball ${statSync(tarball).size} bytes, ${list.filter(Boolean).length} files`);
});

const worker = (imports) => `import { createClient } from "${imports}";
let replica;
export default {
  async fetch(request, env) {
    replica ??= createClient({ url: "file:app.db", syncUrl: env.PRIMARY_URL });
    const local = createClient({ url: ":memory:" });
    await local.execute("CREATE TABLE t (x)");
    await local.batch(["INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)"], "write");
    const items = await replica.execute("SELECT name FROM items ORDER BY id");
    return Response.json({
      items: items.rows.map((r) => r.name),
      position: replica.position,
      local: (await local.execute("SELECT count(*) AS n FROM t")).rows[0].n,
    });
  },
};
`;

/** Bundles `src` with wrangler deploy --dry-run; returns the out dir and prints its size. */
function bundle(name, src, extraToml = "") {
  const dir = join(app, name);
  write(join(dir, "index.js"), src);
  write(join(dir, "wrangler.toml"), `name = "${name}"\nmain = "index.js"\ncompatibility_date = "2026-11-01"\n${extraToml}`);
  run(bin("wrangler"), ["deploy", "--dry-run", "--outdir", "out"], dir);
  const out = join(dir, "out");
  const sizes = Object.fromEntries(readdirSync(out).map((f) => [f, statSync(join(out, f)).size]));
  const total = Object.values(sizes).reduce((a, b) => a + b, 0);
  console.log(`${name}: wrangler bundle ${total} bytes (${Object.entries(sizes).map(([f, n]) => `${f} ${n}`).join(", ")})`);
  return out;
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Serves a wrangler bundle with plain `workerd serve` and GETs `/` once. */
async function serveOnce(out) {
  const files = readdirSync(out).filter((f) => f.endsWith(".js") || f.endsWith(".wasm"));
  const main = files.includes("index.js") ? "index.js" : files.find((f) => f.endsWith(".js"));
  const modules = [main, ...files.filter((f) => f !== main)].map((f) =>
    f.endsWith(".wasm") ? `(name = "${f}", wasm = embed "${f}")` : `(name = "${f}", esModule = embed "${f}")`);
  writeFileSync(join(out, "test.capnp"), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .w), (name = "internet", network = (allow = ["local", "private"], deny = []))],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const w :Workerd.Worker = (
  modules = [${modules.join(", ")}],
  compatibilityDate = "2026-11-01",
  bindings = [(name = "PRIMARY_URL", text = "${primaryUrl}")],
);
`);
  const workerd = join(repo, "node_modules/wrangler/node_modules/workerd/bin/workerd");
  const port = await freePort();
  const child = spawn(workerd, ["serve", "test.capnp", "--socket-addr", `http=127.0.0.1:${port}`], { cwd: out, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  try {
    for (let attempt = 0; attempt < 500; attempt++) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        return { status: res.status, body: await res.json() };
      } catch (e) {
        if (e?.cause?.code !== "ECONNREFUSED" || child.exitCode !== null) throw new Error(`${e}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    throw new Error(`workerd did not listen: ${stderr}`);
  } finally {
    child.kill();
  }
}

const expected = { items: ["apple", "banana", "cherry"], local: 2 };

test("a Worker importing libsql-edge by name: wrangler bundles it (size printed) and workerd runs it", async () => {
  const out = bundle("by-name", worker("libsql-edge"));
  const { status, body } = await serveOnce(out);
  assert.equal(status, 200, JSON.stringify(body));
  assert.deepEqual({ items: body.items, local: body.local }, expected);
  assert.match(body.position, /^(sqld|http):/);
});

// wrangler resolves an alias with Node's conditions, so it names the workerd entry explicitly.
test("a Worker importing @libsql/client gets libsql-edge through wrangler's alias", async () => {
  const out = bundle("aliased", worker("@libsql/client"), `\n[alias]\n"@libsql/client" = "libsql-edge/workerd"\n`);
  assert.ok(readdirSync(out).some((f) => f.endsWith(".wasm")), "libsql-edge's wasm is in the bundle");
  const { status, body } = await serveOnce(out);
  // @libsql/client's web build would refuse file: and :memory: URLs and has no `position`.
  assert.equal(status, 200, JSON.stringify(body));
  assert.deepEqual({ items: body.items, local: body.local }, expected);
  assert.match(body.position, /^(sqld|http):/);
});

const denoProgram = (imports) => `import { createClient } from "${imports}";
const replica = createClient({ url: "file:deno.db", syncUrl: Deno.env.get("PRIMARY_URL") });
const rs = await replica.execute("SELECT name FROM items ORDER BY id");
console.log(JSON.stringify({ items: rs.rows.map((r) => r.name), position: replica.position }));
replica.close();
`;

function runDeno(dir) {
  const out = run(bin("deno"), ["run", "--allow-read", "--allow-net=127.0.0.1", "--allow-env=PRIMARY_URL", "main.ts"], dir, { DENO_DIR: join(work, ".deno") });
  const body = JSON.parse(out.trim().split("\n").pop());
  assert.deepEqual(body.items, expected.items);
  assert.match(body.position, /^(sqld|http):/);
}

test("a Deno program imports libsql-edge by name and queries the dev primary", () => {
  write(join(app, "main.ts"), denoProgram("libsql-edge"));
  runDeno(app);
});

test("a Deno program importing @libsql/client gets libsql-edge through an import map", () => {
  // `nodeModulesDir: "manual"` resolves npm: specifiers from the installed node_modules (no registry).
  write(join(app, "deno.json"), JSON.stringify({ nodeModulesDir: "manual", imports: { "@libsql/client": "npm:libsql-edge" } }));
  write(join(app, "main.ts"), denoProgram("@libsql/client"));
  runDeno(app);
  rmSync(join(app, "deno.json"));
});

test("the Deno Deploy example (examples/deno) runs in Deno against the dev primary: reads, a write, /sync, the cron", async () => {
  const dir = join(app, "deploy");
  write(join(dir, "main.ts"), readFileSync(join(repo, "examples/deno/main.ts"), "utf8"));
  // Its deno.json as deployed, resolving npm:libsql-edge from the installed tarball.
  const config = JSON.parse(readFileSync(join(repo, "examples/deno/deno.json"), "utf8"));
  write(join(dir, "deno.json"), JSON.stringify({ ...config, nodeModulesDir: "manual" }));
  write(join(dir, "package.json"), readFileSync(join(app, "package.json"), "utf8"));
  run("ln", ["-s", join(app, "node_modules"), join(dir, "node_modules")], dir);
  const port = await freePort();
  const child = spawn(bin("deno"), ["run", "--allow-read", "--allow-net", "--allow-env", "main.ts"], {
    cwd: dir,
    env: { ...process.env, PRIMARY_URL: primaryUrl, PORT: String(port), DENO_DIR: join(work, ".deno") },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const get = async (path, init) => {
    for (let attempt = 0; attempt < 500; attempt++) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, init);
        return { status: res.status, body: await res.json() };
      } catch (e) {
        if (e?.cause?.code !== "ECONNREFUSED" || child.exitCode !== null) throw new Error(`${e}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    throw new Error(`deno did not listen: ${stderr}`);
  };
  try {
    const read = await get(`/?sql=${encodeURIComponent("SELECT name FROM items ORDER BY id")}`);
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.deepEqual(read.body.rows.map((r) => r[0]), expected.items);
    assert.match(read.body.replica.position, /^(sqld|http):/);
    const write = await get("/", { method: "POST", body: "CREATE TABLE deploy_notes (body TEXT)" });
    assert.equal(write.status, 200, JSON.stringify(write.body));
    const back = await get(`/?sql=${encodeURIComponent("SELECT count(*) FROM deploy_notes")}`);
    assert.deepEqual(back.body.rows, [[0]]);
    const synced = await get("/sync");
    assert.equal(synced.status, 200, JSON.stringify(synced.body));
    assert.match(synced.body.position, /^(sqld|http):/);
    assert.ok(!stderr.includes("error"), stderr);
  } finally {
    child.kill();
  }
});
