#!/usr/bin/env bash
# The edge benchmark (npm run bench:workerd): point selects and cold starts inside workerd, libsql-edge's
# createClient next to @libsql/client/web, against the release dev primary, over bare loopback and
# through the netem shaping proxy (40 ms RTT, 100 Mbit/s by default).
#   1. builds the release dev primary and netem (honours CARGO_TARGET_DIR, default target/)
#   2. bundles benches/workerd/worker.ts with `wrangler deploy --dry-run --outdir` (a temp dir)
#   3. node benches/workerd/drive.mjs: seeds a 1 MB and a 25 MB database, runs plain `workerd serve`
#      (wrangler's own workerd binary) on the bundle, prints a table per network (JSON lines with
#      BENCH_JSON)
# Needs `npm run build` first (the Worker imports dist/init/workerd.js). Knobs: see drive.mjs.
set -euo pipefail
cd "$(dirname "$0")/../.."
source benches/lib/prepare.sh
need_dist bench:workerd init/workerd.js
release_bins libsql-edge-dev-primary libsql-edge-netem
work_dir
bundle benches/workerd/wrangler.toml "$work/bundle"
workerd_bin
node benches/workerd/drive.mjs --primary "$bin/libsql-edge-primary" --netem "$bin/libsql-edge-netem" \
  --workerd "$workerd" --bundle "$work/bundle" --work "$work"
