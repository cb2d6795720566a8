#!/usr/bin/env bash
# The example Rust Worker's suite (npm run test:rust-worker): builds examples/rust-worker with
# worker-build (build.sh: offline tool overrides, the shared target dir), then runs
# tests/rust-worker/test.mjs, which serves the build with plain workerd against a fresh dev primary
# seeded with examples/demo.sql and a fresh tursodb --sync-server.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tests/rust-worker/build.sh
exec scripts/with-tursodb.sh -- scripts/with-primary.sh --seed examples/demo.sql -- \
  node --test-reporter=spec tests/rust-worker/test.mjs
