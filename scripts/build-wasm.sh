#!/usr/bin/env bash
# Builds the wasm package into pkg/ (gitignored), idempotently:
#   1. cargo build --release for wasm32-unknown-unknown (opt-level z, LTO; see Cargo.toml)
#   2. wasm-bindgen --target web (loads in workerd, Deno and Node through initSync({ module })), with
#      __wbg_reset_state, which js/wasm.ts calls to re-instantiate the module after a trap
#   3. wasm-opt -Oz from npm binaryen (package-lock.json). NOT the apt binaryen 108: it rewrites the
#      externref table as anyref and initSync then fails with `WebAssembly.Table.set(): Argument 1 is
#      invalid for table`.
#   4. size budget: the gzipped .wasm must stay under WASM_GZIP_BUDGET bytes (700 KB). The limits
#      that matter are far above it (Workers: 3 MB compressed on Free, being replaced by 64 MiB
#      uncompressed); the budget guards growth, and compile time at cold start grows with size.
# Honours CARGO_TARGET_DIR (default target/). `npm run build` runs this, then compiles js/ to dist/.
set -euo pipefail
cd "$(dirname "$0")/.."

budget=${WASM_GZIP_BUDGET:-700000}
target_dir=${CARGO_TARGET_DIR:-target}
out=pkg

cargo build --quiet --release --target wasm32-unknown-unknown -p libsql-edge
wasm-bindgen --target web --experimental-reset-state-function --out-dir "$out" "$target_dir/wasm32-unknown-unknown/release/libsql_edge.wasm"
node_modules/.bin/wasm-opt -Oz "$out/libsql_edge_bg.wasm" -o "$out/libsql_edge_bg.wasm"

raw=$(stat -c %s "$out/libsql_edge_bg.wasm")
gz=$(gzip -9 -c "$out/libsql_edge_bg.wasm" | wc -c)
echo "build-wasm: $out/libsql_edge_bg.wasm ${raw} bytes raw, ${gz} bytes gzipped (budget ${budget})"
if [ "$gz" -ge "$budget" ]; then
  echo "build-wasm: gzipped wasm is over budget: ${gz} >= ${budget} bytes" >&2
  exit 1
fi
