#!/usr/bin/env bash
# The Deno suites (tests/deno/*.test.ts) with deno from npm, against a fresh dev primary seeded with
# tests/js/seed.sql (PRIMARY_URL) and a fresh tursodb (TURSO_URL), and a tursodb and a dev primary
# for the partial suite (PARTIAL_TURSO_URL, PARTIAL_PRIMARY_URL). Needs `npm run build` first.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DENO_DIR="$PWD/.deno" DENO_NO_UPDATE_CHECK=1
exec scripts/with-tursodb.sh --as PARTIAL_TURSO_URL -- scripts/with-primary.sh --needs-dist --as PARTIAL_PRIMARY_URL --namespaces -- \
  scripts/with-tursodb.sh -- scripts/with-primary.sh --seed tests/js/seed.sql -- \
  node_modules/.bin/deno test --allow-read --allow-net=127.0.0.1 \
  --allow-env=PRIMARY_URL,TURSO_URL,PARTIAL_TURSO_URL,PARTIAL_PRIMARY_URL tests/deno/
