#!/usr/bin/env bash
# Static checks: formatting, clippy (native and wasm32, warnings are errors; the `worker` feature
# with and without the JS exports, and the example Rust Worker), and the guard that keeps tokio out
# of the wasm dependency tree.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all --check
cargo fmt --check --manifest-path examples/rust-worker/Cargo.toml
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo clippy -p libsql-edge -p libsql-edge-protocol --target wasm32-unknown-unknown --lib --tests --quiet -- -D warnings
cargo clippy -p libsql-edge --target wasm32-unknown-unknown --features worker --lib --tests --quiet -- -D warnings
cargo clippy -p libsql-edge --target wasm32-unknown-unknown --no-default-features --features worker --lib --quiet -- -D warnings
# The example is its own workspace (examples/rust-worker), checked in the target dir its build uses.
CARGO_TARGET_DIR="${RUST_WORKER_TARGET_DIR:-target/rust-worker}" \
  cargo clippy --manifest-path examples/rust-worker/Cargo.toml --target wasm32-unknown-unknown --quiet -- -D warnings
tree=$(cargo tree -p libsql-edge --target wasm32-unknown-unknown -e normal 2>&1)
if grep -Eq '(^|[^a-z_-])(tokio|axum|hyper) v' <<<"$tree"; then
  echo "check: tokio/axum/hyper entered the wasm dependency tree of libsql-edge:" >&2
  grep -E '(tokio|axum|hyper) v' <<<"$tree" >&2
  exit 1
fi
echo "check: ok (fmt, clippy native + wasm32 + worker feature + example Rust Worker, no tokio in the wasm tree)"
