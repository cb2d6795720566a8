#!/usr/bin/env bash
# The hostile-primary suite (tests/js/suite/hostile.ts) in Deno, with deno from npm: two dev
# primaries (PRIMARY_URL and another database, OTHER_PRIMARY_URL) and two tursodb
# (TURSO_URL, OTHER_TURSO_URL). The client's fetch is the hostile server (it rewrites the real
# answers). Its own process: a fresh wasm instance, whose memory is checked. Needs `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DENO_DIR="$PWD/.deno" DENO_NO_UPDATE_CHECK=1
exec scripts/with-tursodb.sh --as OTHER_TURSO_URL -- scripts/with-tursodb.sh -- \
  scripts/with-primary.sh --needs-dist --as OTHER_PRIMARY_URL -- scripts/with-primary.sh -- \
  node_modules/.bin/deno test --allow-read --allow-net=127.0.0.1 \
  --allow-env=PRIMARY_URL,TURSO_URL,OTHER_PRIMARY_URL,OTHER_TURSO_URL tests/hostile/ "$@"
