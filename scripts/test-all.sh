#!/usr/bin/env bash
# Every check CI runs (.ci/run), in order:
#   1. scripts/bootstrap.sh (packages, the normal build in build/) and every test;
#   2. one clang build with AddressSanitizer + UBSan and libFuzzer's coverage (`ci-hardening`
#      preset, build-hardening/: core, its tests, the CLI and the fuzzers; no GUI, no torch):
#      the core tests and the mutation check, then every fuzzer for STATELENS_FUZZ_SECONDS
#      (default 60) s, two at a time;
#   3. run between the two halves of step 2: a gcc ThreadSanitizer build (`dev-tsan` preset,
#      build-tsan/) of the tests whose code crosses threads, with tests/tsan.supp (Qt internals).
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

step "interaction tests on a real X server (xcb under Xvfb)"
# The offscreen platform skips what a window system does with focus and activation: the tests
# that drive focus changes and tab closes run again on xcb (ctest's environment pins offscreen,
# so the programs run directly).
for test in tst_match_interaction tst_tab_close tst_window_polish; do
  xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb LC_ALL=C.UTF-8 \
    STATELENS_TORCH_MODULE="$PWD/build/bin/statelens_torch.so" "build/tests/ui/$test"
done
[ "${STATELENS_SKIP_HARDENING:-0}" = 1 ] && exit 0

step "hardening build (clang, ASan + UBSan)"
cmake --preset ci-hardening >/dev/null
cmake --build --preset ci-hardening --parallel "$jobs"

step "core tests under ASan + UBSan"
# UBSan aborts on any report (-fno-sanitize-recover), so every report fails its test.
ASAN_OPTIONS="detect_leaks=1" UBSAN_OPTIONS="print_stacktrace=1" \
  ctest --test-dir build-hardening -L 'core|robustness' --output-on-failure --timeout 900

step "concurrency tests under ThreadSanitizer (gcc)"
# Not the whole core suite: `ctest --preset dev-tsan` takes ~5 min cold on two cores (2m45 build,
# 2m10 run), CI's budget is 30 min and the rest takes 15-22. These are the tests whose code runs on
# several threads: the statistics job and the value preview on one storage, the statistics and
# diff jobs (their workers; diff through the CLI, built with TSan too), and the GUI's job helper.
# Cold: ~2m10 to build core and them, ~15 s to run.
tsan_tests=(tst_checkpoint_concurrency tst_stats tst_diff tst_job_tracker)
cmake --preset dev-tsan >/dev/null
cmake --build --preset dev-tsan --parallel "$jobs" --target statelens-cli "${tsan_tests[@]}"
tsan_pattern="$(IFS='|'; echo "${tsan_tests[*]}")"
ctest --preset dev-tsan -R "^(${tsan_pattern})\$" --timeout 900

step "fuzzers, ${STATELENS_FUZZ_SECONDS:-60} s each"
STATELENS_FUZZ_BUILD=build-hardening bash fuzz/run_fuzzers.sh "${STATELENS_FUZZ_SECONDS:-60}" 2
