#!/usr/bin/env bash
# Runs a command against a fresh dev primary: builds libsql-edge-primary, starts it on a free
# loopback port over an empty temp data directory (removed on exit) and runs CMD in wrapper mode
# with PRIMARY_URL set; exits with CMD's code. Honours CARGO_TARGET_DIR (default target/).
#   scripts/with-primary.sh [PRIMARY_OPTIONS...] -- CMD ARGS...
# With --needs-dist, fails early when `npm run build` has not produced dist/.
set -euo pipefail
cd "$(dirname "$0")/.."

options=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  if [ "$1" = "--needs-dist" ]; then
    if [ ! -f dist/pkg/libsql_edge_bg.wasm ] || [ ! -f dist/index.js ]; then
      echo "with-primary: dist/ is missing; run npm run build first" >&2
      exit 1
    fi
  else
    options+=("$1")
  fi
  shift
done
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "usage: scripts/with-primary.sh [--needs-dist] [PRIMARY_OPTIONS...] -- CMD ARGS..." >&2; exit 2; }

cargo build --quiet -p libsql-edge-dev-primary
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
"${CARGO_TARGET_DIR:-target}/debug/libsql-edge-primary" --db "$data/db" --listen 127.0.0.1:0 "${options[@]}" -- "$@"
