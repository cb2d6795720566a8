#!/usr/bin/env bash
# External-client proof of the dev primary: the native `libsql` npm package (embedded replica)
# runs crates/dev-primary/tests/js/libsql-native.test.mjs against libsql-edge-primary in wrapper
# mode, twice:
#   1. --no-http-sync: replication over gRPC-Web wal_log.ReplicationLog, writes over proxy.Proxy;
#   2. default:        replication over Turso HTTP sync (/info, /export, /sync), writes over Hrana.
# Each case gets a fresh database in a temp dir, removed on exit. Exits non-zero on any failure.
# CARGO_TARGET_DIR is honoured (default: target/).
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir="${CARGO_TARGET_DIR:-target}"
test_file=crates/dev-primary/tests/js/libsql-native.test.mjs

cargo build -p libsql-edge-dev-primary
primary="$target_dir/debug/libsql-edge-primary"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "== native libsql: gRPC replication, writes over proxy.Proxy (--no-http-sync)"
"$primary" --db "$tmp/grpc" --listen 127.0.0.1:0 --no-http-sync -- node --test "$test_file"

echo "== native libsql: Turso HTTP sync, writes over Hrana"
"$primary" --db "$tmp/http-sync" --listen 127.0.0.1:0 -- node --test "$test_file"
