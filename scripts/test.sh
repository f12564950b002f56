#!/usr/bin/env bash
# The test suite: unit tests, PyTorch parity tests and CLI end-to-end tests on an optimised
# build; then the suite again under AddressSanitizer + UndefinedBehaviorSanitizer, all but the
# two long end-to-end training runs (label `long`: about 5 minutes under the sanitizers; the
# optimised stage runs them, and MEDLLM_SANITIZE_ALL=1 includes them here too), built with clang
# so that the same build holds the libFuzzer targets; then each of those for a bounded time.
# Usage: bash scripts/test.sh [--quick]   (--quick: the optimised build's tests only)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=$(nproc)
# Each stage's start names the time the previous one took, so CI logs show where the time goes.
stage_start=$SECONDS
stage() {
  echo "== $1   (previous stage: $((SECONDS - stage_start)) s)"
  stage_start=$SECONDS
}

bash scripts/install-deps.sh

stage "build (Release)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build
stage "test (Release)"
ctest --test-dir build --output-on-failure -j "$jobs"
[ "$quick" -eq 1 ] && exit 0

# One clang build serves the sanitizer tests and the fuzz targets (libFuzzer needs clang), and it
# reuses the optimised build's reference models (tests/reference/make_tiny_models.py --reuse).
stage "build with AddressSanitizer + UndefinedBehaviorSanitizer (clang, tests and fuzz targets)"
# CMake keeps a folder's first compiler: a build-asan from before this stage used clang is rebuilt.
if [ -f build-asan/CMakeCache.txt ] && ! grep -q "^CMAKE_CXX_COMPILER:.*clang" build-asan/CMakeCache.txt; then
  echo "build-asan was configured with another compiler; starting it afresh with clang"
  rm -rf build-asan
fi
CC=clang CXX=clang++ cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEDLLM_SANITIZE=ON \
  -DMEDLLM_FUZZ=ON -DMEDLLM_BUILD_BENCH=OFF -DMEDLLM_REUSE_REFERENCE_DIR="$PWD/build/reference" >/dev/null
cmake --build build-asan
stage "test (sanitizers)"
skip_long=(-LE long)
[ "${MEDLLM_SANITIZE_ALL:-0}" = 1 ] && skip_long=()
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" "${skip_long[@]}"

stage "fuzz (libFuzzer, ${MEDLLM_FUZZ_SECONDS:-20} s per target)"
bash fuzz/run.sh "${MEDLLM_FUZZ_SECONDS:-20}" build-asan build/reference
stage "done"
