#!/usr/bin/env bash
# Runs a command behind a fresh fault-injecting proxy (libsql-edge-netem, crates/netem) in front of
# the URL held by the environment variable UPSTREAM_VAR; CMD gets the proxy's URL as NETEM_URL and
# this script exits with CMD's code. Faults are set at runtime through the proxy's /__netem/ admin
# endpoints. Honours CARGO_TARGET_DIR (default target/).
#   scripts/with-netem.sh UPSTREAM_VAR [NETEM_OPTIONS...] -- CMD ARGS...
set -euo pipefail
cd "$(dirname "$0")/.."
var=${1:?usage: scripts/with-netem.sh UPSTREAM_VAR [NETEM_OPTIONS...] -- CMD ARGS...}
shift
upstream=${!var:?"$var is not set"}
options=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  options+=("$1")
  shift
done
[ "${1:-}" = "--" ] && shift
cargo build --quiet -p libsql-edge-netem
exec "${CARGO_TARGET_DIR:-target}/debug/libsql-edge-netem" --upstream "$upstream" "${options[@]}" -- "$@"
