#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS each (default 60), starting
# from the committed corpora (fuzz/corpus/<target>/; new inputs are added there).
# Crashes land in fuzz/artifacts/<target>/; exit status is non-zero on any.
#
# Works on stable Rust: libfuzzer-sys needs no nightly feature once the
# sanitizer is off, and RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z flags.
# Needs `cargo install cargo-fuzz` (crates.io) and a C++ compiler (libFuzzer).
#
# Usage: scripts/reliability/fuzz.sh [SECONDS] [TARGET ...]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SECS="${1:-60}"
shift || true
cd "$ROOT/fuzz"
TARGETS=("$@")
if ((${#TARGETS[@]} == 0)); then
  mapfile -t TARGETS < <(cargo fuzz list)
fi
export RUSTC_BOOTSTRAP=1
# --dev: unoptimised but debug-asserted build; much faster to compile on a small
# machine. Set FUZZ_RELEASE=1 for an optimised build (more executions per second).
MODE=(--dev)
if [[ "${FUZZ_RELEASE:-0}" == 1 ]]; then MODE=(); fi
cargo fuzz build "${MODE[@]}" --sanitizer none
STATUS=0
echo "== fuzz: nproc=$(nproc) arch=$(uname -m) date=$(date -u +%Y-%m-%dT%H:%MZ), ${SECS}s per target =="
for t in "${TARGETS[@]}"; do
  mkdir -p "corpus/$t"
  before=$(ls "corpus/$t" | wc -l)
  log="$ROOT/target/fuzz-$t.log"
  mkdir -p "$ROOT/target"
  if cargo fuzz run "${MODE[@]}" --sanitizer none "$t" "corpus/$t" -- \
      -max_total_time="$SECS" -max_len=65536 -timeout=10 -rss_limit_mb=2048 >"$log" 2>&1; then
    result=ok
  else
    result=CRASH
    STATUS=1
  fi
  runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -1 | awk '{print $2}')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  after=$(ls "corpus/$t" | wc -l)
  echo "$t: $result; ${runs:-?} executions in ${SECS}s; coverage ${cov:-?} edges; corpus $before -> $after inputs (log $log)"
  if [[ $result == CRASH ]]; then grep -E 'panicked|ERROR|Test unit written' "$log" | head -5; fi
done
exit $STATUS
