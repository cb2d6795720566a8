#!/usr/bin/env bash
# Runs a command against a fresh `tursodb --sync-server` (npm @tursodatabase/cli-linux-x64-gnu
# 0.7.0, installed by scripts/setup.sh): an empty database in a temp dir, a free loopback port,
# TURSO_URL set for CMD; the server is stopped and the dir removed afterwards. Exits with CMD's code.
#   scripts/with-tursodb.sh [--as NAME] [TURSODB_FLAGS...] -- CMD ARGS...
# With --as NAME, CMD gets the URL as NAME instead of TURSO_URL; other flags before `--` go to
# tursodb (e.g. --experimental-vacuum).
set -euo pipefail
cd "$(dirname "$0")/.."
as=TURSO_URL
flags=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  if [ "$1" = "--as" ]; then
    as=$2
    shift
  else
    flags+=("$1")
  fi
  shift
done
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "usage: scripts/with-tursodb.sh -- CMD ARGS..." >&2; exit 2; }

tursodb=node_modules/@tursodatabase/cli-linux-x64-gnu/tursodb
[ -x "$tursodb" ] || { echo "with-tursodb: $tursodb is missing; run npm run setup" >&2; exit 1; }
port=$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
data=$(mktemp -d)
"$tursodb" "$data/db" "${flags[@]}" --sync-server "127.0.0.1:$port" >"$data/tursodb.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { echo "with-tursodb: tursodb exited; log:" >&2; cat "$data/tursodb.log" >&2; exit 1; }
  sleep 0.1
done
export "$as=http://127.0.0.1:$port"
"$@"
