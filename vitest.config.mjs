// vitest inside workerd (@cloudflare/vitest-plugin) for the runtime suites in tests/workerd/.
// Run through tests/workerd/run.sh, which starts a dev primary (PRIMARY_URL) and tursodb (TURSO_URL).
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const primaryUrl = process.env.PRIMARY_URL;
const tursoUrl = process.env.TURSO_URL;
if (!primaryUrl || !tursoUrl) {
  throw new Error("PRIMARY_URL / TURSO_URL are not set: run tests/workerd/run.sh (it starts a dev primary and tursodb)");
}

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      // nodejs_compat: node:fs (workerd's virtual /tmp) for Drizzle's migrator in tests/workerd/orm.test.ts.
      miniflare: { bindings: { PRIMARY_URL: primaryUrl, TURSO_URL: tursoUrl }, compatibilityFlags: ["nodejs_compat"] },
    }),
  ],
  test: {
    include: ["tests/workerd/**/*.test.ts"],
    testTimeout: 30_000,
  },
});
