#!/usr/bin/env bash
# Runs every libFuzzer harness for SECONDS each (JOBS at a time, default 1), from its seeds and
# the corpus earlier runs grew: fuzz/run_fuzzers.sh SECONDS [JOBS]. Builds nothing: configure and
# build first with `cmake --preset fuzz && cmake --build --preset fuzz`. Environment:
#   STATELENS_FUZZ_BUILD  the build folder (default build-fuzz)
#   FUZZERS               the harnesses to run (default: all seven)
# Each stops at its first finding (crash, leak, timeout > 10 s, RSS > 2 GiB); the input is kept in
# BUILD/fuzz-artifacts/<fuzzer>/ and the log in BUILD/fuzz-logs/<fuzzer>.log. One summary line per
# fuzzer; the exit status is 1 when any fuzzer found something.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${1:?usage: fuzz/run_fuzzers.sh SECONDS [JOBS]}"
jobs="${2:-1}"
build="${STATELENS_FUZZ_BUILD:-build-fuzz}"
fuzzers=(${FUZZERS:-fuzz_zip_records fuzz_pickle_machine fuzz_legacy fuzz_safetensors fuzz_shard_index fuzz_torchscript fuzz_pt2})

for fuzzer in "${fuzzers[@]}"; do
  if [ ! -x "$build/fuzz/$fuzzer" ]; then
    echo "run_fuzzers: $build/fuzz/$fuzzer is missing: cmake --preset fuzz && cmake --build --preset fuzz" >&2
    exit 2
  fi
done
[ -d "$build/fuzz-seeds" ] || bash fuzz/make_seeds.sh "$build" >/dev/null

# One dictionary per harness (libFuzzer takes one): the formats it sees.
dicts_for() {
  case "$1" in
    fuzz_zip_records) echo "zip pickle" ;;
    fuzz_pickle_machine | fuzz_legacy) echo "pickle" ;;
    fuzz_safetensors | fuzz_shard_index) echo "json" ;;
    fuzz_torchscript) echo "torchscript zip pickle" ;;
    fuzz_pt2) echo "json zip" ;;
  esac
}

run_one() {
  local fuzzer="$1"
  local corpus="$build/fuzz-corpus/$fuzzer" artifacts="$build/fuzz-artifacts/$fuzzer"
  local seeds="$build/fuzz-seeds/$fuzzer" log="$build/fuzz-logs/$fuzzer.log" dict="$build/fuzz-dicts/$fuzzer.dict"
  mkdir -p "$corpus" "$artifacts" "$seeds" "$build/fuzz-logs" "$build/fuzz-dicts"
  : >"$dict"
  for name in $(dicts_for "$fuzzer"); do cat "fuzz/dicts/$name.dict" >>"$dict"; done
  local start=$SECONDS
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
    "$build/fuzz/$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
      -dict="$dict" -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus" "$seeds" >"$log" 2>&1
  local status=$?
  local elapsed=$((SECONDS - start))
  local execs rate cov ft corp found
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  corp=$(find "$corpus" -type f | wc -l)
  found=$(find "$artifacts" -type f | wc -l)
  printf '%-20s %5ss  execs %-10s %6s exec/s  cov %-6s ft %-6s corpus %-6s findings %s%s\n' \
    "$fuzzer" "$elapsed" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$corp" "$found" \
    "$([ "$status" = 0 ] || echo "  (exit $status: see $log)")"
  [ "$status" = 0 ] && [ "$found" = 0 ]
}

failed=0
running=0
for fuzzer in "${fuzzers[@]}"; do
  if ((running >= jobs)); then
    wait -n || failed=1
    running=$((running - 1))
  fi
  run_one "$fuzzer" &
  running=$((running + 1))
done
while ((running > 0)); do
  wait -n || failed=1
  running=$((running - 1))
done
exit "$failed"
