// vitest inside workerd (@cloudflare/vitest-plugin) for the runtime suites in tests/workerd/.
// Run through tests/workerd/run.sh, which starts a dev primary and passes its URL as PRIMARY_URL.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const primaryUrl = process.env.PRIMARY_URL;
if (!primaryUrl) throw new Error("PRIMARY_URL is not set: run tests/workerd/run.sh (it starts a dev primary)");

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: { bindings: { PRIMARY_URL: primaryUrl } },
    }),
  ],
  test: {
    include: ["tests/workerd/**/*.test.ts"],
    testTimeout: 30_000,
  },
});
