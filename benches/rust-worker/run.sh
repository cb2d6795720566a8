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
source benches/lib/prepare.sh
need_dist bench:rust-worker init/workerd.js
release_bins libsql-edge-dev-primary
bash tests/rust-worker/build.sh
work_dir
bundle benches/workerd/wrangler.toml "$work/js"
node benches/rust-worker/drive.mjs --primary "$bin/libsql-edge-primary" --work "$work" --js "$work/js" --rust examples/rust-worker/build
