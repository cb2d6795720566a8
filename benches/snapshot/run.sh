#!/usr/bin/env bash
# The snapshot-tier benchmark (npm run bench:snapshot), inside workerd: cold start to the first local
# read from the primary (behind netem: 40 ms RTT, 100 Mbit/s) and from the snapshot tier (a
# loopback object store standing for the colo's Cache), with @libsql/client/web's first read for
# reference, at 1, 25 and 60 MB; a fresh `workerd serve` process per cold start. Needs `npm run
# build`. Knobs (env): BENCH_SIZES ("1,25,60"), BENCH_RUNS (3), BENCH_PROTOCOLS ("http-sync,sqld"),
# BENCH_RTT_MS (40), BENCH_BANDWIDTH_MBIT (100), BENCH_JSON.
set -euo pipefail
cd "$(dirname "$0")/../.."
source benches/lib/prepare.sh
need_dist bench:snapshot init/workerd.js
release_bins libsql-edge-dev-primary libsql-edge-netem
work_dir
bundle benches/snapshot/wrangler.toml "$work/bundle"
workerd_bin
node benches/snapshot/drive.mjs --primary "$bin/libsql-edge-primary" --netem "$bin/libsql-edge-netem" \
  --workerd "$workerd" --bundle "$work/bundle" --work "$work"
