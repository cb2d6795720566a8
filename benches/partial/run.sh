#!/usr/bin/env bash
# The partial-replica benchmark (npm run bench:partial), inside workerd: a 256 MiB database in a real
# `tursodb --sync-server` behind netem (40 ms RTT, 100 Mbit/s), read by a partial replica with a
# 16 MiB budget: cold first result next to @libsql/client/web, hit and miss latency, the local
# fraction under a Zipf workload next to a full replica of a 32 MiB database, the wasm memory
# high-water mark. About 7 minutes; the seeded databases are cached under target/bench-partial/. Needs
# `npm run build`. Knobs (env): see benches/partial/drive.mjs; BENCH_JSON appends JSON lines.
set -euo pipefail
cd "$(dirname "$0")/../.."
source benches/lib/prepare.sh
need_dist bench:partial init/workerd.js
[ -x node_modules/@tursodatabase/cli-linux-x64-gnu/tursodb ] || { echo "bench:partial: tursodb is missing; run npm run setup" >&2; exit 1; }
release_bins libsql-edge-netem
work_dir
bundle benches/partial/wrangler.toml "$work/bundle"
workerd_bin
node benches/partial/drive.mjs --netem "$bin/libsql-edge-netem" --workerd "$workerd" --bundle "$work/bundle" --work "$work/data"
