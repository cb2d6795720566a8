#!/usr/bin/env bash
# Every test: native Rust (workspace), the pure and replica tests again on wasm32 under Node,
# then the static checks. `npm test` runs this after scripts/setup.sh (npm's pretest).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent test:native
npm run --silent test:wasm
npm run --silent test:primary-native
npm run --silent check
npm run --silent build
npm run --silent test:workerd
npm run --silent test:deno
npm run --silent test:memory
npm run --silent test:compat
npm run --silent test:package
npm run --silent test:rust-worker
npm run --silent fuzz:smoke
