#!/usr/bin/env bash
# Builds the example Rust Worker (examples/rust-worker) with worker-build, offline: worker-build
# would download wasm-bindgen, wasm-opt and esbuild; the overrides point it at what
# scripts/setup.sh installed (wasm-bindgen-cli at the Cargo.lock version, npm binaryen's wasm-opt,
# wrangler's esbuild). The cargo build keeps its own target dir, RUST_WORKER_TARGET_DIR (default
# target/rust-worker, reused from run to run): not the JS package's, because libsql-edge is a
# cdylib + rlib, so cargo names its rlib without a feature hash (deps/liblibsql_edge.rlib) and the two
# builds (features `js` and `worker`) would overwrite each other's library while both look fresh.
# Output: examples/rust-worker/build/{index.js,index_bg.wasm}; prints the wasm's raw and gzipped size.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

command -v worker-build >/dev/null || { echo "rust-worker: worker-build is missing; run npm run setup" >&2; exit 1; }
export WASM_BINDGEN_BIN="$(command -v wasm-bindgen)"
export WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$root/node_modules/wrangler/node_modules/@esbuild/linux-x64/bin/esbuild"
[ -x "$ESBUILD_BIN" ] || ESBUILD_BIN="$root/node_modules/@esbuild/linux-x64/bin/esbuild"
for bin in "$WASM_BINDGEN_BIN" "$WASM_OPT_BIN" "$ESBUILD_BIN"; do
  [ -x "$bin" ] || { echo "rust-worker: $bin is missing; run npm run setup" >&2; exit 1; }
done
export CARGO_TARGET_DIR="$(realpath -m "${RUST_WORKER_TARGET_DIR:-$root/target/rust-worker}")"

(cd examples/rust-worker && worker-build --release)

wasm=examples/rust-worker/build/index_bg.wasm
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
echo "rust-worker: $wasm ${raw} bytes raw, ${gz} bytes gzipped"
