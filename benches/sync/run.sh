#!/usr/bin/env bash
# The sync benchmark (npm run bench:sync): cold bootstrap through the wasm build in Node (the
# package's Node entry, Node's fetch) next to the native `libsql` npm embedded replica, from the same
# release dev primary (sqld gRPC and HTTP sync) and tursodb (/pull-updates, ours alone), at 1, 25
# and 60 MB, on bare loopback and through netem (40 ms RTT, 100 Mbit/s). Needs `npm run build`.
# Knobs (env): BENCH_SIZES (MB list, "1,25,60"), BENCH_RUNS (3), BENCH_NETS ("loopback,shaped"),
# BENCH_RTT_MS (40), BENCH_BANDWIDTH_MBIT (100), BENCH_PROTOCOLS ("sqld,http-sync,pull-updates"),
# BENCH_JSON (append JSON lines there).
set -euo pipefail
cd "$(dirname "$0")/../.."
source benches/lib/prepare.sh
need_dist bench:sync init/node.js
release_bins libsql-edge-dev-primary libsql-edge-netem
work_dir
node benches/sync/drive.mjs --primary "$bin/libsql-edge-primary" --netem "$bin/libsql-edge-netem" --work "$work"
