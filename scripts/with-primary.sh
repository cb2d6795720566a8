#!/usr/bin/env bash
# Runs a command against a fresh dev primary: builds libsql-edge-primary, starts it on a free
# loopback port over an empty temp data directory (removed on exit) and runs CMD in wrapper mode
# with PRIMARY_URL set; exits with CMD's code. Honours CARGO_TARGET_DIR (default target/).
#   scripts/with-primary.sh [--needs-dist] [--as NAME] [PRIMARY_OPTIONS...] -- CMD ARGS...
# With --needs-dist, fails early when `npm run build` has not produced dist/. With --as NAME, CMD
# gets the URL as NAME instead of PRIMARY_URL (to run several primaries, nest the wrappers).
set -euo pipefail
cd "$(dirname "$0")/.."

options=()
as=PRIMARY_URL
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  if [ "$1" = "--as" ]; then
    as=$2
    shift
  elif [ "$1" = "--needs-dist" ]; then
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
if [ "$as" != PRIMARY_URL ]; then
  # The primary's wrapper mode sets PRIMARY_URL: hand it on under NAME, leaving PRIMARY_URL as it was.
  set -- bash -c 'export "$1=$PRIMARY_URL"; if [ -n "$2" ]; then export PRIMARY_URL="$2"; else unset PRIMARY_URL; fi
    shift 2; exec "$@"' _ "$as" "${PRIMARY_URL:-}" "$@"
fi
"${CARGO_TARGET_DIR:-target}/debug/libsql-edge-primary" --db "$data/db" --listen 127.0.0.1:0 "${options[@]}" -- "$@"
