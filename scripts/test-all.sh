#!/usr/bin/env bash
# Every check CI runs (.ci/run), in order:
#   1. scripts/bootstrap.sh (packages, the normal build in build/) and every test;
#   2. one clang build with AddressSanitizer + UBSan and libFuzzer's coverage (`ci-hardening`
#      preset, build-hardening/: core, its tests, the CLI and the fuzzers; no GUI, no torch):
#      the core tests and the mutation check, then every fuzzer for STATELENS_FUZZ_SECONDS
#      (default 60) s, two at a time.
# STATELENS_SKIP_HARDENING=1 stops after step 1. One build serves both halves of step 2: core is
# compiled once (a separate gcc ASan build and fuzz build took ~23 of CI's minutes, this ~6).
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
jobs="${STATELENS_BUILD_JOBS:-2}"
step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "build and test"
bash scripts/bootstrap.sh
ctest --test-dir build --output-on-failure --timeout 600
[ "${STATELENS_SKIP_HARDENING:-0}" = 1 ] && exit 0

step "hardening build (clang, ASan + UBSan)"
cmake --preset ci-hardening >/dev/null
cmake --build --preset ci-hardening --parallel "$jobs"

step "core tests under ASan + UBSan"
# UBSan aborts on any report (-fno-sanitize-recover), so every report fails its test.
ASAN_OPTIONS="detect_leaks=1" UBSAN_OPTIONS="print_stacktrace=1" \
  ctest --test-dir build-hardening -L 'core|robustness' --output-on-failure --timeout 900

step "fuzzers, ${STATELENS_FUZZ_SECONDS:-60} s each"
STATELENS_FUZZ_BUILD=build-hardening bash fuzz/run_fuzzers.sh "${STATELENS_FUZZ_SECONDS:-60}" 2
