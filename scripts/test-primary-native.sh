#!/usr/bin/env bash
# External-client proof of the dev primary: the native `libsql` npm package (embedded replica)
# runs crates/dev-primary/tests/js/libsql-native.test.mjs against libsql-edge-primary, twice, each
# on a fresh database:
#   1. --no-http-sync: replication over gRPC-Web wal_log.ReplicationLog, writes over proxy.Proxy;
#   2. default:        replication over Turso HTTP sync (/info, /export, /sync), writes over Hrana.
set -euo pipefail
cd "$(dirname "$0")/.."
test_file=crates/dev-primary/tests/js/libsql-native.test.mjs

echo "== native libsql: gRPC replication, writes over proxy.Proxy (--no-http-sync)"
scripts/with-primary.sh --no-http-sync -- node --test "$test_file"

echo "== native libsql: Turso HTTP sync, writes over Hrana"
scripts/with-primary.sh -- node --test "$test_file"
