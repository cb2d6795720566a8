#!/usr/bin/env bash
# Fuzzes every decoder of outside bytes (fuzz/, cargo-fuzz layout, libFuzzer + AddressSanitizer).
#
#   scripts/fuzz.sh --smoke              every target for 12 s (npm run fuzz:smoke; part of npm test)
#   scripts/fuzz.sh --seconds 300        every target for 300 s (npm run fuzz -- --seconds 300)
#   scripts/fuzz.sh --seconds 60 frame   only the targets named
#
# Steps: build every target once (`cargo fuzz build`), write the seed corpora from the recorded
# traffic in ../shared/fixtures into fuzz/target/seeds (never into git), then run each target in
# turn on fuzz/corpus/<target> (kept between runs, gitignored) plus its seeds, and print a table
# of executions per target. Exits 1 if any target found a crash; the input is saved in
# fuzz/artifacts/<target>/ (see fuzz/README.md to reproduce it).
#
# Toolchain: cargo-fuzz needs nightly-only rustc flags (-Zsanitizer=address, and it passes
# -Cpasses=sancov-module etc.). This machine has only stable Rust, so the build runs with
# RUSTC_BOOTSTRAP=1, which lets stable rustc and cargo accept -Z flags. It applies only to this
# script's cargo invocations (the normal builds never see it); stable ships the ASan runtime
# (librustc-stable_rt.asan.a), so nothing else is needed. cargo-fuzz itself comes from
# scripts/setup.sh.
#
# Limits given to libFuzzer (all targets):
#   -malloc_limit_mb=16   any single allocation over 16 MiB is a crash: a decoder must never size
#                         a buffer from a length field it has not checked against its input
#   -rss_limit_mb=1536    total memory
#   -max_len=131072       inputs up to 128 KiB (a few 4 KiB frames or pages, large Hrana bodies)
#   -timeout=10           seconds per input (a hang is a crash)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=300
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) seconds=12 ;;
    --seconds) seconds="$2"; shift ;;
    --seconds=*) seconds="${1#--seconds=}" ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    -*) echo "fuzz: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: cargo-fuzz is missing; run scripts/setup.sh" >&2
  exit 1
fi

export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$PWD/fuzz/target}"
fixtures="${FUZZ_FIXTURES:-../shared/fixtures}"
bin_dir="$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release"
seeds="$CARGO_TARGET_DIR/seeds"

if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cd fuzz && cargo fuzz list)
fi

if [ "$seconds" -le 15 ]; then
  # The smoke pass also keeps the fuzz crates formatted (the main workspace's fmt check skips them).
  cargo fmt --manifest-path fuzz/Cargo.toml --all --check
fi

echo "fuzz: building ${#targets[@]} targets (cargo fuzz build: release, debug assertions, ASan)"
mkdir -p "$CARGO_TARGET_DIR"
build_log="$CARGO_TARGET_DIR/fuzz-build.log"
if ! (cd fuzz && cargo fuzz build) >"$build_log" 2>&1; then
  tail -40 "$build_log" >&2
  echo "fuzz: build failed (full log: $build_log)" >&2
  exit 1
fi
grep -E '^\s+Finished' "$build_log" || true
for t in "${targets[@]}"; do
  [ -x "$bin_dir/$t" ] || { echo "fuzz: target $t did not build" >&2; exit 1; }
done

rm -rf "$seeds"
if [ -d "$fixtures" ]; then
  cargo run --quiet --manifest-path fuzz/Cargo.toml -p libsql-edge-fuzz-seeds -- "$fixtures" "$seeds"
else
  echo "fuzz: no fixtures at $fixtures (set FUZZ_FIXTURES); running without seeds" >&2
fi

log_dir="$CARGO_TARGET_DIR/fuzz-logs"
mkdir -p "$log_dir"
failed=()
rows=()
for t in "${targets[@]}"; do
  corpus="fuzz/corpus/$t"
  artifacts="fuzz/artifacts/$t"
  mkdir -p "$corpus" "$artifacts" "$seeds/$t"
  log="$log_dir/$t.log"
  status=0
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_odr_violation=0" \
    "$bin_dir/$t" "$corpus" "$seeds/$t" \
    -max_total_time="$seconds" -malloc_limit_mb=16 -rss_limit_mb=1536 -max_len=131072 -timeout=10 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1 || status=$?
  execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log" | tail -1)
  rate=$(awk '/stat::average_exec_per_sec/ { print $2 }' "$log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | awk '{ print $2 }')
  files=$(find "$corpus" -type f | wc -l)
  if [ "$status" -eq 0 ]; then
    result=ok
  else
    result="CRASH (exit $status)"
    failed+=("$t")
    echo "---- $t: last lines of $log" >&2
    grep -E 'ERROR|panicked|SUMMARY|Test unit written|^thread|assert' "$log" | head -20 >&2 || tail -30 "$log" >&2
  fi
  rows+=("$(printf '%-22s %8s %12s %10s %8s %8s  %s' "$t" "${seconds}s" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$files" "$result")")
  echo "${rows[-1]}"
done

echo
echo "fuzz: $(date -u +%Y-%m-%dT%H:%MZ), ${seconds}s per target, logs in $log_dir"
printf '%-22s %8s %12s %10s %8s %8s  %s\n' target time execs exec/s cov corpus result
printf '%s\n' "${rows[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in: ${failed[*]} (inputs in fuzz/artifacts/; reproduce: see fuzz/README.md)" >&2
  exit 1
fi
echo "fuzz: no crashes in ${#targets[@]} targets"
