#!/usr/bin/env bash
# The Deno suites (tests/deno/*.test.ts) with deno from npm, against a dev primary started in wrapper
# mode (seeded with tests/js/seed.sql; PRIMARY_URL in the environment). Needs `npm run build` first.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -f dist/pkg/libsql_edge_bg.wasm ] || [ ! -f dist/init/deno.js ]; then
  echo "test:deno: dist/ is missing; run npm run build first" >&2
  exit 1
fi
cargo build --quiet -p libsql-edge-dev-primary
primary="${CARGO_TARGET_DIR:-target}/debug/libsql-edge-primary"

data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
export DENO_DIR="$PWD/.deno" DENO_NO_UPDATE_CHECK=1
"$primary" --db "$data/db" --listen 127.0.0.1:0 --seed tests/js/seed.sql -- \
  node_modules/.bin/deno test --allow-read --allow-net=127.0.0.1 --allow-env=PRIMARY_URL tests/deno/
