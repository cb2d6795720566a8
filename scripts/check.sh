#!/usr/bin/env bash
# Static checks: formatting, clippy (native and wasm32, warnings are errors), and the guard that
# keeps tokio out of the wasm dependency tree.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo clippy -p libsql-edge -p libsql-edge-protocol --target wasm32-unknown-unknown --lib --tests --quiet -- -D warnings
tree=$(cargo tree -p libsql-edge --target wasm32-unknown-unknown -e normal 2>&1)
if grep -Eq '(^|[^a-z_-])(tokio|axum|hyper) v' <<<"$tree"; then
  echo "check: tokio/axum/hyper entered the wasm dependency tree of libsql-edge:" >&2
  grep -E '(tokio|axum|hyper) v' <<<"$tree" >&2
  exit 1
fi
echo "check: ok (fmt, clippy native + wasm32, no tokio in the wasm tree)"
