#!/usr/bin/env bash
# Every check CI runs (.ci/run), in order:
#   1. scripts/bootstrap.sh (packages, the normal build in build/) and every test;
#   2. the core tests and the mutation check again under AddressSanitizer + UBSan (gcc, `ci-asan`
#      preset: dev-asan optimised, build-ci-asan/, core only: no GUI, no torch);
#   3. the libFuzzer harnesses (clang, `fuzz` preset, build-fuzz/), each for
#      STATELENS_FUZZ_SECONDS (default 60), two at a time.
# STATELENS_SKIP_HARDENING=1 stops after step 1. ccache (installed by bootstrap) keeps the
# rebuilds of steps 2 and 3 short.
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
jobs="${STATELENS_BUILD_JOBS:-2}"
step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "build and test"
bash scripts/bootstrap.sh
ctest --test-dir build --output-on-failure --timeout 600
[ "${STATELENS_SKIP_HARDENING:-0}" = 1 ] && exit 0

step "core tests under ASan + UBSan"
# `ci-asan`: dev-asan's sanitizers, optimised (a Debug build runs the timed tests and the 11 M
# strided elements of the resnet18 fixtures 10-20 times slower than torch's users would).
cmake --preset ci-asan >/dev/null
cmake --build --preset ci-asan --parallel "$jobs"
# UBSan only prints by default: make every report fail its test.
ASAN_OPTIONS="detect_leaks=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
  ctest --test-dir build-ci-asan -L 'core|robustness' --output-on-failure --timeout 900

step "fuzzers, ${STATELENS_FUZZ_SECONDS:-60} s each"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
bash fuzz/run_fuzzers.sh "${STATELENS_FUZZ_SECONDS:-60}" 2
