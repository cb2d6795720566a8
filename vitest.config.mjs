// vitest inside workerd (@cloudflare/vitest-plugin) for the runtime suites in tests/workerd/.
// Run through tests/workerd/run.sh, which starts a dev primary (PRIMARY_URL) and tursodb (TURSO_URL),
// and for the memory suite a compacting dev primary (BIG_PRIMARY_URL), tursodb with VACUUM
// (BIG_TURSO_URL) and the fault-injecting proxy in front of the former (NETEM_URL), and for the
// partial suite a tursodb and a dev primary of its own (PARTIAL_TURSO_URL, PARTIAL_PRIMARY_URL).
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const names = [
  "PRIMARY_URL",
  "TURSO_URL",
  "BIG_PRIMARY_URL",
  "BIG_TURSO_URL",
  "NETEM_URL",
  "PARTIAL_TURSO_URL",
  "PARTIAL_PRIMARY_URL",
];
const bindings = Object.fromEntries(names.map((n) => [n, process.env[n]]));
const missing = names.filter((n) => !bindings[n]);
if (missing.length > 0) {
  throw new Error(`${missing.join(", ")} not set: run tests/workerd/run.sh (it starts the servers)`);
}

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./tests/workerd/wrangler.toml" },
      // nodejs_compat: node:fs (workerd's virtual /tmp) for Drizzle's migrator in tests/workerd/orm.test.ts.
      // SNAPSHOTS: an R2 bucket for the snapshot tier's tests (Miniflare keeps it in memory).
      miniflare: { bindings, compatibilityFlags: ["nodejs_compat"], r2Buckets: ["SNAPSHOTS"] },
    }),
  ],
  test: {
    include: ["tests/workerd/**/*.test.ts"],
    testTimeout: 30_000,
  },
});
